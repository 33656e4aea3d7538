"""The person page shows everything held about the person across cases and Case Reviews, each part
as far as the user may see it; for what they may not see, only how many and which agency holds it."""

from __future__ import annotations

from datetime import date

from casework.extensions import db
from tests.lifecycle.planting import plant


def test_the_page_shows_every_domains_part(world, api_client, make, page_client):
    planted = plant(world, api_client, make)
    victim = page_client(world.officer).get(f"/people/{planted.victim_id}").get_data(as_text=True)
    assert "Cases" in victim
    assert "Reports they made" in victim
    assert "Risk assessments" in victim
    assert "BOL-CT-2027-0001" in victim
    assert "(they applied)" in victim
    perpetrator = page_client(world.officer).get(f"/people/{planted.perpetrator_id}").get_data(as_text=True)
    assert "Community Remedy" in perpetrator


def test_what_the_user_cannot_see_is_a_count_and_the_holding_agency(world, page_client):
    from casework.cases.models import CaseParty, PartyRole
    from casework.interventions.models import Intervention, InterventionKind

    hidden = world.new_case(lead=world.other, owner=world.stranger, reference="BOL-2026-0050")
    hidden.summary = "Secret summary of another agency"
    db.session.add(CaseParty(case_id=hidden.id, person_id=world.adult.id, role=PartyRole.perpetrator))
    db.session.add(
        Intervention(
            case_id=hidden.id,
            kind=InterventionKind.warning_letter,
            subject_person_id=world.adult.id,
            issuing_agency_id=world.other.id,
            issued_on=date(2026, 11, 1),
            notes="Secret notes",
        )
    )
    db.session.commit()
    page = page_client(world.officer).get(f"/people/{world.adult.id}").get_data(as_text=True)
    assert "BOL-2026-0001" in page
    assert "also on 1 case you cannot see, held by Agency NED" in page
    assert "interventions on 1 case you cannot see, held by Agency NED" in page
    for secret in ("BOL-2026-0050", "Secret summary", "Secret notes"):
        assert secret not in page
