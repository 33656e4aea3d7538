"""Information governance across every domain: retention (anonymising what reached its retention
date, with a report), subject access exports (everything held about a person, redacted for third
parties, with restricted records withheld unless the data protection officer releases them), and
merging duplicate records of a person (with an undo window). Each works by sending the lifecycle
events of ``casework.core.lifecycle``; the domains holding the data do their part."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.core import lifecycle
    from casework.data_protection import dashboard, demo, person_sections, receivers
    from casework.data_protection.views import api, staff

    domain = register_domain(app, "data_protection")
    domain.models("casework.data_protection.models")
    domain.tasks("casework.data_protection.tasks")
    domain.blueprints("staff", staff.bp)
    domain.blueprints("api", api.bp)
    domain.person_page_section(90, "data_protection/_person_section.html", person_sections.person_section)
    domain.panel("dpo", dashboard.dpo_panel)
    domain.demo(demo.load_data_protection)
    domain.receive(lifecycle.person_anonymised, receivers.on_person_anonymised)
    domain.receive(lifecycle.person_merged, receivers.on_person_merged)
    domain.receive(lifecycle.person_unmerged, receivers.on_person_unmerged)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
