"""outbox_emails.sealed_secret: a sign-in link or code kept sealed, and only until the message goes

Revision ID: 0860
Revises: 0850
Create Date: 2026-12-06 04:40:00

The victim page's sign-in emails and texts were stored with their link or code in the body: whoever read
the outbox (a replica, a dump, a subject access export) could sign in as the victim while the link or code
was live, which the sign-in table's keyed digests were meant to prevent. The secret now goes in this
column, sealed with CASEWORK_DATA_KEY, and is blanked once the message is sent, refused for good,
withdrawn or erased; the body holds a placeholder.

Rows already stored keep their bodies: their links and codes expired minutes after they were sent.

Downgrade: the column is dropped (a message still waiting then goes out with the placeholder).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0860"
down_revision = "0850"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_emails") as batch:
        batch.add_column(sa.Column("sealed_secret", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_emails") as batch:
        batch.drop_column("sealed_secret")
