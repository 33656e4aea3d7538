"""The home page: one panel per role the user holds. Each domain registers its panels in its
``init_app`` (``domain.panel("officer", fn)``); ``fn(user)`` returns data for the role's partial."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from casework.core.permissions import signed_in
from casework.core.registry import registry

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@signed_in
def index():
    panels: dict[str, dict[str, Any]] = {}
    registered = registry().dashboard_panels
    for role in current_user.roles:
        data: dict[str, Any] = {}
        for fn in registered.get(role, []):
            data.update(fn(current_user))
        panels[role] = data
    return render_template("dashboard/index.html", panels=panels)
