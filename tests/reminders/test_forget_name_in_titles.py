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


def _titles_naming(deadline, owner, people: range) -> list:
    from casework.core.lifecycle import FormerIdentity

    formers = []
    for n in people:
        deadline(owner, date(2027, 1, 4), title=f"Explain the Case Review to Victim Number{n} (BOL-2026-{n:04d})")
        formers.append(FormerIdentity(person_id=1000 + n, name=f"Victim Number{n}"))
    db.session.commit()
    return formers


def test_many_people_take_the_statements_a_few_do(make, deadline, count_queries):
    """A first retention run over thousands of people reads the titles once, not once a person."""
    from casework.reminders.services import forget_names_in_titles

    owner = make.user()
    few = _titles_naming(deadline, owner, range(1, 4))
    with count_queries() as counted:
        assert forget_names_in_titles(few) == 3
    db.session.commit()
    many = _titles_naming(deadline, owner, range(4, 64))
    with count_queries() as counted_many:
        assert forget_names_in_titles(many) == 60
    db.session.commit()
    assert counted_many.count == counted.count
    titles = {row.title for row in db.session.scalars(db.select(Deadline))}
    assert "Explain the Case Review to Person 1063 (anonymised) (BOL-2026-0063)" in titles
    assert not any("Victim Number" in title for title in titles)


def test_of_two_names_that_start_alike_the_longer_is_replaced_whole(make, deadline):
    from casework.reminders.services import forget_names_in_titles

    owner = make.user()
    row = deadline(owner, date(2027, 1, 4), title="Ann Lee told Ann about it")
    forget_names_in_titles([FormerIdentity(person_id=1, name="Ann"), FormerIdentity(person_id=2, name="Ann Lee")])
    db.session.commit()
    assert db.session.get(Deadline, row.id).title == "Person 2 (anonymised) told Person 1 (anonymised) about it"
