"""Every domain that holds data about a case or a person receives the lifecycle events that concern
that data (``casework.core.lifecycle``), registered per app by its ``init_app``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.core import lifecycle
from casework.core.registry import registry
from casework.extensions import db

#: Which domains must receive which event (the issue's list, and what each holds).
EXPECTED = {
    lifecycle.case_closed: {"reminders", "actions", "threshold_watch"},
    lifecycle.case_reopened: {"reminders", "risk", "interventions"},
    lifecycle.retention_run: {"community_triggers", "notifications", "cases"},
    lifecycle.case_anonymised: {"cases", "actions", "risk", "interventions", "community_triggers", "reminders"},
    lifecycle.person_anonymised: {"cases", "notifications", "data_protection"},
    lifecycle.records_anonymised: {"audit", "notifications", "spreadsheets", "reminders"},
    lifecycle.person_exported: {
        "cases",
        "actions",
        "risk",
        "interventions",
        "community_triggers",
        "notifications",
        "audit",
        "data_protection",
    },
    lifecycle.person_merged: {"cases", "risk", "interventions", "data_protection"},
    lifecycle.person_unmerged: {"cases", "risk", "interventions", "data_protection"},
    lifecycle.sight_narrowed: {"reminders", "actions"},
    lifecycle.signed_out_everywhere: {"reminders"},
}


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory):
    from casework import create_app
    from tests.conftest import test_settings

    instance = tmp_path_factory.mktemp("lifecycle")
    return create_app(
        {**test_settings(f"sqlite:///{instance / 'never-opened.sqlite'}", instance), "INSTANCE_PATH": str(instance)}
    )


@pytest.mark.parametrize("signal", list(EXPECTED), ids=lambda s: s.name)
def test_each_domain_receives_the_events_about_its_data(fresh_app, signal):
    domains = {domain for domain, _receiver in registry(fresh_app).receivers_of(signal)}
    assert EXPECTED[signal] <= domains


@pytest.mark.parametrize("signal", lifecycle.SIGNALS, ids=lambda s: s.name)
def test_receivers_are_connected_for_that_app_only(fresh_app, signal):
    registered = [receiver for _domain, receiver in registry(fresh_app).receivers_of(signal)]
    connected = list(signal.receivers_for(fresh_app))
    assert sorted(map(id, registered)) == sorted(map(id, connected))
    assert list(signal.receivers_for(object())) == []


def _references(table: sa.Table, targets: set[str], seen: set[str] | None = None) -> bool:
    """Whether ``table`` refers, directly or through other tables, to one of ``targets``."""
    seen = seen or set()
    for fk in table.foreign_keys:
        name = fk.column.table.name
        if name in targets:
            return True
        if name not in seen and name != table.name:
            seen.add(name)
            if _references(fk.column.table, targets, seen):
                return True
    return False


#: Tables that refer to a case or a person but hold nothing personal of their own: ids and flags.
NOTHING_PERSONAL = {"case_shares", "case_access", "case_links", "reference_counters", "trigger_application_cases"}


def test_every_domain_whose_tables_refer_to_a_case_or_a_person_receives_retention_and_export(fresh_app):
    """Generic: a new domain with a table about cases or people is caught without being listed."""
    owners: dict[str, set[str]] = {}
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        if not isinstance(table, sa.Table):
            continue  # a model over a join (the audit log's entries with their values)
        if table.name in NOTHING_PERSONAL or not _references(table, {"cases", "people", "trigger_applications"}):
            continue
        domain = mapper.class_.__module__.split(".")[1]
        owners.setdefault(domain, set()).add(table.name)
    assert {"cases", "risk", "interventions", "community_triggers", "reminders", "data_protection"} <= set(owners)
    found = registry(fresh_app)
    missing = []
    for domain, tables in sorted(owners.items()):
        receives = {s.name for s in lifecycle.SIGNALS if any(d == domain for d, _r in found.receivers_of(s))}
        if not receives & {"case-anonymised", "person-anonymised", "retention-run"}:
            missing.append(f"{domain} ({', '.join(sorted(tables))}): no retention receiver")
        # A merge moves the rows that hold the merged person's id; a row that reaches a person only
        # through another table (a document on an intervention) follows that table's row.
        people_tables = [
            t for t in tables if any(fk.column.table.name == "people" for fk in db.metadata.tables[t].foreign_keys)
        ]
        if people_tables and not {"person-merged", "person-unmerged"} <= receives:
            missing.append(f"{domain} ({', '.join(people_tables)}): no merge receivers")
    assert missing == []
