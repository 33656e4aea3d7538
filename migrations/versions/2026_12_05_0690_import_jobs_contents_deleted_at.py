"""import_jobs.contents_deleted_at: when the problems, column names and name of an import's file went

Revision ID: 0690
Revises: 0640
Create Date: 2026-12-05 03:50:00

The uploaded file of an import was deleted after a while, but its problems (which quote its cells), its
column names and its name stayed for ever. The daily sweep now deletes them too,
``CASEWORK_IMPORT_FILE_DAYS`` after the last step taken with the job, and notes when. Existing jobs have
no mark: the next sweep deletes what they still hold.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0690'
down_revision = '0640'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contents_deleted_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('contents_deleted_at')
