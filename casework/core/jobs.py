"""Background jobs (a partnership report, a compilation of the statistics): how their task claims one
and records its failure, when a client should poll one again, and how long a finished one is kept.

``Retry-After`` (RFC 9110, section 10.2.3) in seconds, so a client polls at the pace the service
expects instead of guessing: on every ``202`` that hands back a job, and on every poll of a job that is
still queued or running. A finished job's answer has none: there is nothing more to wait for.

A finished job (done or failed) is kept ``CASEWORK_JOB_RETENTION_DAYS`` after it finished, then each
domain's daily sweep deletes it; a job still queued or running is never deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app

from casework.core.openapi import Header
from casework.core.time import now

#: A job still "running" after this long was left by a dead worker and may be run again.
STALE_RUN = timedelta(minutes=15)

#: As often as the service's own pages check a job (their REFRESH_SECONDS): a report or a compilation
#: takes seconds, and a poll costs one small read.
RETRY_AFTER_SECONDS = 3

_RETRY_AFTER_SCHEMA = {"type": "integer", "minimum": 1}

#: On a ``202`` with a job: always sent.
RETRY_AFTER = Header(
    "Retry-After",
    f"Seconds to wait before polling the job at its `Location` ({RETRY_AFTER_SECONDS}).",
    schema=_RETRY_AFTER_SCHEMA,
)
#: On a poll of a job: sent while the job is queued or running, not once it is done or failed.
RETRY_AFTER_WHILE_UNFINISHED = Header(
    "Retry-After",
    f"While the job is queued or running: seconds to wait before polling it again ({RETRY_AFTER_SECONDS}). "
    "Not sent once it is done or failed.",
    required=False,
    schema=_RETRY_AFTER_SCHEMA,
)


def poll_again_later(response: Response) -> Response:
    """Say on ``response`` when to poll the job it hands back."""
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def retention_cutoff(moment: datetime | None = None) -> datetime:
    """Jobs that finished before this are deleted by the sweeps."""
    days = current_app.config["CASEWORK"]["JOB_RETENTION_DAYS"]
    return (moment or now()) - timedelta(days=days)


def delete_finished_jobs(job_model: Any, finished: Iterable[Any], moment: datetime | None = None) -> int:
    """Delete ``job_model``'s jobs in a ``finished`` status that finished before the retention cutoff;
    never one still queued or running. Returns how many (each domain's sweep calls this)."""
    from casework.core.db import rows_changed
    from casework.extensions import db

    deleted = db.session.execute(
        sa.delete(job_model)
        .where(job_model.status.in_(list(finished)), job_model.finished_at < retention_cutoff(moment))
        .execution_options(synchronize_session=False)
    )
    return rows_changed(deleted) or 0


def claim_job(job_model: Any, job_id: int, **values: Any) -> bool:
    """For a task: mark job ``job_id`` running (with ``values``, more columns to set as it starts) and
    commit. The claim is a conditional UPDATE of a job still queued, or left running by a dead worker
    over ``STALE_RUN`` ago, so a second delivery of the same message (late acknowledgement after a
    crash, or a relay that died before marking its row) finds it claimed or done: False, nothing to do."""
    from casework.core.db import commit, rows_changed
    from casework.extensions import db

    status = job_model.status.type.enum_class  # the job's own status enum, from its column
    db.session.rollback()
    moment = now()
    claimed = rows_changed(
        db.session.execute(
            sa.update(job_model)
            .where(
                job_model.id == job_id,
                sa.or_(
                    job_model.status == status.queued,
                    sa.and_(job_model.status == status.running, job_model.started_at < moment - STALE_RUN),
                ),
            )
            .values(status=status.running, started_at=moment, error=None, **values)
            .execution_options(synchronize_session=False)
        )
    )
    commit()
    return bool(claimed)


def record_failure(job_model: Any, job_id: int, error: str) -> None:
    """For a task whose job failed: drop what it left unwritten, mark the job failed with ``error`` (its
    page and its poll show it, instead of "running" for ever) and commit."""
    from casework.core.db import commit
    from casework.extensions import db

    db.session.rollback()
    db.session.execute(
        sa.update(job_model)
        .where(job_model.id == job_id)
        .values(status=job_model.status.type.enum_class.failed, error=error, finished_at=now())
    )
    commit()
