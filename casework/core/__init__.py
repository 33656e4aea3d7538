"""Cross-cutting, domain-agnostic building blocks (see DEVELOPMENT.md)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register what the core brings on ``app`` (called from ``casework.app.DOMAINS``): the stored
    files' tables and the task that deletes an object from its store, and the health check."""
    from casework.core import health
    from casework.core.registry import register_domain

    domain = register_domain(app, "core")
    domain.models("casework.core.storage")
    domain.tasks("casework.core.storage")
    domain.blueprints("public", health.bp)
