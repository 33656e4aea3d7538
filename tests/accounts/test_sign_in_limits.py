"""Sign-in limits (casework.accounts.sign_in_limits): an office behind one address signs in; guessing
one account's password stops; the limits survive their storage going away.

Each test builds its own app with the limits it needs (the suite's app has generous ones) on the suite's
database and test transaction. Flask-Limiter's extension object is one per process, so the fixture puts
its state back afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from limits import parse_many

from casework import create_app
from casework.audit.models import AuditAction, AuditEntry
from casework.config import defaults as config_defaults
from casework.core.db import dispose_engines
from casework.extensions import db, limiter
from casework.notifications.models import OutboxEmail
from tests.conftest import TEST_PASSWORD, csrf_from
from tests.conftest import test_settings as settings_for_tests

REAL_LIMITS = ("SIGN_IN_ACCOUNT_LIMIT", "SIGN_IN_ADDRESS_LIMIT")


@pytest.fixture
def limited_app(app: Flask, database_url: str, tmp_path: Path, db_session: Any) -> Iterator[Callable[..., Flask]]:
    """``limited_app(**settings)``: an app with the service's own sign-in limits (or the given ones)."""
    saved = dict(vars(limiter))
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        settings = settings_for_tests(database_url, tmp_path)
        for key in REAL_LIMITS:
            settings.pop(key)  # the defaults, as a deployment has them
        limited = create_app({**settings, **overrides, "INSTANCE_PATH": str(tmp_path / "instance")})
        limited.test_client_class = app.test_client_class
        built.append(limited)
        return limited

    yield build
    vars(limiter).clear()
    vars(limiter).update(saved)
    for limited in built:
        with limited.app_context():
            dispose_engines()


def page_sign_in(client: Any, email: str, password: str, **kwargs: Any) -> Any:
    token = csrf_from(client.get("/sign-in", **kwargs).get_data(as_text=True))
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token}, **kwargs)


def api_sign_in(client: Any, email: str, password: str, **kwargs: Any) -> Any:
    return client.post("/api/v1/auth/tokens", json={"email": email, "password": password}, **kwargs)


def lock_emails() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key.like("sign-in-locked:%"))))


def test_the_default_address_limit_lets_200_staff_each_mistype_once_in_10_minutes(tmp_path) -> None:
    """Only failures count per address; the default must allow one failure each for 200 people behind
    one NAT address in 10 minutes, in every window it sets."""
    for item in parse_many(config_defaults(str(tmp_path))["SIGN_IN_ADDRESS_LIMIT"]):
        allowed_in_10_minutes = item.amount * max(1, 600 // item.get_expiry())
        assert allowed_in_10_minutes > 200, item


def test_forty_users_sign_in_from_one_address_within_a_minute(limited_app, make) -> None:
    app = limited_app()
    agency = make.agency(areas=[make.area()])
    users = [make.user("officer", agency=agency) for _ in range(40)]
    # Within one minute as the limits see it, however slowly this machine hashes passwords.
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1), tick=False):
        for index, user in enumerate(users):
            client = app.test_client()
            # Some mistype their password first; successes never count.
            if index % 4 == 0:
                assert page_sign_in(client, user.email, "not my password").status_code == 422
            if index % 2:
                assert api_sign_in(client, user.email, TEST_PASSWORD).status_code == 201
            else:
                response = page_sign_in(client, user.email, TEST_PASSWORD)
                assert response.status_code == 302, response.get_data(as_text=True)
                assert client.get("/").status_code == 200


def test_fifteen_wrong_passwords_lock_one_account_while_the_others_sign_in(limited_app, make) -> None:
    app = limited_app()
    agency = make.agency(areas=[make.area()])
    target = make.user("officer", agency=agency, email="target@example.org")
    others = [make.user("officer", agency=agency) for _ in range(3)]
    client = app.test_client()
    failures = 0
    waits: list[int] = []
    start = datetime.now(UTC) + timedelta(days=1)
    with time_machine.travel(start, tick=False) as clock:
        while failures < 15:
            # Alternate the page and the API: they share the count.
            send = page_sign_in if failures % 2 else api_sign_in
            response = send(client, target.email, "a wrong password")
            if response.status_code == 429:
                wait = int(response.headers["Retry-After"])
                waits.append(wait)
                clock.shift(timedelta(seconds=wait + 1))
                continue
            assert response.status_code in (401, 422)
            failures += 1
        # Growing delays: after 5 failures a minute at most, after 10 up to a quarter of an hour.
        assert len(waits) == 2
        assert 0 < waits[0] <= 61
        assert 61 < waits[1] <= 15 * 60 + 1

        # Locked: refused even with the right password, on both ways in, for up to an hour.
        refused = page_sign_in(client, target.email, TEST_PASSWORD)
        assert refused.status_code == 429
        assert "Too many failed attempts" in refused.get_data(as_text=True)
        assert 15 * 60 < int(refused.headers["Retry-After"]) <= 60 * 60 + 1
        api_refused = api_sign_in(app.test_client(), target.email, TEST_PASSWORD)
        assert api_refused.status_code == 429
        assert "Retry-After" in api_refused.headers
        assert "token" not in api_refused.get_json()

        # Everyone else signs in from the same address.
        for user in others:
            assert api_sign_in(app.test_client(), user.email, TEST_PASSWORD).status_code == 201
            assert page_sign_in(app.test_client(), user.email, TEST_PASSWORD).status_code == 302

        # The account holder was told, once.
        [email] = lock_emails()
        assert email.to_address == "target@example.org"
        assert "locked" in email.subject

        # The lock ends on its own.
        clock.shift(timedelta(seconds=int(refused.headers["Retry-After"]) + 1))
        assert page_sign_in(app.test_client(), target.email, TEST_PASSWORD).status_code == 302
    assert len(lock_emails()) == 1


