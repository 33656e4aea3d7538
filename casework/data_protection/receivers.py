"""Data protection's own records in the lifecycle of a person: the register of subject access exports."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.data_protection.models import SubjectAccessExport
from casework.extensions import db


def on_person_anonymised(_app: Any, *, person: Any, report: Any, **_: Any) -> None:
    """The reasons given for exports may name the person: they go; who exported, and when, stay."""
    rows = list(db.session.scalars(sa.select(SubjectAccessExport).where(SubjectAccessExport.person_id == person.id)))
    from casework.core.retention import anonymise

    for row in rows:
        anonymise(row)
    db.session.flush()
    report.add(SubjectAccessExport.__tablename__, [r.id for r in rows])


def on_person_merged(_app: Any, *, merge: Any, **_: Any) -> None:
    ids = list(
        db.session.scalars(sa.select(SubjectAccessExport.id).where(SubjectAccessExport.person_id == merge.merged_id))
    )
    db.session.execute(
        sa.update(SubjectAccessExport).where(SubjectAccessExport.id.in_(ids)).values(person_id=merge.kept_id)
    )
    merge.record(SubjectAccessExport.__tablename__, ids)


def on_person_unmerged(_app: Any, *, merge: Any, **_: Any) -> None:
    db.session.execute(
        sa.update(SubjectAccessExport)
        .where(SubjectAccessExport.id.in_(merge.ids(SubjectAccessExport.__tablename__)))
        .values(person_id=merge.merged_id)
    )


def on_person_exported(_app: Any, *, person: Any, export: Any, **_: Any) -> dict[str, Any]:
    """The subject access requests made about the person before this one (the register)."""
    rows = db.session.scalars(
        sa.select(SubjectAccessExport)
        .where(SubjectAccessExport.person_id == person.id)
        .order_by(SubjectAccessExport.made_at, SubjectAccessExport.id)
    )
    return {
        "subject_access_requests": [
            {"made_at": row.made_at.isoformat(), "version": row.version, "reason": export.redact(row.reason)}
            for row in rows
        ]
    }
