"""The API keeps its contract: every request the API description lists (transcribed, with its examples,
in ``api_md_requests.json`` next to this file) is made exactly as written there, in order, from an empty
database bootstrapped with ``create-admin``, and each answer's status and fields are checked. A change
that breaks a partner's integration fails here.

Entries marked ``pending`` are endpoints the description promises and a later issue builds: the test
checks that they still fail, and fails itself the day one works, so the marker goes when it lands.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine

CONTRACT = json.loads((Path(__file__).parent / "api_md_requests.json").read_text(encoding="utf-8"))


def _fill(value: Any, saved: dict[str, Any]) -> Any:
    """``"{name}"`` becomes the saved value itself (an id stays a number); inside text, its text."""
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in saved:
            return saved[value[1:-1]]
        for name, found in saved.items():
            value = value.replace("{" + name + "}", str(found))
        return value
    if isinstance(value, list):
        return [_fill(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, saved) for k, v in value.items()}
    return value


def _at(body: Any, path: str) -> Any:
    for part in path.split("."):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def _check(entry: dict[str, Any], response: Any, saved: dict[str, Any]) -> None:
    where = f"{entry['section']}: {entry['name']}"
    wanted = entry["status"] if isinstance(entry["status"], list) else [entry["status"]]
    assert response.status_code in wanted, (where, response.status_code, response.get_data(as_text=True)[:1000])
    if "csv_columns" in entry:
        header = next(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        missing = [c for c in entry["csv_columns"] if c not in header]
        assert not missing, (where, missing)
        return
    if not any(
        key in entry
        for key in ("fields", "expect", "expect_path", "each", "error_fields", "save", "absent", "present_path")
    ):
        return
    body = response.get_json()
    assert body is not None, where
    for field in entry.get("fields", []):
        assert field in body, (where, field, sorted(body))
    for field in entry.get("absent", []):
        assert field not in body, (where, field)
    # Expected values may name a saved one ("{victim_id}"), like paths and bodies.
    for field, value in _fill(entry.get("expect", {}), saved).items():
        assert body[field] == value, (where, field, body[field])
    for path, value in _fill(entry.get("expect_path", {}), saved).items():
        assert _at(body, path) == value, (where, path, _at(body, path))
    for path in entry.get("present_path", []):
        assert _at(body, path), (where, path)
    for path, fields in entry.get("each", {}).items():
        items = _at(body, path)
        assert items, (where, path)
        for item in items:
            assert all(f in item for f in fields), (where, path, sorted(item))
    for field in entry.get("error_fields", []):
        assert field in body["errors"], (where, body)
    for name, field in entry.get("save", {}).items():
        saved[name] = body[field]


def _token(client: Any, email: str, password: str) -> str:
    response = client.post("/api/v1/auth/tokens", json={"email": email, "password": password})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["token"]


def replay(app: Any) -> Iterator[tuple[dict[str, Any], str, Any, dict[str, Any]]]:
    """Make every request of the contract in order: ``(entry, path, response, saved)`` for each, where
    ``saved`` is where ``_check`` keeps the values later requests name (check each before the next)."""
    bootstrap = CONTRACT["bootstrap"]
    with time_machine.travel(CONTRACT["today"] + " 12:00 +00:00", tick=False):
        result = app.test_cli_runner().invoke(
            args=["create-admin", bootstrap["admin_email"], "--password-stdin"],
            input=bootstrap["admin_password"] + "\n",
        )
        assert result.exit_code == 0, result.output
        client = app.test_client()
        saved: dict[str, Any] = {}
        tokens: dict[str, str] = {}
        for entry in CONTRACT["requests"]:
            if "sign_in" in entry:
                for role, (email, password) in entry["sign_in"].items():
                    tokens[role] = _token(client, email, password)
                continue
            headers = {}
            if entry.get("as"):
                headers["Authorization"] = (
                    f"Bearer {tokens[entry['as']] if entry['as'] in tokens else saved[entry['as'] + '_token']}"
                )
            kwargs: dict[str, Any] = {"headers": headers}
            if "body" in entry:
                kwargs["json"] = _fill(entry["body"], saved)
            path = _fill(entry["path"], saved)
            yield entry, path, getattr(client, entry["method"].lower())(path, **kwargs), saved


def test_every_request_of_the_api_description(app, db_session):
    for entry, _path, response, saved in replay(app):
        if entry.get("pending"):
            try:
                _check(entry, response, saved)
            except AssertionError:
                continue
            pytest.fail(f"{entry['name']} now works: remove its 'pending' marker ({entry['pending']})")
        _check(entry, response, saved)
