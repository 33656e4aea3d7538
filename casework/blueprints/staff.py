"""The staff pages: signed-in users only, CSRF on every form, GOV.UK error pages."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from casework.blueprints.policy import child_blueprints, declared_access, second_factor_gate

staff = Blueprint("staff", __name__)

#: Modules whose ``bp`` (or ``blueprints``) are the staff pages' children.
CHILDREN = [
    "casework.accounts.views.staff",
    "casework.accounts.views.session",
    "casework.dashboard.views",
    "casework.cases.views.staff",
    "casework.risk.views.staff",
    "casework.interventions.views.staff",
    "casework.actions.views.staff",
    "casework.documents.views.staff",
    "casework.community_triggers.views.staff",
    "casework.community_triggers.views.staff_review",
    "casework.community_triggers.views.staff_papers",
    "casework.community_triggers.views.staff_pcc_review",
    "casework.reminders.views.staff",
    "casework.statistics.views.staff",
    "casework.spreadsheets.views",
]


@staff.before_request
def require_sign_in():  # type: ignore[no-untyped-def]
    access = declared_access()
    if not access.public and not current_user.is_authenticated:
        return redirect(url_for("staff.accounts.sign_in", next=request.full_path.rstrip("?")))
    if current_user.is_authenticated:
        return second_factor_gate()
    return None


for _child in child_blueprints(CHILDREN):
    staff.register_blueprint(_child)
