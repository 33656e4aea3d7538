"""Each domain registers itself once, through its ``init_app``, called from ``casework.app.DOMAINS``.

An app built from scratch has every domain's blueprints, settings, tasks and beat entries, demo data,
case record sections, dashboard panels and signal receivers; nothing depends on a module having been
imported first, and no import is kept only for its side effects.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from casework.app import DOMAINS, create_app
from casework.core.registry import registry

PACKAGE = Path(__file__).resolve().parent.parent / "casework"

#: What each domain brings. A domain added to DOMAINS must be added here too (the test below says so).
EXPECTED = {
    "tasks": {"tasks": {"tasks.relay_pending", "tasks.prune_broker", "tasks.cut_sqlite_wal"}},
    "core": {"blueprints": {"public.health"}},
    "accounts": {
        "blueprints": {"staff.accounts", "staff.session", "admin.accounts", "api.accounts"},
        "settings": {"accounts.second_factor_required"},
        "tasks": {"accounts.prune_sessions"},
        "panels": {"admin"},
        "demo": True,
    },
    "about": {"blueprints": {"public.about"}},
    "audit": {"blueprints": {"admin.audit"}},
    "notifications": {"tasks": {"notifications.resend_unsent", "notifications.clean_mail_folder"}},
    "reminders": {
        "blueprints": {"staff.reminders", "api.reminders", "public.calendar"},
        "settings": {"reminder_lead_working_days"},
        "tasks": {"reminders.sweep", "reminders.digest"},
        "panels": {"coordinator", "chair", "partner", "manager"},
    },
    "dashboard": {"blueprints": {"staff.dashboard"}},
    "cases": {
        "blueprints": {"staff.cases", "staff.people", "staff.police_reports", "admin.cases", "api.cases"},
        "settings": {"retention.case_years", "retention.person_years"},
        "panels": {"officer", "partner"},
        "demo": True,
    },
    "risk": {
        "blueprints": {"staff.risk", "admin.risk", "api.risk"},
        "settings": {"risk_review_days_high"},
        "case_sections": {"current_risk"},
    },
    "actions": {
        "blueprints": {"staff.actions", "api.actions"},
        "case_sections": {"actions"},
        "panels": {"manager"},
    },
    "interventions": {
        "blueprints": {"staff.interventions", "api.interventions", "admin.notices"},
        "settings": {"cpn_minimum_age"},
        "tasks": {"interventions.expire"},
        "case_sections": {"interventions"},
        "demo": True,
    },
    "documents": {"blueprints": {"staff.documents", "admin.documents"}, "demo": True},
    "community_triggers": {
        "blueprints": {
            "staff.triggers",
            "staff.reviews",
            "admin.triggers",
            "api.triggers",
            "api.trigger_reviews",
            "public.triggers",
        },
        "settings": {"automatic_count"},
        "tasks": {"community_triggers.close_expired_appeal_windows"},
        "panels": {"coordinator", "chair"},
        "demo": True,
    },
    "threshold_watch": {
        "blueprints": {"staff.threshold_watch", "api.threshold_watch"},
        "tasks": {"threshold_watch.nightly_pass"},
        "panels": {"coordinator", "manager"},
        "demo": True,
    },
    "statistics": {
        "blueprints": {"staff.statistics", "admin.statistics", "api.statistics", "public.statistics"},
        "settings": {"statistics.reporting_period_months"},
        "tasks": {"statistics.compile_ended_periods"},
        "panels": {"manager"},
        "demo": True,
    },
    "reports": {"blueprints": {"staff.reports", "api.reports"}, "demo": True},
    "data_protection": {
        "blueprints": {"staff.data_protection", "api.data_protection"},
        "tasks": {"data_protection.apply_retention"},
        "panels": {"dpo"},
        "demo": True,
    },
    "spreadsheets": {
        "blueprints": {"staff.spreadsheets"},
        "tasks": {"spreadsheets.delete_waiting_files"},
        "demo": True,
    },
    "victims": {
        "blueprints": {"staff.victims", "public.victims"},
        "demo": True,
    },
    "tasking": {"blueprints": {"staff.tasking"}, "demo": True},
}


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory):
    from tests.conftest import test_settings

    instance = tmp_path_factory.mktemp("domains")
    return create_app(
        {**test_settings(f"sqlite:///{instance / 'never-opened.sqlite'}", instance), "INSTANCE_PATH": str(instance)}
    )


def test_every_domain_in_the_list_is_described_here():
    assert [name.rpartition(".")[2] for name in DOMAINS] == list(EXPECTED)


def test_each_domain_registers_once_in_the_order_of_the_list(fresh_app):
    assert registry(fresh_app).domains == list(EXPECTED)


@pytest.mark.parametrize("domain", list(EXPECTED))
def test_a_fresh_app_has_everything_each_domain_registers(fresh_app, domain):
    found = registry(fresh_app)
    expected = EXPECTED[domain]
    assert expected.get("blueprints", set()) <= set(fresh_app.blueprints)
    for audience, children in found.blueprints.items():
        for owner, bp in children:
            assert f"{audience}.{bp.name}" in fresh_app.blueprints, (owner, bp.name)
    assert expected.get("settings", set()) <= set(found.settings)
    for task in expected.get("tasks", set()):
        assert task in fresh_app.extensions["celery"].tasks or task in found.beat_schedule
    assert {t for t in expected.get("tasks", set()) if t in found.beat_schedule} == expected.get("tasks", set())
    assert set(fresh_app.extensions["celery"].conf.beat_schedule) == set(found.beat_schedule)
    for key in expected.get("case_sections", set()):
        assert key in found.case_api_sections
        assert any(s.domain == domain for s in found.case_page_sections)
    panels = {
        role
        for role, fns in found.dashboard_panels.items()
        if any(f.__module__.startswith(f"casework.{domain}") for f in fns)
    }
    assert expected.get("panels", set()) <= panels
    assert any(owner == domain for owner, _ in found.demo_loaders) == expected.get("demo", False)


def test_demo_data_loads_accounts_first(fresh_app):
    owners = [owner for owner, _ in registry(fresh_app).demo_loaders]
    assert owners[0] == "accounts"  # the first domain with demo data
    assert owners == sorted(owners, key=list(EXPECTED).index)


def test_every_demo_loader_is_registered(fresh_app):
    """A ``load_*`` function in a demo module that no ``init_app`` registers would never run."""
    import importlib

    registered = {fn for _domain, fn in registry(fresh_app).demo_loaders}
    for path in [*sorted(PACKAGE.glob("*/demo.py")), PACKAGE / "demo" / "data.py"]:
        module = importlib.import_module(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        loaders = {getattr(module, name) for name in vars(module) if name.startswith("load_")}
        loaders = {fn for fn in loaders if callable(fn) and fn.__module__ == module.__name__}
        assert loaders <= registered, f"{module.__name__}: {sorted(f.__name__ for f in loaders - registered)}"


def test_the_letters_follow_the_case_review_signals(fresh_app):
    from casework.community_triggers import letters, signals

    for signal, receiver in (
        (signals.application_acknowledged, letters._on_acknowledged),
        (signals.threshold_decided, letters._on_threshold_decided),
        (signals.meeting_arranged, letters._on_meeting_arranged),
        (signals.application_received, letters._on_received),
        (signals.meeting_updated, letters._on_meeting_updated),
        # The outcome letter follows the coordinator's confirmation that the review is complete,
        # never the chair's recording of the outcome.
        (signals.review_completed, letters._on_review_completed),
        (signals.appeal_decided, letters._on_appeal_decided),
    ):
        # Any application is a sender of these signals: the receivers are connected for every sender.
        assert receiver in list(signal.receivers_for(object()))


def test_a_domain_registers_only_once_per_app(fresh_app):
    from casework.core.registry import register_domain

    with pytest.raises(RuntimeError):
        register_domain(fresh_app, "cases")


def _side_effect_imports() -> list[str]:
    """Imports marked as unused (``noqa: F401``) anywhere in the package: an import kept only for what
    importing does. The one allowed is a probe for whether an optional library can be loaded."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "noqa" in line and "F401" in line and "import weasyprint" not in line:
                found.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    return found


