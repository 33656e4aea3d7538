"""One registration per domain.

Each domain package (``casework/<domain>/__init__.py``) has an ``init_app(app)`` that registers, on
this app only, everything the domain brings: its models, child blueprints for each audience, area
settings, Celery task modules and beat entries, demo data, parts of the case record (API answer, page
section, timeline), dashboard panels, lifecycle receivers, the records read by the settings of their
day, and the kinds of spreadsheet import and export. ``create_app`` calls them from one list,
``casework.app.DOMAINS``: the table of contents of the application (Redash's ``init_app`` list).

Nothing is registered because a module happened to be imported, so an import is never kept for its
side effects, and a domain left out of the list leaves no trace in the app. Everything registered is
read back through ``registry(app)`` (the app's ``Registry``), never from module-level globals.

A domain's ``init_app`` looks like this::

    def init_app(app: Flask) -> None:
        from casework.risk import case_sections, settings, views

        domain = register_domain(app, "risk")
        domain.models("casework.risk.models")
        domain.blueprints("staff", views.staff.bp)
        domain.settings(*settings.SPECS)
        domain.case_page_section(20, "risk/_case_section.html", case_sections.risk_section)
        domain.receive(lifecycle.case_closed, lifecycle_receivers.on_case_closed)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from blinker import NamedSignal
from flask import Blueprint, Flask, current_app

#: The audience shells (``casework/blueprints``), in the order the app registers them.
AUDIENCES = ("api", "admin", "staff", "public")
EXTENSION_KEY = "casework"


@dataclass(frozen=True)
class PageSection:
    order: int
    template: str
    #: function(case, user) -> the template's context.
    context: Callable[[Any, Any], dict[str, Any]]
    domain: str
    #: The id of the section's heading and its title, for the page's contents list (both or neither).
    anchor: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class CaseRecords:
    """A domain's records of one case that the case page and the case answer show (its actions, its
    risk assessments): every domain's are loaded together in one statement, apart from those ``apart``
    (``casework.cases.sections.case_records``)."""

    name: str
    #: The mapped class; it has a ``case_id`` column.
    entity: Any
    #: Loader options (``joinedload`` of what the section shows with each record).
    options: tuple[Any, ...] = ()
    #: The order the section lists them in.
    order_by: tuple[Any, ...] = ()
    #: function(the case id, a bind parameter) -> which rows belong to the case, for records that do not
    #: name it in a ``case_id`` column (a watch entry of one of its victims); default ``case_id = :case_id``.
    on: Callable[[Any], Any] | None = None
    #: Loaded in a statement of its own: for records that join a collection of their own (an incident's
    #: complaints, an intervention's breaches), so have a row per item of it and grow with the case. A
    #: row of the shared statement carries every part's columns; apart, only this part's.
    apart: bool = False
    #: Read as values, not entities (``casework.cases.sections.RecordValues``): given, the records come
    #: with every column of the entity, and each many-to-one relationship named here as one more such
    #: record (its every column, or only those given after it: ``(Action.assignee, User.name)``), in
    #: place of ``options``. The ORM's set-up of each entity costs more than a case's rows.
    values: tuple[Any, ...] | None = None
    #: The name of a part registered ``apart`` whose statement this part's records come in too (the
    #: case's parties with its ledger), instead of the shared one: the shared statement outer-joins
    #: each of its parts to every row of every other part's, so its cost grows faster than its parts.
    beside: str | None = None

    def belongs(self, case_id: Any) -> Any:
        """The condition that picks this part's records of the case ``case_id`` (a bind parameter)."""
        return self.on(case_id) if self.on is not None else self.entity.case_id == case_id


