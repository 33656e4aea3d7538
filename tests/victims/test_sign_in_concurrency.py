"""The hourly cap on sign-in messages holds when two sends for one victim page run at once
(PostgreSQL, real transactions on two connections)."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.cases.models import Person
from casework.core.tasks_outbox import PendingTask
from casework.core.time import now
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.victims import services, tasks
from casework.victims.models import SignInKind, VictimAccess, VictimSignIn

MOBILE = "07700900457"


@pytest.mark.postgresql_only  # SQLite serialises the sends already: a task's transaction begins with BEGIN IMMEDIATE
def test_two_sends_at_once_keep_to_three_messages_an_hour(app):
    """Two messages were sent this hour. Send A has counted them (two: under the cap) and not yet sent
    when send B starts. B either finishes (it did not wait for A) or waits for A; then A goes on. Only
    one of them may send: three in the hour, not four."""
    with app.app_context():
        engine = db.engine
        with Session(engine) as setup:
            # The sends queue their messages' tasks for real: removed at the end, or a later test that
            # counts the queue (the partnership report's) would find them.
            last_task = setup.scalar(sa.select(sa.func.coalesce(sa.func.max(PendingTask.id), 0)))
            person = Person(name="Vic Concurrent", normalised_name="vic concurrent")
            setup.add(person)
            setup.flush()
            access = VictimAccess(person_id=person.id, mobile=MOBILE, contact_checked_on=date.today())
            setup.add(access)
            setup.flush()
            for _ in range(services.SENDS_PER_HOUR - 1):
                setup.add(
                    VictimSignIn(
                        access_id=access.id,
                        kind=SignInKind.code,
                        secret_digest=secrets.token_hex(32),
                        created_at=now(),
                        expires_at=now() + timedelta(minutes=10),
                    )
                )
            setup.commit()
            access_id, person_id = access.id, person.id
        reference = services.mobile_reference(MOBILE)

    a_counted = threading.Event()
    a_may_go_on = threading.Event()
    b_finished = threading.Event()
    sent: dict[str, int] = {}
    errors: list[BaseException] = []
    a_thread: list[int] = []

    def a_pauses_after_counting(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() in a_thread and "count(victim_sign_ins.id)" in statement:
            a_counted.set()
            a_may_go_on.wait(30)

    def send(name: str) -> None:
        try:
            with app.app_context():
                sent[name] = tasks.send_sign_in(SignInKind.code.value, reference, f"concurrency-{name}")
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            if name == "b":
                b_finished.set()

    def a() -> None:
        a_thread.append(threading.get_ident())
        send("a")

    sa.event.listen(engine, "after_cursor_execute", a_pauses_after_counting)
    try:
        first = threading.Thread(target=a)
        first.start()
        assert a_counted.wait(30), "send A did not count"
        second = threading.Thread(target=send, args=("b",))
        second.start()
        # Until B has finished or is waiting for a lock A holds (polled: no time is asserted).
        with engine.connect() as watch:
            for _ in range(600):
                if b_finished.is_set():
                    break
                waiting = watch.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()"
                        " AND locktype IN ('tuple', 'transactionid')"
                    )
                )
                watch.rollback()
                if waiting:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("send B neither finished nor waited")
        a_may_go_on.set()
        first.join(30)
        second.join(30)
        assert not errors
        with Session(engine) as check:
            messages = check.scalar(
                sa.select(sa.func.count(VictimSignIn.id)).where(
                    VictimSignIn.access_id == access_id, VictimSignIn.created_at >= now() - timedelta(hours=1)
                )
            )
        assert sent == {"a": 1, "b": 0}
        assert messages == services.SENDS_PER_HOUR
    finally:
        a_may_go_on.set()
        sa.event.remove(engine, "after_cursor_execute", a_pauses_after_counting)
        with engine.begin() as connection:
            connection.execute(
                sa.delete(OutboxEmail.__table__).where(OutboxEmail.idempotency_key.like("%concurrency-%"))
            )
            connection.execute(sa.delete(PendingTask.__table__).where(PendingTask.id > last_task))
            connection.execute(sa.delete(VictimSignIn.__table__).where(VictimSignIn.access_id == access_id))
            connection.execute(sa.delete(VictimAccess.__table__).where(VictimAccess.id == access_id))
            connection.execute(sa.delete(Person.__table__).where(Person.id == person_id))
