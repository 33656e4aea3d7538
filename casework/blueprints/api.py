"""The partner API at /api/v1: bearer tokens only (no cookies, so no CSRF), JSON everywhere."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from casework.accounts.views import api as accounts_api
from casework.blueprints.policy import declared_access
from casework.extensions import csrf

api = Blueprint("api", __name__, url_prefix="/api/v1")


def register(child: Blueprint) -> None:
    # Flask-WTF matches exemptions on the innermost blueprint, so each child is exempted too.
    api.register_blueprint(child)
    csrf.exempt(child)


@api.before_request
def authenticate() -> None:
    access = declared_access()
    if not access.public and not current_user.is_authenticated:
        abort(401)


csrf.exempt(api)
register(accounts_api.bp)
