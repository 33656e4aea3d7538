"""Closing a case settles its open work in every domain: ordinary actions and
deadlines are cancelled with the reason recorded, or handed over as the officer chooses; statutory
deadlines (a Case Review's actions, court hearings, order reviews) are always handed over; and
nothing else of the closed case is reminded or escalated, whatever a domain did or forgot."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.cases.models import Action, ActionStatus, Case, CaseStatus
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders import tasks
from casework.reminders.models import Deadline, DeadlineStatus
from tests.support.case_review import recommendation_on_the_case

#: After the test world was made (its case is opened "now", by the database clock).
TODAY = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel(TODAY, tick=False):
        yield


def action(world: Any, api_client: Any, description: str, due_on: str = "2027-03-03", assignee: Any = None) -> int:
    response = api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/actions",
        json={
            "description": description,
            "agency_code": "BDC",
            "assignee_id": (assignee or world.officer).id,
            "due_on": due_on,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def closure_notice(world: Any, api_client: Any) -> int:
    response = api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={
            "kind": "closure_notice",
            "issued_on": "2027-03-01",
            "issued_at": "2027-03-01T10:00:00+00:00",
            "location": "12 High Street",
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def warning(world: Any, api_client: Any) -> int:
    response = api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={"kind": "cpw", "subject_person_id": world.adult.id, "issued_on": "2027-02-25", "comply_by": "2027-03-10"},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def deadline_of(subject_type: str, subject_id: int, kind: str | None = None) -> Deadline:
    db.session.expire_all()
    query = sa.select(Deadline).where(Deadline.subject_type == subject_type, Deadline.subject_id == subject_id)
    if kind:
        query = query.where(Deadline.kind == kind)
    return db.session.scalars(query).one()


def sweep_15_days_later() -> dict[str, int]:
    # The test's own session may hold a SAVEPOINT opened before the requests ran inside it; the sweep
    # starts with a rollback, so settle it first (in production each request commits on its own).
    db.session.commit()
    with time_machine.travel(TODAY + timedelta(days=15), tick=False):
        return tasks.sweep.run()


def close(world: Any, api_client: Any, user: Any = None, **extra: Any) -> Any:
    return api_client(user or world.officer).post(
        f"/api/v1/cases/{world.case.id}/close", json={"reason": "Perpetrator moved away", **extra}
    )


def test_closing_with_only_a_reason_cancels_ordinary_work_and_hands_over_statutory(world, api_client):
    ordinary = action(world, api_client, "Visit the neighbours")
    statutory = recommendation_on_the_case(world, agency=world.council, assignee=world.officer)
    notice = closure_notice(world, api_client)
    cpw = warning(world, api_client)

    response = close(world, api_client)
    assert response.status_code == 200, response.get_json()

    db.session.expire_all()
    cancelled = db.session.get(Action, ordinary)
    assert cancelled.status == ActionStatus.cancelled
    assert cancelled.outcome == "Cancelled when the case was closed: Perpetrator moved away"
    assert deadline_of("actions", ordinary).status == DeadlineStatus.cancelled
    assert deadline_of("interventions", cpw, "intervention.comply_by").status == DeadlineStatus.cancelled

    kept = db.session.get(Action, statutory.id)
    assert kept.status == ActionStatus.open
    handed = deadline_of("actions", statutory.id)
    assert (handed.status, handed.owner_id) == (DeadlineStatus.open, world.officer.id)
    assert handed.handed_over_at is not None
    hearing = deadline_of("interventions", notice, "intervention.hearing_by")
    assert (hearing.status, hearing.is_statutory) == (DeadlineStatus.open, True)
    assert hearing.handed_over_at is not None


def test_a_closed_case_with_an_action_due_gets_no_reminder_or_escalation_15_days_later(world, api_client):
    ordinary = action(world, api_client, "Visit the neighbours", due_on="2027-03-03")
    assert close(world, api_client).status_code == 200
    counts = sweep_15_days_later()
    assert counts == {"reminded": 0, "reminders_queued": 0, "escalated": 0, "escalations_queued": 0}
    db.session.expire_all()
    about = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key.like("%:%"))).all()
    assert [e for e in about if e.idempotency_key.startswith(("reminder:", "escalation:"))] == []
    assert deadline_of("actions", ordinary).reminder_sent_at is None


def test_a_reminder_waiting_for_the_mail_server_is_not_sent_once_the_case_is_closed(world, api_client, mail_to_smtp):
    """The sweep queued it before the closure; the server was down, so it was still waiting when the
    case closed. When the server is back it is withdrawn, not sent (``notifications.tasks``)."""
    from casework.notifications.tasks import WITHDRAWN, send_email

    ordinary = action(world, api_client, "Visit the neighbours", due_on="2027-03-03")
    mail_to_smtp.stop()
    db.session.commit()
    with time_machine.travel(TODAY + timedelta(days=1), tick=False):
        assert tasks.sweep.run()["reminders_queued"] == 1
    db.session.expire_all()
    [waiting] = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key.startswith("reminder:")))
    assert (waiting.related_id, waiting.sent_at) == (deadline_of("actions", ordinary).id, None)
    assert close(world, api_client).status_code == 200
    mail_to_smtp.start()
    send_email.apply(args=(waiting.id,))
    db.session.expire_all()
    withdrawn = db.session.get(OutboxEmail, waiting.id)
    assert mail_to_smtp.messages == []
    assert (withdrawn.sent_at, withdrawn.last_error.startswith(WITHDRAWN)) == (None, True)


def test_the_sweep_skips_a_closed_cases_deadline_even_if_left_open(world, api_client):
    """The join, not a domain's receiver, is what guarantees it: a deadline row left open on a closed
    case (a domain that forgot) is neither reminded nor escalated; a statutory one still is."""
    from casework.reminders.services import set_deadline

    forgotten = set_deadline(
        subject_type="test_subjects",
        subject_id=1,
        kind="test.due",
        title="Forgotten work",
        due=date(2027, 3, 3),
        owner_id=world.officer.id,
        case_id=world.case.id,
    )
    hearing = set_deadline(
        subject_type="test_subjects",
        subject_id=2,
        kind="test.hearing",
        title="Hearing",
        due=date(2027, 3, 3),
        owner_id=world.officer.id,
        case_id=world.case.id,
        is_statutory=True,
    )
    db.session.execute(sa.update(Case).where(Case.id == world.case.id).values(status=CaseStatus.closed))
    db.session.commit()
    counts = sweep_15_days_later()
    assert (counts["reminded"], counts["escalated"]) == (1, 1)  # the hearing's
    db.session.expire_all()
    assert db.session.get(Deadline, forgotten.id).reminder_sent_at is None
    assert db.session.get(Deadline, forgotten.id).escalation_sent_at is None
    assert db.session.get(Deadline, hearing.id).escalation_sent_at is not None


def test_a_handed_over_action_stays_due_with_its_new_owner(world, api_client):
    kept = action(world, api_client, "Finish the mediation")
    dropped = action(world, api_client, "Visit the neighbours")
    response = close(world, api_client, handover_to_email=world.colleague.email, hand_over_action_ids=[kept])
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    handed = db.session.get(Action, kept)
    assert (handed.status, handed.assignee_id) == (ActionStatus.open, world.colleague.id)
    row = deadline_of("actions", kept)
    assert (row.status, row.owner_id) == (DeadlineStatus.open, world.colleague.id)
    assert db.session.get(Action, dropped).status == ActionStatus.cancelled
    counts = sweep_15_days_later()
    assert (counts["reminded"], counts["escalated"]) == (1, 1)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"hand_over_action_ids": [999999]}, "hand_over_action_ids"),
        ({"handover_to_email": "nobody@example.org"}, "handover_to_email"),
    ],
)
def test_a_bad_handover_is_refused_and_nothing_changes(world, api_client, extra, field):
    ordinary = action(world, api_client, "Visit the neighbours")
    if "hand_over_action_ids" in extra:
        extra = {**extra, "handover_to_email": world.colleague.email}
    response = close(world, api_client, **extra)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    db.session.expire_all()
    assert db.session.get(Case, world.case.id).status == CaseStatus.open
    assert db.session.get(Action, ordinary).status == ActionStatus.open


def test_handing_over_without_naming_who_takes_over_is_refused(world, api_client):
    ordinary = action(world, api_client, "Visit the neighbours")
    response = close(world, api_client, hand_over_action_ids=[ordinary])
    assert response.status_code == 422
    assert "handover_to" in response.get_json()["errors"]


def test_the_close_page_lets_the_officer_choose_for_each_action(world, api_client, page_client):
    kept = action(world, api_client, "Finish the mediation")
    dropped = action(world, api_client, "Visit the neighbours")
    recommendation_on_the_case(world, agency=world.council, assignee=world.officer)
    client = page_client(world.officer)
    page = client.get(f"/cases/{world.case.id}/close")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Finish the mediation" in html
    assert "Fit a noise monitor" in html
    assert "handed over, never cancelled" in html
    response = client.post(
        f"/cases/{world.case.id}/close",
        data={
            "reason": "Resolved",
            "version": str(db.session.get(Case, world.case.id).version),
            f"action_{kept}": "hand_over",
            f"action_{dropped}": "cancel",
            "handover_to": str(world.colleague.id),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Action, kept).assignee_id == world.colleague.id
    assert db.session.get(Action, dropped).status == ActionStatus.cancelled
    statutory = db.session.scalar(sa.select(Action).where(Action.recommendation_id.is_not(None)))
    assert (statutory.assignee_id, statutory.status) == (world.colleague.id, ActionStatus.open)


def test_reopening_rearms_what_is_still_to_come_but_cancelled_work_stays_cancelled(world, api_client):
    from casework.risk.services import REVIEW_KIND

    ordinary = action(world, api_client, "Visit the neighbours")
    cpw = warning(world, api_client)
    from tests.support.risk_answers import ALL_NO

    assessed = api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/risk-assessments",
        json={"answers": {**ALL_NO, "threats_of_violence": "yes"}},
    )
    assert assessed.status_code == 201, assessed.get_json()
    assert close(world, api_client).status_code == 200
    assert deadline_of("cases", world.case.id, REVIEW_KIND).status == DeadlineStatus.cancelled
    response = api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/reopen", json={"reason": "The perpetrator came back"}
    )
    assert response.status_code == 200, response.get_json()
    assert deadline_of("cases", world.case.id, REVIEW_KIND).status == DeadlineStatus.open
    assert deadline_of("interventions", cpw, "intervention.comply_by").status == DeadlineStatus.open
    assert db.session.get(Action, ordinary).status == ActionStatus.cancelled
