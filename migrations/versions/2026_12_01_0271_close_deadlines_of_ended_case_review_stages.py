"""close deadlines of ended Case Review stages

Revision ID: 0271
Revises: 0270
Create Date: 2026-12-01 17:00:00.000000

A stage's open deadlines now close when the stage ends (``deadlines.sync``): the acknowledgement once a
threshold decision is made, information from the agencies once a review meeting is held, the threshold
is not met or the application ends. Rows left open by earlier versions are closed here, so concluded
reviews stop showing "Overdue". Data only: the downgrade leaves them closed.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0271'
down_revision = '0270'
branch_labels = None
depends_on = None

INFORMATION_STAGE_ENDED = """
    SELECT application_id FROM trigger_meetings WHERE held_on IS NOT NULL
    UNION SELECT id FROM trigger_applications WHERE status IN ('withdrawn', 'screened_out', 'threshold_not_met')
"""


def upgrade():
    op.execute(
        """
        UPDATE deadlines SET status = 'cancelled', completed_at = CURRENT_TIMESTAMP
        WHERE status = 'open' AND subject_type = 'trigger_applications' AND kind = 'trigger.acknowledge'
          AND subject_id IN (SELECT application_id FROM trigger_decisions)
        """
    )
    op.execute(
        f"""
        UPDATE deadlines SET status = 'cancelled', completed_at = CURRENT_TIMESTAMP
        WHERE status = 'open' AND subject_type = 'trigger_applications'
          AND kind = 'trigger.information_requests'
          AND subject_id IN ({INFORMATION_STAGE_ENDED})
        """
    )
    op.execute(
        f"""
        UPDATE deadlines SET status = 'cancelled', completed_at = CURRENT_TIMESTAMP
        WHERE status = 'open' AND subject_type = 'trigger_information_requests'
          AND kind = 'trigger.information_request'
          AND subject_id IN (
            SELECT id FROM trigger_information_requests
            WHERE submitted_on IS NULL AND application_id IN ({INFORMATION_STAGE_ENDED})
          )
        """
    )


def downgrade():
    pass
