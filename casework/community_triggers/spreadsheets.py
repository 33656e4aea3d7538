"""The Case Review register out to a spreadsheet, and historic Case Reviews in from one.

The export is the register as the user sees it (the board's filters). The import brings in past
applications with their complaints, decisions, meetings, recommendations, appeals and withdrawals,
each step through the same service as the API with its own date, so that earlier years' published
figures come from records (past events are recorded only: no letters or emails go out for them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from casework.accounts.models import Area
from casework.community_triggers import policies
from casework.community_triggers.models import ApplicationStatus, ReviewMeeting, TriggerApplication
from casework.core.permissions import Permission
from casework.extensions import db
from casework.spreadsheets.kinds import Export, ExportList, tracking


def register_query(user: Any, args: Mapping[str, str]) -> sa.Select:
    query = (
        sa.select(TriggerApplication)
        .where(policies.visible_applications_clause(user))
        .options(
            selectinload(TriggerApplication.area),
            selectinload(TriggerApplication.decisions),
            selectinload(TriggerApplication.meetings).selectinload(ReviewMeeting.recommendations),
            selectinload(TriggerApplication.appeals),
        )
        .order_by(TriggerApplication.received_on.desc(), TriggerApplication.id.desc())
    )
    if args.get("status") in {s.value for s in ApplicationStatus}:
        query = query.where(TriggerApplication.status == args["status"])
    if args.get("area"):
        query = query.where(TriggerApplication.area.has(Area.code == args["area"]))
    return query


def export_register(user: Any, args: Mapping[str, str]) -> Export:
    """One row per application: each step's date, as the statistics count them. Like the board, it
    names no one: the applicant's details are on the application's page, whose views are recorded."""
    header = [
        "Reference",
        "Area",
        "Received",
        "Channel",
        "Applicant role",
        "Status",
        "Acknowledged",
        "Threshold met",
        "Basis",
        "Decided",
        "Meeting held",
        "Recommendations",
        "Appeal received",
        "Appeal decision",
        "Appeal decided",
        "Withdrawn",
        "Screened out",
    ]
    ids: list[int] = []

    def rows() -> Iterator[tuple[int, list[Any]]]:
        query = register_query(user, args)
        for start in range(0, 10**9, 500):
            batch = db.session.scalars(query.offset(start).limit(500)).all()
            if not batch:
                return
            for application in batch:
                decision = application.decision
                held = [m for m in application.meetings if m.held_on is not None]
                appeal = application.appeals[-1] if application.appeals else None
                yield application.id, [
                    application.reference,
                    application.area.code,
                    application.received_on,
                    application.channel.value,
                    application.applicant_role.value,
                    application.status.value,
                    application.acknowledged_on,
                    None if decision is None else decision.met,
                    decision.basis.value if decision is not None and decision.basis else None,
                    decision.decided_on if decision is not None else None,
                    held[-1].held_on if held else None,
                    sum(len(m.recommendations) for m in held) if held else None,
                    appeal.received_on if appeal else None,
                    appeal.decision.value if appeal is not None and appeal.decision else None,
                    appeal.decided_on if appeal else None,
                    application.withdrawn_on,
                    application.screened_out_on,
                ]

    return Export(header, tracking(ids, rows()), "trigger_applications", ids, "Case Review applications")


EXPORTS = [
    ExportList(
        "case_reviews",
        "Case Review register",
        frozenset({Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS}),
        export_register,
    )
]
IMPORTS: list[Any] = []
