"""Schemathesis against the API's own OpenAPI document, in-process (WSGI), with every check.

Every operation in ``/api/v1/openapi.json`` (so every endpoint a domain adds) gets generated requests,
valid and invalid, sent as a user holding every role and again with no token. A run fails on any
5xx, any status code or response body the document does not describe, any invalid request that is
accepted, and any other check schemathesis runs by default. A 422 is a documented answer (a business
rule refusing valid-looking input), so valid data may get it.

Bounded and repeatable: ``EXAMPLES`` per operation and mode, hypothesis derandomized (the same
requests on every run, no example database), no shrinking. It writes into its own database (a new
database on the suite's PostgreSQL server) loaded with the demo data, so the ids it guesses find real
records and nothing it writes reaches another test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from casework import create_app
from tests.conftest import test_settings as settings_for

schemathesis = pytest.importorskip("schemathesis")

#: Examples per operation and generation mode (valid, invalid); CASEWORK_FUZZ_EXAMPLES overrides it.
EXAMPLES = int(os.environ.get("CASEWORK_FUZZ_EXAMPLES", "25"))
#: Answers a valid request may get: success, or a refusal the document describes.
POSITIVE_EXPECTED = ["2xx", "401", "403", "404", "409", "422"]


@dataclass
class FuzzTarget:
    app: Flask
    token: str


def _fresh_database(database_url: str, tmp_path: Any, request: pytest.FixtureRequest) -> tuple[str, Any]:
    """A URL for a new, empty database of the same kind, and a function that drops it."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'fuzz.sqlite'}", lambda: None
    import psycopg

    from tests.support.databases import drop_database
    from tests.support.services import _create_database, _libpq_url, _with_database

    # Made by the owner role, which may create databases (the service role may not); the fuzzed app
    # runs as the owner on it.
    owner_url = request.getfixturevalue("postgresql_url")
    name = f"casework_fuzz_{uuid.uuid4().hex[:8]}"
    admin = _libpq_url(_with_database(owner_url, "postgres"))
    _create_database(psycopg, admin, name)
    return _with_database(owner_url, name), lambda: drop_database(admin, name)


@pytest.fixture(scope="module")
def fuzz_target(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[FuzzTarget]:
    from flask_migrate import upgrade

    from casework.accounts.models import User
    from casework.accounts.services import issue_token
    from casework.core.db import dispose_engines
    from casework.core.permissions import Role
    from casework.extensions import db

    instance = tmp_path_factory.mktemp("fuzz")
    url, drop = _fresh_database(database_url, instance, request)
    app = create_app({**settings_for(url, instance), "INSTANCE_PATH": str(instance)})
    try:
        with app.app_context():
            upgrade()
            result = app.test_cli_runner().invoke(args=["demo", "load"])
            assert result.exit_code == 0, result.output
            # The demo manager, given every role: the broadest rights one user can hold.
            user = db.session.scalar(db.select(User).where(User.email.like("manager@%")))
            user.roles = [role.value for role in Role]
            token, _row = issue_token(user, 8)
            db.session.commit()
        yield FuzzTarget(app, token)
    finally:
        with app.app_context():
            db.session.remove()
            dispose_engines()
        drop()


def _config() -> Any:
    from schemathesis.config import SchemathesisConfig

    return SchemathesisConfig.from_dict(
        {
            "seed": 20260301,
            "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_EXPECTED}},
        }
    )


def _run(target: FuzzTarget, headers: dict[str, str]) -> tuple[int, list[str]]:
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", target.app, config=_config())
    problems: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case: Any) -> None:
                nonlocal calls
                calls += 1
                response = case.call(headers=headers)
                case.validate_response(response, headers=headers)

            try:
                check()
            except (Exception, BaseExceptionGroup) as error:  # each operation is tried; all are reported
                problems.append(f"{operation.label} ({mode.value}): {error}")
    return calls, problems


# PostgreSQL only: it refuses what SQLite stores (a NUL, an integer beyond INTEGER, a string longer
# than its column), so it is where bad input could still end in a 5xx; SQLite's part is the walks in
# tests/test_bad_input.py. And one database keeps the run within a few minutes.
@pytest.mark.postgresql_only
@pytest.mark.parametrize("who", ["every role", "no token"])
def test_the_api_answers_as_its_openapi_document_says(fuzz_target: FuzzTarget, who: str) -> None:
    headers = {"Authorization": f"Bearer {fuzz_target.token}"} if who == "every role" else {}
    calls, problems = _run(fuzz_target, headers)
    assert calls > 100
    assert not problems, f"{len(problems)} operations failed:\n\n" + "\n\n".join(problems)
