"""The checks every audience shares: deny any endpoint that declares no access rule."""

from __future__ import annotations

from flask import abort, current_app, redirect, request, session, url_for
from werkzeug.wrappers import Response

from casework.core.permissions import Access, access_of


def declared_access() -> Access:
    view = current_app.view_functions.get(request.endpoint or "")
    access = access_of(view)
    if access is None:
        # A view without @requires or @public_endpoint is a bug; refusing it is the safe failure.
        current_app.logger.error("Endpoint %s declares no access rule; refusing it", request.endpoint)
        abort(403)
    return access


#: The pages a user who must first set up a second factor may still open.
SET_UP_ENDPOINTS = frozenset({"staff.accounts.second_factor_set_up", "staff.accounts.sign_out"})


def second_factor_gate() -> Response | None:
    """Send a user whose area requires a second factor, and who has none yet, to set it up first
    (decided when they signed in: ``casework.accounts.views.staff``)."""
    from flask_login import current_user

    from casework.accounts.views.staff import SET_UP_KEY

    if not session.get(SET_UP_KEY):
        return None
    if current_user.has_second_factor:  # set up meanwhile, in another session
        session.pop(SET_UP_KEY, None)
        return None
    if request.endpoint not in SET_UP_ENDPOINTS:
        return redirect(url_for("staff.accounts.second_factor_set_up"))
    return None
