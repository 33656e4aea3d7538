"""Imports and exports: records brought in from spreadsheets, other case systems and police logs, and
every list a user can see downloaded as CSV or Excel. The kinds of import and the lists come from
their domains (``domain.imports``, ``domain.exports`` in each ``init_app``)."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.core import lifecycle
    from casework.core.bodies import allow_larger_uploads
    from casework.spreadsheets import demo, receivers, services, views

    domain = register_domain(app, "spreadsheets")
    domain.models("casework.spreadsheets.models")
    domain.tasks("casework.spreadsheets.tasks")
    domain.blueprints("staff", views.bp)
    # Uploads to an import may be larger than the service's other forms (a force's whole log).
    allow_larger_uploads(app, "staff.spreadsheets.new", lambda: services.max_upload_bytes() + 1024 * 1024)
    domain.demo(demo.load_imports)
    domain.receive(lifecycle.records_anonymised, receivers.on_records_anonymised)
