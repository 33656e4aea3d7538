"""The reminder sweep over 1M open deadlines of which 1k are due, on PostgreSQL, and email throughput
of one worker to a local SMTP sink (aiosmtpd).

    .venv/bin/python bench/reminders_sweep.py [--rows 1000000] [--due 1000] [--overdue 100] [--subjects cases]

Uses ``CASEWORK_BENCH_DATABASE_URL`` (an empty PostgreSQL database) when set; otherwise starts a
throwaway PostgreSQL server as the test suite does. Results go in docs/performance.md ("Reminders and
email").

Measured:

1. the claim queries alone (the SELECT ... FOR UPDATE SKIP LOCKED of one batch of 500, with the sweep's
   own conditions, including the look-ups of the case that skip a closed case's work and of the record
   each deadline is about, ``subject_exists``; in a transaction rolled back each time), median of 20
   runs, and their EXPLAIN (ANALYZE, BUFFERS) plans, which must use the partial indexes
   ix_deadlines_open_remind and ix_deadlines_open_due;
2. one whole sweep (claims, owners, templates, outbox rows, commits) over the due rows;
3. one Celery worker (solo pool, in this process, in-memory broker) sending every queued email over
   SMTP to an aiosmtpd sink on loopback: emails per second.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import random
import statistics as stats
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

SWEEP_AT = datetime(2026, 4, 8, 9, 0, tzinfo=UTC)


def start_database() -> tuple[str, object | None]:
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


#: Cases the deadlines belong to (most deadlines are a case's work); one in five is closed.
CASES = 20_000


def generate(db, rows: int, due: int, overdue: int, seed: int = 2026, *, subjects: str = "cases") -> None:
    """Users (50 managers, 950 officers), ``CASES`` cases (one in five closed), then ``rows`` open
    deadlines by COPY, four in five on a case: ``due`` of them have a reminder time before the sweep,
    ``overdue`` of those are also past due; the rest are weeks away.

    ``subjects``: what the deadlines are about. ``cases`` (the default): those on a case are about the
    case itself (subject ``cases``, a kind of record registered for deadlines, so the lists' and the
    sweep's check that the record is still there, ``reminders.services.subject_exists``, looks it up, as
    it does for every deadline of a service), the others about an unregistered kind. ``unregistered``:
    every one about an unregistered kind, which that check lets through unlooked-at (the bench's shape
    before 5 December 2026)."""
    from casework.accounts.models import Agency, AgencyKind, Area, User, UserRole

    rng = random.Random(seed)
    session = db.session
    area = Area(code="BEN", name="Bench area")
    agency = Agency(code="BENCH", name="Bench agency", kind=AgencyKind.council, areas=[area])
    session.add_all([area, agency])
    session.flush()
    managers = [
        {"email": f"manager{n}@bench.example", "name": f"Manager {n}", "password_hash": "-", "agency_id": agency.id}
        for n in range(50)
    ]
    manager_ids = list(session.scalars(sa.insert(User).returning(User.id), managers))
    session.execute(sa.insert(UserRole), [{"user_id": i, "role": "manager"} for i in manager_ids])
    officers = [
        {
            "email": f"officer{n}@bench.example",
            "name": f"Officer {n}",
            "password_hash": "-",
            "agency_id": agency.id,
            "manager_id": manager_ids[n % len(manager_ids)],
        }
        for n in range(950)
    ]
    officer_ids = list(session.scalars(sa.insert(User).returning(User.id), officers))
    area_id = area.id  # read before COPY: the session must not touch the connection during it
    agency_id = agency.id
    session.commit()

    raw = session.connection().connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(
            "COPY cases (reference, area_id, year, sequence, category, summary, lead_agency_id, status) FROM STDIN"
        ) as copy,
    ):
        for n in range(1, CASES + 1):
            status = "closed" if n % 5 == 0 else "open"
            copy.write_row((f"BEN-2026-{n:05d}", area_id, 2026, n, "personal", "Bench case", agency_id, status))
    raw.commit()
    case_ids = [row[0] for row in session.execute(sa.text("SELECT id FROM cases ORDER BY id"))]
    session.commit()
    raw = session.connection().connection.driver_connection
    columns = (
        "kind, subject_type, subject_id, title, link, area_id, owner_id, due_on, due_at, remind_at, status, case_id"
    )

    def subject(n: int) -> tuple[str, str, int]:
        """The deadline's kind and record: its case (forty kinds of deadline a case), else nothing registered."""
        if subjects == "cases" and n % 5:
            return f"bench.due.{n // len(case_ids)}", "cases", case_ids[n % len(case_ids)]
        return "bench.due", "bench_subjects", n

    started = time.perf_counter()
    with raw.cursor() as cursor, cursor.copy(f"COPY deadlines ({columns}) FROM STDIN") as copy:
        for n in range(rows):
            if n < due:
                due_at = SWEEP_AT - timedelta(days=1) if n < overdue else SWEEP_AT + timedelta(days=1)
                remind_at = SWEEP_AT - timedelta(hours=2)
            else:
                due_at = SWEEP_AT + timedelta(days=rng.randint(10, 400))
                remind_at = due_at - timedelta(days=3)
            copy.write_row(
                (
                    *subject(n),
                    f"Bench deadline {n}",
                    f"/bench/{n}",
                    area_id,
                    officer_ids[n % len(officer_ids)],
                    due_at.date(),
                    due_at,
                    remind_at,
                    "open",
                    case_ids[n % len(case_ids)] if n % 5 else None,
                )
            )
    raw.commit()
    print(f"generated {rows} deadlines in {time.perf_counter() - started:.1f} s")
    session.execute(sa.text("ANALYZE deadlines"))
    session.execute(sa.text("ANALYZE cases"))
    session.execute(sa.text("ANALYZE users"))
    session.commit()


