"""A form that makes a secret shown once, sent twice, makes it once.

New recovery codes, the recovery codes of a second factor set up, a private calendar link and an API
token are shown in the answer to the request that made them and kept nowhere else (only their digests).
A second sending of the same form (a reload of the answer, the browser sending it again after a
timeout, a second press with JavaScript off) used to make a second one: the first, shown and being
written down, stopped working. Each such view is marked ``@submissions.shows_once``; this walks every
one of them (``SENDINGS``, found by where the service makes a secret it shows: ``secrets.token_*`` and
the recovery codes) and sends its form twice, with the same submission key (the API's: the same
``Idempotency-Key``). The second sending must make nothing, write nothing, and say so; the secret the
first showed must still work; and no row of ``submission_keys`` may hold it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import url_for
from werkzeug.datastructures import MultiDict

from casework.core.submissions import ALREADY_SAVED, FIELD, SubmissionKey, shown_once
from casework.extensions import db
from tests.accounts.test_second_factor import code_at, set_up, token_for
from tests.conftest import TEST_PASSWORD
from tests.support.walk import changed_tables, table_digest
from tests.test_forms_sent_twice import FormParser, Values, fill

_CODE = re.compile(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>")
_FEED = re.compile(r'id="calendar-feed-url">https?://[^/<]+(/[^<]+)</code>')


def _form_fields(client: Any, page: str, action: str, html: str | None = None) -> list[tuple[str, str]]:
    """The hidden fields of the form on ``page`` (its ``html``, when already opened) that posts to
    ``action``, as the browser sends them."""
    html = html if html is not None else client.get(page).get_data(as_text=True)
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if form.method == "post" and (form.action or page) == action:
            return [(name, attrs.get("value") or "") for name, attrs in form.fields if attrs.get("type") == "hidden"]
    raise AssertionError(f"no form on {page} posts to {action}")


@dataclass
class Sending:
    """One form (or API request) that makes a secret shown once, ready to be sent as a browser sends it."""

    #: The browser (or API client) that sends it.
    client: Any
    #: Where it is sent: a form of the answer without an action of its own posts here too.
    path: str
    send: Callable[[], Any]
    #: The secret in the first answer.
    secret_of: Callable[[Any], str]
    #: Whether the secret still works.
    works: Callable[[str], bool]


def _recovery_codes_shown(app: Any, user: Any, client: Any, path: str, fields: list[tuple[str, str]]) -> Sending:
    """A form on ``path`` whose answer shows recovery codes: the secret is the first, tried by signing in
    to the API with it."""
    return Sending(
        client,
        path,
        lambda: client.post(path, data=MultiDict(fields)),
        lambda answer: _CODE.findall(answer.get_data(as_text=True))[0],
        lambda code: token_for(app.test_client(), user.email, code).status_code == 201,
    )


def _new_recovery_codes(app: Any, make: Any, page_client: Any, _api_client: Any) -> Sending:
    user = make.user("officer", email="rory@example.org")
    client = page_client(user)
    set_up(client)
    path = "/account/second-factor/recovery-codes"
    return _recovery_codes_shown(
        app, user, client, path, [*_form_fields(client, path, path), ("password", TEST_PASSWORD)]
    )


def _second_factor_set_up(app: Any, make: Any, page_client: Any, _api_client: Any) -> Sending:
    user = make.user("officer", email="sade@example.org")
    client = page_client(user)
    path = "/account/second-factor"
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'class="[^"]*app-secret-key[^"]*">([A-Z2-7 ]+)<', html)
    assert found is not None
    fields = [*_form_fields(client, path, path, html), ("code", code_at(found.group(1).replace(" ", "")))]
    return _recovery_codes_shown(app, user, client, path, fields)


def _calendar_link(app: Any, make: Any, page_client: Any, _api_client: Any) -> Sending:
    client = page_client(make.user("officer"))
    fields = _form_fields(client, "/notifications", "/notifications/calendar")
    return Sending(
        client,
        "/notifications/calendar",
        lambda: client.post("/notifications/calendar", data=MultiDict(fields)),
        lambda answer: _FEED.search(answer.get_data(as_text=True)).group(1),
        lambda feed: app.test_client().get(feed).status_code == 200,
    )


def _api_token(app: Any, make: Any, _page_client: Any, api_client: Any) -> Sending:
    """A client with a token asking for a fresh one before it expires, with an ``Idempotency-Key`` (without
    a token the request has no user, and the key is not taken: each request makes a token of its own)."""
    user = make.user("officer", email="tobi@example.org")
    client = api_client(user)
    body = {"email": user.email, "password": TEST_PASSWORD}
    headers = {"Idempotency-Key": "a-fresh-token-please"}
    return Sending(
        client,
        "/api/v1/auth/tokens",
        lambda: client.post("/api/v1/auth/tokens", json=body, headers=headers),
        lambda answer: answer.get_json()["token"],
        lambda token: (
            app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        ),
    )


#: Each view marked ``@shows_once``, and how its form is made ready to send.
SENDINGS: dict[str, Callable[..., Sending]] = {
    "staff.accounts.recovery_codes": _new_recovery_codes,
    "staff.accounts.second_factor_set_up": _second_factor_set_up,
    "staff.reminders.create_calendar_link": _calendar_link,
    "api.accounts.create_token": _api_token,
}


def _everything() -> dict[str, str]:
    db.session.expire_all()
    return table_digest()


@pytest.mark.parametrize("endpoint", list(SENDINGS))
def test_a_second_sending_makes_no_second_secret_and_the_first_still_works(
    app, make, page_client, api_client, endpoint
) -> None:
    sending = SENDINGS[endpoint](app, make, page_client, api_client)
    first = sending.send()
    assert 200 <= first.status_code < 300, first.get_data(as_text=True)[:500]
    secret = sending.secret_of(first)
    before = _everything()

    second = sending.send()

    assert changed_tables(before, _everything()) == [], "the second sending wrote"
    assert secret not in second.get_data(as_text=True)
    shown = shown_once(endpoint)
    assert shown is not None, f"{endpoint} is not marked @shows_once"
    if endpoint.startswith("api."):
        assert second.status_code == 409
        assert second.get_json()["errors"]["Idempotency-Key"] == [shown.notice]
    else:
        assert shown.then is not None
        with app.test_request_context():
            then = url_for(shown.then)
        assert (second.status_code, second.location) == (303, then)
        assert shown.notice in sending.client.get(then).get_data(as_text=True)
    assert sending.works(secret), "the secret the first sending showed no longer works"
    kept = db.session.execute(sa.select(SubmissionKey.location, SubmissionKey.answer)).all()
    assert not any(secret in (location or "") + (answer or "") for location, answer in kept), "the secret is kept"


def test_every_view_marked_shows_once_is_walked(app) -> None:
    with app.test_request_context():
        marked = {endpoint for endpoint in app.view_functions if shown_once(endpoint) is not None}
    assert marked == set(SENDINGS)


def _keyed_forms(answer: Any) -> list[Any]:
    """The forms of ``answer`` that post with a submission key."""
    parser = FormParser()
    parser.feed(answer.get_data(as_text=True))
    return [form for form in parser.forms if form.method == "post" and any(name == FIELD for name, _ in form.fields)]


@pytest.mark.parametrize("endpoint", [endpoint for endpoint in SENDINGS if not endpoint.startswith("api.")])
def test_the_forms_of_the_page_showing_the_secret_are_new_forms(app, make, page_client, api_client, endpoint) -> None:
    """The page that shows the secret may hold other forms (the calendar link's is the settings page, with
    the delivery settings, another link and turning it off), built from the request that made the secret.
    They carried the key that request was sent with, which is kept: each of them, sent, was answered as the
    first sending ("already made") and did nothing, so the link just made could not be turned off from the
    page showing it. And a form there without an action of its own posts to the view that made the secret
    (the answer's address), whatever its button says: the settings' "Save" made another link. Every form
    of the answer that carries a key is sent here, as the browser sends it: none may post back to the view
    unless it names it, and none may be answered as another sending."""
    sending = SENDINGS[endpoint](app, make, page_client, api_client)
    first = sending.send()
    assert 200 <= first.status_code < 300
    shown = shown_once(endpoint)
    assert shown is not None
    values = Values(email="walker@example.org", case_reference="")
    for form in _keyed_forms(first):
        assert form.action, f"a form of {endpoint}'s answer has no action: it posts to {sending.path}"
        answer = sending.client.post(form.action, data=MultiDict(fill(form, values)))
        said = answer.get_data(as_text=True)
        if answer.location:
            said += sending.client.get(answer.location).get_data(as_text=True)
        assert ALREADY_SAVED not in said, f"{form.action} was answered as already saved"
        assert shown.notice not in said, f"{form.action} was answered as {endpoint}'s first sending"


def test_the_calendar_link_just_made_is_turned_off_and_the_settings_saved_from_the_page_showing_it(
    app, make, page_client, api_client
) -> None:
    """What the walk above checks, as the user meets it: the link just made, the delivery settings are
    saved from the page showing it (and the link still works), then the link is turned off there."""
    sending = _calendar_link(app, make, page_client, api_client)
    first = sending.send()
    feed = sending.secret_of(first)
    forms = {form.action: form for form in _keyed_forms(first)}
    settings = fill(forms["/notifications"], Values(email="", case_reference=""))
    settings = [(name, "digest_only" if name == "delivery" else value) for name, value in settings]
    assert sending.client.post("/notifications", data=MultiDict(settings)).status_code in (302, 303)
    assert sending.works(feed), "saving the settings made another link"
    saved = FormParser()
    saved.feed(sending.client.get("/notifications").get_data(as_text=True))
    checked = [attrs.get("value") for form in saved.forms for name, attrs in form.fields if "checked" in attrs]
    assert checked == ["digest_only"], "the settings were not saved"
    revoke = fill(forms["/notifications/calendar/revoke"], Values(email="", case_reference=""))
    assert sending.client.post("/notifications/calendar/revoke", data=MultiDict(revoke)).status_code in (302, 303)
    assert not sending.works(feed), "the link was not turned off"


@pytest.mark.parametrize("endpoint", [endpoint for endpoint in SENDINGS if not endpoint.startswith("api.")])
def test_after_a_second_sending_the_user_can_make_a_new_secret_where_they_land(
    app, make, page_client, api_client, endpoint
) -> None:
    """With JavaScript off, a second press of the button sends the form again before the first answer is
    shown: the browser drops that answer, the only one that shows the secret, and shows the second's. The
    user lands on the page ``then`` with the notice alone, having never seen the secret the first made
    (new recovery codes: and their old ones stopped working). The notice must not say the secret was shown
    to them, must say that the first one works and what to do if its page did not appear, and the page must
    make a new one in one step: a form there, sent once with what the user types, shows a new secret that
    works (and the one they never saw stops working)."""
    sending = SENDINGS[endpoint](app, make, page_client, api_client)
    never_seen = sending.secret_of(sending.send())
    second = sending.send()
    assert second.status_code == 303
    landing = sending.client.get(second.location)
    html = landing.get_data(as_text=True)
    shown = shown_once(endpoint)
    assert shown is not None
    assert shown.notice in html
    adapter = app.url_map.bind("localhost")
    remaking = [
        form
        for form in _keyed_forms(landing)
        if shown_once(adapter.match(form.action or second.location, method="POST")[0]) is not None
    ]
    assert len(remaking) == 1, f"the page a second sending of {endpoint} lands on makes no new secret"
    assert "did not appear" in shown.notice, "the notice does not say what to do when the first page was not seen"
    assert "and shown then" not in shown.notice, "the notice says the secret was shown: the browser may have dropped it"
    form = remaking[0]
    fields = [
        (name, TEST_PASSWORD if name == "password" else value)
        for name, value in fill(form, Values(email="", case_reference=""))
    ]
    made = sending.client.post(form.action or second.location, data=MultiDict(fields))
    assert made.status_code == 200, made.get_data(as_text=True)[:500]
    new_secret = sending.secret_of(made)
    assert new_secret != never_seen
    assert sending.works(new_secret)
    assert not sending.works(never_seen)
