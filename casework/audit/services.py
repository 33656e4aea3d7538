"""Writing the audit log. Services call these; nothing else writes audit entries."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

from casework.audit.models import AuditAction, AuditEntry
from casework.core.time import LONDON
from casework.extensions import db


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` on ``obj``, JSON-ready (take one before and after a change)."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _object_ref(obj: Any) -> tuple[str, str | None]:
    if isinstance(obj, tuple):
        kind, ident = obj
        return kind, None if ident is None else str(ident)
    return obj.__tablename__, None if getattr(obj, "id", None) is None else str(obj.id)


def record(
    actor: Any,
    action: AuditAction,
    obj: Any,
    summary: str,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the session (it commits with the change it describes).

    ``obj`` is a model instance (flushed, so it has an id) or an ``(object_type, object_id)`` pair.
    """
    object_type, object_id = _object_ref(obj)
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        changes=_plain(dict(changes)) if changes else None,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def record_change(
    actor: Any, obj: Any, before: Mapping[str, Any] | None, after: Mapping[str, Any], summary: str
):
    """Record a create (``before`` is None) or an update (only the fields that changed)."""
    if before is None:
        return record(actor, AuditAction.create, obj, summary, after)
    changed = diff(before, after)
    if not changed:
        return None
    return record(actor, AuditAction.update, obj, summary, changed)


def record_view(actor: Any, obj: Any, summary: str) -> AuditEntry:
    """Record that ``actor`` looked at a sensitive record (a person, a case, an application)."""
    return record(actor, AuditAction.view, obj, summary)


# --- reading the audit log -------------------------------------------------------------------------


def search_entries(
    *,
    actor_email: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    action: AuditAction | str | None = None,
    from_day: dt.date | None = None,
    to_day: dt.date | None = None,
) -> sa.Select[tuple[AuditEntry]]:
    """Entries matching every filter given, newest first: a query to paginate.

    Days are Europe/London calendar days, both included. The actor is joined in for display (name and
    email only); a filter on the actor or the record uses ix_audit_entries_actor or
    ix_audit_entries_object.
    """
    from casework.accounts.models import User

    query = sa.select(AuditEntry).options(
        sa.orm.joinedload(AuditEntry.actor).options(
            sa.orm.load_only(User.name, User.email),
            sa.orm.lazyload(User.agency),
            sa.orm.lazyload(User.role_rows),
        )
    )
    if actor_email:
        # A subquery rather than a look-up first, so a page stays one query for the entries.
        actor_ids = sa.select(User.id).where(User.email == actor_email.strip().lower())
        query = query.where(AuditEntry.actor_id.in_(actor_ids.scalar_subquery()))
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id.strip())
    if action:
        query = query.where(AuditEntry.action == AuditAction(action))
    if from_day is not None:
        query = query.where(AuditEntry.created_at >= _start_of_london_day(from_day))
    if to_day is not None:
        query = query.where(AuditEntry.created_at < _start_of_london_day(to_day + dt.timedelta(days=1)))
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def _start_of_london_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON).astimezone(dt.UTC)


# --- erasing personal values -------------------------------------------------------------------------

#: The summary an erased entry keeps (the action, object type and id, actor and time stay as they were).
ERASED_SUMMARY = "Details removed under the retention policy"


def erase_personal_values(object_type: str, object_id: Any) -> list[int]:
    """Erase the personal values of the audit entries about one record: the values before and after
    and the summary (which may name people) go; who, when, what kind of change and which record stay.
    The only way audit entries change (the database refuses any other update). Answers the entry ids."""
    return erase_personal_values_of(object_type, [object_id])


def erase_personal_values_of(object_type: str, object_ids: Iterable[Any]) -> list[int]:
    ids = [str(i) for i in object_ids]
    if not ids:
        return []
    entries = sa.select(AuditEntry.id).where(
        AuditEntry.object_type == object_type,
        AuditEntry.object_id.in_(ids),
        sa.or_(AuditEntry.summary != ERASED_SUMMARY, AuditEntry.changes.is_not(None)),
    )
    found = list(db.session.scalars(entries))
    if found:
        db.session.execute(
            sa.update(AuditEntry)
            .where(AuditEntry.id.in_(found))
            .values(summary=ERASED_SUMMARY, changes=sa.null())
            .execution_options(synchronize_session=False)
        )
    return found


# --- subject access -------------------------------------------------------------------------------------


def views_of(subjects: Iterable[tuple[str, Iterable[Any]]]) -> list[dict[str, Any]]:
    """Who viewed these records and when (``[(object_type, ids)]``), oldest first, with the viewer's
    name and agency: the part of a subject access export that says who looked at the person's data."""
    from casework.accounts.models import Agency, User

    clauses = [
        sa.and_(AuditEntry.object_type == object_type, AuditEntry.object_id.in_([str(i) for i in ids]))
        for object_type, ids in subjects
        if ids
    ]
    if not clauses:
        return []
    rows = db.session.execute(
        sa.select(AuditEntry.created_at, AuditEntry.summary, User.name, Agency.name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(AuditEntry.action == AuditAction.view, sa.or_(*clauses))
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    return [
        {"viewed_at": at.isoformat(), "what": summary, "by": name, "agency": agency}
        for at, summary, name, agency in rows
    ]
