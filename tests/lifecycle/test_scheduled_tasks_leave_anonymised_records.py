"""No scheduled task writes to what the retention run anonymised. Every writer refuses an anonymised case
or Case Review (``casework.cases.policies.refuse_anonymised``); the beat tasks write with no user behind
them, so each must leave those records alone by itself: anything written after the run would be kept
for ever, and a status changed on an anonymised order (expired on its end date) is a change to a record
that was meant to stay as the run left it.

The test walks every task of the beat schedule (as registered, so a task added later is walked too)
over a case and its Case Review anonymised while an order on the case was still in force, on a day
after that order's end date, and compares every row of them before and after."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.extensions import db
from tests.lifecycle.planting import CLOSING, plant

#: The live order's end: after the retention run (7 years after the closure), before the tasks run.
ORDER_ENDS_ON = date(2035, 6, 30)
#: The retention run, then the day the scheduled tasks are walked (after the order's end).
RETENTION_RUN = CLOSING + timedelta(days=7 * 366)
TASKS_RUN = datetime(2035, 7, 2, 3, 0, tzinfo=UTC)


def _rows_of(case_id: int, application_id: int) -> dict[tuple[str, Any], dict[str, Any]]:
    """Every row of the case and the application, and of what hangs from them (followed by foreign
    key, to any depth), and the deadlines and audit entries about any of those rows: ``(table, primary
    key) -> the row's values``."""
    tables = db.metadata.sorted_tables
    tracked: dict[str, set[Any]] = {"cases": {case_id}, "trigger_applications": {application_id}}
    grown = True
    while grown:
        grown = False
        for table in tables:
            if "id" not in table.c:
                continue
            for column in table.c:
                for key in column.foreign_keys:
                    target = key.column.table.name
                    if key.column.name != "id" or not tracked.get(target):
                        continue
                    found = set(db.session.scalars(sa.select(table.c.id).where(column.in_(sorted(tracked[target])))))
                    if not found <= tracked.setdefault(table.name, set()):
                        tracked[table.name] |= found
                        grown = True
    rows: dict[tuple[str, Any], dict[str, Any]] = {}
    for table in tables:
        if "id" in table.c and tracked.get(table.name):
            for row in db.session.execute(sa.select(table).where(table.c.id.in_(sorted(tracked[table.name])))):
                rows[(table.name, row.id)] = dict(row._mapping)
    about = [(name, str(i)) for name, ids in tracked.items() for i in ids]
    by_subject = db.metadata.tables["deadlines"]
    for row in db.session.execute(
        sa.select(by_subject).where(
            sa.tuple_(by_subject.c.subject_type, sa.cast(by_subject.c.subject_id, sa.String)).in_(about)
        )
    ):
        rows[("deadlines", row.id)] = dict(row._mapping)
    entries = db.metadata.tables["audit_entries"]
    for row in db.session.execute(
        sa.select(entries).where(sa.tuple_(entries.c.object_type, entries.c.object_id).in_(about))
    ):
        rows[("audit_entries", row.id)] = dict(row._mapping)
    return rows


def test_no_scheduled_task_writes_to_an_anonymised_case_or_case_review(app, world, api_client, make, monkeypatch):
    from casework.cases.models import Case
    from casework.community_triggers.models import TriggerApplication
    from casework.core.registry import registry
    from casework.data_protection.tasks import apply_retention
    from casework.interventions.models import Intervention, InterventionStatus

    planted = plant(world, api_client, make)
    # An injunction on the case still in force when the case is anonymised (its end date is later).
    case = db.session.get(Case, planted.case_id)
    order = Intervention(
        case_id=case.id,
        kind="civil_injunction",
        subject_person_id=planted.perpetrator_id,
        issuing_agency_id=world.council.id,
        issued_on=date(2027, 1, 19),
        ends_on=ORDER_ENDS_ON,
        prohibitions="Not to enter Elm Road",
    )
    db.session.add(order)
    db.session.commit()
    order_id = order.id

    with time_machine.travel(RETENTION_RUN, tick=False):
        apply_retention()
    db.session.expire_all()
    assert db.session.get(Case, planted.case_id).anonymised_at is not None
    assert db.session.get(TriggerApplication, planted.application_id).anonymised_at is not None
    assert db.session.get(Intervention, order_id).status == InterventionStatus.issued

    before = _rows_of(planted.case_id, planted.application_id)
    assert ("interventions", order_id) in before
    tasks = app.extensions["celery"].tasks
    # The broker's own pruning reads where the broker is (none in the tests): it touches no record.
    monkeypatch.setitem(app.config, "BROKER_URL", app.config.get("BROKER_URL") or "memory://")
    walked = sorted(registry(app).beat_schedule)
    with time_machine.travel(TASKS_RUN, tick=False):
        for name in walked:
            tasks[name].run()
            db.session.rollback()
    db.session.expire_all()
    after = _rows_of(planted.case_id, planted.application_id)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert not changed, {key: (before.get(key), after.get(key)) for key in sorted(changed, key=str)}
    assert "interventions.expire" in walked
