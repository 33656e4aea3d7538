#!/usr/bin/env python3
"""A retention run on the generated dataset, with many cases due at once, on PostgreSQL or SQLite.

    python bench/throwaway_postgres.py --minutes 60 &          # prints its URL
    python bench/casework_dataset.py --database-url URL --size county
    python bench/retention_bench.py --database-url URL [--years-ahead 3] [--runs 1] [--views-per-record 0]
    python bench/sqlite_copy.py --from URL --to /tmp/county.sqlite    # the same dataset on SQLite
    python bench/retention_bench.py --database-url sqlite:////tmp/county.sqlite

The generated dataset's audit log is empty; ``--views-per-record N`` writes N view entries about each
case and each person before each run (in its transaction), so the erasure finds entries to erase among
others, as in a service's log.

The dataset's cases closed in the last five years, and each area keeps a closed case and its people six
years (the defaults). The run is dated ``--years-ahead`` years from today, so the cases closed more than
six years before that are anonymised (3, the default: those closed more than three years ago, 811 of
the county's 2,966 closed cases; 6 or more: every closed case, which takes several times as long), with
the people all of whose cases closed before then, and the sweep
(``data_protection.retention.unlink_living_people``) severs the links of the anonymised cases' rows to
the people who live on (a victim or perpetrator also on an open case: their party row on the anonymised
case is deleted, with its deadlines).

Before the run, in the same transaction, each victim party of a closed case is given a cancelled risk
review deadline (as a case's closure leaves it), and ``--orphans`` deadlines are given records that do
not exist (as runs from before the sweep deleted a deleted row's deadlines left them), so the sweep of
deadlines whose record is gone (``reminders.services.delete_orphaned_deadlines``) has work to do.

Measured, each run in a transaction rolled back afterwards (the dataset is left as it was):

1. the whole run (``data_protection.retention.apply_retention``): wall-clock time, statements, cases
   and people anonymised, and how that time divides between finding what is due, the sweep of living
   people's links, the sweep of orphaned deadlines, the audit log's erasure of the personal values of
   the entries about every record anonymised (``audit.services.erase_personal_values_of``) and the rest
   (each domain's ``case_anonymised`` and ``person_anonymised`` receivers, the outbox's erasure);
2. the two sweeps again, alone, after the run in the same transaction: what every later run pays for
   them over all the anonymised cases, with nothing new to anonymise;
3. the minimal Flask endpoint (``bench/minimal_app.py``, ``GET /ping`` through the test client) in the
   same run, so the figures can be read as a ratio to it, and the machine's load average.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.threshold_watch_bench import StatementCounter, load, make_app, minimal_endpoint_ms  # noqa: E402

#: The retention module's steps timed apart (the audit log's erasure is timed too).
PHASES = ("due_cases", "unlink_living_people", "delete_orphaned_deadlines", "due_people")


class Phases:
    """Seconds and statements spent in some of the retention module's functions, while it runs them."""

    def __init__(self, counter: StatementCounter) -> None:
        self.counter = counter
        self.seconds: dict[str, float] = defaultdict(float)
        self.statements: dict[str, int] = defaultdict(int)

    def wrap(self, module: Any, name: str) -> None:
        original: Callable[..., Any] = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            statements, start = self.counter.count, time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start
                self.statements[name] += self.counter.count - statements

        setattr(module, name, timed)


def add_deadlines(orphans: int) -> tuple[int, int]:
    """A cancelled risk review on each victim party of a closed case, and ``orphans`` deadlines whose
    records do not exist; in the current transaction. Answers how many of each."""
    import sqlalchemy as sa

    from casework.cases.models import Case, CaseParty, CaseStatus, PartyRole
    from casework.core.time import now
    from casework.extensions import db
    from casework.reminders.models import Deadline, DeadlineStatus

    moment = now()
    reviews = (
        sa.select(
            sa.literal("risk.review"),
            sa.literal("case_parties"),
            CaseParty.id,
            CaseParty.case_id,
            sa.literal("Review risk (bench)"),
            sa.literal(moment),
            sa.literal(DeadlineStatus.cancelled.value),
        )
        .join(Case, Case.id == CaseParty.case_id)
        .where(Case.status == CaseStatus.closed, CaseParty.role == PartyRole.victim)
    )
    columns = ["kind", "subject_type", "subject_id", "case_id", "title", "due_at", "status"]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Deadline)) or 0
    db.session.execute(sa.insert(Deadline).from_select(columns, reviews))
    written = (db.session.scalar(sa.select(sa.func.count()).select_from(Deadline)) or 0) - before
    beyond = db.session.scalar(sa.select(sa.func.max(CaseParty.id))) or 0
    closed = list(db.session.scalars(sa.select(Case.id).where(Case.status == CaseStatus.closed).limit(orphans)))
    rows = [
        {
            "kind": "risk.review.orphan",
            "subject_type": "case_parties",
            "subject_id": beyond + 1 + n,
            "case_id": closed[n % len(closed)] if closed else None,
            "title": "Review risk (bench, record gone)",
            "due_at": moment,
            "status": DeadlineStatus.open if n % 2 else DeadlineStatus.cancelled,
        }
        for n in range(orphans)
    ]
    for start in range(0, len(rows), 1000):
        db.session.execute(sa.insert(Deadline), rows[start : start + 1000])
    return written, len(rows)


