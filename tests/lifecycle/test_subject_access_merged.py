"""Subject access during a merge's undo window: the merged record still holds its own details (its
address, email, phone), which are the person's, so the kept record's export shows them, labelled, to
whom the merged record itself was visible; a merged record is never exported on its own (the export is
the kept record's); after an undo both export as before, and once the merged record is anonymised the
kept record's export no longer lists it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.cases.models import CaseAccess, CaseParty, PartyRole
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from tests.lifecycle.planting import scan_document

TODAY = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
#: The merged record's own details, found nowhere else.
ADDRESS = "7 Quillwort Close, Bolsover"
POSTCODE = "S44 9QQ"
EMAIL = "vera.quillwort@example.org"
PHONE = "07700900517"
#: (scan_document compares without spaces: a marker has none.)
OWN = ["Quillwort", EMAIL, PHONE]


@dataclass
class Merged:
    kept: int
    merged: int
    merge: int
    restricted_case: Any


def _merge(world: Any, api_client: Any, make: Any, *, restricted: bool) -> Merged:
    """World's victim Vera (on the council's case), and a second record of her with her new address,
    email and phone, on a case of its own (restricted to the officer, if ``restricted``), merged into
    hers by the officer. An email went to the second record's address."""
    officer = api_client(world.officer)
    created = officer.post(
        "/api/v1/people",
        json={
            "name": "Vera Victim",
            "date_of_birth": "1950-01-01",
            "address": ADDRESS,
            "postcode": POSTCODE,
            "email": EMAIL,
            "phone": PHONE,
        },
    )
    assert created.status_code == 201, created.get_json()
    other = created.get_json()["id"]
    case = world.new_case(restricted=restricted, reference="BOL-2026-0050")
    case.summary = "Harassment at her new address"
    if restricted:
        db.session.add(CaseAccess(case_id=case.id, user_id=world.officer.id))
    db.session.add(CaseParty(case_id=case.id, person_id=other, role=PartyRole.victim))
    db.session.add(
        # The letter telling her of her right to a Case Review, as the threshold watch emails it (an
        # export holds an email by the record it is about: this one is hers).
        OutboxEmail(
            idempotency_key="merged-record-email",
            to_address=EMAIL,
            subject="Your right to an ASB Case Review",
            body_text="You can ask for a Case Review",
            related_type="people",
            related_id=other,
        )
    )
    db.session.commit()
    response = officer.post(f"/api/v1/people/{world.victim.id}/merge", json={"merged_person_id": other})
    assert response.status_code == 200, response.get_json()
    return Merged(world.victim.id, other, response.get_json()["id"], case)


def _dpo(world: Any, make: Any) -> Any:
    return make.user("dpo", agency=world.council, name="Dee Protection", email="dpo@example.org")


def _views_of(person_id: int, user: Any) -> int:
    from casework.audit.models import AuditAction, AuditEntry

    return db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == AuditAction.view,
            AuditEntry.object_type == "people",
            AuditEntry.object_id == str(person_id),
            AuditEntry.actor_id == user.id,
        )
    )


def _export(api_client: Any, user: Any, person_id: int) -> dict[str, Any]:
    response = api_client(user).get(f"/api/v1/people/{person_id}/export")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_kept_records_export_holds_the_merged_records_details_labelled(world, api_client, page_client, make):
    with time_machine.travel(TODAY, tick=False):
        ids = _merge(world, api_client, make, restricted=False)
        document = _export(api_client, world.manager, ids.kept)
        [held] = document["merged_records"]
        assert held["id"] == ids.merged
        assert (held["details"]["address"], held["details"]["email"], held["details"]["phone"]) == (
            ADDRESS,
            EMAIL,
            PHONE,
        )
        assert held["undo_until"].startswith("2027-03-15")
        assert "merged into this one on 1 March 2027" in held["notice"]
        assert "kept until 15 March 2027" in held["notice"]
        # Her own details are not "[third party]" anywhere, and the email to that address is hers.
        assert [e["subject"] for e in document["emails"]] == ["Your right to an ASB Case Review"]
        assert "BOL-2026-0050" in [c["reference"] for c in document["cases"]]
        assert document["withheld"] is None
        # The page and the PDF show them, the full release too.
        page = page_client(world.manager).get(f"/people/{ids.kept}/export").get_data(as_text=True)
        assert "Details held on records merged into this one" in page
        assert all(value in page for value in OWN)
        pdf = page_client(world.manager).get(f"/people/{ids.kept}/export?format=pdf")
        assert pdf.data.startswith(b"%PDF")
        full = api_client(_dpo(world, make)).post(f"/api/v1/people/{ids.kept}/export/full", json={"reason": "SAR 3"})
        assert full.status_code == 200, full.get_json()
        assert [r["details"]["email"] for r in full.get_json()["merged_records"]] == [EMAIL]


