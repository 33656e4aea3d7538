"""The audit log page at /admin/audit: who viewed or changed which record, and when."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from casework.accounts.views.admin import list_filters
from casework.audit.forms import ACTION_LABELS, AuditSearchForm, record_type_label
from casework.audit.models import AuditAction, AuditEntry
from casework.audit.services import search_entries
from casework.audit.visibility import ReadableValues
from casework.core.db import Base
from casework.core.pagination import page_number, paginate
from casework.core.permissions import Permission, requires

bp = Blueprint("audit", __name__)

PER_PAGE = 25


def record_types() -> list[str]:
    """Every table a model maps: the kinds of record an entry can be about. No query needed."""
    tables = {getattr(mapper.local_table, "name", None) for mapper in Base.registry.mappers}
    return sorted(tables - {None, "audit_seals"})


@bp.get("/audit")
@requires(Permission.VIEW_AUDIT)
def index():
    form = AuditSearchForm(formdata=request.args, record_types=record_types())
    entries: list[AuditEntry] = []
    total = 0
    page = page_number(request.args.get("page"))
    if form.validate():
        query = search_entries(
            actor_email=form.user.data,
            object_type=form.object_type.data or None,
            object_id=form.object_id.data,
            action=form.action.data if form.action.data in {a.value for a in AuditAction} else None,
            from_day=form.date_from.data,
            to_day=form.date_to.data,
        )
        entries, total = paginate(query, page, PER_PAGE)
    # Who did what and when is for every reader of the log; what was recorded (the summary, the
    # values, the address) only for one who may see the record itself (casework.audit.visibility).
    readable = ReadableValues(current_user, entries)
    status = 422 if form.errors else 200
    return render_template(
        "audit/index.html",
        form=form,
        entries=entries,
        total=total,
        page=page,
        per_page=PER_PAGE,
        filters=list_filters(),
        action_labels=ACTION_LABELS,
        record_type_label=record_type_label,
        # A case the reader may not see is not named in what they may read of an entry.
        change_rows=lambda entry: [
            (field, readable.words(before), readable.words(after)) for field, before, after in change_rows(entry)
        ],
        summary_of=lambda entry: readable.words(entry.summary),
        shows_values=readable.shows,
    ), status


def change_rows(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """``(field, before, after)`` rows for an entry's changes.

    Updates store ``{"field": [before, after]}``; creates (and anything else) store the values
    themselves, shown as "after" with nothing before.
    """
    rows: list[tuple[str, Any, Any]] = []
    for field, value in (entry.changes or {}).items():
        if entry.action == AuditAction.update and isinstance(value, list) and len(value) == 2:
            rows.append((field, value[0], value[1]))
        else:
            rows.append((field, None, value))
    return rows


@bp.app_template_filter("audit_value")
def audit_value(value: Any) -> str:
    """A stored value as people read it."""
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(audit_value(v) for v in value)
    if isinstance(value, dict):
        if set(value) == {"amount", "unit"}:
            return f"{value['amount']} {str(value['unit']).replace('_', ' ')}"
        return "; ".join(f"{k}: {audit_value(v)}" for k, v in value.items())
    return str(value)
