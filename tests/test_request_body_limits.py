"""Every route refuses a body over its limit with a 413 that says which limit, and writes nothing.

A body that is not a multipart upload (a page form, the API's JSON) is read whole and parsed at once, so
it may be no larger than ``MAX_TEXT_BODY_BYTES``; a multipart body may be as large as the upload limit,
within ``MAX_FORM_PARTS`` parts (casework.core.bodies). The walks send each to every endpoint that takes
a write, public pages and the API included, whether or not the view reads its body.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import EnvironBuilder

from casework.core.bodies import LARGER_UPLOADS, MAX_TEXT_BODY_BYTES
from tests.conftest import csrf_headers
from tests.support.walk import World, changed_tables, table_digest
from tests.test_permissions import endpoints

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


def _writes(app: Flask, *, uploads: bool = False) -> Iterator[tuple[str, str, bool]]:
    """Each endpoint and method that takes a write; for ``uploads``, not those that take larger ones
    (an import: tests/spreadsheets/test_hostile_import_files.py)."""
    larger = app.extensions.get(LARGER_UPLOADS, {}) if uploads else {}
    for endpoint in endpoints(app):
        if endpoint.rule.endpoint in larger:
            continue
        for method in sorted(endpoint.rule.methods & WRITE_METHODS):
            yield endpoint.url, method, endpoint.is_api


def _client(app: Flask, world: World, api: bool) -> Any:
    if api:
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.token}"
        return client
    client = app.test_client(user=world.me)
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, app)["X-CSRFToken"]
    return client


def _walk(
    app: Flask, world: World, send: Any, expected: str, *, pages_only: bool = False, uploads: bool = False
) -> int:
    problems, checked = [], 0
    clients = {api: _client(app, world, api) for api in (False, True)}
    for url, method, api in _writes(app, uploads=uploads):
        if pages_only and api:
            continue
        before = table_digest()
        response = send(clients[api], url, method, api)
        checked += 1
        text = response.get_data(as_text=True)
        if response.status_code != 413:
            problems.append(f"{method} {url}: {response.status_code}, expected 413")
        elif expected not in text:
            problems.append(f"{method} {url}: 413 without saying why ({expected!r})")
        if changed := changed_tables(before, table_digest()):
            problems.append(f"{method} {url}: wrote to {changed}")
    assert not problems, "\n".join(problems)
    return checked


def test_a_form_or_json_body_over_a_megabyte_is_refused_everywhere(app: Flask, world: World) -> None:
    """21 MB of ``a=&a=&...`` would be seven million fields parsed at once; 1 MB and a byte is refused
    before any of it is read."""
    text = "x" * MAX_TEXT_BODY_BYTES

    def send(client: Any, url: str, method: str, api: bool) -> Any:
        if api:
            return client.open(url, method=method, json={"summary": text})
        return client.open(url, method=method, data={"summary": text})

    checked = _walk(app, world, send, "larger than the 1,024 KB a form or an API request may be")
    assert checked > 100


@pytest.fixture
def two_megabyte_uploads(app: Flask) -> Iterator[None]:
    saved = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    yield
    app.config["MAX_CONTENT_LENGTH"] = saved


def test_an_upload_over_the_limit_is_refused_everywhere_and_says_the_limit(
    app: Flask, world: World, two_megabyte_uploads: None
) -> None:
    content = b"x" * (2 * 1024 * 1024)

    def send(client: Any, url: str, method: str, api: bool) -> Any:
        return client.open(
            url, method=method, data={"file": (io.BytesIO(content), "big.txt")}, content_type="multipart/form-data"
        )

    checked = _walk(app, world, send, "Files must be smaller than 1 MB", uploads=True)
    assert checked > 100


def test_a_form_of_more_than_a_thousand_parts_is_refused_on_every_page(app: Flask, world: World) -> None:
    def send(client: Any, url: str, method: str, api: bool) -> Any:
        fields = {f"field_{number}": "x" for number in range(1001)}
        return client.open(url, method=method, data=fields, content_type="multipart/form-data")

    checked = _walk(app, world, send, "more fields than it may", pages_only=True)
    assert checked > 50


class ChunkedBody(EnvironBuilder):
    """A request whose body is sent in chunks, with no Content-Length, as gunicorn hands it on: the
    server says where the body ends (``wsgi.input_terminated``), and nothing says how long it is."""

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
        return environ


def _chunked(client: Any, url: str, method: str, body: bytes, content_type: str) -> Any:
    return client.open(
        ChunkedBody(client.application, url, method=method, input_stream=io.BytesIO(body), content_type=content_type)
    )


def test_a_body_over_a_megabyte_sent_in_chunks_is_refused_everywhere(app: Flask, world: World) -> None:
    """With no Content-Length to refuse it by, the body is refused when reading it passes the limit: it
    was cut at the limit and the first megabyte parsed as if it were all (a form's last fields dropped)."""
    text = b"x" * MAX_TEXT_BODY_BYTES

    def send(client: Any, url: str, method: str, api: bool) -> Any:
        if api:
            return _chunked(client, url, method, b'{"summary": "' + text + b'"}', "application/json")
        return _chunked(client, url, method, b"summary=" + text, "application/x-www-form-urlencoded")

    checked = _walk(app, world, send, "larger than the 1,024 KB a form or an API request may be")
    assert checked > 100


def test_an_upload_over_the_limit_sent_in_chunks_is_refused_everywhere_and_says_the_limit(
    app: Flask, world: World, two_megabyte_uploads: None
) -> None:
    boundary = "walkedboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n".encode()
        + b"x" * (2 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def send(client: Any, url: str, method: str, api: bool) -> Any:
        return _chunked(client, url, method, body, f"multipart/form-data; boundary={boundary}")

    checked = _walk(app, world, send, "Files must be smaller than 1 MB", uploads=True)
    assert checked > 100


def test_a_body_within_the_limit_sent_in_chunks_is_read_whole(app: Flask, world: World) -> None:
    """The limit read as the body comes takes what is within it: a note sent in chunks is saved."""
    client = _client(app, world, api=True)
    note = "A note sent in chunks " + "y" * 19_000
    body = orjson.dumps({"text": note})
    answer = _chunked(client, f"/api/v1/cases/{world.my_case}/notes", "POST", body, "application/json")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.json["text"] == note
