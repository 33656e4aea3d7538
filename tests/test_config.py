"""Configuration comes from CASEWORK_* variables, is checked at start-up, and starting touches nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import create_app
from casework.app import PROJECT_ROOT
from casework.config import ConfigError
from tests.support.environment import clear_casework_variables, environment_without_casework

GOOD_SECRET = "x" * 40
GOOD_DATA_KEY = "CNstUaFPxlCp_TOqDQSaHfgxywyq7fpIyXcUB6__MbU="  # a Fernet key made for these tests


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A clean CASEWORK_* environment with a valid production configuration to spoil one value at a time."""
    clear_casework_variables(monkeypatch)
    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("CASEWORK_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("CASEWORK_DATA_KEY", GOOD_DATA_KEY)
    monkeypatch.setenv("CASEWORK_DATABASE_URL", f"sqlite:///{tmp_path / 'casework.sqlite'}")
    return monkeypatch


def test_a_valid_production_environment_starts(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("CASEWORK_SMTP_PORT", "1025")
    environment.setenv("CASEWORK_SESSION_IDLE_MINUTES", "15")
    app = create_app()
    settings = app.config["CASEWORK"]
    assert settings["ENV"] == "production"
    assert settings["SMTP_PORT"] == 1025
    assert settings["SESSION_IDLE_MINUTES"] == 15
    assert app.config["PERMANENT_SESSION_LIFETIME"] == 2 * 15 * 60
    assert app.config["SESSION_COOKIE_SECURE"] is True
    # Templates are compiled once per worker: production never checks the files for changes on a render.
    assert app.jinja_env.auto_reload is False


def test_the_victim_page_session_limits_default_to_20_minutes_and_2_hours_and_are_read(
    environment: pytest.MonkeyPatch,
) -> None:
    settings = create_app().config["CASEWORK"]
    assert (settings["VICTIM_SESSION_IDLE_MINUTES"], settings["VICTIM_SESSION_MAX_HOURS"]) == (20, 2)
    environment.setenv("CASEWORK_VICTIM_SESSION_IDLE_MINUTES", " 10 ")
    environment.setenv("CASEWORK_VICTIM_SESSION_MAX_HOURS", "24")
    settings = create_app().config["CASEWORK"]
    assert (settings["VICTIM_SESSION_IDLE_MINUTES"], settings["VICTIM_SESSION_MAX_HOURS"]) == (10, 24)


def test_the_victim_page_sign_in_lifetimes_default_to_20_and_10_minutes_and_are_read(
    environment: pytest.MonkeyPatch,
) -> None:
    settings = create_app().config["CASEWORK"]
    assert (settings["VICTIM_SIGN_IN_LINK_MINUTES"], settings["VICTIM_SIGN_IN_CODE_MINUTES"]) == (20, 10)
    environment.setenv("CASEWORK_VICTIM_SIGN_IN_LINK_MINUTES", " 60 ")
    environment.setenv("CASEWORK_VICTIM_SIGN_IN_CODE_MINUTES", "5")
    settings = create_app().config["CASEWORK"]
    assert (settings["VICTIM_SIGN_IN_LINK_MINUTES"], settings["VICTIM_SIGN_IN_CODE_MINUTES"]) == (60, 5)


def test_the_budget_of_a_template_check_defaults_to_5_seconds_and_is_read(environment: pytest.MonkeyPatch) -> None:
    assert create_app().config["CASEWORK"]["TEMPLATE_CHECK_SECONDS"] == 5
    environment.setenv("CASEWORK_TEMPLATE_CHECK_SECONDS", " 12 ")
    assert create_app().config["CASEWORK"]["TEMPLATE_CHECK_SECONDS"] == 12


def test_a_bare_postgresql_url_uses_psycopg_3(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("CASEWORK_DATABASE_URL", "postgres://casework:secret@127.0.0.1:1/casework")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_the_migration_url_defaults_to_the_service_url(environment: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = create_app().config["CASEWORK"]
    assert settings["MIGRATION_DATABASE_URL"] == settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'casework.sqlite'}"


def test_two_roles_on_one_postgresql_database(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("CASEWORK_DATABASE_URL", "postgresql://casework_service:s@db.internal/casework")
    environment.setenv("CASEWORK_MIGRATION_DATABASE_URL", "postgres://casework_owner:o@db.internal:5432/casework")
    app = create_app()
    settings = app.config["CASEWORK"]
    assert settings["MIGRATION_DATABASE_URL"] == "postgresql+psycopg://casework_owner:o@db.internal:5432/casework"
    # The service connects as its own role; only the migrations use the owner's.
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://casework_service:s@db.internal/casework"


@pytest.mark.parametrize(
    ("service", "migration", "message"),
    [
        (
            "postgresql://svc:s@db/casework",
            "postgresql://owner:o@db/other",
            "CASEWORK_MIGRATION_DATABASE_URL must point at the same PostgreSQL server and database",
        ),
        (
            "postgresql://svc:s@db/casework",
            "postgresql://owner:o@elsewhere/casework",
            "CASEWORK_MIGRATION_DATABASE_URL must point at the same PostgreSQL server and database",
        ),
        (
            "postgresql://svc:s@db/casework",
            "sqlite:///casework.sqlite",
            "CASEWORK_MIGRATION_DATABASE_URL must use the same database as CASEWORK_DATABASE_URL",
        ),
        (
            "sqlite:///one.sqlite",
            "sqlite:///two.sqlite",
            "CASEWORK_MIGRATION_DATABASE_URL must name the same SQLite file",
        ),
        (
            "postgresql://svc:s@db/casework",
            "mysql://owner:secret@db/casework",
            "CASEWORK_MIGRATION_DATABASE_URL must be a SQLite or PostgreSQL URL",
        ),
    ],
)
def test_a_migration_url_for_another_database_is_refused(
    environment: pytest.MonkeyPatch, service: str, migration: str, message: str
) -> None:
    environment.setenv("CASEWORK_DATABASE_URL", service)
    environment.setenv("CASEWORK_MIGRATION_DATABASE_URL", migration)
    with pytest.raises(ConfigError) as refused:
        create_app()
    assert message in str(refused.value)
    assert "secret" not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ENV", "staging", "CASEWORK_ENV must be one of production, development, testing, not 'staging'"),
        ("DATABASE_URL", "mysql://db/casework", "CASEWORK_DATABASE_URL must be a SQLite or PostgreSQL URL"),
        ("BROKER_URL", "amqp://guest@localhost//", "CASEWORK_BROKER_URL must be a redis:// or sqla+sqlite:///"),
        ("SMTP_PORT", "twenty-five", "CASEWORK_SMTP_PORT must be a whole number, not 'twenty-five'"),
        ("SMTP_PORT", "0", "CASEWORK_SMTP_PORT must be between 1 and 65535, not 0"),
        ("SMTP_PORT", "65536", "CASEWORK_SMTP_PORT must be between 1 and 65535, not 65536"),
        ("SESSION_IDLE_MINUTES", "0", "CASEWORK_SESSION_IDLE_MINUTES must be between 1 and 1440, not 0"),
        ("TEMPLATE_CHECK_SECONDS", "0", "CASEWORK_TEMPLATE_CHECK_SECONDS must be between 1 and 120, not 0"),
        ("TEMPLATE_CHECK_SECONDS", "121", "CASEWORK_TEMPLATE_CHECK_SECONDS must be between 1 and 120, not 121"),
        ("TEMPLATE_CHECK_SECONDS", "5s", "CASEWORK_TEMPLATE_CHECK_SECONDS must be a whole number, not '5s'"),
        ("JOB_TIME_LIMIT_SECONDS", "0", "CASEWORK_JOB_TIME_LIMIT_SECONDS must be between 1 and 86400, not 0"),
        (
            "JOB_TIME_LIMIT_SECONDS",
            "86401",
            "CASEWORK_JOB_TIME_LIMIT_SECONDS must be between 1 and 86400, not 86401",
        ),
        (
            "RETENTION_CLOSURE_GRACE_DAYS",
            "6",
            "CASEWORK_RETENTION_CLOSURE_GRACE_DAYS must be between 7 and 366, not 6",
        ),
        (
            "REPORT_SMALL_COUNT",
            "4",
            "CASEWORK_REPORT_SMALL_COUNT must be 0 (every count shown) or between 5 and 100, not 4",
        ),
        ("REPORT_SMALL_COUNT", "101", "CASEWORK_REPORT_SMALL_COUNT must be between 0 and 100, not 101"),
        ("SESSION_IDLE_MINUTES", "half an hour", "CASEWORK_SESSION_IDLE_MINUTES must be a whole number"),
        ("VICTIM_SESSION_IDLE_MINUTES", "0", "CASEWORK_VICTIM_SESSION_IDLE_MINUTES must be between 1 and 1440, not 0"),
        (
            "VICTIM_SESSION_IDLE_MINUTES",
            "20m",
            "CASEWORK_VICTIM_SESSION_IDLE_MINUTES must be a whole number, not '20m'",
        ),
        ("VICTIM_SESSION_MAX_HOURS", "25", "CASEWORK_VICTIM_SESSION_MAX_HOURS must be between 1 and 24, not 25"),
        ("VICTIM_SESSION_MAX_HOURS", "two", "CASEWORK_VICTIM_SESSION_MAX_HOURS must be a whole number, not 'two'"),
        ("VICTIM_SIGN_IN_LINK_MINUTES", "0", "CASEWORK_VICTIM_SIGN_IN_LINK_MINUTES must be between 1 and 1440, not 0"),
        (
            "VICTIM_SIGN_IN_LINK_MINUTES",
            "1441",
            "CASEWORK_VICTIM_SIGN_IN_LINK_MINUTES must be between 1 and 1440, not 1441",
        ),
        (
            "VICTIM_SIGN_IN_LINK_MINUTES",
            "twenty",
            "CASEWORK_VICTIM_SIGN_IN_LINK_MINUTES must be a whole number, not 'twenty'",
        ),
        ("VICTIM_SIGN_IN_CODE_MINUTES", "0", "CASEWORK_VICTIM_SIGN_IN_CODE_MINUTES must be between 1 and 60, not 0"),
        ("VICTIM_SIGN_IN_CODE_MINUTES", "61", "CASEWORK_VICTIM_SIGN_IN_CODE_MINUTES must be between 1 and 60, not 61"),
        (
            "VICTIM_SIGN_IN_CODE_MINUTES",
            "10m",
            "CASEWORK_VICTIM_SIGN_IN_CODE_MINUTES must be a whole number, not '10m'",
        ),
        ("SMTP_USE_TLS", "maybe", "CASEWORK_SMTP_USE_TLS must be true or false, not 'maybe'"),
        ("SECRET_KEY", "", "CASEWORK_SECRET_KEY is not set"),
        ("SECRET_KEY", "short", "CASEWORK_SECRET_KEY must be at least 32 characters long in production"),
        ("DATA_KEY", "", "CASEWORK_DATA_KEY is not set"),
        ("DATA_KEY", "short", "CASEWORK_DATA_KEY: its value is not a Fernet key"),
        ("ACCESSIBILITY_TESTED_ON", "30/11/2026", "CASEWORK_ACCESSIBILITY_TESTED_ON must be a date like 2026-11-30"),
        ("BASE_URL", "casework.example.org", "CASEWORK_BASE_URL must be the service's address"),
        ("BASE_URL", "ftp://casework.example.org", "CASEWORK_BASE_URL must be the service's address"),
        ("BASE_URL", "https://casework.example.org/?next=x", "CASEWORK_BASE_URL must be the service's address"),
        ("BASE_URL", "https://[::1", "CASEWORK_BASE_URL must be the service's address"),
        ("TRUSTED_PROXIES", "-1", "CASEWORK_TRUSTED_PROXIES must be between 0 and 10, not -1"),
        ("TRUSTED_PROXIES", "yes", "CASEWORK_TRUSTED_PROXIES must be a whole number"),
        ("SIGN_IN_ACCOUNT_LIMIT", "lots", "CASEWORK_SIGN_IN_ACCOUNT_LIMIT must be limits like"),
        ("SIGN_IN_ADDRESS_LIMIT", "", "CASEWORK_SIGN_IN_ADDRESS_LIMIT must be limits like"),
        ("SIGN_IN_RATE_LIMIT", "10 per minute", "CASEWORK_SIGN_IN_RATE_LIMIT is no longer read"),
        ("RATELIMIT_STORAGE_URI", "memcached://x", "CASEWORK_RATELIMIT_STORAGE_URI must be a redis://"),
    ],
)
def test_a_bad_value_stops_the_start_with_a_clear_message(
    environment: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    environment.setenv(f"CASEWORK_{name}", value)
    with pytest.raises(ConfigError) as refused:
        create_app()
    assert message in str(refused.value)


def test_a_missing_secret_key_stops_production(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("CASEWORK_SECRET_KEY")
    with pytest.raises(ConfigError, match="CASEWORK_SECRET_KEY is not set"):
        create_app()


def test_development_makes_up_a_secret_key_and_relaxes_secure_cookies(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("CASEWORK_SECRET_KEY")
    environment.setenv("CASEWORK_ENV", "development")
    app = create_app()
    assert len(app.config["SECRET_KEY"]) >= 32
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_the_organisation_details_are_read_and_blank_means_not_set(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("CASEWORK_ORGANISATION_NAME", "  Bolsover District Council ")
    environment.setenv("CASEWORK_CONTACT_PHONE", "01246 242424")
    environment.setenv("CASEWORK_CONTACT_EMAIL", "")
    environment.setenv("CASEWORK_ACCESSIBILITY_TESTED_ON", "2026-11-30")
    settings = create_app().config["CASEWORK"]
    assert settings["ORGANISATION_NAME"] == "Bolsover District Council"
    assert settings["CONTACT_PHONE"] == "01246 242424"
    assert settings["CONTACT_EMAIL"] is None
    assert settings["ACCESSIBILITY_TESTED_ON"] == date(2026, 11, 30)


def test_the_boundaries_are_allowed(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("CASEWORK_SMTP_PORT", "65535")
    environment.setenv("CASEWORK_SESSION_IDLE_MINUTES", "1")
    environment.setenv("CASEWORK_SECRET_KEY", "s" * 32)
    settings = create_app().config["CASEWORK"]
    assert (settings["SMTP_PORT"], settings["SESSION_IDLE_MINUTES"]) == (65535, 1)


def test_importing_the_package_has_no_side_effects(tmp_path: Path) -> None:
    """``import casework`` builds no app, creates no engine, opens no file or connection."""
    instance = tmp_path / "instance"
    probe = textwrap.dedent(
        """
        import gc, socket, sys

        opened = []
        real_connect = socket.socket.connect
        socket.socket.connect = lambda self, *a: opened.append(a) or real_connect(self, *a)

        import casework
        import casework.app, casework.config, casework.extensions

        import flask, sqlalchemy
        objects = gc.get_objects()
        apps = [o for o in objects if isinstance(o, flask.Flask)]
        engines = [o for o in objects if isinstance(o, sqlalchemy.engine.Engine)]
        print(len(apps), len(engines), len(opened), casework.extensions.db._app_engines.__len__())
        """
    )
    env = environment_without_casework() | {
        "CASEWORK_INSTANCE_PATH": str(instance),
        "CASEWORK_ENV": "production",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0", "0", "0"], "apps, engines, connections, bound engines"
    assert not instance.exists(), "importing created the instance folder"
    assert "Traceback" not in result.stderr


@pytest.fixture
def counted_connections() -> Iterator[list[str]]:
    """Every DBAPI connection opened and every statement run by any engine while the fixture is active."""
    seen: list[str] = []

    def on_connect(_dbapi_connection: object, _record: object) -> None:
        seen.append("connect")

    def on_execute(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    sa.event.listen(sa.pool.Pool, "connect", on_connect)
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        sa.event.remove(sa.pool.Pool, "connect", on_connect)
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", on_execute)


def test_create_app_runs_no_query(environment: pytest.MonkeyPatch, tmp_path: Path, counted_connections: list) -> None:
    database = tmp_path / "never-opened.sqlite"
    environment.setenv("CASEWORK_DATABASE_URL", f"sqlite:///{database}")
    create_app()
    assert counted_connections == []
    assert not database.exists(), "create_app opened the SQLite database"


def test_create_app_starts_without_a_reachable_database_or_broker(
    environment: pytest.MonkeyPatch, counted_connections: list
) -> None:
    # Port 1 on the loopback refuses connections: any attempt to connect would fail create_app.
    environment.setenv("CASEWORK_DATABASE_URL", "postgresql+psycopg://casework:secret@127.0.0.1:1/casework")
    environment.setenv("CASEWORK_BROKER_URL", "redis://127.0.0.1:1/0")
    app = create_app()
    assert app.extensions["celery"].conf.broker_url == "redis://127.0.0.1:1/0"
    assert counted_connections == []


def test_the_rate_limit_storage_follows_a_redis_broker(environment: pytest.MonkeyPatch) -> None:
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "memory://"  # the embedded broker: memory
    environment.setenv("CASEWORK_BROKER_URL", "redis://redis.internal:6379/0")
    app = create_app()
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://redis.internal:6379/0"
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    environment.setenv("CASEWORK_RATELIMIT_STORAGE_URI", "redis://limits.internal:6379/2")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "redis://limits.internal:6379/2"


def test_the_base_url_loses_its_trailing_slash(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("CASEWORK_BASE_URL", "https://council.example.org/casework/")
    assert create_app().config["CASEWORK"]["BASE_URL"] == "https://council.example.org/casework"


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["-m", "flask", "--app", "casework", "db", "upgrade"], 1),
        (["-m", "flask", "--app", "casework", "create-admin", "a@example.org", "--password-stdin"], 1),
        (["-m", "flask", "--app", "casework", "demo", "load"], 1),
        (["-m", "celery", "-A", "casework.tasks.worker", "worker"], 1),
        (["-m", "celery", "-A", "casework.tasks.worker", "beat"], 1),
        (["-m", "gunicorn", "--bind", "127.0.0.1:0", "casework.wsgi:app"], 4),
        # As the image and the systemd unit run it: the app is built in the master, before any worker.
        (["-m", "gunicorn", "--preload", "--bind", "127.0.0.1:0", "casework.wsgi:app"], 4),
    ],
    ids=[
        "flask db upgrade",
        "flask create-admin",
        "flask demo load",
        "celery worker",
        "celery beat",
        "gunicorn",
        "gunicorn --preload",
    ],
)
def test_a_configuration_error_is_one_line_naming_the_variable(tmp_path: Path, argv: list[str], status: int) -> None:
    env = environment_without_casework() | {
        "CASEWORK_INSTANCE_PATH": str(tmp_path / "instance"),
        "CASEWORK_ENV": "production",
        "CASEWORK_SMTP_PORT": "twenty-five",
        "CASEWORK_SECRET_KEY": GOOD_SECRET,
        "CASEWORK_DATA_KEY": GOOD_DATA_KEY,
    }
    result = subprocess.run(
        [sys.executable, *argv], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, input=""
    )
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "CASEWORK_" in line]
    assert errors == ["Error: CASEWORK_SMTP_PORT must be a whole number, not 'twenty-five'."]


def test_the_wsgi_entry_point_freezes_what_start_up_built(tmp_path: Path) -> None:
    # gunicorn's workers load casework.wsgi: the objects start-up made live as long as the worker, and
    # frozen, the garbage collector's full passes no longer walk them (docs/performance.md).
    env = environment_without_casework() | {
        "CASEWORK_INSTANCE_PATH": str(tmp_path / "instance"),
        "CASEWORK_ENV": "production",
        "CASEWORK_SECRET_KEY": GOOD_SECRET,
        "CASEWORK_DATA_KEY": GOOD_DATA_KEY,
        "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'casework.sqlite'}",
    }
    script = "import gc, casework.wsgi; print(gc.get_freeze_count())"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 100_000
