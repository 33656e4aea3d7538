"""A record merged into another keeps its own details only for the undo window; then the retention run
removes them (docs/guides/dpo.md, "Records merged into another"). The merged record's cases live on
(they moved to the kept record), so nothing of them is anonymised with it: every copy of its name,
email address and phone number written into another record while it was in use must go with it.

The test gives the merged record details of its own, puts it to work on the kept record's open case
(a party, two reports raising the second-report task, a risk assessment, a warning with its
deadline, a victim page that sent a link by email and a code by text message, a Case Review it applied
for), merges it, lets the window pass, runs retention and looks for its details in every column of
every table (``scan_database`` reflects the schema: a table added later is scanned too)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import time_machine

from casework.extensions import db
from tests.lifecycle.planting import new_marker, scan_database

TODAY = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)

#: What survives the merged record on purpose, and why (table.column, as ``scan_database`` names them).
ALLOWED = {
    # The victim page moved to the kept record with the merge (the page's history is the person's: the
    # kept record's subject access export shows it), with its contact details and the audit entry of its
    # switching on; it goes when the kept record is anonymised.
    "victim_accesses.email",
    "victim_accesses.mobile",
    "audit_values.changes",
    # The Case Review application is a record of its own, kept with the case it is linked to (an
    # application made under the merged record's name is in the kept record's export); it goes with
    # the last of its cases.
    "trigger_applications.applicant_name",
    "trigger_applications.applicant_normalised_name",
    "trigger_applications.applicant_email",
    "trigger_applications.applicant_phone",
    "trigger_applications.threshold_evaluation",
}


def _merged_record_at_work(world: Any, api_client: Any, name: str, email: str, phone: str) -> int:
    from casework.accounts.models import Area, User
    from casework.cases.models import Case, Person
    from casework.cases.services import add_party
    from casework.community_triggers import services as case_reviews
    from casework.core.db import commit
    from casework.victims import services as victim_page
    from tests.support.risk_answers import ALL_NO

    client = api_client(world.officer)
    created = client.post(
        "/api/v1/people",
        json={"name": name, "email": email, "phone": phone, "address": "1 Station Road", "date_of_birth": "1950-01-01"},
    )
    assert created.status_code == 201, created.get_json()
    merged_id = created.get_json()["id"]
    add_party(world.officer, world.case, merged_id, "victim")
    db.session.commit()
    for day in ("2027-02-01", "2027-02-10"):
        response = client.post(
            f"/api/v1/cases/{world.case.id}/incidents",
            json={
                "occurred_on": day,
                "description": "Shouting",
                "complaints": [{"complainant_person_id": merged_id, "reported_on": day, "agency_code": "BDC"}],
            },
        )
        assert response.status_code == 201, response.get_json()
    response = client.post(
        f"/api/v1/cases/{world.case.id}/risk-assessments",
        json={"answers": {**ALL_NO, "threats_of_violence": "yes"}, "victim_person_id": merged_id},
    )
    assert response.status_code == 201, response.get_json()
    response = client.post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={"kind": "cpw", "subject_person_id": merged_id, "issued_on": "2027-02-20", "comply_by": "2027-04-01"},
    )
    assert response.status_code == 201, response.get_json()
    case_reviews.register_application(
        db.session.get(User, world.coordinator.id),
        {
            "area": db.session.get(Area, world.area.id),
            "received_on": date(2027, 2, 20),
            "channel": "email",
            "applicant": {"name": name, "email": email, "phone": phone},
            "applicant_role": "victim",
            "consent_given": True,
            "description": "Noise",
            "cases": [db.session.get(Case, world.case.id)],
            "complaints": [],
        },
    )
    commit()
    victim_page.switch_on(
        db.session.get(User, world.officer.id),
        db.session.get(Case, world.case.id),
        db.session.get(Person, merged_id),
        email=email,
        mobile=phone,
        contact_checked=True,
        contact_by="text",
    )
    victim_page.send_link(email)
    victim_page.send_code(phone)
    commit()
    return merged_id


def test_a_merged_record_leaves_nothing_once_the_undo_window_has_passed(world, api_client):
    from casework.accounts.models import User
    from casework.cases.models import Person
    from casework.core.db import commit
    from casework.data_protection.merge import merge_people
    from casework.data_protection.tasks import apply_retention

    surname = new_marker("zeb")
    name = f"Zebedee {surname}"
    email = f"{new_marker('eml').lower()}@example.org"
    phone = "07700 900777"
    markers = [surname, email.split("@")[0], "900777"]
    with time_machine.travel(TODAY, tick=False):
        merged_id = _merged_record_at_work(world, api_client, name, email, phone)
        merge_people(
            db.session.get(User, world.officer.id),
            db.session.get(Person, world.victim.id),
            db.session.get(Person, merged_id),
        )
        commit()
    before = {found.split(":")[0] for found in scan_database(markers)}
    # Planted where the test means to look: the copies this test is about are there before the run.
    assert {"deadlines.title", "audit_values.summary", "outbox_emails.to_address"} <= before

    with time_machine.travel(TODAY + timedelta(days=15), tick=False):
        assert apply_retention()["people"] == 1
        db.session.commit()

    db.session.expire_all()
    assert db.session.get(Person, merged_id).anonymised_at is not None
    left = [found for found in scan_database(markers) if found.split(":")[0] not in ALLOWED]
    assert left == []
    # The kept record's work goes on: the warning's deadline is still there, naming nobody.
    from casework.reminders.models import Deadline

    titles = db.session.scalars(db.select(Deadline.title).where(Deadline.subject_type == "interventions")).all()
    assert titles
    assert all(surname not in title for title in titles)
