"""The lease sweep of the background jobs (``casework.core.jobs``): every job whose worker died, or
whose message was lost, is sent again, or given up after ``CASEWORK_JOB_ATTEMPTS``."""

from __future__ import annotations

from celery import shared_task

from casework.core import jobs

RECOVER_TASK = "jobs.recover"

#: Seconds between sweeps: a dead worker's job is found within this and its lease.
RECOVER_SECONDS = 60.0


@shared_task(name=RECOVER_TASK)
def recover() -> dict[str, int]:
    """Send again, or give up, the jobs left by a dead worker (each job in a transaction of its own, one
    that cannot be taken logged and left for the next sweep; two sweeps at once send a job once:
    ``casework.core.jobs.recover``)."""
    return jobs.recover()


#: Beat entries (task name -> schedule, options), registered with the tasks by ``casework.tasks.init_app``.
#: A sweep not started within its minute is dropped: a single worker busy with a long import (the solo
#: pool of ``scripts/start``) would otherwise find one waiting for each minute it was busy.
BEAT = {RECOVER_TASK: (RECOVER_SECONDS, {"expires": RECOVER_SECONDS})}
