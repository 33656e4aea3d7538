"""Finished background jobs are deleted ``CASEWORK_JOB_RETENTION_DAYS`` after they finished, by a daily
beat task of their domain: the partnership report's jobs (the page's and the API's) and the statistics'
compilations. A job still queued or running is never deleted, however old."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from celery.schedules import crontab
from flask import Flask

from casework.core.time import now
from casework.extensions import db
from casework.reports.models import ReportJob
from casework.statistics.models import JobStatus, StatisticsJob, StatisticsSnapshot

PERIOD = (date(2025, 4, 1), date(2026, 3, 31))


@dataclass(frozen=True)
class JobKind:
    model: type[Any]
    task: str
    new: Callable[[Any, Any], Any]  # (user, area) -> an unsaved job


def _report_job(user: Any, area: Any) -> ReportJob:
    return ReportJob(requested_by_id=user.id, area_ids=[area.id], period_start=PERIOD[0], period_end=PERIOD[1])


def _statistics_job(user: Any, area: Any) -> StatisticsJob:
    return StatisticsJob(requested_by_id=user.id, area=area, period_start=PERIOD[0], period_end=PERIOD[1])


KINDS = {
    "report": JobKind(ReportJob, "reports.delete_finished_jobs", _report_job),
    "statistics": JobKind(StatisticsJob, "statistics.delete_finished_jobs", _statistics_job),
}


@pytest.fixture(params=list(KINDS))
def kind(request: pytest.FixtureRequest) -> JobKind:
    return KINDS[request.param]


@pytest.fixture
def add_job(make: Any, kind: JobKind) -> Callable[..., Any]:
    area = make.area("BOL", "Bolsover")
    user = make.user("manager", agency=make.agency("CNCL", areas=[area]))

    def add(status: JobStatus, days_ago: int) -> Any:
        """A job asked for ``days_ago`` days ago; if finished, it finished then, else it started then."""
        moment = now() - timedelta(days=days_ago)
        job = kind.new(user, area)
        job.status = status
        job.created_at = moment
        job.started_at = None if status == JobStatus.queued else moment
        job.finished_at = moment if status in (JobStatus.done, JobStatus.failed) else None
        db.session.add(job)
        db.session.commit()
        return job

    return add


def _run(app: Flask, kind: JobKind) -> int:
    result = app.extensions["celery"].tasks[kind.task].apply()
    assert result.successful(), result.traceback
    return int(result.result)


def _left(kind: JobKind) -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(kind.model.id)))


def test_finished_jobs_older_than_the_setting_are_deleted(app: Flask, kind: JobKind, add_job: Any) -> None:
    assert app.config["CASEWORK"]["JOB_RETENTION_DAYS"] == 7
    add_job(JobStatus.done, 8)
    add_job(JobStatus.failed, 30)
    recent = {add_job(JobStatus.done, 6).id, add_job(JobStatus.failed, 1).id}
    assert _run(app, kind) == 2
    assert _left(kind) == recent
    assert _run(app, kind) == 0  # the next day's run finds nothing more


def test_a_job_still_queued_or_running_is_never_deleted(app: Flask, kind: JobKind, add_job: Any) -> None:
    # Even one left "running" by a dead worker long ago: the compile task may still claim it again.
    waiting = {add_job(JobStatus.queued, 400).id, add_job(JobStatus.running, 400).id, add_job(JobStatus.running, 8).id}
    # And one whose row still holds the time an earlier run finished: its status decides, not that time.
    run_again = add_job(JobStatus.running, 400)
    run_again.finished_at = run_again.created_at
    db.session.commit()
    waiting.add(run_again.id)
    add_job(JobStatus.done, 400)
    assert _run(app, kind) == 1
    assert _left(kind) == waiting


def test_the_setting_decides_how_long(app: Flask, kind: JobKind, add_job: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config["CASEWORK"], "JOB_RETENTION_DAYS", 30)
    kept = add_job(JobStatus.done, 29).id
    add_job(JobStatus.failed, 31)
    assert _run(app, kind) == 1
    assert _left(kind) == {kept}


@pytest.mark.parametrize("kind", [KINDS["statistics"]], ids=["statistics"])
def test_a_compilation_job_goes_but_its_draft_stays(app: Flask, add_job: Any, kind: JobKind) -> None:
    from casework.statistics import services

    job = add_job(JobStatus.queued, 10)
    draft = services.compile(None, job.area, job.period_start, job.period_end)
    job.snapshot, job.status, job.finished_at = draft, JobStatus.done, now() - timedelta(days=10)
    db.session.commit()
    draft_id = draft.id
    assert _run(app, kind) == 1
    assert _left(kind) == set()
    assert db.session.get(StatisticsSnapshot, draft_id) is not None


def test_the_sweep_is_on_the_beat_schedule_daily(app: Flask, kind: JobKind) -> None:
    from casework.core.registry import registry

    entry = registry(app).beat_schedule[kind.task]
    assert entry["task"] == kind.task
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].day_of_week == set(range(7))
    assert len(entry["schedule"].hour) == 1
    celery = app.extensions["celery"]
    assert kind.task in celery.conf.beat_schedule
    assert kind.task in celery.tasks
