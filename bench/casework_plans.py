#!/usr/bin/env python3
"""The query plans and database times of the case list, case search and case page, on PostgreSQL.

    .venv/bin/python bench/casework_plans.py --database-url postgresql+psycopg://... [--email bench@casework.example]

Runs, as the given user of a dataset from ``bench/casework_dataset.py``, the statements the service
runs for the first page of the case list, a search for each term, and a case page, each under
``EXPLAIN (ANALYZE, BUFFERS)`` (five times; the median is printed with the plan of the last run), so
the time spent in the database can be told from the time spent in Python. Nothing is written.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--email", default="bench@casework.example")
    parser.add_argument("--terms", default="holmes,station", help="comma-separated search terms")
    parser.add_argument("--plans", action="store_true", help="print the plans, not only the times")
    args = parser.parse_args()
    os.environ.setdefault("CASEWORK_ENV", "production")

    import sqlalchemy as sa

    from casework import create_app
    from casework.accounts.models import User
    from casework.cases import queries, services
    from casework.extensions import db

    app = create_app(
        {
            "DATABASE_URL": args.database_url,
            "BROKER_URL": "memory://",
            "SECRET_KEY": secrets.token_hex(32),
            "DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        }
    )
    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH", "SET LOCAL")):
            captured.append((statement, parameters))

    with app.test_request_context("/api/v1/cases"):
        user = db.session.scalar(sa.select(User).where(User.email == args.email))
        terms = [t.strip() for t in args.terms.split(",") if t.strip()]
        sa.event.listen(db.engine, "before_cursor_execute", capture)
        work = {
            "case list, first page": lambda: queries.case_page(user),
            **{f"search {t!r}": (lambda t=t: queries.case_page(user, q=t)) for t in terms},
        }
        first = queries.case_page(user).items[0]
        work["case page"] = lambda: (
            services.load_case_record(first.id, viewer=user),
            services.case_journal(first, user),
        )
        for name, run in work.items():
            captured.clear()
            run()
            db.session.rollback()
            # A setting the code makes for its transaction (``SET LOCAL jit = off`` before a search)
            # is made again before each statement that followed it, in each run's own transaction.
            settings = [(s, p) for s, p in captured if s.lstrip().upper().startswith("SET")]
            statements = [(s, p) for s, p in captured if not s.lstrip().upper().startswith("SET")]
            total = 0.0
            print(f"\n## {name}: {len(statements)} statements" + (f" after {len(settings)} SET" if settings else ""))
            for statement, parameters in statements:
                times = []
                for _ in range(5):
                    for setting, values in settings:
                        db.session.connection().exec_driver_sql(setting, values)
                    plan = (
                        db.session.connection()
                        .exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) {statement}", parameters)
                        .scalars()
                        .all()
                    )
                    times.append(float(plan[-1].split(":")[1].split()[0]))
                    db.session.rollback()
                median = statistics.median(times)
                total += median
                print(f"- {median:7.2f} ms  {' '.join(statement.split())[:110]}")
                if args.plans:
                    print("\n".join("      " + line for line in plan))
            print(f"  in the database: {total:.1f} ms")
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
