"""The embedded default under concurrency: 20 people viewing and editing cases at once on SQLite.

A real threaded HTTP server (werkzeug) runs the app against a SQLite file, as ``scripts/start`` does,
and 20 clients, each on its own keep-alive connection, view case pages (HTML and API), which writes an
audit entry for every view, list cases, add notes and change their own case. No request may fail: in
WAL mode a transaction that has read cannot start writing once another connection has committed, so
transactions that may write begin with ``BEGIN IMMEDIATE`` (casework/core/db.py).
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from casework import create_app
from casework.core.db import dispose_engines

pytestmark = pytest.mark.sqlite_only

CLIENTS = 20
ROUNDS = 8
PASSWORD = "correct horse battery staple"


@pytest.fixture
def server(tmp_path: Any) -> Iterator[dict[str, Any]]:
    from flask_migrate import upgrade

    from casework.accounts import services as accounts
    from casework.core.db import commit

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'casework.sqlite'}",
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "test-secret-key-that-is-long-enough-for-production",
            "BROKER_URL": "memory://",
            "CELERY_ALWAYS_EAGER": True,
            "MAIL_DIR": str(tmp_path / "mail"),
            "RATELIMIT_STORAGE_URI": "memory://",
            "SIGN_IN_ACCOUNT_LIMIT": "10000 per minute",
            "SIGN_IN_ADDRESS_LIMIT": "10000 per minute",
        }
    )
    with app.app_context():
        upgrade()
        accounts.create_area(None, "BOL", "Bolsover")
        agency = accounts.create_agency(None, "BDC", "Bolsover District Council", "council", ["BOL"])
        tokens = []
        for n in range(CLIENTS):
            user = accounts.create_user(
                None,
                email=f"officer{n}@example.org",
                name=f"Officer {n}",
                password=PASSWORD,
                agency=agency,
                roles=["officer"],
            )
            tokens.append(accounts.issue_token(user, 1)[0])
        commit()
    http_server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"port": http_server.server_port, "tokens": tokens}
    finally:
        http_server.shutdown()
        thread.join(10)
        with app.app_context():
            dispose_engines()


class Client:
    """One person's keep-alive connection: JSON with a bearer token, or pages with a session cookie."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = token
        self.cookie = ""

    def call(self, method: str, path: str, body: Any = None, form: dict[str, str] | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if path.startswith("/api/") else {"Cookie": self.cookie}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        elif form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = urlencode(form)
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("casework_session="):
                self.cookie = value.split(";", 1)[0]
        if response.headers.get("Content-Type", "").startswith("application/json"):
            return response.status, json.loads(raw)
        return response.status, raw.decode()

    def sign_in(self, email: str) -> None:
        _, page = self.call("GET", "/sign-in")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        status, _ = self.call("POST", "/sign-in", form={"email": email, "password": PASSWORD, "csrf_token": token})
        assert status == 302


def test_twenty_people_view_and_edit_cases_at_once_without_an_error(server):
    port, tokens = server["port"], server["tokens"]
    case_ids = []
    for n in range(CLIENTS):
        status, body = Client(port, tokens[n]).call(
            "POST", "/api/v1/cases", {"area_code": "BOL", "category": "personal", "summary": f"Case {n}"}
        )
        assert status == 201, body
        case_ids.append(body["id"])

    outcomes: Counter[tuple[str, int]] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def person(n: int) -> None:
        rng = random.Random(n)
        client = Client(port, tokens[n])
        mine = case_ids[n]
        seen: list[tuple[str, int]] = []
        try:
            client.sign_in(f"officer{n}@example.org")
            start.wait(30)
            for _ in range(ROUNDS):
                other = rng.choice(case_ids)
                calls = [
                    ("GET", f"/api/v1/cases/{other}", None),
                    ("GET", f"/cases/{other}", None),
                    ("GET", "/api/v1/cases?per_page=10", None),
                    ("GET", "/cases/", None),
                    ("POST", f"/api/v1/cases/{other}/notes", {"text": f"Visited by {n}"}),
                ]
                for method, path, body in calls:
                    status, _ = client.call(method, path, body)
                    seen.append((f"{method} {re.sub(r'/[0-9]+', '/<id>', path.split('?')[0])}", status))
                status, case = client.call("GET", f"/api/v1/cases/{mine}")
                status, _ = client.call(
                    "PATCH", f"/api/v1/cases/{mine}", {"version": case["version"], "summary": f"Changed {rng.random()}"}
                )
                seen.append(("PATCH /api/v1/cases/<id>", status))
        except Exception as error:  # reported below, with what the others saw
            with lock:
                failures.append(f"client {n}: {error!r}")
        with lock:
            outcomes.update(seen)

    threads = [threading.Thread(target=person, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)

    assert not failures, failures
    expected = {"POST /api/v1/cases/<id>/notes": 201}
    unexpected = {key: count for key, count in outcomes.items() if key[1] != expected.get(key[0], 200)}
    assert not unexpected, f"unexpected answers {unexpected} among {dict(outcomes)}"
    assert sum(outcomes.values()) == CLIENTS * ROUNDS * 6
