"""The broker is down: nothing committed is answered with a 500, and every task runs once it is back.

A real Redis server (this test's own, stopped and started again on the same port), a real Celery
worker process, and a committed database (SQLite file or PostgreSQL). Twenty Case Review applications
are posted through the API while Redis is down: each answers 201 and writes its notification emails
and their task messages with it. When Redis returns, the relay (what the beat tick runs) hands the
messages over and the worker sends every email exactly once, including messages that a relay
"crashed" on: published to the broker but never marked as relayed, so published a second time.
"""

from __future__ import annotations

import time
from datetime import date

import pytest
import sqlalchemy as sa

from casework.core.db import commit
from casework.extensions import db
from tests.notifications.committed import (
    WorkerProcess,
    committed_app,
    committed_database,
    environment,
    settings,
    wait_until,
)

pytestmark = pytest.mark.celery_worker

APPLICATIONS = 20


def _world(app) -> str:
    from casework.accounts.models import Agency, AgencyKind, Area, User
    from casework.accounts.passwords import hash_password
    from casework.accounts.services import issue_token

    with app.app_context():
        area = Area(code="BOL", name="Bolsover")
        council = Agency(code="BDC", name="Bolsover District Council", kind=AgencyKind.council, areas=[area])
        police = Agency(code="DERPOL", name="Derbyshire Police", kind=AgencyKind.police, areas=[area])
        coordinator = User(
            email="coordinator@bdc.example",
            name="Cora Coordinator",
            password_hash=hash_password("x" * 16),
            agency=council,
        )
        coordinator.roles = ["coordinator"]
        police_manager = User(
            email="manager@police.example", name="Pat Manager", password_hash=hash_password("x" * 16), agency=police
        )
        police_manager.roles = ["manager"]
        db.session.add_all([area, council, police, coordinator, police_manager])
        db.session.flush()
        token, _ = issue_token(coordinator, 1)
        commit()
        return token


def _body(number: int) -> dict:
    today = date.today()
    day = today.replace(day=1) if today.day > 1 else today
    return {
        "area_code": "BOL",
        "received_on": today.isoformat(),
        "channel": "phone",
        "applicant": {"name": f"Applicant {number}", "email": f"applicant{number}@example.org", "phone": None},
        "applicant_role": "victim",
        "consent_given": False,
        "description": "Noise from the flat upstairs.",
        "case_ids": [],
        "complaints": [
            {"occurred_on": day.isoformat(), "reported_on": day.isoformat(), "agency_code": "BDC", "reference": "L1"}
        ],
    }


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_applications_posted_while_the_broker_is_down_are_all_saved_and_each_processed_once(
    backend, tmp_path, request, restartable_redis, smtp_server
):
    from casework.community_triggers.models import TriggerApplication
    from casework.core import tasks_outbox
    from casework.core.tasks_outbox import PendingTask
    from casework.notifications.models import OutboxEmail

    postgresql_url = request.getfixturevalue("postgresql_url") if backend == "postgresql" else None
    extra = {
        "BROKER_URL": restartable_redis.url,
        "SMTP_HOST": smtp_server.host,
        "SMTP_PORT": smtp_server.port,
        "EMAIL_RETRY_SECONDS": 0.5,
        "BASE_URL": "http://casework.example",
    }
    with committed_database(backend, tmp_path, postgresql_url) as url, committed_app(url, tmp_path, **extra) as app:
        token = _world(app)
        client = app.test_client()

        restartable_redis.pause()  # the broker goes down
        started = time.monotonic()
        answers = [
            client.post("/api/v1/triggers", json=_body(n), headers={"Authorization": f"Bearer {token}"})
            for n in range(APPLICATIONS)
        ]
        elapsed = time.monotonic() - started
        assert [a.status_code for a in answers] == [201] * APPLICATIONS, [
            a.get_json() for a in answers if a.status_code != 201
        ]
        assert len({a.get_json()["id"] for a in answers}) == APPLICATIONS
        assert elapsed < APPLICATIONS * 5, f"requests waited on the dead broker ({elapsed:.1f}s)"

        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(TriggerApplication)) == APPLICATIONS
            emails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))
            # The notice to each agency's notified person (s.104(3)), and the applicant's confirmation
            # (sent whatever the channel the application came by: one code path per step).
            assert emails == 3 * APPLICATIONS
            waiting = db.session.scalars(sa.select(PendingTask).where(PendingTask.relayed_at.is_(None))).all()
            assert len(waiting) == emails, "every email's send is a task message waiting for the broker"
            assert all(row.last_error for row in waiting[:1]), "the failed hand-over is recorded"
            crashed = [(row.task_name, list(row.args), row.celery_task_id) for row in waiting[:3]]
        assert smtp_server.messages == []

        restartable_redis.resume()  # the broker is back
        worker = WorkerProcess(environment(settings(url, tmp_path, **extra)), tmp_path / "worker.log", "outage").start()
        try:
            with app.app_context():
                # A relay that crashed after publishing these three and before marking them: the
                # messages are on the broker, the rows still say "waiting", so they go again.
                for message in crashed:
                    tasks_outbox.publish(*message)
                from casework.tasks.relay import relay_pending

                assert relay_pending.run() == emails  # the beat tick's work

            def all_sent() -> bool:
                with app.app_context():
                    unsent = db.session.scalar(
                        sa.select(sa.func.count()).select_from(OutboxEmail).where(OutboxEmail.sent_at.is_(None))
                    )
                    db.session.rollback()
                    return unsent == 0

            wait_until(all_sent, 120, f"not every email was sent:\n{worker.log()}", interval=0.5)
            time.sleep(3)  # any duplicate delivery would arrive by now
        finally:
            worker.stop()

        assert len(smtp_server.messages) == emails, "an email was sent twice or not at all"
        message_ids = [m["Message-ID"] for m in smtp_server.messages]
        assert len(set(message_ids)) == emails
        # Each application's s.104(3) notice reached each notified person once, and its confirmation the
        # applicant.
        subjects = sorted(
            (envelope[1][0], m["Subject"])
            for envelope, m in zip(smtp_server.envelopes, smtp_server.messages, strict=True)
        )
        references = sorted(a.get_json()["reference"] for a in answers)
        applicants = {a.get_json()["reference"]: a.get_json()["applicant"]["email"] for a in answers}
        expected = sorted(
            [
                (to, f"Case review application {reference} received")
                for reference in references
                for to in ("coordinator@bdc.example", "manager@police.example")
            ]
            + [(applicants[reference], f"Your ASB Case Review application {reference}") for reference in references]
        )
        assert subjects == expected
        with app.app_context():
            assert tasks_outbox.waiting() == 0
            assert db.session.scalar(sa.select(sa.func.count()).select_from(TriggerApplication)) == APPLICATIONS
