"""The hourly cap on sign-in messages holds when two sends for one victim page run at once
(PostgreSQL, real transactions on two connections)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

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
from tests.support.concurrency import at_once

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

    def send(name: str) -> int:
        with app.app_context():
            return tasks.send_sign_in(SignInKind.code.value, reference, f"concurrency-{name}")

    try:
        # Send A stops once it has counted the messages of the hour, inside its transaction.
        answers = at_once(
            app, lambda: send("a"), lambda: send("b"), lambda statement: "count(victim_sign_ins.id)" in statement
        )
        with Session(engine) as check:
            messages = check.scalar(
                sa.select(sa.func.count(VictimSignIn.id)).where(
                    VictimSignIn.access_id == access_id, VictimSignIn.created_at >= now() - timedelta(hours=1)
                )
            )
        assert answers == [1, 0]
        assert messages == services.SENDS_PER_HOUR
    finally:
        with engine.begin() as connection:
            connection.execute(
                sa.delete(OutboxEmail.__table__).where(OutboxEmail.idempotency_key.like("%concurrency-%"))
            )
            connection.execute(sa.delete(PendingTask.__table__).where(PendingTask.id > last_task))
            connection.execute(sa.delete(VictimSignIn.__table__).where(VictimSignIn.access_id == access_id))
            connection.execute(sa.delete(VictimAccess.__table__).where(VictimAccess.id == access_id))
            connection.execute(sa.delete(Person.__table__).where(Person.id == person_id))
