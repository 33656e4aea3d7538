"""case_parties: a copy of the person's normalised name, kept in step by triggers, with a trigram
index, so the case search finds name matches without joining every matching person to their parties

Revision ID: 0510
Revises: 0460
Create Date: 2026-12-02 06:00:00

The copy is written by the database, not by the services: a party is added by the case services, the
ledger's batched insert and its COPY path, a merge moves parties with a bulk UPDATE, and a person's
name changes when it is edited or anonymised. Triggers see every one of those writes.

- On INSERT of a party, or an UPDATE of its ``person_id`` (a merge, or undoing one), the party takes
  the person's ``normalised_name``.
- On an UPDATE of a person's ``normalised_name`` (an edit, anonymisation), every party of the person
  takes the new name, so an erased name is gone from the copy in the same transaction.

The backfill is one UPDATE (about 4 s for the national dataset's 150,000 parties, index included).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0510'
down_revision = '0460'
branch_labels = None
depends_on = None


POSTGRESQL_TRIGGERS = [
    """
    CREATE FUNCTION case_parties_take_person_name() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.person_name := (SELECT normalised_name FROM people WHERE id = NEW.person_id);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER case_parties_person_name BEFORE INSERT OR UPDATE OF person_id, person_name
    ON case_parties FOR EACH ROW EXECUTE FUNCTION case_parties_take_person_name()
    """,
    """
    CREATE FUNCTION people_name_to_case_parties() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE case_parties SET person_name = NEW.normalised_name WHERE person_id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER people_name_to_case_parties AFTER UPDATE OF normalised_name ON people
    FOR EACH ROW WHEN (OLD.normalised_name IS DISTINCT FROM NEW.normalised_name)
    EXECUTE FUNCTION people_name_to_case_parties()
    """,
]

# SQLite cannot change NEW in a trigger: the row is updated after it is written. (Recursive triggers
# are off, so these UPDATEs fire nothing further.) A migration that rebuilds case_parties or people in
# batch mode drops these triggers with the old table and must create them again:
# tests/cases/test_case_search_names.py fails if they are missing.
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER case_parties_person_name_insert AFTER INSERT ON case_parties BEGIN
        UPDATE case_parties SET person_name = (SELECT normalised_name FROM people WHERE id = NEW.person_id)
        WHERE id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER case_parties_person_name_update AFTER UPDATE OF person_id, person_name ON case_parties BEGIN
        UPDATE case_parties SET person_name = (SELECT normalised_name FROM people WHERE id = NEW.person_id)
        WHERE id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER people_name_to_case_parties AFTER UPDATE OF normalised_name ON people
    WHEN OLD.normalised_name IS NOT NEW.normalised_name BEGIN
        UPDATE case_parties SET person_name = NEW.normalised_name WHERE person_id = NEW.id;
    END
    """,
]


def upgrade():
    with op.batch_alter_table('case_parties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_name', sa.String(length=200), nullable=True))
    # Filled before the index is built: one pass, not one index update per row.
    op.execute(
        "UPDATE case_parties SET person_name = "
        "(SELECT normalised_name FROM people WHERE people.id = case_parties.person_id)"
    )
    with op.batch_alter_table('case_parties', schema=None) as batch_op:
        batch_op.create_index(
            'ix_case_parties_person_name_trgm',
            ['person_name'],
            unique=False,
            postgresql_using='gin',
            postgresql_ops={'person_name': 'gin_trgm_ops'},
        )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER people_name_to_case_parties ON people")
        op.execute("DROP TRIGGER case_parties_person_name ON case_parties")
        op.execute("DROP FUNCTION people_name_to_case_parties()")
        op.execute("DROP FUNCTION case_parties_take_person_name()")
    else:
        op.execute("DROP TRIGGER people_name_to_case_parties")
        op.execute("DROP TRIGGER case_parties_person_name_update")
        op.execute("DROP TRIGGER case_parties_person_name_insert")
    with op.batch_alter_table('case_parties', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_case_parties_person_name_trgm', postgresql_using='gin', postgresql_ops={'person_name': 'gin_trgm_ops'}
        )
        batch_op.drop_column('person_name')
