"""API input and output for actions."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from casework.accounts.policies import USERS
from casework.cases.models import ActionStatus
from casework.core.fields import EventDate, MeOrUserId, PlannedDate, RecordId
from casework.core.openapi import Answer, nullable
from casework.core.webargs import BaseSchema, PageArgs


class ActionCreateArgs(BaseSchema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=5_000))
    #: Defaults to the creator's agency.
    agency_code = fields.String(load_default=None, allow_none=True)
    assignee_id = RecordId(USERS, load_default=None, allow_none=True)
    due_on = PlannedDate(load_default=None, allow_none=True)


class ActionUpdateArgs(BaseSchema):
    description = fields.String(validate=validate.Length(min=1, max=5_000))
    agency_code = fields.String()
    assignee_id = RecordId(USERS, allow_none=True)
    due_on = PlannedDate(allow_none=True)
    status = fields.String(validate=validate.OneOf([s.value for s in ActionStatus]))
    outcome = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    #: The day it was done or cancelled (default: today): past work may be entered late.
    completed_on = EventDate(allow_none=True)
    version = fields.Integer()


class ActionListArgs(PageArgs):
    assignee = MeOrUserId(load_default=None)
    overdue = fields.Boolean(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in ActionStatus]))
    case_id = fields.Integer(load_default=None)


def dump_action(action: Any, is_overdue: bool) -> dict[str, Any]:
    return {
        "id": action.id,
        "case_id": action.case_id,
        "case_reference": action.case.reference if action.case is not None else None,
        "recommendation_id": action.recommendation_id,
        "description": action.description,
        "agency_code": action.agency.code,
        "assignee_id": action.assignee_id,
        "assignee_name": action.assignee.name if action.assignee else None,
        "due_on": action.due_on.isoformat() if action.due_on else None,
        "status": action.status.value,
        "outcome": action.outcome,
        "completed_on": action.completed_on.isoformat() if action.completed_on else None,
        "is_overdue": is_overdue,
        "version": action.version,
    }


class ActionAnswer(Answer):
    id = fields.Integer(required=True)
    case_id = nullable(fields.Integer())
    case_reference = nullable(fields.String())
    recommendation_id = nullable(fields.Integer())
    #: Null when it is a Case Review recommendation whose texts are withheld from the reader
    #: (``casework.actions.sight``).
    description = nullable(fields.String(required=True))
    agency_code = fields.String(required=True)
    assignee_id = nullable(fields.Integer())
    assignee_name = nullable(fields.String())
    due_on = nullable(fields.Date())
    status = fields.String(required=True)
    #: Null when none is recorded, or when the description is withheld (``casework.actions.sight``).
    outcome = nullable(fields.String())
    completed_on = nullable(fields.Date())
    is_overdue = fields.Boolean(required=True)
    version = fields.Integer(required=True)
