"""Audit log: personal values apart from the chained part, the hash chain's seals, erasure functions.

- audit_values: summary, changes and address of each entry move here from audit_entries, with a random
  nonce; audit_entries keeps who, when, what kind, the subject and values_hash (a hash of the values).
- audit_seals: the hash chain, filled by the audit.seal task.
- Both new tables are append-only like audit_entries (triggers; also against TRUNCATE); audit_values
  accepts only the erasure and move shapes of UPDATE.
- PostgreSQL: audit_erase_values() and audit_move_values(), SECURITY DEFINER functions owned by the role
  running this migration; the service role gets EXECUTE on them (casework/core/database_roles.py).
- The action CHECK constraint gains 'erase' and 'move'.

Revision ID: 0220
Revises: 0250
Create Date: 2026-12-01 16:17:54.491071

"""

import hashlib
import json
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0220"
down_revision = "0250"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ERASED_SUMMARY = "Personal details erased"
OLD_ACTIONS = ("create", "update", "delete", "view", "sign_in", "sign_in_failed", "sign_out", "export", "anonymise")
NEW_ACTIONS = (*OLD_ACTIONS, "erase", "move")
BATCH = 5000


def _action_check(actions):
    return "action IN (" + ", ".join(f"'{a}'" for a in actions) + ")"


