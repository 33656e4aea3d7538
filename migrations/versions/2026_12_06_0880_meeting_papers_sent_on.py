"""trigger_meetings.papers_sent_on: the day the papers went to the panel

Revision ID: 0880
Revises: 0870
Create Date: 2026-12-06 12:30:00

"Papers to the panel" is a Case Review step with a deadline (2 working days before the meeting, by
default) and a reminder, but its sending was not recorded: the step closed only when the meeting was
recorded as held, after its due day, so the partnership report counted it missed every time and its
reminder could not be cleared. Meetings already stored have no day: their step stays as it was settled.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0880"
down_revision = "0870"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trigger_meetings") as batch:
        batch.add_column(sa.Column("papers_sent_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trigger_meetings") as batch:
        batch.drop_column("papers_sent_on")
