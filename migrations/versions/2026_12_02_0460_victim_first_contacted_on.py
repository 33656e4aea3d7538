"""Cases: the day the victim was first contacted (the partnership report's time to first contact)

Revision ID: 0460
Revises: 0452
Create Date: 2026-12-02 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0460'
down_revision = '0452'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('victim_first_contacted_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('victim_first_contacted_on')
