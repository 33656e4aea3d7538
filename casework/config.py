"""Configuration: defaults, then ``CASEWORK_*`` environment variables, then the mapping given to
``create_app``; validated before anything else starts so a bad value stops the service with a clear
message instead of failing later in a request."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Config

ENVIRONMENTS = ("production", "development", "testing")

#: Seconds one check of an admin's letter or notice template before it is saved may take in all, every
#: made-up record it is tried on together (``casework.core.safe_templates.check_before_saving``).
TEMPLATE_CHECK_SECONDS = 5


class ConfigError(click.ClickException):
    """A configuration value is missing or invalid.

    A ``ClickException``, so every command line built on click (``flask --app casework ...``, ``celery``)
    prints it as one line naming the variable (``Error: CASEWORK_SECRET_KEY is not set...``) and exits
    with status 1, not a traceback. Gunicorn loads the app through ``casework.wsgi``, which does the same.
    """

    exit_code = 1


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
        #: Seals the secrets of users' authenticator apps in the database (casework.core.data_keys): one
        #: Fernet key, or several newest first while one is being replaced. Kept apart from SECRET_KEY,
        #: which can be changed at any time (it signs sessions); this one must outlive the data.
        "DATA_KEY": None,
        "SMTP_HOST": None,
        "SMTP_PORT": 25,
        "SMTP_USERNAME": None,
        "SMTP_PASSWORD": None,
        "SMTP_USE_TLS": False,
        "MAIL_FROM": "Casework <casework@localhost>",
        #: Where emails go when no SMTP host is set (the embedded default): one file per message.
        "MAIL_DIR": str(instance / "mail"),
        #: Days a message written to MAIL_DIR is kept before the daily task deletes it: the folder is a
        #: development sink, and its messages name people (retention never reads it).
        "MAIL_DIR_KEEP_DAYS": 14,
        #: The address people use to reach the service. Every link in an email or letter starts with it
        #: (casework.core.links); the request's Host header never decides where a link points.
        "BASE_URL": "http://127.0.0.1:5000",
        #: How many reverse proxies stand in front of the service, each adding itself to
        #: X-Forwarded-For. 0: the client's address is the TCP peer and forwarded headers are ignored.
        "TRUSTED_PROXIES": 0,
        "SESSION_IDLE_MINUTES": 30,
        #: A page session ends this long after signing in, however busy (the idle timeout aside).
        "SESSION_MAX_HOURS": 12,
        #: A victim often signs in to the victim page (/my-case) on a shared or family phone and may not
        #: sign out: their session ends after this many minutes without a request (or
        #: SESSION_IDLE_MINUTES, when that is shorter), and this many hours after signing in, however busy.
        "VICTIM_SESSION_IDLE_MINUTES": 20,
        "VICTIM_SESSION_MAX_HOURS": 2,
        #: How long a link emailed to sign in to the victim page works, and a code texted for it (each
        #: once): long enough for the message to arrive, short enough that a link left in a mailbox or
        #: a code on a phone is of no use to whoever opens it later.
        "VICTIM_SIGN_IN_LINK_MINUTES": 20,
        "VICTIM_SIGN_IN_CODE_MINUTES": 10,
        "API_TOKEN_HOURS": 8,
        #: Days a finished background job (a partnership report, a compilation of the statistics) is
        #: kept after it finished, for its page and its API poll; then the daily sweep deletes it.
        "JOB_RETENTION_DAYS": 7,
        #: Seconds a background job's worker is trusted to be alive without news of it (casework.core.jobs):
        #: it renews its lease every third of this; a job whose lease ran out is sent again.
        "JOB_LEASE_SECONDS": 120,
        #: Times a background job is taken by a worker that dies before it is marked failed.
        "JOB_ATTEMPTS": 3,
        #: Seconds one run of a background job may take (casework.core.jobs): past it, its worker is taken
        #: for hung, as if it had died (its lease is no longer renewed or held, and on Celery's prefork pool
        #: the process is killed); the job is sent again, or given up after the attempts.
        "JOB_TIME_LIMIT_SECONDS": 1800,
        #: When set (5 to 100), the partnership report shows every count below it (zero too) as "fewer than
        #: N", so that a short report cannot single out a case hidden from its reader
        #: (casework.reports.disclosure). 0, the default, shows every count, as the API's figures promise
        #: partners: whether to withhold is the partnership's decision, and it turns counts into null.
        "REPORT_SMALL_COUNT": 0,
        #: Days a case's closure must have been on record before the retention run may anonymise it,
        #: whatever closing date was given: a closing date mistyped years back (2019 for 2025) would
        #: otherwise erase a live case's people that same night (casework.data_protection.retention).
        "RETENTION_CLOSURE_GRACE_DAYS": 30,
        "IMPORT_MAX_MB": 50,
        #: Rows an import file may have, as the sheet numbers them (header and blank rows included): reading
        #: stops there, so a sheet naming row 900,000,000 costs no more than a full one.
        "IMPORT_MAX_ROWS": 500_000,
        #: Seconds one check of an admin's template before it is saved may take in all: each render has
        #: its own limit (2 seconds), and a template is tried on up to two dozen made-up records.
        "TEMPLATE_CHECK_SECONDS": TEMPLATE_CHECK_SECONDS,
        #: Days an uploaded import file that was never imported is kept (it holds personal data), counted
        #: from the last step taken with it; then the daily sweep deletes it. A file whose check or run
        #: found problems is deleted at once, and an imported one as soon as it is imported. The same
        #: sweep, on the same clock, deletes the problems found in the file (they quote its cells), its
        #: column names and its name (casework.spreadsheets.services.delete_waiting_files).
        "IMPORT_FILE_DAYS": 7,
        #: Where rate-limit counters live. Unset: the Redis broker when there is one (so every web
        #: process shares them), else the worker's memory. If the storage cannot be reached the limits
        #: are counted in memory until it is back: never no limit.
        "RATELIMIT_STORAGE_URI": None,
        #: Failed sign-ins per email address (casework.accounts.sign_in_limits): growing delays, then a
        #: lock of up to an hour, whether or not an account has that address.
        "SIGN_IN_ACCOUNT_LIMIT": "5 per minute; 10 per 15 minutes; 15 per hour",
        #: Failed sign-ins per client address: high enough for a whole office behind one NAT address.
        "SIGN_IN_ADDRESS_LIMIT": "300 per 10 minutes",
        "PUBLIC_FORM_RATE_LIMIT": "5 per minute; 30 per hour",
        #: Checks of one Case Review reference's progress, from any address: the contact it needs cannot be
        #: guessed from many addresses. Windows of an hour at most, so the applicant is never shut out longer.
        "PROGRESS_REFERENCE_LIMIT": "10 per hour",
        "CELERY_ALWAYS_EAGER": False,
        # Who runs this installation, for the privacy notice, the accessibility statement and the
        # footer (casework/about). Unset, the pages show a bracketed placeholder for the council to fill.
        #: The organisation responsible for the service, e.g. "Bolsover District Council".
        "ORGANISATION_NAME": None,
        #: Its postal address, one line.
        "ORGANISATION_ADDRESS": None,
        #: Where people ask about the service, report an accessibility problem or ask for another format.
        "CONTACT_EMAIL": None,
        "CONTACT_PHONE": None,
        #: The data protection officer's address, for questions and requests about personal data.
        "DATA_PROTECTION_EMAIL": None,
        #: The day the service was last tested for accessibility (YYYY-MM-DD).
        "ACCESSIBILITY_TESTED_ON": None,
        #: Where files are kept (casework/core/storage.py): "database" (the embedded default) or "s3".
        "STORAGE_BACKEND": "database",
        "STORAGE_S3_BUCKET": None,
        #: An S3-compatible server (MinIO: http://minio:9000); unset for AWS S3 itself.
        "STORAGE_S3_ENDPOINT_URL": None,
        "STORAGE_S3_REGION": "eu-west-2",
        #: Unset: boto3's own credential chain (environment, instance role).
        "STORAGE_S3_ACCESS_KEY_ID": None,
        "STORAGE_S3_SECRET_ACCESS_KEY": None,
        #: Put in front of every key, to share a bucket (e.g. "casework/").
        "STORAGE_S3_PREFIX": "",
        #: The largest file a user may upload, in megabytes.
        "UPLOAD_MAX_MB": 20,
        #: GOV.UK Notify (casework/notifications/notify.py): with an API key, email and text messages go
        #: through Notify instead of SMTP (text messages have no other way out: without Notify they are
        #: written to MAIL_DIR). Each template is Notify's own, with the personalisation fields
        #: ((subject)) and ((body)) for email and ((body)) for text messages.
        "NOTIFY_API_KEY": None,
        "NOTIFY_BASE_URL": "https://api.notifications.service.gov.uk",
        "NOTIFY_EMAIL_TEMPLATE_ID": None,
        "NOTIFY_SMS_TEMPLATE_ID": None,
    }


#: Written by scripts/start in the instance folder: the settings it runs the service with, so that any
#: ``flask --app casework ...`` command run on its own (``demo logins``, ``db upgrade``) uses the same.
INSTANCE_ENV_FILE = "casework.env"


def instance_env(instance_path: str) -> dict[str, str]:
    """The ``CASEWORK_NAME=value`` lines of the instance env file (empty when there is none).

    Parsed here rather than with python-dotenv: installing that would make every ``flask`` command also
    load a ``.env`` in the working directory, which is docker compose's file, not the instance's."""
    path = Path(instance_path) / INSTANCE_ENV_FILE
    if not path.is_file():
        return {}
    found: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not re.fullmatch(r"CASEWORK_[A-Z0-9_]+", name.strip()):
            raise ConfigError(f"{path} line {number} must read CASEWORK_NAME=value, not {line!r}.")
        found[name.strip()] = value.strip()
    return found


def _json_or_text(value: str) -> Any:
    """As Flask's ``from_prefixed_env`` reads a value: JSON when it parses, else the text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _read_key_file(instance_path: str, value: Any, setting: str) -> str:
    path = Path(instance_path) / str(value)  # a relative path is the instance folder's
    try:
        key = path.read_text().strip()
    except OSError as error:
        raise ConfigError(f"CASEWORK_{setting}: cannot read {path} ({error.strerror}).") from None
    if not key:
        raise ConfigError(f"CASEWORK_{setting}: {path} is empty.")
    return key


