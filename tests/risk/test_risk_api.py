"""Risk assessments: scoring, bands, forced-high answers, review deadlines, versions, the manager's email."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders.models import Deadline, DeadlineStatus
from casework.risk.models import RiskAssessment
from tests.support.risk_answers import ALL_NO


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


@pytest.fixture
def assess(world: Any, api_client: Any):
    def post(answers: dict[str, str], user: Any = None, case: Any = None, **extra: Any) -> Any:
        return api_client(user or world.officer).post(
            f"/api/v1/cases/{(case or world.case).id}/risk-assessments", json={"answers": answers, **extra}
        )

    return post


def review_deadline(case_id: int) -> Deadline | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Deadline).where(
            Deadline.subject_type == "cases", Deadline.subject_id == case_id, Deadline.kind == "risk.review"
        )
    )


def emails() -> list[OutboxEmail]:
    return list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))


def test_all_no_is_standard_with_no_review(world, assess):
    response = assess(ALL_NO)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["score"], body["band"], body["review_on"]) == (0, "standard", None)
    assert body["questionnaire_version"] == 1
    assert review_deadline(world.case.id) is None


def test_medium_from_8_and_high_from_16(world, assess):
    # repeat 3 + health 3 + children 2 = 8: medium, review in 28 days.
    seven = {**ALL_NO, "repeat_victim": "yes", "health_affected": "yes", "frequency": "monthly"}
    assert assess(seven).get_json()["band"] == "standard"
    eight = {**ALL_NO, "repeat_victim": "yes", "health_affected": "yes", "children_affected": "yes"}
    body = assess(eight).get_json()
    assert (body["score"], body["band"], body["review_on"]) == (8, "medium", "2026-12-21")
    assert review_deadline(world.case.id).due_on == date(2026, 12, 21)
    sixteen = {**eight, "afraid": "yes", "isolated": "yes", "personally_targeted": "yes", "frequency": "weekly"}
    body = assess(sixteen).get_json()
    assert (body["score"], body["band"], body["review_on"]) == (17, "high", "2026-12-07")
    fifteen = {**eight, "afraid": "yes", "isolated": "yes", "personally_targeted": "yes"}
    assert assess(fifteen).get_json()["band"] == "medium"


@pytest.mark.parametrize("question", ["threats_of_violence", "hate_motivated", "vulnerable_victim"])
def test_forcing_answers_make_high_on_their_own(world, assess, question):
    body = assess({**ALL_NO, question: "yes"}).get_json()
    assert body["band"] == "high"
    assert body["forced_high_by"] == [question]
    assert review_deadline(world.case.id).due_on == date(2026, 12, 7)


def test_review_moves_and_closes_with_the_latest_assessment(world, assess):
    assess({**ALL_NO, "threats_of_violence": "yes"})
    assert review_deadline(world.case.id).status == DeadlineStatus.open
    assess(ALL_NO)
    assert review_deadline(world.case.id).status == DeadlineStatus.done
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskAssessment)) == 2


def test_review_interval_is_a_dated_setting(world, assess):
    from casework.accounts.services import update_area_settings

    update_area_settings(None, world.area, {"risk_review_days_high": 7}, date(2026, 11, 1))
    db.session.commit()
    assert assess({**ALL_NO, "hate_motivated": "yes"}).get_json()["review_on"] == "2026-11-30"


def test_missing_or_unknown_answers_write_nothing(world, assess):
    partial = dict(ALL_NO)
    del partial["afraid"]
    response = assess(partial)
    assert response.status_code == 422
    assert "answers.afraid" in response.get_json()["errors"]
    assert assess({**ALL_NO, "afraid": "maybe"}).status_code == 422
    assert assess({**ALL_NO, "made_up": "yes"}).status_code == 422
    assert assess(ALL_NO, assessed_on="2026-11-24").status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskAssessment)) == 0


def test_assessment_for_a_victim_on_the_case(world, assess):
    body = assess({**ALL_NO, "vulnerable_victim": "yes"}, victim_person_id=world.victim.id).get_json()
    assert body["victim_name"] == "Vera Victim"
    assert assess(ALL_NO, victim_person_id=world.adult.id).status_code == 422  # a perpetrator, not a victim


def test_new_high_risk_emails_the_owners_manager_once(world, assess):
    assess({**ALL_NO, "threats_of_violence": "yes"})
    sent = emails()
    assert [e.to_address for e in sent] == ["manager@example.org"]
    assert "BOL-2026-0001" in sent[0].subject
    assess({**ALL_NO, "threats_of_violence": "yes", "afraid": "yes"})  # still high: not new
    assert len(emails()) == 1


def test_the_high_risk_email_names_a_restricted_case_only_to_a_manager_named_on_it(world, assess, page_client):
    """The owner's manager, not named on a restricted case, is told that a case they cannot see is high
    risk, and which agency holds it, but not its reference, owner, score or link (probe 21, finding 4)."""
    from casework.cases.models import CaseAccess

    case = world.new_case(restricted=True, reference="BOL-2026-0066")
    db.session.add(CaseAccess(case_id=case.id, user_id=world.officer.id))
    db.session.commit()
    assert page_client(world.manager).get(f"/cases/{case.id}").status_code == 404
    assert assess({**ALL_NO, "threats_of_violence": "yes"}, case=case).status_code == 201
    db.session.expire_all()
    [sent] = emails()
    assert sent.to_address == world.manager.email
    assert sent.subject == "High risk on a case you cannot see"
    assert "held by BDC" in sent.body_text
    for secret in ("BOL-2026-0066", world.officer.name, "score", f"/cases/{case.id}"):
        assert secret not in sent.subject + sent.body_text, secret

    # Named on the case, the manager is told which case it is.
    db.session.add(CaseAccess(case_id=case.id, user_id=world.manager.id))
    db.session.commit()
    assess(ALL_NO, case=case)
    assert assess({**ALL_NO, "threats_of_violence": "yes"}, case=case).status_code == 201
    db.session.expire_all()
    assert [e.subject for e in emails()][-1] == "High risk: case BOL-2026-0066"


def test_current_risk_in_the_case_answer_section(world, assess):
    from casework.cases.sections import api_sections

    assert api_sections()["current_risk"](world.case, world.officer) is None
    assess({**ALL_NO, "hate_motivated": "yes"})
    assess(ALL_NO)
    assert api_sections()["current_risk"](world.case, world.officer)["band"] == "standard"


@pytest.mark.parametrize(
    ("who", "status"), [("chair", 403), ("admin", 403), ("stranger", 404), ("unshared_partner", 404)]
)
def test_roles_refused(world, assess, api_client, who, status):
    assert assess(ALL_NO, user=getattr(world, who)).status_code == status
    assert api_client(getattr(world, who)).get(f"/api/v1/cases/{world.case.id}/risk-assessments").status_code == status


def test_partner_on_a_shared_case_may_assess(world, assess):
    assert assess(ALL_NO, user=world.partner).status_code == 201


def test_admin_edits_make_a_new_version_and_old_assessments_keep_theirs(world, assess, api_client):
    first = assess(ALL_NO).get_json()
    admin = api_client(world.admin)
    current = admin.get("/api/v1/risk-questionnaires/current").get_json()
    questions = current["questions"] + [
        {
            "key": "pets_harmed",
            "text": "Have pets been harmed?",
            "hint": None,
            "options": [
                {"value": "yes", "label": "Yes", "weight": 20, "forces_high": False},
                {"value": "no", "label": "No", "weight": 0, "forces_high": False},
            ],
        }
    ]
    body = {"area_code": "BOL", "title": "Bolsover form", "questions": questions, "medium_from": 8, "high_from": 16}
    assert api_client(world.officer).post("/api/v1/risk-questionnaires", json=body).status_code == 403
    assert admin.post("/api/v1/risk-questionnaires", json={**body, "high_from": 8}).status_code == 422
    response = admin.post("/api/v1/risk-questionnaires", json=body)
    assert response.status_code == 201
    assert response.get_json()["version"] == 1
    assert assess(ALL_NO).status_code == 422  # the new question must be answered
    second = assess({**ALL_NO, "pets_harmed": "yes"}).get_json()
    assert second["band"] == "high"
    assert second["questionnaire_id"] != first["questionnaire_id"]
    history = api_client(world.officer).get(f"/api/v1/cases/{world.case.id}/risk-assessments").get_json()["items"]
    assert [a["questionnaire_id"] for a in history] == [second["questionnaire_id"], first["questionnaire_id"]]


def test_history_runs_a_fixed_number_of_queries(world, assess, api_client, count_queries):
    client = api_client(world.officer)
    path = f"/api/v1/cases/{world.case.id}/risk-assessments"
    for _ in range(2):
        assess(ALL_NO)
    with count_queries() as small:
        client.get(path)
    for _ in range(4):
        assess(ALL_NO, victim_person_id=world.victim.id)
    with count_queries() as large:
        assert len(client.get(path).get_json()["items"]) == 6
    assert small.count == large.count


@pytest.mark.parametrize("change", ["restricted without them", "nothing"])
def test_a_high_risk_email_waiting_to_be_sent_names_the_case_only_if_its_manager_may_still_see_it(
    world, assess, mail_to_smtp, change
):
    """Written while the manager could see the case, it waits for the mail server; the case restricted
    without them meanwhile, it is withdrawn, not sent naming the case, and the manager, still the
    owner's, is sent in its place the email a manager who may not see the case is sent."""
    from casework.cases.models import CaseAccess
    from casework.notifications.tasks import WITHDRAWN, send_email

    mail_to_smtp.stop()
    assert assess({**ALL_NO, "threats_of_violence": "yes"}).status_code == 201
    db.session.expire_all()
    [queued] = emails()
    assert "BOL-2026-0001" in queued.body_text
    assert queued.sent_at is None
    if change != "nothing":
        world.case.is_restricted = True
        db.session.add(CaseAccess(case_id=world.case.id, user_id=world.officer.id))
        db.session.commit()
    mail_to_smtp.start()
    send_email.apply(args=(queued.id,))
    db.session.expire_all()
    message = db.session.get(OutboxEmail, queued.id)
    if change == "nothing":
        assert [m["To"] for m in mail_to_smtp.wait_for(1)] == [world.manager.email]
    else:
        assert message.last_error.startswith(WITHDRAWN)
        assert message.sent_at is None
        [received] = mail_to_smtp.wait_for(1)
        assert received["To"] == world.manager.email
        assert received["Subject"] == "High risk on a case you cannot see"
        assert "BOL-2026-0001" not in received.get_body(preferencelist=("plain",)).get_content()
        # Asked again for the same withdrawal (a task redelivered), it answers the one replacement it
        # queued, as every domain's ``replace`` does (``Domain.unsent_check``), and queues no other.
        from casework.risk.services import replace_unsent_high_risk

        [_withdrawn, replacement] = emails()
        again = replace_unsent_high_risk(message)
        assert again is not None
        assert again.id == replacement.id
        assert len(emails()) == 2
