"""Background jobs hold a lease while worked on: lease_until and attempts on every job table

Revision ID: 0700
Revises: 0690
Create Date: 2026-12-05 10:00:00

A worker killed in the middle of a job (an import, a partnership report, a compilation of the statistics)
left it "running" for ever, and on the embedded broker its message was lost with it. Each job now holds a
lease (``lease_until``) that its worker renews, and the ``jobs.recover`` sweep sends again a job whose
lease ran out, until ``attempts`` reaches ``CASEWORK_JOB_ATTEMPTS`` (casework.core.jobs). Existing
unfinished jobs have no lease: the first sweep takes them for left behind, as they are after an upgrade.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0700'
down_revision = '0690'
branch_labels = None
depends_on = None

TABLES = ('import_jobs', 'partnership_report_jobs', 'statistics_jobs')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('attempts')
            batch_op.drop_column('lease_until')
