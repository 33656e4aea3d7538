#!/usr/bin/env python3
"""Where the time of the hot pages goes, one request at a time, in-process (no server, no network).

    .venv/bin/python bench/profile_pages.py [--requests 200] [--profile "HTML case page"] [--database-url URL]

Builds the schema with the migrations and loads the demo data (``flask demo load``) into a throwaway
SQLite file (or the empty database given), signs in the demo officer, then times each page with the
test client and prints the median and 95th percentile in milliseconds, the CPU time the process spent
per request, the Python function calls per request (a measure of the work that does not depend on how
busy the machine is) and the statements per request.
It then measures ``bench/signed_in_app.py`` the same way, in the same process (the project's Flask
extensions alone, with nothing of Casework's: ``bench/stack_ceiling.py`` serves the same app), and
prints how many times their CPU time and Python calls Casework's signed-in floor, API case list and API
case page take, against the endpoints of the same shape. The ratio of the calls is what a rerun reproduces.
With ``--profile NAME`` it runs that page under cProfile and prints the functions with the most
cumulative and own time, and the share spent rendering templates. Measured here, never in the test
suite.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import dataclasses
import gc
import io
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_app(database_url: str | None, instance: str):
    from flask_migrate import upgrade

    from casework import create_app

    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "INSTANCE_PATH": instance,
            "DATABASE_URL": database_url or f"sqlite:///{instance}/casework.sqlite",
            "BROKER_URL": "memory://",
            "MAIL_DIR": f"{instance}/mail",
        }
    )
    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--force"])  # a throwaway copy in the production configuration
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return app


def pages(app, officer_client, api_headers) -> dict[str, tuple]:
    """name -> (client, path, headers): the pages of the issue's table."""
    import sqlalchemy as sa

    from casework.cases.models import Case
    from casework.extensions import db

    with app.app_context():
        case_id = db.session.scalar(sa.select(Case.id).order_by(Case.id))
    public = app.test_client()
    return {
        # A token checked and the user loaded (and their manager, for the answer), nothing else read
        # and nothing logged: what every API page pays first.
        "API signed-in floor": (officer_client, "/api/v1/me", api_headers),
        "API case list": (officer_client, "/api/v1/cases", api_headers),
        "API case page": (officer_client, f"/api/v1/cases/{case_id}", api_headers),
        "HTML case list": (officer_client, "/cases/", {}),
        "HTML case page": (officer_client, f"/cases/{case_id}", {}),
        "public form": (public, "/case-review/apply", {}),
    }


def sign_in(app):
    import re

    from casework.demo import demo_password

    client = app.test_client()
    with app.app_context():
        password = demo_password()
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/sign-in", data={"email": "officer@casework.example", "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code
    api = client.post("/api/v1/auth/tokens", json={"email": "officer@casework.example", "password": password})
    assert api.status_code == 201, api.get_json()
    return client, {"Authorization": f"Bearer {api.get_json()['token']}"}


def count_statements(app):
    from casework.core.db import read_engine
    from casework.extensions import db

    with app.app_context():
        # On SQLite, read transactions have an engine of their own (casework.core.db).
        return count_engine_statements(*filter(None, (db.engine, read_engine())))


def count_engine_statements(*engines):
    """A one-item list holding the statements these engines have run so far."""
    import sqlalchemy as sa

    counter = [0]
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", lambda *_a: counter.__setitem__(0, counter[0] + 1))
    return counter


#: The project's Flask extensions alone (``bench/signed_in_app.py``), measured in the same process, the
#: same way: the least an implementation on them pays for a page of that shape, by a measure (the Python
#: calls) that the machine's load does not move. ``bench/stack_ceiling.py`` serves the same app.
EXTENSIONS_ALONE = {
    "extensions alone: the signed-in user": "/me",
    "extensions alone: a user, a page of 4, 4 views written": "/page-and-views",
    "extensions alone: a user, a record and 12 parts, 13 views written": "/record-and-views",
}
#: Casework's page -> the row of the extensions alone with its shape (the demo officer sees four cases;
#: the demo case's page reads the case and four collections, and logs thirteen records as shown).
SAME_SHAPE = {
    "API signed-in floor": "extensions alone: the signed-in user",
    "API case list": "extensions alone: a user, a page of 4, 4 views written",
    "API case page": "extensions alone: a user, a record and 12 parts, 13 views written",
}


