"""Casework records written directly, so each counting rule of the partnership report can be checked
against a hand count without depending on the services that normally write them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from casework.extensions import db
from tests.statistics.conftest import TriggerRecords


class CaseRecords:
    def __init__(self, make: Any) -> None:
        self.make = make
        self._sequence = 0
        self._questionnaire = None

    def person(self, name: str) -> Any:
        from casework.cases.models import Person

        person = Person(name=name, normalised_name=name.lower())
        db.session.add(person)
        db.session.flush()
        return person

    def case(
        self,
        area: Any,
        agency: Any,
        opened_on: date,
        closed_on: date | None = None,
        category: str = "personal",
        victims: tuple[Any, ...] = (),
    ) -> Any:
        from casework.cases.models import Case, CaseParty, CaseStatus, PartyRole

        self._sequence += 1
        case = Case(
            reference=f"{area.code}-{opened_on.year}-{self._sequence:04d}",
            area_id=area.id,
            year=opened_on.year,
            sequence=self._sequence,
            category=category,
            summary="Noise and threats.",
            lead_agency_id=agency.id,
            opened_on=opened_on,
            closed_on=closed_on,
            status=CaseStatus.closed if closed_on else CaseStatus.open,
        )
        db.session.add(case)
        db.session.flush()
        for victim in victims:
            db.session.add(CaseParty(case_id=case.id, person_id=victim.id, role=PartyRole.victim))
        db.session.flush()
        return case

    def incident(self, case: Any, occurred_on: date, complaints: tuple[tuple[Any, date], ...] = ()) -> Any:
        from casework.cases.models import Complaint, Incident

        incident = Incident(case_id=case.id, occurred_on=occurred_on, description="Shouting at night.")
        db.session.add(incident)
        db.session.flush()
        for agency, reported_on in complaints:
            db.session.add(Complaint(incident_id=incident.id, reported_on=reported_on, agency_id=agency.id))
        db.session.flush()
        return incident

    def intervention(self, case: Any, agency: Any, kind: str, issued_on: date, breaches: tuple[date, ...] = ()) -> Any:
        from casework.interventions.models import Intervention, InterventionBreach, InterventionKind

        intervention = Intervention(
            case_id=case.id, kind=InterventionKind(kind), issuing_agency_id=agency.id, issued_on=issued_on
        )
        db.session.add(intervention)
        db.session.flush()
        for occurred_on in breaches:
            db.session.add(
                InterventionBreach(intervention_id=intervention.id, occurred_on=occurred_on, description="Breach.")
            )
        db.session.flush()
        return intervention

    def action(
        self, case: Any, agency: Any, due_on: date, completed_on: date | None = None, status: str = "open"
    ) -> Any:
        from casework.cases.models import Action, ActionStatus

        action = Action(
            case_id=case.id,
            description="Visit the victim.",
            agency_id=agency.id,
            due_on=due_on,
            completed_on=completed_on,
            status=ActionStatus("done" if completed_on else status),
        )
        db.session.add(action)
        db.session.flush()
        return action

    def risk(self, case: Any, assessed_on: date, band: str, victim: Any = None) -> Any:
        from casework.risk.models import RiskAssessment, RiskBand, RiskQuestionnaire

        if self._questionnaire is None:
            self._questionnaire = RiskQuestionnaire(version=99, title="Test", questions=[], medium_from=5, high_from=10)
            db.session.add(self._questionnaire)
            db.session.flush()
        assessment = RiskAssessment(
            case_id=case.id,
            victim_person_id=victim.id if victim else None,
            questionnaire_id=self._questionnaire.id,
            answers={},
            score=12 if band == "high" else 0,
            band=RiskBand(band),
            assessed_on=assessed_on,
        )
        db.session.add(assessment)
        db.session.flush()
        return assessment


@pytest.fixture
def cases(make: Any) -> CaseRecords:
    return CaseRecords(make)


@pytest.fixture
def records(make: Any) -> TriggerRecords:
    return TriggerRecords(make)


# The hand-counted records of test_report_counting.py, shared with the task's tests.
@pytest.fixture
def fixed_data(make, cases, records):
    bol, ned = make.area("BOL", "Bolsover"), make.area("NED", "North East Derbyshire")
    council = make.agency("CNCL", areas=[bol, ned])
    police = make.agency("POL", areas=[bol, ned], kind="police")
    v1, v2, v3 = cases.person("Victim One"), cases.person("Victim Two"), cases.person("Victim Three")

    # Bolsover
    c1 = cases.case(bol, council, date(2025, 5, 10), victims=(v1,))
    cases.incident(c1, date(2025, 6, 1), ((council, date(2025, 6, 2)), (police, date(2025, 6, 1))))
    cases.incident(c1, date(2025, 9, 1), ((council, date(2025, 9, 3)),))
    cases.incident(c1, date(2026, 2, 1), ((police, date(2026, 2, 2)),))
    c2 = cases.case(bol, council, date(2024, 6, 1), closed_on=date(2025, 7, 1), category="nuisance", victims=(v2,))
    cases.incident(c2, date(2024, 7, 1), ((council, date(2024, 7, 2)),))
    cases.incident(c2, date(2025, 4, 1), ((council, date(2025, 4, 1)),))  # the period's first day
    c3 = cases.case(bol, council, date(2023, 1, 15), category="environmental")
    cases.incident(c3, date(2026, 3, 31), ((council, date(2026, 4, 1)),))  # reported the day after
    cases.case(bol, council, date(2026, 4, 1))  # opened the day after the period
    cases.case(bol, council, date(2024, 4, 1), closed_on=date(2025, 3, 31))  # the year before, both
    c7 = cases.case(bol, police, date(2025, 4, 15), victims=(v3,))
    cases.incident(c7, date(2025, 10, 1))
    cases.incident(c7, date(2025, 11, 1))
    # North East Derbyshire
    c6 = cases.case(ned, police, date(2025, 12, 1), victims=(v1, v3))
    cases.incident(c6, date(2025, 12, 5), ((police, date(2025, 12, 5)),))

    cases.risk(c1, date(2025, 8, 1), "high", v1)
    cases.risk(c1, date(2025, 10, 1), "high", v1)  # the same victim again
    cases.risk(c3, date(2025, 5, 1), "high")  # no named victim: once for the case
    cases.risk(c2, date(2025, 6, 1), "medium", v2)
    cases.risk(c2, date(2025, 3, 31), "high", v2)  # the year before
    cases.risk(c6, date(2025, 12, 10), "high", v1)

    cases.action(c1, council, date(2025, 6, 30), completed_on=date(2025, 6, 30))  # on time
    cases.action(c1, council, date(2025, 7, 31), completed_on=date(2025, 8, 1))  # a day late
    cases.action(c1, council, date(2025, 9, 30))  # still open
    cases.action(c1, council, date(2026, 4, 1))  # due after the period
    cases.action(c1, council, date(2025, 5, 1), status="cancelled")

    cases.intervention(c1, council, "warning_letter", date(2025, 6, 10))
    cases.intervention(c1, council, "cpw", date(2025, 7, 1))
    cases.intervention(c1, council, "cpn", date(2025, 9, 1), breaches=(date(2025, 10, 1), date(2026, 4, 2)))
    cases.intervention(c2, council, "cpn", date(2025, 3, 31), breaches=(date(2025, 4, 1),))
    cases.intervention(c6, police, "fpn", date(2025, 12, 20))

    application = records.application(bol, date(2025, 5, 1))
    records.decision(application, date(2025, 5, 20), met=False)
    records.application(bol, date(2024, 5, 1))
    return {"bol": bol, "ned": ned, "council": council, "police": police}


@pytest.fixture(autouse=True)
def every_count_shown(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counting tests check counts of one or two against a hand count, so they show every count;
    test_report_small_counts.py checks the small counts withheld as every installation has them."""
    monkeypatch.setitem(app.config["CASEWORK"], "REPORT_SMALL_COUNT", 0)
