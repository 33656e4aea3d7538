"""The application factory. Steps run in a fixed order; nothing here touches the database."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from casework import config as config_module

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    instance_path = (
        (config or {}).get("INSTANCE_PATH")
        or os.environ.get("CASEWORK_INSTANCE_PATH")
        or str(PROJECT_ROOT / "instance")
    )
    app = Flask("casework", instance_path=str(instance_path))
    configure(app, config)
    init_extensions(app)
    init_celery(app)
    init_web(app)
    register_cli(app)
    return app


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    settings = config_module.load(app.instance_path, overrides)
    app.config["CASEWORK"] = settings
    app.config.update(config_module.flask_settings(settings))
    if settings["ENV"] == "development":
        app.logger.setLevel(logging.INFO)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def init_extensions(app: Flask) -> None:
    from casework.core.db import configure_engine_events, configure_session_events
    from casework.extensions import csrf, db, limiter, login_manager, mail, migrate

    import_models()
    configure_session_events()
    db.init_app(app)
    with app.app_context():
        configure_engine_events(db.engine)  # creates the engine; does not connect
    migrate.init_app(
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


def import_models() -> None:
    """Every model module, so the metadata is complete for Alembic and relationships resolve."""
    import importlib

    for module in MODEL_MODULES:
        importlib.import_module(module)


MODEL_MODULES = [
    "casework.accounts.models",
    "casework.audit.models",
    "casework.reminders.models",
    "casework.notifications.models",
    "casework.cases.models",
    "casework.risk.models",
    "casework.interventions.models",
    "casework.community_triggers.models",
    "casework.statistics.models",
    "casework.core.tasks_outbox",
]


def init_login(app: Flask, login_manager: Any) -> None:
    from flask import g, request

    from casework.accounts.models import User
    from casework.extensions import db

    login_manager.init_app(app)
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
        user = db.session.get(User, user_id)
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
        g.api_token = found[1]
        return found[0]


def init_celery(app: Flask) -> None:
    from casework.core.celery import celery_init_app
    from casework.tasks import import_task_modules

    celery_init_app(app, import_task_modules())


def init_web(app: Flask) -> None:
    from casework import audit
    from casework.blueprints import register_blueprints
    from casework.core.errors import register_error_handlers
    from casework.core.routing import init_input_checks, init_routing
    from casework.core.security import init_security
    from casework.core.templating import init_templating

    init_routing(app)  # before any rule is added: rules take their converters when added
    init_templating(app)
    init_security(app)
    init_input_checks(app)
    register_blueprints(app)
    register_error_handlers(app)
    audit.init_app(app)


def register_cli(app: Flask) -> None:
    from casework.cli import register_commands

    register_commands(app)
