"""Audience shells: each sets its policy once (authentication, CSRF, error format) and registers the
domains' child blueprints. No business logic lives here."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from casework.blueprints.admin import admin
    from casework.blueprints.api import api
    from casework.blueprints.public import public
    from casework.blueprints.staff import staff

    for blueprint in (api, admin, staff, public):
        app.register_blueprint(blueprint)
