"""API input and output of the threshold watch (docs/api.md, "Added for the threshold watch")."""

from __future__ import annotations

from marshmallow import fields, validate

from casework.core.fields import EventDate
from casework.core.openapi import Answer, nullable
from casework.core.webargs import BaseSchema, PageArgs
from casework.threshold_watch.models import ToldMethod


class WatchListArgs(PageArgs):
    area = fields.String(required=True, validate=validate.Length(min=1, max=20))


class ToldArgs(BaseSchema):
    told_on = EventDate(required=True)
    method = fields.String(required=True, validate=validate.OneOf([m.value for m in ToldMethod]))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    #: Optional: email them now the letter from the area's template, as the tell page's box does.
    send_email = fields.Boolean(load_default=False)


class WatchItemAnswer(Answer):
    person_id = fields.Integer(required=True)
    name = fields.String(required=True)
    case_ids = fields.List(fields.Integer(), required=True)
    qualifying_complaints = fields.Integer(required=True)
    threshold = fields.Integer(required=True)
    short_by = fields.Integer(required=True)
    vulnerable = fields.Boolean(required=True)
    open_application_id = nullable(fields.Integer())
    told_on = nullable(fields.Date())
