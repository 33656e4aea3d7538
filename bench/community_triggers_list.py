"""Latency of the Case Review list and application API on a generated dataset.

Usage: python bench/community_triggers_list.py [--applications 2000] [--requests 50]

Builds a throwaway SQLite database in a temporary instance folder, registers applications (each with
three complaints, a decision, a meeting with two recommendations) through the services, then times
``GET /api/v1/triggers`` (first page, 100 per page) and ``GET /api/v1/triggers/<id>``, and prints the
median and 95th percentile. Measured here, never in the test suite.
"""

from __future__ import annotations

import argparse
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

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for label, path in (
        ("list (100 per page)", "/api/v1/triggers?per_page=100"),
        ("one application", f"/api/v1/triggers/{first_id}"),
    ):
        timings = []
        for _ in range(options.requests):
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_data(as_text=True)
        timings.sort()
        print(
            f"{label}: median {statistics.median(timings):.1f} ms, "
            f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms over {options.requests} requests"
        )
    with app.app_context():
        dispose_engines()


if __name__ == "__main__":
    main()
