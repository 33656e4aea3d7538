"""complaints: the case of the complaint's incident beside it, so the case search finds the cases of
the complaints whose reference matches without looking up each one's incident

Revision ID: 0520
Revises: 0511
Create Date: 2026-12-03 10:20:00

An incident never moves to another case, nor a complaint to another incident, so the copy is written
once, with the complaint: by the ledger's services, its batched insert and its COPY path (and, for a
complaint inserted without it, by the model's default, from its incident). It is NOT NULL, so a new
way of writing complaints that forgets it fails at once rather than hiding its complaints from the
search.

The backfill is one UPDATE (the national dataset's 1.3 million complaints: about 30 s on a loaded
2-core machine); SQLite copies the table to make the column NOT NULL.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0520'
down_revision = '0511'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE complaints SET case_id = (SELECT case_id FROM incidents WHERE incidents.id = complaints.incident_id)"
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=False)


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_column('case_id')
