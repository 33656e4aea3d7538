"""The partnership report API with ``Prefer: respond-async`` (RFC 7240): the report is compiled by the
page's task, the client follows the job at its ``Location``, and the finished job gives the same report
as the answer without the preference. Without the header nothing changes."""

from __future__ import annotations

import pytest

from casework.extensions import db
from casework.reports.models import ReportJob
from casework.statistics.models import JobStatus

QUERY = "period_start=2025-04-01&period_end=2026-03-31"
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
def manager(make, fixed_data):
    return make.user("manager", agency=fixed_data["council"])


def _jobs() -> list[ReportJob]:
    return list(db.session.scalars(db.select(ReportJob)))


def _pending_tasks() -> list:
    from casework.core.tasks_outbox import PendingTask

    return list(db.session.scalars(db.select(PendingTask)))


@pytest.mark.parametrize("query", [f"area=BOL&{QUERY}", QUERY])
def test_without_the_preference_the_answer_is_as_before(api_client, manager, query):
    response = api_client(manager).get(f"/api/v1/reports/partnership?{query}")
    assert response.status_code == 200
    assert "Preference-Applied" not in response.headers
    assert "Location" not in response.headers
    # The answer varies by the header now: a cache must not give one for the other.
    assert "Prefer" in response.vary
    assert {"area", "period_start", "period_end", "figures", "previous", "changes", "areas"} <= set(response.json)
    assert _jobs() == []


def test_an_unknown_preference_is_ignored(api_client, manager):
    client = api_client(manager)
    plain = client.get(f"/api/v1/reports/partnership?area=BOL&{QUERY}")
    other = client.get(f"/api/v1/reports/partnership?area=BOL&{QUERY}", headers={"Prefer": "return=minimal"})
    assert other.status_code == 200
    assert other.json == plain.json
    assert _jobs() == []


@pytest.mark.parametrize("query", [f"area=BOL&{QUERY}", QUERY])
def test_respond_async_answers_202_with_the_job_and_its_location(api_client, manager, query):
    client = api_client(manager)
    response = client.get(f"/api/v1/reports/partnership?{query}", headers=ASYNC)
    assert response.status_code == 202, response.json
    assert response.headers["Preference-Applied"] == "respond-async"
    assert "Prefer" in response.vary
    job = db.session.scalars(db.select(ReportJob)).one()
    assert response.headers["Location"] == f"/api/v1/reports/partnership/jobs/{job.id}"
    assert job.requested_by_id == manager.id
    body = response.json
    assert body["id"] == job.id
    assert body["area"] == ("BOL" if "area=" in query else None)
    assert (body["period_start"], body["period_end"]) == ("2025-04-01", "2026-03-31")
    assert body["status"] in {"queued", "running", "done"}
    assert body["steps_total"] == job.steps_total > 0


@pytest.mark.parametrize("query", [f"area=BOL&{QUERY}", QUERY])
def test_the_finished_job_gives_the_same_report_as_the_answer_without_the_preference(api_client, manager, query):
    client = api_client(manager)
    expected = client.get(f"/api/v1/reports/partnership?{query}").json
    location = client.get(f"/api/v1/reports/partnership?{query}", headers=ASYNC).headers["Location"]
    # The tests run tasks eagerly: the job is done once the request has committed.
    polled = client.get(location)
    assert polled.status_code == 200
    assert "Preference-Applied" not in polled.headers
    body = polled.json
    assert body["status"] == "done"
    assert body["steps_done"] == body["steps_total"]
    assert body["finished_at"] is not None
    assert body["report"] == expected


def test_polling_shows_the_progress_until_the_job_is_done(api_client, manager, fixed_data):
    from casework.reports import services
    from casework.reports.tasks import compile_partnership_report

    client = api_client(manager)
    job = services.request_report(manager, [fixed_data["bol"]], *_period(), whole_group=False)
    db.session.commit()
    queued = client.get(f"/api/v1/reports/partnership/jobs/{job.id}").json
    assert (queued["status"], queued["steps_done"], queued["report"]) == ("queued", 0, None)
    job.status, job.steps_done = JobStatus.running, 3
    db.session.commit()
    running = client.get(f"/api/v1/reports/partnership/jobs/{job.id}").json
    assert (running["status"], running["steps_done"], running["report"]) == ("running", 3, None)
    job.status = JobStatus.queued
    db.session.commit()
    assert compile_partnership_report(job.id) is True
    done = client.get(f"/api/v1/reports/partnership/jobs/{job.id}").json
    assert done["status"] == "done"
    assert done["report"] == client.get(f"/api/v1/reports/partnership?area=BOL&{QUERY}").json


def test_a_failed_job_says_so(api_client, manager, fixed_data):
    from casework.reports import services

    job = services.request_report(manager, [fixed_data["bol"]], *_period(), whole_group=False)
    job.status, job.error = JobStatus.failed, "The report could not be compiled. Try again."
    db.session.commit()
    body = api_client(manager).get(f"/api/v1/reports/partnership/jobs/{job.id}").json
    assert (body["status"], body["error"], body["report"]) == (
        "failed",
        "The report could not be compiled. Try again.",
        None,
    )


