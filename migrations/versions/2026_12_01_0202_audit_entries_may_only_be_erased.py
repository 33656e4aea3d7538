"""audit entries: the one change allowed is erasing their personal values

The audit log stays append-only except for one update: retention erasing an entry's personal values
(its before/after values and its summary, which may name people), keeping who, when, what kind of
change and which record. The database checks the update is exactly that; any other is refused, and
DELETE still is.

Revision ID: 0202
Revises: 0201
Create Date: 2026-12-01 18:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0202'
down_revision = '0201'
branch_labels = None
depends_on = None

#: Must match casework.audit.services.ERASED_SUMMARY.
ERASED_SUMMARY = "Details removed under the retention policy"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE'
                   AND NEW.summary = '{ERASED_SUMMARY}' AND NEW.changes IS NULL
                   AND NEW.id = OLD.id AND NEW.created_at = OLD.created_at AND NEW.action = OLD.action
                   AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
                   AND NEW.object_type = OLD.object_type
                   AND NEW.object_id IS NOT DISTINCT FROM OLD.object_id
                   AND NEW.ip_address IS NOT DISTINCT FROM OLD.ip_address THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'audit_entries is append-only';
            END
            $$
            """
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            f"WHEN NOT (NEW.summary = '{ERASED_SUMMARY}' AND NEW.changes IS NULL AND NEW.id = OLD.id "
            "AND NEW.created_at IS OLD.created_at AND NEW.action = OLD.action AND NEW.actor_id IS OLD.actor_id "
            "AND NEW.object_type = OLD.object_type AND NEW.object_id IS OLD.object_id "
            "AND NEW.ip_address IS OLD.ip_address) "
            "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_entries is append-only';
            END
            $$
            """
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
        )
