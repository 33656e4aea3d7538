"""A partnership adopting the service re-enters its whole past year of Case Reviews through the API,
exactly as docs/api.md describes each request, and gets that year's statutory figures from the records.

Every step is dated in the past (docs/api.md: "Dates of events are inputs"), so every step is recorded only:
no letter is produced and no email is sent for any of it, and the audit log keeps both
the day each step happened and the day it was entered.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.audit.models import AuditEntry
from casework.community_triggers.models import Letter
from casework.extensions import db
from casework.notifications.models import OutboxEmail

#: Entered in the summer after the year ended (the financial year 1 April 2025 to 31 March 2026).
ENTERED = "2026-06-15"
YEAR = {"area": "BOL", "period_start": "2025-04-01", "period_end": "2026-03-31"}


@pytest.fixture
def partnership(make: Any) -> Any:
    with time_machine.travel(ENTERED + " 10:00 +00:00", tick=False):
        area = make.area("BOL", "Bolsover")
        other = make.area("NED", "North East Derbyshire")
        council = make.agency("BDC", areas=[area], kind="council")
        police = make.agency("DERPOL", areas=[area, other], kind="police")
        neddc = make.agency("NEDDC", areas=[other], kind="council")
        coordinator = make.user("coordinator", agency=council, email="coordinator@bdc.example")
        manager = make.user("manager", agency=council, email="manager@bdc.example")
        chair = make.user("chair", agency=neddc, email="chair@neddc.example", name="Charles Chair")
        yield type(
            "Partnership",
            (),
            {"coordinator": coordinator, "manager": manager, "chair": chair, "police": police, "council": council},
        )


def complaint(occurred: str, reported: str, reference: str) -> dict[str, Any]:
    return {
        "complainant_name": "Jane Smith",
        "occurred_on": occurred,
        "reported_on": reported,
        "agency_code": "BDC",
        "reference": reference,
        "causes_had": True,
        "hate_motivated": False,
    }


def application(received_on: str, complaints: list[dict[str, Any]], name: str = "Jane Smith") -> dict[str, Any]:
    return {
        "area_code": "BOL",
        "received_on": received_on,
        "channel": "phone",
        "applicant": {"name": name, "email": "jane@example.org", "phone": None, "address": None},
        "applicant_role": "victim",
        "consent_given": True,
        "description": "Noise and threats from the flat upstairs.",
        "case_ids": [],
        "complaints": complaints,
    }


class Office:
    """The API calls of the year, in docs/api.md's words."""

    def __init__(self, coordinator: Any, chair: Any) -> None:
        self.coordinator = coordinator
        self.chair = chair

    def post(self, client: Any, path: str, body: dict[str, Any], status: int) -> dict[str, Any]:
        response = client.post(path, json=body)
        assert response.status_code == status, (path, response.json)
        return response.json

    def register(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.post(self.coordinator, "/api/v1/triggers", body, 201)

    def acknowledge(self, item: dict[str, Any], on: str) -> None:
        self.post(self.coordinator, f"/api/v1/triggers/{item['id']}/acknowledge", {"acknowledged_on": on}, 200)

    def decide(self, item: dict[str, Any], on: str, met: bool, reasons: str) -> None:
        body = {"met": met, "reasons": reasons, "decided_on": on, **({"basis": "automatic"} if met else {})}
        self.post(self.coordinator, f"/api/v1/triggers/{item['id']}/threshold-decision", body, 200)

    def meet(
        self, item: dict[str, Any], arranged_on: str, held_on: str, recommendations: list[dict[str, Any]]
    ) -> dict[str, Any]:
        meeting = self.post(
            self.coordinator,
            f"/api/v1/triggers/{item['id']}/meetings",
            {"scheduled_on": held_on, "chair_email": "chair@neddc.example", "arranged_on": arranged_on},
            201,
        )
        assert meeting["arranged_on"] == arranged_on
        return self.post(
            self.chair,
            f"/api/v1/triggers/{item['id']}/meetings/{meeting['id']}/outcome",
            {
                "held_on": held_on,
                "minutes": "The agencies reviewed the response to each complaint.",
                "victim_invited": True,
                "recommendations": recommendations,
            },
            200,
        )


def three_complaints(year: int, month: int) -> list[dict[str, Any]]:
    return [
        complaint(f"{year}-{month:02d}-01", f"{year}-{month:02d}-02", "LOG-1"),
        complaint(f"{year}-{month:02d}-08", f"{year}-{month:02d}-09", "LOG-2"),
        complaint(f"{year}-{month:02d}-15", f"{year}-{month:02d}-16", "LOG-3"),
    ]


def test_a_past_year_re_entered_through_the_api_gives_that_years_figures(partnership, api_client):
    with time_machine.travel(ENTERED + " 10:00 +00:00", tick=False):
        office = Office(api_client(partnership.coordinator), api_client(partnership.chair))
        recommendation = {"text": "Install noise monitoring.", "agency_code": "BDC", "due_on": "2025-07-31"}

        # Received in the year before, decided "not met" in this one.
        earlier = office.register(application("2025-03-20", [complaint("2025-03-01", "2025-03-02", "LOG-0")]))
        office.decide(earlier, "2025-04-03", met=False, reasons="One complaint.")

        # Met, a meeting held with two recommendations.
        met = office.register(application("2025-04-10", three_complaints(2025, 3)))
        office.acknowledge(met, "2025-04-14")
        office.decide(met, "2025-04-25", met=True, reasons="Three qualifying complaints.")
        office.meet(
            met,
            "2025-04-28",
            "2025-05-20",
            [recommendation, {**recommendation, "text": "Evening patrols.", "agency_code": "DERPOL"}],
        )

        # Not met, and the applicant's appeal (within the window) is not upheld.
        not_met = office.register(application("2025-06-02", [complaint("2025-05-20", "2025-05-21", "LOG-9")]))
        office.decide(not_met, "2025-06-16", met=False, reasons="One qualifying complaint.")
        appeal = office.post(
            office.coordinator,
            f"/api/v1/triggers/{not_met['id']}/appeal",
            {
                "received_on": "2025-06-30",
                "grounds": "Two more reports were not counted.",
                "handler_name": "Office of the PCC",
            },
            201,
        )
        assert appeal["received_on"] == "2025-06-30"
        office.post(
            office.coordinator,
            f"/api/v1/triggers/{not_met['id']}/appeal/decision",
            {
                "decision": "not_upheld",
                "reasons": "The reports were about other behaviour.",
                "decided_on": "2025-07-10",
            },
            200,
        )

        # Met, a meeting held that made no recommendation.
        quiet = office.register(application("2025-09-01", three_complaints(2025, 8)))
        office.decide(quiet, "2025-09-12", met=True, reasons="Three qualifying complaints.")
        office.meet(quiet, "2025-09-15", "2025-10-01", [])

        # Withdrawn.
        withdrawn = office.register(application("2025-11-03", three_complaints(2025, 10)))
        office.post(
            office.coordinator,
            f"/api/v1/triggers/{withdrawn['id']}/withdraw",
            {"withdrawn_on": "2025-11-20", "reason": "The neighbour moved away."},
            200,
        )

        # Received at the end of the year, decided and reviewed in the next one.
        late = office.register(application("2026-03-25", three_complaints(2026, 3)))
        office.decide(late, "2026-04-08", met=True, reasons="Three qualifying complaints.")
        office.meet(late, "2026-04-09", "2026-05-01", [{**recommendation, "due_on": "2026-06-30"}])

        figures = api_client(partnership.manager).get("/api/v1/statistics", query_string=YEAR)
        assert figures.status_code == 200, figures.json
        assert {
            k: figures.json[k]
            for k in ("applications", "threshold_not_met", "reviews_carried_out", "reviews_with_recommendations")
        } == {
            "applications": 5,  # met, not met, quiet, withdrawn, late (withdrawn ones count)
            "threshold_not_met": 2,  # the earlier application's and the not-met one's decisions
            "reviews_carried_out": 2,  # met's and quiet's meetings (late's was held after the year)
            "reviews_with_recommendations": 1,
        }
        next_year = api_client(partnership.manager).get(
            "/api/v1/statistics", query_string={**YEAR, "period_start": "2026-04-01", "period_end": "2027-03-31"}
        )
        assert next_year.json["reviews_carried_out"] == 1
        assert next_year.json["applications"] == 0

        # Past work is recorded only: no letter was produced and no email queued for any of it.
        assert db.session.scalar(sa.select(sa.func.count(Letter.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0
        # The audit log keeps the day each step happened and the day it was entered.
        entry = db.session.scalar(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == "trigger_meetings", AuditEntry.summary.like("Recorded the outcome%"))
            .order_by(AuditEntry.id)
        )
        assert entry.changes["event_on"] == "2025-05-20"
        # (created_at is the database's clock: the moment it was entered, whatever the test's "today".)
        assert entry.created_at.date() > date(2025, 5, 20)


def test_a_step_dated_in_the_past_sends_its_letter_when_asked(partnership, api_client):
    with time_machine.travel(ENTERED + " 10:00 +00:00", tick=False):
        office = Office(api_client(partnership.coordinator), api_client(partnership.chair))
        item = office.register(application("2026-06-01", three_complaints(2026, 5)))
        office.post(
            office.coordinator,
            f"/api/v1/triggers/{item['id']}/acknowledge",
            {"acknowledged_on": "2026-06-02", "send_letter": True},
            200,
        )
        office.decide(item, "2026-06-15", met=True, reasons="Three.")  # today: its letter goes out
        kinds = sorted(letter.kind.value for letter in db.session.scalars(sa.select(Letter)))
        assert kinds == ["acknowledgement", "threshold_decision"]


def test_dates_before_the_steps_they_follow_or_in_the_future_are_refused(partnership, api_client):
    with time_machine.travel(ENTERED + " 10:00 +00:00", tick=False):
        office = Office(api_client(partnership.coordinator), api_client(partnership.chair))
        item = office.register(application("2025-04-10", three_complaints(2025, 3)))
        office.decide(item, "2025-04-25", met=True, reasons="Three.")
        early = office.coordinator.post(
            f"/api/v1/triggers/{item['id']}/meetings",
            json={"scheduled_on": "2025-05-20", "chair_email": "chair@neddc.example", "arranged_on": "2025-04-24"},
        )
        assert early.status_code == 422
        assert "arranged_on" in early.json["errors"]
        future = office.coordinator.post(
            f"/api/v1/triggers/{item['id']}/meetings",
            json={"scheduled_on": "2026-07-20", "chair_email": "chair@neddc.example", "arranged_on": "2026-06-16"},
        )
        assert future.status_code == 422
        assert "arranged_on" in future.json["errors"]
        meeting = office.post(
            office.coordinator,
            f"/api/v1/triggers/{item['id']}/meetings",
            {"scheduled_on": "2025-05-20", "chair_email": "chair@neddc.example", "arranged_on": "2025-04-28"},
            201,
        )
        before_arranged = office.chair.post(
            f"/api/v1/triggers/{item['id']}/meetings/{meeting['id']}/outcome",
            json={"held_on": "2025-04-27", "minutes": "Held.", "victim_invited": True, "recommendations": []},
        )
        assert before_arranged.status_code == 422
        assert "held_on" in before_arranged.json["errors"]


def test_a_letter_sent_by_post_is_recorded_with_its_day(partnership, api_client):
    with time_machine.travel(ENTERED + " 10:00 +00:00", tick=False):
        office = Office(api_client(partnership.coordinator), api_client(partnership.chair))
        item = office.register(application("2025-04-10", three_complaints(2025, 3)))
        office.decide(item, "2025-04-25", met=True, reasons="Three.")
        office.meet(item, "2025-04-28", "2025-05-20", [])
        meeting_url = f"/api/v1/triggers/{item['id']}/meetings/" + str(
            office.coordinator.get(f"/api/v1/triggers/{item['id']}").json["meetings"][0]["id"]
        )
        # The outcome goes out only once the review is complete: before that, no letter can have gone.
        too_soon = office.coordinator.post(
            f"/api/v1/triggers/{item['id']}/letters", json={"kind": "outcome", "sent_on": "2025-06-10"}
        )
        assert too_soon.status_code == 422
        office.coordinator.patch(meeting_url, json={"attendees": [{"name": "The chair"}]})
        gaps = office.coordinator.post(meeting_url + "/completeness", json={}).json["errors"]
        office.post(
            office.coordinator,
            meeting_url + "/completeness",
            {
                "confirmed_on": "2025-06-09",
                "send_letter": False,
                "victim_not_consulted_reason": "Declined.",
                "missing_information": [
                    {"agency_code": key.split(".", 1)[1], "reason": "Given orally."}
                    for key in gaps
                    if key.startswith("missing_information.")
                ],
            },
            200,
        )
        letter = office.post(
            office.coordinator,
            f"/api/v1/triggers/{item['id']}/letters",
            {"kind": "outcome", "sent_on": "2025-06-10"},
            201,
        )
        assert letter["sent_on"] == "2025-06-10"
        assert letter["emailed_to"] is None
        answer = office.coordinator.get(f"/api/v1/triggers/{item['id']}").json
        assert answer["meetings"][0]["outcome_letter_sent_on"] == "2025-06-10"
        assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0
        again = office.coordinator.post(
            f"/api/v1/triggers/{item['id']}/letters", json={"kind": "outcome", "sent_on": "2025-06-11"}
        )
        assert again.status_code == 422
