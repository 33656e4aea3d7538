"""Named events in the life of a case or a person, received by every domain that holds data about them.

The domain where an event happens sends it; it does not need to know who else holds data (Indico's
named signals). Each domain connects its receivers in its ``init_app``
(``domain.receive(lifecycle.case_closed, on_case_closed)``), for that app only: the sender of every
signal here is the application (``send`` below), and the subject travels as a keyword argument.

Receivers run in no fixed order, each on its own domain's rows, inside the sender's transaction: they
change the session and flush, never commit, so an event and everything it causes commit or roll back
together; email and tasks still wait for the commit (``after_commit``). A domain changes another
domain's tables only through that domain's services, never directly.

``tests/test_lifecycle.py`` checks that every domain holding data about a case or a person receives
the events that concern that data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from blinker import Namespace, Signal
from flask import current_app

_signals = Namespace()

#: What replaces free text removed under the retention policy, in every domain.
REMOVED = "[removed under the retention policy]"

case_closed = _signals.signal(
    "case-closed",
    doc="""A case was closed. ``case``, ``actor``, ``handover`` (a ``CaseHandover``: who takes the work
    that continues, and which ordinary actions are handed over rather than cancelled). Receivers hand
    over statutory deadlines and the chosen actions, cancel the rest with the closure reason, and
    make sure nothing else of the case is reminded or escalated. Work owed to a person rather than to
    the case (the threshold watch's tell-the-victim task) moves to their other open case, if any.""",
)
case_reopened = _signals.signal(
    "case-reopened",
    doc="""A closed case was reopened. ``case``, ``actor``, ``reason``. Receivers re-arm what the closure
    cancelled that is still owed (the current risk review, the dates of live interventions, a Case
    Review explanation or a tell-the-victim task not yet done), and give back to whoever had it the
    statutory work handed to a stand-in only because the case closed, unless the stand-in took it up
    since; ordinary actions handed over on purpose stay with their new owner, and other cancelled work
    stays cancelled.""",
)
retention_run = _signals.signal(
    "retention-run",
    doc="""A retention run is starting. ``on`` (the day retention dates are reckoned from), ``report``.
    Domains whose records have retention dates of their own (a Case Review application linked to no
    case, copies of sent email) anonymise what is due and list it in ``report``.""",
)
case_anonymised = _signals.signal(
    "case-anonymised",
    doc="""A case reached its retention date and its own fields were anonymised. ``case``, ``report`` (a
    ``RetentionReport``). Every domain anonymises its part of the case and lists what it anonymised
    with ``report.add(table, ids)``. Links to people who live on in the service are not the
    receivers' to sever: the retention run does that for every table once every due case has been
    anonymised (``data_protection.retention.unlink_living_people``).""",
)
person_anonymised = _signals.signal(
    "person-anonymised",
    doc="""A person reached their retention date and their own fields were anonymised. ``person``,
    ``former`` (a ``FormerIdentity``: the details as they were, to find copies elsewhere), ``report``.""",
)
records_anonymised = _signals.signal(
    "records-anonymised",
    doc="""Sent once at the end of a retention run, after every domain has anonymised its records.
    ``report``. The audit log erases the personal values of the entries about every record listed,
    and the outbox the emails about them; the reminders take the names of ``report.formers`` (every
    person the run anonymised) out of the deadlines' titles, in one pass for all of them.""",
)
person_exported = _signals.signal(
    "person-exported",
    doc="""A subject access export is being assembled. ``person``, ``export`` (a
    ``casework.cases.subject_access.SubjectAccess``: who asked, which cases may be shown, how to redact
    third parties). Each receiver returns ``(section_key, value)`` for its part of the export, or None.""",
)
person_merged = _signals.signal(
    "person-merged",
    doc="""Two records of the same person were merged. ``merge`` (a ``PersonMerge``: ``kept_id``,
    ``merged_id``, ``actor``, ``moved``). Each receiver moves its rows from the merged person to the kept
    one and records what it moved with ``merge.record(table, ids)``, so the merge can be undone.""",
)
person_unmerged = _signals.signal(
    "person-unmerged",
    doc="""A merge was undone within its window. ``merge``. Each receiver moves back exactly the rows it
    recorded as moved.""",
)

