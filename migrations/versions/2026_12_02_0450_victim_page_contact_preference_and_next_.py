"""Victim page: how the victim wants reminders (email or text), and the case their next step is about

Revision ID: 0450
Revises: 0470
Create Date: 2026-12-02 02:19:36.381653

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0450'
down_revision = '0470'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('victim_accesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_step_case_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contact_by', sa.Enum('email', 'text', name='contactby', native_enum=False, create_constraint=True, length=13), server_default='email', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_victim_accesses_next_step_case_id_cases'), 'cases', ['next_step_case_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('victim_accesses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_victim_accesses_next_step_case_id_cases'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_victim_accesses_contactby'), type_='check')
        batch_op.drop_column('contact_by')
        batch_op.drop_column('next_step_case_id')
