"""Actions on the case record (API answer, page section, timeline) and the manager's dashboard panel."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.accounts.models import User
from casework.actions import services, sight
from casework.actions.schemas import dump_action
from casework.cases.models import Action, Case
from casework.cases.policies import can_edit_case
from casework.cases.sections import TimelineEntry, case_records
from casework.core.time import london_day, now, today
from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.services import subject_exists
from casework.reminders.titles import DeadlineTitles

#: Rows shown in "My team's overdue work"; the reminders pages list the rest.
TEAM_OVERDUE_LIMIT = 50


#: What the case record reads with the case's actions, as values (``casework.cases.sections.case_records``):
#: the case's reference (the API's ``case_reference``), the agency, who it is assigned to by name.
CASE_RECORDS: dict[str, Any] = {
    "entity": Action,
    "values": ((Action.case, Case.reference), Action.agency, (Action.assignee, User.name, User.email)),
    "order_by": (Action.due_on.is_(None), Action.due_on, Action.id),
}


def case_actions(case_id: int) -> list[Action]:
    """The case's actions, read once per request (with the other domains' records of the case) for the
    section, the API answer and the timeline."""
    return case_records(case_id, "actions")


def actions(case: Any, user: Any) -> list[dict[str, Any]]:
    on = today()
    return [dump_action(a, services.is_overdue(a, on)) for a in sight.seen(user, case_actions(case.id))]


def actions_section(case: Any, user: Any) -> dict[str, Any]:
    on = today()
    items = sight.seen(user, case_actions(case.id), on_page=True)
    return {
        "case": case,
        "actions": items,
        "actions_overdue_ids": {a.id for a in items if services.is_overdue(a, on)},
        "actions_can_add": can_edit_case(user, case),
    }


def actions_timeline(case: Any, viewer: Any = None) -> list[TimelineEntry]:
    entries = []
    items = case_actions(case.id)
    # A Case Review recommendation's texts withheld from the reader (``sight``): no detail, neither its
    # text when it was agreed nor its outcome when it ended.
    withheld = sight.withheld_ids(viewer, [a.id for a in items if a.recommendation_id is not None])
    for action in items:
        seen = sight.as_seen(action, withheld)
        entries.append(
            TimelineEntry(
                when=action.created_at,
                kind="action",
                title=f"Action agreed for {action.agency.name}",
                detail=seen.description,
                link=f"/actions/{action.id}",
                withheld=sight.is_withheld(seen),
            )
        )
        if action.completed_on is not None:
            entries.append(
                TimelineEntry(
                    when=action.completed_on,
                    kind="action",
                    title=f"Action {'done' if action.status.value == 'done' else 'cancelled'}",
                    detail=seen.outcome,
                    link=f"/actions/{action.id}",
                    withheld=sight.is_withheld(seen) and action.outcome is not None,
                )
            )
    return entries


def team_overdue(user: Any) -> dict[str, Any]:
    """ "My team's overdue work": open deadlines past due owned by the people this user manages.

    Keys (templates/dashboard/_manager.html): ``overdue``: rows of ``description``, ``href``,
    ``owner`` (name), ``due_on`` (the day it was due, in London), ``reference`` (None: the description
    names the case). Deadline rows cover every kind (actions, risk reviews, interventions, Case Review
    steps), so other domains' deadlines appear here without more code. One on a case the manager may
    not see is not named (``casework.reminders.titles``).
    """
    rows = db.session.execute(
        sa.select(Deadline, User.name)
        .join(User, Deadline.owner_id == User.id)
        .where(
            User.manager_id == user.id,
            Deadline.status == DeadlineStatus.open,
            Deadline.due_at <= now(),
            subject_exists(),
        )
        .order_by(Deadline.due_at)
        .limit(TEAM_OVERDUE_LIMIT)
    ).all()
    titles = DeadlineTitles(user, [deadline for deadline, _owner_name in rows])
    return {
        "overdue": [
            {
                "description": titles.title(deadline),
                "href": titles.link(deadline),
                "reference": None,
                "owner": owner_name,
                "due_on": deadline.due_on or london_day(deadline.due_at),
            }
            for deadline, owner_name in rows
        ]
    }
