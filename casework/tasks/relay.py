"""The beat relay of the transactional task outbox (``casework.core.tasks_outbox``)."""

from __future__ import annotations

import logging

from celery import shared_task

from casework.core import tasks_outbox
from casework.core.db import commit
from casework.core.time import now

log = logging.getLogger(__name__)


@shared_task(name="tasks.relay_pending")
def relay_pending() -> int:
    """Hand every waiting task message to the broker, and forget those relayed long ago.

    Runs on the worker: beat's own message reaches it only once the broker is back, which is exactly
    when the waiting messages can be handed over. Two overlapping runs are safe (rows are claimed).
    """
    relayed = 0
    while True:
        batch = tasks_outbox.relay()
        relayed += batch
        if batch < tasks_outbox.RELAY_BATCH:
            break
    tasks_outbox.prune(now() - tasks_outbox.KEEP_RELAYED)
    commit()
    if relayed:
        log.info("relayed %s waiting task messages", relayed)
    return relayed


#: Beat entries (task name -> schedule), registered with the tasks by ``casework.tasks.init_app``.
BEAT = {
    "tasks.relay_pending": tasks_outbox.RELAY_SECONDS,
}
