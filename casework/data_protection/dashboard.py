"""The data protection officer's home page panel (templates/dashboard/_dpo.html)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.data_protection.models import SubjectAccessExport
from casework.extensions import db

RECENT_EXPORTS = 5


def dpo_panel(_user: Any) -> dict[str, Any]:
    """The latest subject access exports (who made them, about whom, which version), to follow up or
    release in full."""
    rows = db.session.scalars(
        sa.select(SubjectAccessExport)
        .options(sa.orm.joinedload(SubjectAccessExport.person), sa.orm.joinedload(SubjectAccessExport.made_by))
        .order_by(SubjectAccessExport.made_at.desc(), SubjectAccessExport.id.desc())
        .limit(RECENT_EXPORTS)
    ).all()
    return {
        "recent_exports": [
            {
                "person_id": row.person_id,
                "name": row.person.name,
                "at": row.made_at,
                "by": row.made_by.name if row.made_by else None,
                "version": row.version,
            }
            for row in rows
        ]
    }
