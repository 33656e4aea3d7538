"""case_events: the other case an event is about (a link) by id, not by reference in its summary

Revision ID: 0530
Revises: 0520
Create Date: 2026-12-04 10:30:00

A link wrote "Linked to <the other case's reference>" into the summary of both cases' events, and
everyone who could see one case read the other's reference on its timeline, whether or not they could
see that case. The event now names the other case by id (``related_case_id``) and the timeline names
it only to a reader who can see it. The existing links' events take the id of the case their summary
names, and their summary loses the reference; a summary naming a case no longer held loses it too.
The downgrade writes the references back.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0530'
down_revision = '0520'
branch_labels = None
depends_on = None

#: "Linked to " is ten characters: the reference starts at the eleventh.
LINKED = "Linked to "
LINKED_SUMMARY = "Linked to another case"


def upgrade():
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('related_case_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_case_events_related_case_id_cases'), 'cases', ['related_case_id'], ['id'], ondelete='SET NULL'
        )
        batch_op.create_index('ix_case_events_related_case', ['related_case_id'], unique=False)
    op.execute(
        "UPDATE case_events SET related_case_id = "
        f"(SELECT cases.id FROM cases WHERE cases.reference = substr(case_events.summary, {len(LINKED) + 1})) "
        f"WHERE kind = 'linked' AND summary LIKE '{LINKED}%'"
    )
    op.execute(f"UPDATE case_events SET summary = '{LINKED_SUMMARY}' WHERE kind = 'linked' AND summary LIKE '{LINKED}%'")


def downgrade():
    op.execute(
        f"UPDATE case_events SET summary = '{LINKED}' || "
        "(SELECT cases.reference FROM cases WHERE cases.id = case_events.related_case_id) "
        "WHERE kind = 'linked' AND related_case_id IS NOT NULL"
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_related_case')
        batch_op.drop_constraint(batch_op.f('fk_case_events_related_case_id_cases'), type_='foreignkey')
        batch_op.drop_column('related_case_id')
