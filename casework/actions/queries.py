"""Reads for the action pages, each named for what it returns (writes are in services.py)."""

from __future__ import annotations

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.cases.models import Case, CaseShare
from casework.extensions import db


def agencies_working_on(case: Case) -> list[Agency]:
    """The case's lead agency and the agencies it is shared with, by name (who an action may be for)."""
    shared = sa.select(CaseShare.agency_id).where(CaseShare.case_id == case.id)
    return list(
        db.session.scalars(
            sa.select(Agency)
            .where(sa.or_(Agency.id == case.lead_agency_id, Agency.id.in_(shared)))
            .order_by(Agency.name)
        )
    )
