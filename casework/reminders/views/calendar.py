"""The private deadline calendar feed, fetched by calendar services without a session: the secret in
the link is the only key (casework/reminders/calendar.py)."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from casework.core.links import base_url
from casework.core.permissions import public_endpoint
from casework.reminders import calendar

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@bp.get("/<token>.ics")
@public_endpoint
def feed(token: str):
    user = calendar.user_for_token(token)
    if user is None:
        abort(404)  # unknown, revoked, or the user's account is closed: the same answer
    response = Response(calendar.feed_for(user, base_url()), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = 'inline; filename="casework-deadlines.ics"'
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
