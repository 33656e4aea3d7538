"""On SQLite, the task outbox's relay holds no write lock while the broker answers, and still hands each
message over once (and again only when a relay died before marking it).

The broker is made slow by a ``before_task_publish`` receiver that holds the publish until the test
lets it go, so the relay is mid-publish while the test writes from a connection of its own. The app
has a SQLite file of its own (the suite's test transaction is one connection, which nothing else can
see).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from celery.signals import before_task_publish

from casework.core.db import commit
from casework.extensions import db
from tests.notifications.committed import ROOT, committed_app, committed_database, environment, settings
from tests.support.held_work import another_connection_takes_the_write_lock, started_in_the_app

#: A guard against a hang, not a measure: nothing here should take more than a moment.
HANG = 120


class SlowBroker:
    """Holds the first ``hold`` publishes until ``release`` is set; counts every publish by task id."""

    def __init__(self, hold: int = 1) -> None:
        self.hold = hold
        self.holding = threading.Event()
        self.release = threading.Event()
        self.published: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, sender: Any = None, headers: dict | None = None, **_kwargs: Any) -> None:
        with self._lock:
            self.published.append((headers or {}).get("id", ""))
            held = len(self.published) <= self.hold
        if held:
            self.holding.set()
            self.release.wait(HANG)


@pytest.fixture
def slow_broker() -> Iterator[SlowBroker]:
    broker = SlowBroker()
    before_task_publish.connect(broker, weak=False)
    try:
        yield broker
    finally:
        broker.release.set()
        before_task_publish.disconnect(broker)


@pytest.fixture
def app_on_a_file(tmp_path) -> Iterator[tuple[Any, str]]:
    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path) as app:
        yield app, url


def _waiting_message(app) -> int:
    """A message whose after-commit relay found the broker down: written, not yet handed over."""
    from casework.core.tasks_outbox import PendingTask

    with app.app_context():
        row = PendingTask(task_name="notifications.send_email", args=[1])
        db.session.add(row)
        commit()
        row_id = row.id
        db.session.remove()
        return row_id


def _relay(app, results: list[Any]) -> threading.Thread:
    from casework.tasks.relay import relay_pending

    return started_in_the_app(app, relay_pending.run, results)


def _row(app, row_id: int) -> sa.Row[Any]:
    from casework.core.tasks_outbox import PendingTask

    with app.app_context():
        row = db.session.execute(
            sa.select(PendingTask.relayed_at, PendingTask.attempts, PendingTask.last_error).where(
                PendingTask.id == row_id
            )
        ).one()
        db.session.remove()
        return row


def test_another_connection_can_write_while_the_broker_holds_the_message(app_on_a_file, slow_broker):
    app, url = app_on_a_file
    row_id = _waiting_message(app)
    results: list[Any] = []
    relay = _relay(app, results)
    try:
        assert slow_broker.holding.wait(HANG), f"the relay never reached the broker: {results}"
        another_connection_takes_the_write_lock(url.removeprefix("sqlite:///"))  # fails if the relay holds it
    finally:
        slow_broker.release.set()
        relay.join(HANG)
    assert results == [1]
    assert slow_broker.published == [f"pending-task-{row_id}"]
    relayed_at, attempts, last_error = _row(app, row_id)
    assert relayed_at is not None
    assert attempts == 1
    assert last_error is None


def test_two_relays_at_once_hand_the_message_over_once(app_on_a_file, slow_broker):
    app, _url = app_on_a_file
    row_id = _waiting_message(app)
    results: list[Any] = []
    first = _relay(app, results)
    try:
        assert slow_broker.holding.wait(HANG), f"the relay never reached the broker: {results}"
        # The beat's next tick while the first is mid-publish: it leaves the message to the first.
        second = _relay(app, results)
        second.join(HANG)
        assert results == [0]
    finally:
        slow_broker.release.set()
        first.join(HANG)
    assert results == [0, 1]
    assert slow_broker.published == [f"pending-task-{row_id}"]
    # Once marked, a further relay hands nothing over.
    again: list[Any] = []
    _relay(app, again).join(HANG)
    assert again == [0]
    assert len(slow_broker.published) == 1
    assert _row(app, row_id).attempts == 1


_DIE_WHILE_PUBLISHING = """
import os
from celery.signals import after_task_publish
from casework import create_app
from casework.tasks.relay import relay_pending

after_task_publish.connect(lambda **kwargs: os._exit(3), weak=False)
app = create_app({settings!r})
with app.app_context():
    relay_pending.run()
"""


def test_a_relay_that_dies_before_marking_the_message_leaves_it_for_the_next(app_on_a_file, tmp_path):
    app, url = app_on_a_file
    row_id = _waiting_message(app)
    script = _DIE_WHILE_PUBLISHING.format(settings=settings(url, tmp_path))
    died = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment({}),
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    assert died.returncode == 3, died.stderr[-2000:]
    relayed_at, attempts, _error = _row(app, row_id)
    assert relayed_at is None  # published, never marked: the claim alone was committed
    assert attempts == 1
    results: list[Any] = []
    _relay(app, results).join(HANG)  # its lock died with it: the next relay takes the message at once
    assert results == [1]
    relayed_at, attempts, _error = _row(app, row_id)
    assert relayed_at is not None
    assert attempts == 2
