"""The Community Trigger (ASB Case Review): applications, threshold, decisions, reviews, appeals."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.community_triggers import (
        case_sections,
        dashboard,
        demo,
        letters,
        receivers,
        services,
        settings,
        signals,
        spreadsheets,
    )
    from casework.community_triggers.models import InformationRequest, TriggerApplication
    from casework.community_triggers.pcc_review import services as pcc_review_services
    from casework.community_triggers.pcc_review import settings as pcc_review_settings
    from casework.community_triggers.pcc_review.models import PccReview
    from casework.community_triggers.services import application as application_services
    from casework.community_triggers.services import people as people_services
    from casework.community_triggers.views import (
        admin,
        api,
        api_pcc_review,
        api_review,
        public,
        staff,
        staff_papers,
        staff_pcc_review,
        staff_review,
    )
    from casework.core import lifecycle

    domain = register_domain(app, "community_triggers")
    domain.models("casework.community_triggers.models", "casework.community_triggers.pcc_review.models")
    domain.deadline_subjects(TriggerApplication, InformationRequest, PccReview)
    domain.settings(*settings.SPECS, *pcc_review_settings.SPECS)
    # Each application is evaluated by the rules in force on the day it was received.
    domain.dated_records(settings.applications_received_since)
    for keys, check in settings.CHECKS:
        domain.setting_checks(keys, check)
    domain.tasks("casework.community_triggers.tasks")
    domain.blueprints("staff", staff.bp, staff_review.bp, staff_papers.bp, staff_pcc_review.bp)
    domain.blueprints("admin", admin.bp)
    domain.blueprints("api", api.bp, api_review.bp, api_pcc_review.bp)
    domain.blueprints("public", public.bp)
    domain.imports(*spreadsheets.IMPORTS)
    domain.exports(*spreadsheets.EXPORTS)
    domain.case_search(case_sections.application_matches)
    domain.panel("coordinator", dashboard.coordinator_panel)
    domain.panel("chair", dashboard.chair_panel)
    domain.demo(demo.load_case_reviews)
    # The letters follow the steps of a review (signals sent by the services, in their transaction).
    letters.connect_receivers()
    # A withdrawn application's open request for the PCC's review is closed (blinker keeps one
    # connection per receiver, however many apps are built).
    signals.application_withdrawn.connect(pcc_review_services.on_withdrawn, weak=False)
    domain.receive(lifecycle.retention_run, receivers.on_retention_run)
    domain.receive(lifecycle.case_anonymised, receivers.on_case_anonymised)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
    domain.exported_email_check("trigger_applications", people_services.exported_email_applications)
    domain.unsent_check("trigger_applications", application_services.unsent_notice_still_readable)
    domain.exported_email_check("trigger_letters", people_services.exported_email_letters)
    domain.receive(lifecycle.person_merged, receivers.on_person_merged)
    domain.receive(lifecycle.person_unmerged, receivers.on_person_unmerged)
    domain.receive(lifecycle.sight_narrowed, receivers.on_sight_narrowed)
    domain.person_page_section(40, "community_triggers/_person_section.html", services.person_section)
