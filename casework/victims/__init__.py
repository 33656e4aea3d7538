"""The victim page: an officer switches it on for a victim, who signs in by emailed link or texted
code to follow their own cases and Case Reviews and keep their ASB diary."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.core import lifecycle, submissions
    from casework.victims import case_sections, demo, receivers, reminders, services
    from casework.victims.views import public, staff

    domain = register_domain(app, "victims")
    domain.models("casework.victims.models")
    domain.blueprints("staff", staff.bp)
    domain.blueprints("public", public.bp)
    domain.case_records("victim_accesses", **case_sections.ACCESS_RECORDS)
    domain.case_records("victim_diary", **case_sections.DIARY_RECORDS)
    domain.tasks("casework.victims.tasks")
    domain.case_page_section(
        55,
        "victims/_case_section.html",
        case_sections.victim_page_section,
        anchor="victim-page",
        title="Victim page and diary",
    )
    domain.demo(demo.load)
    # A victim is no staff user: a key the victim's forms send is theirs alone.
    submissions.register_sender(app, public.signed_in_victim)
    domain.unsent_check("victim_accesses", reminders.unsent_still_wanted)
    domain.exported_email_check("victim_accesses", services.exported_email_accesses)
    domain.receive(lifecycle.case_anonymised, receivers.on_case_anonymised)
    domain.receive(lifecycle.person_anonymised, receivers.on_person_anonymised)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
    domain.receive(lifecycle.records_anonymised, receivers.on_records_anonymised)
    domain.receive(lifecycle.person_merged, receivers.on_person_merged)
    domain.receive(lifecycle.person_unmerged, receivers.on_person_unmerged)
