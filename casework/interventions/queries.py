"""Reads for the interventions pages, each named for what it returns (writes are in services.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from casework.accounts.models import Area
from casework.cases.models import CaseParty
from casework.extensions import db
from casework.interventions.models import NoticeKind, NoticeTemplate


def all_notice_templates() -> Sequence[NoticeTemplate]:
    return db.session.scalars(sa.select(NoticeTemplate)).all()


def notice_template(kind: NoticeKind, area: Area | None) -> NoticeTemplate | None:
    """The template written for this kind and area (area None: the one for every area), or None."""
    return db.session.scalar(
        sa.select(NoticeTemplate).where(
            NoticeTemplate.kind == kind,
            NoticeTemplate.area_id == area.id if area else NoticeTemplate.area_id.is_(None),
        )
    )


def parties_with_people(case: Any) -> Sequence[CaseParty]:
    """The case's parties, each with its person loaded."""
    return db.session.scalars(
        sa.select(CaseParty).where(CaseParty.case_id == case.id).options(joinedload(CaseParty.person))
    ).all()