def test_a_merged_record_is_not_exported_on_its_own_the_kept_records_export_is(world, api_client, page_client, make):
    with time_machine.travel(TODAY, tick=False):
        ids = _merge(world, api_client, make, restricted=False)
        refused = api_client(world.manager).get(f"/api/v1/people/{ids.merged}/export")
        assert refused.status_code == 422
        message = " ".join(refused.get_json()["errors"]["_rule"])
        assert f"merged into record {ids.kept}" in message
        assert scan_document(refused.get_json(), OWN) == []
        dpo = _dpo(world, make)
        release = api_client(dpo).post(f"/api/v1/people/{ids.merged}/export/full", json={"reason": "SAR 3"})
        assert release.status_code == 422
        # The pages go to the kept record's export, and its release, keeping the format asked for.
        page = page_client(world.manager).get(f"/people/{ids.merged}/export")
        assert page.status_code == 302
        assert page.headers["Location"].endswith(f"/people/{ids.kept}/export")
        download = page_client(world.manager).get(f"/people/{ids.merged}/export?format=json")
        assert download.headers["Location"].endswith(f"/people/{ids.kept}/export?format=json")
        form = page_client(dpo).get(f"/people/{ids.merged}/export/full")
        assert form.headers["Location"].endswith(f"/people/{ids.kept}/export/full")


def _exports_by(user: Any) -> int:
    from casework.audit.models import AuditAction, AuditEntry

    return db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == AuditAction.export, AuditEntry.actor_id == user.id
        )
    )


def test_a_release_posted_for_a_record_merged_since_its_form_opened_is_kept_for_the_kept_record(
    world, api_client, page_client, make
):
    """The DPO opened the second record's release form; the officer merged it before they pressed the
    button. Nothing is released (the export is now the kept record's), and the answer is the kept
    record's form with the reason and format as sent, saying why: one press releases it."""
    with time_machine.travel(TODAY, tick=False):
        dpo = _dpo(world, make)
        ids = _merge(world, api_client, make, restricted=False)
        pages = page_client(dpo)
        held = pages.post(f"/people/{ids.merged}/export/full", data={"reason": "SAR 2027/31", "format": "json"})
        assert held.status_code == 409
        assert _exports_by(dpo) == 0
        page = held.get_data(as_text=True)
        assert f"Record {ids.merged} was merged into record {ids.kept}" in page
        assert "Nothing was released" in page
        assert f'action="/people/{ids.kept}/export/full"' in page
        assert "SAR 2027/31</textarea>" in page
        assert 'value="json" checked' in page
        released = pages.post(f"/people/{ids.kept}/export/full", data={"reason": "SAR 2027/31", "format": "json"})
        assert released.status_code == 200
        assert released.get_json()["version"] == "full"
        assert [r["id"] for r in released.get_json()["merged_records"]] == [ids.merged]
        assert _exports_by(dpo) == 1


