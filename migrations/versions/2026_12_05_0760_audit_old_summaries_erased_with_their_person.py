"""Audit log: the old summaries naming a person are erased when that person is anonymised later; cases.closure_seen_at

Revision ID: 0760
Revises: 0740
Create Date: 2026-12-05 13:30:00

Migration 0730 erased the values of the entries whose summary named a person before summaries gave
the person's number ("Added <name> to case <ref> as <role>", "Second report by <name> on case <ref>:
explain the Case Review") when that person was already anonymised or merged. One naming a person who
lived on was left, to be erased with its case or task; but the person can be anonymised first, and
nothing erased it then. The retention run now erases them when it anonymises the person
(``casework.audit.services.erase_old_summaries_naming``).

- Two partial indexes on ``audit_values (entry_id)``, one per summary, holding only such entries not
  yet erased (``casework.audit.models.OLD_SUMMARIES_NAMING_PEOPLE``, whose predicates these repeat): each
  run reads those few rows, not the log's values about every case.
- PostgreSQL: ``audit_erase_old_summaries(p_entry_ids bigint[])``, which erases, in the erasure's one
  shape, those of the entries given that are such entries not yet erased, and nothing else, answering
  each one's ``(erased_entry_id, erased_subject_id)``; SECURITY DEFINER, owned by this migration's role,
  with a fixed search_path, like the others; the service's role gets EXECUTE
  (``casework/core/database_roles.py``). The trigger that accepts only the erasure and the move is
  unchanged.

And ``cases.closure_seen_at``: a closed case with no ``closed`` event on its timeline counted its
retention grace from when its row was last written (``updated_at``), so any edit restarted it. It now
counts from when its row was last written as the first retention run to see it closed found it
(``casework.data_protection.retention.note_closures_without_event``); the cases closed so far are seen
here, with their ``updated_at`` as it is now.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0760"
down_revision = "0740"
branch_labels = None
depends_on = None

ERASED_SUMMARY = "Personal details erased"

#: As casework.audit.models.OLD_SUMMARIES_NAMING_PEOPLE when this migration was written.
OLD_PARTY_SUMMARIES = (
    "subject_type = 'cases' AND erased_at IS NULL AND summary LIKE 'Added % to case % as %' "
    "AND summary NOT LIKE 'Added person % to case % as %'"
)
OLD_SECOND_REPORT_SUMMARIES = (
    "subject_type = 'case_review_explanations' AND erased_at IS NULL "
    "AND summary LIKE 'Second report by % on case %: explain the Case Review' "
    "AND summary NOT LIKE 'Second report by person % on case %'"
)
INDEXES = (
    ("ix_audit_values_old_party_summaries", OLD_PARTY_SUMMARIES),
    ("ix_audit_values_old_second_report_summaries", OLD_SECOND_REPORT_SUMMARIES),
)


def upgrade():
    op.add_column("cases", sa.Column("closure_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE cases SET closure_seen_at = updated_at WHERE status = 'closed' AND anonymised_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = cases.id AND e.kind = 'closed')"
    )
    for name, predicate in INDEXES:
        op.create_index(
            name,
            "audit_values",
            ["entry_id"],
            postgresql_where=sa.text(predicate),
            sqlite_where=sa.text(predicate),
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().scalar(sa.text("SELECT current_schema()"))
    op.execute(
        f"""
        CREATE FUNCTION audit_erase_old_summaries(p_entry_ids bigint[])
        RETURNS TABLE (erased_entry_id bigint, erased_subject_id text)
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            UPDATE "{schema}".audit_values
               SET summary = '{ERASED_SUMMARY}', changes = NULL, ip_address = NULL, nonce = NULL,
                   erased_at = now()
             WHERE entry_id = ANY (p_entry_ids)
               AND (({OLD_PARTY_SUMMARIES}) OR ({OLD_SECOND_REPORT_SUMMARIES}))
            RETURNING entry_id, subject_id
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION audit_erase_old_summaries(bigint[]) FROM PUBLIC")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_erase_old_summaries(bigint[])")
    for name, _predicate in INDEXES:
        op.drop_index(name, table_name="audit_values")
    # Not a batch: on SQLite that would copy the table and lose its trigger (migration 0511).
    op.drop_column("cases", "closure_seen_at")
