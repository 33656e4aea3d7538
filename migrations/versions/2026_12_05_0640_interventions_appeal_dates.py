"""interventions.appeal_lodged_on and appeal_decided_on: the days an appeal was lodged and decided

Revision ID: 0640
Revises: 0630
Create Date: 2026-12-05 03:20:00

An appeal's days were the days its status was changed. The officer may now give the day it was lodged
(which a Community Protection Notice's compliance pause counts from, and which is checked against the
time the Act gives to appeal) and the day it was decided (which the pause counts to). Existing rows have
neither: an appeal in progress keeps counting from its ``<key>_paused_on`` mark, as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0640'
down_revision = '0630'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appeal_lodged_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('appeal_decided_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.drop_column('appeal_decided_on')
        batch_op.drop_column('appeal_lodged_on')
