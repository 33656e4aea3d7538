"""The tasking domain's part in the lifecycle of a case (``casework.core.lifecycle``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.core.retention import anonymise
from casework.extensions import db
from casework.tasking.models import TaskingAgendaItem


def on_case_anonymised(_app: Any, *, case: Any, report: Any, **_: Any) -> None:
    """What meetings said and decided about the case, and why it was nominated, go; that it was on an
    agenda, and why (the reasons), stay. The actions are the case's own (the actions domain's)."""
    items = list(db.session.scalars(sa.select(TaskingAgendaItem).where(TaskingAgendaItem.case_id == case.id)))
    for item in items:
        anonymise(item)
    db.session.flush()
    report.add("tasking_agenda_items", [item.id for item in items])


def on_person_exported(_app: Any, *, export: Any, **_: Any) -> dict[str, Any]:
    """What tasking meetings said and decided about the cases the export shows (redacted for third
    parties as the rest of the case is)."""
    return {"tasking_meetings": export_section(export)}


def export_section(access: Any) -> list[dict[str, Any]]:
    from casework.cases.models import Case
    from casework.tasking.models import TaskingMeeting, TaskingSeries

    if not access.shown_case_ids:
        return []
    rows = db.session.execute(
        sa.select(TaskingAgendaItem, Case.reference, TaskingMeeting.held_on, TaskingSeries.name)
        .join(Case, Case.id == TaskingAgendaItem.case_id)
        .join(TaskingMeeting, TaskingMeeting.id == TaskingAgendaItem.meeting_id)
        .join(TaskingSeries, TaskingSeries.id == TaskingMeeting.series_id)
        .where(TaskingAgendaItem.case_id.in_(access.shown_case_ids))
        .order_by(TaskingMeeting.held_on, TaskingAgendaItem.id)
    )
    return [
        {
            "case": reference,
            "meeting": name,
            "held_on": held_on.isoformat(),
            "nomination_note": access.redact(item.nomination_note),
            "discussion": access.redact(item.discussion),
            "decisions": access.redact(item.decisions),
        }
        for item, reference, held_on, name in rows
    ]
