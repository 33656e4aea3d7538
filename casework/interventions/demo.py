"""Demo risk assessments, actions and interventions on the demo cases (casework/cases/demo.py).

Idempotent: each part looks for what it would create first. Dates are relative to today, so the demo
always shows a high risk due for review, an overdue action in the manager's team view, a warning whose
compliance period has passed followed by a notice, and an Acceptable Behaviour Contract.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.actions.services import create_action
from casework.cases.models import Action, Case, CaseParty, PartyRole, Person
from casework.core.db import commit
from casework.core.errors import RuleViolation
from casework.core.time import today
from casework.demo import DEMO_DOMAIN
from casework.extensions import db
from casework.interventions.models import Intervention
from casework.interventions.services import create_intervention
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
