"""A second, committed application for tests that need real concurrency: sweeps in two threads, a
Celery worker in a thread or in another process. The usual ``app``/``db_session`` fixtures keep each
test inside one rolled-back transaction, which another connection or process cannot see.

The database is a fresh SQLite file or a fresh database on the suite's PostgreSQL server, built by
the migrations and dropped at the end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil

from tests.support.databases import drop_database
from tests.support.environment import environment_without_casework

ROOT = Path(__file__).resolve().parents[2]
SECRET = "committed-test-secret-key-long-enough-for-production"


def _admin_url(sqlalchemy_url: str) -> str:
    parts = urlsplit(sqlalchemy_url)
    return urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))


@contextlib.contextmanager
def committed_database(backend: str, tmp_path: Path, postgresql_url: str | None) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'committed.sqlite'}"
        return
    import psycopg
    from psycopg import sql

    assert postgresql_url
    name = f"casework_committed_{uuid.uuid4().hex[:10]}"
    admin = _admin_url(postgresql_url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(postgresql_url)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    finally:
        drop_database(admin, name)


def settings(database_url: str, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "BROKER_URL": "memory://",
        "CELERY_ALWAYS_EAGER": False,
        "MAIL_DIR": str(tmp_path / "mail"),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        **extra,
    }


@contextlib.contextmanager
def committed_app(database_url: str, tmp_path: Path, **extra: Any) -> Iterator[Any]:
    """A migrated app on ``database_url``. Restores the suite's Celery app afterwards: creating an app
    makes its Celery app the current and default one, which shared tasks resolve to."""
    from celery import _state
    from flask_migrate import upgrade

    from casework import create_app
    from casework.core.db import dispose_engines
    from casework.extensions import db

    previous_current, previous_default = _state.get_current_app(), _state.default_app
    app = create_app(settings(database_url, tmp_path, **extra))
    try:
        with app.app_context():
            upgrade()
        _purge_memory_broker(app)
        yield app
    finally:
        _purge_memory_broker(app)
        with app.app_context():
            db.session.remove()
            dispose_engines()
        previous_current.set_current()
        _state.set_default_app(previous_default)


def _purge_memory_broker(app: Any) -> None:
    """The in-memory broker is one per process: drop what an earlier test left queued, so a worker
    started by this test runs only this test's tasks."""
    celery_app = app.extensions["celery"]
    if celery_app.conf.broker_url.startswith("memory://"):
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_purge("celery")


def environment(app_settings: dict[str, Any]) -> dict[str, str]:
    """The same settings as CASEWORK_* variables, for a worker process."""
    env = environment_without_casework()
    for key, value in app_settings.items():
        env[f"CASEWORK_{key}"] = str(value).lower() if isinstance(value, bool) else str(value)
    env["PYTHONPATH"] = str(ROOT)
    return env


class WorkerProcess:
    """``celery -A casework.tasks.worker worker --pool=prefork -c 1`` in its own process group; with
    ``pool="solo"``, ``--pool=solo`` as ``scripts/start`` runs it; ``kept``, under ``scripts/keep-worker``
    as ``scripts/start`` runs it (started again when it exits by itself)."""

    def __init__(
        self, env: dict[str, str], log_path: Path, name: str, pool: str = "prefork", kept: bool = False
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.name = name
        self.pool = pool
        self.kept = kept
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def start(self) -> WorkerProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                *([str(ROOT / "scripts" / "keep-worker")] if self.kept else []),
                sys.executable,
                "-m",
                "celery",
                "-A",
                "casework.tasks.worker",
                "worker",
                f"--pool={self.pool}",
                *(["-c", "1"] if self.pool == "prefork" else []),
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{self.name}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def pool_children(self, timeout: float = 60.0) -> list[psutil.Process]:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            children = psutil.Process(self.process.pid).children()
            if children:
                return children
            time.sleep(0.1)
        raise AssertionError(f"worker {self.name} started no pool process:\n{self.log()}")

    def kill_all(self) -> None:
        """kill -9 the worker and its pool processes (a machine losing power, the OOM killer)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_all()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


def wait_until(condition: Callable[[], Any], timeout: float, message: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message)
