#!/usr/bin/env python3
"""Start a throwaway PostgreSQL (the test suite's helper) for a benchmark run; prints its URL.

    python bench/throwaway_postgres.py --minutes 30 [--port 55432] [--database bench] &

It stops by itself after ``--minutes`` (or on Ctrl-C or ``kill <pid>``) and its data directory is removed.
Without ``--port`` it listens on a free port, printed in the URL; with one, on that port (so a second
shell can know the URL in advance).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.services import ThrowawayPostgres, find_postgresql_bindir  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--port", type=int, default=0, help="listen on this port (default: a free one)")
    parser.add_argument("--database", default="bench", help="the empty database to create")
    args = parser.parse_args()
    bindir = find_postgresql_bindir()
    if bindir is None:
        print("PostgreSQL is not installed.", file=sys.stderr)
        return 1
    # A background job ignores SIGINT; stop cleanly (and remove the data) on SIGTERM too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = ThrowawayPostgres(bindir, port=args.port)
    server.start()
    try:
        import psycopg
        from psycopg import sql

        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.database)))
        url = server.url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{args.database}"
        print(url, flush=True)
        time.sleep(args.minutes * 60)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
