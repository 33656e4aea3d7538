"""JSON answers (casework/core/json_provider.py) carry what Flask's own provider wrote: the same values,
keys sorted, dates as Flask writes them; only the bytes of characters outside ASCII differ (UTF-8, not
``\\u`` escapes)."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import UTC, date, datetime

from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from casework.core.json_provider import OrjsonProvider


@dataclasses.dataclass
class Point:
    x: int
    when: date


VALUES = {
    "text": "Élodie Martin, 12 Rue des Écoles",
    "when": datetime(2026, 12, 5, 9, 30, tzinfo=UTC),
    "day": date(2026, 12, 5),
    "amount": decimal.Decimal("100.50"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "point": Point(3, date(2026, 1, 2)),
    "markup": Markup("<b>bold</b>"),
    "nested": [{"b": 1, "a": [None, True, 1.5]}],
    "huge": 2**70,
}


def test_an_answer_reads_as_flasks_own(app):
    ours, flasks = OrjsonProvider(app), DefaultJSONProvider(app)
    with app.test_request_context():
        answer, expected = ours.response(VALUES), flasks.response(VALUES)
    assert answer.mimetype == expected.mimetype == "application/json"
    assert json.loads(answer.get_data()) == json.loads(expected.get_data())
    assert json.loads(ours.dumps(VALUES)) == json.loads(flasks.dumps(VALUES))
    assert answer.get_data().endswith(b"\n")


def test_keys_are_sorted_and_text_is_utf8(app):
    ours = OrjsonProvider(app)
    with app.test_request_context():
        body = ours.response({"b": "É", "a": 1}).get_data()
    assert body == '{"a":1,"b":"É"}\n'.encode()


def test_dates_are_written_as_flask_writes_them(app):
    ours = OrjsonProvider(app)
    assert json.loads(ours.dumps({"when": VALUES["when"]})) == {"when": "Sat, 05 Dec 2026 09:30:00 GMT"}


def test_arguments_for_the_standard_library_are_honoured(app):
    assert OrjsonProvider(app).dumps({"a": 1}, indent=2) == '{\n  "a": 1\n}'


def test_the_api_answers_through_it(api_client, make):
    user = make.user("officer", name="Élodie Officer")
    response = api_client(user).get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["name"] == "Élodie Officer"
    # Written by orjson: UTF-8, where the standard library would have written "\u00c9lodie".
    assert "Élodie Officer".encode() in response.get_data()