def test_an_unknown_address_is_counted_and_refused_the_same_way(limited_app, make) -> None:
    app = limited_app(SIGN_IN_ACCOUNT_LIMIT="3 per hour")
    client = app.test_client()
    statuses = [api_sign_in(client, "Nobody@Example.org", "guess").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    # The same address, however it is written, is the same count.
    assert page_sign_in(client, " nobody@example.ORG", "guess").status_code == 429
    assert lock_emails() == []  # no account, nobody to tell


def test_successes_do_not_count_but_failures_from_one_address_do(limited_app, make) -> None:
    app = limited_app(SIGN_IN_ADDRESS_LIMIT="3 per 10 minutes")
    agency = make.agency(areas=[make.area()])
    users = [make.user("officer", agency=agency) for _ in range(8)]
    for user in users[:5]:
        assert api_sign_in(app.test_client(), user.email, TEST_PASSWORD).status_code == 201
    for user in users[5:]:
        assert api_sign_in(app.test_client(), user.email, "wrong").status_code == 401
    # Three failures from this address in ten minutes: now every attempt from it waits.
    refused = api_sign_in(app.test_client(), users[0].email, TEST_PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # Another client address is not affected.
    other = {"REMOTE_ADDR": "192.0.2.44"}
    assert api_sign_in(app.test_client(), users[0].email, TEST_PASSWORD, environ_base=other).status_code == 201


def test_attempts_that_never_check_a_password_give_their_place_back(limited_app, make) -> None:
    """Each attempt takes its place in the limits before the password is checked: one that checks none
    (a form sent incomplete, a body the API refuses, an attempt the limits refuse) gives it back."""
    app = limited_app(SIGN_IN_ACCOUNT_LIMIT="2 per hour", SIGN_IN_ADDRESS_LIMIT="2 per 10 minutes")
    user = make.user("officer")
    client = app.test_client()
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    for _ in range(3):
        assert client.post("/sign-in", data={"email": user.email, "csrf_token": token}).status_code == 422
        assert client.post("/api/v1/auth/tokens", json={"email": user.email}).status_code == 422
    assert [api_sign_in(client, user.email, "wrong").status_code for _ in range(3)] == [401, 401, 429]
    # Refused again and again on one limit, the attempts took no place in the other either: another
    # address's attempts for the account are refused by the account's limit alone, and once it has
    # gone, this address's attempt for another account goes through.
    other = {"REMOTE_ADDR": "192.0.2.44"}
    for _ in range(3):
        assert api_sign_in(app.test_client(), user.email, TEST_PASSWORD, environ_base=other).status_code == 429
    guesses = [api_sign_in(app.test_client(), "someone@example.org", "x", environ_base=other) for _ in range(3)]
    assert [response.status_code for response in guesses] == [401, 401, 429]


@pytest.mark.parametrize("proxies", [0, 1])
def test_trusted_proxies_decide_whose_address_is_limited_and_audited(limited_app, make, proxies) -> None:
    app = limited_app(SIGN_IN_ADDRESS_LIMIT="2 per 10 minutes", TRUSTED_PROXIES=proxies)
    user = make.user("officer")

    def attempt(client_address: str, secret: str) -> int:
        headers = {"X-Forwarded-For": client_address, "X-Forwarded-Proto": "https"}
        return api_sign_in(app.test_client(), user.email, secret, headers=headers).status_code

    assert [attempt("203.0.113.7", "wrong"), attempt("203.0.113.7", "wrong")] == [401, 401]
    if proxies:
        # The proxy's X-Forwarded-For names the client: another client behind the proxy is not limited.
        assert attempt("203.0.113.8", TEST_PASSWORD) == 201
        assert attempt("203.0.113.7", TEST_PASSWORD) == 429
    else:
        # No proxy is trusted: the header is the client's own claim and is ignored.
        assert attempt("203.0.113.8", TEST_PASSWORD) == 429
    db.session.expire_all()
    addresses = set(
        db.session.scalars(sa.select(AuditEntry.ip_address).where(AuditEntry.action == AuditAction.sign_in_failed))
    )
    assert addresses == ({"203.0.113.7"} if proxies else {"127.0.0.1"})


def test_limits_fall_back_to_memory_when_redis_stops(limited_app, make, caplog) -> None:
    """Real Redis: counters live there while it runs; once it stops, the limits are counted in memory
    (and that is logged): never a 500, never no limit."""
    import redis

    from tests.support.services import ThrowawayRedis, find_redis_server, unavailable

    binary = find_redis_server()
    if binary is None:
        unavailable("redis", "Redis not installed (no redis-server found)")
    server = ThrowawayRedis(binary)
    server.start(redis)
    try:
        # The limiter's storage follows a Redis broker; nothing else is set.
        app = limited_app(BROKER_URL=server.url, RATELIMIT_STORAGE_URI=None, SIGN_IN_ACCOUNT_LIMIT="4 per hour")
        assert app.config["RATELIMIT_STORAGE_URI"] == server.url
        user = make.user("officer")
        other = make.user("officer")
        client = app.test_client()
        assert [api_sign_in(client, user.email, "wrong").status_code for _ in range(2)] == [401, 401]
        keys = redis.Redis.from_url(server.url).keys("*casework*")
        assert keys, "the counts are kept in Redis"

        server.stop()
        with caplog.at_level(logging.WARNING):
            statuses = [api_sign_in(client, user.email, "wrong").status_code for _ in range(5)]
        # Counted afresh in memory: four failures, then refused. No 500.
        assert statuses == [401, 401, 401, 401, 429]
        assert any("falling back to in-memory storage" in record.getMessage() for record in caplog.records)
        assert api_sign_in(client, user.email, TEST_PASSWORD).status_code == 429
        assert api_sign_in(app.test_client(), other.email, TEST_PASSWORD).status_code == 201
        assert page_sign_in(app.test_client(), other.email, TEST_PASSWORD).status_code == 302
    finally:
        server.stop()


def test_wrong_passwords_given_to_change_the_second_factor_count_toward_the_lock(limited_app, make) -> None:
    import pyotp

    from casework.accounts import second_factor
    from casework.core.time import now

    app = limited_app(SIGN_IN_ACCOUNT_LIMIT="3 per hour")
    user = make.user("officer", email="holder@example.org")
    secret = second_factor.new_secret()
    second_factor.store_secret(user, secret)
    user.second_factor_enabled_at = now()
    db.session.commit()
    client = app.test_client()
    assert page_sign_in(client, user.email, TEST_PASSWORD).headers["Location"] == "/sign-in/code"
    token = csrf_from(client.get("/sign-in/code").get_data(as_text=True))
    assert client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token}).status_code == 302

    path = "/account/second-factor/turn-off"
    token = csrf_from(client.get(path).get_data(as_text=True))
    statuses = [client.post(path, data={"password": "a guess", "csrf_token": token}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    # The account is locked: the right password is refused here and on the sign-in page alike.
    assert client.post(path, data={"password": TEST_PASSWORD, "csrf_token": token}).status_code == 429
    other = "/account/second-factor/recovery-codes"
    assert client.post(other, data={"password": TEST_PASSWORD, "csrf_token": token}).status_code == 429
    assert page_sign_in(app.test_client(), user.email, TEST_PASSWORD).status_code == 429
    db.session.expire_all()
    assert db.session.get(type(user), user.id).has_second_factor
    [email] = lock_emails()
    assert email.to_address == "holder@example.org"


def signed_in_with_second_factor(app: Flask, make: Any) -> Any:
    """A client signed in (password and code) as a user with a second factor, and the user."""
    import pyotp

    from casework.accounts import second_factor
    from casework.core.time import now

    user = make.user("officer", email="holder@example.org")
    secret = second_factor.new_secret()
    second_factor.store_secret(user, secret)
    user.second_factor_enabled_at = now()
    db.session.commit()
    client = app.test_client()
    assert page_sign_in(client, user.email, TEST_PASSWORD).headers["Location"] == "/sign-in/code"
    token = csrf_from(client.get("/sign-in/code").get_data(as_text=True))
    assert client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token}).status_code == 302
    return client, user


