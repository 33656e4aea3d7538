"""The threshold watch: victims who may qualify for a Case Review before they apply (issue 13 item 1)."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.core import lifecycle
    from casework.threshold_watch import case_sections, demo, receivers, services
    from casework.threshold_watch.models import WatchEntry
    from casework.threshold_watch.views import admin, api, staff

    domain = register_domain(app, "threshold_watch")
    domain.models("casework.threshold_watch.models")
    domain.deadline_subjects(WatchEntry)
    domain.tasks("casework.threshold_watch.tasks")
    domain.blueprints("staff", staff.bp)
    domain.blueprints("api", api.bp)
    domain.case_records("threshold_watch", **case_sections.CASE_RECORDS)
    domain.blueprints("admin", admin.bp)
    domain.case_page_section(5, "threshold_watch/_case_section.html", case_sections.watch_section)
    domain.panel("coordinator", case_sections.coordinator_panel)
    domain.panel("manager", case_sections.coordinator_panel)
    domain.demo(demo.run_pass)
    domain.receive(lifecycle.complaint_recorded, receivers.on_complaint_recorded)
    domain.receive(lifecycle.person_anonymised, receivers.on_person_anonymised)
    domain.receive(lifecycle.case_closed, receivers.on_case_closed)
    domain.receive(lifecycle.case_reopened, receivers.on_case_reopened)
    domain.receive(lifecycle.records_anonymised, receivers.on_records_anonymised)
    domain.receive(lifecycle.person_merged, receivers.on_person_merged)
    domain.receive(lifecycle.person_unmerged, receivers.on_person_unmerged)
    domain.exported_email_check("people", services.exported_email_people)
