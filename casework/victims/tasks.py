"""The victim page's tasks: sending a sign-in link or code asked for on the page, and the daily
reminders of next steps (Celery beat)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.schedules import crontab

from casework.core.db import commit

log = logging.getLogger(__name__)

#: Each morning at 08:15 UTC (a reasonable hour for a text message in London, winter or summer).
BEAT = {"victims.remind_next_steps": crontab(hour=8, minute=15)}


@shared_task(name="victims.remind_next_steps")
def remind_next_steps() -> int:
    """Queue today's reminders; they are sent after the commit, each once."""
    from casework.core.time import today
    from casework.victims import reminders

    queued = reminders.queue_next_step_reminders(today())
    commit()
    log.info("Victim page: %s next-step reminders queued", queued)
    return queued


@shared_task(name="victims.send_sign_in")
def send_sign_in(kind: str, reference: str, asked: str | None = None) -> int:
    """Send the sign-in link or code asked for on the sign-in page (``services.ask_for_link``), if the
    address or number is a live victim page's. Run again (a message relayed twice), it sends nothing
    more: ``asked`` names the request, and each message's key carries it."""
    from casework.victims import services

    sent = services.send_sign_in(kind, reference, asked)
    commit()
    return sent