def text_of(response: Any) -> str:
    """The page's words, whatever the line breaks of its template."""
    return " ".join(response.get_data(as_text=True).split())


CONFIRM_PAGES = [
    ("/account/second-factor/turn-off", "Turn off the second factor", "Your second factor is still on."),
    ("/account/second-factor/recovery-codes", "Make new recovery codes", "Your recovery codes have not changed."),
    ("/account/password", "Change your password", "Your password has not changed."),
]
#: What each page's form sends beside the password (the password page's new one).
CONFIRM_PAGE_FIELDS = {"/account/password": {"new_password": "violet harbour lantern quietly"}}


@pytest.mark.parametrize(("path", "change", "unchanged"), CONFIRM_PAGES, ids=["turn-off", "recovery-codes", "password"])
def test_a_locked_account_is_told_so_in_the_words_of_the_page_asking_for_the_password(
    limited_app, make, path, change, unchanged
) -> None:
    app = limited_app(SIGN_IN_ACCOUNT_LIMIT="3 per 15 minutes")
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1), tick=False):
        client, user = signed_in_with_second_factor(app, make)
        token = csrf_from(client.get(path).get_data(as_text=True))
        fields = {"csrf_token": token, **CONFIRM_PAGE_FIELDS.get(path, {})}
        statuses = [client.post(path, data={"password": "a guess", **fields}).status_code for _ in range(3)]
        assert statuses == [422, 422, 422]

        refused = client.post(path, data={"password": TEST_PASSWORD, **fields})
        # Signed in they stay.
        still_signed_in = client.get("/account").status_code

    assert refused.status_code == 429
    assert still_signed_in == 200
    minutes = 15
    text = text_of(refused)
    assert f'<h1 class="govuk-heading-l">Your account is locked for {minutes} minutes</h1>' in text
    assert "the wrong password was entered for your account too many times" in text
    assert change in text
    assert f"{unchanged} You are still signed in and can carry on using Casework." in text
    assert f"Wait {minutes} minutes, then try again to {change.lower()}." in text
    assert "Tell your Casework administrator" in text
    # Not the sign-in page's form or wording: the user is signed in.
    assert "Too many failed attempts to sign in" not in text
    assert 'name="email"' not in text
    db.session.expire_all()
    assert db.session.get(type(user), user.id).has_second_factor


