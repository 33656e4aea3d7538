"""What signing in and the server-side session cost, in one process, as ratios to the minimal endpoint.

    .venv/bin/python bench/sign_in_bench.py [--requests 200] [--attempts 20]

Runs each scenario through Flask's test client in this process (no server, no network: the ratios
compare what the application does, not a server's throughput), on a SQLite file and a throwaway Redis
server (redis-server must be installed). Results go in docs/performance.md ("Signing in").

Measured, median per request:

1. the minimal Flask endpoint (bench/minimal_app.py), ``GET /ping``: the baseline;
2. ``GET /healthz`` (one ``SELECT 1``);
3. a signed-in page, ``GET /account``: the session is loaded through its record on the server;
4. a failed ``POST /api/v1/auth/tokens`` with the limits' counters in memory, in Redis, and in memory
   after Redis stopped (the fallback). Each pays for an argon2 verification, which is the point.
"""

from __future__ import annotations

import argparse
import os
import statistics as stats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def median_ms(fn: Callable[[], object], count: int) -> float:
    fn()  # warm up
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return stats.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--attempts", type=int, default=20)
    args = parser.parse_args()

    import redis
    from flask_migrate import upgrade

    from bench.minimal_app import app as minimal
    from casework import create_app
    from casework.accounts import services
    from casework.extensions import db
    from tests.support.services import ThrowawayRedis, find_redis_server

    folder = Path(tempfile.mkdtemp(prefix="casework-sign-in-bench-"))
    server = ThrowawayRedis(find_redis_server() or sys.exit("redis-server is not installed"))
    server.start(redis)
    base = {
        "ENV": "testing",
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-production",
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
        "BROKER_URL": "memory://",
        "CELERY_ALWAYS_EAGER": True,
        "MAIL_DIR": str(folder / "mail"),
        "INSTANCE_PATH": str(folder),
        # Many attempts for one address: the limits must not refuse the bench itself.
        "SIGN_IN_ACCOUNT_LIMIT": "100000 per minute",
        "SIGN_IN_ADDRESS_LIMIT": "100000 per minute",
    }
    results: list[tuple[str, float]] = []
    try:
        app = create_app({**base, "RATELIMIT_STORAGE_URI": "memory://"})
        with app.app_context():
            upgrade()
            area = services.create_area(None, "BEN", "Bench")
            agency = services.create_agency(None, "BENCH", "Bench council", "council", [area.code])
            services.create_user(
                None,
                email="bench@example.org",
                name="Bench Officer",
                password="a long bench passphrase",  # noqa: S106 - a made-up account on a throwaway database
                agency=agency,
                roles=["officer"],
            )
            db.session.commit()

        ping = minimal.test_client()
        results.append(("minimal Flask endpoint, GET /ping", median_ms(lambda: ping.get("/ping"), args.requests)))
        client = app.test_client()
        results.append(("GET /healthz", median_ms(lambda: client.get("/healthz"), args.requests)))
        page = app.test_client()
        token = page.get("/sign-in").get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
        token = token.split('"')[0]
        signed_in = page.post(
            "/sign-in", data={"email": "bench@example.org", "password": "a long bench passphrase", "csrf_token": token}
        )
        assert signed_in.status_code == 302, signed_in.status_code
        results.append(("signed-in page, GET /account", median_ms(lambda: page.get("/account"), args.requests)))

        def failed_attempt(application):
            tester = application.test_client()
            return lambda: tester.post("/api/v1/auth/tokens", json={"email": "bench@example.org", "password": "no"})

        attempts = args.attempts
        results.append(("failed token request, counters in memory", median_ms(failed_attempt(app), attempts)))
        with_redis = create_app({**base, "RATELIMIT_STORAGE_URI": server.url})
        results.append(("failed token request, counters in Redis", median_ms(failed_attempt(with_redis), attempts)))
        server.stop()
        fallback = median_ms(failed_attempt(with_redis), attempts)
        results.append(("failed token request, Redis stopped (memory fallback)", fallback))
    finally:
        server.stop()

    baseline = results[0][1]
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'scenario':<58} {'median ms':>10} {'x minimal':>10}")
    for name, value in results:
        print(f"{name:<58} {value:>10.2f} {value / baseline:>10.1f}")


if __name__ == "__main__":
    main()
