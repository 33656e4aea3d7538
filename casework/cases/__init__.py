"""ASB casework: people, cases, the incident and complaint ledger, risk, actions, interventions."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.cases import dashboard, demo, receivers, settings
    from casework.cases.views import admin, api, staff
    from casework.core import lifecycle

    domain = register_domain(app, "cases")
    domain.models("casework.cases.models")
    domain.settings(*settings.SPECS)
    domain.blueprints("staff", *staff.blueprints)
    domain.blueprints("admin", admin.bp)
    domain.blueprints("api", api.bp)
    domain.panel("officer", dashboard.officer_cases)
    domain.panel("partner", dashboard.partner_cases)
    domain.demo(demo.load_cases)
    domain.receive(lifecycle.case_anonymised, receivers.on_case_anonymised)
    domain.receive(lifecycle.person_anonymised, receivers.on_person_anonymised)