def test_a_restricted_cases_merged_record_is_withheld_from_a_manager_not_named_on_it(
    world, api_client, page_client, make
):
    with time_machine.travel(TODAY, tick=False):
        ids = _merge(world, api_client, make, restricted=True)
        # The manager sees Vera (her council case), not the restricted case her other record was on.
        document = _export(api_client, world.manager, ids.kept)
        assert document["merged_records"] == []
        assert document["withheld"]["restricted_cases"] == 1
        assert document["withheld"]["merged_records"] == 1
        assert scan_document(document, OWN) == []
        assert document["emails"] == []
        page = page_client(world.manager).get(f"/people/{ids.kept}/export").get_data(as_text=True)
        assert "withheld with its cases" in page
        assert not any(value in page for value in OWN)
        # Asked for by its id, the merged record is as missing to them as a record that does not exist.
        hidden = api_client(world.manager).get(f"/api/v1/people/{ids.merged}/export")
        missing = api_client(world.manager).get("/api/v1/people/999999/export")
        assert (hidden.status_code, hidden.get_json()) == (missing.status_code, missing.get_json())
        assert hidden.status_code == 404
        assert page_client(world.manager).get(f"/people/{ids.merged}/export").status_code == 404
        # Nor does the finder find Vera through the merged record's postcode.
        found = page_client(world.manager).get("/subject-access", query_string={"postcode": POSTCODE})
        assert f"/people/{ids.kept}/export" not in found.get_data(as_text=True)
        # It says to ask the data protection officer, as for a person on restricted cases.
        assert "1 person recorded by your agency matches your search" in found.get_data(as_text=True)
        # Read to be withheld, never shown: the audit log does not say the manager viewed it.
        assert _views_of(ids.merged, world.manager) == 0
        # Named on the restricted case, the manager sees it all.
        db.session.add(CaseAccess(case_id=ids.restricted_case.id, user_id=world.manager.id))
        db.session.commit()
        named = _export(api_client, world.manager, ids.kept)
        assert [r["id"] for r in named["merged_records"]] == [ids.merged]
        assert named["withheld"] is None
        assert api_client(world.manager).get(f"/api/v1/people/{ids.merged}/export").status_code == 422


def test_the_data_protection_officer_sees_the_merged_records_details(world, api_client, make):
    with time_machine.travel(TODAY, tick=False):
        ids = _merge(world, api_client, make, restricted=True)
        document = _export(api_client, _dpo(world, make), ids.kept)
        # The restricted case stays withheld from the redacted version; her details are hers.
        assert document["withheld"]["restricted_cases"] == 1
        assert "merged_records" not in document["withheld"]
        assert [r["details"]["address"] for r in document["merged_records"]] == [ADDRESS]


@pytest.mark.parametrize("who", ["manager", "dpo"])
def test_the_finder_finds_the_kept_record_through_a_merged_records_details(world, api_client, page_client, make, who):
    with time_machine.travel(TODAY, tick=False):
        ids = _merge(world, api_client, make, restricted=False)
        user = world.manager if who == "manager" else _dpo(world, make)
        page = page_client(user).get("/subject-access", query_string={"postcode": POSTCODE}).get_data(as_text=True)
    assert f"/people/{ids.kept}/export" in page
    assert f"/people/{ids.merged}/export" not in page
    assert f"Found through record {ids.merged}, merged into this one" in page


def test_after_an_undo_both_records_export_as_before(world, api_client, make):
    with time_machine.travel(TODAY, tick=False):
        ids = _merge(world, api_client, make, restricted=False)
        undone = api_client(world.officer).post(f"/api/v1/person-merges/{ids.merge}/undo")
        assert undone.status_code == 200, undone.get_json()
        kept = _export(api_client, world.manager, ids.kept)
        merged = _export(api_client, world.manager, ids.merged)
    assert kept["merged_records"] == []
    assert scan_document(kept, OWN) == []
    assert (merged["person"]["address"], merged["person"]["email"]) == (ADDRESS, EMAIL)
    assert [c["reference"] for c in merged["cases"]] == ["BOL-2026-0050"]
    assert [e["subject"] for e in merged["emails"]] == ["Your right to an ASB Case Review"]


