"""Alembic environment for Flask-Migrate. The app's engine and metadata are the source of truth."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None:
    # Keep the app's and the tests' loggers working when migrations run inside them.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Render our column types as the plain SQLAlchemy types they store, so migration scripts do not
    import application code that may later change."""
    import sqlalchemy as sa

    from casework.core.db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "server_default":
        # Each database reports these in its own dialect ('now()', '1'); write them portably.
        arg = getattr(obj, "arg", obj)
        if isinstance(arg, sa.sql.functions.now):
            return "sa.func.now()"
        if isinstance(arg, sa.sql.elements.True_):
            return "sa.true()"
        if isinstance(arg, sa.sql.elements.False_):
            return "sa.false()"
    return False


def run_migrations_offline():
    context.configure(
        url=current_app.config["CASEWORK"]["MIGRATION_DATABASE_URL"],
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        # An autogenerate that finds nothing should not leave an empty revision behind.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    import sqlalchemy as sa

    from casework.core.database_roles import grant_service_role, service_role_of

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)

    # Migrations run as the owner role (CASEWORK_MIGRATION_DATABASE_URL), then grant the service's role
    # (CASEWORK_DATABASE_URL) what it may do: see casework/core/database_roles.py.
    settings = current_app.config["CASEWORK"]
    service_url, migration_url = sa.make_url(settings["DATABASE_URL"]), sa.make_url(settings["MIGRATION_DATABASE_URL"])
    engine = target_db.engine
    if migration_url != service_url:
        engine = sa.create_engine(migration_url, poolclass=sa.pool.NullPool)
    service_role = service_role_of(service_url, migration_url)
    try:
        with engine.connect() as connection:
            # On the DBAPI connection itself: SQLAlchemy's BEGIN has not been sent yet, and the pragma
            # only works outside a transaction (the engine's connect event turns pysqlite's own
            # handling off).
            raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
            if raw is not None:
                # SQLite changes a table by copying it and dropping the old one (batch mode). With
                # foreign keys enforced, that DROP deletes every row referencing the old table (ON
                # DELETE CASCADE): a new column on trigger_applications would take every meeting and
                # decision with it. So they are off while the migrations run, and checked afterwards.
                raw.execute("PRAGMA foreign_keys=OFF")
            try:
                context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
                with context.begin_transaction():
                    context.run_migrations()
                    if service_role is not None:
                        grant_service_role(connection, service_role)
                if raw is not None:
                    broken = raw.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"The migrations left rows that reference missing rows: {broken[:10]}")
            finally:
                if raw is not None:
                    raw.execute("PRAGMA foreign_keys=ON")
    finally:
        if engine is not target_db.engine:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
