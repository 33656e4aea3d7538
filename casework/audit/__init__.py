"""The append-only audit log: every change and every view of a sensitive record."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.audit import receivers, views
    from casework.core import lifecycle

    domain = register_domain(app, "audit")
    domain.models("casework.audit.models")
    domain.blueprints("admin", views.bp)
    domain.receive(lifecycle.records_anonymised, receivers.on_records_anonymised)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
