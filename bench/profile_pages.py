#!/usr/bin/env python3
"""Where the time of the hot pages goes, one request at a time, in-process (no server, no network).

    .venv/bin/python bench/profile_pages.py [--requests 200] [--profile "HTML case page"] [--database-url URL]

Builds the schema with the migrations and loads the demo data (``flask demo load``) into a throwaway
SQLite file (or the empty database given), signs in the demo officer, then times each page with the
test client and prints the median and 95th percentile in milliseconds, the CPU time the process spent
per request, the Python function calls per request (a measure of the work that does not depend on how
busy the machine is) and the statements per request.
With ``--profile NAME`` it runs that page under cProfile and prints the functions with the most
cumulative and own time, and the share spent rendering templates. Measured here, never in the test
suite.
"""

from __future__ import annotations

import argparse
import cProfile
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
    import sqlalchemy as sa

    from casework.core.db import read_engine
    from casework.extensions import db

    counter = [0]
    with app.app_context():
        # On SQLite, read transactions have an engine of their own (casework.core.db).
        for engine in filter(None, (db.engine, read_engine())):
            sa.event.listen(engine, "before_cursor_execute", lambda *_a: counter.__setitem__(0, counter[0] + 1))
    return counter


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
        gc.freeze()  # as casework.wsgi does for gunicorn's workers
        client, headers = sign_in(app)
        counter = count_statements(app)
        print(f"{args.requests} requests per page, one at a time, in-process")
        print("| page | median ms | p95 ms | CPU ms (median) | Python calls | statements |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, (page_client, path, page_headers) in pages(app, client, headers).items():
            for _ in range(5):  # warm up: compiled templates, statement caches
                assert page_client.get(path, headers=page_headers).status_code == 200, path
            timings, cpu = [], []
            before = counter[0]
            for _ in range(args.requests):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = page_client.get(path, headers=page_headers)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                assert response.status_code == 200
            statements = (counter[0] - before) / args.requests
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(
                f"| {name} | {statistics.median(timings):.1f} | {p95:.1f} | {statistics.median(cpu):.1f} | "
                f"{python_calls(page_client, path, page_headers):,} | {statements:.0f} |",
                flush=True,
            )
            if args.profile == name:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.requests):
                    page_client.get(path, headers=page_headers)
                profiler.disable()
                report(profiler, args.top)
        with app.app_context():
            from casework.core.db import dispose_engines

            dispose_engines()
    return 0


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