def explain_and_time_claims(db, runs: int = 20) -> None:
    from casework.reminders.models import Deadline, DeadlineStatus
    from casework.reminders.services import live_clause

    # The sweep's own conditions (casework.reminders.services.claim_due_*), including live_clause().
    claims = {
        "reminder claim": sa.select(Deadline.id)
        .where(
            Deadline.status == DeadlineStatus.open,
            Deadline.reminder_sent_at.is_(None),
            Deadline.remind_at <= SWEEP_AT,
            live_clause(),
        )
        .order_by(Deadline.remind_at)
        .limit(500)
        .with_for_update(skip_locked=True),
        "escalation claim": sa.select(Deadline.id)
        .where(
            Deadline.status == DeadlineStatus.open,
            Deadline.due_at <= SWEEP_AT,
            Deadline.escalation_sent_at.is_(None),
            live_clause(),
        )
        .order_by(Deadline.due_at)
        .limit(500)
        .with_for_update(skip_locked=True),
    }
    connection = db.session.connection()
    for name, query in claims.items():
        compiled = query.compile(dialect=connection.dialect)
        params = {key: (v.astimezone(UTC) if isinstance(v, datetime) else v) for key, v in compiled.params.items()}
        plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", params).scalars().all()
        db.session.rollback()
        connection = db.session.connection()
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            found = len(connection.exec_driver_sql(str(compiled), params).all())
            timings.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
            connection = db.session.connection()
        print(f"\n{name}: {found} rows, median {stats.median(timings):.2f} ms, max {max(timings):.2f} ms")
        print("\n".join(f"    {line}" for line in plan))


def sweep_and_send(app, db) -> None:
    import time_machine
    from celery.contrib.testing.worker import start_worker

    from casework.notifications.models import OutboxEmail
    from casework.reminders import tasks
    from tests.support.smtp import SmtpServer

    sink = SmtpServer().start()
    state = app.extensions["mailman"]
    state.backend, state.server, state.port = "smtp", sink.host, sink.port
    try:
        with time_machine.travel(SWEEP_AT, tick=True):
            started = time.perf_counter()
            result = tasks.sweep.run()
            elapsed = time.perf_counter() - started
        print(f"\nsweep: {result} in {elapsed:.2f} s")
        queued = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))
        db.session.rollback()
        started = time.perf_counter()
        with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=60):
            sink.wait_for(queued, timeout=1800)
            elapsed = time.perf_counter() - started
        print(f"one worker sent {queued} emails to the SMTP sink in {elapsed:.2f} s: {queued / elapsed:.0f} per second")
    finally:
        sink.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--overdue", type=int, default=100)
    parser.add_argument(
        "--subjects",
        choices=["cases", "unregistered"],
        default="cases",
        help="what the deadlines on a case are about: the case (default), or a kind no check looks up",
    )
    args = parser.parse_args()
    if os.environ.get("BENCH_DEBUG"):
        faulthandler.dump_traceback_later(90, exit=True)

    url, server = start_database()
    try:
        from flask_migrate import upgrade

        from casework import create_app
        from casework.extensions import db

        app = create_app(
            {
                "ENV": "development",
                "DATABASE_URL": url,
                "BROKER_URL": "memory://",
                "SECRET_KEY": "bench-" * 8,
                "INSTANCE_PATH": "/tmp/casework-bench-instance",  # noqa: S108 - scratch space for a benchmark
            }
        )
        with app.app_context():
            upgrade()
            generate(db, args.rows, args.due, args.overdue, subjects=args.subjects)
            explain_and_time_claims(db)
            sweep_and_send(app, db)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
