"""Documents on a case (files through one storage interface) and the areas' letterheads."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.core import lifecycle
    from casework.documents import case_sections, demo, receivers
    from casework.documents.views import admin, staff

    domain = register_domain(app, "documents")
    domain.models("casework.documents.models")
    domain.blueprints("staff", staff.bp)
    domain.blueprints("admin", admin.bp)
    domain.case_records("documents", **case_sections.CASE_RECORDS)
    domain.case_page_section(
        50, "documents/_case_section.html", case_sections.documents_section, anchor="documents", title="Documents"
    )
    domain.case_timeline(case_sections.documents_timeline)
    domain.demo(demo.load_documents)
    domain.receive(lifecycle.case_anonymised, receivers.on_case_anonymised)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
