"""The appeal (window, handler, decision) and withdrawal."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.community_triggers import services
from casework.community_triggers.models import Appeal, ApplicationStatus
from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus

TWO = [
    {"occurred_on": "2026-02-01", "reported_on": "2026-02-02", "agency_code": "BDC"},
    {"occurred_on": "2026-02-10", "reported_on": "2026-02-10", "agency_code": "BDC"},
]


@pytest.fixture
def not_met(ct):
    """Not met on Mon 9 March 2026: the 20th working day after it is Wed 8 April (Easter skipped)."""
    application = ct.register(complaints=TWO)
    services.decide_threshold(
        ct.coordinator, application, met=False, basis=None, reasons="Two complaints.", decided_on=date(2026, 3, 9)
    )
    db.session.commit()
    return application


def lodge(api, application, received_on, grounds="The decision ignored the police reports."):
    return api.post(f"/api/v1/triggers/{application.id}/appeal", json={"received_on": received_on, "grounds": grounds})


def appeals() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Appeal))


@pytest.mark.parametrize(("received_on", "status"), [("2026-04-08", 201), ("2026-04-09", 422)])
def test_the_appeal_window_is_20_working_days_the_20th_included(ct, api_client, not_met, received_on, status):
    with time_machine.travel("2026-04-20 12:00 +00:00", tick=False):
        response = lodge(api_client(ct.coordinator), not_met, received_on)
    assert response.status_code == status, response.json
    if status == 422:
        assert "8 April 2026" in response.json["errors"]["_rule"][0]
        assert response.json["errors"]["received_on"]
        assert appeals() == 0
    else:
        assert response.json["received_on"] == received_on
        assert response.json["grounds"].startswith("The decision")


def test_an_appeal_cannot_predate_the_decision_nor_be_in_the_future(ct, api_client, not_met):
    api = api_client(ct.coordinator)
    assert lodge(api, not_met, "2026-03-08").status_code == 422
    assert lodge(api, not_met, "2026-03-11").status_code == 422
    assert appeals() == 0


def test_nothing_to_appeal_before_a_decision(ct, api_client):
    application = ct.register()
    assert lodge(api_client(ct.coordinator), application, "2026-03-10").status_code == 422


def hold_meeting(ct, application, held_on=date(2026, 3, 10)):
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    meeting = services.arrange_meeting(ct.coordinator, application, scheduled_on=held_on, chair=ct.chair)
    services.record_outcome(
        ct.chair,
        meeting,
        held_on=held_on,
        minutes="Minutes",
        victim_invited=True,
        recommendations=[{"text": "Visit", "agency": ct.council, "due_on": date(2026, 4, 1)}],
    )
    db.session.commit()
    return meeting


def test_after_a_review_the_window_runs_from_the_meeting_or_a_later_outcome_letter(ct, api_client):
    application = ct.register()
    meeting = hold_meeting(ct, application)
    # 20 working days after Tue 10 March: Thu 9 April.
    assert services.appeal_window(application) == (date(2026, 3, 10), date(2026, 4, 9))
    with time_machine.travel("2026-03-17 12:00 +00:00", tick=False):
        services.record_outcome_letter_sent(ct.coordinator, meeting, sent_on=date(2026, 3, 16))
        db.session.commit()
    assert services.appeal_window(application) == (date(2026, 3, 16), date(2026, 4, 15))
    deadlines = api_client(ct.coordinator).get(f"/api/v1/triggers/{application.id}").json["deadlines"]
    assert deadlines["appeal_window_closes"] == "2026-04-15"
    with time_machine.travel("2026-04-20 12:00 +00:00", tick=False):
        assert lodge(api_client(ct.coordinator), application, "2026-04-16").status_code == 422
        assert lodge(api_client(ct.coordinator), application, "2026-04-15").status_code == 201


def test_a_handler_who_took_part_is_refused(ct, api_client, make):
    application = ct.register()
    hold_meeting(ct, application)
    api = api_client(ct.coordinator)
    appeal = lodge(api, application, "2026-03-10").json
    assert appeal["handler"] is None
    url = f"/api/v1/triggers/{application.id}/appeal/decision"
    body = {"decision": "upheld", "reasons": "The victim was not invited.", "decided_on": "2026-03-10"}
    assert api.post(url, json=body).json["errors"]["_rule"]  # no handler yet
    for who in (ct.chair, ct.coordinator):  # chaired the meeting; made the threshold decision
        refused = api.post(url, json={**body, "handler_email": who.email})
        assert refused.status_code == 422
        assert "took part" in refused.json["errors"]["_rule"][0]
    outside = make.user("chair", agency=ct.other_council, email="pcc@example.org")
    accepted = api.post(url, json={**body, "handler_email": outside.email})
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["handler"]["email"] == "pcc@example.org"
    assert accepted.json["decision"] == "upheld"


def test_an_upheld_appeal_sends_the_review_back_for_a_new_meeting(ct, api_client):
    application = ct.register()
    hold_meeting(ct, application)
    api = api_client(ct.coordinator)
    lodge(api, application, "2026-03-10")
    api.post(
        f"/api/v1/triggers/{application.id}/appeal/decision",
        json={"decision": "upheld", "reasons": "r", "decided_on": "2026-03-10", "handler_name": "PCC's office"},
    )
    body = api.get(f"/api/v1/triggers/{application.id}").json
    assert body["status"] == "threshold_met"
    assert body["appeal"]["decision"] == "upheld"
    # The review meeting is owed again, 20 working days from the appeal decision (Tue 10 March).
    assert body["deadlines"]["review_meeting"] == "2026-04-09"
    review_row = db.session.scalar(
        sa.select(Deadline).where(Deadline.subject_id == application.id, Deadline.kind == "trigger.review_meeting")
    )
    assert review_row.status == DeadlineStatus.open
    # A new meeting is arranged, held and counted again.
    second = api.post(
        f"/api/v1/triggers/{application.id}/meetings",
        json={"scheduled_on": "2026-03-10", "chair_email": ct.other_chair.email},
    )
    assert second.status_code == 201, second.json
    done = api_client(ct.other_chair).post(
        f"/api/v1/triggers/{application.id}/meetings/{second.json['id']}/outcome",
        json={"held_on": "2026-03-10", "minutes": "Second review", "victim_invited": True, "recommendations": []},
    )
    assert done.status_code == 200, done.json
    assert [m["held_on"] for m in done.json["meetings"]] == ["2026-03-10", "2026-03-10"]


def test_an_upheld_appeal_against_not_met_sends_the_decision_back(ct, api_client, not_met):
    api = api_client(ct.coordinator)
    lodge(api, not_met, "2026-03-10")
    response = api.post(
        f"/api/v1/triggers/{not_met.id}/appeal/decision",
        json={"decision": "upheld", "reasons": "r", "decided_on": "2026-03-10", "handler_name": "PCC's office"},
    )
    assert response.status_code == 200
    body = api.get(f"/api/v1/triggers/{not_met.id}").json
    assert body["status"] == "received"
    assert body["deadlines"]["threshold_decision"] == "2026-03-31"  # 15 working days after 10 March
    again = api.post(
        f"/api/v1/triggers/{not_met.id}/threshold-decision",
        json={"met": True, "basis": "discretionary", "reasons": "On appeal.", "decided_on": "2026-03-10"},
    )
    assert again.status_code == 200, again.json
    assert len(again.json["decisions"]) == 2


def test_an_appeal_not_upheld_closes_the_application(ct, api_client, not_met):
    api = api_client(ct.coordinator)
    lodge(api, not_met, "2026-03-10")
    api.post(
        f"/api/v1/triggers/{not_met.id}/appeal/decision",
        json={"decision": "not_upheld", "reasons": "r", "decided_on": "2026-03-10", "handler_name": "PCC's office"},
    )
    body = api.get(f"/api/v1/triggers/{not_met.id}").json
    assert body["status"] == "closed"
    assert body["deadlines"]["appeal_decision"] == "2026-03-31"


@pytest.mark.parametrize("stage", ["received", "met", "arranged", "concluded", "not_met"])
def test_withdrawal_at_any_stage_keeps_the_application_and_cancels_open_deadlines(ct, api_client, stage):
    application = ct.register(complaints=TWO) if stage == "not_met" else ct.register()
    if stage == "not_met":
        services.decide_threshold(
            ct.coordinator, application, met=False, basis=None, reasons="r", decided_on=date(2026, 3, 9)
        )
    if stage in {"met", "arranged", "concluded"}:
        services.decide_threshold(
            ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
        )
    if stage in {"arranged", "concluded"}:
        meeting = services.arrange_meeting(ct.coordinator, application, scheduled_on=date(2026, 3, 20), chair=ct.chair)
    if stage == "concluded":
        services.record_outcome(ct.chair, meeting, held_on=date(2026, 3, 10), minutes="m", victim_invited=True)
    db.session.commit()

    response = api_client(ct.coordinator).post(
        f"/api/v1/triggers/{application.id}/withdraw", json={"withdrawn_on": "2026-03-10", "reason": "Moved away."}
    )

    assert response.status_code == 200, response.json
    assert response.json["status"] == "withdrawn"
    assert response.json["withdrawn_on"] == "2026-03-10"
    rows = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.subject_type == "trigger_applications", Deadline.subject_id == application.id
        )
    ).all()
    assert rows
    assert all(r.status != DeadlineStatus.open for r in rows)
    listed = api_client(ct.coordinator).get("/api/v1/triggers?status=withdrawn").json
    assert listed["total"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"withdrawn_on": "2026-03-01", "reason": "r"}, "withdrawn_on"),
        ({"withdrawn_on": "2026-03-11", "reason": "r"}, "withdrawn_on"),
        ({"withdrawn_on": "2026-03-10"}, "reason"),
    ],
)
def test_withdrawal_dates_and_reason_are_checked(ct, api_client, body, field):
    application = ct.register()
    response = api_client(ct.coordinator).post(f"/api/v1/triggers/{application.id}/withdraw", json=body)
    assert response.status_code == 422
    assert response.json["errors"][field]
    db.session.expire_all()
    assert application.status == ApplicationStatus.received


def test_a_withdrawn_application_cannot_be_withdrawn_again(ct, api_client):
    application = ct.register()
    api = api_client(ct.coordinator)
    body = {"withdrawn_on": "2026-03-10", "reason": "r"}
    assert api.post(f"/api/v1/triggers/{application.id}/withdraw", json=body).status_code == 200
    assert api.post(f"/api/v1/triggers/{application.id}/withdraw", json=body).status_code == 422


def test_screening_out_records_the_reason_and_cancels_the_deadlines(ct, api_client):
    application = ct.register()
    api = api_client(ct.coordinator)
    url = f"/api/v1/triggers/{application.id}/screen-out"
    assert api.post(url, json={"screened_out_on": "2026-03-01", "reason": "r"}).json["errors"]["screened_out_on"]
    response = api.post(
        url,
        json={
            "screened_out_on": "2026-03-03",
            "reason": "A complaint about the council's service: sent to the complaints team.",
        },
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "screened_out"
    assert response.json["screened_out_reason"].startswith("A complaint about")
    rows = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.subject_type == "trigger_applications", Deadline.subject_id == application.id
        )
    ).all()
    assert all(r.status == DeadlineStatus.cancelled for r in rows)


def test_an_application_with_a_threshold_decision_cannot_be_screened_out(ct, api_client):
    application = ct.register()
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    db.session.commit()
    response = api_client(ct.coordinator).post(
        f"/api/v1/triggers/{application.id}/screen-out", json={"screened_out_on": "2026-03-10", "reason": "r"}
    )
    assert response.status_code == 422
    assert response.json["errors"]["_rule"]


def test_the_appeal_decision_is_not_before_the_appeal_nor_in_the_future(ct, api_client, not_met):
    api = api_client(ct.coordinator)
    with time_machine.travel("2026-03-09 12:00 +00:00", tick=False):
        assert lodge(api, not_met, "2026-03-09").status_code == 201
    url = f"/api/v1/triggers/{not_met.id}/appeal/decision"
    body = {"decision": "not_upheld", "reasons": "r", "handler_name": "PCC's office"}
    assert api.post(url, json={**body, "decided_on": "2026-03-08"}).json["errors"]["decided_on"]
    assert api.post(url, json={**body, "decided_on": "2026-03-11"}).json["errors"]["decided_on"]
    assert api.post(url, json={**body, "decided_on": "2026-03-09"}).status_code == 200
    assert api.post(url, json={**body, "decided_on": "2026-03-09"}).status_code == 422  # decided once


def test_a_handler_who_worked_on_a_linked_case_is_refused(ct, api_client, make):
    case = ct.case()
    officer = make.user("officer", agency=ct.council, email="caseowner@bdc.example")
    case.owner_id = officer.id
    db.session.commit()
    application = ct.register(case_ids=[case.id], complaints=TWO)
    services.decide_threshold(
        ct.coordinator, application, met=False, basis=None, reasons="r", decided_on=date(2026, 3, 9)
    )
    db.session.commit()
    response = api_client(ct.coordinator).post(
        f"/api/v1/triggers/{application.id}/appeal",
        json={"received_on": "2026-03-10", "grounds": "g", "handler_email": officer.email},
    )
    assert response.status_code == 422
    assert "owns case" in response.json["errors"]["_rule"][0]
    assert appeals() == 0
