"""ASB casework: people, cases, the incident and complaint ledger, risk, actions, interventions."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.cases import dashboard, demo, person_sections, receivers, settings, spreadsheets
    from casework.cases.models import CaseReviewExplanation, Incident
    from casework.cases.services import reading
    from casework.cases.views import admin, api, police_reports, staff
    from casework.core import lifecycle

    domain = register_domain(app, "cases")
    domain.models("casework.cases.models")
    domain.deadline_subjects(CaseReviewExplanation)
    domain.settings(*settings.SPECS)
    domain.blueprints("staff", *staff.blueprints, police_reports.bp)
    domain.blueprints("admin", admin.bp)
    domain.blueprints("api", api.bp)
    domain.imports(*spreadsheets.IMPORTS)
    domain.exports(*spreadsheets.EXPORTS)
    domain.panel("officer", dashboard.officer_cases)
    domain.panel("partner", dashboard.partner_cases)
    domain.demo(demo.load_cases)
    domain.receive(lifecycle.case_reopened, receivers.on_case_reopened)
    domain.receive(lifecycle.retention_run, receivers.on_retention_run)
    domain.receive(lifecycle.case_anonymised, receivers.on_case_anonymised)
    domain.receive(lifecycle.person_anonymised, receivers.on_person_anonymised)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
    domain.receive(lifecycle.person_merged, receivers.on_person_merged)
    domain.receive(lifecycle.person_unmerged, receivers.on_person_unmerged)
    domain.receive(lifecycle.team_left, receivers.on_team_left)
    # The ledger comes with every domain's records of the case (``load_case_record(with_records=True)``),
    # in a statement of its own: a row per complaint, the part that grows most with the case.
    domain.case_records(
        reading.LEDGER_RECORDS, Incident, order_by=reading.LEDGER_ORDER, apart=True, values=reading.LEDGER_VALUES
    )
    # The case's parties, shares, named users and second-report tasks come with them too, as values.
    for relationship, part in reading.CASE_COLLECTIONS.items():
        domain.case_records(reading.case_collection_records(relationship), **part)
    domain.person_page_section(10, "cases/_person_cases.html", person_sections.cases_section)
