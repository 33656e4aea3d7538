"""The OpenAPI document against real answers: each answer's status is documented, its body matches the
status's schema, and its headers the headers documented for it (tests/support/documented_answers.py).

- Every success status an operation has besides its usual one (a ``202`` with a job,
  ``@documented(also=...)``) needs a witness here, a request that gets it; a new one without a witness
  fails the walk. The fuzz run (test_api_fuzz.py) checks the answers it reaches, but with tasks run at
  once it never reaches a compilation still queued: that is how a ``202`` came to be documented with
  the ``200``'s draft.
- The job polls are walked in every state a job can be in (``Retry-After`` only while it runs).
- The usual answers are walked where the docs/api.md contract's requests reach them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from casework.core.openapi import api_operations
from casework.extensions import db
from casework.statistics.models import JobStatus
from tests.support.documented_answers import DocumentedAnswers

PERIOD = {"period_start": "2025-04-01", "period_end": "2026-03-31"}
QUERY = "period_start=2025-04-01&period_end=2026-03-31"


@dataclass
class World:
    client: Any
    manager: Any
    area: Any


@dataclass(frozen=True)
class Answer:
    method: str
    path: str
    response: Any


Witness = Callable[[World, pytest.MonkeyPatch], Iterator[Answer]]


def _leave_tasks_queued(monkeypatch: pytest.MonkeyPatch) -> None:
    """As when a worker will take the task later: the outbox publishes nothing, the job stays queued."""
    from casework.core import tasks_outbox

    monkeypatch.setattr(tasks_outbox, "publish", lambda name, args, task_id: None)


def _get(world: World, path: str, **kwargs: Any) -> Answer:
    return Answer("GET", path, world.client.get(path, **kwargs))


def _post(world: World, path: str, **kwargs: Any) -> Answer:
    return Answer("POST", path, world.client.post(path, **kwargs))


def _set_status(job: Any, status: JobStatus) -> None:
    from casework.core.time import now

    job.status = status
    job.finished_at = now() if status in (JobStatus.done, JobStatus.failed) else None
    job.error = "It could not be done. Try again." if status == JobStatus.failed else None
    db.session.commit()


def report_async(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Answer]:
    asynchronously = {"Prefer": "respond-async"}
    yield _get(world, f"/api/v1/reports/partnership?{QUERY}", headers=asynchronously)
    _leave_tasks_queued(monkeypatch)
    yield _get(world, f"/api/v1/reports/partnership?area={world.area.code}&{QUERY}", headers=asynchronously)


def report_job(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Answer]:
    from casework.reports import services

    job = services.request_report(world.manager, [world.area], *_period(), whole_group=False)
    db.session.commit()
    for status in JobStatus:
        if status != JobStatus.done:  # a done job holds its report: the task makes it below
            _set_status(job, status)
            yield _get(world, f"/api/v1/reports/partnership/jobs/{job.id}")
    job.status = JobStatus.queued
    db.session.commit()
    from casework.reports.tasks import compile_partnership_report

    assert compile_partnership_report(job.id) is True
    yield _get(world, f"/api/v1/reports/partnership/jobs/{job.id}")


def statistics_compile_queued(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Answer]:
    _leave_tasks_queued(monkeypatch)
    yield _post(world, "/api/v1/statistics/compile", json={"area_code": world.area.code, **PERIOD})


def statistics_job(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Answer]:
    from casework.statistics import services

    job = services.request_compile(world.manager, world.area, *_period())
    db.session.commit()
    for status in (JobStatus.queued, JobStatus.running, JobStatus.failed):
        _set_status(job, status)
        yield _get(world, f"/api/v1/statistics/jobs/{job.id}")
    done = world.client.post("/api/v1/statistics/compile", json={"area_code": world.area.code, **PERIOD})
    assert done.status_code == 200, done.get_json()
    yield _get(world, f"/api/v1/statistics/jobs/{done.get_json()['job_id']}")


def _period() -> tuple[Any, Any]:
    from datetime import date

    return date.fromisoformat(PERIOD["period_start"]), date.fromisoformat(PERIOD["period_end"])


#: (method, documented path, status) -> a witness: requests that get that status.
WITNESSES: dict[tuple[str, str, int], Witness] = {
    ("get", "/api/v1/reports/partnership", 202): report_async,
    ("get", "/api/v1/reports/partnership/jobs/{job_id}", 200): report_job,
    ("post", "/api/v1/statistics/compile", 202): statistics_compile_queued,
    ("get", "/api/v1/statistics/jobs/{job_id}", 200): statistics_job,
}


def _other_statuses(app: Flask) -> set[tuple[str, str, int]]:
    """Every documented success status besides an operation's usual one."""
    return {
        (op.method, op.path, other.status)
        for op in api_operations(app)
        if op.documentation
        for other in op.documentation.also
    }


