#!/usr/bin/env python3
"""The partnership performance report on the generated datasets (bench/casework_dataset.py): the
county (8 areas) and 300 areas over one year, timed in-process next to the minimal Flask endpoint.

    python bench/partnership_report_bench.py --size county [--database-url postgresql+psycopg://...]
    python bench/partnership_report_bench.py --size national

Without ``--database-url`` a throwaway PostgreSQL server is started and the dataset generated into it
(with one, an empty database is filled, a filled one is used as it is). Timed, median of ``--repeat``:

- the figures alone (``build_report``: the period and the year before, every area and the total);
- the API answer, ``GET /api/v1/reports/partnership`` (all the manager's areas added up);
- the page with its charts and tables, ``GET /reports/partnership/`` (county only: over 20 areas the
  page hands the work to a task, whose work is the figures above);
- the minimal endpoint (``bench/minimal_app.py``, ``GET /ping``) in the same process, as the unit.

The load average is printed with the results: the machine is shared. Results go in docs/performance.md
("Partnership report").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MANAGER_EMAIL = "report.manager@casework.example"


def median_ms(fn, repeat: int) -> float:
    fn()  # warm up (templates, statement cache)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def profile_statements(db, build) -> None:
    """Time each statement of one ``build()`` (after a warm-up), slowest first."""
    import sqlalchemy as sa

    build()
    timings: list[tuple[float, str]] = []
    started: dict[int, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        took = (time.perf_counter() - started.pop(id(cursor), time.perf_counter())) * 1000
        timings.append((took, " ".join(statement.split())[:110]))

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        began = time.perf_counter()
        build()
        whole = (time.perf_counter() - began) * 1000
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
    print(f"one report: {whole:.0f} ms in {len(timings)} statements ({sum(t for t, _ in timings):.0f} ms in SQL)")
    for took, statement in sorted(timings, reverse=True):
        print(f"  {took:8.1f} ms  {statement}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("county", "national"), default="county")
    parser.add_argument("--database-url", default=os.environ.get("CASEWORK_BENCH_DATABASE_URL", ""))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--areas",
        type=int,
        default=0,
        help="report on the first N areas only (a county-sized group of a bigger dataset)",
    )
    parser.add_argument("--profile", action="store_true", help="also time each statement of one report")
    args = parser.parse_args()

    server = None
    url = args.database_url.strip()
    if not url:
        import psycopg

        from tests.support.services import ThrowawayPostgres, _create_database, find_postgresql_bindir

        server = ThrowawayPostgres(find_postgresql_bindir())
        server.start()
        _create_database(psycopg, server.url, "casework_bench")
        url = f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/casework_bench"
    try:
        return run(url, args)
    finally:
        if server is not None:
            server.stop()


def run(url: str, args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from bench import casework_dataset
    from bench.minimal_app import app as minimal_app

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        filled = sa.inspect(connection).has_table("cases") and connection.scalar(sa.text("SELECT count(*) FROM cases"))
    engine.dispose()
    if not filled:
        began = time.monotonic()
        casework_dataset.build_schema(url)
        counts = casework_dataset.generate(url, args.size)
        print(f"dataset {args.size}: {counts} in {time.monotonic() - began:.0f}s", flush=True)

    from casework import create_app
    from casework.accounts.models import Agency, Area, User
    from casework.accounts.services import issue_token
    from casework.core.db import commit
    from casework.extensions import db
    from casework.reports import services
    from tests.conftest import TestClient

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": url,
            "BROKER_URL": "memory://",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-production",
            "CELERY_ALWAYS_EAGER": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    app.test_client_class = TestClient
    # One year: the last financial year that has ended (the dataset's dates run up to today).
    today = date.today()
    first = today.year - 1 if today.month >= 4 else today.year - 2
    period_start, period_end = date(first, 4, 1), date(first + 1, 3, 31)
    query = f"period_start={period_start}&period_end={period_end}"
    with app.app_context():
        police = db.session.scalar(sa.select(Agency).where(Agency.code == "POLICE"))  # covers every area
        manager = db.session.scalar(sa.select(User).where(User.email == MANAGER_EMAIL))
        if manager is None:
            any_hash = db.session.scalar(sa.select(User.password_hash).limit(1))
            manager = User(email=MANAGER_EMAIL, name="Report manager", password_hash=any_hash, agency=police)
            manager.roles = ["manager"]
            db.session.add(manager)
        manager.agency = police
        token, _ = issue_token(manager, 1)
        commit()
        areas = list(db.session.scalars(sa.select(Area).order_by(Area.code)))
        if args.areas:
            areas = areas[: args.areas]
            # The API and the page report on the manager's agency's areas: an agency of these alone.
            group = db.session.scalar(sa.select(Agency).where(Agency.code == "BENCHGROUP"))
            if group is None:
                group = Agency(code="BENCHGROUP", name="Bench group of areas", kind=police.kind)
                db.session.add(group)
            group.areas = areas
            manager.agency = group
            commit()
            areas = list(
                db.session.scalars(sa.select(Area).where(Area.id.in_([a.id for a in areas])).order_by(Area.code))
            )
        if args.profile:
            profile_statements(db, lambda: services.build_report(areas, period_start, period_end, whole_group=True))
        figures_ms = median_ms(
            lambda: services.build_report(areas, period_start, period_end, whole_group=True), args.repeat
        )
        incidents = db.session.scalar(
            sa.text("SELECT count(*) FROM incidents WHERE occurred_on BETWEEN :s AND :e"),
            {"s": period_start, "e": period_end},
        )
        manager_id = manager.id
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def api_call() -> None:
        response = api.get(f"/api/v1/reports/partnership?{query}", headers=headers)
        assert response.status_code == 200, response.status_code

    api_ms = median_ms(api_call, args.repeat)
    page_ms = None
    if len(areas) <= services.LARGE_GROUP:
        with app.app_context():
            page_client = app.test_client(user=db.session.get(User, manager_id))

        def page_call() -> None:
            response = page_client.get(f"/reports/partnership/?{query}")
            assert response.status_code == 200, response.status_code

        page_ms = median_ms(page_call, args.repeat)
    ping = minimal_app.test_client()
    minimal_ms = median_ms(lambda: ping.get("/ping"), max(args.repeat, 200))
    load = os.getloadavg()
    print(f"{args.size}: {len(areas)} areas, {period_start} to {period_end}, {incidents} incidents in the year")
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; median of {args.repeat}")
    print(f"  minimal endpoint        {minimal_ms:9.2f} ms   1")
    print(f"  figures (build_report)  {figures_ms:9.1f} ms   {figures_ms / minimal_ms:,.0f}x")
    print(f"  API answer              {api_ms:9.1f} ms   {api_ms / minimal_ms:,.0f}x")
    if page_ms is not None:
        print(f"  page (charts, tables)   {page_ms:9.1f} ms   {page_ms / minimal_ms:,.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
