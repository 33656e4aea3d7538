"""The statistics API: live figures, compile (task), publish (versions, notes, period ended), historic
figures, and who may do each."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.audit.models import AuditEntry
from casework.extensions import db
from casework.statistics.models import JobStatus, SnapshotStatus, StatisticsJob, StatisticsSnapshot

PERIOD = {"period_start": "2025-04-01", "period_end": "2026-03-31"}


@pytest.fixture
def bolsover(area_staff, records):
    staff = area_staff("BOL")
    application = records.application(staff["area"], date(2025, 6, 2))
    records.decision(application, date(2025, 6, 20), met=False)
    db.session.commit()
    return staff


def test_live_figures(api_client, bolsover):
    response = api_client(bolsover["coordinator"]).get(
        "/api/v1/statistics?area=BOL&period_start=2025-04-01&period_end=2026-03-31"
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["applications"] == 1
    assert body["threshold_not_met"] == 1
    assert body["reviews_carried_out"] == 0
    assert body["reviews_with_recommendations"] == 0
    assert body["applications_online"] == 1
    assert body["pending_at_period_end"] == 0
    assert (body["area_code"], body["period_start"], body["period_end"]) == ("BOL", "2025-04-01", "2026-03-31")


@time_machine.travel(date(2025, 9, 1))
def test_live_figures_default_to_the_current_financial_year(api_client, bolsover):
    body = api_client(bolsover["manager"]).get("/api/v1/statistics?area=BOL").get_json()
    assert (body["period_start"], body["period_end"], body["applications"]) == ("2025-04-01", "2026-03-31", 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period_start=2025-04-01&period_end=2026-04-01", "period_end"),  # 12 months and a day
        ("period_start=2025-04-01&period_end=2025-03-31", "period_end"),
        ("period_start=not-a-date&period_end=2026-03-31", "period_start"),
    ],
)
def test_bad_periods_are_refused(api_client, bolsover, query, field):
    response = api_client(bolsover["coordinator"]).get(f"/api/v1/statistics?area=BOL&{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_twelve_month_period_of_any_start_is_allowed(api_client, bolsover):
    response = api_client(bolsover["coordinator"]).get(
        "/api/v1/statistics?area=BOL&period_start=2025-01-01&period_end=2025-12-31"
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("role", "status"),
    [("coordinator", 200), ("manager", 200), ("officer", 403), ("chair", 403), ("partner", 403), ("admin", 403)],
)
def test_who_may_see_live_figures(api_client, bolsover, role, status):
    response = api_client(bolsover[role]).get("/api/v1/statistics?area=BOL")
    assert response.status_code == status


def test_staff_of_an_agency_not_covering_the_area_are_refused(api_client, bolsover, area_staff):
    other = area_staff("NED")
    client = api_client(other["manager"])
    assert client.get("/api/v1/statistics?area=BOL").status_code == 403
    assert client.post("/api/v1/statistics/compile", json={"area_code": "BOL", **PERIOD}).status_code == 403
    assert client.post("/api/v1/statistics/publish", json={"area_code": "BOL", **PERIOD}).status_code == 403
    assert api_client(None).get("/api/v1/statistics?area=BOL").status_code == 401


def test_compile_runs_the_task_and_answers_with_the_draft(api_client, bolsover):
    response = api_client(bolsover["coordinator"]).post(
        "/api/v1/statistics/compile", json={"area_code": "BOL", **PERIOD}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft"
    assert body["version"] is None
    assert (body["applications"], body["threshold_not_met"]) == (1, 1)
    db.session.expire_all()
    snapshot = db.session.get(StatisticsSnapshot, body["id"])
    assert snapshot.status == SnapshotStatus.draft
    assert snapshot.compiled_by_id == bolsover["coordinator"].id
    assert snapshot.compiled_at is not None
    job = db.session.get(StatisticsJob, body["job_id"])
    assert job.status == JobStatus.done
    assert job.snapshot_id == snapshot.id
    assert api_client(bolsover["coordinator"]).get(f"/api/v1/statistics/jobs/{job.id}").get_json()["status"] == "done"


def test_compile_answers_202_with_the_job_when_it_is_queued(api_client, bolsover, monkeypatch):
    from casework.core import tasks_outbox
    from casework.statistics import tasks

    monkeypatch.setattr(tasks_outbox, "publish", lambda name, args, task_id: None)  # a worker will take it
    response = api_client(bolsover["manager"]).post("/api/v1/statistics/compile", json={"area_code": "BOL", **PERIOD})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued"
    assert response.headers["Location"].endswith(f"/api/v1/statistics/jobs/{body['job_id']}")
    tasks.compile_statistics.apply(args=[body["job_id"]])
    polled = api_client(bolsover["manager"]).get(f"/api/v1/statistics/jobs/{body['job_id']}").get_json()
    assert polled["status"] == "done"
    assert polled["snapshot"]["applications"] == 1
    # The same message delivered again (a relay that died before marking it, a late acknowledgement
    # after a crash) finds the job done and compiles nothing more.
    assert tasks.compile_statistics.apply(args=[body["job_id"]]).result is None
    drafts = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(StatisticsSnapshot)
        .where(StatisticsSnapshot.status == SnapshotStatus.draft)
    )
    assert drafts == 1


def test_a_failing_compile_marks_the_job_failed(app, bolsover, monkeypatch):
    from casework.statistics import services, tasks

    job = StatisticsJob(
        area=bolsover["area"],
        period_start=date(2025, 4, 1),
        period_end=date(2026, 3, 31),
        requested_by_id=bolsover["coordinator"].id,
    )
    db.session.add(job)
    db.session.commit()

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "compile", broken)
    tasks.compile_statistics.apply(args=[job.id])
    db.session.expire_all()
    job = db.session.get(StatisticsJob, job.id)
    assert job.status == JobStatus.failed
    assert job.error
    assert job.finished_at


def test_a_compile_that_fails_at_once_answers_500_with_the_jobs_error_as_documented(api_client, bolsover, monkeypatch):
    from casework.statistics import services

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "compile", broken)
    response = api_client(bolsover["manager"]).post("/api/v1/statistics/compile", json={"area_code": "BOL", **PERIOD})
    assert response.status_code == 500
    job = db.session.scalars(sa.select(StatisticsJob)).one()
    assert job.status == JobStatus.failed
    assert response.get_json()["message"] == job.error == "The figures could not be compiled. Try again."
    document = api_client(bolsover["manager"]).get("/api/v1/openapi.json").get_json()
    assert "500" in document["paths"]["/api/v1/statistics/compile"]["post"]["responses"]


@pytest.mark.parametrize(
    ("role", "status"),
    [("coordinator", 200), ("manager", 200), ("officer", 403), ("chair", 403), ("partner", 403), ("admin", 403)],
)
def test_who_may_compile(api_client, bolsover, role, status):
    response = api_client(bolsover[role]).post("/api/v1/statistics/compile", json={"area_code": "BOL", **PERIOD})
    assert response.status_code == status


@time_machine.travel(date(2026, 4, 1))
def test_publish_creates_version_one_then_a_correction_needs_a_note(api_client, bolsover, records):
    client = api_client(bolsover["manager"])
    first = client.post("/api/v1/statistics/publish", json={"area_code": "BOL", **PERIOD})
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert (body["status"], body["version"], body["applications"]) == ("published", 1, 1)
    assert body["published_at"]
    assert body["note"] is None

    # A late-recorded application changes the figures; a new version without a note is refused.
    records.application(bolsover["area"], date(2026, 3, 31))
    db.session.commit()
    refused = client.post("/api/v1/statistics/publish", json={"area_code": "BOL", **PERIOD})
    assert refused.status_code == 422
    assert "_rule" in refused.get_json()["errors"]
    assert "note" in refused.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatisticsSnapshot)) == 1

    second = client.post(
        "/api/v1/statistics/publish",
        json={"area_code": "BOL", **PERIOD, "note": "An application received by letter on 31 March was added."},
    )
    assert second.status_code == 200
    assert (second.get_json()["version"], second.get_json()["applications"]) == (2, 2)
    db.session.expire_all()
    versions = db.session.scalars(sa.select(StatisticsSnapshot).order_by(StatisticsSnapshot.version)).all()
    assert [(v.version, v.figures["applications"]) for v in versions] == [(1, 1), (2, 2)]  # v1 unchanged
    audit = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "statistics_snapshots").order_by(AuditEntry.id)
    ).all()
    assert [entry.summary for entry in audit] == [
        "Published version 1 of the statistics for Bolsover, 2025-04-01 to 2026-03-31",
        "Published version 2 of the statistics for Bolsover, 2025-04-01 to 2026-03-31",
    ]
    assert audit[1].actor_id == bolsover["manager"].id


@time_machine.travel(date(2026, 3, 31))
def test_a_period_cannot_be_published_on_its_last_day(api_client, bolsover):
    response = api_client(bolsover["manager"]).post("/api/v1/statistics/publish", json={"area_code": "BOL", **PERIOD})
    assert response.status_code == 422
    assert "_rule" in response.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatisticsSnapshot)) == 0


@time_machine.travel(date(2026, 4, 1))
@pytest.mark.parametrize(
    ("role", "status"),
    [("manager", 200), ("coordinator", 403), ("officer", 403), ("chair", 403), ("partner", 403), ("admin", 403)],
)
def test_only_managers_publish(api_client, bolsover, role, status):
    response = api_client(bolsover[role]).post("/api/v1/statistics/publish", json={"area_code": "BOL", **PERIOD})
    assert response.status_code == status


def test_publish_refuses_bad_input_and_writes_nothing(api_client, bolsover):
    client = api_client(bolsover["manager"])
    assert client.post("/api/v1/statistics/publish", json={"area_code": "BOL"}).status_code == 422
    assert client.post("/api/v1/statistics/publish", json={"area_code": "XXX", **PERIOD}).status_code == 404
    assert (
        client.post("/api/v1/statistics/publish", json={"area_code": "BOL", **PERIOD, "colour": "red"}).status_code
        == 422
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatisticsSnapshot)) == 0


HISTORIC = {
    "area_code": "BOL",
    "period_start": "2016-04-01",
    "period_end": "2017-03-31",
    "applications": 0,
    "threshold_not_met": 0,
    "reviews_carried_out": 0,
    "reviews_with_recommendations": 0,
    "note": "Bolsover CSP plan 2017: no applications in the 12 months to March 2017.",
}


@pytest.mark.parametrize(("role", "status"), [("admin", 201), ("manager", 403), ("coordinator", 403), ("officer", 403)])
def test_admins_enter_historic_figures(api_client, bolsover, role, status):
    response = api_client(bolsover[role]).post("/api/v1/statistics/historic", json=HISTORIC)
    assert response.status_code == status
    if status == 201:
        body = response.get_json()
        assert (body["status"], body["source"], body["version"]) == ("published", "entered_by_hand", 1)
        assert body["note"] == HISTORIC["note"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"applications": -1}, "applications"),
        ({"applications": "2"}, "applications"),
        ({"reviews_with_recommendations": 1}, "reviews_with_recommendations"),
        ({"note": " "}, "note"),
    ],
)
def test_historic_figures_are_validated(api_client, bolsover, change, field):
    response = api_client(bolsover["admin"]).post("/api/v1/statistics/historic", json={**HISTORIC, **change})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatisticsSnapshot)) == 0


def test_versions_lists_drafts_and_published(api_client, bolsover):
    client = api_client(bolsover["coordinator"])
    client.post("/api/v1/statistics/compile", json={"area_code": "BOL", **PERIOD})
    items = client.get("/api/v1/statistics/versions?area=BOL&period_start=2025-04-01&period_end=2026-03-31").get_json()[
        "items"
    ]
    assert [i["status"] for i in items] == ["draft"]


def test_a_job_running_elsewhere_is_left_alone_and_one_left_by_a_dead_worker_runs_again(app, bolsover):
    from datetime import timedelta

    from casework.core import jobs
    from casework.core.time import now
    from casework.statistics import tasks
    from casework.statistics.models import JobStatus

    def job(lease_until) -> StatisticsJob:
        row = StatisticsJob(
            area=bolsover["area"],
            period_start=date(2025, 4, 1),
            period_end=date(2026, 3, 31),
            status=JobStatus.running,
            started_at=now() - timedelta(minutes=20),
            lease_until=lease_until,
            attempts=1,
        )
        db.session.add(row)
        db.session.commit()
        return row

    # A live worker renews its lease (PostgreSQL) and holds the job's file lock (SQLite).
    busy = job(now() + timedelta(minutes=1))
    abandoned = job(now() - timedelta(seconds=1))
    directory = jobs.lease_directory()
    live = jobs.FileLease(directory, tasks.JOB_KIND, busy.id) if directory else None
    assert live is None or live.take()
    try:
        assert tasks.compile_statistics.apply(args=[busy.id]).result is None
    finally:
        if live is not None:
            live.let_go()
    assert tasks.compile_statistics.apply(args=[abandoned.id]).result is not None
    db.session.expire_all()
    assert db.session.get(StatisticsJob, busy.id).status == JobStatus.running
    assert db.session.get(StatisticsJob, abandoned.id).status == JobStatus.done
