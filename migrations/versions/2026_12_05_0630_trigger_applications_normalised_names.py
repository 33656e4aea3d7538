"""trigger_applications.applicant_normalised_name and victim_normalised_name: names compared as people's

Revision ID: 0630
Revises: 0620
Create Date: 2026-12-05 00:30:00

The restricted-people rule withholds an application's applicant from a reader when the applicant or
the victim is a hidden person by name. The names were compared in SQL as ``lower(trim(name))``, while a
person's ``normalised_name`` is written by ``casework.cases.services.fields.normalise_name`` (lower case,
runs of spaces made one): "Ann  Smith" did not match "ann smith", nor, on SQLite (whose ``lower`` knows
only ASCII), "ÉLODIE Martin" "élodie martin". The application now keeps both names normalised by the
same function (the model sets them with the names); existing rows are filled here with the function as
it is today.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0630'
down_revision = '0620'
branch_labels = None
depends_on = None


def _normalise(name):
    # casework.cases.services.fields.normalise_name, as of this migration.
    return " ".join(name.lower().split()) if name else None


def upgrade():
    with op.batch_alter_table('trigger_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applicant_normalised_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('victim_normalised_name', sa.String(length=200), nullable=True))
    connection = op.get_bind()
    table = sa.table(
        'trigger_applications',
        sa.column('id', sa.Integer),
        sa.column('applicant_name', sa.String),
        sa.column('victim_name', sa.String),
        sa.column('applicant_normalised_name', sa.String),
        sa.column('victim_normalised_name', sa.String),
    )
    rows = connection.execute(sa.select(table.c.id, table.c.applicant_name, table.c.victim_name)).all()
    for row in rows:
        connection.execute(
            table.update()
            .where(table.c.id == row.id)
            .values(
                applicant_normalised_name=_normalise(row.applicant_name),
                victim_normalised_name=_normalise(row.victim_name),
            )
        )


def downgrade():
    with op.batch_alter_table('trigger_applications', schema=None) as batch_op:
        batch_op.drop_column('victim_normalised_name')
        batch_op.drop_column('applicant_normalised_name')
