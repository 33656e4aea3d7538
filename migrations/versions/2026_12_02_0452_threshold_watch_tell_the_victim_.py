"""Threshold watch: the tell-the-victim template admins may change, and the wording sent, kept on the entry

Revision ID: 0452
Revises: 0451
Create Date: 2026-12-02 02:28:25.380164

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0452'
down_revision = '0451'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('threshold_watch_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), server_default='tell_victim', nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_threshold_watch_templates_area_id_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_threshold_watch_templates_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_threshold_watch_templates')),
    sa.UniqueConstraint('kind', 'area_id', name=op.f('uq_threshold_watch_templates_kind_area_id'))
    )
    with op.batch_alter_table('threshold_watch_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('told_subject', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('told_text', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('threshold_watch_entries', schema=None) as batch_op:
        batch_op.drop_column('told_text')
        batch_op.drop_column('told_subject')

    op.drop_table('threshold_watch_templates')