"""The append-only audit log: every change and every view of a sensitive record, sealed in a hash chain,
with the personal values apart so that retention can erase them (SPEC sections 7 and 10)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Every read is logged (casework.audit.reads); ``flask audit verify`` and ``flask audit seal``."""
    from casework.audit import reads
    from casework.audit.cli import audit

    reads.init_app(app)
    app.cli.add_command(audit)
