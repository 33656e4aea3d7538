"""An anonymised person's name leaves deadline titles as a whole name only: another person whose name
merely contains it ("Ann" in "Annabel Smith") keeps theirs (``reminders.services.forget_name_in_titles``)."""

from __future__ import annotations

from datetime import date

from casework.core.lifecycle import FormerIdentity
from casework.extensions import db
from casework.reminders.models import Deadline
from casework.reminders.services import forget_name_in_titles


def test_only_the_whole_name_is_replaced(make, deadline):
    owner = make.user()
    named = deadline(owner, date(2027, 1, 4), title="Explain the Case Review to Ann (BOL-2026-0001)")
    longer = deadline(owner, date(2027, 1, 4), title="Explain the Case Review to Annabel Smith")
    inside = deadline(owner, date(2027, 1, 4), title="Second report by Joanne about Ann, Ann's neighbour")

    changed = forget_name_in_titles(FormerIdentity(person_id=41, name="Ann"))
    db.session.commit()

    assert changed == 2
    titles = {row.id: row.title for row in db.session.scalars(db.select(Deadline))}
    assert titles[named.id] == "Explain the Case Review to Person 41 (anonymised) (BOL-2026-0001)"
    assert titles[longer.id] == "Explain the Case Review to Annabel Smith"
    assert titles[inside.id] == (
        "Second report by Joanne about Person 41 (anonymised), Person 41 (anonymised)'s neighbour"
    )
