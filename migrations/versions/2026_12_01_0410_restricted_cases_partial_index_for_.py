"""Restricted cases: a partial index, so a search leaves them out without scanning every case

Revision ID: 0410
Revises: 0380
Create Date: 2026-12-01 23:21:57.698220

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0410'
down_revision = '0380'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_restricted', ['id'], unique=False, postgresql_where=sa.text('is_restricted'), sqlite_where=sa.text('is_restricted'))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_restricted', postgresql_where=sa.text('is_restricted'), sqlite_where=sa.text('is_restricted'))
