"""The partner API at /api/v1: bearer tokens only (no cookies, so no CSRF), JSON everywhere."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, abort
from flask_login import current_user

from casework.blueprints.policy import declared_access
from casework.extensions import csrf


def create_api_blueprint(children: Iterable[Blueprint]) -> Blueprint:
    from casework.core import openapi

    api = Blueprint("api", __name__, url_prefix="/api/v1")
    csrf.exempt(api)

    @api.before_request
    def authenticate() -> None:
        access = declared_access()
        if not access.public and not current_user.is_authenticated:
            abort(401)

    # The OpenAPI document describes the API itself, so the shell serves it, whatever the domains.
    for child in [*children, openapi.bp]:
        api.register_blueprint(child)
        # Flask-WTF matches exemptions on the innermost blueprint, so each child is exempted too.
        csrf.exempt(child)
    return api
