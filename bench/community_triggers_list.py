"""The Case Review list, one application in the API and its staff page, on a generated dataset.

Usage: python bench/community_triggers_list.py [--applications 2000] [--requests 50]

Builds a throwaway SQLite database in a temporary instance folder, registers applications (each with
three complaints, a decision, a meeting with two recommendations) through the services, then, as the
coordinator, times ``GET /api/v1/triggers`` (first page, 100 per page), ``GET /api/v1/triggers/<id>``
and the page ``/case-reviews/<id>``, one request at a time in-process. For each it prints the median and
95th percentile of the wall time, the median CPU time, and the Python calls and statements per request,
which do not depend on the machine's load (``bench/profile_pages.py``). Measured here, never in the
test suite.
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=50)
    options = parser.parse_args()

    from flask_migrate import upgrade

    from casework import create_app
    from casework.accounts import services as accounts
    from casework.community_triggers import services
    from casework.core.db import commit, dispose_engines

    instance = tempfile.mkdtemp(prefix="casework-bench-")
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": secrets.token_hex(32),
            "INSTANCE_PATH": instance,
            "DATABASE_URL": f"sqlite:///{instance}/bench.db",
            "BROKER_URL": "memory://",
            "CELERY_ALWAYS_EAGER": True,
        }
    )
    with app.app_context():
        upgrade()
        password = secrets.token_urlsafe(16)  # never used to sign in: the bench uses a token
        area = accounts.create_area(None, "BEN", "Bench")
        agency = accounts.create_agency(None, "BENC", "Bench Council", "council", ["BEN"])
        chair_agency = accounts.create_agency(None, "OTH", "Other Council", "council", [])
        coordinator = accounts.create_user(
            None,
            email="coordinator@bench.example",
            name="Coordinator",
            password=password,
            agency=agency,
            roles=["coordinator"],
        )
        chair = accounts.create_user(
            None,
            email="chair@bench.example",
            name="Chair",
            password=password,
            agency=chair_agency,
            roles=["chair"],
        )
        received_on = date.today() - timedelta(days=30)
        for index in range(options.applications):
            application = services.register_application(
                coordinator,
                {
                    "area": area,
                    "received_on": received_on,
                    "channel": "phone",
                    "applicant": {"name": f"Applicant {index}"},
                    "applicant_role": "victim",
                    "description": "Noise",
                    "cases": [],
                    "complaints": [
                        {
                            "occurred_on": received_on - timedelta(days=d),
                            "reported_on": received_on - timedelta(days=d - 1),
                            "agency": agency,
                        }
                        for d in (20, 12, 5)
                    ],
                },
            )
            services.decide_threshold(
                coordinator,
                application,
                met=True,
                basis="automatic",
                reasons=None,
                decided_on=received_on + timedelta(days=1),
            )
            meeting = services.arrange_meeting(coordinator, application, scheduled_on=date.today(), chair=chair)
            meeting.arranged_on = received_on
            services.record_outcome(
                chair,
                meeting,
                held_on=received_on + timedelta(days=2),
                minutes="m",
                victim_invited=True,
                recommendations=[{"text": "Visit", "agency": agency, "due_on": date.today()} for _ in range(2)],
            )
            if index % 200 == 0:
                commit()
        commit()
        token, _ = accounts.issue_token(coordinator, 1)
        commit()
        first_id = application.id

    from bench.profile_pages import count_statements, python_calls

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    page_client = app.test_client()
    sign_in_page = page_client.get("/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', sign_in_page).group(1)  # type: ignore[union-attr]
    signed_in = page_client.post(
        "/sign-in", data={"email": "coordinator@bench.example", "password": password, "csrf_token": csrf}
    )
    assert signed_in.status_code == 302, signed_in.status_code
    statements = count_statements(app)
    print(f"{options.applications} applications, {options.requests} requests per page, one at a time, in-process")
    print("| request | median ms | p95 ms | CPU ms (median) | Python calls | statements |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, path, page_headers, page in (
        ("API list (100 per page)", "/api/v1/triggers?per_page=100", headers, client),
        ("API one application", f"/api/v1/triggers/{first_id}", headers, client),
        ("staff page of one application", f"/case-reviews/{first_id}", {}, page_client),
    ):
        for _ in range(3):  # warm up: compiled templates, statement caches
            page.get(path, headers=page_headers)
        timings, cpu = [], []
        before = statements[0]
        for _ in range(options.requests):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = page.get(path, headers=page_headers)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200, response.get_data(as_text=True)
        per_request = (statements[0] - before) / options.requests
        timings.sort()
        print(
            f"| {label} | {statistics.median(timings):.1f} | {timings[int(len(timings) * 0.95) - 1]:.1f} | "
            f"{statistics.median(cpu):.1f} | {python_calls(page, path, page_headers):,} | {per_request:.0f} |",
            flush=True,
        )
    with app.app_context():
        dispose_engines()


if __name__ == "__main__":
    main()
