"""Reads for the import pages, each named for what it returns (writes are in services.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from casework.spreadsheets import services
from casework.spreadsheets.models import ImportJob, ImportProblem


def visible_import_jobs(user: Any) -> sa.Select[Any]:
    """The imports the user may see, newest first, with who started each (paged by the caller)."""
    return (
        sa.select(ImportJob)
        .where(services.visible_jobs_clause(user))
        .options(joinedload(ImportJob.created_by))
        .order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
    )


def problems_of(job: ImportJob) -> sa.Select[Any]:
    """The import's problems: those about the whole file first, then by row (paged by the caller)."""
    return (
        sa.select(ImportProblem)
        .where(ImportProblem.job_id == job.id)
        .order_by(ImportProblem.row.is_(None).desc(), ImportProblem.row, ImportProblem.id)
    )
