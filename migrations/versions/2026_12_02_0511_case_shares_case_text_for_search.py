"""case_shares: a copy of the shared case's reference, summary and location, kept in step by
triggers, with a trigram index, so the case search finds words among the cases shared with an agency
without rechecking every matching case in the country

Revision ID: 0511
Revises: 0510
Create Date: 2026-12-02 06:10:00

The copy is the three texts joined by line breaks. A term without a line break is in the copy exactly
when it is in one of the three (``casework.cases.queries`` searches the columns themselves for a term
with one). Written by the database, as ``case_parties.person_name`` (0510):

- on INSERT of a share, or an UPDATE of its ``case_id`` or of the copy, the share takes the case's
  texts;
- on an UPDATE of a case's reference, summary or location (an edit, retention's anonymisation), each
  share of the case takes the new texts, so anonymised text is gone from the copy in the same
  transaction.

The backfill is one UPDATE (the national dataset's 9,851 shares: under a second).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0511'
down_revision = '0510'
branch_labels = None
depends_on = None


def _texts(prefix: str, newline: str) -> str:
    return (
        f"coalesce({prefix}reference, '') || {newline} || coalesce({prefix}summary, '') || {newline} || "
        f"coalesce({prefix}location, '')"
    )


POSTGRESQL_TRIGGERS = [
    f"""
    CREATE FUNCTION case_shares_take_case_text() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.case_text := (SELECT {_texts('', 'chr(10)')} FROM cases WHERE id = NEW.case_id);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER case_shares_case_text BEFORE INSERT OR UPDATE OF case_id, case_text
    ON case_shares FOR EACH ROW EXECUTE FUNCTION case_shares_take_case_text()
    """,
    f"""
    CREATE FUNCTION cases_text_to_case_shares() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE case_shares SET case_text = {_texts('NEW.', 'chr(10)')} WHERE case_id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER cases_text_to_case_shares AFTER UPDATE OF reference, summary, location ON cases
    FOR EACH ROW WHEN (
        OLD.reference IS DISTINCT FROM NEW.reference OR OLD.summary IS DISTINCT FROM NEW.summary
        OR OLD.location IS DISTINCT FROM NEW.location
    )
    EXECUTE FUNCTION cases_text_to_case_shares()
    """,
]

# As for 0510: a batch rebuild of case_shares or cases drops these; tests/cases/test_case_search_names.py
# fails if they are missing.
SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER case_shares_case_text_insert AFTER INSERT ON case_shares BEGIN
        UPDATE case_shares SET case_text = (SELECT {_texts('', 'char(10)')} FROM cases WHERE id = NEW.case_id)
        WHERE case_id = NEW.case_id AND agency_id = NEW.agency_id;
    END
    """,
    f"""
    CREATE TRIGGER case_shares_case_text_update AFTER UPDATE OF case_id, case_text ON case_shares BEGIN
        UPDATE case_shares SET case_text = (SELECT {_texts('', 'char(10)')} FROM cases WHERE id = NEW.case_id)
        WHERE case_id = NEW.case_id AND agency_id = NEW.agency_id;
    END
    """,
    f"""
    CREATE TRIGGER cases_text_to_case_shares AFTER UPDATE OF reference, summary, location ON cases
    WHEN OLD.reference IS NOT NEW.reference OR OLD.summary IS NOT NEW.summary OR OLD.location IS NOT NEW.location
    BEGIN
        UPDATE case_shares SET case_text = {_texts('NEW.', 'char(10)')} WHERE case_id = NEW.id;
    END
    """,
]


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table('case_shares', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_text', sa.Text(), nullable=True))
    op.execute(
        f"UPDATE case_shares SET case_text = (SELECT {_texts('', 'chr(10)' if postgresql else 'char(10)')} "
        "FROM cases WHERE cases.id = case_shares.case_id)"
    )
    with op.batch_alter_table('case_shares', schema=None) as batch_op:
        batch_op.create_index(
            'ix_case_shares_case_text_trgm',
            ['case_text'],
            unique=False,
            postgresql_using='gin',
            postgresql_ops={'case_text': 'gin_trgm_ops'},
        )
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER cases_text_to_case_shares ON cases")
        op.execute("DROP TRIGGER case_shares_case_text ON case_shares")
        op.execute("DROP FUNCTION cases_text_to_case_shares()")
        op.execute("DROP FUNCTION case_shares_take_case_text()")
    else:
        op.execute("DROP TRIGGER cases_text_to_case_shares")
        op.execute("DROP TRIGGER case_shares_case_text_update")
        op.execute("DROP TRIGGER case_shares_case_text_insert")
    with op.batch_alter_table('case_shares', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_case_shares_case_text_trgm', postgresql_using='gin', postgresql_ops={'case_text': 'gin_trgm_ops'}
        )
        batch_op.drop_column('case_text')
