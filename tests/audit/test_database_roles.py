"""The service connects to PostgreSQL as a role that may append to the audit log but never rewrite it;
the migrations run as the owner (issue 8 item 6). The suite's own PostgreSQL database is set up this way,
so every other test also proves the service works under the restricted role."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework.audit.services import erase_personal_values, erase_personal_values_of, record_view, verify_chain
from casework.core.database_roles import APPEND_ONLY_TABLES, RoleSetupError, grant_service_role
from casework.extensions import db

pytestmark = pytest.mark.postgresql_only

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def service_role(postgresql_database, db_session) -> str:
    if postgresql_database.service_url is None:
        from tests.support.services import unavailable

        unavailable("postgresql", "no service role: set CASEWORK_TEST_POSTGRESQL_SERVICE_URL (see .ci/run)")
    role = db_session.scalar(sa.text("SELECT current_user"))
    assert role == sa.make_url(postgresql_database.service_url).username
    return role


@pytest.fixture
def an_entry(db_session) -> int:
    entry = record_view(None, ("people", 1), "Viewed person 1")
    db_session.flush()
    from casework.audit.services import seal_pending

    seal_pending()
    db_session.commit()
    return entry.id


ATTEMPTS = [
    "UPDATE {table} SET {column} = {column}",
    "DELETE FROM {table}",
    "TRUNCATE {table}",
    "ALTER TABLE {table} DISABLE TRIGGER USER",
    "ALTER TABLE {table} DISABLE TRIGGER ALL",
    "DROP TRIGGER {trigger} ON {table}",
    "ALTER TABLE {table} OWNER TO CURRENT_USER",
    "DROP TABLE {table}",
]
SOME_COLUMN = {"audit_entries": "object_id", "audit_values": "summary", "audit_seals": "hash"}
A_TRIGGER = {
    "audit_entries": "audit_entries_append_only",
    "audit_values": "audit_values_erase_or_move_only",
    "audit_seals": "audit_seals_append_only",
}


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_the_service_role_cannot_rewrite_the_audit_log(db_session, service_role, an_entry, table, attempt):
    statement = attempt.format(table=table, column=SOME_COLUMN[table], trigger=A_TRIGGER[table])
    with pytest.raises(sa.exc.DBAPIError) as refused, db_session.begin_nested():
        db_session.execute(sa.text(statement))
    assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(sa.table(table))) >= 1


def test_the_service_role_cannot_grant_itself_more(db_session, service_role, an_entry):
    for table in APPEND_ONLY_TABLES:
        with db_session.begin_nested():  # PostgreSQL only warns: "no privileges were granted"
            db_session.execute(sa.text(f"GRANT UPDATE, DELETE, TRUNCATE ON {table} TO CURRENT_USER"))
        for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
            assert not db_session.scalar(sa.text("SELECT has_table_privilege(:t, :p)"), {"t": table, "p": privilege}), (
                f"{privilege} on {table}"
            )


@pytest.mark.parametrize(
    "replacement",
    [
        "CREATE OR REPLACE FUNCTION audit_erase_values(p_subject_type text, p_subject_id text) "
        "RETURNS integer LANGUAGE sql AS 'DELETE FROM audit_values RETURNING 1'",
        "CREATE OR REPLACE FUNCTION audit_erase_values_of(p_subject_type text, p_subject_ids text[]) "
        "RETURNS TABLE (erased_entry_id bigint, erased_subject_id text) LANGUAGE sql "
        "AS 'DELETE FROM audit_values RETURNING entry_id, subject_id'",
    ],
)
def test_the_service_role_cannot_replace_the_erasure_functions(db_session, service_role, replacement):
    with pytest.raises(sa.exc.DBAPIError, match=r"must be owner|permission denied"), db_session.begin_nested():
        db_session.execute(sa.text(replacement))


def test_the_service_role_appends_reads_and_erases_only_through_the_function(db_session, service_role, an_entry):
    assert db_session.scalar(sa.text("SELECT has_table_privilege('audit_entries', 'INSERT')"))
    assert db_session.scalar(sa.text("SELECT has_table_privilege('audit_values', 'SELECT')"))
    assert db_session.scalar(sa.text("SELECT has_function_privilege('audit_erase_values(text, text)', 'EXECUTE')"))
    assert db_session.scalar(sa.text("SELECT has_function_privilege('audit_erase_values_of(text, text[])', 'EXECUTE')"))
    assert erase_personal_values("people", 1) == 1
    db_session.commit()
    assert db_session.scalar(sa.text("SELECT summary FROM audit_values WHERE entry_id = :id"), {"id": an_entry}) == (
        "Personal details erased"
    )


def test_the_service_role_erases_many_records_at_once_through_the_function(db_session, service_role):
    entries = [record_view(None, ("people", person), f"Viewed person {person}") for person in (21, 22, 23)]
    db_session.flush()
    assert erase_personal_values_of("people", [21, 22, 23, 24]) == sorted(entry.id for entry in entries)
    db_session.commit()
    assert verify_chain().ok


def test_the_service_role_uses_every_other_table_normally_and_owns_nothing(db_session, service_role):
    """Tables made by any migration (later ones included) are granted at the end of each upgrade."""
    for table in set(db.metadata.tables) - set(APPEND_ONLY_TABLES):
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            assert db_session.scalar(
                sa.text("SELECT has_table_privilege(:table, :privilege)"), {"table": table, "privilege": privilege}
            ), f"the service role lacks {privilege} on {table}"
        assert not db_session.scalar(sa.text("SELECT has_table_privilege(:t, 'TRUNCATE')"), {"t": table})
    owned = db_session.scalars(
        sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tableowner = current_user")
    ).all()
    assert owned == []
    assert not db_session.scalar(sa.text("SELECT has_table_privilege('alembic_version', 'UPDATE')"))
    assert not db_session.scalar(sa.text("SELECT has_schema_privilege(current_schema(), 'CREATE')"))


def test_flask_db_upgrade_ran_as_the_owner(db_session, service_role, postgresql_database):
    owner = sa.make_url(postgresql_database.owner_url).username
    owners = set(
        db_session.scalars(sa.text("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema()")).all()
    )
    assert owners == {owner}
    function_owner = db_session.scalar(
        sa.text("SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'audit_erase_values'")
    )
    assert function_owner == owner


def test_the_grant_step_refuses_a_service_role_that_could_rewrite_the_log(postgresql_database, service_role):
    engine = sa.create_engine(postgresql_database.owner_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            with pytest.raises(RoleSetupError, match="does not exist"):
                grant_service_role(connection, "nobody_by_this_name")
            connection.rollback()
            # Every cluster has its bootstrap superuser, "postgres" on Debian and in the image.
            with pytest.raises(RoleSetupError, match="is a superuser or a member of the owner role"):
                grant_service_role(connection, "postgres")
            connection.rollback()
    finally:
        engine.dispose()


# --- the same set-up outside the suite: docker compose's init script ---------------------------------


def test_the_compose_init_script_creates_two_roles_that_work(tmp_path):
    """docker/postgres/init-roles.sh is what the postgres image runs on its first start; run it the same
    way (psql as the image's superuser, with its environment) against a server of our own, then migrate
    as the owner and check the service role's limits."""
    from tests.notifications.committed import committed_app
    from tests.support.services import ThrowawayPostgres, find_postgresql_bindir, unavailable

    bindir = find_postgresql_bindir()
    if bindir is None:
        unavailable("postgresql", "PostgreSQL not installed (no initdb found)")
    server = ThrowawayPostgres(bindir)
    server.start()
    try:
        env = {
            **os.environ,
            "PATH": f"{bindir}:{os.environ['PATH']}",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(server.port),
            "POSTGRES_USER": "postgres",
            "POSTGRES_DB": "postgres",
            "CASEWORK_DB_NAME": "casework",
            "CASEWORK_DB_OWNER_PASSWORD": "owner-secret",
            "CASEWORK_DB_SERVICE_PASSWORD": "service-secret",
        }
        script = ROOT / "docker" / "postgres" / "init-roles.sh"
        result = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        base = f"127.0.0.1:{server.port}/casework"
        owner = f"postgresql+psycopg://casework_owner:owner-secret@{base}"
        service = f"postgresql+psycopg://casework_service:service-secret@{base}"
        with (
            committed_app(service, tmp_path, MIGRATION_DATABASE_URL=owner) as app,
            app.app_context(),
            db.engine.connect() as connection,
        ):
            assert connection.scalar(sa.text("SELECT current_user")) == "casework_service"
            assert connection.scalar(sa.text("SELECT has_table_privilege('cases', 'UPDATE')"))
            with pytest.raises(sa.exc.DBAPIError, match="permission denied"):
                connection.exec_driver_sql("DELETE FROM audit_entries")
    finally:
        server.stop()


def test_the_service_role_erases_by_entry_only_the_old_summaries_naming_a_person(db_session, service_role, an_entry):
    """``audit_erase_old_summaries`` erases the entries given only if they are old summaries that named a
    person (``OLD_SUMMARIES_NAMING_PEOPLE``): any other entry named to it is left as it was."""
    from casework.audit.models import AuditAction, AuditEntry

    old = AuditEntry(
        action=AuditAction.update,
        object_type="cases",
        object_id="4",
        summary="Added Ann Oldname to case BOL-2026-0004 as witness",
        changes={"party": [None, [9, "witness"]]},
    )
    db_session.add(old)
    db_session.flush()
    assert db_session.scalar(sa.text("SELECT has_function_privilege('audit_erase_old_summaries(bigint[])', 'EXECUTE')"))
    erased = db_session.execute(
        sa.text("SELECT erased_entry_id FROM audit_erase_old_summaries(CAST(:ids AS bigint[]))"),
        {"ids": [an_entry, old.id]},
    ).scalars()
    assert list(erased) == [old.id]
    assert db_session.scalar(sa.text("SELECT summary FROM audit_values WHERE entry_id = :id"), {"id": an_entry}) == (
        "Viewed person 1"
    )
    assert verify_chain().ok
