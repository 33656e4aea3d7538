"""The append-only audit log: every change and every view of a sensitive record, sealed in a hash chain,
with the personal values apart so that retention can erase them."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``): every read is logged
    (casework.audit.reads); ``flask audit verify`` and ``flask audit seal``; the periodic seal."""
    from casework.audit import reads, receivers, views
    from casework.audit.cli import audit
    from casework.core import lifecycle

    domain = register_domain(app, "audit")
    domain.models("casework.audit.models")
    domain.tasks("casework.audit.tasks")
    domain.blueprints("admin", views.bp)
    domain.receive(lifecycle.retention_run, receivers.on_retention_run)
    domain.receive(lifecycle.records_anonymised, receivers.on_records_anonymised)
    domain.receive(lifecycle.person_exported, receivers.on_person_exported)
    reads.init_app(app)
    app.cli.add_command(audit)
