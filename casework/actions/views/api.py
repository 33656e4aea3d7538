"""Actions through the API: add to a case, change, and the lists people work from."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint
from flask_login import current_user

from casework.accounts.services import get_agency
from casework.actions import services, sight
from casework.actions.schemas import ActionAnswer, ActionCreateArgs, ActionListArgs, ActionUpdateArgs, dump_action
from casework.cases.models import Action
from casework.cases.policies import get_case_for
from casework.core.db import commit
from casework.core.openapi import documented
from casework.core.pagination import envelope, paginate
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.core.webargs import use_args

bp = Blueprint("actions", __name__)


def _dump(action: Action) -> dict[str, Any]:
    return dump_action(sight.seen_one(current_user, action), services.is_overdue(action, today()))


@bp.post("/cases/<int:case_id>/actions")
@documented(response=ActionAnswer, status=201)
@requires(Permission.EDIT_CASES)
@use_args(ActionCreateArgs)
def create(args: dict[str, Any], case_id: int):
    """Add a multi-agency action to a case."""
    case = get_case_for(current_user, case_id, edit=True)
    agency = get_agency(args["agency_code"]) if args["agency_code"] else current_user.agency
    action = services.create_action(
        current_user,
        case,
        description=args["description"],
        agency=agency,
        assignee_id=args["assignee_id"],
        due_on=args["due_on"],
    )
    commit()
    return _dump(action), 201


@bp.get("/cases/<int:case_id>/actions")
@documented(response=ActionAnswer, many=True)
@requires(Permission.VIEW_CASES)
@use_args(ActionListArgs, location="query")
def list_for_case(args: dict[str, Any], case_id: int):
    """A case's actions, soonest due first."""
    get_case_for(current_user, case_id)
    return _list({**args, "case_id": case_id})


@bp.get("/actions")
@documented(response=ActionAnswer, many=True)
@requires(Permission.VIEW_CASES)
@use_args(ActionListArgs, location="query")
def list_actions(args: dict[str, Any]):
    """Actions you may see: filter by `assignee=me`, `overdue=true`, `status`, `case_id`."""
    return _list(args)


def _list(args: dict[str, Any]) -> dict[str, Any]:
    query = services.visible_actions(current_user)
    if args["assignee"] == "me":
        query = query.where(Action.assignee_id == current_user.id)
    elif args["assignee"]:
        query = query.where(Action.assignee_id == args["assignee"])
    if args["overdue"] is True:
        query = query.where(services.overdue_clause())
    elif args["overdue"] is False:
        query = query.where(sa.not_(services.overdue_clause()))
    if args["status"]:
        query = query.where(Action.status == args["status"])
    if args["case_id"]:
        query = query.where(Action.case_id == args["case_id"])
    query = query.order_by(Action.due_on.is_(None), Action.due_on, Action.id)
    items, total = paginate(query, args["page"], args["per_page"])
    on = today()
    return envelope(
        sight.seen(current_user, items),
        args["page"],
        args["per_page"],
        total,
        lambda action: dump_action(action, services.is_overdue(action, on)),
    )


@bp.get("/actions/<int:action_id>")
@documented(response=ActionAnswer)
@requires(Permission.VIEW_CASES)
def show(action_id: int):
    """One action."""
    return _dump(services.get_action_for(current_user, action_id))


@bp.patch("/actions/<int:action_id>")
@documented(response=ActionAnswer)
@requires(Permission.EDIT_CASES)
@use_args(ActionUpdateArgs)
def update(args: dict[str, Any], action_id: int):
    """Change an action; `done` needs an `outcome` (send `version`: an old one answers 409)."""
    action = services.get_action_for(current_user, action_id, edit=True)
    version = args.pop("version", None)
    if "agency_code" in args:
        args["agency"] = get_agency(args.pop("agency_code"))
    services.update_action(current_user, action, args, version)
    commit()
    return _dump(action)
