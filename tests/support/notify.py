"""A local stand-in for GOV.UK Notify's API: it reads each request as Notify would (the path, a JSON body
with the template and personalisation, and a bearer JWT signed with the key's secret, issued by the
key's service and fresh) and keeps what each carried. The ``notify`` fixture points the app at it."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"casework_test-{SERVICE_ID}-{SECRET}"
EMAIL_TEMPLATE = str(uuid.uuid4())
SMS_TEMPLATE = str(uuid.uuid4())


class FakeNotify(ThreadingHTTPServer):
    """Answers as Notify's API does, and keeps what each request carried (or why it was refused)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.problems: list[str] = []
        #: The status the next requests get (201: accepted).
        self.status = 201

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeNotify

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]})
            if claims["iss"] != SERVICE_ID:
                self.server.problems.append(f"issuer {claims['iss']}")
            if abs(time.time() - claims["iat"]) > 30:
                self.server.problems.append("stale token")
        except jwt.PyJWTError as error:
            self.server.problems.append(f"token: {error}")
        if self.headers.get("Content-Type") != "application/json":
            self.server.problems.append(f"content type {self.headers.get('Content-Type')}")
        self.server.requests.append({"path": self.path, "body": body})
        status = self.server.status
        answer = (
            {"id": str(uuid.uuid4()), "reference": body.get("reference"), "content": {}, "template": {}}
            if status == 201
            else {
                "status_code": status,
                "errors": [{"error": "BadRequestError", "message": "Can't send to this recipient"}],
            }
        )
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def notify(app, monkeypatch):
    server = FakeNotify()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = dict(app.config["CASEWORK"])
    settings.update(
        NOTIFY_API_KEY=API_KEY,
        NOTIFY_BASE_URL=server.url,
        NOTIFY_EMAIL_TEMPLATE_ID=EMAIL_TEMPLATE,
        NOTIFY_SMS_TEMPLATE_ID=SMS_TEMPLATE,
    )
    monkeypatch.setitem(app.config, "CASEWORK", settings)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
