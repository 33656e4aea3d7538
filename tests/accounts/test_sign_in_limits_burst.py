"""Sign-in limits (casework.accounts.sign_in_limits) hold under a burst of simultaneous attempts: wrong
passwords on the sign-in page, wrong codes on the second-factor page and on ``POST /api/v1/auth/tokens``,
wrong passwords on a page that asks for the password again, and wrong passwords for many addresses
from one client address; in the embedded memory storage and in Redis.

The race is staged so that it is hit every time: every attempt of the burst is sent at once from its own
thread, and each waits at the end of its request (an ``after_request`` function of the test's app) until
all the others have got there too. A limit tested before the request and counted after the answer lets
the whole burst through; one that each attempt takes its place in first lets through only as many as
it allows. The app has a SQLite database of its own, so that the threads' requests run on connections
of their own (the suite's test transaction is one connection).
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask, request

from casework import create_app
from casework.core.db import dispose_engines
from casework.extensions import db, limiter
from casework.notifications.models import OutboxEmail
from tests.conftest import TEST_PASSWORD, csrf_from

#: Attempts sent at once, and the per-account limit they race against.
BURST = 8
LIMIT = 3


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with the schema and an agency, copied for each test."""
    from flask_migrate import upgrade

    from casework.accounts import services as accounts
    from casework.core.db import commit

    saved = dict(vars(limiter))
    folder = tmp_path_factory.mktemp("burst")
    path = folder / "casework.sqlite"
    app = create_app(settings(folder, f"sqlite:///{path}", "memory://"))
    with app.app_context():
        upgrade()
        accounts.create_area(None, "BOL", "Bolsover")
        accounts.create_agency(None, "BDC", "Bolsover District Council", "council", ["BOL"])
        commit()
        dispose_engines()
    vars(limiter).clear()
    vars(limiter).update(saved)
    return path


def settings(folder: Path, database_url: str, storage: str) -> dict[str, Any]:
    return {
        "ENV": "testing",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(folder / "instance"),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-production",
        "BROKER_URL": "memory://",
        "CELERY_ALWAYS_EAGER": True,
        "MAIL_DIR": str(folder / "mail"),
        "RATELIMIT_STORAGE_URI": storage,
        "SIGN_IN_ACCOUNT_LIMIT": f"{LIMIT} per hour",
        "SIGN_IN_ADDRESS_LIMIT": "10000 per minute",
    }


class Burst:
    """The app under test, and ``send``: the same attempt from many threads at once."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.barrier: threading.Barrier | None = None

        @app.after_request
        def wait_for_the_others(response: Any) -> Any:
            if self.barrier is not None and request.method == "POST":
                # The request's transaction (a read after the view's commit, on a POST a write
                # transaction on SQLite) ends before the wait rather than at its end: a waiting request
                # must not hold the database's write lock that the others need.
                db.session.close()
                self.barrier.wait()
            return response

    def send(self, attempts: list[Callable[[], Any]]) -> Counter[int]:
        """Run every attempt at once, each on its own thread; their answers' statuses."""
        self.barrier = threading.Barrier(len(attempts), timeout=120)
        statuses: list[int] = []
        errors: list[BaseException] = []

        def run(attempt: Callable[[], Any]) -> None:
            try:
                statuses.append(attempt().status_code)
            except BaseException as error:  # reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(180)
        finally:
            self.barrier = None
        assert not errors, errors
        assert len(statuses) == len(attempts)
        return Counter(statuses)

    def user(self, email: str, *, second_factor: bool = False) -> str:
        """A user with this address (and a second factor), committed; the second factor's secret."""
        from casework.accounts import second_factor as factor
        from casework.accounts import services as accounts
        from casework.accounts.models import Agency
        from casework.core.db import commit
        from casework.core.time import now

        with self.app.app_context():
            agency = db.session.scalars(sa.select(Agency)).one()
            user = accounts.create_user(
                None, email=email, name="Burst Target", password=TEST_PASSWORD, agency=agency, roles=["officer"]
            )
            secret = factor.new_secret()
            if second_factor:
                factor.store_secret(user, secret)
                user.second_factor_enabled_at = now()
            commit()
        return secret

    def lock_emails(self) -> list[str]:
        with self.app.app_context():
            query = sa.select(OutboxEmail.to_address).where(OutboxEmail.idempotency_key.like("sign-in-locked:%"))
            return list(db.session.scalars(query))

    def clients_sharing_the_session_of(self, client: Any, count: int) -> list[Any]:
        """``count`` clients with ``client``'s session cookie (one browser's session, many requests)."""
        cookie = client.get_cookie("casework_session")
        clients = []
        for _ in range(count):
            other = self.app.test_client()
            other.set_cookie(cookie.key, cookie.value)
            clients.append(other)
        return clients


@pytest.fixture(params=["memory", "redis"])
def burst(request: pytest.FixtureRequest, migrated_database: Path, tmp_path: Path) -> Iterator[Burst]:
    """An app with small sign-in limits on a database of its own, counting in memory or in real Redis."""
    storage = "memory://"
    if request.param == "redis":
        import redis

        # A database of Redis's own, emptied: the suite's other users of the server keep theirs.
        storage = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/13"
        redis.Redis.from_url(storage).flushdb()
    path = tmp_path / "casework.sqlite"
    shutil.copyfile(migrated_database, path)
    saved = dict(vars(limiter))
    app = create_app(settings(tmp_path, f"sqlite:///{path}", storage))
    try:
        yield Burst(app)
    finally:
        vars(limiter).clear()
        vars(limiter).update(saved)
        with app.app_context():
            dispose_engines()


