"""threshold watch: victims who meet, or are one short of, the Case Review threshold

Revision ID: 0360
Revises: 0390
Create Date: 2026-12-01 23:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0360"
down_revision = "0390"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "threshold_watch_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_ids", sa.JSON(), nullable=False),
        sa.Column("task_case_id", sa.Integer(), nullable=True),
        sa.Column("qualifying_count", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("short_by", sa.Integer(), nullable=False),
        sa.Column("vulnerable", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("working", sa.JSON(), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=True),
        sa.Column("told_on", sa.Date(), nullable=True),
        sa.Column(
            "told_method",
            sa.Enum(
                "letter",
                "email",
                "phone",
                "in_person",
                name="toldmethod",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=True,
        ),
        sa.Column("told_notes", sa.Text(), nullable=True),
        sa.Column("told_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_threshold_watch_entries_area_id_areas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_threshold_watch_entries_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["task_case_id"],
            ["cases.id"],
            name=op.f("fk_threshold_watch_entries_task_case_id_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["trigger_applications.id"],
            name=op.f("fk_threshold_watch_entries_application_id_trigger_applications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["told_by_id"], ["users.id"], name=op.f("fk_threshold_watch_entries_told_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threshold_watch_entries")),
        sa.UniqueConstraint("area_id", "person_id", name=op.f("uq_threshold_watch_entries_area_id_person_id")),
    )
    op.create_index(
        "ix_threshold_watch_entries_area_short",
        "threshold_watch_entries",
        ["area_id", "short_by", "vulnerable"],
        unique=False,
    )
    op.create_index("ix_threshold_watch_entries_person", "threshold_watch_entries", ["person_id"], unique=False)
    # The nightly pass reads every complaint recent enough to count, by the day it was reported.
    op.create_index("ix_complaints_reported_on", "complaints", ["reported_on"], unique=False)


def downgrade():
    op.drop_index("ix_complaints_reported_on", table_name="complaints")
    op.drop_index("ix_threshold_watch_entries_person", table_name="threshold_watch_entries")
    op.drop_index("ix_threshold_watch_entries_area_short", table_name="threshold_watch_entries")
    op.drop_table("threshold_watch_entries")
