"""The review meeting: the chair's independence, the outcome and recommendations."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from casework.accounts.services import update_area_settings
from casework.cases.models import Action, ActionStatus
from casework.community_triggers import services
from casework.community_triggers.models import Recommendation, ReviewMeeting
from casework.extensions import db
from casework.reminders.models import Deadline


@pytest.fixture
def case(ct):
    return ct.case()


@pytest.fixture
def met(ct, case):
    application = ct.register(case_ids=[case.id])
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    db.session.commit()
    return application


def arrange(api_client, ct, application, chair_email, scheduled_on="2026-03-20"):
    return api_client(ct.coordinator).post(
        f"/api/v1/triggers/{application.id}/meetings", json={"scheduled_on": scheduled_on, "chair_email": chair_email}
    )


def meetings() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ReviewMeeting))


def test_an_independent_chair_is_appointed(ct, api_client, met):
    response = arrange(api_client, ct, met, ct.chair.email)
    assert response.status_code == 201, response.json
    assert response.json["chair"]["email"] == ct.chair.email
    assert response.json["scheduled_on"] == "2026-03-20"
    application = api_client(ct.coordinator).get(f"/api/v1/triggers/{met.id}").json
    assert application["status"] == "meeting_arranged"
    # 2 working days before Friday 20 March.
    assert application["deadlines"]["papers_to_panel"] == "2026-03-18"


def test_a_user_without_the_chair_role_is_refused(ct, api_client, met):
    response = arrange(api_client, ct, met, ct.outsider.email)
    assert response.status_code == 422
    # Another area's coordinator without the chair role is not someone this coordinator may name.
    assert response.json["errors"]["chair_email"]
    colleague = arrange(api_client, ct, met, ct.officer.email)
    assert colleague.status_code == 422
    assert "chair role" in colleague.json["errors"]["_rule"][0]
    assert meetings() == 0


@pytest.mark.parametrize(
    "how",
    [
        "owner",
        "creator",
        "incident",
        "complaint",
        "action_author",
        "action_assignee",
        "note",
        "risk_assessment",
        "intervention",
    ],
)
def test_a_chair_who_worked_on_a_linked_case_is_refused(ct, api_client, met, case, how):
    chair = ct.chair
    if how == "owner":
        case.owner_id = chair.id
    elif how == "creator":
        case.created_by_id = chair.id
    elif how == "incident":
        ct.incident(case, date(2026, 1, 2), [], created_by_id=chair.id)
    elif how == "complaint":
        incident = ct.incident(case, date(2026, 1, 2), [])
        from casework.cases.models import Complaint

        db.session.add(
            Complaint(
                incident_id=incident.id, reported_on=date(2026, 1, 3), agency_id=ct.council.id, created_by_id=chair.id
            )
        )
    elif how == "action_author":
        db.session.add(Action(case_id=case.id, description="Visit", agency_id=ct.council.id, created_by_id=chair.id))
    elif how == "action_assignee":
        db.session.add(Action(case_id=case.id, description="Visit", agency_id=ct.council.id, assignee_id=chair.id))
    elif how == "note":
        from casework.cases.models import CaseNote

        db.session.add(CaseNote(case_id=case.id, text="Spoke to the victim", created_by_id=chair.id))
    elif how == "risk_assessment":
        from casework.risk.models import RiskAssessment, RiskBand, RiskQuestionnaire

        questionnaire = db.session.scalar(sa.select(RiskQuestionnaire).limit(1))
        db.session.add(
            RiskAssessment(
                case_id=case.id,
                questionnaire_id=questionnaire.id,
                answers={},
                score=0,
                band=RiskBand.standard,
                assessed_on=date(2026, 1, 5),
                assessed_by_id=chair.id,
            )
        )
    else:
        from casework.interventions.models import Intervention, InterventionKind

        db.session.add(
            Intervention(
                case_id=case.id,
                kind=InterventionKind.warning_letter,
                subject_person_id=case.parties[0].person_id if case.parties else None,
                issuing_agency_id=ct.council.id,
                issued_on=date(2026, 1, 5),
                issuing_officer_id=chair.id,
            )
        )
    db.session.commit()

    response = arrange(api_client, ct, met, chair.email)
    assert response.status_code == 422
    assert "not independent" in response.json["errors"]["_rule"][0]
    assert meetings() == 0
    # Another chair who did none of it is accepted.
    assert arrange(api_client, ct, met, ct.other_chair.email).status_code == 201


def test_a_chair_from_the_lead_agency_is_refused_where_the_area_says_so(ct, api_client, make, met):
    council_chair = make.user("chair", agency=ct.council, email="chair@bdc.example")
    refused = arrange(api_client, ct, met, council_chair.email)
    assert refused.status_code == 422
    assert "lead agency" in refused.json["errors"]["_rule"][0]


def test_a_chair_from_the_lead_agency_is_accepted_where_the_area_allows_it(ct, api_client, make, case):
    update_area_settings(ct.admin, ct.area, {"chair_not_from_lead_agency": False}, effective_from=date(2026, 1, 1))
    db.session.commit()
    application = ct.register(case_ids=[case.id])
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    db.session.commit()
    council_chair = make.user("chair", agency=ct.council, email="chair@bdc.example")
    assert arrange(api_client, ct, application, council_chair.email).status_code == 201


@pytest.fixture
def arranged(ct, api_client, met):
    body = arrange(api_client, ct, met, ct.chair.email).json
    return met, body["id"]


def outcome(api, application, meeting_id, **body):
    payload = {
        "held_on": "2026-03-10",
        "minutes": "Discussed the case.",
        "victim_invited": True,
        "recommendations": [{"text": "Install a noise monitor", "agency_code": "BDC", "due_on": "2026-04-30"}],
    }
    payload.update(body)
    return api.post(f"/api/v1/triggers/{application.id}/meetings/{meeting_id}/outcome", json=payload)


def test_the_appointed_chair_records_the_outcome_and_recommendations_become_tracked_actions(
    ct, api_client, arranged, case
):
    application, meeting_id = arranged
    response = outcome(api_client(ct.chair), application, meeting_id)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "review_concluded"
    assert body["deadlines"]["outcome_letter"] == "2026-03-24"  # 10 working days after Tue 10 March
    assert body["recommendations"][0]["text"] == "Install a noise monitor"
    recommendation = db.session.scalar(sa.select(Recommendation))
    action = db.session.scalar(sa.select(Action).where(Action.recommendation_id == recommendation.id))
    assert action.case_id == case.id
    assert action.status == ActionStatus.open
    assert action.due_on == date(2026, 4, 30)
    deadline = db.session.scalar(
        sa.select(Deadline).where(Deadline.subject_type == "actions", Deadline.subject_id == action.id)
    )
    assert deadline.kind == "action.due"
    assert deadline.due_on == date(2026, 4, 30)


@pytest.mark.parametrize("who", ["other_chair", "coordinator", "manager", "officer", "admin", "partner"])
def test_nobody_else_records_the_outcome(ct, api_client, arranged, who):
    application, meeting_id = arranged
    response = outcome(api_client(getattr(ct, who)), application, meeting_id)
    assert response.status_code in {403, 404}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Recommendation)) == 0


@pytest.mark.parametrize(("held_on", "status"), [("2026-03-09", 422), ("2026-03-10", 200), ("2026-03-11", 422)])
def test_held_on_is_not_before_the_meeting_was_arranged_nor_in_the_future(ct, api_client, met, held_on, status):
    # Decided on 9 March, arranged today (10 March): held the day before it was arranged is refused.
    meeting_id = arrange(api_client, ct, met, ct.chair.email).json["id"]
    response = outcome(api_client(ct.chair), met, meeting_id, held_on=held_on)
    assert response.status_code == status, response.json
    if status == 422:
        assert response.json["errors"]["held_on"]


def test_the_reason_for_not_inviting_the_victim_is_required(ct, api_client, arranged):
    application, meeting_id = arranged
    api = api_client(ct.chair)
    missing = outcome(api, application, meeting_id, victim_invited=None)
    assert missing.status_code == 422
    assert missing.json["errors"]["victim_invited"]
    no_reason = outcome(api, application, meeting_id, victim_invited=False)
    assert no_reason.status_code == 422
    assert no_reason.json["errors"]["victim_not_invited_reason"]
    assert db.session.get(ReviewMeeting, meeting_id).held_on is None
    ok = outcome(
        api,
        application,
        meeting_id,
        victim_invited=False,
        victim_not_invited_reason="The victim asked to be represented by an advocate.",
    )
    assert ok.status_code == 200
    assert ok.json["meetings"][0]["victim_not_invited_reason"].startswith("The victim asked")


def test_invalid_recommendations_are_field_errors_and_nothing_is_written(ct, api_client, arranged):
    application, meeting_id = arranged
    response = outcome(
        api_client(ct.chair),
        application,
        meeting_id,
        recommendations=[
            {"text": "x", "agency_code": "NOPE", "due_on": "2026-04-01"},
            {"text": "y", "agency_code": "BDC", "due_on": "2026-03-01"},
        ],
    )
    assert response.status_code == 422
    assert response.json["errors"]["recommendations.0.agency_code"]
    db.session.expire_all()
    assert db.session.get(ReviewMeeting, meeting_id).held_on is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 0


def test_the_chair_updates_the_arrangements_and_the_papers_deadline_moves(ct, api_client, arranged):
    application, meeting_id = arranged
    response = api_client(ct.chair).patch(
        f"/api/v1/triggers/{application.id}/meetings/{meeting_id}",
        json={
            "scheduled_on": "2026-03-27",
            "agenda": "1. Introductions",
            "location": "Town hall",
            "attendees": [{"name": "Pat Partner", "agency_code": "DERPOL", "role": "panel member"}],
        },
    )
    assert response.status_code == 200, response.json
    assert response.json["agenda"] == "1. Introductions"
    deadlines = api_client(ct.coordinator).get(f"/api/v1/triggers/{application.id}").json["deadlines"]
    assert deadlines["papers_to_panel"] == "2026-03-25"


def test_the_victim_is_consulted_on_the_action_plan(ct, api_client, arranged):
    application, meeting_id = arranged
    outcome(api_client(ct.chair), application, meeting_id)
    url = f"/api/v1/triggers/{application.id}/meetings/{meeting_id}/victim-consultation"
    assert api_client(ct.chair).post(url, json={"consulted_on": "2026-03-09"}).status_code == 422
    response = api_client(ct.chair).post(url, json={"consulted_on": "2026-03-10", "notes": "Agrees."})
    assert response.status_code == 200
    assert response.json["victim_consulted_on"] == "2026-03-10"


def test_a_chair_sees_only_the_applications_they_chair(ct, api_client, arranged):
    application, _ = arranged
    other = ct.register()
    chair_list = api_client(ct.chair).get("/api/v1/triggers").json
    assert [i["id"] for i in chair_list["items"]] == [application.id]
    assert api_client(ct.chair).get(f"/api/v1/triggers/{other.id}").status_code == 404
    assert api_client(ct.other_chair).get(f"/api/v1/triggers/{application.id}").status_code == 404


@pytest.mark.parametrize(("who", "status"), [("other_chair", 404), ("officer", 403), ("partner", 403), ("admin", 403)])
def test_only_the_coordinator_or_the_meetings_chair_changes_the_arrangements(ct, api_client, arranged, who, status):
    application, meeting_id = arranged
    response = api_client(getattr(ct, who)).patch(
        f"/api/v1/triggers/{application.id}/meetings/{meeting_id}", json={"agenda": "Changed"}
    )
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.get(ReviewMeeting, meeting_id).agenda is None


def test_not_inviting_the_victim_needs_a_reason_when_given(ct, api_client, arranged):
    application, meeting_id = arranged
    url = f"/api/v1/triggers/{application.id}/meetings/{meeting_id}"
    api = api_client(ct.coordinator)
    refused = api.patch(url, json={"victim_invited": False, "victim_not_invited_reason": "  "})
    assert refused.status_code == 422
    assert refused.json["errors"]["victim_not_invited_reason"]
    accepted = api.patch(url, json={"victim_invited": False, "victim_not_invited_reason": "Risk of confrontation."})
    assert accepted.status_code == 200
    stale = api.patch(url, json={"agenda": "x", "version": accepted.json["version"] - 1})
    assert stale.status_code == 409


def test_a_held_meetings_arrangements_cannot_change(ct, api_client, arranged):
    application, meeting_id = arranged
    outcome(api_client(ct.chair), application, meeting_id)
    response = api_client(ct.coordinator).patch(
        f"/api/v1/triggers/{application.id}/meetings/{meeting_id}", json={"agenda": "Changed"}
    )
    assert response.status_code == 422


def test_the_outcome_is_recorded_once(ct, api_client, arranged):
    application, meeting_id = arranged
    assert outcome(api_client(ct.chair), application, meeting_id).status_code == 200
    assert outcome(api_client(ct.chair), application, meeting_id).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Recommendation)) == 1


def test_a_case_the_appointed_chair_worked_on_cannot_be_linked_before_the_meeting(ct, api_client, arranged):
    application, _ = arranged
    chairs_case = ct.case("BOL-2026-0002", owner_id=ct.chair.id)
    response = api_client(ct.coordinator).post(
        f"/api/v1/triggers/{application.id}/cases", json={"case_ids": [chairs_case.id]}
    )
    assert response.status_code == 422
    assert "not independent" in response.json["errors"]["_rule"][0]
    db.session.expire_all()
    assert chairs_case not in application.cases


def test_arranged_on_and_location_are_accepted_as_api_md_says(ct, api_client, met):
    """docs/api.md: ``{"scheduled_on", "chair_email", "arranged_on"}`` with ``arranged_on`` optional (past work
    entered late); it may not be in the future nor before the threshold decision."""
    client = api_client(ct.coordinator)
    url = f"/api/v1/triggers/{met.id}/meetings"
    body = {"scheduled_on": "2026-03-20", "chair_email": ct.chair.email}
    for arranged_on, field_message in (("2026-03-11", "future"), ("2026-03-08", "threshold decision")):
        refused = client.post(url, json={**body, "arranged_on": arranged_on})
        assert refused.status_code == 422
        assert field_message in refused.json["errors"]["arranged_on"][0]
    response = client.post(url, json={**body, "arranged_on": "2026-03-09", "location": "Civic Centre"})
    assert response.status_code == 201, response.json
    assert (response.json["arranged_on"], response.json["location"]) == ("2026-03-09", "Civic Centre")
