"""Reads for the risk assessment pages, each named for what it returns (writes are in services.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from casework.cases.models import Case, CaseParty, PartyRole
from casework.extensions import db


def victims_of(case: Case) -> list[tuple[int, str]]:
    """(person id, name) of each victim on the case (whom a risk assessment may be about)."""
    return [
        (party.person_id, party.person.name)
        for party in db.session.scalars(
            sa.select(CaseParty)
            .where(CaseParty.case_id == case.id, CaseParty.role == PartyRole.victim)
            .options(joinedload(CaseParty.person))
        )
    ]
