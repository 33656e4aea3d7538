"""About the service: the privacy notice and the accessibility statement every public body's website
must publish, filled in from the organisation settings (``CASEWORK_ORGANISATION_NAME`` and the rest)."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the pages on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.about import views

    domain = register_domain(app, "about")
    domain.blueprints("public", views.bp)