def test_once_the_merged_record_is_anonymised_the_kept_records_export_no_longer_lists_it(world, api_client, make):
    from casework.data_protection.tasks import apply_retention

    with time_machine.travel(TODAY, tick=False):
        ids = _merge(world, api_client, make, restricted=False)
    with time_machine.travel(TODAY + timedelta(days=15), tick=False):
        # The window has closed, the retention run has not: still held, and said so.
        due = _export(api_client, world.manager, ids.kept)
        assert "removed at the next retention run" in due["merged_records"][0]["notice"]
        assert apply_retention()["people"] == 1
        document = _export(api_client, world.manager, ids.kept)
        assert document["merged_records"] == []
        assert scan_document(document, OWN) == []
        refused = api_client(world.manager).get(f"/api/v1/people/{ids.merged}/export")
    assert refused.status_code == 422


def test_a_restricted_cases_merged_record_is_not_found_through_the_person_api_or_pages(
    world, api_client, page_client, make
):
    with time_machine.travel(TODAY, tick=False):
        ids = _merge(world, api_client, make, restricted=True)
        # The officer named on the restricted case sees the merged record (the page goes to the kept one).
        assert api_client(world.officer).get(f"/api/v1/people/{ids.merged}").status_code == 200
        shown = page_client(world.officer).get(f"/people/{ids.merged}")
        assert shown.headers["Location"].endswith(f"/people/{ids.kept}")
        # To the colleague and the manager, not named on it, it is as missing as a record never made.
        for user in (world.colleague, world.manager):
            hidden = api_client(user).get(f"/api/v1/people/{ids.merged}")
            missing = api_client(user).get("/api/v1/people/999999")
            assert (hidden.status_code, hidden.get_json()) == (missing.status_code, missing.get_json())
            assert hidden.status_code == 404
            assert scan_document(hidden.get_json(), OWN) == []
            changed = api_client(user).patch(f"/api/v1/people/{ids.merged}", json={"version": 2, "phone": "01"})
            assert changed.status_code == 404
            pages = page_client(user)
            assert pages.get(f"/people/{ids.merged}").status_code == 404
            assert pages.get(f"/people/{ids.merged}/edit").status_code == 404


def test_a_chain_of_merges_is_followed_to_the_record_kept(world, api_client, make):
    with time_machine.travel(TODAY, tick=False):
        ids = _merge(world, api_client, make, restricted=False)
        # Vera's record (with the second one merged into it) is then merged into a third record of hers.
        third = api_client(world.officer).post("/api/v1/people", json={"name": "Vera Victim", "address": "1 Elm Row"})
        assert third.status_code == 201, third.get_json()
        last = third.get_json()["id"]
        db.session.add(CaseParty(case_id=world.case.id, person_id=last, role=PartyRole.witness))
        db.session.commit()
        merged = api_client(world.officer).post(f"/api/v1/people/{last}/merge", json={"merged_person_id": ids.kept})
        assert merged.status_code == 200, merged.get_json()
        document = _export(api_client, world.manager, last)
        assert [r["id"] for r in document["merged_records"]] == [ids.merged, ids.kept]
        assert scan_document(document, OWN) == OWN
        refused = api_client(world.manager).get(f"/api/v1/people/{ids.merged}/export")
        assert refused.status_code == 422
        assert f"merged into record {last}" in " ".join(refused.get_json()["errors"]["_rule"])


def test_a_case_review_applied_for_under_the_merged_records_email_is_in_the_kept_records_export(
    world, api_client, make
):
    from datetime import date

    from casework.community_triggers.models import ApplicantRole, Channel, TriggerApplication

    with time_machine.travel(TODAY, tick=False):
        ids = _merge(world, api_client, make, restricted=False)
        db.session.add(
            TriggerApplication(
                reference="BOL-CT-2027-0007",
                area_id=world.area.id,
                year=2027,
                sequence=7,
                received_on=date(2027, 2, 20),
                channel=Channel.email,
                applicant_name="V Victim",
                applicant_email=EMAIL.upper(),
                applicant_role=ApplicantRole.victim,
                description="Nobody has stopped the noise",
            )
        )
        db.session.commit()
        document = _export(api_client, world.manager, ids.kept)
    [application] = [a for a in document["case_review_applications"] if a["reference"] == "BOL-CT-2027-0007"]
    assert application["you_applied"] is True
