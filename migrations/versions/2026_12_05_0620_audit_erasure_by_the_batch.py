"""Audit log (PostgreSQL): erasing the personal values of many subjects in one statement, through the index

Revision ID: 0620
Revises: 0600
Create Date: 2026-12-05 00:30:00

A retention run erased the values about each record it anonymised with its own call of
``audit_erase_values()``, whose ``subject_id IS NOT DISTINCT FROM p_subject_id`` PostgreSQL cannot look
up in ``ix_audit_values_subject`` (subject_type, subject_id): each call read every value row of the
subject's kind (people, cases: most of the log). So did ``audit_move_values()`` for each merge.

- ``audit_erase_values_of(p_subject_type text, p_subject_ids text[])``: one UPDATE of the values about
  all the subjects given (a null among them: the entries of no subject), in the erasure's one shape,
  answering each erased row's ``(erased_entry_id, erased_subject_id)``; SECURITY DEFINER, owned by
  this migration's role, with a fixed search_path, like the others; the service's role gets EXECUTE
  (``casework/core/database_roles.py``).
- ``audit_erase_values(text, text)`` keeps its signature and answer, and is that function for one
  subject; ``audit_move_values`` finds its rows through the index. The trigger that accepts only the
  erasure and the move is unchanged.

SQLite: nothing (its statements are the service's own, and ``IS`` is looked up in the index).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0620"
down_revision = "0600"
branch_labels = None
depends_on = None

ERASED_SUMMARY = "Personal details erased"


def _names():
    schema = op.get_bind().scalar(sa.text("SELECT current_schema()"))
    return f'"{schema}".audit_values', f'"{schema}".audit_entries', f'"{schema}".audit_erase_values_of'


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    values, entries, erase_values_of = _names()
    op.execute(
        f"""
        CREATE FUNCTION audit_erase_values_of(p_subject_type text, p_subject_ids text[])
        RETURNS TABLE (erased_entry_id bigint, erased_subject_id text)
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            UPDATE {values} v
               SET summary = '{ERASED_SUMMARY}', changes = NULL, ip_address = NULL, nonce = NULL,
                   erased_at = now()
             WHERE v.subject_type = p_subject_type
               AND (v.subject_id = ANY (p_subject_ids)
                    OR (v.subject_id IS NULL AND array_position(p_subject_ids, NULL) IS NOT NULL))
               AND v.erased_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM {entries} e WHERE e.id = v.entry_id AND e.action = 'erase')
            RETURNING v.entry_id, v.subject_id
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION audit_erase_values_of(text, text[]) FROM PUBLIC")
    # Replaced in place: the owner, and the service role's EXECUTE, stay as they were.
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION audit_erase_values(p_subject_type text, p_subject_id text) RETURNS integer
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            SELECT count(*)::integer FROM {erase_values_of}(p_subject_type, ARRAY[p_subject_id])
        $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION audit_move_values(p_from_type text, p_from_id text, p_to_type text, p_to_id text)
        RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            moved integer;
        BEGIN
            UPDATE {values}
               SET subject_type = p_to_type, subject_id = p_to_id
             WHERE subject_type = p_from_type
               AND (subject_id = p_from_id OR (subject_id IS NULL AND p_from_id IS NULL));
            GET DIAGNOSTICS moved = ROW_COUNT;
            RETURN moved;
        END
        $$
        """
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    values, entries, _erase_values_of = _names()
    # 0220's functions, as they were (replaced in place, keeping their owner and grants).
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION audit_erase_values(p_subject_type text, p_subject_id text) RETURNS integer
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
        CREATE OR REPLACE FUNCTION audit_move_values(p_from_type text, p_from_id text, p_to_type text, p_to_id text)
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
    op.execute("DROP FUNCTION audit_erase_values_of(text, text[])")