def extensions_alone(database_url: str | None, instance: str):
    """name -> (client, path, headers) of ``bench/signed_in_app.py``, and its engine. Its tables go in
    the database given (beside Casework's, named ``bench_*``) or in a SQLite file of their own."""
    from bench.signed_in_app import TOKEN, create_app, create_user, db
    from bench.stack_ceiling import create_tables

    url = database_url or f"sqlite:///{instance}/extensions.sqlite"
    create_tables(url)
    create_user(url)
    app = create_app(url)
    with app.app_context():
        engine = db.engine
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return {name: (client, path, headers) for name, path in EXTENSIONS_ALONE.items()}, engine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an empty database (default: a throwaway SQLite file)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", help="the page to profile, e.g. 'public form'")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("CASEWORK_ENV", "production")

    with tempfile.TemporaryDirectory(prefix="casework-profile-") as instance:
        app = build_app(args.database_url, instance)
        extensions, extensions_engine = extensions_alone(args.database_url, instance)
        gc.freeze()  # as casework.wsgi does for gunicorn's workers
        client, headers = sign_in(app)
        counter = count_statements(app)
        print(f"{args.requests} requests per page, one at a time, in-process")
        print("| page | median ms | p95 ms | CPU ms (median) | Python calls | statements |")
        print("|---|---:|---:|---:|---:|---:|")
        extensions_counter = count_engine_statements(extensions_engine)
        measured: dict[str, PageMeasure] = {}
        for pages_of_app, page_counter in ((pages(app, client, headers), counter), (extensions, extensions_counter)):
            for name, (page_client, path, page_headers) in pages_of_app.items():
                measured[name] = measure(name, page_client, path, page_headers, args.requests, page_counter)
                if args.profile == name:
                    profile(page_client, path, page_headers, args.requests, args.top)
        print()
        for page, alone in SAME_SHAPE.items():
            ours, theirs = measured[page], measured[alone]
            print(
                f"{page} against {alone}: {ours.cpu_ms / theirs.cpu_ms:.1f} times the CPU, "
                f"{ours.calls / theirs.calls:.1f} times the Python calls"
            )
        with app.app_context():
            from casework.core.db import dispose_engines

            dispose_engines()
        extensions_engine.dispose()
    return 0


@dataclasses.dataclass(frozen=True)
class PageMeasure:
    median_ms: float
    p95_ms: float
    cpu_ms: float
    calls: int
    statements: float


def measure(name: str, page_client, path: str, page_headers: dict[str, str], requests: int, counter) -> PageMeasure:
    """Time one page, print its row of the table and return it."""
    for _ in range(5):  # warm up: compiled templates, statement caches
        assert page_client.get(path, headers=page_headers).status_code == 200, path
    timings, cpu = [], []
    before = counter[0]
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = page_client.get(path, headers=page_headers)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
    statements = (counter[0] - before) / requests
    timings.sort()
    result = PageMeasure(
        median_ms=statistics.median(timings),
        p95_ms=timings[int(len(timings) * 0.95) - 1],
        cpu_ms=statistics.median(cpu),
        calls=python_calls(page_client, path, page_headers),
        statements=statements,
    )
    print(
        f"| {name} | {result.median_ms:.1f} | {result.p95_ms:.1f} | {result.cpu_ms:.1f} | "
        f"{result.calls:,} | {result.statements:.0f} |",
        flush=True,
    )
    return result


def profile(page_client, path: str, page_headers: dict[str, str], requests: int, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        page_client.get(path, headers=page_headers)
    profiler.disable()
    report(profiler, top)


def python_calls(page_client, path: str, headers: dict[str, str], requests: int = 20) -> int:
    """Python function calls per request: unlike times, the same however busy the machine is, so a
    change can be judged on a shared machine."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        page_client.get(path, headers=headers)
    profiler.disable()
    return sum(row[1] for row in pstats.Stats(profiler).stats.values()) // requests


def report(profiler: cProfile.Profile, top: int) -> None:
    stats = pstats.Stats(profiler)
    total = sum(row[3] for row in stats.stats.values() if row)  # noqa: F841 - kept for reading in a debugger
    jinja = sum(
        cumulative
        for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items()
        if function == "render_template" and filename.endswith("flask/templating.py")
    )
    overall = max(cumulative for (_cc, _nc, _tt, cumulative, _callers) in stats.stats.values())
    print(f"\nrender_template: {jinja:.2f}s of {overall:.2f}s ({100 * jinja / overall:.0f}%)")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        print(out.getvalue())


if __name__ == "__main__":
    raise SystemExit(main())
