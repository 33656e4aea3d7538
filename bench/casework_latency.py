#!/usr/bin/env python3
"""Latency (p50, p95) and throughput of the case list, case search and case page, next to a minimal Flask
endpoint served by gunicorn with the same settings.

    python bench/casework_latency.py --database-url postgresql+psycopg://... [--duration 15] [--clients 8]

The database should hold a dataset from ``bench/casework_dataset.py``. Both servers listen on 127.0.0.1
only and are stopped at the end; every scenario runs for ``--duration`` seconds with ``--clients``
keep-alive connections, so a run is bounded in time. Each scenario runs as two users: the dataset's
bench officer, who sees one council's cases (about 1/areas of them), and the police partner, who sees
every case shared with the police (10% of all): the list, search and case page all go through the
visibility rules, as in production. The load average after each scenario is in the table, and how
many of the connections each gunicorn worker held midway: when one worker holds them all, the other
idles and the figures are those of one core (``bench/gunicorn_workers.py``).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gunicorn_workers import children, connections_per_worker  # noqa: E402

LOOPBACK = "127.0.0.1"


def start_server(app_spec: str, port: int, workers: int, threads: int, env: dict[str, str]) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"{LOOPBACK}:{port}",
        "--log-level",
        "warning",
        app_spec,
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def wait_ready(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def request_json(
    port: int, method: str, path: str, body: dict | None = None, token: str | None = None
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def load(
    port: int, paths: list[str], token: str | None, duration: float, clients: int, server: subprocess.Popen
) -> dict[str, Any]:
    """``clients`` threads, each with a keep-alive connection, request random ``paths`` for ``duration``;
    midway, the connections each of ``server``'s workers holds are counted."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        mine, failed = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", rng.choice(paths), headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except OSError:
                failed += 1
                conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(duration / 2)
    split = connections_per_worker(port, children(server.pid))
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": quantiles[49] * 1000,
        "p95_ms": quantiles[94] * 1000,
        "throughput": len(latencies) / elapsed,
        "split": split,
    }


BENCH_EMAIL = "bench@casework.example"
POLICE_EMAIL = "police@casework.example"


def report(user: str, name: str, result: dict[str, Any]) -> None:
    split = "/".join(str(n) for n in result["split"])
    print(
        f"| {user} | {name} | {result['requests']} | {result['errors']} | {result['p50_ms']:.1f} | "
        f"{result['p95_ms']:.1f} | {result['throughput']:.0f} | {os.getloadavg()[0]:.1f} | {split} |",
        flush=True,
    )


def search_terms(database_url: str, email: str, first_reference: str) -> list[str]:
    """What people search for: a surname, a street, words of a summary, a case reference, another
    agency's reference on a complaint (DP-..., ASB-...), a Case Review reference and an applicant's
    name, each taken from a case the user can see."""
    import psycopg

    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        agency_id = conn.execute("SELECT agency_id FROM users WHERE email = %s", (email,)).fetchone()[0]
        visible = (
            "(SELECT id FROM cases WHERE lead_agency_id = %(a)s UNION SELECT case_id FROM case_shares "
            "WHERE agency_id = %(a)s)"
        )
        refs = conn.execute(
            "SELECT c.reference FROM complaints c JOIN incidents i ON i.id = c.incident_id "  # noqa: S608
            f"WHERE i.case_id IN {visible} ORDER BY c.id LIMIT 400",
            {"a": agency_id},
        ).fetchall()
        application = conn.execute(
            "SELECT a.reference, a.applicant_name FROM trigger_applications a "  # noqa: S608
            f"JOIN trigger_application_cases l ON l.application_id = a.id WHERE l.case_id IN {visible} LIMIT 1",
            {"a": agency_id},
        ).fetchone()
    police = next(r[0] for r in refs if r[0].startswith("DP-"))
    council = next((r[0] for r in refs if r[0].startswith("ASB-")), police)
    terms = ["holmes", "station", "music", first_reference.lower(), police, council]
    if application:
        terms += [application[0], application[1].split()[-1].lower()]
    return terms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per scenario")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both servers)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (both servers)")
    parser.add_argument("--port", type=int, default=18480, help="casework; the minimal app uses port + 1")
    args = parser.parse_args()

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CASEWORK_ENV": "production",
        "CASEWORK_SECRET_KEY": secrets.token_hex(32),
        "CASEWORK_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "CASEWORK_DATABASE_URL": args.database_url,
        "CASEWORK_BROKER_URL": "memory://",
    }
    casework = start_server("casework.wsgi:app", args.port, args.workers, args.threads, env)
    minimal = start_server("bench.minimal_app:app", args.port + 1, args.workers, args.threads, env)
    try:
        wait_ready(args.port, "/api/v1/cases")
        wait_ready(args.port + 1, "/ping")
        print(
            f"gunicorn --workers {args.workers} --threads {args.threads}; {args.clients} clients; "
            f"{args.duration:.0f}s per scenario"
        )
        print("| user | scenario | requests | errors | p50 ms | p95 ms | requests/s | load | connections per worker |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---|")
        result = load(args.port + 1, ["/ping"], None, args.duration, args.clients, minimal)
        report("-", "minimal Flask endpoint", result)
        for email, label in ((BENCH_EMAIL, "council officer"), (POLICE_EMAIL, "police partner")):
            status, body = request_json(
                args.port, "POST", "/api/v1/auth/tokens", {"email": email, "password": "bench-password"}
            )
            if status != 201:
                raise RuntimeError(f"could not sign in {email}: {status} {body}")
            token = body["token"]
            _, listing = request_json(args.port, "GET", "/api/v1/cases?per_page=100", token=token)
            case_ids = [item["id"] for item in listing["items"]]
            terms = search_terms(args.database_url, email, listing["items"][0]["reference"])
            print(f"<!-- {label}: {listing['total']} cases visible; search terms {terms} -->", flush=True)
            scenarios = [
                ("case list (25 per page)", [f"/api/v1/cases?page={p}" for p in range(1, 5)]),
                ("case search (q)", [f"/api/v1/cases?q={urllib.parse.quote(t)}" for t in terms]),
                ("case page (GET /api/v1/cases/<id>)", [f"/api/v1/cases/{i}" for i in case_ids]),
            ]
            for name, paths in scenarios:
                report(label, name, load(args.port, paths, token, args.duration, args.clients, casework))
    finally:
        stop(casework)
        stop(minimal)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
