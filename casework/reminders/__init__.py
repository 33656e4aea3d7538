"""Deadlines as rows, swept by Celery beat: reminders before, escalations after, daily digests."""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the domain on ``app`` (called from ``casework.app.DOMAINS``)."""
    from casework.core import lifecycle
    from casework.reminders import receivers, services, settings, spreadsheets
    from casework.reminders.cli import deadlines
    from casework.reminders.views import api, calendar, staff

    domain = register_domain(app, "reminders")
    domain.models("casework.reminders.models")
    domain.settings(*settings.SPECS)
    domain.tasks("casework.reminders.tasks")
    domain.blueprints("staff", staff.bp)
    domain.blueprints("api", api.bp)
    domain.blueprints("public", calendar.bp)
    domain.exports(*spreadsheets.EXPORTS)
    # Every role that owns deadlines sees its own overdue and coming work (officers' "Due soon" comes
    # from the cases domain, which names the case); managers see their team's too.
    for role in ("coordinator", "chair", "partner"):
        domain.panel(role, staff.own_deadlines)
    domain.panel("manager", staff.manager_deadlines)
    domain.unsent_check("deadlines", services.unsent_still_due, replace=services.replace_unsent_reminder)
    # The digest is about its recipient (``related`` ``users``).
    domain.unsent_check("users", services.unsent_digest_still_readable, replace=services.replace_unsent_digest)
    domain.receive(lifecycle.case_closed, receivers.on_case_closed)
    domain.receive(lifecycle.case_reopened, receivers.on_case_reopened)
    domain.receive(lifecycle.case_anonymised, receivers.on_case_anonymised)
    domain.receive(lifecycle.records_anonymised, receivers.on_records_anonymised)
    domain.receive(lifecycle.sight_narrowed, receivers.on_sight_narrowed)
    domain.receive(lifecycle.signed_out_everywhere, receivers.on_signed_out_everywhere)
    app.cli.add_command(deadlines)
