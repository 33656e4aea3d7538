"""Shared set-up for the Case Review tests: an area with its agencies and a user in every role.

``ct`` builds the world once per test; ``ct.body(...)`` is a valid ``POST /api/v1/triggers`` body and
``ct.register(...)`` registers one through the service (as the coordinator, unless told otherwise).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine

from casework.extensions import db

#: "Today" in these tests unless a test travels elsewhere: a Tuesday in March 2026.
TODAY = date(2026, 3, 10)


def complaint(occurred: str, reported: str, **extra: Any) -> dict[str, Any]:
    return {"occurred_on": occurred, "reported_on": reported, "agency_code": "BDC", **extra}


THREE_QUALIFYING = [
    complaint("2026-01-10", "2026-01-12", reference="LOG-1"),
    complaint("2026-01-20", "2026-01-21", reference="LOG-2"),
    complaint("2026-02-05", "2026-02-06", reference="LOG-3"),
]


@pytest.fixture
def today():
    with time_machine.travel(TODAY.isoformat() + " 12:00 +00:00", tick=False) as traveller:
        yield traveller


@pytest.fixture
def ct(make: Any, today: Any) -> SimpleNamespace:
    area = make.area("BOL", "Bolsover")
    other_area = make.area("NED", "North East Derbyshire")
    council = make.agency("BDC", areas=[area], kind="council")
    police = make.agency("DERPOL", areas=[area, other_area], kind="police")
    other_council = make.agency("NEDDC", areas=[other_area], kind="council")
    world = SimpleNamespace(
        area=area,
        other_area=other_area,
        council=council,
        police=police,
        other_council=other_council,
        officer=make.user("officer", agency=council, email="officer@bdc.example"),
        coordinator=make.user("coordinator", agency=council, email="coordinator@bdc.example"),
        manager=make.user("manager", agency=council, email="manager@bdc.example"),
        police_manager=make.user("manager", agency=police, email="manager@police.example"),
        chair=make.user("chair", agency=other_council, email="chair@neddc.example", name="Charles Chair"),
        other_chair=make.user("chair", agency=other_council, email="chair2@neddc.example"),
        partner=make.user("partner", agency=police, email="partner@police.example"),
        admin=make.user("admin", agency=council, email="admin@bdc.example"),
        outsider=make.user("coordinator", agency=other_council, email="coordinator@neddc.example"),
    )

    def body(**overrides: Any) -> dict[str, Any]:
        data = {
            "area_code": "BOL",
            "received_on": "2026-03-02",
            "channel": "phone",
            "applicant": {"name": "Jane Smith", "email": "jane@example.org", "phone": None, "address": None},
            "applicant_role": "victim",
            "consent_given": False,
            "description": "Noise and threats from the flat upstairs.",
            "case_ids": [],
            "complaints": [dict(c) for c in THREE_QUALIFYING],
        }
        data.update(overrides)
        return data

    def register(actor: Any = None, **overrides: Any) -> Any:
        from casework.community_triggers import services
        from casework.community_triggers.schemas import ApplicationCreateArgs
        from casework.community_triggers.views.api import registration_data
        from casework.core.webargs import load

        actor = actor or world.coordinator
        args = load(ApplicationCreateArgs(), body(**overrides))
        application = services.register_application(actor, registration_data(actor, args))
        db.session.commit()
        return application

    def case(reference: str = "BOL-2026-0001", *, lead_agency: Any = None, **fields: Any) -> Any:
        from casework.cases.models import Case

        row = Case(
            reference=reference,
            area_id=area.id,
            year=int(reference.split("-")[1]),
            sequence=int(reference.rsplit("-", 1)[1]),
            category="personal",
            summary="Noise from the flat upstairs",
            lead_agency_id=(lead_agency or council).id,
            **fields,
        )
        db.session.add(row)
        db.session.commit()
        return row

    def incident(
        case_row: Any, occurred_on: date, complaints: list[tuple[date, Any, str | None]], **fields: Any
    ) -> Any:
        """An incident on ``case_row`` with complaints ``(reported_on, agency, complainant name)``."""
        from casework.cases.models import Complaint, Incident, Person

        row = Incident(case_id=case_row.id, occurred_on=occurred_on, description="Shouting", **fields)
        for reported_on, agency, name in complaints:
            person = None
            if name:
                person = Person(name=name, normalised_name=" ".join(name.split()).casefold())
            row.complaints.append(
                Complaint(
                    reported_on=reported_on,
                    agency_id=agency.id,
                    complainant=person,
                    created_by_id=fields.get("created_by_id"),
                )
            )
        db.session.add(row)
        db.session.commit()
        return row

    world.today_date = TODAY
    world.body = body
    world.register = register
    world.case = case
    world.incident = incident
    return world
