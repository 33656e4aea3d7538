"""Subject access: everything held about a person in every domain, third
parties redacted by default, restricted cases withheld unless the data protection officer releases
the full version with a recorded reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from casework.audit.models import AuditAction, AuditEntry
from casework.extensions import db
from casework.notifications.services import SECRET_WITHHELD
from tests.lifecycle.planting import plant, scan_document

OTHER = {"victim": "perpetrator", "perpetrator": "victim"}


@pytest.fixture
def planted(world, api_client, make):
    return plant(world, api_client, make)


def export_of(api_client: Any, user: Any, person_id: int) -> dict[str, Any]:
    response = api_client(user).get(f"/api/v1/people/{person_id}/export")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("whose", ["victim", "perpetrator"])
def test_every_field_of_the_person_is_in_their_export_and_nothing_of_the_other(planted, world, api_client, whose):
    person_id = planted.victim_id if whose == "victim" else planted.perpetrator_id
    document = export_of(api_client, world.manager, person_id)
    own = planted.of(whose)
    missing = sorted(where for marker, where in own.items() if marker not in scan_document(document, [marker]))
    assert missing == []
    # Not one field of the other person, in any form (a perpetrator's export never reveals the victim).
    assert scan_document(document, [planted.markers[OTHER[whose]]]) == []
    assert document["version"] == "redacted"
    assert document["withheld"] is None
    for section in ("cases", "actions", "interventions", "case_review_applications"):
        assert document[section], section


def test_the_victims_export_has_their_risk_assessment_application_and_letters(planted, world, api_client):
    document = export_of(api_client, world.manager, planted.victim_id)
    assert [r["band"] for r in document["risk_assessments"]] == ["high"]
    applications = document["case_review_applications"]
    assert [a["you_applied"] for a in applications] == [True, True]
    assert applications[0]["letters"], "the letters sent to the applicant"
    assert applications[1]["pcc_reviews"], "her request for the PCC's review"
    assert document["subject_access_requests"], "the requests made about her records"
    assert document["emails"], "the email sent to their address"
    perpetrator = export_of(api_client, world.manager, planted.perpetrator_id)
    assert perpetrator["risk_assessments"] == []
    for seen in perpetrator["case_review_applications"]:
        assert "applicant" not in seen
        assert "letters" not in seen
        assert "pcc_reviews" not in seen
    assert perpetrator["subject_access_requests"] == []


def test_who_viewed_the_records_is_in_the_export(planted, world, api_client, page_client):
    assert page_client(world.colleague).get(f"/people/{planted.victim_id}").status_code == 200
    document = export_of(api_client, world.manager, planted.victim_id)
    assert any(v["by"] == world.colleague.name and v["agency"] == world.council.name for v in document["views"])


def test_the_export_is_audited(planted, world, api_client):
    export_of(api_client, world.manager, planted.victim_id)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == AuditAction.export,
            AuditEntry.object_id == str(planted.victim_id),
            AuditEntry.actor_id == world.manager.id,
        )
    ).one()
    assert entry.changes["version"] == "redacted"


def test_a_restricted_case_is_withheld_from_a_manager_not_named_on_it(planted, world, api_client, make):
    from casework.cases.models import Case
    from casework.cases.services import add_party

    # The victim is on an ordinary case too, which the manager sees: so they see her, and her export
    # lists that case and withholds the restricted one.
    add_party(world.officer, world.case, planted.victim_id, "victim")
    db.session.get(Case, planted.case_id).is_restricted = True
    db.session.commit()
    document = export_of(api_client, world.manager, planted.victim_id)
    assert document["withheld"]["restricted_cases"] == 1
    assert document["withheld"]["held_by"] == [world.council.name]
    assert "data protection officer can release them" in document["withheld"]["notice"]
    leaks = {k: v for k, v in document.items() if scan_document(v, [planted.markers["case"]])}
    assert leaks == {}
    assert [c["reference"] for c in document["cases"]] == [world.case.reference]
    assert document["case_review_applications"] == []
    # The victim page's next step is about the restricted case: withheld with it.
    next_step = [marker for marker, where in planted.of("victim").items() if where == "victim_accesses.next_step"]
    assert next_step
    assert scan_document(document, next_step) == []


def test_a_person_only_on_restricted_cases_is_the_data_protection_officers_to_find(
    planted, world, api_client, page_client, make
):
    from casework.cases.models import Case, Person

    db.session.get(Case, planted.case_id).is_restricted = True
    db.session.commit()
    victim = db.session.get(Person, planted.victim_id)
    assert victim.agency_id == world.manager.agency_id
    # Hidden from a manager of the agency that recorded her, as a missing person is.
    hidden = api_client(world.manager).get(f"/api/v1/people/{planted.victim_id}/export")
    missing = api_client(world.manager).get("/api/v1/people/999999/export")
    assert (hidden.status_code, hidden.get_json()) == (missing.status_code, missing.get_json())
    assert hidden.status_code == 404
    # The manager's search for her says the request is the data protection officer's, never "nobody".
    page = page_client(world.manager).get("/subject-access", query_string={"name": victim.name}).get_data(as_text=True)
    assert "1 person recorded by your agency matches your search" in page
    assert "Ask the data protection officer" in page
    assert "Nobody matches your search" not in page
    assert victim.name not in page.replace(f'value="{victim.name}"', "")
    # A search that matches nobody at all still says so.
    nobody = page_client(world.manager).get("/subject-access", query_string={"name": "Zzyzx"}).get_data(as_text=True)
    assert "Nobody matches your search" in nobody
    assert "recorded by your agency" not in nobody
    # The data protection officer finds her and exports her records.
    dpo = make.user("dpo", agency=world.council, name="Dee Protection", email="dpo@example.org")
    found = page_client(dpo).get("/subject-access", query_string={"name": victim.name}).get_data(as_text=True)
    assert f"/people/{planted.victim_id}/export" in found
    assert "recorded by your agency" not in found
    assert api_client(dpo).get(f"/api/v1/people/{planted.victim_id}/export").status_code == 200


def test_the_data_protection_officer_releases_the_full_version_with_a_reason(planted, world, api_client, make):
    from casework.cases.models import Case

    db.session.get(Case, planted.case_id).is_restricted = True
    db.session.commit()
    dpo = make.user("dpo", agency=world.council, name="Dee Protection", email="dpo@example.org")
    refused = api_client(dpo).post(f"/api/v1/people/{planted.perpetrator_id}/export/full", json={})
    assert refused.status_code == 422
    response = api_client(dpo).post(
        f"/api/v1/people/{planted.perpetrator_id}/export/full", json={"reason": "SAR 2027/14, identity checked"}
    )
    assert response.status_code == 200, response.get_json()
    document = response.get_json()
    assert document["version"] == "full"
    assert document["withheld"] is None
    everything = {**planted.of("perpetrator"), **planted.of("case")}
    # An uploaded file is listed by name; its content is a document to hand over as it is.
    missing = sorted(w for m, w in everything.items() if m not in scan_document(document, [m]))
    assert missing == ["file_blobs.content", "file_blobs.content"]
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == AuditAction.export, AuditEntry.actor_id == dpo.id)
    ).one()
    assert entry.changes["reason"] == "SAR 2027/14, identity checked"
    assert entry.changes["version"] == "full"


def test_only_the_data_protection_officer_releases_the_full_version(planted, world, api_client):
    for user in (world.manager, world.officer, world.admin):
        response = api_client(user).post(f"/api/v1/people/{planted.victim_id}/export/full", json={"reason": "x"})
        assert response.status_code == 403


def test_the_pages_offer_json_pdf_and_the_release(planted, world, page_client, make):
    manager = page_client(world.manager)
    page = manager.get(f"/people/{planted.victim_id}/export")
    assert page.status_code == 200
    assert "Who viewed these records" in page.get_data(as_text=True)
    data = manager.get(f"/people/{planted.victim_id}/export?format=json")
    assert data.mimetype == "application/json"
    pdf = manager.get(f"/people/{planted.victim_id}/export?format=pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    dpo = page_client(make.user("dpo", agency=world.council, email="dpo@example.org"))
    form = dpo.get(f"/people/{planted.victim_id}/export/full")
    assert form.status_code == 200
    refused = dpo.post(f"/people/{planted.victim_id}/export/full", data={"reason": "", "format": "html"})
    assert refused.status_code == 422
    released = dpo.post(f"/people/{planted.victim_id}/export/full", data={"reason": "SAR 7", "format": "json"})
    assert released.status_code == 200
    assert released.get_json()["version"] == "full"
    found = dpo.get("/subject-access?name=vera")
    assert found.status_code == 200
    assert f"/people/{planted.victim_id}/export/full" in found.get_data(as_text=True)


def test_a_managers_export_withholds_another_agencys_case_not_shared_with_theirs(world, api_client, make):
    from casework.cases.models import CaseParty, PartyRole

    # The victim is on the council's case, and on a case of NED, which does not share it with the council.
    elsewhere = world.new_case(lead=world.other, owner=world.stranger, reference="BOL-2026-0098")
    elsewhere.summary = "NEDSECRET her brother deals drugs"
    db.session.add(CaseParty(case_id=elsewhere.id, person_id=world.victim.id, role=PartyRole.victim))
    db.session.commit()
    document = export_of(api_client, world.manager, world.victim.id)
    assert scan_document(document, ["NEDSECRET"]) == []
    assert [c["reference"] for c in document["cases"]] == [world.case.reference]
    assert document["withheld"]["restricted_cases"] == 0
    assert document["withheld"]["other_agencies_cases"] == 1
    assert document["withheld"]["held_by"] == [world.other.name]
    assert "data protection officer can release them" in document["withheld"]["notice"]
    # The data protection officer answers for the whole service: their export holds it.
    dpo = make.user("dpo", agency=world.council, name="Dee Protection", email="dpo@example.org")
    released = export_of(api_client, dpo, world.victim.id)
    assert released["withheld"] is None
    assert scan_document(released, ["NEDSECRET"]) != []


def test_other_peoples_names_are_redacted_word_by_word_and_their_street_without_the_town(world, api_client):
    world.adult.name = "Bartholomew Xyloprax"
    world.adult.address = "43 Marigold Terrace, Bolsover"
    world.victim.name = "Vera Smith"
    world.case.summary = "Xyloprax shouted outside 43 Marigold Terrace at Bartholomew's summary hour; Vera saw"
    db.session.commit()
    document = export_of(api_client, world.manager, world.victim.id)
    [case] = [c for c in document["cases"] if c["reference"] == world.case.reference]
    # Whole words of the other's name and his street are redacted; "summary" keeps its letters, and the
    # person's own name is hers to read.
    assert case["summary"] == "[third party] shouted outside [third party] at [third party]'s summary hour; Vera saw"


def test_an_export_does_not_log_a_view_of_the_people_it_redacts(planted, world, api_client):
    def views_of_perpetrator() -> int:
        return db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == AuditAction.view,
                AuditEntry.object_type == "people",
                AuditEntry.object_id == str(planted.perpetrator_id),
                AuditEntry.actor_id == world.manager.id,
            )
        )

    before = views_of_perpetrator()
    document = export_of(api_client, world.manager, planted.victim_id)
    assert scan_document(document, [planted.markers["perpetrator"]]) == []
    # He is "[third party]" in her export: his own subject access must not say the manager viewed him.
    assert views_of_perpetrator() == before


def test_a_record_made_with_someones_name_and_email_exports_nothing_of_theirs_to_a_manager(
    planted, world, api_client, make
):
    """Anyone who records people may type a name and an email address into a record of their own. An
    export finds Case Review applications and email by them, so to an exporter other than the data
    protection officer it holds only those they may read: a manager of another area's agency gets none
    of the victim's applications, letters or email; the victim's own agency's manager gets no email of
    their victim page (its sign-in link would open the page). The data protection officer, who answers
    for every record, still finds them under the record."""
    from casework.cases.models import Person

    victim = db.session.get(Person, planted.victim_id)
    far = make.area("FAR", "Faraway")
    far_manager = make.user(["officer", "manager"], agency=make.agency("FARAG", areas=[far]), email="far@example.org")
    dpo = make.user("dpo", agency=world.council, name="Dee Protection", email="dpo@example.org")
    for exporter in (far_manager, world.manager):
        made = api_client(exporter).post("/api/v1/people", json={"name": victim.name, "email": victim.email})
        assert made.status_code == 201, made.get_json()
        document = export_of(api_client, exporter, made.get_json()["id"])
        if exporter is far_manager:
            assert document["case_review_applications"] == []
            assert document["emails"] == []
        assert "/my-case/sign-in/link/" not in json.dumps(document), exporter.email
        answered = export_of(api_client, dpo, made.get_json()["id"])
        assert answered["case_review_applications"], "the data protection officer's export holds them"
        # The victim page's sign-in email is there, its link withheld: the outbox keeps no live secret.
        sign_ins = [email for email in answered["emails"] if email["subject"] == "Your link to sign in"]
        assert sign_ins
        assert all(SECRET_WITHHELD in email["body"] for email in sign_ins)
        assert "/my-case/sign-in/link/" not in json.dumps(answered)


#: Tables whose records an email is about, sent to staff users and never to a person on a record: no
#: domain says which of them an export may hold, so only the data protection officer's export does.
STAFF_EMAIL_TABLES = {
    "deadlines": "reminders and escalations to a deadline's owner and their manager",
    "users": "a user's digest and notices about their account",
    "risk_assessments": "the high-risk alert to managers",
    "trigger_letter_templates": "the failed letter template's notice to administrators",
    "tasking_meetings": "the link to a tasking meeting's minutes, to its attendees",
}


def test_every_kind_of_record_an_email_is_about_is_classified_for_exports(app):
    """A new kind of email names the table of the record it is about (``related=``): its domain says
    which of them an export may hold (``exported_email_check``), or it is staff email (above)."""
    import re
    from pathlib import Path

    import casework
    from casework.core.registry import registry

    tables = set()
    for path in Path(casework.__file__).parent.rglob("*.py"):
        tables |= set(re.findall(r'related\s*=\s*\(\s*"(\w+)"', path.read_text()))
    assert {"trigger_letters", "victim_accesses", "people"} <= tables  # the scan finds them
    with app.app_context():
        checked = set(registry().exported_email_checks)
    assert sorted(tables - checked - set(STAFF_EMAIL_TABLES)) == []
    assert sorted(checked & set(STAFF_EMAIL_TABLES)) == []


def test_a_victim_page_switched_on_from_a_case_withheld_keeps_its_contact_details_from_a_managers_export(
    world, api_client, make
):
    """Another agency switched the victim page on for her from its restricted case, with the address and
    number she has in the refuge. The manager who exports her (her council case is theirs) is shown that
    the page is on, as its case page shows them, and not how to reach her; the data protection officer is."""
    from casework.cases.models import CaseAccess, CaseParty, PartyRole
    from casework.victims import services as victim_page

    refuge = world.new_case(lead=world.other, owner=world.stranger, restricted=True, reference="BOL-2026-0097")
    db.session.add(CaseAccess(case_id=refuge.id, user_id=world.stranger.id))
    db.session.add(CaseParty(case_id=refuge.id, person_id=world.victim.id, role=PartyRole.victim))
    db.session.commit()
    victim_page.switch_on(
        world.stranger,
        refuge,
        world.victim,
        email="vera.refuge@example.org",
        mobile="07700 900777",
        contact_checked=True,
        next_step="REFUGESTEP we meet at the refuge",
    )
    db.session.commit()
    secrets = ["vera.refuge@example.org", "07700900777", "07700 900777", "REFUGESTEP"]
    document = export_of(api_client, world.manager, world.victim.id)
    assert [page["switched_on"] is not None for page in document["victim_page"]] == [True]
    assert scan_document(document, secrets) == []
    dpo = make.user("dpo", agency=world.council, name="Dee Protection", email="dpo@example.org")
    assert scan_document(export_of(api_client, dpo, world.victim.id), secrets) != []
