"""Registering an application: POST /api/v1/triggers (docs/api.md)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.cases.models import Case
from casework.community_triggers.models import AgencyNotification, TriggerApplication
from casework.community_triggers.signals import application_received
from casework.extensions import db
from casework.notifications.models import OutboxEmail


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def make_case(ct, *, reference: str = "BOL-2026-0001", lead_agency=None, **fields) -> Case:
    case = Case(
        reference=reference,
        area_id=ct.area.id,
        year=2026,
        sequence=int(reference.rsplit("-", 1)[1]),
        category="personal",
        summary="Noise",
        lead_agency_id=(lead_agency or ct.council).id,
        **fields,
    )
    db.session.add(case)
    db.session.commit()
    return case


def test_registration_answers_201_with_reference_status_deadlines_and_threshold(ct, api_client):
    response = api_client(ct.coordinator).post("/api/v1/triggers", json=ct.body())

    assert response.status_code == 201, response.json
    body = response.json
    assert isinstance(body["id"], int)
    assert body["reference"] == "BOL-CT-2026-0001"
    assert body["status"] == "received"
    # docs/api.md's example: received Mon 2 March 2026.
    assert body["deadlines"]["acknowledge"] == "2026-03-09"
    assert body["deadlines"]["threshold_decision"] == "2026-03-23"
    assert body["deadlines"]["information_requests"] == "2026-03-16"
    assert "review_meeting" not in body["deadlines"]
    threshold = body["threshold"]
    assert threshold["met_automatically"] is True
    assert threshold["basis"] == "automatic"
    assert threshold["qualifying_count"] == 3
    assert [c["qualifies"] for c in threshold["complaints"]] == [True, True, True]
    assert all(c["reason"].startswith("Counts:") for c in threshold["complaints"])


def test_references_run_per_area_and_year_of_receipt(ct, api_client):
    api = api_client(ct.police_manager)  # DERPOL covers both areas
    first = api.post("/api/v1/triggers", json=ct.body()).json["reference"]
    second = api.post("/api/v1/triggers", json=ct.body()).json["reference"]
    other_area = api.post("/api/v1/triggers", json=ct.body(area_code="NED")).json["reference"]
    last_year = api.post("/api/v1/triggers", json=ct.body(received_on="2025-12-31", complaints=[])).json["reference"]

    assert (first, second, other_area, last_year) == (
        "BOL-CT-2026-0001",
        "BOL-CT-2026-0002",
        "NED-CT-2026-0001",
        "BOL-CT-2025-0001",
    )


def test_applications_are_numbered_like_cases_by_the_one_counter_in_their_own_series(ct):
    """References are allocated one way (a locked counter row per series, area and year), so an
    application and a case in the same area and year each start at 1."""
    import sqlalchemy as sa

    from casework.accounts.models import ReferenceCounter
    from casework.cases.services import allocate_reference
    from casework.extensions import db

    first = ct.register()
    second = ct.register()
    assert (first.reference, second.reference) == ("BOL-CT-2026-0001", "BOL-CT-2026-0002")
    assert allocate_reference(first.area, 2026)[1] == "BOL-2026-0001"
    counters = dict(
        db.session.execute(
            sa.select(ReferenceCounter.series, ReferenceCounter.last_sequence).where(
                ReferenceCounter.area_id == first.area_id, ReferenceCounter.year == 2026
            )
        ).all()
    )
    assert counters == {"trigger_applications": 2, "cases": 1}


def test_receipt_notifies_every_agency_covering_the_area_and_emails_its_coordinators_and_managers(ct, make):
    make.user("officer", agency=ct.police, email="officer@police.example")
    received = []

    def listen(sender, **_kw):
        received.append(sender)

    # Only this test's receiver comes and goes: the service's own (the confirmation email) stay.
    with application_received.connected_to(listen):
        application = ct.register(received_on="2026-03-10")  # today: the agencies are emailed

    rows = db.session.scalars(
        sa.select(AgencyNotification).where(AgencyNotification.application_id == application.id)
    ).all()
    assert {r.agency.code for r in rows} == {"BDC", "DERPOL"}  # NEDDC does not cover Bolsover
    by_agency = {r.agency.code: r.recipients for r in rows}
    assert by_agency["BDC"] == ["coordinator@bdc.example", "manager@bdc.example"]
    assert by_agency["DERPOL"] == ["manager@police.example"]
    emails = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.related_id == application.id)).all()
    # The agencies' staff, and the applicant's confirmation (sent for every channel, ``letters``).
    assert sorted(e.to_address for e in emails) == sorted(
        ["coordinator@bdc.example", "manager@bdc.example", "manager@police.example", application.applicant_email]
    )
    assert all(application.reference in e.subject for e in emails)
    assert received == [application]


def test_an_application_received_before_today_is_recorded_without_emails_unless_asked(ct):
    past = ct.register()  # received 2 March, entered on 10 March: past work, recorded only
    notified = db.session.scalars(
        sa.select(AgencyNotification).where(AgencyNotification.application_id == past.id)
    ).all()
    assert {r.agency.code for r in notified} == {"BDC", "DERPOL"}
    assert db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.related_id == past.id)).all() == []
    asked = ct.register(send_letter=True)
    assert len(db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.related_id == asked.id)).all()) == 3


@pytest.mark.parametrize("role", ["officer", "coordinator", "manager"])
def test_officers_coordinators_and_managers_of_an_agency_covering_the_area_may_register(ct, api_client, role):
    response = api_client(getattr(ct, role)).post("/api/v1/triggers", json=ct.body())
    assert response.status_code == 201


@pytest.mark.parametrize(("who", "status"), [("chair", 403), ("partner", 403), ("admin", 403), ("outsider", 403)])
def test_other_roles_and_other_areas_are_refused_and_nothing_is_written(ct, api_client, who, status):
    response = api_client(getattr(ct, who)).post("/api/v1/triggers", json=ct.body())
    assert response.status_code == status
    assert count(TriggerApplication) == 0


def test_the_public_cannot_use_the_api(ct, api_client):
    assert api_client(None).post("/api/v1/triggers", json=ct.body()).status_code == 401
    assert count(TriggerApplication) == 0


def test_the_public_web_form_registers_with_no_actor(ct):
    from casework.community_triggers import services

    application = services.register_application(
        None,
        {
            "area": ct.area,
            "received_on": date(2026, 3, 10),
            "channel": "online",
            "applicant": {"name": "Jane Smith", "email": None},
            "applicant_role": "victim",
            "description": "Noise",
            "complaints": [
                {
                    "occurred_on": date(2026, 3, 1),
                    "reported_on": date(2026, 3, 2),
                    "agency": None,
                    "reported_to": "The housing office",
                }
            ],
        },
    )
    assert application.registered_by_id is None
    assert application.complaints[0].reported_to == "The housing office"
    assert application.threshold_evaluation["qualifying_count"] == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"applicant_role": "on_behalf", "consent_given": False}, "consent_given", "consent"),
        ({"received_on": "2026-03-11"}, "received_on", "future"),
        ({"channel": "carrier_pigeon"}, "channel", "Must be one of"),
        ({"applicant_role": "neighbour"}, "applicant_role", "Must be one of"),
        ({"area_code": "XXX"}, "area_code", "Unknown area"),
        (
            {"complaints": [{"occurred_on": "2026-02-10", "reported_on": "2026-02-09"}]},
            "complaints.0.reported_on",
            "before the day the behaviour happened",
        ),
        (
            {"complaints": [{"occurred_on": "2026-03-03", "reported_on": "2026-03-03"}]},
            "complaints.0.reported_on",
            "after the application was received",
        ),
        (
            {"complaints": [{"occurred_on": "2026-02-10", "reported_on": "2026-02-11", "agency_code": "NOPE"}]},
            "complaints.0.agency_code",
            "Unknown agency",
        ),
        ({"case_ids": [999999]}, "case_ids", "Unknown case"),
        ({"surprise": 1}, "surprise", "Unknown field"),
    ],
)
def test_invalid_input_answers_422_with_field_messages_and_writes_nothing(ct, api_client, overrides, field, message):
    audit_before = count(AuditEntry)
    response = api_client(ct.coordinator).post("/api/v1/triggers", json=ct.body(**overrides))

    assert response.status_code == 422, response.json
    assert any(message in m for m in response.json["errors"][field]), response.json
    assert count(TriggerApplication) == 0
    assert count(AgencyNotification) == 0
    assert count(OutboxEmail) == 0
    assert count(AuditEntry) == audit_before


def test_on_behalf_with_consent_is_accepted_and_a_complaint_reported_on_the_day_of_receipt_is_too(ct, api_client):
    body = ct.body(
        applicant_role="on_behalf",
        consent_given=True,
        complaints=[{"occurred_on": "2026-03-01", "reported_on": "2026-03-02", "agency_code": "BDC"}],
    )
    assert api_client(ct.coordinator).post("/api/v1/triggers", json=body).status_code == 201


def test_case_ids_must_be_cases_the_registering_user_can_see(ct, api_client):
    visible = make_case(ct, reference="BOL-2026-0001")
    hidden = make_case(ct, reference="BOL-2026-0002", lead_agency=ct.police)  # not shared with BDC

    api = api_client(ct.coordinator)
    refused = api.post("/api/v1/triggers", json=ct.body(case_ids=[visible.id, hidden.id]))
    assert refused.status_code == 422
    # Refused exactly as a case that does not exist would be: nothing about it is revealed.
    assert refused.json["errors"]["case_ids"] == [
        f"Unknown case: there is no such case, or you cannot see it: {hidden.id}"
    ]
    accepted = api.post("/api/v1/triggers", json=ct.body(case_ids=[visible.id]))
    assert accepted.status_code == 201
    assert accepted.json["case_ids"] == [visible.id]


def test_registration_is_audited(ct, api_client):
    body = api_client(ct.coordinator).post("/api/v1/triggers", json=ct.body()).json
    entry = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "trigger_applications", AuditEntry.object_id == str(body["id"])
        )
    )
    assert entry is not None
    assert entry.actor_id == ct.coordinator.id


def test_a_new_application_is_at_version_1(ct, api_client):
    assert api_client(ct.coordinator).post("/api/v1/triggers", json=ct.body()).json["version"] == 1
