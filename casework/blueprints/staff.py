"""The staff pages: signed-in users only, CSRF on every form, GOV.UK error pages."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from casework.blueprints.policy import declared_access, second_factor_gate


def create_staff_blueprint(children: Iterable[Blueprint]) -> Blueprint:
    staff = Blueprint("staff", __name__)

    @staff.before_request
    def require_sign_in():
        access = declared_access()
        if not access.public and not current_user.is_authenticated:
            return redirect(url_for("staff.accounts.sign_in", next=request.full_path.rstrip("?")))
        if current_user.is_authenticated:
            return second_factor_gate()
        return None

    for child in children:
        staff.register_blueprint(child)
    return staff
