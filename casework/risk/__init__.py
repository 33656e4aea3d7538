"""Risk assessments: a configurable, versioned questionnaire giving standard, medium or high risk."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.cases.models import Case, CaseParty
    from casework.core import lifecycle
    from casework.risk import case_sections, receivers, services, settings
    from casework.risk.views import admin, api, staff

    domain = register_domain(app, "risk")
    domain.models("casework.risk.models")
    # A risk review is on the victim's party to the case, or on the case when no victim is named.
    domain.deadline_subjects(CaseParty, Case)
    domain.settings(*settings.SPECS)
    domain.blueprints("staff", staff.bp)
    domain.blueprints("admin", admin.bp)
    domain.blueprints("api", api.bp)
    domain.case_records("risk_assessments", **case_sections.CASE_RECORDS)
    domain.case_api_section("current_risk", case_sections.current_risk)
    domain.case_page_section(20, "risk/_case_section.html", case_sections.risk_section, anchor="risk", title="Risk")
    domain.case_timeline(case_sections.risk_timeline)
    domain.unsent_check("risk_assessments", services.unsent_still_readable, replace=services.replace_unsent_high_risk)
    domain.receive(lifecycle.case_reopened, receivers.on_case_reopened)
    domain.receive(lifecycle.case_anonymised, receivers.on_case_anonymised)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
    domain.receive(lifecycle.person_merged, receivers.on_person_merged)
    domain.receive(lifecycle.person_unmerged, receivers.on_person_unmerged)
    domain.person_page_section(20, "risk/_person_section.html", services.person_section)
