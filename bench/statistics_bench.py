"""Statistics for 300 areas over 10 financial years: the service's queries against a hand-written SQL
aggregate of the same figures, on PostgreSQL. Both are timed, and the figures must be identical.

    .venv/bin/python bench/statistics_bench.py [--areas 300] [--years 10] [--per-year 20]

Uses ``CASEWORK_BENCH_DATABASE_URL`` (an empty PostgreSQL database) when set; otherwise starts a
throwaway PostgreSQL server as the test suite does. Results go in docs/performance.md ("Statistics").

The hand-written aggregate is deliberately built differently from the service: one statement for every
area and period at once, from per-application first-event dates (MIN ... GROUP BY) and FILTER clauses,
with working days counted in SQL over a VALUES list of bank holidays, where the service runs seven queries
per period with correlated EXISTS and counts working days in Python.
"""

from __future__ import annotations

import argparse
import random
import statistics as stats
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

CHANNELS = ["online", "phone", "email", "letter", "in_person", "partner"]
BASES = ["automatic", "community", "hate", "discretionary", "vulnerable_override"]


def start_database() -> tuple[str, object | None]:
    import os

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


def generate(db, areas: int, years: list[int], per_year: int, seed: int = 2026) -> dict[str, int]:
    """Applications with decisions, meetings, recommendations, appeals, withdrawals and screenings."""
    from casework.accounts.models import Agency, Area, User
    from casework.community_triggers.models import (
        Appeal,
        Recommendation,
        ReviewMeeting,
        ThresholdDecision,
        TriggerApplication,
    )

    rng = random.Random(seed)
    session = db.session
    area_rows = [{"code": f"B{n:03d}", "name": f"Bench area {n}"} for n in range(areas)]
    session.execute(sa.insert(Area), area_rows)
    agency = Agency(code="BENCH", name="Bench agency", kind="council")
    session.add(agency)
    session.flush()
    chair = User(
        email="chair@bench.example",
        name="Chair",
        password_hash="not-a-password-hash",  # noqa: S106 - never signs in
        agency_id=agency.id,
    )
    session.add(chair)
    session.flush()
    area_ids = list(session.scalars(sa.select(Area.id).order_by(Area.id)))

    applications, counts = [], {"applications": 0}
    sequence = 0
    for area_id in area_ids:
        for year in years:
            for _ in range(rng.randint(0, per_year * 2)):
                sequence += 1
                received = date(year, 4, 1) + timedelta(days=rng.randint(0, 364))
                roll = rng.random()
                applications.append(
                    {
                        "reference": f"BENCH-{sequence}",
                        "area_id": area_id,
                        "year": received.year,
                        "sequence": sequence,
                        "received_on": received,
                        "channel": rng.choice(CHANNELS),
                        "applicant_name": "Applicant",
                        "applicant_role": "victim",
                        "description": "Bench",
                        "status": "received",
                        "screened_out_on": received + timedelta(days=rng.randint(0, 10)) if roll < 0.05 else None,
                        "withdrawn_on": received + timedelta(days=rng.randint(1, 60)) if 0.05 <= roll < 0.12 else None,
                    }
                )
    for chunk in range(0, len(applications), 5000):
        session.execute(sa.insert(TriggerApplication), applications[chunk : chunk + 5000])
    counts["applications"] = len(applications)
    rows = session.execute(
        sa.select(TriggerApplication.id, TriggerApplication.received_on, TriggerApplication.screened_out_on)
    ).all()

    decisions, meetings = [], []
    for app_id, received, screened in rows:
        if screened is not None or rng.random() < 0.08:
            continue  # screened out, or still undecided
        decided = received + timedelta(days=rng.randint(3, 40))
        met = rng.random() < 0.6
        decisions.append(
            {"application_id": app_id, "met": met, "basis": rng.choice(BASES) if met else None, "decided_on": decided}
        )
        if not met and rng.random() < 0.1:  # re-decided after an appeal
            decisions.append(
                {
                    "application_id": app_id,
                    "met": True,
                    "basis": "discretionary",
                    "decided_on": decided + timedelta(days=rng.randint(20, 50)),
                }
            )
            met = True
        if met:
            held = decided + timedelta(days=rng.randint(10, 45))
            recorded = rng.random() < 0.9
            meetings.append(
                {
                    "application_id": app_id,
                    "scheduled_on": held,
                    "chair_id": chair.id,
                    "held_on": held,
                    "outcome": "Outcome" if recorded else None,
                    "outcome_recorded_at": datetime(held.year, held.month, held.day, 16, tzinfo=UTC)
                    if recorded
                    else None,
                }
            )
            if recorded and rng.random() < 0.1:  # a second meeting after an upheld appeal
                again = held + timedelta(days=rng.randint(30, 60))
                meetings.append(
                    {
                        "application_id": app_id,
                        "scheduled_on": again,
                        "chair_id": chair.id,
                        "held_on": again,
                        "outcome": "Outcome",
                        "outcome_recorded_at": datetime(again.year, again.month, again.day, 16, tzinfo=UTC),
                    }
                )
    for chunk in range(0, len(decisions), 5000):
        session.execute(sa.insert(ThresholdDecision), decisions[chunk : chunk + 5000])
    for chunk in range(0, len(meetings), 5000):
        session.execute(sa.insert(ReviewMeeting), meetings[chunk : chunk + 5000])
    counts["decisions"], counts["meetings"] = len(decisions), len(meetings)

    recommendations, appeals = [], []
    for meeting_id, app_id, held, recorded in session.execute(
        sa.select(
            ReviewMeeting.id, ReviewMeeting.application_id, ReviewMeeting.held_on, ReviewMeeting.outcome_recorded_at
        )
    ):
        if recorded is not None and rng.random() < 0.7:
            for n in range(rng.randint(1, 4)):
                recommendations.append(
                    {
                        "meeting_id": meeting_id,
                        "text": f"R{n}",
                        "agency_id": agency.id,
                        "due_on": held + timedelta(days=30),
                    }
                )
        if rng.random() < 0.15:
            received = held + timedelta(days=rng.randint(1, 28))
            decided = received + timedelta(days=rng.randint(5, 30)) if rng.random() < 0.85 else None
            appeals.append(
                {
                    "application_id": app_id,
                    "received_on": received,
                    "grounds": "Bench",
                    "decision": rng.choice(["upheld", "not_upheld"]) if decided else None,
                    "decided_on": decided,
                }
            )
    for chunk in range(0, len(recommendations), 5000):
        session.execute(sa.insert(Recommendation), recommendations[chunk : chunk + 5000])
    if appeals:
        session.execute(sa.insert(Appeal), appeals)
    counts["recommendations"], counts["appeals"] = len(recommendations), len(appeals)
    session.commit()
    session.execute(sa.text("ANALYZE"))
    session.commit()
    return counts


