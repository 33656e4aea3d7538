"""submission_keys: the one-time key of a page form that saved something

Revision ID: 0740
Revises: 0733
Create Date: 2026-12-05 10:00:00

A form sent twice (a second press with JavaScript off, the browser sending it again after a timeout,
the same form from two tabs) saved two records. Each page form now carries a one-time key; the first
sending that saves records it here, in the same transaction, with the address its answer redirected
to, and a second sending answers as the first did. The API's POSTs do the same for an optional
Idempotency-Key header, keeping a digest of the request and the answer itself. Keys are deleted after a
day by the nightly sweep.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0740'
down_revision = '0733'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'submission_keys',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('location', sa.String(length=2000), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=True),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_submission_keys_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_submission_keys')),
    )
    with op.batch_alter_table('submission_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_keys_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('submission_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_keys_created_at'))
    op.drop_table('submission_keys')