def test_no_import_is_kept_for_its_side_effects():
    assert _side_effect_imports() == []


def test_no_module_level_registry_is_filled_at_import():
    """Registrations go through ``casework.core.registry`` (per app), not module-level decorators."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            # A bare call at module level (``register(...)``, ``periodic(...)``, ``panel(...)(fn)``).
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            # A module-level loop registering things.
            if isinstance(node, ast.For):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            # A receiver connected by decorating it (``@signal.connect``, ``@signal.connect_via(...)``):
            # connected at import, whichever app is built; domains connect theirs in ``init_app``.
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if isinstance(target, ast.Attribute) and target.attr.startswith("connect"):
                        offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_a_withdrawn_application_closes_its_pcc_review_request(fresh_app):
    from casework.community_triggers import signals
    from casework.community_triggers.pcc_review import services as pcc_review_services

    assert pcc_review_services.on_withdrawn in list(signals.application_withdrawn.receivers_for(object()))


def test_every_spreadsheet_import_and_export_is_registered_by_its_domain(fresh_app):
    """A kind of import or a list declared in a domain's ``spreadsheets`` module that its ``init_app``
    does not register would be missing from the imports pages and the downloads."""
    import importlib

    found = registry(fresh_app)
    modules = sorted(PACKAGE.glob("*/spreadsheets.py"))
    assert modules
    for path in modules:
        module = importlib.import_module(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        for kind in getattr(module, "IMPORTS", ()):
            assert found.import_kinds.get(kind.key) is kind, (module.__name__, kind.key)
        for export in getattr(module, "EXPORTS", ()):
            assert found.export_lists.get(export.key) is export, (module.__name__, export.key)


def test_the_case_review_declares_the_records_read_by_the_settings_of_their_day(fresh_app):
    from casework.community_triggers.settings import applications_received_since

    assert registry(fresh_app).dated_records == [applications_received_since]
