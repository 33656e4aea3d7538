"""The victim page's forms follow the submission keys' rules (``casework.core.submissions``) as staff
forms do, for a victim, who is no staff user: the same form sent twice by the victim saves once; a key
another victim, or someone not signed in, sent is not honoured (the form is saved, and says nothing of
what the other saved); and a form shown again with its errors forgets its key, so the corrected form
can be sent."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.cases.models import CaseParty, PartyRole, Person
from casework.core.submissions import ALREADY_SAVED, FIELD
from casework.extensions import db
from casework.victims.models import DiaryEntry
from tests.conftest import csrf_from
from tests.victims.test_victim_page import _add_entry, _sign_in, _switch_on

KEY = "a-key-of-the-diary-form-000001"
OTHER_EMAIL = "olive@example.net"


def _entries() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(DiaryEntry.what_happened).order_by(DiaryEntry.id)))


def _said_already_saved(client: Any, answer: Any) -> bool:
    return ALREADY_SAVED in client.get(answer.headers["Location"]).get_data(as_text=True)


def _two_victims(page_client: Any, world: Any) -> None:
    officer = page_client(world.officer)
    assert _switch_on(officer, world).status_code == 302
    other = Person(name="Olive Other", normalised_name="olive other")
    db.session.add(other)
    db.session.flush()
    db.session.add(CaseParty(case_id=world.case.id, person_id=other.id, role=PartyRole.victim))
    db.session.commit()
    assert _switch_on(officer, world, person=other, email=OTHER_EMAIL, mobile="07700 900999").status_code == 302


def test_the_diary_form_sent_twice_by_the_victim_saves_once(app: Any, page_client: Any, world: Any) -> None:
    _two_victims(page_client, world)
    victim = _sign_in(app)
    first = _add_entry(victim, world.case.id, **{FIELD: KEY})
    second = _add_entry(victim, world.case.id, **{FIELD: KEY})
    assert (first.status_code, second.status_code) == (302, 303)
    assert second.headers["Location"] == first.headers["Location"]
    assert _said_already_saved(victim, second)
    assert _entries() == ["Banging on the door"]


def test_a_key_another_victim_sent_is_not_honoured(app: Any, page_client: Any, world: Any) -> None:
    _two_victims(page_client, world)
    first, other = _sign_in(app), _sign_in(app, email=OTHER_EMAIL)
    assert _add_entry(first, world.case.id, **{FIELD: KEY}).status_code == 302

    theirs = _add_entry(other, world.case.id, what_happened="Shouting in the street", **{FIELD: KEY})

    assert theirs.status_code == 302
    assert not _said_already_saved(other, theirs)
    assert _entries() == ["Banging on the door", "Shouting in the street"]


def test_a_key_someone_not_signed_in_sent_is_not_honoured_for_a_victim(app: Any, page_client: Any, world: Any) -> None:
    _two_victims(page_client, world)
    stranger = app.test_client()
    page = stranger.get("/my-case/sign-in")
    asked = stranger.post(
        "/my-case/sign-in", data={"email": "nobody@example.net", "csrf_token": csrf_from(page.text), FIELD: KEY}
    )
    assert asked.status_code == 302
    victim = _sign_in(app)

    answer = _add_entry(victim, world.case.id, **{FIELD: KEY})

    assert answer.status_code == 302
    assert not _said_already_saved(victim, answer)
    assert _entries() == ["Banging on the door"]


def test_the_diary_form_shown_again_with_its_errors_can_be_sent_corrected(
    app: Any, page_client: Any, world: Any
) -> None:
    _two_victims(page_client, world)
    victim = _sign_in(app)
    refused = _add_entry(victim, world.case.id, what_happened="", **{FIELD: KEY})
    assert refused.status_code == 422
    assert _entries() == []

    corrected = _add_entry(victim, world.case.id, **{FIELD: KEY})

    assert corrected.status_code == 302
    assert not _said_already_saved(victim, corrected)
    assert _entries() == ["Banging on the door"]