def _values_hash(nonce, summary, changes, ip_address):
    """casework.audit.chain.values_digest, written out (a migration never imports application code)."""
    payload = {"nonce": nonce, "summary": summary, "changes": changes, "ip_address": ip_address}
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    _suspend_entries_protection(postgresql)

    # 1. Hash each entry's values; keep them (with their nonce) aside until audit_values exists.
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("values_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "_audit_values_copy",
        sa.Column("entry_id", ID, primary_key=True),
        sa.Column("subject_type", sa.String(60), nullable=False),
        sa.Column("subject_id", sa.String(60)),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("changes", sa.JSON(none_as_null=True)),
        sa.Column("ip_address", sa.String(45)),
        sa.Column("nonce", sa.String(32)),
    )
    old = sa.table(
        "audit_entries",
        sa.column("id", ID),
        sa.column("object_type", sa.String),
        sa.column("object_id", sa.String),
        sa.column("summary", sa.String),
        sa.column("changes", sa.JSON(none_as_null=True)),
        sa.column("ip_address", sa.String),
        sa.column("values_hash", sa.String),
    )
    copy = sa.table(
        "_audit_values_copy",
        sa.column("entry_id", ID),
        sa.column("subject_type", sa.String),
        sa.column("subject_id", sa.String),
        sa.column("summary", sa.String),
        sa.column("changes", sa.JSON(none_as_null=True)),
        sa.column("ip_address", sa.String),
        sa.column("nonce", sa.String),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(old.c.id, old.c.object_type, old.c.object_id, old.c.summary, old.c.changes, old.c.ip_address)
            .where(old.c.id > last)
            .order_by(old.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        values, hashes = [], []
        for row in rows:
            nonce = secrets.token_hex(16)
            summary = (row.summary or "")[:500]
            values.append(
                {
                    "entry_id": row.id,
                    "subject_type": row.object_type,
                    "subject_id": row.object_id,
                    "summary": summary,
                    "changes": row.changes,
                    "ip_address": row.ip_address,
                    "nonce": nonce,
                }
            )
            hashes.append({"entry": row.id, "hash": _values_hash(nonce, summary, row.changes, row.ip_address)})
        bind.execute(sa.insert(copy), values)
        bind.execute(
            sa.update(old).where(old.c.id == sa.bindparam("entry")).values(values_hash=sa.bindparam("hash")), hashes
        )
        last = rows[-1].id

    # 2. audit_entries keeps only the chained part.
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("ip_address")
        batch_op.drop_column("summary")
        batch_op.drop_column("changes")
        batch_op.alter_column("values_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(op.f("ck_audit_entries_auditaction"), type_="check")
        batch_op.create_check_constraint(op.f("ck_audit_entries_auditaction"), _action_check(NEW_ACTIONS))

    # 3. The personal values, and the chain.
    op.create_table(
        "audit_values",
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("subject_type", sa.String(length=60), nullable=False),
        sa.Column("subject_id", sa.String(length=60), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("changes", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("nonce", sa.String(length=32), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["audit_entries.id"], name=op.f("fk_audit_values_entry_id_audit_entries")
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_audit_values")),
    )
    with op.batch_alter_table("audit_values", schema=None) as batch_op:
        batch_op.create_index("ix_audit_values_subject", ["subject_type", "subject_id"], unique=False)
    op.execute(
        "INSERT INTO audit_values (entry_id, subject_type, subject_id, summary, changes, ip_address, nonce) "
        "SELECT entry_id, subject_type, subject_id, summary, changes, ip_address, nonce FROM _audit_values_copy"
    )
    op.drop_table("_audit_values_copy")
    op.create_table(
        "audit_seals",
        sa.Column("position", ID, autoincrement=False, nullable=False),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_audit_seals")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_audit_seals_entry_id")),
    )

    # 4. All three append-only again; the functions that may erase or move values.
    _protect(postgresql)


def downgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    _unprotect(postgresql)
    _suspend_entries_protection(postgresql)

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("changes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("ip_address", sa.String(length=45), nullable=True))
    for column in ("summary", "changes", "ip_address"):
        op.execute(
            f"UPDATE audit_entries SET {column} = "
            f"(SELECT v.{column} FROM audit_values v WHERE v.entry_id = audit_entries.id)"
        )
    # The old log knew no erasures or moves: keep them as what comes closest.
    op.execute("UPDATE audit_entries SET action = 'anonymise' WHERE action = 'erase'")
    op.execute("UPDATE audit_entries SET action = 'update' WHERE action = 'move'")
    op.drop_table("audit_seals")
    with op.batch_alter_table("audit_values", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_values_subject")
    op.drop_table("audit_values")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("values_hash")
        batch_op.alter_column("summary", existing_type=sa.String(length=500), nullable=False)
        batch_op.drop_constraint(op.f("ck_audit_entries_auditaction"), type_="check")
        batch_op.create_check_constraint(op.f("ck_audit_entries_auditaction"), _action_check(OLD_ACTIONS))

    _resume_entries_protection(postgresql)


# --- the database's own guards ---------------------------------------------------------------------


def _suspend_entries_protection(postgresql):
    """0001's triggers on audit_entries, off while its rows are rewritten by this migration."""
    if postgresql:
        op.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")


def _resume_entries_protection(postgresql):
    if postgresql:
        # Replaced, not only re-enabled: whatever an earlier migration let through (an erasure in place,
        # before the values moved apart), audit_entries is strictly append-only from here on.
        op.execute(
            """
            CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_entries is append-only';
            END
            $$
            """
        )
        op.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entries_no_{event.lower()} BEFORE {event} ON audit_entries "
                "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
            )


#: An UPDATE of audit_values is allowed in two shapes only: the erasure (once, to exactly the marker) and
#: the move (only the subject changes). SQLite and PostgreSQL spell the same test.
SQLITE_ERASE_OR_MOVE = f"""
    NEW.entry_id = OLD.entry_id AND (
        (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL AND NEW.summary = '{ERASED_SUMMARY}'
         AND NEW.changes IS NULL AND NEW.ip_address IS NULL AND NEW.nonce IS NULL
         AND NEW.subject_type = OLD.subject_type AND NEW.subject_id IS OLD.subject_id)
        OR
        (NEW.summary = OLD.summary AND NEW.changes IS OLD.changes AND NEW.ip_address IS OLD.ip_address
         AND NEW.nonce IS OLD.nonce AND NEW.erased_at IS OLD.erased_at)
    )
"""


def _protect(postgresql):
    _resume_entries_protection(postgresql)
    if not postgresql:
        op.execute(
            "CREATE TRIGGER audit_values_no_delete BEFORE DELETE ON audit_values "
            "BEGIN SELECT RAISE(ABORT, 'audit_values is never deleted: erase it with erase_personal_values'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_values_erase_or_move_only BEFORE UPDATE ON audit_values "
            f"WHEN NOT ({SQLITE_ERASE_OR_MOVE}) "
            "BEGIN SELECT RAISE(ABORT, 'audit_values may only be erased or moved to another subject'); END"
        )
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_seals_no_{event.lower()} BEFORE {event} ON audit_seals "
                "BEGIN SELECT RAISE(ABORT, 'audit_seals is append-only'); END"
            )
        return

    schema = op.get_bind().scalar(sa.text("SELECT current_schema()"))
    values = f'"{schema}".audit_values'
    entries = f'"{schema}".audit_entries'
    op.execute(
        """
        CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
        END
        $$
        """
    )
    for table in ("audit_entries", "audit_values", "audit_seals"):
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )
    op.execute(
        "CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    )
    op.execute(
        f"""
        CREATE FUNCTION audit_values_erase_or_move_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'audit_values is never deleted: erase it with audit_erase_values()';
            END IF;
            IF NEW.entry_id = OLD.entry_id AND (
                (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL AND NEW.summary = '{ERASED_SUMMARY}'
                 AND NEW.changes IS NULL AND NEW.ip_address IS NULL AND NEW.nonce IS NULL
                 AND NEW.subject_type = OLD.subject_type AND NEW.subject_id IS NOT DISTINCT FROM OLD.subject_id)
                OR
                (NEW.summary = OLD.summary AND NEW.changes::text IS NOT DISTINCT FROM OLD.changes::text
                 AND NEW.ip_address IS NOT DISTINCT FROM OLD.ip_address
                 AND NEW.nonce IS NOT DISTINCT FROM OLD.nonce
                 AND NEW.erased_at IS NOT DISTINCT FROM OLD.erased_at)
            ) THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'audit_values may only be erased or moved to another subject';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_values_erase_or_move_only BEFORE UPDATE OR DELETE ON audit_values "
        "FOR EACH ROW EXECUTE FUNCTION audit_values_erase_or_move_only()"
    )
    # SECURITY DEFINER: they run as this migration's role (the owner), so the service's role, which may
    # not UPDATE audit_values, can erase or move values through them and in no other way. A fixed
    # search_path and qualified names stop a caller from substituting objects of their own.
    op.execute(
        f"""
        CREATE FUNCTION audit_erase_values(p_subject_type text, p_subject_id text) RETURNS integer
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            erased integer;
        BEGIN
            UPDATE {values}
               SET summary = '{ERASED_SUMMARY}', changes = NULL, ip_address = NULL, nonce = NULL,
                   erased_at = now()
             WHERE subject_type = p_subject_type AND subject_id IS NOT DISTINCT FROM p_subject_id
               AND erased_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM {entries} e WHERE e.id = entry_id AND e.action = 'erase');
            GET DIAGNOSTICS erased = ROW_COUNT;
            RETURN erased;
        END
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION audit_move_values(p_from_type text, p_from_id text, p_to_type text, p_to_id text)
        RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            moved integer;
        BEGIN
            UPDATE {values}
               SET subject_type = p_to_type, subject_id = p_to_id
             WHERE subject_type = p_from_type AND subject_id IS NOT DISTINCT FROM p_from_id;
            GET DIAGNOSTICS moved = ROW_COUNT;
            RETURN moved;
        END
        $$
        """
    )
    for function in ("audit_erase_values(text, text)", "audit_move_values(text, text, text, text)"):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")


def _unprotect(postgresql):
    if not postgresql:
        for trigger in (
            "audit_values_no_delete",
            "audit_values_erase_or_move_only",
            "audit_seals_no_update",
            "audit_seals_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        return
    op.execute("DROP FUNCTION IF EXISTS audit_erase_values(text, text)")
    op.execute("DROP FUNCTION IF EXISTS audit_move_values(text, text, text, text)")
    op.execute("DROP TRIGGER IF EXISTS audit_values_erase_or_move_only ON audit_values")
    op.execute("DROP FUNCTION IF EXISTS audit_values_erase_or_move_only()")
    op.execute("DROP TRIGGER IF EXISTS audit_seals_append_only ON audit_seals")
    for table in ("audit_entries", "audit_values", "audit_seals"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
