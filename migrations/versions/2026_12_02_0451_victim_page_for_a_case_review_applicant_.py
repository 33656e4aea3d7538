"""Victim page: access for the applicant for a Case Review who has no person record

Revision ID: 0451
Revises: 0450
Create Date: 2026-12-02 02:23:20.220183

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0451'
down_revision = '0450'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('victim_accesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.alter_column('person_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index('uq_victim_accesses_live_application', ['application_id'], unique=True, postgresql_where=sa.text('ended_at IS NULL AND application_id IS NOT NULL'), sqlite_where=sa.text('ended_at IS NULL AND application_id IS NOT NULL'))
        batch_op.create_foreign_key(batch_op.f('fk_victim_accesses_application_id_trigger_applications'), 'trigger_applications', ['application_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(batch_op.f('ck_victim_accesses_person_or_application'), '(person_id IS NULL) <> (application_id IS NULL)')


def downgrade():
    op.execute('DELETE FROM victim_accesses WHERE person_id IS NULL')
    with op.batch_alter_table('victim_accesses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_victim_accesses_person_or_application'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_victim_accesses_application_id_trigger_applications'), type_='foreignkey')
        batch_op.drop_index('uq_victim_accesses_live_application', postgresql_where=sa.text('ended_at IS NULL AND application_id IS NOT NULL'), sqlite_where=sa.text('ended_at IS NULL AND application_id IS NOT NULL'))
        batch_op.alter_column('person_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('application_id')
