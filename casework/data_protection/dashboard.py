"""The data protection officer's home page panel (templates/dashboard/_dpo.html)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.data_protection import retention
from casework.data_protection.models import SubjectAccessExport
from casework.extensions import db

RECENT_EXPORTS = 5


def dpo_panel(_user: Any) -> dict[str, Any]:
    """The latest subject access exports (who made them, about whom, which version), to follow up or
    release in full; and how many closed cases past their retention period only the grace after
    closing still keeps (a closing date far back, perhaps mistyped), with the first day one of them is
    anonymised: the retention reports list them."""
    rows = db.session.scalars(
        sa.select(SubjectAccessExport)
        .options(sa.orm.joinedload(SubjectAccessExport.person), sa.orm.joinedload(SubjectAccessExport.made_by))
        .order_by(SubjectAccessExport.made_at.desc(), SubjectAccessExport.id.desc())
        .limit(RECENT_EXPORTS)
    ).all()
    held_back = [due_on for _case, due_on in retention.held_back_cases()]
    return {
        "held_back": {"count": len(held_back), "first_on": min(held_back)} if held_back else None,
        "recent_exports": [
            {
                "person_id": row.person_id,
                "name": row.person.name,
                "at": row.made_at,
                "by": row.made_by.name if row.made_by else None,
                "version": row.version,
            }
            for row in rows
        ],
    }
