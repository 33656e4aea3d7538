"""The staff pages: signed-in users only, CSRF on every form, GOV.UK error pages."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from casework.accounts.views import staff as accounts_staff
from casework.blueprints.policy import declared_access
from casework.dashboard import views as dashboard_views

staff = Blueprint("staff", __name__)


@staff.before_request
def require_sign_in():  # type: ignore[no-untyped-def]
    access = declared_access()
    if not access.public and not current_user.is_authenticated:
        return redirect(url_for("staff.accounts.sign_in", next=request.full_path.rstrip("?")))
    return None


staff.register_blueprint(accounts_staff.bp)
staff.register_blueprint(dashboard_views.bp)