@dataclass
class Registry:
    """What the domains registered on one app."""

    #: Domain names in registration order (the order of ``casework.app.DOMAINS``).
    domains: list[str] = field(default_factory=list)
    model_modules: list[str] = field(default_factory=list)
    #: audience -> [(domain, blueprint)].
    blueprints: dict[str, list[tuple[str, Blueprint]]] = field(default_factory=lambda: {a: [] for a in AUDIENCES})
    #: key -> casework.core.settings.SettingSpec.
    settings: dict[str, Any] = field(default_factory=dict)
    task_modules: list[str] = field(default_factory=list)
    #: Celery beat schedule: name -> entry.
    beat_schedule: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: [(domain, loader(password))], run by ``demo load`` in domain order.
    demo_loaders: list[tuple[str, Callable[[str], None]]] = field(default_factory=list)
    #: key in ``GET /api/v1/cases/<id>`` -> function(case, user).
    case_api_sections: dict[str, Callable[[Any, Any], Any]] = field(default_factory=dict)
    case_page_sections: list[PageSection] = field(default_factory=list)
    #: name -> CaseRecords: each domain's records of a case, loaded together for the case record.
    case_records: dict[str, CaseRecords] = field(default_factory=dict)
    #: The person page's sections: each domain shows what it holds about the person, as far as the
    #: user may see it (and a count with the holding agency for what they may not).
    person_page_sections: list[PageSection] = field(default_factory=list)
    #: functions(case) -> [casework.cases.sections.TimelineEntry].
    case_timeline_sources: list[Callable[[Any, Any], list[Any]]] = field(default_factory=list)
    #: functions(the search) -> a SELECT of (case id, rank) for case search, visible or not (the search
    #: keeps the visible ones; ``casework.cases.queries.case_page``).
    case_search_sources: list[Callable[[Any], Any]] = field(default_factory=list)
    #: role -> functions(user) -> panel data for templates/dashboard/_<role>.html.
    dashboard_panels: dict[str, list[Callable[[Any], dict[str, Any]]]] = field(default_factory=dict)
    #: signal name -> [(domain, receiver)], for the lifecycle signals (``casework.core.lifecycle``).
    receivers: dict[str, list[tuple[str, Callable[..., Any]]]] = field(default_factory=dict)
    #: functions(area ids, setting keys, effective from) -> [casework.core.settings.DatedRecord]: the
    #: records dealt with under the settings of their day, which a back-dated change must not reach.
    dated_records: list[Callable[[Any, set[str], Any], list[Any]]] = field(default_factory=list)
    #: casework.core.settings.SettingsCheck: settings read together, checked when any of them is saved.
    setting_checks: list[Any] = field(default_factory=list)
    #: key -> casework.spreadsheets.kinds.ImportKind, in registration order.
    import_kinds: dict[str, Any] = field(default_factory=dict)
    #: key -> casework.spreadsheets.kinds.ExportList, in registration order.
    export_lists: dict[str, Any] = field(default_factory=dict)
    #: table name -> the table: the records a deadline may be on (``Deadline.subject_type``), whose
    #: rows every list of deadlines checks are still there (``reminders.services.subject_exists``).
    deadline_subjects: dict[str, Any] = field(default_factory=dict)
    #: table name -> function(an unsent outbox message about a record of that table) -> why it is no
    #: longer wanted, or None: asked just before the message is sent (``notifications.tasks``).
    unsent_checks: dict[str, Callable[[Any], str | None]] = field(default_factory=dict)
    #: table name -> function(a message just withdrawn) -> the message queued in its place, or None:
    #: what its recipient is still owed, as they may read it now (``notifications.tasks``).
    unsent_replacements: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    #: function(an unsent outbox message written to a staff account, ``to_user_id``) -> why its
    #: recipient may no longer receive it, or None: asked of every such message just before it is
    #: sent, whatever it is about (``notifications.tasks``). Registered by the domain of the accounts.
    recipient_checks: list[Callable[[Any], str | None]] = field(default_factory=list)
    #: table name -> function(a subject access export, ids of that table's records) -> the ids whose
    #: email the export may hold (``notifications.services.export_section``).
    exported_email_checks: dict[str, Callable[[Any, set[int]], set[int]]] = field(default_factory=dict)

    def children(self, audience: str) -> list[Blueprint]:
        return [bp for _domain, bp in self.blueprints[audience]]

    def receivers_of(self, signal: NamedSignal) -> list[tuple[str, Callable[..., Any]]]:
        return list(self.receivers.get(signal.name or "", []))


def registry(app: Flask | None = None) -> Registry:
    """The registry of ``app`` (default: the current app)."""
    target = app if app is not None else current_app
    found: Registry = target.extensions[EXTENSION_KEY]
    return found


def init_registry(app: Flask) -> Registry:
    found = app.extensions[EXTENSION_KEY] = Registry()
    return found


