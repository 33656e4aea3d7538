"""The application factory. Steps run in a fixed order; nothing here touches the database."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from casework import config as config_module
from casework.core.bodies import CaseworkRequest
from casework.core.json_provider import OrjsonProvider
from casework.core.templating import JinjaEnvironment

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The table of contents of the application: every domain, each registering itself on the app with
#: its ``init_app(app)`` (models, blueprints, settings, tasks and beat entries, demo data, case record
#: sections, dashboard panels, lifecycle receivers; see ``casework.core.registry``). The order is
#: the dependency order: demo data loads in it, and case page sections and panels appear in it.
DOMAINS = (
    "casework.tasks",
    "casework.core",
    "casework.accounts",
    "casework.about",
    "casework.audit",
    "casework.notifications",
    "casework.reminders",
    "casework.dashboard",
    "casework.cases",
    "casework.risk",
    "casework.actions",
    "casework.interventions",
    "casework.documents",
    "casework.community_triggers",
    "casework.threshold_watch",
    "casework.statistics",
    "casework.reports",
    "casework.data_protection",
    "casework.spreadsheets",
    "casework.victims",
    "casework.tasking",
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    instance_path = (
        (config or {}).get("INSTANCE_PATH")
        or os.environ.get("CASEWORK_INSTANCE_PATH")
        or str(PROJECT_ROOT / "instance")
    )
    app = Flask("casework", instance_path=str(instance_path))
    app.jinja_environment = JinjaEnvironment  # before anything creates app.jinja_env
    app.json = OrjsonProvider(app)
    app.request_class = CaseworkRequest  # a body that is not an upload is held to a smaller limit
    configure(app, config)
    init_proxies(app)
    init_extensions(app)
    init_domains(app)
    init_celery(app)
    init_web(app)
    register_cli(app)
    return app


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    from casework.core import log_redaction

    # Before anything logs: the web server, the worker and beat all build the app, so all redact.
    log_redaction.install()
    settings = config_module.load(app.instance_path, overrides)
    app.config["CASEWORK"] = settings
    app.config.update(config_module.flask_settings(settings))
    if settings["ENV"] == "development":
        app.logger.setLevel(logging.INFO)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def init_proxies(app: Flask) -> None:
    """Behind ``CASEWORK_TRUSTED_PROXIES`` reverse proxies, take the client's address (for rate limits
    and the audit log) and the scheme from their X-Forwarded-* headers; with none, ignore those headers,
    which any client could send."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    proxies = app.config["CASEWORK"]["TRUSTED_PROXIES"]
    if proxies:
        # Each proxy appends the address it received from to X-Forwarded-For, so the client is the
        # entry that many places from the end. The scheme, host and prefix are set by the proxy nearest
        # to the service (links in emails use CASEWORK_BASE_URL, whatever the host says).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=1, x_host=1, x_port=1, x_prefix=1)  # type: ignore[method-assign]


def init_extensions(app: Flask) -> None:
    from casework.core.db import (
        choose_transaction_mode,
        configure_engine_events,
        configure_read_engine,
        configure_session_events,
        configure_transaction_guard,
    )
    from casework.core.migrations import init_migrations
    from casework.extensions import csrf, db, limiter, login_manager, mail

    configure_session_events()
    configure_transaction_guard()
    # First of the request hooks: the mode must be known before anything reads (the user, say).
    app.before_request(choose_transaction_mode)
    db.init_app(app)
    with app.app_context():
        configure_engine_events(db.engine)  # creates the engine; does not connect
        configure_read_engine(app, db.engine)
    init_migrations(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,  # SQLite can only change a table by copying it
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    init_login(app, login_manager)
    # After the user is known (a key is honoured for its sender only) and CSRF is checked.
    from casework.core import submissions

    submissions.init_app(app)


def init_login(app: Flask, login_manager: Any) -> None:
    from flask import g, request, session

    from casework.accounts import sessions
    from casework.accounts.models import User

    login_manager.init_app(app)
    app.session_interface = sessions.PagesSessionInterface()
    app.after_request(sessions.write_pending)
    login_manager.login_view = "staff.accounts.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(identity: str) -> User | None:
        # Bearer tokens are for the API only: a session cookie never authenticates the API (so the
        # API needs no CSRF protection), and a token never opens the pages.
        if request.path.startswith("/api/"):
            return None
        try:
            user_id, version = (int(part) for part in identity.split(":"))
        except ValueError:
            return None
        # Only through a session still open on the server: signing out ends it there, so a copy of
        # the old cookie opens nothing.
        user = sessions.user_for(user_id, session.get(sessions.SESSION_KEY))
        if user is None or user.session_stamp != version or not user.is_active:
            return None
        return user

    @login_manager.request_loader
    def load_user_from_token(req: Any) -> User | None:
        if not req.path.startswith("/api/"):
            return None
        header = req.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        from casework.accounts.services import user_for_token

        found = user_for_token(token.strip())
        if found is None:
            return None
        g.api_token_id = found[1]
        return found[0]


def init_domains(app: Flask) -> None:
    from casework.core.registry import init_domains as call_init_apps

    call_init_apps(app, DOMAINS)


def init_celery(app: Flask) -> None:
    from casework.core.celery import celery_init_app
    from casework.core.registry import registry

    celery_init_app(app, registry(app).beat_schedule)


def init_web(app: Flask) -> None:
    from casework.blueprints import register_blueprints
    from casework.core.bodies import init_body_limits
    from casework.core.errors import register_error_handlers
    from casework.core.routing import init_input_checks, init_routing
    from casework.core.security import init_security
    from casework.core.templating import drop_repeated_context_processors, init_templating

    init_routing(app)  # before any rule is added: rules take their converters when added
    init_body_limits(app)  # first of the hooks, the extensions' too: a body over the limit is refused before any
    init_templating(app)
    init_security(app)
    init_input_checks(app)
    register_blueprints(app)
    drop_repeated_context_processors(app)  # once every blueprint has its copy
    register_error_handlers(app)


def register_cli(app: Flask) -> None:
    from casework.cli import register_commands

    register_commands(app)
