"""The home page: one panel per role the user holds. Each domain contributes its panels."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.dashboard import views

    domain = register_domain(app, "dashboard")
    domain.blueprints("staff", views.bp)
