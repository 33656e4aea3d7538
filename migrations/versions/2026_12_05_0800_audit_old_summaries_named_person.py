"""Audit log: an old summary naming someone whose name starts with "person" is read and erased too

Revision ID: 0800
Revises: 0760
Create Date: 2026-12-05 17:10:00

Migration 0760 read the old summaries naming a person ("Added <name> to case ...", "Second report by
<name> ...") through two partial indexes, leaving out those that give the person's number with
``NOT LIKE 'Added person %'``. That left out a name starting with the word: "Person Unknown" on SQLite
(whose LIKE ignores case), "person unknown" on either database; such an entry was never erased when its
person was anonymised. A summary by number is now told by the digit after "person ", compared exactly
(``casework.audit.models.OLD_SUMMARIES_NAMING_PEOPLE``, whose predicates these repeat).

- The two partial indexes are made again with the new predicates.
- PostgreSQL: ``audit_erase_old_summaries(bigint[])`` is replaced (``CREATE OR REPLACE``: the same
  signature, owner and grants) to erase by the same predicates.

Downgrade: 0760's predicates and function again.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0800"
down_revision = "0760"
branch_labels = None
depends_on = None

ERASED_SUMMARY = "Personal details erased"
_DIGITS = "('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')"


def _by_number(words):
    return f"(substr(summary, 1, {len(words)}) = '{words}' AND substr(summary, {len(words) + 1}, 1) IN {_DIGITS})"


#: As casework.audit.models.OLD_SUMMARIES_NAMING_PEOPLE when this migration was written.
NEW = (
    (
        "ix_audit_values_old_party_summaries",
        "subject_type = 'cases' AND erased_at IS NULL AND summary LIKE 'Added % to case % as %' "
        f"AND NOT {_by_number('Added person ')}",
    ),
    (
        "ix_audit_values_old_second_report_summaries",
        "subject_type = 'case_review_explanations' AND erased_at IS NULL "
        "AND summary LIKE 'Second report by % on case %: explain the Case Review' "
        f"AND NOT {_by_number('Second report by person ')}",
    ),
)
#: Migration 0760's.
OLD = (
    (
        "ix_audit_values_old_party_summaries",
        "subject_type = 'cases' AND erased_at IS NULL AND summary LIKE 'Added % to case % as %' "
        "AND summary NOT LIKE 'Added person % to case % as %'",
    ),
    (
        "ix_audit_values_old_second_report_summaries",
        "subject_type = 'case_review_explanations' AND erased_at IS NULL "
        "AND summary LIKE 'Second report by % on case %: explain the Case Review' "
        "AND summary NOT LIKE 'Second report by person % on case %'",
    ),
)


def _use(indexes):
    for name, predicate in indexes:
        op.drop_index(name, table_name="audit_values")
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
    (_party, party), (_second, second) = indexes
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION audit_erase_old_summaries(p_entry_ids bigint[])
        RETURNS TABLE (erased_entry_id bigint, erased_subject_id text)
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            UPDATE "{schema}".audit_values
               SET summary = '{ERASED_SUMMARY}', changes = NULL, ip_address = NULL, nonce = NULL,
                   erased_at = now()
             WHERE entry_id = ANY (p_entry_ids)
               AND (({party}) OR ({second}))
            RETURNING entry_id, subject_id
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION audit_erase_old_summaries(bigint[]) FROM PUBLIC")


def upgrade():
    _use(NEW)


def downgrade():
    _use(OLD)
