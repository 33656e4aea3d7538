"""Outgoing email: an outbox row per message, sent by a task after commit, exactly once per key."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    domain = register_domain(app, "notifications")
    domain.models("casework.notifications.models")
    domain.tasks("casework.notifications.tasks")