def add_view_entries(per_record: int) -> int:
    """``per_record`` view entries about each case and each person, in the current transaction: the
    generated dataset's audit log is empty, a service's is not (every page that shows a case or a person
    writes one), and the erasure looks them up among all the others. Answers how many."""
    import sqlalchemy as sa

    from casework.audit.models import AuditAction
    from casework.audit.services import record_many
    from casework.cases.models import Case, Person
    from casework.extensions import db

    refs = [("cases", i) for i in db.session.scalars(sa.select(Case.id).order_by(Case.id))]
    refs += [("people", i) for i in db.session.scalars(sa.select(Person.id).order_by(Person.id))]
    for _ in range(per_record):
        for start in range(0, len(refs), 500):
            record_many(None, AuditAction.view, refs[start : start + 500], "Viewed (bench)")
    if per_record and db.session.get_bind().dialect.name == "postgresql":
        # The statistics a service's log has (autovacuum analyses it as it grows): without them the
        # planner takes the tables for the empty ones the dataset left and plans for that.
        db.session.execute(sa.text("ANALYZE audit_entries, audit_values"))
    return per_record * len(refs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--years-ahead", type=float, default=3, help="date the run this many years from today")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--orphans", type=int, default=2000, help="deadlines about records that do not exist")
    parser.add_argument(
        "--views-per-record",
        type=int,
        default=0,
        help="audit entries (views) written about each case and each person before each run (default: none)",
    )
    args = parser.parse_args()

    import sqlalchemy as sa

    from casework.audit import services as audit_services
    from casework.cases.models import Case, CaseStatus, Person
    from casework.core import lifecycle
    from casework.data_protection import retention
    from casework.extensions import db
    from casework.reminders.models import Deadline

    on = date.today() + timedelta(days=round(args.years_ahead * 365.25))
    print(f"load average at the start: {load()}")
    baseline = minimal_endpoint_ms()
    print(f"minimal Flask endpoint (test client): p50 {baseline:.3f} ms")
    with tempfile.TemporaryDirectory(prefix="casework-bench-retention-") as tmp:
        app = make_app(args.database_url, Path(tmp))
        with app.app_context():
            counter = StatementCounter(db.engine)
            cases = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
            closed = db.session.scalar(
                sa.select(sa.func.count()).select_from(Case).where(Case.status == CaseStatus.closed)
            )
            people = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
            anonymised = db.session.scalar(
                sa.select(sa.func.count()).select_from(Case).where(Case.anonymised_at.is_not(None))
            )
            if anonymised:
                raise SystemExit(f"{anonymised} cases are anonymised already: use a fresh dataset.")
            print(f"dataset: {cases:,} cases ({closed:,} closed), {people:,} people; the run dated {on}")
            db.session.rollback()

            phases = Phases(counter)
            for name in PHASES:
                phases.wrap(retention, name)
            phases.wrap(audit_services, "erase_personal_values_of")
            # Within the erasure (not added to the phases' sum): the records of the erasures.
            phases.wrap(audit_services, "record_many")
            times, statements = [], []
            for run_number in range(1, args.runs + 1):
                reviews, orphans = add_deadlines(args.orphans)
                views_start = time.perf_counter()
                views = add_view_entries(args.views_per_record)
                views_seconds = time.perf_counter() - views_start
                db.session.flush()
                deadlines = db.session.scalar(sa.select(sa.func.count()).select_from(Deadline))
                phases.seconds.clear()
                phases.statements.clear()
                counter.count = 0
                start = time.perf_counter()
                run = retention.apply_retention(on)
                db.session.flush()
                elapsed = time.perf_counter() - start
                times.append(elapsed)
                statements.append(counter.count)
                left = db.session.scalar(sa.select(sa.func.count()).select_from(Deadline))
                counts = run.counts or {}
                print(
                    f"run {run_number}: {elapsed:.1f} s, {counter.count:,} statements; "
                    f"{len(run.case_references):,} cases and {len(run.person_ids):,} people anonymised; "
                    f"{deadlines:,} deadlines before ({reviews:,} risk reviews, {orphans:,} about nothing), "
                    f"{left:,} after; x{elapsed * 1e3 / baseline:,.0f} the minimal endpoint; load {load()}"
                )
                print(f"  rows listed in the report: {sum(counts.values()):,} in {len(counts)} tables")
                print(
                    f"  audit entries written about cases and people before the run: {views:,}"
                    + (f" (record_many, batches of 500: {views_seconds:.1f} s)" if views else "")
                )
                timed = [*PHASES, "erase_personal_values_of"]
                rest = elapsed - sum(phases.seconds[name] for name in timed)
                for name in timed:
                    print(f"  {name}: {phases.seconds[name]:.2f} s, {phases.statements[name]:,} statements")
                print(
                    f"    of which record_many (the erasures' records): {phases.seconds['record_many']:.2f} s, "
                    f"{phases.statements['record_many']:,} statements"
                )
                print(
                    f"  the rest (the domains' receivers, the outbox's erasure, the run's record): {rest:.1f} s, "
                    f"{counter.count - sum(phases.statements[name] for name in timed):,} statements"
                )

                # The sweeps as every later run pays them: over all the anonymised cases, nothing new.
                report = lifecycle.RetentionReport(on=on, started_at=run.started_at)
                phases.seconds.clear()
                phases.statements.clear()
                retention.unlink_living_people(report)
                retention.delete_orphaned_deadlines()
                db.session.flush()
                for name in ("unlink_living_people", "delete_orphaned_deadlines"):
                    print(
                        f"  {name} again, nothing new: {phases.seconds[name]:.2f} s, "
                        f"{phases.statements[name]:,} statements"
                    )
                db.session.rollback()
            if args.runs > 1:
                print(
                    f"whole run: median {statistics.median(times):.1f} s, best {min(times):.1f} s ({args.runs} runs), "
                    f"{statistics.median(statements):,.0f} statements"
                )
    print(f"load average at the end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
