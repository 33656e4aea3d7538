"""Two PostgreSQL roles: the owner, which runs the migrations and owns every table, function and trigger,
and the service, which the web app, the worker and beat connect as.

The service may read and write the application's tables as usual but may only SELECT and INSERT the
append-only tables (the audit log): no UPDATE, DELETE or TRUNCATE, and, since it owns nothing, it cannot
disable or drop their triggers, nor replace the functions. The one way it changes audit values is to
EXECUTE the SECURITY DEFINER functions ``audit_erase_values_of`` (and ``audit_erase_values``, the same for
one subject), ``audit_erase_old_summaries`` (the old summaries that named a person, by entry) and
``audit_move_values``, which run as the owner and can do nothing else.

The grants are applied by ``grant_service_role`` at the end of every ``flask db upgrade`` (and
downgrade), by ``migrations/env.py``, when ``CASEWORK_MIGRATION_DATABASE_URL`` names another role than
``CASEWORK_DATABASE_URL``. Doing it after each run, rather than with ALTER DEFAULT PRIVILEGES once, means
that tables created by later migrations are granted whoever created them, that the revocations on the
append-only tables are asserted again on every upgrade (a later migration cannot quietly widen them), and
that the role named in today's configuration is the one granted.
"""

from __future__ import annotations

import sqlalchemy as sa

#: Tables the service may only read and append to.
APPEND_ONLY_TABLES = ("audit_entries", "audit_values", "audit_seals")

#: Functions the service may call; they run as their owner (SECURITY DEFINER).
SERVICE_FUNCTIONS = (
    "audit_erase_values(text, text)",
    "audit_erase_values_of(text, text[])",
    "audit_move_values(text, text, text, text)",
    "audit_erase_old_summaries(bigint[])",
)


class RoleSetupError(RuntimeError):
    """The two roles are not set up so that the service is restricted."""


def grant_service_role(connection: sa.Connection, service_role: str) -> None:
    """Grant ``service_role`` what the service needs on the current schema, and nothing more on the
    append-only tables. Idempotent; run by the owner at the end of each migration run."""
    quote = connection.dialect.identifier_preparer.quote
    role = quote(service_role)
    found = connection.execute(
        sa.text(
            "SELECT rolsuper, rolbypassrls, pg_has_role(:role, current_user, 'MEMBER') AS is_member "
            "FROM pg_roles WHERE rolname = :role"
        ),
        {"role": service_role},
    ).first()
    owner = connection.scalar(sa.text("SELECT current_user"))
    if found is None:
        raise RoleSetupError(
            f"The service role {service_role!r} (the user in CASEWORK_DATABASE_URL) does not exist: create it "
            "first, for example CREATE ROLE casework_service LOGIN PASSWORD '...' (see the README)."
        )
    if found.rolsuper or found.is_member:
        raise RoleSetupError(
            f"The service role {service_role!r} is a superuser or a member of the owner role {owner!r}, so "
            "it could rewrite the audit log: use a plain role (NOSUPERUSER, not granted the owner's role)."
        )
    schema = quote(connection.scalar(sa.text("SELECT current_schema()")))
    owned_by_service = connection.scalars(
        sa.text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND pg_get_userbyid(c.relowner) = :role"
        ),
        {"role": service_role},
    ).all()
    if owned_by_service:
        raise RoleSetupError(
            f"The service role {service_role!r} owns {', '.join(sorted(owned_by_service))}: an owner can do "
            f"anything to its tables. Hand them to the migration role first: REASSIGN OWNED BY "
            f"{service_role} TO {owner};"
        )
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    ]
    existing = set(
        connection.scalars(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).all()
    )
    for table in APPEND_ONLY_TABLES:
        if table in existing:
            statements.append(
                f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {schema}.{quote(table)} FROM {role}"
            )
    if "alembic_version" in existing:
        # The schema's version is the owner's business; the service may read it, not move it.
        statements.append(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.alembic_version FROM {role}")
    for function in SERVICE_FUNCTIONS:
        name = function.split("(", 1)[0]
        if connection.scalar(sa.text("SELECT to_regprocedure(:f) IS NOT NULL"), {"f": f"{function}"}):
            statements.append(f"REVOKE ALL ON FUNCTION {schema}.{name}{function[len(name) :]} FROM PUBLIC")
            statements.append(f"GRANT EXECUTE ON FUNCTION {schema}.{name}{function[len(name) :]} TO {role}")
    for statement in statements:
        connection.exec_driver_sql(statement)


def service_role_of(service_url: sa.URL, migration_url: sa.URL) -> str | None:
    """The service's role when the two URLs use different PostgreSQL roles, else None (one role)."""
    if service_url.get_backend_name() != "postgresql":
        return None
    if not service_url.username or service_url.username == migration_url.username:
        return None
    return service_url.username
