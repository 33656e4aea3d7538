"""The partnership report API with ``Prefer: respond-async`` on a real Celery worker (in a thread, on the
in-memory broker, against a committed database of each backend): ``202`` with the job while it is queued, and the
finished job gives the report the API answers without the preference."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from tests.notifications.committed import committed_app, committed_database, wait_until
from tests.support.one_application import one_application_and_a_token
from tests.support.report_jobs import REPORT

pytestmark = pytest.mark.celery_worker


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_report_is_queued_then_compiled_by_a_real_worker(backend, tmp_path, request):
    postgresql_url = request.getfixturevalue("postgresql_url") if backend == "postgresql" else None
    with committed_database(backend, tmp_path, postgresql_url) as url, committed_app(url, tmp_path) as app:
        with app.app_context():
            token = one_application_and_a_token("manager", also_covers=(("NED", "North East Derbyshire"),))
        # One application: shown, not withheld as "fewer than 5", so the count is seen to come through.
        app.config["CASEWORK"]["REPORT_SMALL_COUNT"] = 0
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        expected = client.get(REPORT, headers=headers).get_json()
        assert expected["figures"]["case_review"]["applications"] == 1

        # No worker yet: the job waits on the broker and the API says so.
        response = client.get(REPORT, headers={**headers, "Prefer": "respond-async"})
        assert response.status_code == 202
        assert response.headers["Preference-Applied"] == "respond-async"
        job_url = response.headers["Location"]
        assert response.get_json()["status"] == "queued"
        queued = client.get(job_url, headers=headers).get_json()
        assert (queued["status"], queued["steps_done"], queued["report"]) == ("queued", 0, None)

        with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=20):
            wait_until(
                lambda: client.get(job_url, headers=headers).get_json()["status"] == "done",
                30,
                "the worker did not compile the report",
            )
        job = client.get(job_url, headers=headers).get_json()
        assert job["steps_done"] == job["steps_total"]
        assert job["started_at"]
        assert job["finished_at"]
        assert job["report"] == expected
