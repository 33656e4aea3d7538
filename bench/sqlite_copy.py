#!/usr/bin/env python3
"""Copy a generated dataset from PostgreSQL into a new SQLite file, for the benchmarks that take a
``--database-url`` (``bench/retention_bench.py``) to run on SQLite too.

    python bench/casework_dataset.py --database-url postgresql+psycopg://... --size county
    python bench/sqlite_copy.py --from postgresql+psycopg://... --to /tmp/county.sqlite

``bench/casework_dataset.py`` writes with PostgreSQL's ``COPY``; this builds the SQLite schema with the
migrations (``flask db upgrade``, as the service does), then copies every table of the models' metadata
that has rows, in the order of its foreign keys, through the models' own column types (times, JSON),
5,000 rows to a statement. The file must not exist.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 5_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", required=True, help="the generated PostgreSQL dataset's URL")
    parser.add_argument("--to", dest="target", required=True, type=Path, help="the SQLite file to create")
    args = parser.parse_args()
    if args.target.exists():
        raise SystemExit(f"{args.target} exists: copy into a new file.")
    started = time.monotonic()
    os.environ.setdefault("CASEWORK_ENV", "development")
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from casework import create_app
    from casework.extensions import db

    url = f"sqlite:///{args.target.resolve()}"
    with tempfile.TemporaryDirectory(prefix="casework-sqlite-copy-") as instance:
        app = create_app({"DATABASE_URL": url, "BROKER_URL": "memory://", "INSTANCE_PATH": instance})
        with app.app_context():
            upgrade()
            tables = db.metadata.sorted_tables
    source = sa.create_engine(args.source)
    target = sa.create_engine(url)
    copied: dict[str, int] = {}
    with source.connect() as reading, target.begin() as writing:
        writing.exec_driver_sql("PRAGMA foreign_keys = OFF")
        existing = set(sa.inspect(reading).get_table_names())
        for table in tables:
            if table.name not in existing or table.name == "alembic_version":
                continue
            key = list(table.primary_key.columns) or list(table.columns)[:1]
            rows = reading.execution_options(yield_per=BATCH).execute(sa.select(table).order_by(*key))
            count = 0
            for part in rows.partitions():
                # Rows a migration seeded (settings, questionnaires) are the source's rows too.
                if not count:
                    writing.execute(sa.delete(table))
                writing.execute(sa.insert(table), [row._asdict() for row in part])
                count += len(part)
            if count:
                copied[table.name] = count
    print(f"copied {sum(copied.values()):,} rows in {len(copied)} tables in {time.monotonic() - started:.0f}s")
    for name, count in sorted(copied.items(), key=lambda item: -item[1])[:8]:
        print(f"  {name}: {count:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
