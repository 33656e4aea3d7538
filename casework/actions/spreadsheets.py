"""Actions in and out of spreadsheets: an import layout (through ``services.create_action`` and
``update_action``, as the API) and the export of the actions list."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.accounts.policies import USERS_BY_EMAIL
from casework.actions import services, sight
from casework.cases.models import Action, ActionStatus, Case
from casework.cases.spreadsheets import IMPORTERS, _first_time, _reference, _visible_cases
from casework.core.errors import InvalidInput
from casework.core.permissions import Permission
from casework.extensions import db
from casework.spreadsheets import columns as c
from casework.spreadsheets.columns import Column, Layout
from casework.spreadsheets.kinds import Export, ExportList, ImportKind, ParsedRow, tracking

ACTIONS = Layout(
    key="actions",
    title="Actions",
    description="Multi-agency actions on cases: one row per action, with its outcome once done.",
    columns=(
        _reference(example="A-3301", aliases=("action reference", "action id", "id")),
        Column(
            "case_reference",
            "Case reference",
            c.text_value(100),
            "Its reference from a cases import, or in this service (BOL-2026-0042)",
            required=True,
            example="C-2019-044",
        ),
        Column(
            "description",
            "Action",
            c.text_value(5000),
            "What is to be done",
            required=True,
            example="Fit a noise monitor",
        ),
        Column("agency_code", "Agency code", c.code, "The agency doing it", required=True, example="BDC"),
        Column("assignee_email", "Assigned to", c.email, "The email address of the person doing it, at that agency"),
        Column("due_on", "Due date", c.planned_date, "", example="2019-07-01"),
        Column(
            "status",
            "Status",
            c.choice([s.value for s in ActionStatus]),
            "open (the default), in_progress, done or cancelled",
            example="done",
        ),
        Column(
            "outcome",
            "Outcome",
            c.text_value(10_000),
            "Needed for an action that is done",
            example="Monitor fitted; recordings used in court",
        ),
        Column(
            "completed_on",
            "Date done",
            c.event_date,
            "For an action done or cancelled (default: the day of import)",
            example="2019-06-28",
        ),
    ),
)

_FIELDS = {
    "description": "description",
    "due_on": "due_on",
    "outcome": "outcome",
    "completed_on": "completed_on",
    "assignee_id": "assignee_email",
    "agency_code": "agency_code",
}


def run_actions(context: Any, rows: Iterator[ParsedRow]) -> None:
    for row in rows:
        if context.cell_problems(row):
            context.row_done()
            continue
        values = row.values
        if not _first_time(context, row, "action", values["reference"], "actions"):
            continue
        case = _visible_cases(context, {values["case_reference"]}).get(values["case_reference"])
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == values["agency_code"]))
        problems = []
        if case is None:
            problems.append(("case_reference", f"There is no case {values['case_reference']}, or you cannot see it"))
        if agency is None:
            problems.append(("agency_code", f"There is no agency with the code {values['agency_code']}"))
        assignee_id = None
        if values["assignee_email"]:
            # Among the users the importer may name (``USERS_BY_EMAIL``): one they may not answers as an
            # address nobody has, so an import does not tell which addresses exist.
            assignee = USERS_BY_EMAIL.find(context.actor, values["assignee_email"])
            if assignee is None:
                problems.append(
                    (
                        "assignee_email",
                        f"There is no user with the email address {values['assignee_email']} that you can choose",
                    )
                )
            else:
                assignee_id = assignee.id
        if problems:
            for key, message in problems:
                context.problem(row.number, key, message)
            context.row_done()
            continue
        with context.row(row.number, _FIELDS) as created:
            action = services.create_action(
                context.actor,
                case,
                description=values["description"],
                agency=agency,
                assignee_id=assignee_id,
                due_on=values["due_on"],
            )
            status = values["status"] or ActionStatus.open.value
            if status != ActionStatus.open.value or values["completed_on"] is not None:
                if values["completed_on"] is not None and status not in ("done", "cancelled"):
                    raise InvalidInput(
                        {"completed_on": ["Give the date done only for an action that is done or cancelled"]}
                    )
                services.update_action(
                    context.actor,
                    action,
                    {"status": status, "outcome": values["outcome"], "completed_on": values["completed_on"]},
                )
            context.remember("action", [(values["reference"], "actions", action.id)])
            created["actions"] += 1


IMPORTS = [
    ImportKind(
        ACTIONS,
        IMPORTERS,
        run_actions,
        examples=(
            {
                "reference": "A-3301",
                "case_reference": "C-2019-044",
                "description": "Fit a noise monitor",
                "agency_code": "BDC",
                "due_on": "2019-07-01",
                "status": "done",
                "outcome": "Monitor fitted; recordings used in court",
                "completed_on": "2019-06-28",
            },
        ),
    )
]


def export_actions(user: Any, args: Mapping[str, str]) -> Export:
    """The actions list as the user sees it: their own open actions (``overdue=1``: only overdue ones),
    or with ``all=1`` every action they may see. Columns named as the actions import names them."""
    query = services.visible_actions(user)
    if args.get("all") != "1":
        query = query.where(Action.assignee_id == user.id, Action.status.in_(services.OPEN_STATUSES))
    if args.get("overdue") == "1":
        query = query.where(services.overdue_clause())
    query = query.order_by(Action.due_on.is_(None), Action.due_on, Action.id)
    keys = ("reference", "case_reference", "description", "agency_code", "due_on", "status", "outcome", "completed_on")
    header = [ACTIONS.column(key).label for key in keys] + ["Agency's name", "Assignee's name"]
    ids: list[int] = []
    # The Case Review recommendations among the actions the user sees whose texts are withheld from them
    # (``sight``), asked once for the export.
    recommended = db.session.scalars(
        sa.select(Action.id)
        .outerjoin(Case, Action.case_id == Case.id)
        .where(services.visible_actions_clause(user), Action.recommendation_id.is_not(None))
    )
    withheld = sight.withheld_ids(user, recommended)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for action in db.session.scalars(query.execution_options(yield_per=500)):
            seen = sight.as_seen(action, withheld, on_page=True)
            yield (
                action.id,
                [
                    f"ACTION-{action.id}",
                    action.case.reference if action.case is not None else None,
                    seen.description,
                    action.agency.code,
                    action.due_on,
                    action.status.value,
                    seen.outcome,
                    action.completed_on,
                    action.agency.name,
                    action.assignee.name if action.assignee else None,
                ],
            )

    applied = {"all": args.get("all") == "1", "overdue": args.get("overdue") == "1"}
    return Export(header, tracking(ids, rows()), "actions", ids, "actions", applied)


EXPORTS = [ExportList("actions", "Actions", frozenset({Permission.VIEW_CASES}), export_actions)]
