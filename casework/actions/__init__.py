"""Multi-agency actions on cases (and from Case Review recommendations)."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.actions import case_sections, receivers, spreadsheets
    from casework.actions.views import api, staff
    from casework.cases.models import Action
    from casework.core import lifecycle

    domain = register_domain(app, "actions")
    domain.deadline_subjects(Action)
    domain.blueprints("staff", staff.bp)
    domain.blueprints("api", api.bp)
    domain.imports(*spreadsheets.IMPORTS)
    domain.exports(*spreadsheets.EXPORTS)
    domain.case_records("actions", **case_sections.CASE_RECORDS)
    domain.case_api_section("actions", case_sections.actions)
    domain.case_page_section(
        30, "actions/_case_section.html", case_sections.actions_section, anchor="actions", title="Actions"
    )
    domain.case_timeline(case_sections.actions_timeline)
    domain.panel("manager", case_sections.team_overdue)
    domain.receive(lifecycle.case_closed, receivers.on_case_closed)
    domain.receive(lifecycle.case_reopened, receivers.on_case_reopened)
    domain.receive(lifecycle.case_anonymised, receivers.on_case_anonymised)
    domain.receive(lifecycle.sight_narrowed, receivers.on_sight_narrowed)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
