"""The partnership performance report a Community Safety Partnership takes to its board: casework,
powers and Case Review figures for any period, compared with the same dates a year earlier."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.reports import demo
    from casework.reports.views import api, staff

    domain = register_domain(app, "reports")
    domain.models("casework.reports.models")
    domain.tasks("casework.reports.tasks")
    domain.blueprints("staff", staff.bp)
    domain.blueprints("api", api.bp)
    domain.demo(demo.load_first_contacts)
