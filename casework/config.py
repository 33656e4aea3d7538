"""Configuration: defaults, then ``CASEWORK_*`` environment variables, then the mapping given to
``create_app``; validated before anything else starts so a bad value stops the service with a clear
message instead of failing later in a request."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Config

ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(RuntimeError):
    """A configuration value is missing or invalid."""


def defaults(instance_path: str) -> dict[str, Any]:
    instance = Path(instance_path)
    return {
        #: production, development or testing. Development relaxes HSTS and the secure-cookie flag.
        "ENV": "production",
        "DATABASE_URL": f"sqlite:///{instance / 'casework.sqlite'}",
        #: The role that owns the schema and runs the migrations (PostgreSQL); the service's own role
        #: (DATABASE_URL) may not change or delete the audit log. Unset: the same as DATABASE_URL.
        "MIGRATION_DATABASE_URL": None,
        #: The embedded broker: kombu's SQLAlchemy transport on a SQLite file, so a newcomer needs no Redis.
        "BROKER_URL": f"sqla+sqlite:///{instance / 'broker.sqlite'}",
        "SECRET_KEY": None,
        "SMTP_HOST": None,
        "SMTP_PORT": 25,
        "SMTP_USERNAME": None,
        "SMTP_PASSWORD": None,
        "SMTP_USE_TLS": False,
        "MAIL_FROM": "Casework <casework@localhost>",
        #: Where emails go when no SMTP host is set (the embedded default): one file per message.
        "MAIL_DIR": str(instance / "mail"),
        "BASE_URL": "http://127.0.0.1:5000",
        "SESSION_IDLE_MINUTES": 30,
        "API_TOKEN_HOURS": 8,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SIGN_IN_RATE_LIMIT": "10 per minute; 50 per hour",
        "PUBLIC_FORM_RATE_LIMIT": "5 per minute; 30 per hour",
        "CELERY_ALWAYS_EAGER": False,
    }


def load(instance_path: str, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Build the validated configuration mapping for the Flask app."""
    config = Config(instance_path, defaults(instance_path))
    # Flask's own loader: CASEWORK_SMTP_PORT=1025 becomes SMTP_PORT, JSON values are parsed.
    config.from_prefixed_env("CASEWORK")
    for key in [k for k in config if k.startswith("TEST_") or k in {"REQUIRE_SERVICES", "INSTANCE_PATH"}]:
        del config[key]  # read by the test suite, not by the service
    if overrides:
        config.update({k: v for k, v in overrides.items() if k != "INSTANCE_PATH"})
    return validate(dict(config))


