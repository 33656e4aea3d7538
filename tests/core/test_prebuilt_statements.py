"""Statements built once run under a cache key of their own (``casework.core.db.prebuilt``): they give
the same rows as the statement itself, each keeps its own compiled form, and the case pages give it
only statements built once, so the table of them stops growing however many cases are viewed."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from casework.accounts.models import User
from casework.core import db as core_db
from casework.extensions import db
from tests.interventions.world import world  # noqa: F401


def test_a_prebuilt_statement_gives_the_statements_rows(make):
    make.user("officer", email="a@example.org")
    make.user("officer", email="b@example.org")
    by_email = sa.select(User.email).where(User.email == sa.bindparam("email"))
    all_emails = sa.select(User.email).where(User.email.like("%@example.org")).order_by(User.email)
    for email in ("a@example.org", "b@example.org"):
        assert db.session.execute(core_db.prebuilt(by_email), {"email": email}).all() == [(email,)]
    # Two statements keep compiled forms of their own: the second is not answered with the first's SQL.
    assert db.session.execute(core_db.prebuilt(all_emails)).scalars().all() == ["a@example.org", "b@example.org"]
    assert db.session.execute(core_db.prebuilt(by_email), {"email": "a@example.org"}).scalars().all() == [
        "a@example.org"
    ]


def test_the_same_statement_is_prebuilt_once():
    statement = sa.select(sa.literal(1).label("one"))
    assert core_db.prebuilt(statement) is core_db.prebuilt(statement)
    assert core_db.prebuilt(statement) is not core_db.prebuilt(sa.select(sa.literal(1).label("one")))


def test_statements_built_per_request_are_refused(monkeypatch):
    monkeypatch.setattr(core_db, "PREBUILT_MAX", len(core_db._PREBUILT) + 2)
    core_db.prebuilt(sa.select(sa.literal(1)))
    core_db.prebuilt(sa.select(sa.literal(2)))
    with pytest.raises(RuntimeError, match="built once"):
        core_db.prebuilt(sa.select(sa.literal(3)))


@pytest.mark.parametrize("kind", ["api", "page"])
def test_viewing_cases_prebuilds_only_statements_built_once(world: Any, api_client, page_client, kind):  # noqa: F811
    other = world.new_case(reference="BOL-2026-0002")
    viewers = [world.officer, world.partner]

    def view_all() -> None:
        for viewer in viewers:
            client = api_client(viewer) if kind == "api" else page_client(viewer)
            for case in (world.case, other):
                path = f"/api/v1/cases/{case.id}" if kind == "api" else f"/cases/{case.id}"
                assert client.get(path).status_code in (200, 404)

    view_all()
    prebuilt = len(core_db._PREBUILT)
    view_all()
    view_all()
    assert len(core_db._PREBUILT) == prebuilt
