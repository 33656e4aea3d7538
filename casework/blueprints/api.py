"""The partner API at /api/v1: bearer tokens only (no cookies, so no CSRF), JSON everywhere."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from casework.blueprints.policy import child_blueprints, declared_access
from casework.extensions import csrf

api = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api)

#: Modules whose ``bp`` (or ``blueprints``) are the API's children.
CHILDREN = [
    "casework.accounts.views.api",
    "casework.cases.views.api",
    "casework.risk.views.api",
    "casework.interventions.views.api",
    "casework.actions.views.api",
    "casework.community_triggers.views.api",
    "casework.community_triggers.views.api_review",
    "casework.community_triggers.views.api_pcc_review",
    "casework.reminders.views.api",
    "casework.statistics.views.api",
    "casework.core.openapi",
]


@api.before_request
def authenticate() -> None:
    access = declared_access()
    if not access.public and not current_user.is_authenticated:
        abort(401)


for _child in child_blueprints(CHILDREN):
    api.register_blueprint(_child)
    # Flask-WTF matches exemptions on the innermost blueprint, so each child is exempted too.
    csrf.exempt(_child)
