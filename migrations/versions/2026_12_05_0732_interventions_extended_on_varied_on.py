"""interventions.extended_on and varied_on: the time to appeal runs again from an extension or variation

Revision ID: 0732
Revises: 0731
Create Date: 2026-12-05 10:20:00

A closure order may be appealed within 21 days of its making, extension or variation (s.84), a PSPO
challenged within 6 weeks of its making or variation (s.66, an extension being a variation of its
period). The late-appeal warning counted only from the issue; the days of the latest extension and
variation are now kept (optional, set when the order is extended or marked varied) and the warning
counts from the latest of them. Existing rows have none: their warnings count from the issue, as before.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0732"
down_revision = "0731"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("interventions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extended_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("varied_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("interventions", schema=None) as batch_op:
        batch_op.drop_column("varied_on")
        batch_op.drop_column("extended_on")
