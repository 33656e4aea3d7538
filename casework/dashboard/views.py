from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from casework.core.permissions import signed_in

bp = Blueprint("dashboard", __name__)

#: role -> functions returning panel data for the signed-in user; domains append to these lists
#: (``casework.dashboard.views.PANELS["officer"].append(my_cases_panel)``).
PANELS: dict[str, list[Callable[[Any], dict[str, Any]]]] = {}


def panel(role: str) -> Callable[[Callable[[Any], dict[str, Any]]], Callable[[Any], dict[str, Any]]]:
    def register(fn: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
        PANELS.setdefault(role, []).append(fn)
        return fn

    return register


@bp.get("/")
@signed_in
def index():
    panels: dict[str, dict[str, Any]] = {}
    for role in current_user.roles:
        data: dict[str, Any] = {}
        for fn in PANELS.get(role, []):
            data.update(fn(current_user))
        panels[role] = data
    return render_template("dashboard/index.html", panels=panels)