@pytest.mark.parametrize(
    ("query", "status", "errors"),
    [
        ("area=BOL&period_start=2026-04-01&period_end=2026-03-31", 422, "period_end"),
        ("area=BOL&period_start=2015-04-01&period_end=2026-03-31", 422, "period_end"),
        ("area=BOL&period_start=2025-02-30&period_end=2026-03-31", 422, "period_start"),
        ("area=ZZZ&period_start=2025-04-01&period_end=2026-03-31", 404, None),
    ],
)
def test_bad_input_is_refused_as_before_and_nothing_is_queued(api_client, make, manager, query, status, errors):
    client = api_client(manager)
    plain = client.get(f"/api/v1/reports/partnership?{query}")
    preferred = client.get(f"/api/v1/reports/partnership?{query}", headers=ASYNC)
    assert plain.status_code == preferred.status_code == status
    assert preferred.json == plain.json  # the same messages
    if errors:
        assert errors in preferred.json["errors"]
    assert "Preference-Applied" not in preferred.headers
    assert _jobs() == []
    assert _pending_tasks() == []


def test_an_area_the_agency_does_not_cover_is_not_queued(api_client, make, manager):
    make.area("AMB", "Amber Valley")
    response = api_client(manager).get(f"/api/v1/reports/partnership?area=AMB&{QUERY}", headers=ASYNC)
    assert response.status_code == 404
    assert response.json["message"] == "No area with code AMB."
    assert _jobs() == []
    assert _pending_tasks() == []


@pytest.mark.parametrize("role", ["officer", "coordinator", "chair", "partner", "admin", "dpo"])
def test_other_roles_can_neither_ask_nor_follow_a_job(api_client, make, manager, fixed_data, role):
    location = _asked_for_by(api_client(manager))
    user = make.user(role, agency=fixed_data["council"])
    client = api_client(user)
    assert client.get(f"/api/v1/reports/partnership?area=BOL&{QUERY}", headers=ASYNC).status_code == 403
    assert client.get(location).status_code == 403
    assert len(_jobs()) == 1


def test_a_job_is_followed_only_by_the_manager_who_asked(api_client, make, manager, fixed_data):
    location = _asked_for_by(api_client(manager))
    colleague = make.user("manager", agency=fixed_data["council"])
    elsewhere = make.user("manager", agency=make.agency("ELSE", areas=[make.area("AMB", "Amber Valley")]))
    assert api_client(manager).get(location).status_code == 200
    for other in (colleague, elsewhere):
        response = api_client(other).get(location)
        assert response.status_code == 404
        assert response.json["message"] == "No such report."
    assert api_client(None).get(location).status_code == 401


def test_a_job_asked_for_on_the_page_is_the_managers_in_the_api_too(api_client, page_client, manager, fixed_data):
    from casework.reports import services

    job = services.request_report(manager, [fixed_data["bol"]], *_period(), whole_group=False)
    db.session.commit()
    assert api_client(manager).get(f"/api/v1/reports/partnership/jobs/{job.id}").json["id"] == job.id
    assert page_client(manager).get(f"/reports/partnership/jobs/{job.id}").status_code == 200


def test_an_unknown_job_is_not_found(api_client, manager):
    response = api_client(manager).get("/api/v1/reports/partnership/jobs/999999")
    assert response.status_code == 404


def test_a_head_request_never_queues_a_job(api_client, manager):
    client = api_client(manager)
    response = client.client.head(f"/api/v1/reports/partnership?area=BOL&{QUERY}", headers={**client.headers, **ASYNC})
    assert response.status_code == 200
    assert _jobs() == []


def _asked_for_by(client) -> str:
    """The job's ``Location`` of a report asked for with ``Prefer: respond-async``."""
    return client.get(f"/api/v1/reports/partnership?area=BOL&{QUERY}", headers=ASYNC).headers["Location"]


def _period():
    from datetime import date

    return date(2025, 4, 1), date(2026, 3, 31)


def test_the_api_guide_shows_the_job_as_it_is(api_client, manager):
    from casework.app import PROJECT_ROOT

    guide = (PROJECT_ROOT / "docs" / "api.md").read_text()
    response = api_client(manager).get(f"/api/v1/reports/partnership?{QUERY}", headers=ASYNC)
    assert "Prefer: respond-async" in guide
    assert "Preference-Applied: respond-async" in guide
    assert "Location: /api/v1/reports/partnership/jobs/" in guide
    for key in response.json:
        assert f'"{key}"' in guide, f"docs/api.md does not show the job's {key}"


def test_the_openapi_document_describes_the_header_the_202_and_the_job(client):
    document = client.get("/api/v1/openapi.json").json
    report = document["paths"]["/api/v1/reports/partnership"]["get"]
    header = next(p for p in report["parameters"] if p["in"] == "header")
    assert (header["name"], header["required"], header["schema"]) == ("Prefer", False, {"type": "string"})
    accepted = report["responses"]["202"]
    assert set(accepted["headers"]) == {"Location", "Preference-Applied", "Retry-After"}
    assert accepted["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ReportJobAnswer"}
    assert report["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReportAnswer"
    }
    job = document["paths"]["/api/v1/reports/partnership/jobs/{job_id}"]["get"]
    assert job["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReportJobAnswer"
    }
