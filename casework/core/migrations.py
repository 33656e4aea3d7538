"""Flask-Migrate, loaded when it is first used.

Flask-Migrate imports Alembic, Mako and Pygments: about 11 MB that a web worker or a Celery worker
never uses (docs/performance.md, "Memory"). Under the ``flask`` command (``flask db upgrade``) it is
set up at once; elsewhere ``app.extensions["migrate"]`` is a stand-in that sets it up, exactly as
``Migrate(app, db, ...)`` would, the first time something reads it (``flask_migrate.upgrade()``).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


class LazyMigrateConfig:
    """Stands in for Flask-Migrate's ``app.extensions["migrate"]`` until something reads it."""

    def __init__(self, app: Flask, db: Any, directory: str, **options: Any) -> None:
        self._setup = (app, db, directory, options)
        self._config: Any = None

    def load(self) -> Any:
        if self._config is None:
            from flask_migrate import Migrate

            app, db, directory, options = self._setup
            Migrate().init_app(app, db, directory=directory, **options)  # replaces this stand-in
            self._config = app.extensions["migrate"]
        return self._config

    def __getattr__(self, name: str) -> Any:
        return getattr(self.load(), name)


def init_migrations(app: Flask, db: Any, directory: str, **options: Any) -> None:
    config = LazyMigrateConfig(app, db, directory, **options)
    app.extensions["migrate"] = config
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        config.load()  # the ``flask`` command: ``flask db ...`` must be there
