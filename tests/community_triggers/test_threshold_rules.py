"""The threshold rules through the API and the services: the application's complaints and the
ledgers of linked cases, the rule set in force on the day of receipt."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from casework.accounts.services import update_area_settings
from casework.community_triggers import services
from casework.extensions import db


def register(ct, api_client, complaints, **overrides):
    response = api_client(ct.coordinator).post("/api/v1/triggers", json=ct.body(complaints=complaints, **overrides))
    assert response.status_code == 201, response.json
    return response.json["threshold"]


def c(occurred: str, reported: str, **extra):
    return {"occurred_on": occurred, "reported_on": reported, "agency_code": "BDC", **extra}


@pytest.mark.parametrize(
    ("reported", "qualifies"),
    [("2026-02-28", True), ("2026-03-01", False)],
)
def test_reported_within_one_month_beginning_with_31_january_ends_28_february(ct, api_client, reported, qualifies):
    threshold = register(ct, api_client, [c("2026-01-31", reported)], received_on="2026-03-02")
    assert threshold["complaints"][0]["qualifies"] is qualifies


@pytest.mark.parametrize(("reported", "qualifies"), [("2028-02-29", True), ("2028-03-01", False)])
def test_in_a_leap_year_the_month_from_31_january_ends_29_february(ct, api_client, reported, qualifies):
    with time_machine.travel("2028-03-10 12:00 +00:00", tick=False):
        threshold = register(ct, api_client, [c("2028-01-31", reported)], received_on="2028-03-02")
    assert threshold["complaints"][0]["qualifies"] is qualifies


@pytest.mark.parametrize(("received", "qualifies"), [("2026-03-01", True), ("2026-03-02", False)])
def test_application_within_six_months_beginning_with_the_complaint(ct, api_client, received, qualifies):
    # Reported 2 September 2025: six months beginning with it end on 1 March 2026.
    threshold = register(ct, api_client, [c("2025-09-01", "2025-09-02")], received_on=received)
    assert threshold["complaints"][0]["qualifies"] is qualifies
    if not qualifies:
        assert "six months" in threshold["complaints"][0]["reason"]


def test_behaviour_without_harassment_alarm_or_distress_does_not_count(ct, api_client):
    threshold = register(ct, api_client, [c("2026-02-01", "2026-02-02", causes_had=False)])
    assert threshold["complaints"][0]["qualifies"] is False
    assert "harassment, alarm or distress" in threshold["complaints"][0]["reason"]


def test_the_same_day_reported_to_several_agencies_counts_once(ct, api_client):
    threshold = register(
        ct,
        api_client,
        [
            c("2026-02-01", "2026-02-01", agency_code="BDC"),
            c("2026-02-01", "2026-02-02", agency_code="DERPOL", complainant_name="  JANE   smith "),
            c("2026-02-10", "2026-02-10"),
        ],
    )
    assert threshold["qualifying_count"] == 2
    assert threshold["met_automatically"] is False
    assert threshold["basis"] is None
    duplicate = threshold["complaints"][1]
    assert duplicate["qualifies"] is False
    assert duplicate["reason"].startswith("Already counted")


def test_different_complainants_on_the_same_day_count_separately(ct, api_client):
    threshold = register(
        ct,
        api_client,
        [
            c("2026-02-01", "2026-02-01"),
            c("2026-02-01", "2026-02-01", complainant_name="Sam Jones"),
            c("2026-02-01", "2026-02-02", complainant_name="Ali Khan"),
        ],
    )
    assert threshold["qualifying_count"] == 3
    assert threshold["basis"] == "automatic"


def test_ledger_complaints_of_linked_cases_count_with_the_application_complaints(ct, api_client):
    case = ct.case()
    ct.incident(
        case,
        date(2026, 1, 5),
        [(date(2026, 1, 6), ct.council, "Jane Smith"), (date(2026, 1, 7), ct.police, "jane  SMITH")],
    )
    ct.incident(case, date(2026, 1, 15), [(date(2026, 1, 16), ct.police, "Sam Jones")])
    # Reported after the application was received: listed, but does not qualify (not a 422).
    ct.incident(case, date(2026, 3, 1), [(date(2026, 3, 5), ct.police, "Sam Jones")])

    threshold = register(ct, api_client, [c("2026-02-01", "2026-02-02")], case_ids=[case.id])

    assert threshold["qualifying_count"] == 3
    assert threshold["met_automatically"] is True
    ledger = [x for x in threshold["complaints"] if x["source"] == "case"]
    assert len(ledger) == 4
    assert [x["qualifies"] for x in ledger] == [True, False, True, False]
    assert ledger[1]["reason"].startswith("Already counted")  # same person, same day, another agency
    assert "after the application was received" in ledger[3]["reason"]
    assert ledger[0]["case_reference"] == "BOL-2026-0001"


def test_linking_a_case_recomputes_the_evaluation_while_undecided(ct, api_client):
    case = ct.case()
    ct.incident(case, date(2026, 1, 5), [(date(2026, 1, 6), ct.council, "Jane Smith")])
    api = api_client(ct.coordinator)
    created = api.post("/api/v1/triggers", json=ct.body(complaints=[c("2026-02-01", "2026-02-02")])).json
    assert created["threshold"]["qualifying_count"] == 1

    linked = api.post(f"/api/v1/triggers/{created['id']}/cases", json={"case_ids": [case.id]})
    assert linked.status_code == 200, linked.json
    assert linked.json["threshold"]["qualifying_count"] == 2
    assert linked.json["case_ids"] == [case.id]


def test_the_evaluation_is_not_recomputed_once_decided(ct, api_client):
    case = ct.case()
    ct.incident(case, date(2026, 1, 5), [(date(2026, 1, 6), ct.council, None)])
    application = ct.register()
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    services.link_cases(ct.coordinator, application, [case])
    assert application.threshold_evaluation["qualifying_count"] == 3


def test_the_rule_set_in_force_on_the_day_of_receipt_applies(ct, api_client):
    update_area_settings(ct.admin, ct.area, {"automatic_count": 2}, effective_from=date(2026, 3, 2))
    db.session.commit()
    two = [c("2026-02-01", "2026-02-02"), c("2026-02-10", "2026-02-10")]

    before = register(ct, api_client, two, received_on="2026-03-01")
    on_the_day = register(ct, api_client, two, received_on="2026-03-02")

    assert before["met_automatically"] is False
    assert on_the_day["met_automatically"] is True
    assert on_the_day["rules"]["automatic_count"] == 2


def test_local_variants_community_and_hate(ct, api_client):
    update_area_settings(
        ct.admin,
        ct.area,
        {"hate_enabled": True, "community_enabled": True, "community_count": 2, "automatic_count": 3},
        effective_from=date(2026, 1, 1),
    )
    db.session.commit()
    hate = register(ct, api_client, [c("2026-02-01", "2026-02-02", hate_motivated=True)])
    assert (hate["met_automatically"], hate["basis"]) == (True, "hate")
    community = register(
        ct, api_client, [c("2026-02-01", "2026-02-02"), c("2026-02-03", "2026-02-03", complainant_name="Sam Jones")]
    )
    assert (community["met_automatically"], community["basis"]) == (True, "community")


def test_a_variant_that_is_off_is_not_met(ct, api_client):
    hate = register(ct, api_client, [c("2026-02-01", "2026-02-02", hate_motivated=True)])
    assert (hate["met_automatically"], hate["basis"]) == (False, None)


def test_automatic_count_above_three_is_accepted_with_a_warning(ct, api_client):
    response = api_client(ct.admin).patch("/api/v1/areas/BOL", json={"settings": {"automatic_count": 4}})
    assert response.status_code == 200, response.json
    assert any("no higher than three" in w for w in response.json.get("warnings", [])), response.json


@pytest.mark.parametrize(("received", "qualifies"), [("2026-02-28", True), ("2026-03-01", False)])
def test_six_months_from_31_august_end_on_the_last_day_of_february(ct, api_client, received, qualifies):
    threshold = register(ct, api_client, [c("2025-08-30", "2025-08-31")], received_on=received)
    assert threshold["complaints"][0]["qualifies"] is qualifies


@pytest.mark.parametrize(("reported", "qualifies"), [("2026-03-14", True), ("2026-03-15", False)])
def test_a_local_complaint_period_of_two_months(ct, api_client, reported, qualifies):
    update_area_settings(ct.admin, ct.area, {"complaint_months": 2}, effective_from=date(2026, 1, 1))
    db.session.commit()
    with time_machine.travel("2026-03-20 12:00 +00:00", tick=False):
        threshold = register(ct, api_client, [c("2026-01-15", reported)], received_on="2026-03-16")
    assert threshold["complaints"][0]["qualifies"] is qualifies


def test_a_ledger_complaint_without_a_person_is_the_applicants(ct, api_client):
    case = ct.case()
    ct.incident(case, date(2026, 2, 1), [(date(2026, 2, 1), ct.police, None)])
    threshold = register(ct, api_client, [c("2026-02-01", "2026-02-02")], case_ids=[case.id])
    assert threshold["qualifying_count"] == 1


def test_a_ledger_incident_without_harassment_alarm_or_distress_does_not_count(ct, api_client):
    case = ct.case()
    ct.incident(case, date(2026, 2, 1), [(date(2026, 2, 1), ct.police, "Sam Jones")], causes_had=False)
    threshold = register(ct, api_client, [], case_ids=[case.id])
    assert threshold["qualifying_count"] == 0
    assert "harassment, alarm or distress" in threshold["complaints"][0]["reason"]
