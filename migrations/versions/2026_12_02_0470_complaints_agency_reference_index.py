"""complaints: a plain index on (agency_id, reference), so a police log import finds a call by its
reference without the trigram index

Revision ID: 0470
Revises: 0440
Create Date: 2026-12-02 02:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0470'
down_revision = '0440'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_agency_reference', ['agency_id', 'reference'], unique=False)


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_agency_reference')
