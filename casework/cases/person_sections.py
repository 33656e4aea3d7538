"""The cases part of the person page: the cases they are on and the reports they made, as far as the
user may see them, and for the rest only how many and which agency holds them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.cases.models import Case, CaseParty, Complaint, Incident
from casework.cases.policies import visible_cases_clause
from casework.cases.services import person_cases
from casework.extensions import db


def hidden_cases(user: Any, case_ids: sa.Select) -> dict[str, Any]:
    """How many of ``case_ids`` the user may not see, and which agencies lead them."""
    rows = db.session.execute(
        sa.select(Agency.name, sa.func.count(Case.id))
        .join(Agency, Agency.id == Case.lead_agency_id)
        .where(Case.id.in_(case_ids), Case.id.not_in(sa.select(Case.id).where(visible_cases_clause(user))))
        .group_by(Agency.name)
        .order_by(Agency.name)
    ).all()
    return {"count": sum(n for _name, n in rows), "agencies": [name for name, _n in rows]}


def cases_section(person: Any, user: Any) -> dict[str, Any]:
    cases = person_cases(user, person)
    roles: dict[int, list[str]] = {}
    for case_id, role in db.session.execute(
        sa.select(CaseParty.case_id, CaseParty.role).where(CaseParty.person_id == person.id)
    ):
        roles.setdefault(case_id, []).append(role.value)
    visible_ids = [c.id for c in cases]
    reports = (
        db.session.execute(
            sa.select(Complaint.reported_on, Agency.name, Case.id, Case.reference, Incident.occurred_on)
            .join(Incident, Incident.id == Complaint.incident_id)
            .join(Case, Case.id == Incident.case_id)
            .join(Agency, Agency.id == Complaint.agency_id)
            .where(Complaint.complainant_person_id == person.id, Case.id.in_(visible_ids))
            .order_by(Complaint.reported_on.desc())
        ).all()
        if visible_ids
        else []
    )
    return {
        "person_cases": cases,
        "person_case_roles": roles,
        "person_reports": reports,
        "person_hidden_cases": hidden_cases(user, sa.select(CaseParty.case_id).where(CaseParty.person_id == person.id)),
    }
