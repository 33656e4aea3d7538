"""Shared fixtures.

Every test that uses the database runs twice: on SQLite and on PostgreSQL (a server the suite starts
itself, or ``CASEWORK_TEST_POSTGRESQL_URL``). The schema is built once per backend by the migrations;
each test then runs inside an outer transaction with SAVEPOINTs, so services and views commit as they
do in production and the test still leaves nothing behind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login import FlaskLoginClient
from flask_sqlalchemy.session import Session as FlaskSession
from itsdangerous import URLSafeTimedSerializer

from casework import create_app
from casework.core.db import dispose_engines
from casework.extensions import db

pytest_plugins = ["tests.support.services", "tests.support.walk"]


def _every_model_defined() -> None:
    """Build an app once before any test module is imported, so that every domain's models exist.

    A module-level loader option (a ``joinedload`` built at import time) configures every mapper, and a
    relationship naming a model whose module is not imported yet then fails: at collection, and only
    when that test file happens to be collected first. The service itself always builds its app first.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as instance:
        create_app(
            {"ENV": "testing", "INSTANCE_PATH": instance, "DATABASE_URL": "sqlite://", "BROKER_URL": "memory://"}
        )


_every_model_defined()

TEST_PASSWORD = "correct horse battery staple"
BACKENDS = ["sqlite", "postgresql"]


def test_settings(
    database_url: str,
    tmp_path: Any,
    migration_database_url: str | None = None,  # noqa: PT028 - a helper named like a test, not a test
) -> dict[str, Any]:
    return {
        "ENV": "testing",
        "DATABASE_URL": database_url,
        "MIGRATION_DATABASE_URL": migration_database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-production",
        "BROKER_URL": "memory://",
        "CELERY_ALWAYS_EAGER": True,
        "MAIL_DIR": str(tmp_path / "mail"),
        "RATELIMIT_STORAGE_URI": "memory://",
        # Generous in the suite; tests/accounts/test_sign_in_limits.py builds apps with the real limits.
        "SIGN_IN_ACCOUNT_LIMIT": "10000 per minute",
        "SIGN_IN_ADDRESS_LIMIT": "10000 per minute",
        "PUBLIC_FORM_RATE_LIMIT": "10000 per minute",
        "PROGRESS_REFERENCE_LIMIT": "10000 per hour",
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgresql_only`` or ``sqlite_only`` are not collected for the other backend.

    Deselected at collection rather than skipped, so a run's "skipped" count means only one thing: a
    service that was not there.
    """
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        backend = getattr(getattr(item, "callspec", None), "params", {}).get("database_url")
        only = "postgresql" if item.get_closest_marker("postgresql_only") else None
        only = "sqlite" if item.get_closest_marker("sqlite_only") else only
        (dropped if backend and only and backend != only else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL the service connects with: on PostgreSQL the restricted service role, as in production."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'casework.sqlite'}"
    database = request.getfixturevalue("postgresql_database")
    return database.service_url or database.owner_url


@pytest.fixture(scope="session")
def migration_database_url(request: pytest.FixtureRequest, database_url: str) -> str:
    """The URL the migrations run with: on PostgreSQL the owner role."""
    if database_url.startswith("sqlite"):
        return database_url
    return request.getfixturevalue("postgresql_database").owner_url


class TestClient(FlaskLoginClient):
    """Each request gets its own app context, as in production.

    Without this, a request reuses the test's app context, so ``g`` (and the user Flask-Login caches
    there) and the database session would carry over from one request to the next. Objects the test
    loaded itself are not refreshed by requests: query again (or ``expire_all``) after one.

    ``app.test_client(user=user)`` signs ``user`` in as the sign-in page does: with a session recorded on
    the server (casework.accounts.sessions), without which the cookie opens nothing.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        user = kwargs.get("user")
        super().__init__(*args, **kwargs)
        if user:
            from casework.accounts import sessions

            with self.application.app_context():
                key = sessions.start(user)
                db.session.commit()
            with self.session_transaction() as cookie:
                cookie[sessions.SESSION_KEY] = key

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url: str, migration_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp("instance")
    app = create_app({**test_settings(database_url, instance, migration_database_url), "INSTANCE_PATH": str(instance)})
    app.test_client_class = TestClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        dispose_engines()


