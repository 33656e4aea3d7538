"""API input and output for deadlines and the notification preference."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from casework.core.openapi import Answer, nullable
from casework.core.webargs import BaseSchema, PageArgs
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.titles import DeadlineTitles

DUE_CHOICES = ("overdue", "today", "week")


class DeadlineListArgs(PageArgs):
    #: ``me`` (the default): the caller's own deadlines; ``team``: the caller's and their reports'.
    owner = fields.String(load_default="me", validate=validate.OneOf(["me", "team"]))
    status = fields.String(load_default="open", validate=validate.OneOf([s.value for s in DeadlineStatus]))
    due = fields.String(load_default=None, validate=validate.OneOf(DUE_CHOICES))


class StrictBoolean(fields.Boolean):
    """JSON true or false only: 1, "yes" and "true" are refused, not guessed at."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class NotificationSettingsArgs(BaseSchema):
    digest_only = StrictBoolean(required=True)


def dump_deadline(row: Deadline, titles: DeadlineTitles) -> dict[str, Any]:
    """A deadline for the reader of ``titles``: on a case they may not see, its title says only that,
    with the agency holding the case, and it has no link (``casework.reminders.titles``)."""
    return {
        "id": row.id,
        "kind": row.kind,
        "title": titles.title(row),
        "title_withheld": not titles.shows(row),
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "link": titles.link(row),
        "due_on": row.due_on.isoformat() if row.due_on else None,
        "due_at": row.due_at.isoformat(),
        "remind_at": row.remind_at.isoformat() if row.remind_at else None,
        "status": row.status.value,
        "owner": {"id": row.owner.id, "name": row.owner.name} if row.owner else None,
        "reminder_sent_at": row.reminder_sent_at.isoformat() if row.reminder_sent_at else None,
        "escalation_sent_at": row.escalation_sent_at.isoformat() if row.escalation_sent_at else None,
    }


def dump_notification_settings(user: Any) -> dict[str, Any]:
    return {"digest_only": user.is_digest_only}


class _Owner(Answer):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class DeadlineAnswer(Answer):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    #: True when the deadline is on a case the caller may not see: ``title`` then says only that (and
    #: which agency holds the case), and ``link`` is null.
    title_withheld = fields.Boolean()
    subject_type = fields.String(required=True)
    subject_id = fields.Integer(required=True)
    link = nullable(fields.String())
    due_on = nullable(fields.Date())
    due_at = fields.DateTime(required=True)
    remind_at = nullable(fields.DateTime())
    status = fields.String(required=True)
    owner = nullable(fields.Nested(_Owner))
    reminder_sent_at = nullable(fields.DateTime())
    escalation_sent_at = nullable(fields.DateTime())


class NotificationSettingsAnswer(Answer):
    digest_only = fields.Boolean(required=True)
