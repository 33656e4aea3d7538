"""Administration pages at /admin: configuration and the audit log, for admins."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from casework.blueprints.policy import declared_access, second_factor_gate


def create_admin_blueprint(children: Iterable[Blueprint]) -> Blueprint:
    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.before_request
    def require_sign_in():
        declared_access()
        if not current_user.is_authenticated:
            return redirect(url_for("staff.accounts.sign_in", next=request.full_path.rstrip("?")))
        return second_factor_gate()

    for child in children:
        admin.register_blueprint(child)
    return admin
