"""deadlines: who owned a deadline before it was handed over on its case's closure

Revision ID: 0540
Revises: 0530
Create Date: 2026-12-04 14:40:00

A statutory deadline handed to a stand-in when its case closed stayed with the stand-in after the case
was reopened. The row now keeps who had it before the handover (``handed_over_from_id``), so reopening
the case gives it back unless the stand-in has taken it up since. Rows handed over before this
revision have no previous owner recorded and stay with whoever has them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0540'
down_revision = '0530'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed_over_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_deadlines_handed_over_from_id_users'), 'users', ['handed_over_from_id'], ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deadlines_handed_over_from_id_users'), type_='foreignkey')
        batch_op.drop_column('handed_over_from_id')
