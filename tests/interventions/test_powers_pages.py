"""The pages for the Crime and Policing Act 2026 powers, the closure notice's extension notice and the
reviews of orders and directions; the agency's accreditation and the settings' labels on the admin pages."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.interventions.models import Intervention, InterventionReview


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2027-03-20T12:00:00+00:00", tick=False):
        yield


def date_parts(name: str, day: int, month: int, year: int) -> dict[str, str]:
    return {f"{name}-day": str(day), f"{name}-month": str(month), f"{name}-year": str(year)}


def in_force(world: Any, values: dict[str, Any], effective_from: date = date(2027, 3, 1)) -> None:
    from casework.accounts.services import update_area_settings

    update_area_settings(None, world.area, values, effective_from)
    db.session.commit()


def respect_order_form(world: Any, applied: tuple[int, int, int]) -> dict[str, str]:
    return {
        "subject_person_id": str(world.adult.id),
        **date_parts("issued_on", 10, 3, 2027),
        **date_parts("applied_on", *applied),
        "conduct": "harassment_alarm_distress",
        **date_parts("ends_on", 9, 3, 2029),
        "prohibitions": "Not to contact Vera Victim.",
    }


def test_a_respect_order_on_the_page_and_its_breach_as_a_criminal_offence(world, page_client):
    in_force(world, {"cpa2026_respect_orders": True})
    client = page_client(world.officer)
    base = f"/cases/{world.case.id}/interventions/new/respect_order"
    form = client.get(base).get_data(as_text=True)
    assert "Breaching it is a criminal offence" in form
    refused = client.post(base, data=respect_order_form(world, (28, 2, 2027)))
    assert refused.status_code == 422
    assert "not in force in this area on 28 February 2027" in refused.get_data(as_text=True)
    saved = client.post(base, data=respect_order_form(world, (1, 3, 2027)))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    order = db.session.scalar(sa.select(Intervention))
    shown = client.get(f"/interventions/{order.id}").get_data(as_text=True)
    assert "Respect Order: Adam Adult" in shown
    assert "Applied for" in shown
    assert "is a criminal offence" in shown
    breach_form = client.get(f"/interventions/{order.id}/breaches/new").get_data(as_text=True)
    assert "Police crime reference" in breach_form
    recorded = client.post(
        f"/interventions/{order.id}/breaches/new",
        data={**date_parts("occurred_on", 15, 3, 2027), "description": "Phoned her.", "crime_reference": "DP-1"},
    )
    assert recorded.status_code == 302
    shown = client.get(f"/interventions/{order.id}").get_data(as_text=True)
    assert "Crime reference" in shown
    assert "DP-1" in shown


def test_an_injunction_breach_form_asks_for_no_crime_reference(world, page_client, api_client):
    response = api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={
            "kind": "civil_injunction",
            "subject_person_id": world.adult.id,
            "issued_on": "2027-02-01",
            "is_indefinite": True,
        },
    )
    injunction_id = response.get_json()["id"]
    page = page_client(world.officer).get(f"/interventions/{injunction_id}/breaches/new").get_data(as_text=True)
    assert "Police crime reference" not in page
    assert "contempt of court" in page


def closure_notice(api_client: Any, world: Any, **extra: Any) -> int:
    response = api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={
            "kind": "closure_notice",
            "issued_on": "2027-03-10",
            "issued_at": "2027-03-10T09:00:00+00:00",
            "location": "Flat 2",
            **extra,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_an_extension_notice_on_the_page(world, page_client, api_client):
    notice_id = closure_notice(api_client, world)
    form = {**date_parts("extended_on", 11, 3, 2027), "extended_time": "8am", "hours": "12"}
    with time_machine.travel("2027-03-11T08:30:00+00:00", tick=False):
        client = page_client(world.officer)  # signed in on the day: sessions do not travel back in time
        assert "Record the extension notice" in client.get(f"/interventions/{notice_id}").get_data(as_text=True)
        unsigned = client.post(f"/interventions/{notice_id}/extension-notice", data=form)
        assert unsigned.status_code == 422
        assert "s.77(4)" in unsigned.get_data(as_text=True)
        saved = client.post(
            f"/interventions/{notice_id}/extension-notice",
            data={**form, "has_senior_sign_off": "y", "authorised_by": "Chief Executive"},
        )
        assert saved.status_code == 302, saved.get_data(as_text=True)
    shown = page_client(world.officer).get(f"/interventions/{notice_id}").get_data(as_text=True)
    assert "By 12 hours" in shown
    assert "Record the extension notice" not in shown  # it has ended: nothing left to extend
    db.session.expire_all()
    assert db.session.get(Intervention, notice_id).key_dates["notice_ends_at"] == "2027-03-11T21:00:00+00:00"


def test_an_extension_notice_after_the_notice_ended_is_refused_on_the_page(world, page_client, api_client):
    notice_id = closure_notice(api_client, world)
    late = page_client(world.officer).post(
        f"/interventions/{notice_id}/extension-notice",
        data={
            **date_parts("extended_on", 11, 3, 2027),
            "extended_time": "9am",
            "hours": "12",
            "has_senior_sign_off": "y",
        },
    )
    assert late.status_code == 422
    assert "while the closure notice is in force" in late.get_data(as_text=True)


def test_a_48_hour_notice_shows_no_extension_form(world, page_client, api_client):
    notice_id = closure_notice(api_client, world, duration_hours=48, has_senior_sign_off=True, authorised_by="CEO")
    assert "Record the extension notice" not in page_client(world.officer).get(f"/interventions/{notice_id}").get_data(
        as_text=True
    )


def test_a_dispersal_review_on_the_page(world, page_client, api_client):
    in_force(world, {"cpa2026_limits": True, "cpa2026_dispersal_review": True})
    response = api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={
            "kind": "dispersal",
            "subject_person_id": world.adult.id,
            "issued_on": "2027-03-10",
            "issued_at": "2027-03-10T21:00:00+00:00",
            "duration_hours": 72,
            "location": "Market Place",
            "issuing_agency_code": "POL",
        },
    )
    direction_id = response.get_json()["id"]
    client = page_client(world.officer)
    page = client.get(f"/interventions/{direction_id}").get_data(as_text=True)
    assert "Review of the direction due" in page
    assert "Record the review" in page
    assert (
        client.post(
            f"/interventions/{direction_id}/reviews", data={**date_parts("reviewed_on", 12, 3, 2027)}
        ).status_code
        == 422
    )
    saved = client.post(
        f"/interventions/{direction_id}/reviews",
        data={
            **date_parts("reviewed_on", 12, 3, 2027),
            "reviewed_time": "8:45pm",
            "reviewer_name": "Supt 401 Reid",
            "outcome": "continues",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    review = db.session.scalar(sa.select(InterventionReview))
    assert review.reviewed_at.isoformat() == "2027-03-12T20:45:00+00:00"
    page = client.get(f"/interventions/{direction_id}").get_data(as_text=True)
    assert "Supt 401 Reid" in page
    assert "Record the review" not in page


# --- admin ------------------------------------------------------------------------------------------------


def test_an_agency_is_marked_csas_accredited_on_its_page(world, page_client):
    client = page_client(world.admin)
    page = client.get("/admin/agencies/POL").get_data(as_text=True)
    assert "Community Safety Accreditation Scheme" in page
    saved = client.post(
        "/admin/agencies/POL",
        data={"name": "Police", "kind": "police", "area_codes": ["BOL"], "is_csas_accredited": "y"},
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.expire_all()
    assert world.police.is_csas_accredited is True


def test_the_settings_page_shows_each_new_setting_with_its_source(world, page_client):
    page = page_client(world.admin).get("/admin/areas/BOL/settings").get_data(as_text=True)
    assert "Respect Orders, Youth Injunctions and Housing Injunctions in force" in page
    assert "Source: Crime and Policing Act 2026, Part 1" in page
    assert "Police and Crime Commissioner review of threshold decisions in force" in page
