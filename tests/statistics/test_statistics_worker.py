"""Compile on a real Celery worker (in a thread, on the in-memory broker, against a committed SQLite
database): the API answers 202 with the job while it is queued, and the job finishes with the draft."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from tests.notifications.committed import committed_app, wait_until
from tests.support.one_application import one_application_and_a_token

pytestmark = pytest.mark.celery_worker


def test_compile_is_queued_then_done_by_a_real_worker(tmp_path):
    with committed_app(f"sqlite:///{tmp_path / 'statistics.sqlite'}", tmp_path) as app:
        with app.app_context():
            token = one_application_and_a_token("coordinator")
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        # No worker yet: the job waits on the broker and the API says so.
        response = client.post(
            "/api/v1/statistics/compile",
            json={"area_code": "BOL", "period_start": "2025-04-01", "period_end": "2026-03-31"},
            headers=headers,
        )
        assert response.status_code == 202
        job_url = response.headers["Location"]
        assert client.get(job_url, headers=headers).get_json()["status"] == "queued"

        with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=20):
            wait_until(
                lambda: client.get(job_url, headers=headers).get_json()["status"] == "done",
                30,
                "the worker did not compile the figures",
            )
        job = client.get(job_url, headers=headers).get_json()
        assert job["snapshot"]["status"] == "draft"
        assert job["snapshot"]["applications"] == 1
        assert job["snapshot"]["applications_phone"] == 1
        assert job["started_at"]
        assert job["finished_at"]
