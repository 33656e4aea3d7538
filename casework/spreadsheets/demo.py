"""Demo data: a police incident log imported by the demo coordinator, whose calls nobody could match
with certainty, so the import's page and the officers' queue of calls have something to show."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.core.db import commit
from casework.core.time import now
from casework.demo import DEMO_DOMAIN
from casework.extensions import db
from casework.spreadsheets import services
from casework.spreadsheets.models import ImportJob, ImportStatus

DEMO_FILENAME = "demo-police-log.csv"


def _log() -> bytes:
    moment = now()
    rows = [
        "occurred_at,police_reference,location,category,caller,repeat_caller",
        f"{(moment - timedelta(days=3)):%Y-%m-%d} 23:15,DP-DEMO-0412,Market Street,ASB - nuisance,Demo: Sam Caller,yes",
        f"{(moment - timedelta(days=2)):%Y-%m-%d} 01:40,DP-DEMO-0431,Park Road,ASB - personal,,no",
    ]
    return ("\n".join(rows) + "\n").encode("utf-8")


def load_imports(_password: str) -> None:
    coordinator = accounts.find_user_by_email(f"coordinator@{DEMO_DOMAIN}")
    if coordinator is None:
        return
    # Known by who imported what (the sweep replaces a file's name after CASEWORK_IMPORT_FILE_DAYS).
    done = sa.select(ImportJob.id).where(ImportJob.created_by_id == coordinator.id, ImportJob.kind == "police_log")
    if db.session.scalar(done.limit(1)) is not None:
        return
    job = services.upload(coordinator, "police_log", io.BytesIO(_log()), DEMO_FILENAME, {"police_agency": "DERPOL"})
    # The task's two runs, here in the command's process (no worker needed for the demo).
    job.status = ImportStatus.checking
    commit()
    services.run(job.id, dry_run=True)
    commit()
    job = db.session.get(ImportJob, job.id)
    job.status = ImportStatus.importing
    commit()
    services.run(job.id, dry_run=False)
    commit()