def load(instance_path: str, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Build the validated configuration mapping for the Flask app."""
    config = Config(instance_path, defaults(instance_path))
    # The instance env file first, so that a variable set in the environment wins over it.
    for name, value in instance_env(instance_path).items():
        if name not in os.environ:
            config[name.removeprefix("CASEWORK_")] = _json_or_text(value)
    # Flask's own loader: CASEWORK_SMTP_PORT=1025 becomes SMTP_PORT, JSON values are parsed.
    config.from_prefixed_env("CASEWORK")
    secret_key_file = config.pop("SECRET_KEY_FILE", None)
    if secret_key_file and not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _read_key_file(instance_path, secret_key_file, "SECRET_KEY_FILE")
    data_key_file = config.pop("DATA_KEY_FILE", None)
    if data_key_file and not config.get("DATA_KEY"):
        config["DATA_KEY"] = _read_key_file(instance_path, data_key_file, "DATA_KEY_FILE")
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


def _as_rate_limit(config: dict[str, Any], key: str) -> None:
    from limits import parse_many

    value = str(config[key] or "")
    try:
        if not parse_many(value):
            raise ValueError(value)
    except ValueError:
        raise ConfigError(
            f"CASEWORK_{key} must be limits like '5 per minute; 15 per hour', not {config[key]!r}."
        ) from None
    config[key] = value


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


def _base_url(value: Any) -> str:
    text = str(value or "").strip()
    try:
        parts = urlsplit(text)
        _ = parts.port  # reading it checks it is a number
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and not (parts.query or parts.fragment)
    except ValueError:  # an unclosed [IPv6] bracket, a port that is not a number
        valid = False
    if not valid:
        raise ConfigError(
            "CASEWORK_BASE_URL must be the service's address, such as https://casework.example.org "
            f"(http or https, a host, optionally a path), not {value!r}."
        )
    return text.rstrip("/")


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

    config["BASE_URL"] = _base_url(config["BASE_URL"])

    for key, minimum, maximum in (
        ("TRUSTED_PROXIES", 0, 10),
        ("SMTP_PORT", 1, 65535),
        ("SESSION_IDLE_MINUTES", 1, 24 * 60),
        ("SESSION_MAX_HOURS", 1, 24 * 7),
        ("VICTIM_SESSION_IDLE_MINUTES", 1, 24 * 60),
        ("VICTIM_SESSION_MAX_HOURS", 1, 24),
        ("VICTIM_SIGN_IN_LINK_MINUTES", 1, 24 * 60),
        ("VICTIM_SIGN_IN_CODE_MINUTES", 1, 60),
        ("API_TOKEN_HOURS", 1, 24 * 30),
        ("JOB_RETENTION_DAYS", 1, 366),
        ("JOB_LEASE_SECONDS", 1, 3600),
        ("JOB_ATTEMPTS", 1, 20),
        ("JOB_TIME_LIMIT_SECONDS", 1, 24 * 3600),
        ("REPORT_SMALL_COUNT", 0, 100),
        ("RETENTION_CLOSURE_GRACE_DAYS", 7, 366),
        ("IMPORT_MAX_MB", 1, 1024),
        ("IMPORT_MAX_ROWS", 2, 1_048_576),
        ("IMPORT_FILE_DAYS", 1, 366),
        ("MAIL_DIR_KEEP_DAYS", 1, 366),
        ("UPLOAD_MAX_MB", 1, 500),
        ("TEMPLATE_CHECK_SECONDS", 1, 120),
    ):
        _as_int(config, key, minimum, maximum)
    if 0 < config["REPORT_SMALL_COUNT"] < 5:
        # Withholding counts below 2, 3 or 4 still lets 1 show that one case exists.
        raise ConfigError(
            f"CASEWORK_REPORT_SMALL_COUNT must be 0 (every count shown) or between 5 and 100, not "
            f"{config['REPORT_SMALL_COUNT']}."
        )
    for key in ("SMTP_USE_TLS", "CELERY_ALWAYS_EAGER"):
        _as_bool(config, key)

    if config.get("SIGN_IN_RATE_LIMIT"):
        raise ConfigError(
            "CASEWORK_SIGN_IN_RATE_LIMIT is no longer read: set CASEWORK_SIGN_IN_ACCOUNT_LIMIT (failed "
            "attempts per email address) and CASEWORK_SIGN_IN_ADDRESS_LIMIT (per client address) instead."
        )
    for key in ("SIGN_IN_ACCOUNT_LIMIT", "SIGN_IN_ADDRESS_LIMIT", "PUBLIC_FORM_RATE_LIMIT", "PROGRESS_REFERENCE_LIMIT"):
        _as_rate_limit(config, key)
    from limits import parse_many

    if any(item.get_expiry() > 3600 for item in parse_many(config["PROGRESS_REFERENCE_LIMIT"])):
        raise ConfigError(
            "CASEWORK_PROGRESS_REFERENCE_LIMIT may count over an hour at most (a longer window shuts the "
            f"applicant out for longer), not {config['PROGRESS_REFERENCE_LIMIT']!r}."
        )
    storage = config["RATELIMIT_STORAGE_URI"]
    if not storage:
        storage = broker if broker.startswith(("redis://", "rediss://")) else "memory://"
    elif not str(storage).startswith(("redis://", "rediss://", "memory://")):
        raise ConfigError(f"CASEWORK_RATELIMIT_STORAGE_URI must be a redis:// or memory:// URL, not {storage!r}.")
    config["RATELIMIT_STORAGE_URI"] = str(storage)

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

    _data_key(config, env)

    for key in ("SMTP_HOST", "SMTP_USERNAME", "SMTP_PASSWORD"):
        # docker compose passes an unset variable as an empty string: that means "none".
        if config[key] is not None and not str(config[key]).strip():
            config[key] = None

    for key in (*ORGANISATION_KEYS, "ACCESSIBILITY_TESTED_ON"):
        # docker compose passes an unset variable as an empty string: that means "not set".
        value = config.get(key)
        config[key] = (str(value).strip() or None) if value is not None else None
    tested_on = config["ACCESSIBILITY_TESTED_ON"]
    if tested_on is not None:
        try:
            config["ACCESSIBILITY_TESTED_ON"] = date.fromisoformat(str(tested_on))
        except ValueError:
            raise ConfigError(
                f"CASEWORK_ACCESSIBILITY_TESTED_ON must be a date like 2026-11-30, not {tested_on!r}."
            ) from None
    _validate_storage(config)
    _validate_notify(config)
    return config


def _validate_notify(config: dict[str, Any]) -> None:
    for key in ("NOTIFY_API_KEY", "NOTIFY_EMAIL_TEMPLATE_ID", "NOTIFY_SMS_TEMPLATE_ID"):
        value = config[key]
        config[key] = (str(value).strip() or None) if value is not None else None
    if config["NOTIFY_API_KEY"] and not (config["NOTIFY_EMAIL_TEMPLATE_ID"] and config["NOTIFY_SMS_TEMPLATE_ID"]):
        raise ConfigError(
            "CASEWORK_NOTIFY_API_KEY is set: set CASEWORK_NOTIFY_EMAIL_TEMPLATE_ID and "
            "CASEWORK_NOTIFY_SMS_TEMPLATE_ID to the ids of its email and text message templates."
        )
    base = str(config["NOTIFY_BASE_URL"] or "").strip()
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"CASEWORK_NOTIFY_BASE_URL must be an http:// or https:// URL, not {base!r}.")
    config["NOTIFY_BASE_URL"] = base


_DATA_KEY_COMMAND = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


def _data_key(config: dict[str, Any], env: str) -> None:
    """CASEWORK_DATA_KEY as the list of its keys, newest first (casework.core.data_keys)."""
    from casework.core import data_keys

    keys = data_keys.parse_keys(config.get("DATA_KEY"))
    config["DATA_KEY_IS_TEMPORARY"] = not keys
    if not keys:
        if env == "production":
            raise ConfigError(
                "CASEWORK_DATA_KEY is not set. It seals the secrets of users' authenticator apps: set it "
                f"to a key made by `{_DATA_KEY_COMMAND}` and back it up apart from the database (docs/operations.md)."
            )
        # Development and tests: one key for the whole process (what it seals is unreadable once it stops).
        keys = [data_keys.process_key()]
    for number, key in enumerate(keys, start=1):
        if not data_keys.is_key(key):
            which = f"key {number} of {len(keys)}" if len(keys) > 1 else "its value"
            raise ConfigError(
                f"CASEWORK_DATA_KEY: {which} is not a Fernet key (44 characters of URL-safe base64); make "
                f"one with `{_DATA_KEY_COMMAND}`."
            )
    config["DATA_KEY"] = tuple(keys)


#: Free-text details of the organisation running the service (see ``defaults``).
ORGANISATION_KEYS = (
    "ORGANISATION_NAME",
    "ORGANISATION_ADDRESS",
    "CONTACT_EMAIL",
    "CONTACT_PHONE",
    "DATA_PROTECTION_EMAIL",
)


def _validate_storage(config: dict[str, Any]) -> None:
    backend = str(config["STORAGE_BACKEND"] or "").strip().lower()
    if backend not in ("database", "s3"):
        raise ConfigError(f"CASEWORK_STORAGE_BACKEND must be database or s3, not {config['STORAGE_BACKEND']!r}.")
    config["STORAGE_BACKEND"] = backend
    for key in (
        "STORAGE_S3_BUCKET",
        "STORAGE_S3_ENDPOINT_URL",
        "STORAGE_S3_ACCESS_KEY_ID",
        "STORAGE_S3_SECRET_ACCESS_KEY",
    ):
        value = config[key]
        config[key] = (str(value).strip() or None) if value is not None else None
    config["STORAGE_S3_REGION"] = str(config["STORAGE_S3_REGION"] or "").strip() or "eu-west-2"
    config["STORAGE_S3_PREFIX"] = str(config["STORAGE_S3_PREFIX"] or "")
    if backend == "s3" and not config["STORAGE_S3_BUCKET"]:
        raise ConfigError("CASEWORK_STORAGE_BACKEND is s3: set CASEWORK_STORAGE_S3_BUCKET to the bucket's name.")
    endpoint = config["STORAGE_S3_ENDPOINT_URL"]
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"CASEWORK_STORAGE_S3_ENDPOINT_URL must be an http:// or https:// URL, not {endpoint!r}.")
    if bool(config["STORAGE_S3_ACCESS_KEY_ID"]) != bool(config["STORAGE_S3_SECRET_ACCESS_KEY"]):
        raise ConfigError(
            "Set both CASEWORK_STORAGE_S3_ACCESS_KEY_ID and CASEWORK_STORAGE_S3_SECRET_ACCESS_KEY, or neither."
        )


def _rate_limit_storage_options(uri: str) -> dict[str, Any]:
    if not uri.startswith(("redis://", "rediss://")):
        return {}
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # Fail fast, so a Redis outage costs a request a fraction of a second before the in-memory
    # fallback takes over, instead of redis-py's retries with backoff.
    return {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "retry": Retry(NoBackoff(), 0)}


def _engine_options(database_url: str) -> dict[str, Any]:
    # No ``pool_pre_ping``: casework.core.db pings a connection only when it has been idle.
    # A database error's text leaves out the statement's values (names, addresses, an incident's
    # words): it is logged, and a log is out of the retention run's reach. The statement itself stays.
    options: dict[str, Any] = {"hide_parameters": True}
    if database_url.startswith("postgresql"):
        # The service's statements are small and many: PostgreSQL's JIT compiler pays off for long
        # analytical queries, but here it only adds its compile time (80 to 100 ms measured on the
        # national dataset, for a search that runs in 40 ms) to any statement whose estimated cost
        # passes ``jit_above_cost``. Off for every connection the service opens.
        options["connect_args"] = {"options": "-c jit=off"}
    return options


def flask_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Translate our settings into the keys Flask and its extensions read."""
    is_dev = config["ENV"] != "production"
    return {
        "SECRET_KEY": config["SECRET_KEY"],
        "TESTING": config["ENV"] == "testing",
        "SQLALCHEMY_DATABASE_URI": config["DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(config["DATABASE_URL"]),
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
        "RATELIMIT_STORAGE_OPTIONS": _rate_limit_storage_options(config["RATELIMIT_STORAGE_URI"]),
        "RATELIMIT_KEY_PREFIX": "casework",
        # A moving window: "15 per hour" means any 60 minutes, so a lock lasts until the oldest of the
        # failures that caused it is an hour old, not until the clock reaches the next hour.
        "RATELIMIT_STRATEGY": "moving-window",
        # Check every limit, so that Retry-After comes from the longest one breached (an account locked
        # for an hour is not told to come back in a minute).
        "RATELIMIT_FAIL_ON_FIRST_BREACH": False,
        # Storage down: count in this worker's memory (logged) rather than fail the request or stop
        # limiting. Errors that remain (the storage dying between the check and the count) are logged.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # The largest upload, with room for the rest of the form.
        "MAX_CONTENT_LENGTH": (config["UPLOAD_MAX_MB"] + 1) * 1024 * 1024,
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
