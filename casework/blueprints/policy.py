"""The checks every audience shares: deny any endpoint that declares no access rule."""

from __future__ import annotations

from flask import abort, current_app, request

from casework.core.permissions import Access, access_of


def declared_access() -> Access:
    view = current_app.view_functions.get(request.endpoint or "")
    access = access_of(view)
    if access is None:
        # A view without @requires or @public_endpoint is a bug; refusing it is the safe failure.
        current_app.logger.error("Endpoint %s declares no access rule; refusing it", request.endpoint)
        abort(403)
    return access
