#!/usr/bin/env python3
"""The threshold watch on the national dataset: the nightly pass and the incremental check on one new
complaint, on PostgreSQL.

    python bench/throwaway_postgres.py --minutes 60 &          # prints its URL
    python bench/casework_dataset.py --database-url URL --size national
    python bench/threshold_watch_bench.py --database-url URL [--runs 5] [--checks 200]

Measured (each in a transaction rolled back afterwards, so the dataset is left as it was, except the
first pass, which is committed so the later ones and the checks start from a board in use):

1. the nightly pass (``threshold_watch.services.nightly_pass``): every victim with a complaint recent
   enough to count, every area's rules in force; median and best of ``--runs``, with the statements
   it ran and the entries it wrote;
2. the incremental check on one new complaint (``on_complaint_recorded`` for its complainant, as the
   ``complaint_recorded`` receiver runs it): median and p95 over ``--checks`` random victims, with its
   statements;
3. the minimal Flask endpoint (``bench/minimal_app.py``, ``GET /ping`` through the test client) in the
   same run, so the figures can be read as a ratio to it, and the machine's load average.

Aims (issue 13): the pass under a minute, the incremental check under 20 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_app(url: str, instance: Path):
    os.environ.setdefault("CASEWORK_ENV", "development")
    from casework import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "BROKER_URL": "memory://",
            "SECRET_KEY": "bench-" + "x" * 40,
            "INSTANCE_PATH": str(instance),
        }
    )


def minimal_endpoint_ms(runs: int = 2000) -> float:
    from bench.minimal_app import app as minimal

    client = minimal.test_client()
    client.get("/ping")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get("/ping")
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


class StatementCounter:
    def __init__(self, engine) -> None:
        import sqlalchemy as sa

        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.count += 1


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--keep-board", action="store_true", help="start from the board a previous run left")
    args = parser.parse_args()

    import sqlalchemy as sa

    from casework.cases.models import Complaint
    from casework.core.db import commit
    from casework.extensions import db
    from casework.threshold_watch import services
    from casework.threshold_watch.models import WatchEntry

    print(f"load average at the start: {load()}")
    baseline = minimal_endpoint_ms()
    print(f"minimal Flask endpoint (test client): p50 {baseline:.3f} ms")
    with tempfile.TemporaryDirectory(prefix="casework-bench-watch-") as tmp:
        app = make_app(args.database_url, Path(tmp))
        with app.app_context():
            counter = StatementCounter(db.engine)
            complaints = db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))
            people = db.session.scalar(sa.text("SELECT count(*) FROM people"))
            print(f"dataset: {people:,} people, {complaints:,} complaints")

            # The first pass builds the board from nothing and is kept.
            if not args.keep_board:
                db.session.execute(sa.delete(WatchEntry))
                commit()
            counter.count = 0
            start = time.perf_counter()
            first = services.nightly_pass()
            commit()
            first_s = time.perf_counter() - start
            label = "first pass (board kept from a previous run)" if args.keep_board else "first pass (empty board)"
            print(
                f"{label}: {first_s:.1f} s, {counter.count} statements; evaluated "
                f"{first.evaluated:,} people, {first.entries:,} entries ({first.written:,} written), "
                f"{first.tasks_raised:,} tasks raised"
            )

            times, statements = [], []
            for _ in range(args.runs):
                counter.count = 0
                start = time.perf_counter()
                report = services.nightly_pass()
                db.session.flush()
                times.append(time.perf_counter() - start)
                statements.append(counter.count)
                db.session.rollback()
            print(
                f"nightly pass over a board in use: median {statistics.median(times):.1f} s, best {min(times):.1f} s "
                f"({args.runs} runs), {statistics.median(statements):.0f} statements, {report.entries:,} entries "
                f"({report.written:,} written); "
                f"x{statistics.median(times) * 1e3 / baseline:,.0f} the minimal endpoint; load {load()}"
            )

            victims = list(
                db.session.scalars(
                    sa.select(Complaint.complainant_person_id)
                    .where(Complaint.complainant_person_id.is_not(None))
                    .distinct()
                    .limit(20_000)
                )
            )
            rng = random.Random(13)
            check_times, check_statements = [], []
            for person_id in rng.sample(victims, min(args.checks, len(victims))):
                counter.count = 0
                start = time.perf_counter()
                services.on_complaint_recorded(app, person_ids={person_id})
                db.session.flush()
                check_times.append(time.perf_counter() - start)
                check_statements.append(counter.count)
                db.session.rollback()
            check_times.sort()
            p50 = statistics.median(check_times) * 1e3
            p95 = check_times[int(len(check_times) * 0.95) - 1] * 1e3
            print(
                f"incremental check, one complainant: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                f"({len(check_times)} victims), {statistics.median(check_statements):.0f} statements; "
                f"x{p50 / baseline:,.0f} the minimal endpoint; load {load()}"
            )
    print(f"load average at the end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
