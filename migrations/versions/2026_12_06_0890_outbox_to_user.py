"""outbox_emails.to_user_id: the staff account a message was written to

Revision ID: 0890
Revises: 0880
Create Date: 2026-12-06 14:40:00

A message to a member of staff waits in the outbox (a mail server down, a retry); until now only the
daily digest asked, before sending, whether its recipient could still receive it. Every message to a
staff account now records the account, and the outbox withdraws it when the account was closed (or
given another address) meanwhile. Messages already stored have no account: they go as before.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0890"
down_revision = "0880"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_emails") as batch:
        batch.add_column(sa.Column("to_user_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_emails") as batch:
        batch.drop_column("to_user_id")
