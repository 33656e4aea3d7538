"""deadlines: the case each is on

A case's deadlines were found by their link (``/cases/12``), which missed those on its actions
(``/actions/7``), interventions and risk reviews: the "next deadline" of a case ignored them. Each
deadline now names its case; existing rows get it from the record they are on.

Revision ID: 0340
Revises: 0300
Create Date: 2026-12-01 19:47:29.463388

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0340"
down_revision = "0300"
branch_labels = None
depends_on = None

#: subject_type -> the table whose case_id the deadline's subject carries.
CASE_OF_SUBJECT = ("actions", "interventions", "case_parties", "case_review_explanations")


def upgrade():
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_deadlines_case_open", ["case_id", "status", "due_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_deadlines_case_id_cases"), "cases", ["case_id"], ["id"], ondelete="SET NULL"
        )

    deadlines = sa.table("deadlines", sa.column("case_id"), sa.column("subject_type"), sa.column("subject_id"))
    cases = sa.table("cases", sa.column("id"))
    op.execute(
        deadlines.update()
        .where(
            deadlines.c.subject_type == "cases",
            sa.exists().where(cases.c.id == deadlines.c.subject_id),
        )
        .values(case_id=deadlines.c.subject_id)
    )
    for name in CASE_OF_SUBJECT:
        subject = sa.table(name, sa.column("id"), sa.column("case_id"))
        case_of = sa.select(subject.c.case_id).where(subject.c.id == deadlines.c.subject_id).scalar_subquery()
        op.execute(deadlines.update().where(deadlines.c.subject_type == name).values(case_id=case_of))


def downgrade():
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_deadlines_case_id_cases"), type_="foreignkey")
        batch_op.drop_index("ix_deadlines_case_open")
        batch_op.drop_column("case_id")
