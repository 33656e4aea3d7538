"""Community Trigger records written directly, so each counting rule can be tested at its boundaries
without depending on the services that normally write them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from casework.extensions import db


class TriggerRecords:
    def __init__(self, make: Any) -> None:
        self.make = make
        self._sequence = 0
        self._chair = None
        self._agency = None

    def _chair_user(self) -> Any:
        if self._chair is None:
            self._chair = self.make.user("chair")
        return self._chair

    def application(
        self,
        area: Any,
        received_on: date,
        channel: str = "online",
        withdrawn_on: date | None = None,
        screened_out_on: date | None = None,
    ) -> Any:
        from casework.community_triggers.models import ApplicantRole, Channel, TriggerApplication

        self._sequence += 1
        application = TriggerApplication(
            reference=f"{area.code}-CT-{received_on.year}-{self._sequence:04d}",
            area_id=area.id,
            year=received_on.year,
            sequence=self._sequence,
            received_on=received_on,
            channel=Channel(channel),
            applicant_name="A Resident",
            applicant_role=ApplicantRole.victim,
            description="Repeated noise and threats.",
            withdrawn_on=withdrawn_on,
            screened_out_on=screened_out_on,
        )
        db.session.add(application)
        db.session.flush()
        return application

    def decision(self, application: Any, decided_on: date, met: bool = True, basis: str | None = "automatic") -> Any:
        from casework.community_triggers.models import DecisionBasis, ThresholdDecision

        decision = ThresholdDecision(
            application_id=application.id,
            met=met,
            basis=DecisionBasis(basis) if met and basis else None,
            decided_on=decided_on,
        )
        db.session.add(decision)
        db.session.flush()
        return decision

    def meeting(
        self,
        application: Any,
        held_on: date | None,
        outcome: bool = True,
        recommendations: int = 0,
    ) -> Any:
        from casework.community_triggers.models import Recommendation, ReviewMeeting

        meeting = ReviewMeeting(
            application_id=application.id,
            scheduled_on=held_on or date(2025, 1, 1),
            chair_id=self._chair_user().id,
            held_on=held_on,
            outcome="Action plan agreed." if outcome else None,
            outcome_recorded_at=datetime(held_on.year, held_on.month, held_on.day, 17, tzinfo=UTC)
            if outcome and held_on
            else None,
        )
        db.session.add(meeting)
        db.session.flush()
        if recommendations:
            if self._agency is None:
                self._agency = self.make.agency()
            for n in range(recommendations):
                db.session.add(
                    Recommendation(
                        meeting_id=meeting.id,
                        text=f"Recommendation {n + 1}",
                        agency_id=self._agency.id,
                        due_on=held_on,
                    )
                )
            db.session.flush()
        return meeting

    def appeal(
        self, application: Any, received_on: date, decision: str | None = None, decided_on: date | None = None
    ) -> Any:
        from casework.community_triggers.models import Appeal, AppealDecision

        appeal = Appeal(
            application_id=application.id,
            received_on=received_on,
            grounds="The review did not consider all the complaints.",
            decision=AppealDecision(decision) if decision else None,
            decided_on=decided_on,
        )
        db.session.add(appeal)
        db.session.flush()
        return appeal


@pytest.fixture
def records(make: Any) -> TriggerRecords:
    return TriggerRecords(make)


@pytest.fixture
def area_staff(make: Any):
    """``area_staff(code)``: an area, its council, and a coordinator, manager, officer and admin there."""

    def build(code: str = "BOL") -> dict[str, Any]:
        area = make.area(code, {"BOL": "Bolsover", "NED": "North East Derbyshire"}.get(code))
        agency = make.agency(f"{code}C", areas=[area])
        return {
            "area": area,
            "agency": agency,
            **{
                role: make.user(role, agency=agency)
                for role in ("coordinator", "manager", "officer", "chair", "partner", "admin")
            },
        }

    return build
