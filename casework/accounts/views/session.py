"""What the timeout warning asks (static/js/timeout-warning.mjs): how long the session has left, and
to keep it alive when the user chooses to stay signed in."""

from __future__ import annotations

from flask import Blueprint, jsonify

from casework.core.permissions import signed_in
from casework.core.security import keeps_idle_time, remaining_idle_seconds

bp = Blueprint("session", __name__, url_prefix="/session")


@bp.get("")
@signed_in
@keeps_idle_time
def status():
    """Seconds left before the idle timeout, without extending it: another tab (or a request the page
    made) may have kept the session alive since this page loaded. Once the time is up, the idle check
    has already signed the user out and this answers with the redirect to the sign-in page."""
    return jsonify(remaining_seconds=remaining_idle_seconds())


@bp.post("/keep-alive")
@signed_in
def keep_alive():
    """ "Stay signed in": any request is activity (``casework.core.security``), so this only answers
    with the time the session now has."""
    return jsonify(remaining_seconds=remaining_idle_seconds())
