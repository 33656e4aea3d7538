"""``/api/v1/deadlines`` and ``/api/v1/me/notifications``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from casework.core.db import commit
from casework.core.openapi import documented
from casework.core.pagination import envelope, paginate
from casework.core.permissions import signed_in
from casework.core.webargs import use_args
from casework.reminders import services
from casework.reminders.schemas import (
    DeadlineAnswer,
    DeadlineListArgs,
    NotificationSettingsAnswer,
    NotificationSettingsArgs,
    dump_deadline,
    dump_notification_settings,
)
from casework.reminders.titles import DeadlineTitles

bp = Blueprint("reminders", __name__)


@bp.get("/deadlines")
@documented(response=DeadlineAnswer, many=True)
@signed_in
@use_args(DeadlineListArgs, location="query")
def list_deadlines(args: dict[str, Any]):
    """The caller's deadlines (``owner=me``) or their team's (``owner=team``: them and the people
    whose manager they are). Nobody lists other people's deadlines here. A deadline on a case the
    caller may not see has its title withheld (``title_withheld``)."""
    user = current_user._get_current_object()
    owner_ids = [user.id] if args["owner"] == "me" else services.team_ids(user)
    query = services.deadlines_query(owner_ids, args["status"], args["due"])
    items, total = paginate(query, args["page"], args["per_page"])
    titles = DeadlineTitles(user, items)
    return envelope(items, args["page"], args["per_page"], total, lambda row: dump_deadline(row, titles))


@bp.get("/me/notifications")
@documented(response=NotificationSettingsAnswer)
@signed_in
def get_notification_settings():
    return dump_notification_settings(current_user)


@bp.patch("/me/notifications")
@documented(response=NotificationSettingsAnswer)
@signed_in
@use_args(NotificationSettingsArgs)
def update_notification_settings(args: dict[str, Any]):
    user = current_user._get_current_object()
    services.set_digest_only(user, user, args["digest_only"])
    commit()
    return dump_notification_settings(user)
