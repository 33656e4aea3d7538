"""The s.104(9) figures: compiled, approved, published as immutable versions."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.statistics import demo, settings
    from casework.statistics.views import admin, api, public, staff

    domain = register_domain(app, "statistics")
    domain.models("casework.statistics.models")
    domain.settings(*settings.SPECS)
    domain.tasks("casework.statistics.tasks")
    domain.blueprints("staff", staff.bp)
    domain.blueprints("admin", admin.bp)
    domain.blueprints("api", api.bp)
    domain.blueprints("public", public.bp)
    domain.panel("manager", staff.figures_to_publish)
    domain.demo(demo.load_historic_statistics)
    domain.demo(demo.publish_last_period)
