"""Demo risk assessments, actions and interventions on the demo cases (casework/cases/demo.py).

Idempotent: each part looks for what it would create first. Dates are relative to today, so the demo
always shows a high risk due for review, an overdue action in the manager's team view, a warning whose
compliance period has passed followed by a notice, and an Acceptable Behaviour Contract.

The Crime and Policing Act 2026 powers are switched on for every area from the Act's first
commencement day (or earlier, so every demo record falls after it), and the demo shows each new kind:
a Respect Order with a breach recorded as a criminal offence, a Youth Injunction, a Housing Injunction
by the housing provider, a dispersal direction with its 48-hour review due, and a closure notice
extended by an extension notice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.accounts.models import AreaSetting
from casework.actions.services import create_action
from casework.cases import services as cases_services
from casework.cases.models import Action, Case, CaseParty, PartyRole, Person
from casework.core.db import commit
from casework.core.errors import RuleViolation
from casework.core.time import LONDON, london_day, now, today
from casework.demo import DEMO_DOMAIN
from casework.extensions import db
from casework.interventions.dates import age_on
from casework.interventions.models import Intervention, InterventionKind
from casework.interventions.services import create_intervention, extend_closure_notice, record_breach
from casework.risk.models import RiskAssessment
from casework.risk.services import create_assessment


def _case(summary_start: str) -> Case | None:
    return db.session.scalar(sa.select(Case).where(Case.summary.startswith(summary_start)))


def _party(case: Case, role: PartyRole, kind: str = "individual") -> Person | None:
    return db.session.scalar(
        sa.select(Person)
        .join(CaseParty, CaseParty.person_id == Person.id)
        .where(CaseParty.case_id == case.id, CaseParty.role == role, Person.kind == kind)
        .order_by(Person.id)
        .limit(1)
    )


def load_risk_actions_interventions(_password: str) -> None:
    officer = accounts.find_user_by_email(f"officer@{DEMO_DOMAIN}")
    harassment = _case("Margaret Holmes is harassed")
    noise = _case("Loud music and parties at 9 Station Road")
    if officer is None or harassment is None or noise is None:
        return
    on = today()
    victim = _party(harassment, PartyRole.victim)
    if victim is not None and not db.session.scalar(
        sa.select(sa.literal(True)).where(RiskAssessment.case_id == harassment.id)
    ):
        answers = {
            "threats_of_violence": "no",
            "hate_motivated": "no",
            "vulnerable_victim": "yes",
            "repeat_victim": "yes",
            "health_affected": "yes",
            "afraid": "yes",
            "children_affected": "no",
            "isolated": "yes",
            "personally_targeted": "yes",
            "frequency": "weekly",
            "considering_moving": "no",
        }
        create_assessment(
            officer,
            harassment,
            answers,
            victim_person_id=victim.id,
            assessed_on=on - timedelta(days=10),
            notes="Lives alone; afraid to go out after dark.",
        )
    if not db.session.scalar(sa.select(sa.literal(True)).where(Action.case_id == harassment.id)):
        create_action(
            officer,
            harassment,
            description="Fit a doorbell camera at 14 Station Road",
            agency=officer.agency,
            assignee_id=officer.id,
            due_on=on - timedelta(days=3),
        )
        create_action(
            officer,
            harassment,
            description="Letter to the parents of the youths identified",
            agency=officer.agency,
            assignee_id=officer.id,
            due_on=on + timedelta(days=7),
        )
    perpetrator = _party(noise, PartyRole.perpetrator)
    if perpetrator is not None and not db.session.scalar(
        sa.select(sa.literal(True)).where(Intervention.case_id == noise.id)
    ):
        _record(
            officer,
            noise,
            kind="warning_letter",
            subject_person_id=perpetrator.id,
            issued_on=on - timedelta(days=60),
            requirements="Keep music down after 11pm.",
        )
        _record(
            officer,
            noise,
            kind="cpw",
            subject_person_id=perpetrator.id,
            issued_on=on - timedelta(days=40),
            comply_by=on - timedelta(days=20),
            requirements="Stop playing amplified music after 11pm.",
        )
        _record(
            officer,
            noise,
            kind="cpn",
            subject_person_id=perpetrator.id,
            issued_on=on - timedelta(days=5),
            requirements="Do not play amplified music audible outside the property after 11pm.",
        )
        _record(
            officer,
            noise,
            kind="abc",
            subject_person_id=perpetrator.id,
            issued_on=on - timedelta(days=30),
            parent_guardian_name="Janet Carter",
            requirements="Attend the youth club; no gathering at the shop.",
        )
    commit()


def _record(officer: Any, case: Case, **data: Any) -> None:
    # The demo's perpetrator may be under 16 on some days of the year; then the notice is left out.
    try:
        with db.session.begin_nested():
            create_intervention(officer, case, data)
    except RuleViolation:
        pass


# --- the Crime and Policing Act 2026 powers -----------------------------------------------------------

#: The 2026 changes the demo switches on for every area, from a day before any demo record.
CPA2026_SWITCHES = (
    "cpa2026_limits",
    "cpa2026_respect_orders",
    "cpa2026_housing_closure",
    "cpa2026_csas_fpn",
    "cpa2026_dispersal_review",
)


def commencement_for_demo() -> date:
    """The first commencement day of the Act (29 June 2026), or earlier when the demo is loaded sooner,
    so every demo record falls after it."""
    return min(date(2026, 6, 29), today() - timedelta(days=180))


def switch_on_for_demo(keys: tuple[str, ...]) -> None:
    """The settings for all areas (a county-wide procedure, as in Derbyshire), once."""
    present = set(
        db.session.scalars(sa.select(AreaSetting.key).where(AreaSetting.area_id.is_(None), AreaSetting.key.in_(keys)))
    )
    missing = {key: True for key in keys if key not in present}
    if missing:
        accounts.update_area_settings(None, None, missing, commencement_for_demo())


def load_cpa2026_powers(_password: str) -> None:
    """A Respect Order with a breach recorded as an offence, a Youth Injunction, a Housing Injunction,
    a dispersal direction with its 48-hour review due, and a closure notice with an extension notice."""
    officer = accounts.find_user_by_email(f"officer@{DEMO_DOMAIN}")
    harassment = _case("Margaret Holmes is harassed")
    noise = _case("Loud music and parties at 9 Station Road")
    ned_case = _case("Neighbour dispute on Rykneld Way")
    if officer is None or harassment is None or noise is None:
        return
    switch_on_for_demo(CPA2026_SWITCHES)
    if db.session.scalar(sa.select(sa.literal(True)).where(Intervention.kind == InterventionKind.respect_order)):
        commit()
        return
    on = today()
    adult, _ = cases_services.create_person(
        officer, name="Lee Marsh", date_of_birth=date(on.year - 24, 2, 11), address="11 Station Road, Bolsover"
    )
    cases_services.add_party(officer, harassment, adult.id, "perpetrator")
    order, _ = create_intervention(
        officer,
        harassment,
        {
            "kind": "respect_order",
            "subject_person_id": adult.id,
            "applied_on": on - timedelta(days=40),
            "issued_on": on - timedelta(days=21),
            "conduct": "harassment_alarm_distress",
            "ends_on": on + timedelta(days=700),
            "prohibitions": "Not to enter Station Road, Bolsover. Not to contact Margaret Holmes.",
            "requirements": "Attend the victim awareness course.",
            "supervisor_name": "Derbyshire Probation Service",
        },
    )
    record_breach(
        officer,
        order,
        on - timedelta(days=4),
        "Seen on Station Road shouting at Margaret Holmes's window.",
        "DP-1288",
    )
    dean = _party(harassment, PartyRole.perpetrator)
    if dean is not None and dean.date_of_birth and age_on(dean.date_of_birth, on - timedelta(days=30)) < 18:
        _record(
            officer,
            harassment,
            kind="youth_injunction",
            subject_person_id=dean.id,
            applied_on=on - timedelta(days=30),
            yot_consulted_on=on - timedelta(days=35),
            issued_on=on - timedelta(days=16),
            ends_on=on + timedelta(days=300),
            prohibitions="Not to gather with others outside 14 Station Road.",
        )
    youths = _party(harassment, PartyRole.perpetrator, kind="unknown")
    given_at = now().replace(second=0, microsecond=0) - timedelta(hours=30)
    _record(
        officer,
        harassment,
        kind="dispersal",
        subject_person_id=youths.id if youths else None,
        issued_on=london_day(given_at),
        issued_at=given_at,
        duration_hours=72,
        location="Station Road and the recreation ground, Bolsover",
        issuing_agency_code="DERPOL",
        issuing_officer_name="PC 2231 Shaw",
        requirements="Leave the area and do not return for 72 hours.",
    )
    served_at = datetime.combine(on - timedelta(days=3), time(10, 0), tzinfo=LONDON)
    notice, _ = create_intervention(
        officer,
        noise,
        {
            "kind": "closure_notice",
            "issued_on": on - timedelta(days=3),
            "issued_at": served_at,
            "duration_hours": 24,
            "location": "9 Station Road, Bolsover",
            "prohibitions": "No one may enter except the residents and the owner.",
        },
    )
    extend_closure_notice(
        officer,
        notice,
        extended_at=served_at + timedelta(hours=20),
        hours=12,
        has_senior_sign_off=True,
        authorised_by="Chief Executive, Bolsover District Council",
    )
    ned_officer = accounts.find_user_by_email(f"ned.officer@{DEMO_DOMAIN}")
    neighbour = _party(ned_case, PartyRole.perpetrator) if ned_case is not None else None
    if ned_officer is not None and neighbour is not None:
        _record(
            ned_officer,
            ned_case,
            kind="housing_injunction",
            subject_person_id=neighbour.id,
            applied_on=on - timedelta(days=12),
            issued_on=on - timedelta(days=5),
            issuing_agency_code="RYKNELD",
            conduct="housing_nuisance",
            is_indefinite=True,
            prohibitions="No music audible outside 23 Rykneld Way after 11pm; keep the dog on a lead.",
        )
    commit()
