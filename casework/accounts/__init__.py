"""Areas, agencies, users and their roles; sign-in for the pages and bearer tokens for the API."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.accounts import notices, settings
    from casework.accounts.views import admin, api, session, staff
    from casework.demo import data

    domain = register_domain(app, "accounts")
    domain.models("casework.accounts.models")
    domain.settings(*settings.SPECS)
    domain.tasks("casework.accounts.tasks")
    domain.blueprints("staff", staff.bp, session.bp)
    domain.blueprints("admin", admin.bp)
    domain.blueprints("api", api.bp)
    domain.panel("admin", admin.admin_panel)
    domain.demo(data.load_accounts)
    domain.recipient_check(notices.unsent_recipient_gone)
