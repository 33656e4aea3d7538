"""The periodic task that seals the audit log's hash chain (so writing an entry never waits for it)."""

from __future__ import annotations

from celery import shared_task

#: Seconds between seals: how long a new entry waits before a change to it would be detected.
SEAL_EVERY = 60.0


@shared_task(name="audit.seal")
def seal() -> int:
    """Seal what was written since the last run, in batches, each committed on its own."""
    from casework.audit.services import SEAL_BATCH, seal_pending
    from casework.core.db import commit

    total = 0
    while True:
        sealed = seal_pending()
        commit()
        total += sealed
        if sealed < SEAL_BATCH:
            return total


#: Beat entries (registered by casework.audit.init_app).
BEAT = {"audit.seal": SEAL_EVERY}