def _as_int(config: dict[str, Any], key: str, minimum: int, maximum: int | None = None) -> None:
    value = config[key]
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"CASEWORK_{key} must be a whole number, not {value!r}.") from None
    if number < minimum or (maximum is not None and number > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ConfigError(f"CASEWORK_{key} must be {bounds}, not {number}.")
    config[key] = number


def _as_bool(config: dict[str, Any], key: str) -> None:
    value = config[key]
    if isinstance(value, bool):
        return
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        config[key] = True
    elif text in {"0", "false", "no", "off", ""}:
        config[key] = False
    else:
        raise ConfigError(f"CASEWORK_{key} must be true or false, not {value!r}.")


def _database_url(value: Any, key: str) -> str:
    url = str(value or "").strip()
    if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
        raise ConfigError(
            f"CASEWORK_{key} must be a SQLite or PostgreSQL URL "
            f"(sqlite:///path or postgresql+psycopg://user:pass@host/db), not {_hide_password(url)!r}."
        )
    if url.startswith(("postgres:", "postgresql:")) and not url.startswith("postgresql+psycopg:"):
        # Heroku-style and bare URLs would pick psycopg2, which is not installed.
        url = "postgresql+psycopg:" + url.split(":", 1)[1]
    return url


def _hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _same_database(service_url: str, migration_url: str) -> None:
    """The two URLs are two roles on one database: migrating another database would be a silent mistake."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        service, migration = make_url(service_url), make_url(migration_url)
    except ArgumentError as error:
        raise ConfigError(f"CASEWORK_MIGRATION_DATABASE_URL is not a valid URL: {error}.") from None
    if service.get_backend_name() != migration.get_backend_name():
        raise ConfigError(
            "CASEWORK_MIGRATION_DATABASE_URL must use the same database as CASEWORK_DATABASE_URL "
            f"(one is {service.get_backend_name()}, the other {migration.get_backend_name()})."
        )
    if service.get_backend_name() == "sqlite":
        if service.database != migration.database:
            raise ConfigError(
                "CASEWORK_MIGRATION_DATABASE_URL must name the same SQLite file as CASEWORK_DATABASE_URL "
                "(SQLite has no roles: leave it unset)."
            )
        return

    def where(url: Any) -> tuple[str, int, str | None]:
        return (url.host or "localhost", url.port or 5432, url.database)

    if where(service) != where(migration):
        raise ConfigError(
            "CASEWORK_MIGRATION_DATABASE_URL must point at the same PostgreSQL server and database as "
            "CASEWORK_DATABASE_URL, with the owner's role instead of the service's."
        )


def validate(config: dict[str, Any]) -> dict[str, Any]:
    env = str(config["ENV"]).strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CASEWORK_ENV must be one of {', '.join(ENVIRONMENTS)}, not {config['ENV']!r}.")
    config["ENV"] = env

    config["DATABASE_URL"] = _database_url(config["DATABASE_URL"], "DATABASE_URL")
    if config.get("MIGRATION_DATABASE_URL") in (None, ""):
        config["MIGRATION_DATABASE_URL"] = config["DATABASE_URL"]
    else:
        config["MIGRATION_DATABASE_URL"] = _database_url(config["MIGRATION_DATABASE_URL"], "MIGRATION_DATABASE_URL")
        _same_database(config["DATABASE_URL"], config["MIGRATION_DATABASE_URL"])

    broker = str(config["BROKER_URL"] or "")
    if not broker.startswith(("redis://", "rediss://", "sqla+sqlite:", "sqla+postgresql", "memory://")):
        raise ConfigError(f"CASEWORK_BROKER_URL must be a redis:// or sqla+sqlite:/// URL, not {broker!r}.")

    for key, minimum, maximum in (
        ("SMTP_PORT", 1, 65535),
        ("SESSION_IDLE_MINUTES", 1, 24 * 60),
        ("API_TOKEN_HOURS", 1, 24 * 30),
    ):
        _as_int(config, key, minimum, maximum)
    for key in ("SMTP_USE_TLS", "CELERY_ALWAYS_EAGER"):
        _as_bool(config, key)

    if not config["SECRET_KEY"]:
        if env == "production":
            raise ConfigError(
                "CASEWORK_SECRET_KEY is not set. Set it to a long random value, for example the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        # Development and tests: a per-process key is enough; sessions end when the process stops.
        config["SECRET_KEY"] = secrets.token_hex(32)
    elif env == "production" and len(str(config["SECRET_KEY"])) < 32:
        raise ConfigError("CASEWORK_SECRET_KEY must be at least 32 characters long in production.")

    if config["SMTP_HOST"] is not None and not str(config["SMTP_HOST"]).strip():
        config["SMTP_HOST"] = None
    return config


def flask_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Translate our settings into the keys Flask and its extensions read."""
    is_dev = config["ENV"] != "production"
    return {
        "SECRET_KEY": config["SECRET_KEY"],
        "TESTING": config["ENV"] == "testing",
        "SQLALCHEMY_DATABASE_URI": config["DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_NAME": "casework_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Browsers treat http://127.0.0.1 as a secure context but not other plain-HTTP hosts, so the
        # development server keeps working while production cookies never travel unencrypted.
        "SESSION_COOKIE_SECURE": not is_dev,
        "REMEMBER_COOKIE_SECURE": not is_dev,
        "REMEMBER_COOKIE_HTTPONLY": True,
        # The idle timeout is enforced by casework.core.security (which tells the user why they were
        # signed out); the cookie's own signature lives longer so that check always runs first.
        "PERMANENT_SESSION_LIFETIME": 2 * config["SESSION_IDLE_MINUTES"] * 60,
        "SESSION_REFRESH_EACH_REQUEST": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the session's idle timeout already bounds a token's life
        "RATELIMIT_STORAGE_URI": config["RATELIMIT_STORAGE_URI"],
        "RATELIMIT_HEADERS_ENABLED": True,
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "MAIL_BACKEND": "smtp" if config["SMTP_HOST"] else "file",
        "MAIL_FILE_PATH": config["MAIL_DIR"],
        "MAIL_SERVER": config["SMTP_HOST"] or "localhost",
        "MAIL_PORT": config["SMTP_PORT"],
        "MAIL_USERNAME": config["SMTP_USERNAME"],
        "MAIL_PASSWORD": config["SMTP_PASSWORD"],
        "MAIL_USE_TLS": config["SMTP_USE_TLS"],
        "MAIL_DEFAULT_SENDER": config["MAIL_FROM"],
        "MAIL_TIMEOUT": 10,
    }
