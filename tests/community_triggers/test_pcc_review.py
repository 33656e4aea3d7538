"""The Police and Crime Commissioner's review of a "threshold not met" decision (Crime and Policing Act
2026): the dated route, the window, the request and its outcome with their deadlines and letters, the
API and the pages. Each rule at its boundary, on the same dates engine as the rest of the Case Review."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.community_triggers import services
from casework.community_triggers.models import ApplicationStatus, Letter, LetterKind, TriggerApplication
from casework.community_triggers.pcc_review.models import PccReview
from casework.core.db import commit
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders.models import Deadline, DeadlineStatus

TWO = [
    {"occurred_on": "2026-02-01", "reported_on": "2026-02-02", "agency_code": "BDC"},
    {"occurred_on": "2026-02-10", "reported_on": "2026-02-10", "agency_code": "BDC"},
]
#: The route switched on for the area from this day (a dated setting, off by default).
IN_FORCE_FROM = date(2026, 3, 2)


def switch_on(ct: Any, effective_from: date = IN_FORCE_FROM, **values: Any) -> None:
    from casework.accounts.services import update_area_settings

    update_area_settings(None, ct.area, {"cpa2026_pcc_review": True, **values}, effective_from)
    db.session.commit()


def decide_not_met(ct: Any, application: Any, decided_on: date = date(2026, 3, 9)) -> Any:
    services.decide_threshold(
        ct.coordinator,
        application,
        met=False,
        basis=None,
        reasons="Two complaints.",
        decided_on=decided_on,
        send_letter=True,  # dated before "today": its letter is asked for, as these tests read it
    )
    db.session.commit()
    return application


@pytest.fixture
def not_met(ct):
    """Not met on Mon 9 March 2026: the 20th working day after it is Wed 8 April (Easter skipped)."""
    return decide_not_met(ct, ct.register(complaints=TWO))


def ask(api: Any, application: Any, requested_on: str, **extra: Any) -> Any:
    body = {"requested_on": requested_on, "grounds": "Reports to the police were not counted.", **extra}
    return api.post(f"/api/v1/triggers/{application.id}/pcc-reviews", json=body)


def decide(api: Any, application: Any, review_id: int, outcome: str, decided_on: str, **extra: Any) -> Any:
    body = {"outcome": outcome, "reasons": "Looked at the records.", "decided_on": decided_on, **extra}
    return api.post(f"/api/v1/triggers/{application.id}/pcc-reviews/{review_id}/outcome", json=body)


def rule(response: Any) -> str:
    assert response.status_code == 422, response.json
    return " ".join(response.json["errors"]["_rule"])


def reviews() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PccReview))


def letters_of(kind: LetterKind) -> list[Letter]:
    return list(db.session.scalars(sa.select(Letter).where(Letter.kind == kind).order_by(Letter.id)))


@pytest.fixture
def april():
    with time_machine.travel("2026-04-20 12:00 +00:00", tick=False):
        yield


# --- the dated route ---------------------------------------------------------------------------------------


def test_off_by_default(ct, api_client, not_met, april):
    assert "not in force" in rule(ask(api_client(ct.coordinator), not_met, "2026-03-20"))
    assert reviews() == 0


def test_in_force_from_the_day_of_the_area_setting(ct, api_client, not_met, april):
    switch_on(ct, date(2026, 3, 25))
    api = api_client(ct.coordinator)
    assert "not in force in this area on 24 March 2026" in rule(ask(api, not_met, "2026-03-24"))
    response = ask(api, not_met, "2026-03-25")
    assert response.status_code == 201, response.json


# --- the window ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("requested_on", "status"), [("2026-04-08", 201), ("2026-04-09", 422)])
def test_the_window_is_20_working_days_the_20th_included(ct, api_client, not_met, april, requested_on, status):
    switch_on(ct)
    response = ask(api_client(ct.coordinator), not_met, requested_on)
    assert response.status_code == status, response.json
    if status == 422:
        assert "8 April 2026" in rule(response)
        assert reviews() == 0


def test_the_window_is_a_setting(ct, api_client, april):
    switch_on(ct, pcc_review_request_window={"amount": 10, "unit": "working_days"})
    application = decide_not_met(ct, ct.register(complaints=TWO))
    api = api_client(ct.coordinator)
    assert "23 March 2026" in rule(ask(api, application, "2026-03-24"))
    assert ask(api, application, "2026-03-23").status_code == 201


def test_a_request_is_not_before_the_decision_nor_in_the_future(ct, api_client, not_met):
    switch_on(ct)
    api = api_client(ct.coordinator)
    assert "requested_on" in ask(api, not_met, "2026-03-08").json["errors"]
    assert "requested_on" in ask(api, not_met, "2026-03-11").json["errors"]
    assert reviews() == 0


def test_only_a_not_met_decision_can_be_reviewed(ct, api_client):
    switch_on(ct)
    api = api_client(ct.coordinator)
    undecided = ct.register(complaints=TWO)
    assert "not met" in rule(ask(api, undecided, "2026-03-10"))
    met = ct.register()
    services.decide_threshold(
        ct.coordinator, met, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    db.session.commit()
    assert "not met" in rule(ask(api, met, "2026-03-10"))


def test_after_a_local_appeal_the_window_runs_from_its_decision(ct, api_client, not_met):
    switch_on(ct)
    api = api_client(ct.coordinator)
    appeal = services.lodge_appeal(ct.coordinator, not_met, received_on=date(2026, 3, 10), grounds="Misapplied.")
    db.session.commit()
    assert "appeal" in rule(ask(api, not_met, "2026-03-10"))  # wait for the appeal to be decided
    services.assign_appeal_handler(ct.coordinator, appeal, handler_name="Office of the PCC")
    with time_machine.travel("2026-03-20 12:00 +00:00", tick=False):
        services.decide_appeal(
            ct.coordinator, appeal, decision="not_upheld", reasons="Properly decided.", decided_on=date(2026, 3, 20)
        )
        db.session.commit()
    assert db.session.get(TriggerApplication, not_met.id).status == ApplicationStatus.closed
    # 20 working days after Fri 20 March 2026 (Good Friday and Easter Monday skipped): Tue 21 April.
    with time_machine.travel("2026-04-30 12:00 +00:00", tick=False):
        assert "21 April 2026" in rule(ask(api_client(ct.coordinator), not_met, "2026-04-22"))
        assert ask(api_client(ct.coordinator), not_met, "2026-04-21").status_code == 201


# --- the request: deadline, letter, one at a time --------------------------------------------------------------


def test_a_request_gets_its_deadline_and_letter(ct, api_client, not_met):
    switch_on(ct)
    response = ask(api_client(ct.coordinator), not_met, "2026-03-10")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["decision_due"] == "2026-04-09"  # 20 working days after Tue 10 March, Easter skipped
    row = db.session.scalar(sa.select(Deadline).where(Deadline.subject_type == "trigger_pcc_reviews"))
    assert row.due_on == date(2026, 4, 9)
    assert row.owner_id == ct.coordinator.id
    assert row.status == DeadlineStatus.open
    (letter,) = letters_of(LetterKind.pcc_review_request)
    assert "9 April 2026" in letter.body
    assert letter.emailed_to == "jane@example.org"
    assert db.session.scalar(sa.select(OutboxEmail.to_address).where(OutboxEmail.id == letter.outbox_email_id))
    answer = api_client(ct.coordinator).get(f"/api/v1/triggers/{not_met.id}").json
    assert [r["requested_on"] for r in answer["pcc_reviews"]] == ["2026-03-10"]


def test_one_open_request_at_a_time(ct, api_client, not_met):
    switch_on(ct)
    api = api_client(ct.coordinator)
    assert ask(api, not_met, "2026-03-10").status_code == 201
    assert "already open" in rule(ask(api, not_met, "2026-03-10"))


def test_a_stale_application_version_answers_409(ct, api_client, not_met):
    switch_on(ct)
    response = ask(api_client(ct.coordinator), not_met, "2026-03-10", version=not_met.version - 1 or 99)
    assert response.status_code == 409
    assert reviews() == 0


# --- the outcome ----------------------------------------------------------------------------------------------


def test_the_decision_stands(ct, api_client, not_met):
    switch_on(ct)
    api = api_client(ct.coordinator)
    review = ask(api, not_met, "2026-03-10").json
    assert "decided_on" in decide(api, not_met, review["id"], "decision_stands", "2026-03-09").json["errors"]
    response = decide(api, not_met, review["id"], "decision_stands", "2026-03-10")
    assert response.status_code == 200, response.json
    assert response.json["outcome"] == "decision_stands"
    db.session.expire_all()
    row = db.session.scalar(sa.select(Deadline).where(Deadline.subject_type == "trigger_pcc_reviews"))
    assert row.status == DeadlineStatus.done
    assert db.session.get(TriggerApplication, not_met.id).status == ApplicationStatus.threshold_not_met
    (letter,) = letters_of(LetterKind.pcc_review_outcome)
    assert "stands" in letter.body
    assert "already been decided" in rule(decide(api, not_met, review["id"], "reconsider", "2026-03-10"))


def test_reconsider_sends_the_application_back_for_a_new_threshold_decision(ct, api_client, not_met):
    switch_on(ct)
    api = api_client(ct.coordinator)
    review = ask(api, not_met, "2026-03-10").json
    assert decide(api, not_met, review["id"], "reconsider", "2026-03-10").status_code == 200
    db.session.expire_all()
    application = db.session.get(TriggerApplication, not_met.id)
    assert application.status == ApplicationStatus.received
    # The new decision's deadline runs from the PCC's outcome: 15 working days after Tue 10 March.
    assert api.get(f"/api/v1/triggers/{not_met.id}").json["deadlines"]["threshold_decision"] == "2026-03-31"
    (letter,) = letters_of(LetterKind.pcc_review_outcome)
    assert "take the threshold decision again" in letter.body
    services.decide_threshold(
        ct.coordinator,
        application,
        met=True,
        basis="discretionary",
        reasons="Persistent, and the police reports were missed.",
        decided_on=date(2026, 3, 10),
    )
    commit()
    assert len(letters_of(LetterKind.threshold_decision)) == 2


def test_withdrawing_the_application_cancels_the_open_request_deadline(ct, api_client, not_met):
    switch_on(ct)
    api = api_client(ct.coordinator)
    assert ask(api, not_met, "2026-03-10").status_code == 201
    response = api.post(
        f"/api/v1/triggers/{not_met.id}/withdraw", json={"withdrawn_on": "2026-03-10", "reason": "Moved."}
    )
    assert response.status_code == 200, response.json
    db.session.expire_all()
    row = db.session.scalar(sa.select(Deadline).where(Deadline.subject_type == "trigger_pcc_reviews"))
    assert row.status == DeadlineStatus.cancelled


def test_an_unknown_review_answers_404(ct, api_client, not_met):
    assert decide(api_client(ct.coordinator), not_met, 999999, "reconsider", "2026-03-10").status_code == 404


# --- the "not met" letter tells the applicant about the route where it is in force -------------------------------


def test_the_not_met_letter_mentions_the_route_only_where_in_force_on_the_decision_day(ct):
    switch_on(ct, date(2026, 3, 9))
    before = decide_not_met(ct, ct.register(complaints=TWO), decided_on=date(2026, 3, 6))
    after = decide_not_met(ct, ct.register(complaints=TWO), decided_on=date(2026, 3, 9))
    by_application = {letter.application_id: letter.body for letter in letters_of(LetterKind.threshold_decision)}
    assert "Police and Crime Commissioner" not in by_application[before.id]
    assert "Police and Crime Commissioner" in by_application[after.id]
    assert "8 April 2026" in by_application[after.id]


# --- pages ----------------------------------------------------------------------------------------------------


def _date(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}


def test_the_request_and_outcome_through_the_pages(ct, page_client, not_met):
    switch_on(ct)
    client = page_client(ct.coordinator)
    page = client.get(f"/case-reviews/{not_met.id}")
    assert "Police and Crime Commissioner review" in page.text
    assert f"/case-reviews/{not_met.id}/pcc-review" in page.text
    form = client.get(f"/case-reviews/{not_met.id}/pcc-review")
    assert form.status_code == 200
    assert "8 April 2026" in form.text
    refused = client.post(f"/case-reviews/{not_met.id}/pcc-review", data={"grounds": "Missed reports."})
    assert refused.status_code == 422
    assert "govuk-error-summary" in refused.text
    response = client.post(
        f"/case-reviews/{not_met.id}/pcc-review",
        data={**_date("requested_on", date(2026, 3, 10)), "grounds": "Missed reports."},
    )
    assert response.status_code == 302, response.text
    review = db.session.scalar(sa.select(PccReview))
    response = client.post(
        f"/case-reviews/{not_met.id}/pcc-reviews/{review.id}/outcome",
        data={"outcome": "decision_stands", "reasons": "Properly made.", **_date("decided_on", date(2026, 3, 10))},
    )
    assert response.status_code == 302, response.text
    page = client.get(f"/case-reviews/{not_met.id}")
    assert "The decision stands" in page.text
    assert "PCC review outcome" in page.text  # the letter, listed with the others


def test_outside_the_window_the_page_shows_the_service_message(ct, page_client, not_met, april):
    switch_on(ct)
    response = page_client(ct.coordinator).post(
        f"/case-reviews/{not_met.id}/pcc-review",
        data={**_date("requested_on", date(2026, 4, 9)), "grounds": "Late."},
    )
    assert response.status_code == 422
    assert "8 April 2026" in response.text
    assert reviews() == 0


def test_the_section_is_hidden_while_the_route_is_not_in_force(ct, page_client, not_met):
    page = page_client(ct.coordinator).get(f"/case-reviews/{not_met.id}")
    assert "Police and Crime Commissioner review" not in page.text


def test_an_officer_sees_the_section_but_not_the_links(ct, page_client, not_met):
    switch_on(ct)
    page = page_client(ct.officer).get(f"/case-reviews/{not_met.id}")
    assert f"/case-reviews/{not_met.id}/pcc-review" not in page.text
    assert page_client(ct.officer).get(f"/case-reviews/{not_met.id}/pcc-review").status_code == 403
