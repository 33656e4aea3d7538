"""stuck_file_deletions: stored files the store refused to delete, kept until they go

Revision ID: 0731
Revises: 0730
Create Date: 2026-12-05 10:10:00

A stored file's bytes in an object store are deleted by a task after its row is gone; the task gave up
after 50 attempts and the file stayed in the store for ever, unnoticed. Now such a deletion is kept
here: logged at error level, tried again every few hours, shown on the administrators' home page and
emailed to them (``casework.core.storage.StuckDeletion``).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0731"
down_revision = "0730"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stuck_file_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_tried_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stuck_file_deletions")),
        sa.UniqueConstraint("backend", "key", name="uq_stuck_file_deletions_backend_key"),
    )


def downgrade():
    op.drop_table("stuck_file_deletions")
