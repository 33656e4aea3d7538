#!/usr/bin/env python3
"""Start a throwaway PostgreSQL (the test suite's helper) for a benchmark run; prints its URL.

    python bench/throwaway_postgres.py --minutes 30 &

It stops by itself after ``--minutes`` (or on Ctrl-C or ``kill <pid>``) and its data directory is removed.
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
    args = parser.parse_args()
    bindir = find_postgresql_bindir()
    if bindir is None:
        print("PostgreSQL is not installed.", file=sys.stderr)
        return 1
    # A background job ignores SIGINT; stop cleanly (and remove the data) on SIGTERM too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = ThrowawayPostgres(bindir)
    server.start()
    try:
        import psycopg

        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        url = server.url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/bench"
        print(url, flush=True)
        time.sleep(args.minutes * 60)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