@pytest.fixture
def world(api_client: Any, make: Any) -> World:
    area = make.area("BOL", "Bolsover")
    manager = make.user("manager", agency=make.agency("CNCL", areas=[area]))
    return World(api_client(manager), manager, area)


def test_every_other_success_status_has_a_witness(app: Flask) -> None:
    missing = sorted(_other_statuses(app) - set(WITNESSES))
    assert not missing, f"Documented statuses no witness here gets (add one to WITNESSES): {missing}"


@pytest.mark.parametrize("key", list(WITNESSES), ids=lambda key: f"{key[0].upper()} {key[1]} {key[2]}")
def test_the_answer_is_what_the_document_says(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch, key: tuple[str, str, int]
) -> None:
    documented = DocumentedAnswers(app)
    _method, path, status = key
    answers = list(WITNESSES[key](world, monkeypatch))
    assert answers
    problems = []
    for answer in answers:
        assert answer.response.status_code == status, (answer.path, answer.response.get_json())
        assert documented.operation_of(answer.method, answer.path)[0] == path
        problems += documented.problems(answer.method, answer.path, answer.response)
    assert not problems, "\n".join(problems)


def test_the_api_md_requests_get_the_answers_the_document_describes(app: Flask, db_session: Any) -> None:
    """The usual answers too, where the contract's requests reach them (tests/contract): the partners'
    requests, every status they get checked against the document (the fuzz reaches few successes)."""
    from tests.contract.test_api_md import _check, replay

    documented = DocumentedAnswers(app)
    problems, checked = [], set()
    for entry, path, response, saved in replay(app):
        if entry.get("pending"):
            continue
        _check(entry, response, saved)  # keeps the ids later requests name
        if path.startswith("/api/"):
            checked.add((entry["method"], documented.operation_of(entry["method"], path)[0], response.status_code))
            problems += documented.problems(entry["method"], path, response)
    assert len(checked) > 25
    assert not problems, "\n".join(problems)


def test_the_checker_finds_a_body_the_status_does_not_describe(app: Flask, world: World, monkeypatch) -> None:
    """The walk can fail: the 202's job checked against the 200's draft, as the document described it."""
    documented = DocumentedAnswers(app)
    [answer] = statistics_compile_queued(world, monkeypatch)
    operation = documented.document["paths"]["/api/v1/statistics/compile"]["post"]
    operation["responses"]["202"] = {**operation["responses"]["200"], "description": "Compiling."}
    problems = documented.problems(answer.method, answer.path, answer.response)
    assert any("body" in problem for problem in problems), problems


# --- Retry-After: on every 202 that hands back a job, and on every poll of a job still to finish -----


def test_every_202_and_every_job_poll_documents_retry_after(app: Flask) -> None:
    document = DocumentedAnswers(app).document
    found = {"202": 0, "poll": 0}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if "202" in responses:
                found["202"] += 1
                assert responses["202"]["headers"]["Retry-After"]["required"] is True, (method, path)
            if "/jobs/" in path and method == "get":
                found["poll"] += 1
                assert responses["200"]["headers"]["Retry-After"]["required"] is False, (method, path)
    assert found == {"202": 2, "poll": 2}  # the report and the compilation: a new one is walked here too


@pytest.mark.parametrize("key", list(WITNESSES), ids=lambda key: f"{key[0].upper()} {key[1]} {key[2]}")
def test_retry_after_while_there_is_a_job_to_wait_for(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch, key: tuple[str, str, int]
) -> None:
    from casework.core.jobs import RETRY_AFTER_SECONDS

    answers = list(WITNESSES[key](world, monkeypatch))
    states = set()
    for answer in answers:
        response = answer.response
        status = response.get_json()["status"]
        states.add(status)
        # A 202 always (its job may already be done when tasks run at once); a poll until the job ends.
        waiting = response.status_code == 202 or status in {"queued", "running"}
        expected = str(RETRY_AFTER_SECONDS) if waiting else None
        assert response.headers.get("Retry-After") == expected, (answer.path, response.status_code, status)
    if "/jobs/" in key[1]:
        assert states == {"queued", "running", "done", "failed"}