def handwritten(db, periods: list[tuple[date, date]]) -> dict[tuple[int, date], dict]:
    """Every figure for every area and period, in one SQL statement."""
    from casework.core.dates import bank_holidays

    years = range(periods[0][0].year - 1, periods[-1][1].year + 2)
    holidays = ", ".join(f"(DATE '{d.isoformat()}')" for y in years for d in bank_holidays(y))
    values = ", ".join(f"(DATE '{s.isoformat()}', DATE '{e.isoformat()}')" for s, e in periods)
    # Screened out after the period's end still counts in it (nothing dated later changes a period).
    counted = "(a.screened_out_on IS NULL OR a.screened_out_on > p.e)"
    channel_columns = ", ".join(
        f"count(*) FILTER (WHERE {counted} AND a.received_on >= p.s AND a.channel = '{c}') AS applications_{c}"
        for c in CHANNELS
    )
    basis_columns = ", ".join(f"count(*) FILTER (WHERE d.met AND d.basis = '{b}') AS threshold_met_{b}" for b in BASES)
    # Built from dates and the fixed channel and basis names only, never from input.
    sql = f"""
    WITH periods(s, e) AS (VALUES {values}),
    holidays(day) AS (VALUES {holidays}),
    firsts AS (
        SELECT a.id,
               (SELECT min(decided_on) FROM trigger_decisions d WHERE d.application_id = a.id) AS decided,
               (SELECT min(decided_on) FROM trigger_decisions d WHERE d.application_id = a.id AND d.met) AS met,
               (SELECT min(held_on) FROM trigger_meetings m
                 WHERE m.application_id = a.id AND m.outcome_recorded_at IS NOT NULL) AS outcome
        FROM trigger_applications a
    ),
    apps AS (
        SELECT a.area_id, p.s,
               count(*) FILTER (WHERE {counted} AND a.received_on >= p.s) AS applications,
               {channel_columns},
               count(*) FILTER (WHERE {counted} AND a.withdrawn_on BETWEEN p.s AND p.e) AS withdrawn,
               count(*) FILTER (WHERE a.screened_out_on BETWEEN p.s AND p.e) AS screened_out,
               count(*) FILTER (WHERE {counted}
                                  AND (a.withdrawn_on IS NULL OR a.withdrawn_on > p.e)
                                  AND (f.decided IS NULL OR f.decided > p.e)
                                  AND (f.outcome IS NULL OR f.outcome > p.e)) AS pending_at_period_end,
               count(*) FILTER (WHERE {counted}
                                  AND (a.withdrawn_on IS NULL OR a.withdrawn_on > p.e)
                                  AND f.met <= p.e
                                  AND (f.outcome IS NULL OR f.outcome > p.e)) AS awaiting_review_at_period_end,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY (
                   SELECT count(*) FROM generate_series(a.received_on + 1, f.decided, interval '1 day') g(day)
                   WHERE extract(isodow FROM g.day) < 6 AND g.day::date NOT IN (SELECT day FROM holidays)
               )) FILTER (WHERE f.decided BETWEEN p.s AND p.e) AS median_working_days_to_decision,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY (
                   SELECT count(*) FROM generate_series(a.received_on + 1, f.outcome, interval '1 day') g(day)
                   WHERE extract(isodow FROM g.day) < 6 AND g.day::date NOT IN (SELECT day FROM holidays)
               )) FILTER (WHERE f.outcome BETWEEN p.s AND p.e) AS median_working_days_to_outcome
        FROM periods p
        JOIN trigger_applications a ON a.received_on <= p.e
        JOIN firsts f ON f.id = a.id
        GROUP BY a.area_id, p.s
    ),
    decisions AS (
        SELECT a.area_id, p.s,
               count(*) FILTER (WHERE NOT d.met) AS threshold_not_met,
               count(*) FILTER (WHERE d.met) AS threshold_met,
               {basis_columns}
        FROM periods p
        JOIN trigger_decisions d ON d.decided_on BETWEEN p.s AND p.e
        JOIN trigger_applications a ON a.id = d.application_id
        GROUP BY a.area_id, p.s
    ),
    reviews AS (
        SELECT a.area_id, p.s,
               count(*) AS reviews_carried_out,
               count(*) FILTER (WHERE r.n > 0) AS reviews_with_recommendations
        FROM periods p
        JOIN trigger_meetings m ON m.held_on BETWEEN p.s AND p.e AND m.outcome_recorded_at IS NOT NULL
        JOIN trigger_applications a ON a.id = m.application_id
        LEFT JOIN (SELECT meeting_id, count(*) AS n FROM trigger_recommendations GROUP BY meeting_id) r
               ON r.meeting_id = m.id
        GROUP BY a.area_id, p.s
    ),
    appeals AS (
        SELECT a.area_id, p.s,
               count(*) FILTER (WHERE x.received_on BETWEEN p.s AND p.e) AS appeals_received,
               count(*) FILTER (WHERE x.decided_on BETWEEN p.s AND p.e AND x.decision = 'upheld') AS appeals_upheld,
               count(*) FILTER (WHERE x.decided_on BETWEEN p.s AND p.e AND x.decision = 'not_upheld')
                   AS appeals_not_upheld
        FROM periods p
        JOIN trigger_appeals x ON x.received_on BETWEEN p.s AND p.e OR x.decided_on BETWEEN p.s AND p.e
        JOIN trigger_applications a ON a.id = x.application_id
        GROUP BY a.area_id, p.s
    )
    SELECT ar.id AS area_key, p.s AS period_key, apps.*, decisions.*, reviews.*, appeals.*
    FROM areas ar CROSS JOIN periods p
    LEFT JOIN apps ON apps.area_id = ar.id AND apps.s = p.s
    LEFT JOIN decisions ON decisions.area_id = ar.id AND decisions.s = p.s
    LEFT JOIN reviews ON reviews.area_id = ar.id AND reviews.s = p.s
    LEFT JOIN appeals ON appeals.area_id = ar.id AND appeals.s = p.s
    """  # noqa: S608
    result = {}
    for row in db.session.execute(sa.text(sql)).mappings():
        figures = {k: v for k, v in row.items() if k not in ("area_key", "period_key", "area_id", "s")}
        result[(row["area_key"], row["period_key"])] = figures
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--areas", type=int, default=300)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--per-year", type=int, default=20, help="mean applications per area and year")
    options = parser.parse_args()

    url, server = start_database()
    try:
        from flask_migrate import upgrade

        from casework import create_app
        from casework.core.db import dispose_engines
        from casework.extensions import db
        from casework.statistics.queries import FIGURE_KEYS, MEDIAN_KEYS, compute_figures

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
        with app.app_context():
            upgrade()
            years = list(range(2025 - options.years, 2025))
            periods = [(date(y, 4, 1), date(y + 1, 3, 31)) for y in years]
            began = time.perf_counter()
            counts = generate(db, options.areas, years, options.per_year)
            print(f"generated in {time.perf_counter() - began:.1f}s: {counts}")
            area_ids = list(db.session.scalars(sa.text("SELECT id FROM areas ORDER BY id")))

            # Time spent waiting for the database, to tell it from the Python work (working days).
            # Only the service's statements are timed: the hand-written aggregate is timed as a whole
            # and must not be counted among the service's queries.
            in_database = [0.0]
            started: list[float] = []
            timing_service = [False]

            @sa.event.listens_for(db.engine, "before_cursor_execute")
            def _before(*_args):
                started.append(time.perf_counter())

            by_query: dict[str, float] = {}

            @sa.event.listens_for(db.engine, "after_cursor_execute")
            def _after(_conn, _cursor, statement, *_args):
                elapsed = time.perf_counter() - started.pop()
                if not timing_service[0]:
                    return
                in_database[0] += elapsed
                # The seven statements of compute_figures, told apart by their first selected columns.
                by_query[statement[:120]] = by_query.get(statement[:120], 0.0) + elapsed

            runs = 3
            service_times, sql_times, service_db_times = [], [], []
            for _ in range(runs):
                db.session.rollback()
                in_database[0] = 0.0
                timing_service[0] = True
                began = time.perf_counter()
                service = {}
                for period_start, period_end in periods:
                    for area_id, figures in compute_figures(area_ids, period_start, period_end).items():
                        service[(area_id, period_start)] = figures
                service_times.append(time.perf_counter() - began)
                timing_service[0] = False
                service_db_times.append(in_database[0])
                db.session.rollback()
                began = time.perf_counter()
                hand = handwritten(db, periods)
                sql_times.append(time.perf_counter() - began)

            mismatches = []
            for key, figures in service.items():
                for name in FIGURE_KEYS:
                    ours, theirs = figures[name], hand[key].get(name)
                    if name in MEDIAN_KEYS:
                        same = (ours is None and theirs is None) or (
                            ours is not None and theirs is not None and float(ours) == float(theirs)
                        )
                    else:
                        same = ours == (theirs or 0)
                    if not same:
                        mismatches.append((key, name, ours, theirs))
            assert len(service) == len(hand) == len(area_ids) * len(periods)
            assert not mismatches, f"{len(mismatches)} differences, e.g. {mismatches[:5]}"
            cells = len(service) * len(FIGURE_KEYS)
            print(f"{len(area_ids)} areas x {len(periods)} periods: {cells} figures, identical")
            print(
                f"service (7 queries per period, {7 * len(periods)} in all): "
                f"median {stats.median(service_times):.2f}s, best {min(service_times):.2f}s"
            )
            print(f"  of which waiting for PostgreSQL: median {stats.median(service_db_times):.2f}s")
            for statement, seconds in sorted(by_query.items(), key=lambda item: -item[1])[:7]:
                print(f"    {seconds / runs:6.2f}s per run  {' '.join(statement.split())[:100]}")
            assert sum(by_query.values()) <= sum(service_db_times) + 1e-6, "the breakdown counts other statements"
            print(f"hand-written SQL (1 statement): median {stats.median(sql_times):.2f}s, best {min(sql_times):.2f}s")
            per_area_period = stats.median(service_times) / len(service) * 1000
            print(f"service per area and period: {per_area_period:.2f} ms")
            db.session.remove()
            dispose_engines()
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
