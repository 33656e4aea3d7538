"""Outgoing email: an outbox row per message, sent by a task after commit, exactly once per key."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.core import lifecycle
    from casework.notifications import receivers

    domain = register_domain(app, "notifications")
    domain.models("casework.notifications.models")
    domain.tasks("casework.notifications.tasks")
    domain.receive(lifecycle.retention_run, receivers.on_retention_run)
    domain.receive(lifecycle.person_anonymised, receivers.on_person_anonymised)
    domain.receive(lifecycle.records_anonymised, receivers.on_records_anonymised)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