class BoundSession(FlaskSession):
    """Flask-SQLAlchemy picks an engine per model; in tests every query must use the test's connection."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        return bind or self.bind or super().get_bind(mapper=mapper, clause=clause, **kwargs)


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": BoundSession}
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    return app.test_client()


# --- people and organisations -------------------------------------------------------------------


@pytest.fixture(scope="session")
def password_hash() -> str:
    from casework.accounts.passwords import hash_password

    return hash_password(TEST_PASSWORD)


class Factory:
    """Builds records for tests (commits through the test's SAVEPOINT)."""

    def __init__(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self._counter = 0

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def area(self, code: str | None = None, name: str | None = None) -> Any:
        from casework.accounts.models import Area

        n = self._next()
        area = Area(code=code or f"A{n:02d}", name=name or f"Area {n}")
        db.session.add(area)
        db.session.commit()
        return area

    def agency(self, code: str | None = None, areas: list[Any] | None = None, kind: str = "council") -> Any:
        from casework.accounts.models import Agency, AgencyKind

        n = self._next()
        agency = Agency(code=code or f"AG{n}", name=f"Agency {code or n}", kind=AgencyKind(kind), areas=areas or [])
        db.session.add(agency)
        db.session.commit()
        return agency

    def user(
        self,
        roles: list[str] | str = "officer",
        agency: Any = None,
        email: str | None = None,
        manager: Any = None,
        name: str | None = None,
    ) -> Any:
        from casework.accounts.models import User

        n = self._next()
        if isinstance(roles, str):
            roles = [roles]
        if agency is None:
            agency = self.agency(areas=[self.area()])
        user = User(
            email=email or f"user{n}@example.org",
            name=name or f"User {n}",
            password_hash=self.password_hash,
            agency=agency,
            manager=manager,
        )
        user.roles = roles
        db.session.add(user)
        db.session.commit()
        return user


@pytest.fixture
def make(db_session: Any, password_hash: str) -> Factory:
    return Factory(password_hash)


# --- signing in ---------------------------------------------------------------------------------


def csrf_headers(client: FlaskClient, app: Flask) -> dict[str, str]:
    """A valid CSRF token for this client's session, as Flask-WTF expects it in a header."""
    raw = "test-csrf-token"
    with client.session_transaction() as session:
        session["csrf_token"] = raw
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(raw)
    return {"X-CSRFToken": token}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def page_client(app: Flask, db_session: Any):
    """``page_client(user)``: a test client signed in to the pages as ``user``."""

    def make_client(user: Any) -> FlaskClient:
        client = app.test_client(user=user)
        client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, app)["X-CSRFToken"]
        return client

    return make_client


class ApiClient:
    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self._call("get", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self._call("post", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self._call("patch", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self._call("delete", path, **kwargs)


@pytest.fixture
def api_client(app: Flask, db_session: Any):
    """``api_client(user)``: calls the API with a bearer token for ``user`` (None: no token)."""
    from casework.accounts.services import issue_token

    def make_client(user: Any = None) -> ApiClient:
        token = None
        if user is not None:
            token, _ = issue_token(user, 1)
            db.session.commit()
        return ApiClient(app.test_client(), token)

    return make_client


# --- query counting -----------------------------------------------------------------------------


@pytest.fixture
def count_queries(db_session: Any):
    """``with count_queries() as counter: ...``; ``counter.count`` is the number of statements run."""

    class Counter:
        count = 0
        statements: list[str] = []

    @contextmanager
    def counting() -> Iterator[Counter]:
        counter = Counter()
        counter.statements = []

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                counter.count += 1
                counter.statements.append(statement)

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return counting


# --- where files are kept -----------------------------------------------------------------------


@pytest.fixture(params=["database", "s3"])
def file_store(request: pytest.FixtureRequest, app: Flask, db_session: Any) -> Iterator[str]:
    """Runs the test once with each store (``casework.core.storage``): the embedded database store, and
    an S3-compatible server over HTTP (moto's, or ``CASEWORK_TEST_S3_URL``) through the production
    boto3 client, in a bucket of this test's own. Yields the store's name."""
    if request.param == "database":
        yield "database"
        return
    yield from _s3_storage(request, app)


@pytest.fixture
def s3_storage(request: pytest.FixtureRequest, app: Flask, db_session: Any) -> Iterator[str]:
    """The app keeps new files in an S3-compatible server for this test (a bucket of its own)."""
    yield from _s3_storage(request, app)


def _s3_storage(request: pytest.FixtureRequest, app: Flask) -> Iterator[str]:
    import uuid

    from casework.core import storage

    endpoint = request.getfixturevalue("s3_endpoint")
    config = app.config["CASEWORK"]
    changed = {
        "STORAGE_BACKEND": "s3",
        "STORAGE_S3_BUCKET": f"casework-test-{uuid.uuid4().hex[:12]}",
        "STORAGE_S3_ENDPOINT_URL": endpoint.url,
        "STORAGE_S3_REGION": endpoint.region,
        "STORAGE_S3_ACCESS_KEY_ID": endpoint.access_key_id,
        "STORAGE_S3_SECRET_ACCESS_KEY": endpoint.secret_access_key,
        "STORAGE_S3_PREFIX": "files/",
    }
    saved = {key: config.get(key) for key in changed}
    saved_stores = app.extensions.pop(storage._EXTENSION_KEY, None)
    config.update(changed)
    with app.app_context():
        storage.store_named("s3").create_bucket()
    try:
        yield "s3"
    finally:
        # The test's unit of work ends while its bucket is still the store, as a request's ends before
        # anything changes the app's settings: an object put for a transaction that never committed is
        # deleted from this bucket (``storage.save``'s undo), not looked for in a store no longer set.
        db.session.remove()
        config.update(saved)
        app.extensions.pop(storage._EXTENSION_KEY, None)
        if saved_stores is not None:
            app.extensions[storage._EXTENSION_KEY] = saved_stores