@pytest.mark.parametrize(("path", "change", "unchanged"), CONFIRM_PAGES, ids=["turn-off", "recovery-codes", "password"])
def test_a_network_over_its_limit_is_told_to_wait_on_the_page_asking_for_the_password(
    limited_app, make, path, change, unchanged
) -> None:
    app = limited_app(SIGN_IN_ADDRESS_LIMIT="2 per 10 minutes")
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1), tick=False):
        client, _user = signed_in_with_second_factor(app, make)
        token = csrf_from(client.get(path).get_data(as_text=True))
        for _ in range(2):
            assert api_sign_in(app.test_client(), "someone@example.org", "a guess").status_code == 401

        fields = {"csrf_token": token, **CONFIRM_PAGE_FIELDS.get(path, {})}
        refused = client.post(path, data={"password": TEST_PASSWORD, **fields})

    assert refused.status_code == 429
    minutes = 10
    text = text_of(refused)
    assert f"Wait {minutes} minutes before you try again</h1>" in text
    assert "too many wrong passwords were entered from your network" in text
    # The account itself is not locked, and is not said to be.
    assert "Your account is locked" not in text
    assert f"{unchanged} You are still signed in" in text
    assert f"then try again to {change.lower()}." in text


def test_refused_on_the_code_page_the_sign_in_form_signs_in_afresh(limited_app, make) -> None:
    import pyotp

    from casework.accounts import second_factor
    from casework.core.time import now

    app = limited_app(SIGN_IN_ACCOUNT_LIMIT="2 per hour")
    user = make.user("officer")
    secret = second_factor.new_secret()
    second_factor.store_secret(user, secret)
    user.second_factor_enabled_at = now()
    db.session.commit()
    client = app.test_client()
    assert page_sign_in(client, user.email, TEST_PASSWORD).headers["Location"] == "/sign-in/code"
    token = csrf_from(client.get("/sign-in/code").get_data(as_text=True))
    wrong = str((int(pyotp.TOTP(secret).now()) + 1) % 1_000_000).zfill(6)
    for _ in range(2):
        assert client.post("/sign-in/code", data={"code": wrong, "csrf_token": token}).status_code == 422

    refused = client.post("/sign-in/code", data={"code": wrong, "csrf_token": token})

    assert refused.status_code == 429
    text = text_of(refused)
    assert "Too many failed attempts to sign in" in text
    # The form asks for the email address and password: it posts them to the sign-in page, not back to
    # the code page (whose own form takes a code).
    assert '<form method="post" novalidate action="/sign-in">' in text
