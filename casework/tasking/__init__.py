"""Multi-agency ASB tasking meetings: recurring per area, a self-building agenda, the record of the
meeting (discussion, decisions, actions, attendance), and minutes each agency reads as far as it may
see the cases."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.core import lifecycle
    from casework.tasking import case_sections, demo, receivers
    from casework.tasking.views import staff

    domain = register_domain(app, "tasking")
    domain.models("casework.tasking.models")
    domain.blueprints("staff", staff.bp)
    domain.case_page_section(35, "tasking/_case_section.html", case_sections.tasking_section)
    domain.demo(demo.load_tasking)
    domain.receive(lifecycle.case_anonymised, receivers.on_case_anonymised)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
