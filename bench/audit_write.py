#!/usr/bin/env python3
"""The cost of writing audit entries, on SQLite (the embedded default) and PostgreSQL.

    .venv/bin/python bench/audit_write.py [--writes 1000] [--threads 4] [--backend sqlite|postgresql|both]

For each backend, on a fresh database built by the migrations:

1. **one change entry per transaction**: ``record_change`` of a typical update (eight fields before and
   after) followed by ``commit()``, ``--writes`` times in a row: the latency a request pays to log a change;
2. **a page's view entries**: 25 ``record_view`` calls and one commit (a list page showing 25 records),
   and, since the hash chain, the same through ``record_many`` (how casework.audit.reads writes them);
3. **concurrent writers**: ``--threads`` threads, each with its own connection, each writing
   ``--writes / threads`` change entries in their own transactions at the same time: entries per second
   (on SQLite every writer takes the database's one write lock; on PostgreSQL nothing is shared);
4. **the minimal Flask endpoint** (``bench/minimal_app.py``, ``GET /ping`` through the test client) in the
   same run, so each figure is also given as a ratio to it.

With the hash chain (issue 8 item 6), also 5. **sealing**: the time to seal every entry written above.

Uses ``CASEWORK_BENCH_DATABASE_URL`` (an empty PostgreSQL database, owner role) when set; otherwise
starts a throwaway PostgreSQL server as the test suite does. Prints the machine's load average first:
the figures mean little without it. Results go in docs/performance.md ("Audit log writes").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BEFORE = {f"field_{n}": f"value before {n}" for n in range(8)}
AFTER = {**BEFORE, "field_3": "value after 3", "field_5": "value after 5"}


def start_postgresql() -> tuple[str, Any]:
    url = os.environ.get("CASEWORK_BENCH_DATABASE_URL", "").strip()
    if url:
        return url, None
    import psycopg

    from tests.support.services import ThrowawayPostgres, _create_database, find_postgresql_bindir

    bindir = find_postgresql_bindir()
    if bindir is None:
        sys.exit("PostgreSQL is not installed: set CASEWORK_BENCH_DATABASE_URL")
    server = ThrowawayPostgres(bindir)
    server.start()
    _create_database(psycopg, server.url, "casework_bench")
    return f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/casework_bench", server


def build_app(database_url: str, instance: Path) -> Any:
    from flask_migrate import upgrade

    from casework import create_app

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-secret-key-long-enough-for-production-use",
            "BROKER_URL": "memory://",
            "CELERY_ALWAYS_EAGER": True,
            "MAIL_DIR": str(instance / "mail"),
            "INSTANCE_PATH": str(instance),
        }
    )
    with app.app_context():
        upgrade()
    return app


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def describe(label: str, samples: list[float], baseline: float) -> None:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(
        f"  {label:<44} p50 {p50 * 1e3:7.3f} ms   p95 {p95 * 1e3:7.3f} ms   "
        f"(x{p50 / baseline:5.1f} the minimal endpoint)"
    )


def minimal_endpoint_p50(runs: int = 2000) -> float:
    from bench.minimal_app import app as minimal

    client = minimal.test_client()
    client.get("/ping")
    return statistics.median(timed(lambda: client.get("/ping"), runs))


def bench_backend(name: str, database_url: str, writes: int, threads: int) -> None:
    import sqlalchemy as sa

    from casework.audit import services as audit
    from casework.audit.models import AuditEntry
    from casework.core.db import commit, dispose_engines
    from casework.extensions import db

    with tempfile.TemporaryDirectory(prefix="casework-bench-audit-") as tmp:
        app = build_app(database_url, Path(tmp))
        baseline = minimal_endpoint_p50()
        print(f"\n{name}: {database_url.split('@')[-1]}")
        print(f"  {'minimal Flask endpoint (test client)':<44} p50 {baseline * 1e3:7.3f} ms")
        with app.app_context():

            def one_change() -> None:
                audit.record_change(None, ("bench_records", 1), BEFORE, AFTER, "Changed bench record 1")
                commit()

            def a_page_of_views() -> None:
                for n in range(25):
                    audit.record_view(None, ("bench_records", n), f"Viewed bench record {n}")
                commit()

            one_change()
            statements: list[str] = []

            def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
                statements.append(statement)

            sa.event.listen(db.engine, "before_cursor_execute", count)
            one_change()
            changed = len(statements)
            a_page_of_views()
            sa.event.remove(db.engine, "before_cursor_execute", count)
            print(
                f"  {'statements sent (SQLite also sends BEGIN)':<44} one change entry: {changed}; "
                f"25 view entries: {len(statements) - changed}"
            )
            describe("one change entry + commit", timed(one_change, writes), baseline)
            describe("25 view entries + one commit", timed(a_page_of_views, max(writes // 10, 20)), baseline)
            record_many = getattr(audit, "record_many", None)
            if record_many is not None:  # how a list page's views are written since the hash chain
                statements.clear()
                sa.event.listen(db.engine, "before_cursor_execute", count)
                record_many(None, audit.AuditAction.view, [("bench_records", n) for n in range(25)], "Shown")
                commit()
                sa.event.remove(db.engine, "before_cursor_execute", count)
                print(f"  {'statements, record_many of 25 views':<44} {len(statements)}")

                def a_list_of_views() -> None:
                    record_many(None, audit.AuditAction.view, [("bench_records", n) for n in range(25)], "Shown")
                    commit()

                runs = max(writes // 10, 20)
                describe("25 view entries, record_many + commit", timed(a_list_of_views, runs), baseline)
            db.session.remove()

        errors: list[BaseException] = []

        def writer(count: int) -> None:
            try:
                with app.app_context():
                    for n in range(count):
                        audit.record_change(None, ("bench_records", n), BEFORE, AFTER, "Changed bench record")
                        commit()
                    db.session.remove()
            except BaseException as error:  # reported below
                errors.append(error)

        per_thread = max(writes // threads, 1)
        workers = [threading.Thread(target=writer, args=(per_thread,)) for _ in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        total = per_thread * threads
        print(
            f"  {f'{threads} concurrent writers':<44} {total / elapsed:7.0f} entries/s "
            f"({total} entries in {elapsed:.2f} s, {len(errors)} errors)"
        )
        for error in errors[:3]:
            print(f"    error: {error!r}")

        with app.app_context():
            count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
            seal = getattr(audit, "seal_pending", None)
            if seal is not None:
                started = time.perf_counter()
                sealed = 0
                while True:
                    batch = seal()
                    commit()
                    if not batch:
                        break
                    sealed += batch
                elapsed = time.perf_counter() - started
                print(f"  {'sealing the chain':<44} {sealed / elapsed:7.0f} entries/s ({sealed} of {count} entries)")
            db.session.remove()
            dispose_engines()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="casework-bench-sqlite-") as tmp:
            bench_backend("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}", args.writes, args.threads)
    if args.backend in ("postgresql", "both"):
        url, server = start_postgresql()
        try:
            bench_backend("PostgreSQL", url, args.writes, args.threads)
        finally:
            if server is not None:
                server.stop()
    print(f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
