"""The Crime and Policing Act 2026 powers through the API, each on the day before and the day of the
area's effective-from date (the same dated settings and dates engine as the other rules), and the closure
notice's extension notice and the reviews of orders and directions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.core.registry import registry
from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus

TODAY = "2027-03-20T12:00:00+00:00"
COMMENCEMENT = date(2027, 3, 1)
DAY_BEFORE = "2027-02-28"
DAY_OF = "2027-03-01"


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def api(world: Any, api_client: Any):
    def post(body: dict[str, Any], case: Any = None, user: Any = None) -> Any:
        caller = api_client(user or world.officer)
        return caller.post(f"/api/v1/cases/{(case or world.case).id}/interventions", json=body)

    return post


@pytest.fixture
def call(world: Any, api_client: Any):
    def send(method: str, path: str, body: dict[str, Any] | None = None, user: Any = None) -> Any:
        return getattr(api_client(user or world.officer), method)(path, json=body)

    return send


def rule(response: Any) -> str:
    assert response.status_code == 422, response.get_json()
    return " ".join(response.get_json()["errors"]["_rule"])


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def in_force(world: Any, values: dict[str, Any], effective_from: date = COMMENCEMENT) -> None:
    from casework.accounts.services import update_area_settings

    update_area_settings(None, world.area, values, effective_from)
    db.session.commit()


def deadlines(intervention_id: int) -> dict[str, Deadline]:
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(Deadline).where(Deadline.subject_type == "interventions", Deadline.subject_id == intervention_id)
    )
    return {row.kind: row for row in rows}


def person(world: Any, name: str, born: date | None) -> Any:
    return world.person(name, born)


# --- Respect Orders, Youth and Housing Injunctions: the day of application decides --------------------------


def respect_order(subject: Any, applied_on: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "respect_order",
        "subject_person_id": subject.id,
        "applied_on": applied_on,
        "issued_on": "2027-03-10",
        "conduct": "harassment_alarm_distress",
        "ends_on": "2029-03-09",
        "prohibitions": "Not to contact Vera Victim.",
        **extra,
    }


def test_respect_orders_from_the_day_of_the_area_commencement(world, api):
    in_force(world, {"cpa2026_respect_orders": True})
    assert "not in force" in rule(api(respect_order(world.adult, DAY_BEFORE)))
    body = created(api(respect_order(world.adult, DAY_OF)))
    assert body["label"] == "Respect Order"
    assert body["applied_on"] == DAY_OF
    assert body["breach_is_criminal_offence"] is True
    assert body["dates"] == {"ends_on": "2029-03-09", "review_1": "2028-03-09"}
    assert deadlines(body["id"])["intervention.review_1"].due_on == date(2028, 3, 9)


def test_respect_orders_are_refused_everywhere_by_default(world, api):
    assert "not in force" in rule(api(respect_order(world.adult, DAY_OF)))


def test_a_respect_order_for_someone_17_on_the_day_of_application_is_refused(world, api):
    in_force(world, {"cpa2026_respect_orders": True})
    teenager = person(world, "Terry Teen", date(2009, 3, 2))  # 18 on 2 March 2027
    assert "Youth Injunction" in rule(api(respect_order(teenager, DAY_OF)))
    assert created(api(respect_order(teenager, "2027-03-02")))


def civil_injunction(subject: Any, issued_on: str, applied_on: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {"kind": "civil_injunction", "subject_person_id": subject.id, "issued_on": issued_on, "is_indefinite": True}
    if applied_on:
        body["applied_on"] = applied_on
    return {**body, **extra}


def test_civil_injunctions_give_way_on_the_day_of_application(world, api):
    in_force(world, {"cpa2026_respect_orders": True})
    assert created(api(civil_injunction(world.adult, DAY_BEFORE)))
    assert "replaced" in rule(api(civil_injunction(world.adult, DAY_OF)))
    # Applied for before the change, granted after: it keeps the power it was applied for under.
    assert created(api(civil_injunction(world.adult, "2027-03-10", applied_on=DAY_BEFORE)))
    assert "replaced" in rule(api(civil_injunction(world.adult, "2027-03-10", applied_on=DAY_OF)))


def test_an_injunction_granted_before_commencement_keeps_its_power_and_its_breach_is_not_an_offence(world, api, call):
    injunction = created(api(civil_injunction(world.adult, "2027-02-10")))
    in_force(world, {"cpa2026_respect_orders": True})
    path = f"/api/v1/interventions/{injunction['id']}"
    breach = call("post", f"{path}/breaches", {"occurred_on": "2027-03-15", "description": "Entered the road."})
    assert breach.status_code == 201, breach.get_json()
    assert breach.get_json()["is_criminal_offence"] is False
    refused = call(
        "post", f"{path}/breaches", {"occurred_on": "2027-03-15", "description": "Again.", "crime_reference": "CR1"}
    )
    assert refused.status_code == 422
    assert "crime_reference" in refused.get_json()["errors"]
    shown = call("get", path).get_json()
    assert shown["kind"] == "civil_injunction"
    assert shown["status"] == "breached"


def test_a_respect_order_breach_is_recorded_as_a_criminal_offence(world, api, call):
    in_force(world, {"cpa2026_respect_orders": True})
    order = created(api(respect_order(world.adult, DAY_OF)))
    breach = call(
        "post",
        f"/api/v1/interventions/{order['id']}/breaches",
        {"occurred_on": "2027-03-15", "description": "Phoned Vera Victim.", "crime_reference": "DP-27-1234"},
    )
    assert breach.status_code == 201, breach.get_json()
    assert breach.get_json()["is_criminal_offence"] is True
    assert breach.get_json()["crime_reference"] == "DP-27-1234"


def test_youth_injunctions_from_the_day_of_commencement(world, api):
    in_force(world, {"cpa2026_respect_orders": True})
    young = person(world, "Yasmin Young", date(2012, 6, 1))
    body = {
        "kind": "youth_injunction",
        "subject_person_id": young.id,
        "issued_on": "2027-03-10",
        "yot_consulted_on": "2027-02-20",
        "ends_on": "2028-03-09",
        "prohibitions": "Not to enter the precinct.",
    }
    assert "not in force" in rule(api({**body, "applied_on": DAY_BEFORE}))
    assert created(api({**body, "applied_on": DAY_OF}))
    assert "youth offending team" in rule(api({**body, "applied_on": DAY_OF, "yot_consulted_on": None}))
    assert "12 months" in rule(api({**body, "applied_on": DAY_OF, "ends_on": "2028-03-10"}))


def test_housing_injunctions_from_the_day_of_commencement(world, api, make):
    in_force(world, {"cpa2026_respect_orders": True})
    make.agency("RYK", areas=[world.area], kind="housing")
    body = {
        "kind": "housing_injunction",
        "subject_person_id": world.adult.id,
        "issued_on": "2027-03-10",
        "issuing_agency_code": "RYK",
        "conduct": "housing_nuisance",
        "is_indefinite": True,
        "prohibitions": "No music audible outside the flat after 11pm.",
    }
    assert "not in force" in rule(api({**body, "applied_on": DAY_BEFORE}))
    assert created(api({**body, "applied_on": DAY_OF}))["warnings"] == []


# --- the youth offending team by the day of application (11.7) --------------------------------------------


def test_the_youth_offending_team_follows_the_age_on_the_day_of_application(world, api):
    respondent = person(world, "Sam Seventeen", date(2009, 3, 2))  # 17 on 1 March, 18 on 2 March 2027
    assert "youth offending team" in rule(api(civil_injunction(respondent, "2027-03-10", applied_on=DAY_OF)))
    assert created(api(civil_injunction(respondent, "2027-03-10", applied_on=DAY_OF, yot_consulted_on="2027-02-25")))
    assert created(api(civil_injunction(respondent, "2027-03-10", applied_on="2027-03-02")))
    # Without applied_on the day of issue is the day of application.
    assert created(api(civil_injunction(respondent, "2027-03-10")))


def test_applied_on_cannot_follow_the_grant(world, api):
    response = api(civil_injunction(world.adult, "2027-03-10", applied_on="2027-03-11"))
    assert response.status_code == 422
    assert "applied_on" in response.get_json()["errors"]


# --- closure notices: housing providers, extension notices -------------------------------------------------


def closure_notice(served_at: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "closure_notice",
        "issued_on": served_at[:10],
        "issued_at": served_at,
        "location": "Flat 2",
        **extra,
    }


def test_housing_provider_closure_notices_from_the_day_of_commencement(world, api, make):
    in_force(world, {"cpa2026_housing_closure": True})
    make.agency("RYK", areas=[world.area], kind="housing")
    extra = {"issuing_agency_code": "RYK", "premises_owned_or_managed": True}
    before = created(api(closure_notice(f"{DAY_BEFORE}T09:00:00+00:00", **extra)))
    assert any("in force in this area" in w for w in before["warnings"])
    assert created(api(closure_notice(f"{DAY_OF}T09:00:00+00:00", **extra)))["warnings"] == []
    not_theirs = created(api(closure_notice(f"{DAY_OF}T10:00:00+00:00", issuing_agency_code="RYK")))
    assert any("owns or manages" in w for w in not_theirs["warnings"])
    senior = closure_notice(f"{DAY_OF}T11:00:00+00:00", duration_hours=48, **extra)
    assert "senior management team" in rule(api(senior))
    signed = created(api({**senior, "has_senior_sign_off": True, "authorised_by": "Director of Housing"}))
    assert signed["authorised_by"] == "Director of Housing"


def test_an_extension_notice_extends_a_24_hour_notice_by_up_to_24_hours(world, api, call):
    notice = created(api(closure_notice("2027-03-10T09:00:00+00:00")))
    path = f"/api/v1/interventions/{notice['id']}/extension-notices"
    extension = {"extended_at": "2027-03-11T08:00:00+00:00", "hours": 24, "authorised_by": "Supt 401 Reid"}
    assert "chief executive" in rule(call("post", path, extension))
    response = call("post", path, {**extension, "has_senior_sign_off": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["dates"]["notice_ends_at"] == "2027-03-12T09:00:00+00:00"
    assert body["dates"]["hearing_by"] == notice["dates"]["hearing_by"]  # runs from service, not moved
    assert body["extension_hours"] == 24
    again = {**extension, "has_senior_sign_off": True, "extended_at": "2027-03-11T20:00:00+00:00", "hours": 1}
    assert "24 hours in all" in rule(call("post", path, again))


def test_an_extension_notice_comes_while_the_notice_is_in_force(world, api, call):
    notice = created(api(closure_notice("2027-03-10T09:00:00+00:00")))
    path = f"/api/v1/interventions/{notice['id']}/extension-notices"
    late = {"extended_at": "2027-03-11T09:00:00+00:00", "hours": 12, "has_senior_sign_off": True}
    assert "in force" in rule(call("post", path, late))
    assert call("post", path, {**late, "extended_at": "2027-03-11T08:59:00+00:00"}).status_code == 200


def test_a_48_hour_notice_cannot_be_extended(world, api, call):
    notice = created(api(closure_notice("2027-03-10T09:00:00+00:00", duration_hours=48, has_senior_sign_off=True)))
    extension = {"extended_at": "2027-03-10T12:00:00+00:00", "hours": 12, "has_senior_sign_off": True}
    assert "cannot be extended" in rule(
        call("post", f"/api/v1/interventions/{notice['id']}/extension-notices", extension)
    )


def test_only_closure_notices_take_extension_notices(world, api, call):
    order = created(
        api({"kind": "closure_order", "issued_on": "2027-03-10", "ends_on": "2027-05-01", "location": "Flat 2"})
    )
    extension = {"extended_at": "2027-03-10T12:00:00+00:00", "hours": 12, "has_senior_sign_off": True}
    assert "Only a closure notice" in rule(
        call("post", f"/api/v1/interventions/{order['id']}/extension-notices", extension)
    )


# --- fixed penalties by Community Safety Accreditation Scheme officers ----------------------------------------


def test_csas_fixed_penalties_warn_the_day_before_and_not_from_the_day_of(world, api, make):
    in_force(world, {"cpa2026_csas_fpn": True})
    wardens = make.agency("WAR", areas=[world.area], kind="other")
    wardens.is_csas_accredited = True
    db.session.commit()
    pspo = created(
        api({"kind": "pspo", "issued_on": "2027-01-04", "ends_on": "2029-01-03", "location": "Market Place"})
    )
    fpn = {
        "kind": "fpn",
        "subject_person_id": world.adult.id,
        "related_intervention_id": pspo["id"],
        "amount": 100,
        "issuing_agency_code": "WAR",
    }
    before = created(api({**fpn, "issued_on": DAY_BEFORE}))
    assert any("Community Safety Accreditation Scheme" in w for w in before["warnings"])
    assert created(api({**fpn, "issued_on": DAY_OF}))["warnings"] == []


def test_an_agency_is_marked_csas_accredited_through_the_api(world, call):
    created_ = call(
        "post",
        "/api/v1/agencies",
        {"code": "WAR", "name": "Town Centre Wardens", "kind": "other", "area_codes": ["BOL"], "csas_accredited": True},
        user=world.admin,
    )
    assert created_.status_code == 201, created_.get_json()
    assert created_.get_json()["csas_accredited"] is True
    changed = call("patch", "/api/v1/agencies/WAR", {"csas_accredited": False}, user=world.admin)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["csas_accredited"] is False
    assert call("patch", "/api/v1/agencies/NOPE", {"csas_accredited": True}, user=world.admin).status_code == 404


# --- dispersal directions: the 48-hour review ----------------------------------------------------------------


def dispersal(given_at: str, hours: int = 72) -> dict[str, Any]:
    return {
        "kind": "dispersal",
        "subject_person_id": None,
        "issued_on": given_at[:10],
        "issued_at": given_at,
        "duration_hours": hours,
        "location": "Market Place",
        "issuing_agency_code": "POL",
    }


def test_dispersal_directions_carry_the_48_hour_review_from_the_day_of_commencement(world, api, call):
    young = person(world, "Dan Dispersed", date(2000, 1, 1))
    in_force(world, {"cpa2026_limits": True}, date(2027, 1, 1))
    in_force(world, {"cpa2026_dispersal_review": True})
    before = created(api({**dispersal(f"{DAY_BEFORE}T21:00:00+00:00"), "subject_person_id": young.id}))
    assert "review_at" not in before["dates"]
    after = created(api({**dispersal(f"{DAY_OF}T21:00:00+00:00"), "subject_person_id": young.id}))
    assert after["dates"]["review_at"] == "2027-03-03T21:00:00+00:00"
    row = deadlines(after["id"])["intervention.review_at"]
    assert row.status == DeadlineStatus.open
    review = {
        "reviewed_on": "2027-03-03",
        "reviewed_at": "2027-03-03T20:30:00+00:00",
        "reviewer_name": "Supt 401 Reid",
        "outcome": "continues",
    }
    path = f"/api/v1/interventions/{after['id']}/reviews"
    response = call("post", path, review)
    assert response.status_code == 201, response.get_json()
    assert deadlines(after["id"])["intervention.review_at"].status == DeadlineStatus.done
    assert "No review" in rule(call("post", path, review))
    assert "No review" in rule(call("post", f"/api/v1/interventions/{before['id']}/reviews", review))


def test_a_review_cannot_be_before_the_direction(world, api, call):
    in_force(world, {"cpa2026_limits": True, "cpa2026_dispersal_review": True}, date(2027, 1, 1))
    given = created(api({**dispersal("2027-03-10T21:00:00+00:00"), "subject_person_id": world.adult.id}))
    early = {"reviewed_on": "2027-03-10", "reviewed_at": "2027-03-10T20:00:00+00:00", "outcome": "ended"}
    response = call("post", f"/api/v1/interventions/{given['id']}/reviews", early)
    assert response.status_code == 422
    assert "reviewed_at" in response.get_json()["errors"]


def test_an_order_until_further_order_gets_its_next_review(world, api, call):
    in_force(world, {"cpa2026_respect_orders": True})
    order = created(api(respect_order(world.adult, DAY_OF, ends_on=None, is_indefinite=True)))
    assert order["dates"] == {"review_1": "2028-03-09"}
    with time_machine.travel("2028-03-05T12:00:00+00:00", tick=False):
        response = call(
            "post",
            f"/api/v1/interventions/{order['id']}/reviews",
            {"reviewed_on": "2028-03-01", "outcome": "continues"},
        )
        assert response.status_code == 201, response.get_json()
    rows = deadlines(order["id"])
    assert rows["intervention.review_1"].status == DeadlineStatus.done
    assert rows["intervention.review_2"].due_on == date(2029, 3, 9)
    assert rows["intervention.review_2"].status == DeadlineStatus.open


# --- the settings: dated, labelled, sourced --------------------------------------------------------------------

NEW_SETTINGS = (
    "cpa2026_respect_orders",
    "respect_order_minimum_age",
    "respect_order_review_months",
    "youth_injunction_max_months",
    "housing_injunction_minimum_age",
    "cpa2026_housing_closure",
    "closure_notice_extension_hours",
    "cpa2026_csas_fpn",
    "cpa2026_dispersal_review",
    "dispersal_review_hours",
)


@pytest.mark.parametrize("key", NEW_SETTINGS)
def test_each_new_setting_has_a_label_a_source_and_a_description(app, key):
    spec = registry(app).settings[key]
    assert spec.label
    assert spec.source
    assert spec.explanation
    assert len(spec.explanation) > len(spec.label)


def test_every_2026_switch_is_off_by_default(app):
    specs = registry(app).settings
    flags = [key for key in specs if key.startswith("cpa2026_")]
    assert set(flags) >= {
        "cpa2026_respect_orders",
        "cpa2026_housing_closure",
        "cpa2026_csas_fpn",
        "cpa2026_dispersal_review",
    }
    assert all(specs[key].default is False for key in flags)


def test_the_switches_are_set_by_date_through_the_area_api(world, call):
    response = call(
        "patch",
        "/api/v1/areas/BOL",
        {"settings": {"cpa2026_respect_orders": True, "cpa2026_housing_closure": True}, "effective_from": "2027-04-01"},
        user=world.admin,
    )
    assert response.status_code == 200, response.get_json()
    scheduled = {row["key"] for row in response.get_json()["scheduled_settings"]}
    assert {"cpa2026_respect_orders", "cpa2026_housing_closure"} <= scheduled
