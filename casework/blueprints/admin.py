"""Administration pages at /admin: configuration and the audit log, for admins."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from casework.blueprints.policy import child_blueprints, declared_access, second_factor_gate

admin = Blueprint("admin", __name__, url_prefix="/admin")

#: Modules whose ``bp`` (or ``blueprints``) are the admin pages' children.
CHILDREN = [
    "casework.accounts.views.admin",
    "casework.audit.views",
    "casework.cases.views.admin",
    "casework.risk.views.admin",
    "casework.community_triggers.views.admin",
    "casework.documents.views.admin",
    "casework.interventions.views.admin",
    "casework.statistics.views.admin",
]


@admin.before_request
def require_sign_in():  # type: ignore[no-untyped-def]
    declared_access()
    if not current_user.is_authenticated:
        return redirect(url_for("staff.accounts.sign_in", next=request.full_path.rstrip("?")))
    return second_factor_gate()


for _child in child_blueprints(CHILDREN):
    admin.register_blueprint(_child)
