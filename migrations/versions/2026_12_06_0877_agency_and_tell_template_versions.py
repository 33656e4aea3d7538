"""agencies.version and threshold_watch_templates.version: optimistic locking for their admin pages

Revision ID: 0877
Revises: 0860
Create Date: 2026-12-06 07:50:00

Two admins with an agency's page (or the template telling a victim of their right to a Case Review) open
at once each saved, and the second silently wrote the first's change back: the agency's areas, name or
kind, the template's wording. The pages now send back the version they showed (``ReadVersionMixin``) and
a save over a later one is refused. Rows already stored start at version 1.

Downgrade: the columns are dropped (the pages then write over each other again).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0877"
down_revision = "0860"
branch_labels = None
depends_on = None

TABLES = ("agencies", "threshold_watch_templates")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
