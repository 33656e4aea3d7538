"""victim_accesses.sign_outs: signing out of the victim page ends the session on the server

Revision ID: 0550
Revises: 0540
Create Date: 2026-12-04 14:40:00

A victim's session lived only in the signed cookie, so a copy taken before the victim signed out kept
working (and was renewed by every answer). The session now carries the access's count of sign-outs
from when it started, and is open only while the count is unchanged; signing out adds one.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0550'
down_revision = '0540'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('victim_accesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_outs', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('victim_accesses', schema=None) as batch_op:
        batch_op.drop_column('sign_outs')
