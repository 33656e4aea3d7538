"""POST /api/v1/cases/<id>/interventions: every statutory check at its boundary."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.cases.models import CaseParty, PartyRole
from casework.extensions import db
from casework.interventions.models import Intervention
from casework.reminders.models import Deadline, DeadlineStatus

TODAY = "2026-11-23T12:00:00+00:00"


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def api(world: Any, api_client: Any):
    def post(body: dict[str, Any], case: Any = None, user: Any = None) -> Any:
        # A token per call: some tests travel weeks ahead, past a token's lifetime.
        caller = api_client(user or world.officer)
        return caller.post(f"/api/v1/cases/{(case or world.case).id}/interventions", json=body)

    return post


def rule(response: Any) -> str:
    assert response.status_code == 422, response.get_json()
    return " ".join(response.get_json()["errors"]["_rule"])


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Intervention))


def deadlines(intervention_id: int) -> dict[str, Any]:
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(Deadline).where(Deadline.subject_type == "interventions", Deadline.subject_id == intervention_id)
    )
    return {row.kind: row for row in rows}


def set_limits(world: Any, values: dict[str, Any], effective_from: date) -> None:
    from casework.accounts.services import update_area_settings

    update_area_settings(None, world.area, values, effective_from)
    db.session.commit()


def cpw(api: Any, person: Any, issued_on: str = "2026-01-05", comply_by: str = "2026-02-01") -> dict[str, Any]:
    response = api({"kind": "cpw", "subject_person_id": person.id, "issued_on": issued_on, "comply_by": comply_by})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- records without statutory rules --------------------------------------------------------------


def test_warning_letter_is_recorded_with_no_warnings(world, api):
    response = api(
        {
            "kind": "warning_letter",
            "subject_person_id": world.adult.id,
            "issued_on": "2026-11-01",
            "requirements": "Stop playing loud music after 11pm.",
        }
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["warnings"] == []
    assert body["status"] == "issued"
    assert body["issuing_agency_code"] == "BDC"
    assert body["issuing_officer"] == "Olive Officer"


def test_unknown_kind_and_future_date_are_refused_and_nothing_is_written(world, api):
    assert api({"kind": "asbo", "subject_person_id": world.adult.id, "issued_on": "2026-11-01"}).status_code == 422
    response = api({"kind": "warning_letter", "subject_person_id": world.adult.id, "issued_on": "2026-11-24"})
    assert response.status_code == 422
    assert "issued_on" in response.get_json()["errors"]
    assert count() == 0


def test_subject_is_required_for_a_person_power(world, api):
    response = api({"kind": "cpw", "issued_on": "2026-11-01", "comply_by": "2026-11-20"})
    assert response.status_code == 422
    assert "subject_person_id" in response.get_json()["errors"]


def test_subject_not_on_the_case_is_refused(world, api):
    """Everyone who sees the case reads the subject's name: a subject must be a party to it
    (tests/interventions/test_subject_is_a_party.py)."""
    outsider = world.person("Otto Outsider", date(1980, 1, 1), on_case=False)
    outsider.agency_id = world.council.id  # recorded by the officer's agency, so the officer sees them
    db.session.commit()
    response = api({"kind": "verbal_warning", "subject_person_id": outsider.id, "issued_on": "2026-11-01"})
    assert response.status_code == 422
    assert response.get_json()["errors"]["subject_person_id"] == [
        "Otto Outsider is not a party to this case: add them to the case first."
    ]
    assert count() == 0


# --- Community Protection Warning and Notice --------------------------------------------------------


def test_cpw_needs_comply_by_after_issue(world, api):
    response = api({"kind": "cpw", "subject_person_id": world.adult.id, "issued_on": "2026-11-01"})
    assert "compliance" in rule(response).lower() or "date by which" in rule(response)
    assert "comply_by" in response.get_json()["errors"]
    same_day = api(
        {"kind": "cpw", "subject_person_id": world.adult.id, "issued_on": "2026-11-01", "comply_by": "2026-11-01"}
    )
    assert rule(same_day)
    body = cpw(api, world.adult, "2026-11-01", "2026-11-02")
    assert deadlines(body["id"])["intervention.comply_by"].due_on == date(2026, 11, 2)


def test_cpn_without_a_warning_is_blocked(world, api):
    response = api({"kind": "cpn", "subject_person_id": world.adult.id, "issued_on": "2026-03-01"})
    assert "Community Protection Warning" in rule(response)
    assert count() == 0


def test_cpn_refused_on_comply_by_and_allowed_the_day_after(world, api):
    cpw(api, world.adult, comply_by="2026-02-01")
    on_the_day = api({"kind": "cpn", "subject_person_id": world.adult.id, "issued_on": "2026-02-01"})
    assert "day after" in rule(on_the_day)
    day_after = api({"kind": "cpn", "subject_person_id": world.adult.id, "issued_on": "2026-02-02"})
    assert day_after.status_code == 201, day_after.get_json()
    warning_id = db.session.scalar(sa.select(Intervention.id).where(Intervention.kind == "cpw"))
    assert deadlines(warning_id)["intervention.comply_by"].status == DeadlineStatus.done


def test_cpn_needs_the_warning_to_the_same_person_on_the_same_case(world, api):
    other_person = world.person("Olga Other", date(1980, 1, 1))
    cpw(api, other_person)
    response = api({"kind": "cpn", "subject_person_id": world.adult.id, "issued_on": "2026-03-01"})
    assert rule(response)
    other_case = world.new_case(reference="BOL-2026-0002")
    db.session.add(CaseParty(case_id=other_case.id, person_id=world.adult.id, role=PartyRole.perpetrator))
    db.session.commit()
    cpw(api, world.adult)
    elsewhere = api({"kind": "cpn", "subject_person_id": world.adult.id, "issued_on": "2026-03-01"}, case=other_case)
    assert rule(elsewhere)


def test_withdrawn_warning_does_not_count(world, api, api_client):
    warning = cpw(api, world.adult)
    api_client(world.officer).patch(f"/api/v1/interventions/{warning['id']}", json={"status": "withdrawn"})
    assert rule(api({"kind": "cpn", "subject_person_id": world.adult.id, "issued_on": "2026-03-01"}))


def test_cpn_under_16_blocked_until_the_birthday(world, api):
    youth = world.person("Yasmin Young", date(2010, 3, 1))
    cpw(api, youth, "2026-01-05", "2026-02-01")
    day_before = api({"kind": "cpn", "subject_person_id": youth.id, "issued_on": "2026-02-28"})
    assert "under 16" in rule(day_before)
    birthday = api({"kind": "cpn", "subject_person_id": youth.id, "issued_on": "2026-03-01"})
    assert birthday.status_code == 201, birthday.get_json()


def test_cpn_minimum_age_is_a_dated_setting(world, api):
    youth = world.person("Yusuf Young", date(2012, 1, 1))  # 14 in 2026
    cpw(api, youth, "2026-01-05", "2026-02-01")
    set_limits(world, {"cpn_minimum_age": 10}, date(2026, 3, 1))
    assert rule(api({"kind": "cpn", "subject_person_id": youth.id, "issued_on": "2026-02-28"}))
    assert api({"kind": "cpn", "subject_person_id": youth.id, "issued_on": "2026-03-01"}).status_code == 201


def test_cpn_with_unknown_date_of_birth_warns(world, api):
    unknown = world.person("Una Known", None)
    cpw(api, unknown)
    response = api({"kind": "cpn", "subject_person_id": unknown.id, "issued_on": "2026-03-01"})
    assert response.status_code == 201
    assert any("date of birth" in w for w in response.get_json()["warnings"])


def test_cpn_appeal_window_is_21_days_beginning_with_issue(world, api):
    cpw(api, world.adult)
    body = api(
        {"kind": "cpn", "subject_person_id": world.adult.id, "issued_on": "2026-03-01", "comply_by": "2026-04-01"}
    ).get_json()
    assert body["dates"]["appeal_window_closes"] == "2026-03-21"
    rows = deadlines(body["id"])
    assert rows["intervention.appeal_window_closes"].due_on == date(2026, 3, 21)
    assert rows["intervention.appeal_window_closes"].owner_id == world.officer.id
    assert rows["intervention.comply_by"].due_on == date(2026, 4, 1)


# --- Fixed Penalty Notice ----------------------------------------------------------------------------


@pytest.fixture
def cpn(world, api) -> dict[str, Any]:
    cpw(api, world.adult, "2026-01-05", "2026-02-01")
    response = api({"kind": "cpn", "subject_person_id": world.adult.id, "issued_on": "2026-02-10"})
    assert response.status_code == 201
    return response.get_json()


def fpn(api: Any, world: Any, cpn: dict[str, Any], amount: Any, issued_on: str = "2026-03-02", **extra: Any) -> Any:
    return api(
        {
            "kind": "fpn",
            "subject_person_id": world.adult.id,
            "issued_on": issued_on,
            "related_intervention_id": cpn["id"],
            "amount": amount,
            **extra,
        }
    )


def test_fpn_cap_100_and_not_a_penny_more(world, api, cpn):
    assert "£100" in rule(fpn(api, world, cpn, "100.01"))
    response = fpn(api, world, cpn, 100)
    assert response.status_code == 201
    body = response.get_json()
    assert body["amount"] == 100.0
    assert body["dates"]["payment_by"] == "2026-03-16"
    assert body["dates"]["prosecution_from"] == "2026-03-17"
    assert deadlines(body["id"])["intervention.payment_by"].due_on == date(2026, 3, 16)


def test_fpn_cap_rises_to_500_on_the_2026_date(world, api, cpn):
    set_limits(world, {"cpa2026_limits": True}, date(2026, 6, 29))
    assert "£100" in rule(fpn(api, world, cpn, 500, issued_on="2026-06-28"))
    assert fpn(api, world, cpn, 500, issued_on="2026-06-29").status_code == 201
    assert "£500" in rule(fpn(api, world, cpn, "500.01", issued_on="2026-06-29"))


def test_fpn_must_name_a_cpn_or_pspo(world, api, cpn):
    response = api({"kind": "fpn", "subject_person_id": world.adult.id, "issued_on": "2026-03-02", "amount": 50})
    assert "related_intervention_id" in response.get_json()["errors"]
    assert rule(response)
    warning = cpw(api, world.adult)
    assert rule(
        api(
            {
                "kind": "fpn",
                "subject_person_id": world.adult.id,
                "issued_on": "2026-03-02",
                "amount": 50,
                "related_intervention_id": warning["id"],
            }
        )
    )


def test_fpn_discount_must_be_lower_and_sooner(world, api, cpn):
    assert rule(fpn(api, world, cpn, 100, discount_amount=100, discount_days=10))
    assert rule(fpn(api, world, cpn, 100, discount_amount=75, discount_days=14))
    assert rule(fpn(api, world, cpn, 100, discount_amount=75))
    body = fpn(api, world, cpn, 100, discount_amount=75, discount_days=13).get_json()
    assert body["dates"]["discount_by"] == "2026-03-15"


def test_fpn_amount_has_pounds_and_pence_only(world, api, cpn):
    response = fpn(api, world, cpn, "99.999")
    assert response.status_code == 422
    assert "amount" in response.get_json()["errors"]


# --- civil injunction --------------------------------------------------------------------------------


def injunction(api: Any, person: Any, issued_on: str, **extra: Any) -> Any:
    return api({"kind": "civil_injunction", "subject_person_id": person.id, "issued_on": issued_on, **extra})


def test_injunction_blocked_under_10_and_allowed_on_the_10th_birthday(world, api):
    child = world.person("Kit Child", date(2016, 5, 10))
    assert "under 10" in rule(injunction(api, child, "2026-05-09", yot_consulted_on="2026-05-01", ends_on="2026-11-01"))
    response = injunction(api, child, "2026-05-10", yot_consulted_on="2026-05-01", ends_on="2026-11-01")
    assert response.status_code == 201, response.get_json()


def test_under_18_injunction_needs_yot_consultation_and_12_months_at_most(world, api):
    youth = world.person("Yves Youth", date(2010, 5, 10))
    assert "youth offending team" in rule(injunction(api, youth, "2026-05-01", ends_on="2027-04-30"))
    late = injunction(api, youth, "2026-05-01", yot_consulted_on="2026-05-02", ends_on="2027-04-30")
    assert late.status_code == 422
    assert "yot_consulted_on" in late.get_json()["errors"]
    assert rule(injunction(api, youth, "2026-05-01", yot_consulted_on="2026-04-20"))  # no fixed term
    assert "12 months" in rule(
        injunction(api, youth, "2026-05-01", yot_consulted_on="2026-04-20", ends_on="2027-05-01")
    )
    response = injunction(api, youth, "2026-05-01", yot_consulted_on="2026-04-20", ends_on="2027-04-30")
    assert response.status_code == 201
    assert deadlines(response.get_json()["id"])["intervention.ends_on"].due_on == date(2027, 4, 30)


def test_injunction_on_the_18th_birthday_is_an_adult_one(world, api):
    turning = world.person("Tess Eighteen", date(2008, 5, 1))
    assert rule(injunction(api, turning, "2026-04-30", ends_on="2028-01-01"))
    assert injunction(api, turning, "2026-05-01").status_code == 201


def test_injunction_with_unknown_age_warns(world, api):
    unknown = world.person("Ursula Unknown", None)
    response = injunction(api, unknown, "2026-05-01")
    assert response.status_code == 201
    assert response.get_json()["warnings"]


# --- Criminal Behaviour Order ------------------------------------------------------------------------


def cbo(api: Any, person: Any, **extra: Any) -> Any:
    return api(
        {
            "kind": "cbo",
            "subject_person_id": person.id,
            "issued_on": "2026-01-15",
            "convicted_on": "2026-01-15",
            **extra,
        }
    )


def test_youth_cbo_lasts_one_to_three_years_with_yearly_reviews(world, api):
    youth = world.person("Yuri Youth", date(2010, 1, 1))
    assert rule(cbo(api, youth, ends_on="2027-01-13"))
    assert rule(cbo(api, youth, ends_on="2029-01-15"))
    assert rule(cbo(api, youth, is_indefinite=True))
    assert cbo(api, youth, ends_on="2027-01-14").status_code == 201
    response = cbo(api, youth, ends_on="2029-01-14")
    assert response.status_code == 201
    body = response.get_json()
    assert body["dates"]["review_1"] == "2027-01-14"
    assert body["dates"]["review_2"] == "2028-01-14"
    assert "review_3" not in body["dates"]
    assert deadlines(body["id"])["intervention.review_2"].due_on == date(2028, 1, 14)


def test_adult_cbo_lasts_two_years_or_more_or_indefinitely(world, api):
    assert "2 years" in rule(cbo(api, world.adult, ends_on="2028-01-13"))
    assert rule(cbo(api, world.adult))
    assert cbo(api, world.adult, ends_on="2028-01-14").status_code == 201
    assert cbo(api, world.adult, is_indefinite=True).status_code == 201


def test_cbo_without_conviction_warns(world, api):
    response = api(
        {"kind": "cbo", "subject_person_id": world.adult.id, "issued_on": "2026-01-15", "is_indefinite": True}
    )
    assert any("conviction" in w for w in response.get_json()["warnings"])


# --- closure notice and order ------------------------------------------------------------------------


def closure_notice(api: Any, served_at: str, **extra: Any) -> Any:
    return api(
        {
            "kind": "closure_notice",
            "issued_on": served_at[:10],
            "issued_at": served_at,
            "location": "12 High Street",
            **extra,
        }
    )


def test_closure_hearing_within_48_hours_leaving_out_christmas_day(world, api):
    with time_machine.travel("2026-12-30T12:00:00+00:00", tick=False):
        response = closure_notice(api, "2026-12-24T10:00:00+00:00")
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
    assert body["dates"]["hearing_by"] == "2026-12-27T10:00:00+00:00"
    # A 24-hour notice (s.77(1)) runs through Christmas Day: only the 48-hour periods leave it out
    # (s.77(3), s.80(4)). In force until 10:00 on Christmas Day, and no longer.
    assert body["dates"]["notice_ends_at"] == "2026-12-25T10:00:00+00:00"
    row = deadlines(body["id"])["intervention.hearing_by"]
    assert row.due_on is None
    assert row.due_at.isoformat() == "2026-12-27T10:00:00+00:00"


def test_closure_hearing_is_72_hours_after_the_2026_change(world, api):
    set_limits(world, {"cpa2026_limits": True}, date(2026, 12, 24))
    with time_machine.travel("2026-12-30T12:00:00+00:00", tick=False):
        before = closure_notice(api, "2026-12-23T10:00:00+00:00").get_json()
        after = closure_notice(api, "2026-12-24T10:00:00+00:00").get_json()
    assert before["dates"]["hearing_by"] == "2026-12-26T10:00:00+00:00"  # 48h, Christmas Day left out
    assert after["dates"]["hearing_by"] == "2026-12-28T10:00:00+00:00"  # 72h, Christmas Day left out


def test_closure_notice_over_24_hours_needs_senior_sign_off_and_never_over_48(world, api):
    served = "2026-11-20T09:00:00+00:00"
    assert "sign-off" in rule(closure_notice(api, served, duration_hours=25))
    assert closure_notice(api, served, duration_hours=48, has_senior_sign_off=True).status_code == 201
    assert "48 hours" in rule(closure_notice(api, served, duration_hours=49, has_senior_sign_off=True))
    assert rule(api({"kind": "closure_notice", "issued_on": "2026-11-20"}))  # time of service missing


def test_closure_order_up_to_3_months(world, api):
    body = {"kind": "closure_order", "issued_on": "2026-01-15", "location": "12 High Street"}
    assert "3 months" in rule(api({**body, "ends_on": "2026-04-15"}))
    response = api({**body, "ends_on": "2026-04-14"})
    assert response.status_code == 201
    assert any("closure notice" in w for w in response.get_json()["warnings"])


# --- dispersal ---------------------------------------------------------------------------------------


def dispersal(api: Any, person: Any, hours: int, issued_at: str = "2026-07-01T20:00:00+00:00") -> Any:
    return api(
        {
            "kind": "dispersal",
            "subject_person_id": person.id,
            "issued_on": issued_at[:10],
            "issued_at": issued_at,
            "duration_hours": hours,
            "location": "Market Square",
            "requirements": "Leave the area by the High Street and do not return",
        }
    )


def test_dispersal_48_hours_then_72_after_the_2026_change(world, api):
    set_limits(world, {"cpa2026_limits": True}, date(2026, 7, 2))
    assert "48 hours" in rule(dispersal(api, world.adult, 49))
    assert dispersal(api, world.adult, 48).status_code == 201
    assert dispersal(api, world.adult, 72, "2026-07-02T20:00:00+00:00").status_code == 201
    assert "72 hours" in rule(dispersal(api, world.adult, 73, "2026-07-02T20:00:00+00:00"))


def test_dispersal_not_to_under_10s(world, api):
    child = world.person("Cal Child", date(2016, 7, 2))
    assert "under 10" in rule(dispersal(api, child, 24))
    assert dispersal(api, child, 24, "2026-07-02T20:00:00+00:00").status_code == 201


def test_dispersal_records_time_and_area(world, api):
    response = api(
        {
            "kind": "dispersal",
            "subject_person_id": world.adult.id,
            "issued_on": "2026-07-01",
            "duration_hours": 24,
            "location": "Market Square",
        }
    )
    assert "time" in rule(response)


# --- PSPO, ABC, Community Remedy -----------------------------------------------------------------------


def test_pspo_up_to_3_years_with_a_review_before_expiry(world, api):
    body = {"kind": "pspo", "issued_on": "2026-01-15", "location": "Town centre"}
    assert "3 years" in rule(api({**body, "ends_on": "2029-01-15"}))
    response = api({**body, "ends_on": "2029-01-14"})
    assert response.status_code == 201
    dates = response.get_json()["dates"]
    assert dates["ends_on"] == "2029-01-14"
    assert dates["review_on"] == "2028-07-14"
    assert set(deadlines(response.get_json()["id"])) == {"intervention.ends_on", "intervention.review_on"}


def test_fpn_for_a_pspo_on_another_case_in_the_area(world, api):
    pspo = api(
        {"kind": "pspo", "issued_on": "2026-01-15", "location": "Town centre", "ends_on": "2028-01-14"}
    ).get_json()
    other_case = world.new_case(reference="BOL-2026-0003")
    person = world.person("Pete Drinker", date(1985, 1, 1), on_case=False)
    db.session.add(CaseParty(case_id=other_case.id, person_id=person.id, role=PartyRole.perpetrator))
    db.session.commit()
    response = api(
        {
            "kind": "fpn",
            "subject_person_id": person.id,
            "issued_on": "2026-02-01",
            "amount": 75,
            "related_intervention_id": pspo["id"],
        },
        case=other_case,
    )
    assert response.status_code == 201, response.get_json()


def test_abc_defaults_to_six_months_with_a_review_at_three(world, api):
    youth = world.person("Abe Youth", date(2012, 1, 1))
    response = api({"kind": "abc", "subject_person_id": youth.id, "issued_on": "2026-01-15"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["ends_on"] == "2026-07-14"
    assert body["dates"]["review_on"] == "2026-04-15"
    assert any("parent or guardian" in w for w in body["warnings"])
    signed = api(
        {"kind": "abc", "subject_person_id": youth.id, "issued_on": "2026-01-15", "parent_guardian_name": "Pam Parent"}
    )
    assert signed.get_json()["warnings"] == []


def test_community_remedy_records_the_victims_views(world, api):
    bare = api(
        {
            "kind": "community_remedy",
            "subject_person_id": world.adult.id,
            "issued_on": "2026-11-01",
            "requirements": "Repair the fence",
            "victim_choice": "Apology letter",
        }
    )
    warnings = bare.get_json()["warnings"]
    assert any("views" in w for w in warnings)
    assert any("why" in w for w in warnings)
    full = api(
        {
            "kind": "community_remedy",
            "subject_person_id": world.adult.id,
            "issued_on": "2026-11-01",
            "requirements": "Repair the fence",
            "victim_choice": "Apology letter",
            "victim_views": "Wants the damage put right",
            "departure_reason": "Victim agreed after discussion",
        }
    )
    assert full.get_json()["warnings"] == []


# --- status, breaches, lists ---------------------------------------------------------------------------


def test_breach_log_and_status(world, api, api_client):
    client = api_client(world.officer)
    abc = api({"kind": "abc", "subject_person_id": world.adult.id, "issued_on": "2026-10-01"}).get_json()
    path = f"/api/v1/interventions/{abc['id']}/breaches"
    assert client.post(path, json={"occurred_on": "2026-09-30", "description": "x"}).status_code == 422
    assert client.post(path, json={"occurred_on": "2026-11-24", "description": "x"}).status_code == 422
    response = client.post(path, json={"occurred_on": "2026-11-20", "description": "Shouted at neighbours"})
    assert response.status_code == 201
    assert response.get_json()["recorded_by"] == "Olive Officer"
    shown = client.get(f"/api/v1/interventions/{abc['id']}").get_json()
    assert shown["status"] == "breached"
    assert len(shown["breaches"]) == 1


def test_status_change_with_old_version_is_409_and_withdrawal_cancels_deadlines(world, api, api_client):
    client = api_client(world.officer)
    warning = cpw(api, world.adult)
    path = f"/api/v1/interventions/{warning['id']}"
    assert client.patch(path, json={"status": "withdrawn", "version": warning["version"]}).status_code == 200
    assert client.patch(path, json={"status": "issued", "version": warning["version"]}).status_code == 409
    assert deadlines(warning["id"])["intervention.comply_by"].status == DeadlineStatus.cancelled


@pytest.mark.parametrize("role", ["partner", "officer", "manager", "coordinator"])
def test_roles_that_may_record_on_a_visible_case(world, api, role):
    user = {
        "partner": world.partner,
        "officer": world.colleague,
        "manager": world.manager,
        "coordinator": world.coordinator,
    }[role]
    response = api(
        {"kind": "verbal_warning", "subject_person_id": world.adult.id, "issued_on": "2026-11-01"}, user=user
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("who", "status"), [("chair", 403), ("admin", 403), ("stranger", 404), ("unshared_partner", 404)]
)
def test_roles_refused(world, api, api_client, who, status):
    user = getattr(world, who)
    body = {"kind": "verbal_warning", "subject_person_id": world.adult.id, "issued_on": "2026-11-01"}
    assert api(body, user=user).status_code == status
    assert api_client(user).get(f"/api/v1/cases/{world.case.id}/interventions").status_code == status
    assert count() == 0


def test_restricted_case_only_for_named_users(world, api):
    restricted = world.new_case(reference="BOL-2026-0004", restricted=True)
    body = {"kind": "verbal_warning", "subject_person_id": world.adult.id, "issued_on": "2026-11-01"}
    assert api(body, case=restricted).status_code == 404


def test_list_runs_a_fixed_number_of_queries(world, api, api_client, count_queries):
    client = api_client(world.officer)
    path = f"/api/v1/cases/{world.case.id}/interventions"

    def add(n: int) -> None:
        for _ in range(n):
            abc = api({"kind": "abc", "subject_person_id": world.adult.id, "issued_on": "2026-10-01"}).get_json()
            client.post(
                f"/api/v1/interventions/{abc['id']}/breaches", json={"occurred_on": "2026-11-01", "description": "x"}
            )

    add(2)
    with count_queries() as small:
        assert len(client.get(path).get_json()["items"]) == 2
    add(5)
    with count_queries() as large:
        assert len(client.get(path).get_json()["items"]) == 7
    assert small.count == large.count


# --- extensions ----------------------------------------------------------------------------------------


def test_closure_order_extensions_up_to_6_months_in_all(world, api, api_client):
    with time_machine.travel("2026-02-01T12:00:00+00:00", tick=False):
        order = api(
            {"kind": "closure_order", "issued_on": "2026-01-15", "ends_on": "2026-04-14", "location": "12 High St"}
        ).get_json()
    client = api_client(world.officer)
    path = f"/api/v1/interventions/{order['id']}/extend"
    with time_machine.travel("2026-04-10T12:00:00+00:00", tick=False):
        client = api_client(world.officer)
        assert "6 months" in rule(client.post(path, json={"ends_on": "2026-07-15"}))
        extended = client.post(path, json={"ends_on": "2026-07-14"})
        assert extended.status_code == 200, extended.get_json()
        assert extended.get_json()["dates"]["ends_on"] == "2026-07-14"
        assert rule(client.post(path, json={"ends_on": "2026-07-15"}))
    assert deadlines(order["id"])["intervention.ends_on"].due_on == date(2026, 7, 14)


def test_pspo_extends_by_up_to_3_years_before_expiry(world, api, api_client):
    with time_machine.travel("2026-02-01T12:00:00+00:00", tick=False):
        pspo = api({"kind": "pspo", "issued_on": "2026-01-15", "ends_on": "2027-01-14", "location": "Park"}).get_json()
    path = f"/api/v1/interventions/{pspo['id']}/extend"
    with time_machine.travel("2027-01-10T12:00:00+00:00", tick=False):
        client = api_client(world.officer)
        assert "3 years" in rule(client.post(path, json={"ends_on": "2030-01-15"}))
        body = client.post(path, json={"ends_on": "2030-01-14"}).get_json()
        assert body["dates"]["review_on"] == "2029-07-14"
    with time_machine.travel("2030-01-15T12:00:00+00:00", tick=False):
        assert "already ended" in rule(api_client(world.officer).post(path, json={"ends_on": "2031-01-14"}))
    warning = cpw(api, world.adult)
    assert rule(
        api_client(world.officer).post(f"/api/v1/interventions/{warning['id']}/extend", json={"ends_on": "2027-01-01"})
    )


def test_expiry_task_marks_ended_interventions_once(world, api):
    from casework.interventions.tasks import expire_interventions

    with time_machine.travel("2026-02-01T12:00:00+00:00", tick=False):
        order = api(
            {"kind": "closure_order", "issued_on": "2026-01-15", "ends_on": "2026-04-14", "location": "12 High St"}
        ).get_json()
    with time_machine.travel("2026-04-14T12:00:00+00:00", tick=False):
        assert expire_interventions.run() == {"expired": 0}  # the last day is still in force
    with time_machine.travel("2026-04-15T12:00:00+00:00", tick=False):
        assert expire_interventions.run() == {"expired": 1}
        assert expire_interventions.run() == {"expired": 0}
    db.session.expire_all()
    assert db.session.get(Intervention, order["id"]).status.value == "expired"
    assert deadlines(order["id"])["intervention.ends_on"].status == DeadlineStatus.done


def test_case_api_answer_carries_interventions_actions_and_current_risk(world, api, api_client):
    api({"kind": "verbal_warning", "subject_person_id": world.adult.id, "issued_on": "2026-11-01"})
    body = api_client(world.officer).get(f"/api/v1/cases/{world.case.id}").get_json()
    assert [i["kind"] for i in body["interventions"]] == ["verbal_warning"]
    assert body["actions"] == []
    assert body["current_risk"] is None
