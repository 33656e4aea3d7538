"""trigger_meetings.victim_consultation_notes: what the victim said of the action plan, apart from the outcome

Revision ID: 0870
Revises: 0860
Create Date: 2026-12-06 08:00:00

What the victim said when consulted on the action plan was appended to the meeting's outcome ("Victim
consulted on 23 October 2026: ..."), and the outcome letter quotes the outcome to the applicant, who may
be an advocate, a councillor, a group or another agency rather than the victim. The notes now have a
column of their own, which no letter reads.

Rows already stored: the part of the outcome from the first "Victim consulted on <date>: " that begins
it or follows a blank line (as the service wrote it) moves to the new column, on meetings with a
consultation recorded; what comes before stays the outcome (none when nothing does). Letters already
produced keep their text: they are the record of what was sent.

Downgrade: the notes are appended to the outcome again, as before, and the column is dropped.
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0870"
down_revision = "0860"
branch_labels = None
depends_on = None

#: How ``record_victim_consultation`` began each appended paragraph: the date as "23 October 2026".
_CONSULTATION = re.compile(r"(?:\A|\n\n)(?=Victim consulted on \d{1,2} [A-Z][a-z]+ \d{4}: )")

_meetings = sa.table(
    "trigger_meetings",
    sa.column("id", sa.Integer),
    sa.column("outcome", sa.Text),
    sa.column("victim_consulted_on", sa.Date),
    sa.column("victim_consultation_notes", sa.Text),
)


def split_outcome(outcome: str) -> tuple[str | None, str | None]:
    """The outcome without the consultation notes appended to it, and those notes (None: none found)."""
    found = _CONSULTATION.search(outcome)
    if found is None:
        return outcome, None
    kept = outcome[: found.start()].strip()
    return kept or None, outcome[found.start() :].strip()


def upgrade() -> None:
    with op.batch_alter_table("trigger_meetings") as batch:
        batch.add_column(sa.Column("victim_consultation_notes", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_meetings.c.id, _meetings.c.outcome).where(
            _meetings.c.victim_consulted_on.is_not(None), _meetings.c.outcome.like("%Victim consulted on %")
        )
    ).all()
    for meeting_id, outcome in rows:
        kept, notes = split_outcome(outcome)
        if notes is None:
            continue
        connection.execute(
            sa.update(_meetings)
            .where(_meetings.c.id == meeting_id)
            .values(outcome=kept, victim_consultation_notes=notes)
        )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_meetings.c.id, _meetings.c.outcome, _meetings.c.victim_consultation_notes).where(
            _meetings.c.victim_consultation_notes.is_not(None)
        )
    ).all()
    for meeting_id, outcome, notes in rows:
        joined = f"{outcome}\n\n{notes}" if outcome else notes
        connection.execute(sa.update(_meetings).where(_meetings.c.id == meeting_id).values(outcome=joined))
    with op.batch_alter_table("trigger_meetings") as batch:
        batch.drop_column("victim_consultation_notes")
