"""A connection from the pool is checked (pinged) before use only when it has been idle a while
(``casework.core.db.ping_after_idle``, instead of ``pool_pre_ping`` on every checkout): a request
checks a connection out two or three times, and on PostgreSQL each ping was a round trip."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from casework.core import db as db_module


@pytest.fixture
def pings(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        seen.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def use(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        value = connection.scalar(sa.text("SELECT 1"))
        connection.rollback()
    return value


def test_the_pools_own_ping_is_off(app):
    assert not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping")


def test_a_connection_used_a_moment_ago_is_not_pinged(engine, pings):
    for _ in range(3):
        assert use(engine) == 1
    assert pings == []


def test_an_idle_connection_is_pinged_first(engine, pings, monkeypatch):
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    for _ in range(3):
        assert use(engine) == 1
    assert len(pings) == 3


@pytest.mark.postgresql_only
def test_a_dead_connection_is_replaced_before_use(app, engine, monkeypatch):
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    with engine.connect() as connection:
        dead = connection.scalar(sa.text("SELECT pg_backend_pid()"))
        connection.rollback()
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as killer:  # outside the one-connection pool
        assert killer.execute("SELECT pg_terminate_backend(%s, 5000)", (dead,)).fetchone() == (True,)
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT pg_backend_pid()")) != dead
        connection.rollback()
