#!/usr/bin/env python3
"""What the stack allows: the share of the minimal endpoint's throughput that a Flask endpoint doing
the least a page can do reaches, under the same settings as ``bench/throughput.py``, in one run.

    .venv/bin/python bench/stack_ceiling.py [--duration 6] [--repeat 2] [--backends postgresql,sqlite]

``bench/minimal_app.py``'s ``/ping`` (the reference) is measured before and after
``bench/one_row_app.py``'s two endpoints, for each backend:

- one row read by primary key (a pooled SQLAlchemy Core connection, the row as JSON);
- that read, then one row inserted and committed (what a page that logs what it showed does at the
  least);
- two rows read, then one row written: the fewest statements a signed-in page that logs its views runs
  (its user, the record, the view entry);
- a row read (the user), a page of four rows read, four rows written: the API case list's shape in
  ``bench/throughput.py``;
- a row read (the user), a record and its twelve parts read in five statements, thirteen rows written:
  the API case page's shape there.

Then ``bench/signed_in_app.py``'s three endpoints: the same kind of work through the Flask extensions
the project is built on (Flask-SQLAlchemy's session and models, Flask-Login loading the user of a bearer
token with their roles, Flask-Limiter), still with nothing of Casework's: the signed-in user alone, the
API case list's shape and the API case page's. What separates them from the bare rows is the extensions' cost; what
separates Casework's pages from them is Casework's own.

gunicorn ``--workers 2 --threads 4``, wrk with 20 keep-alive connections, runs where a worker held no
connection run again (as in ``bench/throughput.py``). No Casework code runs: no sign-in, no
session, no template, no audit chain. A page's share of the minimal endpoint cannot be higher than
these, so they say which of issue 15's aims this stack can reach at all. ``--app-cpus`` and
``--other-cpus`` pin as in ``bench/throughput.py`` (use ``--tries 1`` then: on one core an idle worker
costs nothing).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.one_row_app import (  # noqa: E402
    PART_KINDS,
    PART_TEXT,
    PARTS_PER_KIND,
    ROWS,
    metadata,
    parts,
    rows,
)
from bench.signed_in_app import TOKEN, create_user  # noqa: E402
from bench.throughput import (  # noqa: E402
    APP_CPUS,
    OTHER_CPUS,
    Measure,
    Server,
    add_pinning_arguments,
    cpu_list,
    load_average,
    measure,
    pin_from,
    postgresql,
    start,
    stop,
)

ENDPOINTS = {
    "one row read": "/one-row",
    "one row read, one row written": "/one-row-and-write",
    "two rows read, one row written": "/two-rows-and-write",
    "a user, a page of 4, 4 rows written": "/page-and-writes",
    "a user, a record and 12 parts in 5 reads, 13 rows written": "/record-and-writes",
}
#: The same through the project's Flask extensions (``bench/signed_in_app.py``), with a bearer token.
SIGNED_IN_ENDPOINTS = {
    "extensions: signed-in user": "/me",
    "extensions: a user, a page of 4, 4 views written": "/page-and-views",
    "extensions: a user, a record and 12 parts in 5 reads, 13 views written": "/record-and-views",
}


def create_tables(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        metadata.create_all(connection)
        now = dt.datetime.now(dt.UTC)
        connection.execute(
            sa.insert(rows), [{"id": i, "name": f"Person {i}", "created_at": now} for i in range(1, ROWS + 1)]
        )
        text = ("A part of the record, as long as a case's entries are on average. " * 20)[:PART_TEXT]
        connection.execute(
            sa.insert(parts),
            [
                {"row_id": i, "kind": kind, "created_at": now, "text": text}
                for i in range(1, ROWS + 1)
                for kind in PART_KINDS
                for _ in range(PARTS_PER_KIND)
            ],
        )
    engine.dispose()


def endpoints(bare: Server, signed_in: Server) -> dict[str, tuple[Server, str, dict[str, str]]]:
    """name -> (server, path, headers), in the order measured."""
    return {
        **{name: (bare, path, {}) for name, path in ENDPOINTS.items()},
        **{name: (signed_in, path, {"Authorization": f"Bearer {TOKEN}"}) for name, path in SIGNED_IN_ENDPOINTS.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=6, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2, help="run the whole matrix this many times")
    parser.add_argument("--tries", type=int, default=3, help="runs of a measurement at most while a worker is idle")
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--port", type=int, default=18700, help="first of the ports the servers use")
    add_pinning_arguments(parser)
    args = parser.parse_args()
    pin_from(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    shares: dict[tuple[str, str], list[float]] = {}
    measured: list[Measure] = []
    minimal_rps: list[float] = []
    started = time.time()

    with tempfile.TemporaryDirectory(prefix="casework-ceiling-") as scratch, contextlib.ExitStack() as stack:
        work = Path(scratch)
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        minimal = start("minimal", "bench.minimal_app:app", ROOT, environment, args.port, 2, 4, work)
        stack.callback(stop, minimal.process)
        servers = {}
        signed_in_servers = {}
        for number, backend in enumerate(backends, start=1):
            if backend == "sqlite":
                url = f"sqlite:///{work / 'ceiling.sqlite'}"
            else:
                pg = stack.enter_context(postgresql())
                url = pg.url.replace("postgresql://", "postgresql+psycopg://")  # type: ignore[attr-defined]
            create_tables(url)
            create_user(url)
            server = start(
                f"one row ({backend})",
                "bench.one_row_app:app",
                ROOT,
                {**environment, "ONE_ROW_DATABASE_URL": url},
                args.port + number,
                2,
                4,
                work,
            )
            stack.callback(stop, server.process)
            servers[backend] = server
            signed_in = start(
                f"signed in ({backend})",
                "bench.signed_in_app:app",
                ROOT,
                {**environment, "ONE_ROW_DATABASE_URL": url},
                args.port + len(backends) + number,
                2,
                4,
                work,
            )
            stack.callback(stop, signed_in.process)
            signed_in_servers[backend] = signed_in
        for backend in backends:  # warm up: connections opened, statements cached
            for server, path, headers in endpoints(servers[backend], signed_in_servers[backend]).values():
                measure(server, path, headers, 2, args.connections, 1)

        for round_number in range(1, args.repeat + 1):
            print(f"\nround {round_number} of {args.repeat}", flush=True)
            for backend in backends:
                for name, (server, path, headers) in endpoints(servers[backend], signed_in_servers[backend]).items():
                    before = measure(minimal, "/ping", {}, args.duration, args.connections, args.tries)
                    result = measure(server, path, headers, args.duration, args.connections, args.tries)
                    after = measure(minimal, "/ping", {}, args.duration, args.connections, args.tries)
                    reference = (before.rps + after.rps) / 2
                    minimal_rps += [before.rps, after.rps]
                    measured += [before, result, after]
                    shares.setdefault((backend, name), []).append(result.rps / reference)
                    print(
                        f"  {backend:10} {name:30} {result.rps:.0f}/s against minimal {reference:.0f}/s "
                        f"(1/{reference / result.rps:.1f}), errors {result.errors}, connections {result.split}, "
                        f"load {before.load:.1f}-{after.load:.1f}, CPU busy {result.busy:.0f}%",
                        flush=True,
                    )

    loads = [m.load for m in measured]
    print(f"\n{args.repeat} round(s) in {(time.time() - started) / 60:.0f} min; load average now {load_average():.1f}")
    if APP_CPUS:
        print(f"pinned: gunicorn on CPUs {cpu_list(APP_CPUS)}; wrk and PostgreSQL on CPUs {cpu_list(OTHER_CPUS)}")
    print(
        f"minimal endpoint: {statistics.median(minimal_rps):.0f} requests/s (median of {len(minimal_rps)} runs, "
        f"{min(minimal_rps):.0f} to {max(minimal_rps):.0f}); load average {min(loads):.1f} to {max(loads):.1f}; "
        f"{sum(m.tries - 1 for m in measured)} run(s) repeated for an idle worker\n"
    )
    print("| endpoint | backend | share of the minimal endpoint (median, range) |")
    print("|---|---|---:|")
    for backend in backends:
        for name in [*ENDPOINTS, *SIGNED_IN_ENDPOINTS]:
            values = shares[(backend, name)]
            spread = f" ({1 / max(values):.1f}-{1 / min(values):.1f})" if len(values) > 1 else ""
            print(f"| {name} | {backend} | 1/{1 / statistics.median(values):.1f}{spread} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
