"""The Prefer request header (RFC 7240) as ``casework.core.prefer`` reads it."""

from __future__ import annotations

import pytest
from flask import Flask, Response

from casework.core import prefer


@pytest.mark.parametrize(
    ("headers", "stated"),
    [
        ([], set()),
        ([("Prefer", "respond-async")], {"respond-async"}),
        ([("Prefer", "Respond-Async")], {"respond-async"}),  # names are case-insensitive
        ([("Prefer", "respond-async, wait=10")], {"respond-async", "wait"}),
        ([("Prefer", "return=minimal"), ("Prefer", "respond-async; x=1")], {"return", "respond-async"}),
        ([("Prefer", 'foo="a, respond-async", bar')], {"foo", "bar"}),  # a quoted value is not a name
        ([("Prefer", " , ;, =")], set()),
    ],
)
def test_the_stated_preferences_are_read_by_name(headers: list[tuple[str, str]], stated: set[str]) -> None:
    app = Flask(__name__)
    with app.test_request_context(headers=headers):
        assert prefer.preferences() == stated
        assert prefer.prefers(prefer.RESPOND_ASYNC) == ("respond-async" in stated)


def test_an_applied_preference_is_said_and_the_answer_varies_by_it() -> None:
    applied = prefer.applied(Response(), prefer.RESPOND_ASYNC)
    assert applied.headers["Preference-Applied"] == "respond-async"
    assert "Prefer" in applied.vary
    ignored = prefer.may_vary(Response())
    assert "Preference-Applied" not in ignored.headers
    assert "Prefer" in ignored.vary