sight_narrowed = _signals.signal(
    "sight-narrowed",
    doc="""Some users may no longer see some cases: a case restricted, or no longer shared with an
    agency (``case_ids``), or a user deactivated, moved to another agency or given other roles
    (``user_ids``); ``actor``. Either may be None (any; both None: every case and user, for work left
    from before). Work on a case goes only to people who may see it: receivers give the open work
    held by someone who may no longer see its case back to the case's owner (the reminders, its
    deadlines) or leave it unassigned (the actions), as reopening gives back handed-over work.""",
)
signed_out_everywhere = _signals.signal(
    "signed-out-everywhere",
    doc="""A user was signed out everywhere: their password, roles, agency or active status changed
    (``accounts.services.end_sessions``: their page sessions ended and their API tokens were revoked).
    ``user``, ``actor``. Every domain keeping a secret that opens anything as the user without a
    session (the deadline calendar feed's private link) revokes it: a link made before a password
    reset, or before the account was closed and opened again, must not work after it.""",
)
team_left = _signals.signal(
    "team-left",
    doc="""Someone left the team that ``manager_id`` leads (``accounts.services.update_user``, which has
    already undone the link): ``member_id``, a user moved to another agency; or None, the whole team,
    its manager having lost the manager role or moved to another agency. ``actor``. Every domain
    sharing something with a team by its manager's id (saved case views) stops sharing what the leaver
    shared (None: everything shared with the team): a team the manager leads later, at another agency
    or as a manager again, must not inherit what the old team shared, nor the old team keep what
    someone now at another agency shares.""",
)
complaint_recorded = _signals.signal(
    "complaint-recorded",
    doc="""Complaints were added to a case's ledger (an incident recorded with its reports, another
    report of an incident, an import, an accepted diary entry). ``person_ids`` (the complainants named,
    a set), ``actor``. Sent by the service that wrote them, after its flush. The threshold watch
    re-evaluates those people across all their cases (``casework.threshold_watch``).""",
)

#: Every lifecycle signal, for the registration checks.
SIGNALS: tuple[Signal, ...] = (
    retention_run,
    case_closed,
    case_reopened,
    case_anonymised,
    person_anonymised,
    records_anonymised,
    person_exported,
    person_merged,
    person_unmerged,
    complaint_recorded,
    sight_narrowed,
    signed_out_everywhere,
    team_left,
)


def send(signal: Signal, **kwargs: Any) -> list[tuple[Any, Any]]:
    """Send ``signal`` from the current app to the receivers its domains registered; answers
    ``[(receiver, returned value)]``. Blinker calls receivers in no fixed order, so no receiver may
    depend on another having run (each acts on its own domain's rows)."""
    return signal.send(current_app._get_current_object(), **kwargs)  # type: ignore[attr-defined]


# --- what travels with the events ------------------------------------------------------------------


@dataclass(frozen=True)
class CaseHandover:
    """What happens to a closing case's open work.

    Statutory deadlines (a linked Case Review's actions, court hearings, order reviews) are always
    handed over, never cancelled: to ``owner`` when one is named, otherwise to their current owner
    (the deadline's: an unassigned recommendation's is the coordinator) while that user is active,
    otherwise to the closing officer. Every receiver applies this one rule through ``owner_for``. A
    recommendation keeps its agency and title: it is assigned to the new owner only if they work for
    that agency. Ordinary actions listed in ``action_ids`` are handed over to ``owner``; every other
    ordinary action and deadline is cancelled with ``reason`` recorded. A close without a choice (the
    API with only a reason) cancels them all. Reopening gives the statutory work back (``case_reopened``).
    """

    reason: str
    actor: Any
    owner: Any | None = None
    action_ids: frozenset[int] = frozenset()

    def owner_for(self, current_owner: Any | None) -> Any:
        if self.owner is not None:
            return self.owner
        if current_owner is not None and getattr(current_owner, "is_active", False):
            return current_owner
        return self.actor


@dataclass(frozen=True)
class FormerIdentity:
    """A person's identifying details as they were before anonymisation."""

    person_id: int
    name: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None

    @property
    def anonymised_name(self) -> str:
        """What the person is called once anonymised: their record's name, and the words that stand
        for them where their name was quoted (a deadline's title)."""
        return anonymised_name(self.person_id)


def anonymised_name(person_id: int) -> str:
    return f"Person {person_id} (anonymised)"


@dataclass
class RetentionReport:
    """What a retention run anonymised: the tables and row ids, never the values."""

    on: date
    started_at: datetime
    #: table -> ids anonymised (or erased).
    items: dict[str, set[int]] = field(default_factory=dict)
    #: Case references and person ids, for the people reading the report.
    case_references: list[str] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)
    #: The people the run anonymised, as they were (held in memory for the run's receivers, never
    #: stored): a receiver looking for copies of many people's details looks once for all of them.
    formers: list[FormerIdentity] = field(default_factory=list)

    def add(self, table: str, ids: Iterable[int]) -> None:
        found = {int(i) for i in ids}
        if found:
            self.items.setdefault(table, set()).update(found)

    def counts(self) -> dict[str, int]:
        return {table: len(ids) for table, ids in sorted(self.items.items())}


@dataclass
class PersonMerge:
    """A merge in progress or being undone: which person is kept, which is merged into it, and what
    each domain moved (``moved``: table -> {"ids": [...], plus anything the domain needs to undo})."""

    kept_id: int
    merged_id: int
    actor: Any
    moved: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record(self, table: str, ids: Iterable[int], **extra: Any) -> None:
        entry = self.moved.setdefault(table, {"ids": []})
        entry["ids"].extend(int(i) for i in ids)
        for key, value in extra.items():
            entry.setdefault(key, []).extend(value)

    def ids(self, table: str) -> list[int]:
        return list(self.moved.get(table, {}).get("ids", []))