def wrong_code(secret: str) -> str:
    return str((int(pyotp.TOTP(secret).now()) + 1) % 1_000_000).zfill(6)


def test_a_burst_of_wrong_passwords_on_the_sign_in_page_gets_no_more_than_the_limit(burst) -> None:
    burst.user("page@example.org")
    clients = [burst.app.test_client() for _ in range(BURST)]
    tokens = [csrf_from(client.get("/sign-in").get_data(as_text=True)) for client in clients]

    def attempt(client: Any, token: str) -> Callable[[], Any]:
        form = {"email": "page@example.org", "password": "a guess", "csrf_token": token}
        return lambda: client.post("/sign-in", data=form)

    statuses = burst.send([attempt(client, token) for client, token in zip(clients, tokens, strict=True)])

    assert statuses == {422: LIMIT, 429: BURST - LIMIT}
    # Locked: the right password is refused, and the account holder was told once.
    client = burst.app.test_client()
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    form = {"email": "page@example.org", "password": TEST_PASSWORD, "csrf_token": token}
    assert client.post("/sign-in", data=form).status_code == 429
    assert burst.lock_emails() == ["page@example.org"]


def test_a_burst_of_wrong_codes_on_the_second_factor_page_gets_no_more_than_the_limit(burst) -> None:
    secret = burst.user("code@example.org", second_factor=True)
    # The password is right (an attacker who has it): signing in with it does not count.
    client = burst.app.test_client()
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    form = {"email": "code@example.org", "password": TEST_PASSWORD, "csrf_token": token}
    assert client.post("/sign-in", data=form).headers["Location"] == "/sign-in/code"
    token = csrf_from(client.get("/sign-in/code").get_data(as_text=True))
    clients = burst.clients_sharing_the_session_of(client, BURST)
    code = wrong_code(secret)

    statuses = burst.send(
        [lambda c=c: c.post("/sign-in/code", data={"code": code, "csrf_token": token}) for c in clients]
    )

    assert statuses == {422: LIMIT, 429: BURST - LIMIT}
    # Locked: the right code is refused too.
    right = pyotp.TOTP(secret).now()
    assert client.post("/sign-in/code", data={"code": right, "csrf_token": token}).status_code == 429
    assert burst.lock_emails() == ["code@example.org"]


def test_a_burst_of_wrong_codes_to_the_api_gets_no_more_than_the_limit(burst) -> None:
    secret = burst.user("api@example.org", second_factor=True)
    body = {"email": "api@example.org", "password": TEST_PASSWORD, "code": wrong_code(secret)}
    clients = [burst.app.test_client() for _ in range(BURST)]

    statuses = burst.send([lambda c=c: c.post("/api/v1/auth/tokens", json=body) for c in clients])

    assert statuses == {401: LIMIT, 429: BURST - LIMIT}
    right = {**body, "code": pyotp.TOTP(secret).now()}
    assert burst.app.test_client().post("/api/v1/auth/tokens", json=right).status_code == 429
    assert burst.lock_emails() == ["api@example.org"]


def test_a_burst_of_wrong_passwords_to_turn_off_the_second_factor_gets_no_more_than_the_limit(burst) -> None:
    secret = burst.user("holder@example.org", second_factor=True)
    client = burst.app.test_client()
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    form = {"email": "holder@example.org", "password": TEST_PASSWORD, "csrf_token": token}
    assert client.post("/sign-in", data=form).headers["Location"] == "/sign-in/code"
    token = csrf_from(client.get("/sign-in/code").get_data(as_text=True))
    code = pyotp.TOTP(secret).now()
    assert client.post("/sign-in/code", data={"code": code, "csrf_token": token}).status_code == 302
    path = "/account/second-factor/turn-off"
    token = csrf_from(client.get(path).get_data(as_text=True))
    clients = burst.clients_sharing_the_session_of(client, BURST)

    statuses = burst.send(
        [lambda c=c: c.post(path, data={"password": "a guess", "csrf_token": token}) for c in clients]
    )

    assert statuses == {422: LIMIT, 429: BURST - LIMIT}
    assert client.post(path, data={"password": TEST_PASSWORD, "csrf_token": token}).status_code == 429
    assert burst.lock_emails() == ["holder@example.org"]


def test_a_burst_of_wrong_passwords_for_many_addresses_from_one_client_gets_no_more_than_its_limit(
    burst,
) -> None:
    burst.app.config["CASEWORK"]["SIGN_IN_ADDRESS_LIMIT"] = f"{LIMIT} per 10 minutes"
    clients = [burst.app.test_client() for _ in range(BURST)]

    statuses = burst.send(
        [
            lambda c=c, n=n: c.post("/api/v1/auth/tokens", json={"email": f"guess{n}@example.org", "password": "x"})
            for n, c in enumerate(clients)
        ]
    )

    assert statuses == {401: LIMIT, 429: BURST - LIMIT}
