"""Warnings, notices and orders under the 2014 Act, with the statutory checks and the dates that follow."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.core import lifecycle
    from casework.interventions import case_sections, demo, limits, receivers, services, spreadsheets
    from casework.interventions.cli import interventions
    from casework.interventions.models import Intervention
    from casework.interventions.views import admin, api, staff

    domain = register_domain(app, "interventions")
    domain.models("casework.interventions.models")
    domain.deadline_subjects(Intervention)
    domain.settings(*limits.SPECS)
    for keys, check in limits.CHECKS:
        domain.setting_checks(keys, check)
    domain.tasks("casework.interventions.tasks")
    domain.blueprints("staff", staff.bp)
    domain.blueprints("api", api.bp)
    domain.blueprints("admin", admin.bp)
    domain.imports(*spreadsheets.IMPORTS)
    domain.exports(*spreadsheets.EXPORTS)
    domain.case_records("interventions", **case_sections.CASE_RECORDS)
    domain.case_api_section("interventions", case_sections.interventions)
    domain.case_page_section(
        40,
        "interventions/_case_section.html",
        case_sections.interventions_section,
        anchor="interventions",
        title="Warnings, notices and orders",
    )
    domain.case_timeline(case_sections.interventions_timeline)
    # The demo's risk assessments and actions are on the cases this loader gives interventions.
    domain.demo(demo.load_risk_actions_interventions)
    domain.demo(demo.load_cpa2026_powers)
    domain.receive(lifecycle.case_reopened, receivers.on_case_reopened)
    domain.receive(lifecycle.case_anonymised, receivers.on_case_anonymised)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
    domain.receive(lifecycle.person_merged, receivers.on_person_merged)
    domain.receive(lifecycle.person_unmerged, receivers.on_person_unmerged)
    domain.person_page_section(30, "interventions/_person_section.html", services.person_section)
    app.cli.add_command(interventions)