class DomainRegistration:
    """The handle a domain's ``init_app`` registers through; every entry is tagged with the domain."""

    def __init__(self, app: Flask, name: str) -> None:
        self.app = app
        self.name = name
        self.registry = registry(app)
        if name in self.registry.domains:
            raise RuntimeError(f"domain {name!r} registered twice on this app")
        self.registry.domains.append(name)

    def models(self, *modules: str) -> None:
        """Model modules: imported so the metadata is complete for Alembic and relationships resolve."""
        for module in modules:
            importlib.import_module(module)
            self.registry.model_modules.append(module)

    def blueprints(self, audience: str, *blueprints: Blueprint) -> None:
        """Child blueprints of an audience shell (``api``, ``admin``, ``staff``, ``public``), which
        sets the policy (sign-in, CSRF, error format) once for all of them."""
        if audience not in AUDIENCES:
            raise ValueError(f"unknown audience {audience!r}: one of {', '.join(AUDIENCES)}")
        self.registry.blueprints[audience].extend((self.name, bp) for bp in blueprints)

    def settings(self, *specs: Any) -> None:
        """Per-area settings (``casework.core.settings.SettingSpec``)."""
        for spec in specs:
            known = self.registry.settings.get(spec.key)
            if known is not None and known != spec:
                raise ValueError(f"setting {spec.key!r} registered twice")
            self.registry.settings[spec.key] = spec

    def tasks(self, module: str) -> None:
        """A module of ``@shared_task`` tasks. Its ``BEAT`` mapping (task name -> schedule, or ->
        ``(schedule, options)``), declared next to the tasks, joins the beat schedule."""
        loaded = importlib.import_module(module)
        self.registry.task_modules.append(module)
        for name, entry in getattr(loaded, "BEAT", {}).items():
            schedule, options = entry if isinstance(entry, tuple) else (entry, {})
            self.registry.beat_schedule[name] = {
                "task": name,
                "schedule": schedule,
                **({"options": options} if options else {}),
            }

    def demo(self, loader: Callable[[str], None]) -> None:
        """Demo data: ``loader(password)``, idempotent (it looks for what it would create first)."""
        self.registry.demo_loaders.append((self.name, loader))

    def case_records(
        self,
        name: str,
        entity: Any,
        *,
        options: tuple[Any, ...] = (),
        order_by: tuple[Any, ...] = (),
        on: Callable[[Any], Any] | None = None,
        apart: bool = False,
        values: tuple[Any, ...] | None = None,
        beside: str | None = None,
    ) -> None:
        """The domain's records of a case that its case page section, API key and timeline show: read
        with ``casework.cases.sections.case_records(case_id, name)``, one statement for every domain's
        (and one for each registered ``apart``, with the parts registered ``beside`` it: see
        ``CaseRecords.apart`` and ``CaseRecords.beside``). ``on(case_id)`` picks them
        when the entity has no ``case_id`` column (it must stay cheap: it is an outer join's condition,
        with the case id as a bind parameter). With ``values`` they are read as plain values (see
        ``CaseRecords.values``)."""
        self.registry.case_records[name] = CaseRecords(
            name,
            entity,
            tuple(options),
            tuple(order_by),
            on,
            apart,
            None if values is None else tuple(values),
            beside,
        )

    def case_api_section(self, key: str, fn: Callable[[Any, Any], Any]) -> None:
        self.registry.case_api_sections[key] = fn

    def case_page_section(
        self,
        order: int,
        template: str,
        fn: Callable[[Any, Any], dict[str, Any]],
        *,
        anchor: str | None = None,
        title: str | None = None,
    ) -> None:
        """A section of the case page; ``anchor`` (the id of its heading) and ``title`` put it in the
        page's contents list."""
        self.registry.case_page_sections.append(PageSection(order, template, fn, self.name, anchor, title))
        self.registry.case_page_sections.sort(key=lambda s: s.order)

    def person_page_section(self, order: int, template: str, fn: Callable[[Any, Any], dict[str, Any]]) -> None:
        """A section of the person page: ``fn(person, user)`` -> the template's context."""
        self.registry.person_page_sections.append(PageSection(order, template, fn, self.name))
        self.registry.person_page_sections.sort(key=lambda s: s.order)

    def case_timeline(self, fn: Callable[[Any, Any], list[Any]]) -> None:
        """Entries of the case's timeline: ``fn(case, viewer)`` -> ``TimelineEntry`` list, ``viewer`` the user
        reading it (None: anyone, so nothing withheld from some readers may show)."""
        self.registry.case_timeline_sources.append(fn)

    def case_search(self, fn: Callable[[Any], Any]) -> None:
        """Other domains' records that lead to a case in the case search (an application's reference):
        ``fn(search)`` gives the cases its matching records lead to, among the records the searching user
        may see (bind parameters ``viewer_agency_id``, ``viewer_id``); the search keeps the visible cases."""
        self.registry.case_search_sources.append(fn)

    def panel(self, role: str, fn: Callable[[Any], dict[str, Any]]) -> None:
        self.registry.dashboard_panels.setdefault(role, []).append(fn)

    def dated_records(self, fn: Callable[[Any, set[str], Any], list[Any]]) -> None:
        """The records this domain dealt with under the settings in force on their day (an application
        on the day it was received): ``fn(area_ids, keys, effective_from)`` -> ``DatedRecord``s. A
        settings change back-dated to before one of them is refused (``accounts.services``)."""
        self.registry.dated_records.append(fn)

    def setting_checks(self, keys: Iterable[str], check: Callable[[dict[str, Any]], list[Any]]) -> None:
        """A check of settings that only make sense together: ``check(values)`` ->
        ``casework.core.settings.SettingProblem``s, run when any of ``keys`` is saved."""
        from casework.core.settings import SettingsCheck

        entry = SettingsCheck(frozenset(keys), check)
        if entry not in self.registry.setting_checks:
            self.registry.setting_checks.append(entry)

    def imports(self, *kinds: Any) -> None:
        """Kinds of spreadsheet import (``casework.spreadsheets.kinds.ImportKind``)."""
        for kind in kinds:
            if kind.key in self.registry.import_kinds:
                raise ValueError(f"import kind {kind.key!r} registered twice")
            self.registry.import_kinds[kind.key] = kind

    def exports(self, *lists: Any) -> None:
        """Lists that can be downloaded (``casework.spreadsheets.kinds.ExportList``)."""
        for export in lists:
            if export.key in self.registry.export_lists:
                raise ValueError(f"export {export.key!r} registered twice")
            self.registry.export_lists[export.key] = export

    def deadline_subjects(self, *models: Any) -> None:
        """The models whose records this domain sets deadlines on (``reminders.services.set_deadline``
        with ``subject_type`` their table's name, which it refuses for a table not registered here).
        Each has a one-column primary key, the deadline's ``subject_id``."""
        for model in models:
            table = model.__table__
            if len(table.primary_key.columns) != 1:
                raise ValueError(f"deadlines name their record by one id: {table.name} has a key of several columns")
            self.registry.deadline_subjects[table.name] = table

    def unsent_check(
        self, table: str, check: Callable[[Any], str | None], *, replace: Callable[[Any], Any] | None = None
    ) -> None:
        """Ask ``check`` about each message about a record of ``table`` just before it is sent: a
        message queued for a reason that has since gone (a reminder of a deadline settled or handed
        over while the mail server was down) is withdrawn instead of sent.

        ``replace``, given the message just withdrawn (in the same transaction), queues what its
        recipient is still owed, as they may read it now, and answers it (None: nothing is owed). A
        reminder withdrawn because it quotes a case restricted without its recipient still leaves them
        the deadline: they are reminded of it as they may now read it, not left without a word."""
        if table in self.registry.unsent_checks:
            raise ValueError(f"unsent messages about {table!r} are checked twice")
        self.registry.unsent_checks[table] = check
        if replace is not None:
            self.registry.unsent_replacements[table] = replace

    def recipient_check(self, check: Callable[[Any], str | None]) -> None:
        """Ask ``check`` about every message written to a staff account just before it is sent: one
        whose recipient may no longer receive it (an account closed since it was queued) is withdrawn."""
        self.registry.recipient_checks.append(check)

    def exported_email_check(self, table: str, check: Callable[[Any, set[int]], set[int]]) -> None:
        """Which email about records of ``table`` a subject access export may hold: ``check(export,
        ids)`` answers the ids of those records whose email the exporter may read (the data protection
        officer's export holds every email to the person's addresses). Email about a record of a table
        no domain registered here is left out of anyone else's export: it is found by an email address,
        which anyone may type into a person's record, so it is not known to be this person's."""
        if table in self.registry.exported_email_checks:
            raise ValueError(f"exported email about {table!r} is checked twice")
        self.registry.exported_email_checks[table] = check

    def receive(self, signal: NamedSignal, receiver: Callable[..., Any]) -> None:
        """Connect a lifecycle receiver for this app only (the app is the signal's sender)."""
        signal.connect(receiver, sender=self.app, weak=False)
        self.registry.receivers.setdefault(signal.name or "", []).append((self.name, receiver))


def register_domain(app: Flask, name: str) -> DomainRegistration:
    return DomainRegistration(app, name)


def init_domains(app: Flask, modules: Iterable[str]) -> Registry:
    """Call each domain's ``init_app(app)`` in order."""
    found = init_registry(app)
    for module in modules:
        importlib.import_module(module).init_app(app)
    return found
