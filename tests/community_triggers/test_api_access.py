"""Who sees which applications, the list (filters, paging, a fixed number of queries), and the audit
of every view (docs/api.md)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from casework.audit.models import AuditAction, AuditEntry
from casework.community_triggers import services
from casework.extensions import db


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("officer", True),
        ("coordinator", True),
        ("manager", True),
        ("police_manager", True),
        ("chair", False),
        ("partner", False),
        ("admin", False),
        ("outsider", False),
    ],
)
def test_who_sees_an_application(ct, api_client, who, sees):
    application = ct.register()
    api = api_client(getattr(ct, who))
    detail = api.get(f"/api/v1/triggers/{application.id}")
    listing = api.get("/api/v1/triggers")
    if sees:
        assert detail.status_code == 200
        assert [i["id"] for i in listing.json["items"]] == [application.id]
    else:
        assert detail.status_code in {403, 404}
        assert listing.status_code == 403 or listing.json["total"] == 0


def test_anonymous_is_refused(api_client):
    assert api_client(None).get("/api/v1/triggers").status_code == 401


@pytest.mark.parametrize("who", ["officer", "chair", "partner", "admin", "outsider"])
@pytest.mark.parametrize(
    ("step", "body"),
    [
        ("acknowledge", {"acknowledged_on": "2026-03-03"}),
        ("withdraw", {"withdrawn_on": "2026-03-03", "reason": "r"}),
        ("appeal", {"received_on": "2026-03-03", "grounds": "g"}),
        ("meetings", {"scheduled_on": "2026-03-20", "chair_email": "chair@neddc.example"}),
        ("threshold-decision", {"met": True, "basis": "automatic", "decided_on": "2026-03-03"}),
        ("screen-out", {"screened_out_on": "2026-03-03", "reason": "A service complaint."}),
    ],
)
def test_only_coordinators_and_managers_of_the_area_take_the_steps(ct, api_client, who, step, body):
    application = ct.register()
    before = application.version
    response = api_client(getattr(ct, who)).post(f"/api/v1/triggers/{application.id}/{step}", json=body)
    assert response.status_code in {403, 404}, response.json
    db.session.expire_all()
    assert application.version == before


def test_viewing_an_application_is_audited(ct, api_client):
    application = ct.register()
    assert api_client(ct.officer).get(f"/api/v1/triggers/{application.id}").status_code == 200
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == AuditAction.view, AuditEntry.object_id == str(application.id))
    )
    assert entry is not None
    assert entry.actor_id == ct.officer.id
    # The list logs each application it shows as that application's view entry, and nothing besides.
    assert api_client(ct.officer).get("/api/v1/triggers").status_code == 200
    views = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.view)).all()
    assert [(e.object_type, e.object_id, e.actor_id) for e in views] == [
        ("trigger_applications", str(application.id), ct.officer.id)
    ] * 2


def test_the_application_has_its_decision_meetings_recommendations_and_appeal(ct, api_client):
    application = ct.register()
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons="Three.", decided_on=date(2026, 3, 9)
    )
    meeting = services.arrange_meeting(ct.coordinator, application, scheduled_on=date(2026, 3, 10), chair=ct.chair)
    services.record_outcome(
        ct.chair,
        meeting,
        held_on=date(2026, 3, 10),
        minutes="m",
        victim_invited=True,
        recommendations=[{"text": "Visit", "agency": ct.police, "due_on": date(2026, 4, 1)}],
    )
    services.lodge_appeal(ct.coordinator, application, received_on=date(2026, 3, 10), grounds="g")
    db.session.commit()
    body = api_client(ct.coordinator).get(f"/api/v1/triggers/{application.id}").json
    assert body["decision"]["reasons"] == "Three."
    assert body["meetings"][0]["chair"]["email"] == ct.chair.email
    assert body["recommendations"] == [body["meetings"][0]["recommendations"][0]]
    assert body["recommendations"][0]["agency_code"] == "DERPOL"
    assert body["appeal"]["grounds"] == "g"
    assert body["status"] == "appealed"
    assert set(body["deadlines"]) >= {
        "acknowledge",
        "threshold_decision",
        "review_meeting",
        "papers_to_panel",
        "outcome_letter",
        "appeal_window_closes",
        "appeal_decision",
    }


def test_filters_and_paging(ct, api_client):
    api = api_client(ct.police_manager)
    for area in ("BOL", "BOL", "NED"):
        api.post("/api/v1/triggers", json=ct.body(area_code=area))
    assert api.get("/api/v1/triggers?area=BOL").json["total"] == 2
    assert api.get("/api/v1/triggers?area=ned").json["total"] == 1
    assert api.get("/api/v1/triggers?status=withdrawn").json["total"] == 0
    page = api.get("/api/v1/triggers?per_page=2&page=2").json
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 2, 2, 1)
    assert api.get("/api/v1/triggers?per_page=101").status_code == 422
    assert api.get("/api/v1/triggers?status=nonsense").status_code == 422


def test_the_list_runs_a_fixed_number_of_queries(ct, api_client, count_queries, make):
    api = api_client(ct.coordinator)
    added: list[int] = []

    agencies = [make.agency(f"REC{i}", areas=[ct.area]) for i in range(7)]
    owners = [make.user("officer", agency=agencies[i], email=f"owner{i}@example.org") for i in range(7)]

    def add(n: int) -> None:
        for _ in range(n):
            index = len(added)
            added.append(index)
            application = ct.register(case_ids=[])
            services.decide_threshold(
                ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
            )
            meeting = services.arrange_meeting(
                ct.coordinator, application, scheduled_on=date(2026, 3, 10), chair=ct.chair
            )
            services.record_outcome(
                ct.chair,
                meeting,
                held_on=date(2026, 3, 10),
                minutes="m",
                victim_invited=True,
                recommendations=[
                    {"text": "Visit", "agency": agencies[index], "owner": owners[index], "due_on": date(2026, 4, 1)}
                ],
            )
            db.session.commit()

    add(2)
    with count_queries() as small:
        assert api.get("/api/v1/triggers").json["total"] == 2
    add(5)
    with count_queries() as large:
        assert api.get("/api/v1/triggers").json["total"] == 7
    assert small.count == large.count
