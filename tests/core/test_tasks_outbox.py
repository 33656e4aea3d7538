"""Transactional task enqueue: the intent is a row of the same transaction, relayed after commit.

The worker and broker-outage tests are in ``test_tasks_outbox_worker.py``; these run in-process.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework.core import tasks_outbox
from casework.core.db import commit
from casework.core.tasks_outbox import PendingTask, enqueue
from casework.extensions import db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def published(monkeypatch):
    """What the relay hands to the broker, instead of running it."""
    calls: list[tuple[str, list, str]] = []
    monkeypatch.setattr(tasks_outbox, "publish", lambda name, args, task_id: calls.append((name, args, task_id)))
    return calls


def _rows() -> list[PendingTask]:
    return list(db.session.scalars(sa.select(PendingTask).order_by(PendingTask.id)))


def test_the_message_is_written_with_the_data_and_relayed_after_commit(db_session, published):
    row = enqueue("notifications.send_email", 41)
    db_session.flush()
    assert published == [], "nothing leaves the process before the commit"
    commit()
    assert published == [("notifications.send_email", [41], f"pending-task-{row.id}")]
    [stored] = _rows()
    assert stored.relayed_at is not None
    assert tasks_outbox.relay() == 0, "a relayed message is not handed over again"


def test_a_rolled_back_transaction_leaves_no_message(db_session, published):
    enqueue("notifications.send_email", 1)
    db_session.rollback()
    commit()
    assert published == []
    assert _rows() == []


def test_one_relay_per_transaction_for_all_its_messages(db_session, published):
    enqueue("notifications.send_email", 1)
    enqueue("statistics.compile", 2)
    queued = db_session.info["casework_after_commit"]
    assert len(queued) == 1
    commit()
    assert [(name, args) for name, args, _ in published] == [
        ("notifications.send_email", [1]),
        ("statistics.compile", [2]),
    ]


def test_the_same_key_is_one_message(db_session, published):
    first = enqueue("statistics.compile", 7, key="compile:7")
    second = enqueue("statistics.compile", 7, key="compile:7")
    commit()
    assert first.id == second.id
    assert len(published) == 1
    assert enqueue("statistics.compile", 7, key="compile:7").id == first.id  # also once relayed
    commit()
    assert len(published) == 1


def test_a_broker_that_refuses_never_fails_the_commit_and_the_message_waits(db_session, monkeypatch):
    def refuse(name, args, task_id):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks_outbox, "publish", refuse)
    monkeypatch.setattr(tasks_outbox, "_eager", lambda: False)  # as with a real worker
    enqueue("notifications.send_email", 5)
    commit()  # must not raise: the data is committed
    [row] = _rows()
    assert row.relayed_at is None
    assert "broker down" in row.last_error
    assert tasks_outbox.waiting() == 1

    calls = []
    monkeypatch.setattr(tasks_outbox, "publish", lambda name, args, task_id: calls.append(args))
    from casework.tasks.relay import relay_pending

    assert relay_pending.run() == 1  # the beat tick once the broker is back
    assert calls == [[5]]
    assert tasks_outbox.waiting() == 0


def test_a_relay_stops_at_the_first_refusal_and_keeps_the_order(db_session, monkeypatch):
    monkeypatch.setattr(tasks_outbox, "_eager", lambda: False)
    sent: list[int] = []

    def flaky(name, args, task_id):
        if args == [2]:
            raise OSError("gone")
        sent.append(args[0])

    monkeypatch.setattr(tasks_outbox, "publish", flaky)
    for n in (1, 2, 3):
        enqueue("notifications.send_email", n)
    commit()
    assert sent == [1]
    assert [row.relayed_at is not None for row in _rows()] == [True, False, False]


def test_relayed_rows_are_pruned_after_a_week_and_waiting_ones_never(db_session, published):
    from datetime import timedelta

    from casework.core.time import now

    enqueue("notifications.send_email", 1)
    commit()
    waiting = PendingTask(task_name="notifications.send_email", args=[2])
    db.session.add(waiting)
    db.session.commit()
    assert tasks_outbox.prune(now() + timedelta(seconds=1)) == 1
    assert [row.args for row in _rows()] == [[2]]


def test_the_beat_relays_on_a_short_interval(app):
    from casework.core.registry import registry

    assert registry(app).beat_schedule["tasks.relay_pending"]["schedule"] == tasks_outbox.RELAY_SECONDS <= 60


def test_no_code_publishes_a_task_except_through_the_outbox():
    """Every task message goes through ``enqueue``: ``.delay``/``.apply_async``/``send_task`` appear
    only in the relay, so no request can publish before its commit or fail after it."""
    offenders = []
    for path in sorted((ROOT / "casework").rglob("*.py")):
        if path == ROOT / "casework" / "core" / "tasks_outbox.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.(delay|apply_async|send_task)\(", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
