"""Audience shells: each sets its policy once (authentication, CSRF, error format) and registers the
child blueprints the domains registered for that audience (``domain.blueprints("staff", bp)`` in a
domain's ``init_app``). No business logic lives here.

The shells are built per app, so an app has exactly the children its domains registered.
"""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from casework.blueprints.admin import create_admin_blueprint
    from casework.blueprints.api import create_api_blueprint
    from casework.blueprints.public import create_public_blueprint
    from casework.blueprints.staff import create_staff_blueprint
    from casework.core.registry import registry

    found = registry(app)
    for create, audience in (
        (create_api_blueprint, "api"),
        (create_admin_blueprint, "admin"),
        (create_staff_blueprint, "staff"),
        (create_public_blueprint, "public"),
    ):
        app.register_blueprint(create(found.children(audience)))
