"""Which cases a victim page covers, and who may see and change it (``casework.victims.services``).

The page is the person's, but whoever types the address it sends to reads it. So it covers only the
case it was switched on from and the person's cases the lead agency that switched it on sees, a
restricted case only when switched on from it (or by an officer named on it); only that agency's staff
switch it on; and only those who may see every case it covers see its contact details and next step,
change it or switch it off. Every route of both sides is walked with a user who may see one of the
victim's cases, not their restricted case of another agency (a refuge move)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from casework.cases.models import CaseAccess, CaseParty, PartyRole
from casework.core.time import today
from casework.documents.models import Document
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.victims import reminders
from casework.victims.models import DiaryEntry, VictimAccess
from tests.conftest import csrf_from
from tests.support.mail import sent_text

#: What the refuge case would tell a reader: where the victim went.
REFUGE_SECRETS = ("BOL-2026-0077", "Rita Refuge", "rita@refuge.example", "Agency NED")
#: What the refuge's officer set the page up with: the victim's new contact details and next step.
NEW_DETAILS = ("vera.new@refuge-mail.example", "07700900555", "Leeds refuge")


@dataclass
class Refuge:
    case: Any
    officer: Any


@pytest.fixture
def refuge(world, make) -> Refuge:
    """A restricted case (a refuge move) held by another agency, Vera its victim, named only to its officer."""
    officer = make.user("officer", agency=world.other, name="Rita Refuge", email="rita@refuge.example")
    case = world.new_case(lead=world.other, restricted=True, owner=officer, reference="BOL-2026-0077")
    db.session.add(CaseAccess(case_id=case.id, user_id=officer.id))
    db.session.add(CaseParty(case_id=case.id, person_id=world.victim.id, role=PartyRole.victim))
    db.session.commit()
    return Refuge(case, officer)


def _switch_on(client, case, person, **fields):
    data = {"email": "pat@police.example", "contact_checked": "y", **fields}
    return client.post(f"/cases/{case.id}/victim-page/{person.id}", data=data)


def _sign_in(app, email: str):
    client = app.test_client()
    page = client.get("/my-case/sign-in")
    client.post("/my-case/sign-in", data={"email": email, "csrf_token": csrf_from(page.text)})
    db.session.expire_all()
    [row] = db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.to_address == email, OutboxEmail.subject == "Your link to sign in")
    ).all()
    path = re.search(r"(/my-case/sign-in/link/\S+)", sent_text(row)).group(1)
    page = client.get(path)
    assert client.post(path, data={"csrf_token": csrf_from(page.text)}).status_code == 302
    return client


def add_to_diary(client, case_id: int, text: str = "PLANTED"):
    """The victim's diary form for ``case_id`` and an entry posted to it (the two answers)."""
    form = client.get(f"/my-case/cases/{case_id}/diary")
    token = csrf_from(form.text) if form.status_code == 200 else csrf_from(client.get("/my-case/").text)
    answer = client.post(
        f"/my-case/cases/{case_id}/diary",
        data={
            "happened_on-day": "1",
            "happened_on-month": "3",
            "happened_on-year": "2026",
            "what_happened": text,
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    return form, answer


def _access() -> VictimAccess:
    db.session.expire_all()
    return db.session.scalar(sa.select(VictimAccess).where(VictimAccess.ended_at.is_(None)))


def test_a_partner_who_may_add_to_a_shared_case_cannot_switch_the_page_on(page_client, world, refuge):
    partner = page_client(world.partner)  # the police: world.case is shared with them
    assert partner.get(f"/cases/{refuge.case.id}").status_code == 404
    assert partner.get(f"/cases/{world.case.id}/victim-page/{world.victim.id}").status_code == 403
    assert _switch_on(partner, world.case, world.victim).status_code == 403
    assert _access() is None
    assert db.session.scalar(sa.select(OutboxEmail.id).where(OutboxEmail.to_address == "pat@police.example")) is None
    assert "Switch on" not in partner.get(f"/cases/{world.case.id}").text


def test_a_page_switched_on_from_the_councils_case_shows_nothing_of_the_refuge_case(app, page_client, world, refuge):
    # The council's officer (who may not see the refuge case) switches it on with an address they read.
    officer = page_client(world.officer)
    assert officer.get(f"/cases/{refuge.case.id}").status_code == 404
    assert _switch_on(officer, world.case, world.victim).status_code == 302
    client = _sign_in(app, "pat@police.example")

    home = client.get("/my-case/")
    assert home.status_code == 200
    assert world.case.reference in home.text
    assert [m for m in REFUGE_SECRETS if m in home.text] == []
    assert f"/my-case/cases/{refuge.case.id}/diary" not in home.text

    form, answer = add_to_diary(client, refuge.case.id)
    assert (form.status_code, answer.status_code) == (404, 404)
    db.session.expire_all()
    assert db.session.scalar(sa.select(DiaryEntry.id).where(DiaryEntry.case_id == refuge.case.id)) is None
    assert db.session.scalar(sa.select(Document.id).where(Document.case_id == refuge.case.id)) is None
    # Its own case still takes diary entries.
    form, answer = add_to_diary(client, world.case.id)
    assert (form.status_code, answer.status_code) == (200, 302)


def test_a_page_switched_on_from_the_refuge_case_is_hidden_from_staff_who_may_not_see_it(
    app, page_client, world, refuge
):
    made = _switch_on(
        page_client(refuge.officer),
        refuge.case,
        world.victim,
        email="vera.new@refuge-mail.example",
        mobile="07700 900555",
        next_step="Move-in at the Leeds refuge, Flat 3",
    )
    assert made.status_code == 302, made.text
    page_path = f"/cases/{world.case.id}/victim-page/{world.victim.id}"
    # Neither the police partner nor the council's officer of the other case (who leads it) sees its
    # details, changes what happens next or switches it off, by the page or the case page.
    for user in (world.partner, world.officer, world.manager):
        client = page_client(user)
        page = client.get(page_path)
        assert [m for m in (*NEW_DETAILS, *REFUGE_SECRETS) if m in page.text] == []
        assert page.status_code == 200
        assert "The victim page is on for Vera Victim" in page.text
        assert [m for m in (*NEW_DETAILS, *REFUGE_SECRETS) if m in client.get(f"/cases/{world.case.id}").text] == []
        changed = client.post(page_path, data={"next_step": "Come to the council offices"})
        assert changed.status_code == 403
        assert client.post(f"{page_path}/off", data={}).status_code in (403, 404)
        access = _access()
        assert access is not None
        assert access.next_step == "Move-in at the Leeds refuge, Flat 3"

    # The victim sees the refuge case, its officer and what happens next; the refuge's officer
    # changes and ends it.
    client = _sign_in(app, "vera.new@refuge-mail.example")
    home = client.get("/my-case/").text
    assert "BOL-2026-0077" in home
    assert "Rita Refuge" in home
    assert "Leeds refuge" in home
    assert world.case.reference not in home  # the refuge's agency does not see the council's case
    refuge_page = page_client(refuge.officer).get(f"/cases/{refuge.case.id}/victim-page/{world.victim.id}")
    assert "vera.new@refuge-mail.example" in refuge_page.text
    off = page_client(refuge.officer).post(f"/cases/{refuge.case.id}/victim-page/{world.victim.id}/off", data={})
    assert off.status_code == 302
    assert _access() is None


def test_only_staff_who_may_see_every_case_the_page_covers_may_change_it(app, page_client, world):
    # A restricted case of the council on which its officer is named, not their colleague or manager.
    hidden = world.new_case(restricted=True, reference="BOL-2026-0078")
    db.session.add(CaseAccess(case_id=hidden.id, user_id=world.officer.id))
    db.session.add(CaseParty(case_id=hidden.id, person_id=world.victim.id, role=PartyRole.victim))
    db.session.commit()
    officer = page_client(world.officer)
    assert _switch_on(officer, world.case, world.victim, next_step="We will visit you").status_code == 302
    client = _sign_in(app, "pat@police.example")
    home = client.get("/my-case/").text
    assert world.case.reference in home
    assert "BOL-2026-0078" in home

    page_path = f"/cases/{world.case.id}/victim-page/{world.victim.id}"
    for user in (world.colleague, world.manager):
        colleague = page_client(user)
        page = colleague.get(page_path)
        assert "pat@police.example" not in page.text
        assert "We will visit you" not in page.text
        assert colleague.post(page_path, data={"next_step": "Something else"}).status_code == 403
        assert colleague.post(f"{page_path}/off", data={}).status_code == 403
    assert _access().next_step == "We will visit you"

    assert "pat@police.example" in officer.get(page_path).text
    assert officer.post(page_path, data={"next_step": "We will phone you"}).status_code == 302
    assert _access().next_step == "We will phone you"
    assert officer.post(f"{page_path}/off", data={}).status_code == 302
    assert _access() is None


def test_a_next_step_written_on_a_case_the_page_no_longer_covers_is_neither_shown_nor_sent(app, page_client, world):
    officer = page_client(world.officer)
    answer = _switch_on(officer, world.case, world.victim, next_step="Meet at the hidden address", **_tomorrow())
    assert answer.status_code == 302
    # The case is restricted afterwards, its officer not named on it: the page no longer covers it.
    world.case.is_restricted = True
    db.session.commit()
    home = _sign_in(app, "pat@police.example").get("/my-case/").text
    assert "hidden address" not in home
    assert world.case.reference not in home
    assert reminders.due_next_step_reminders(today()) == []
    # Nor does it show to the officer who switched it on, now that they may not see the case.
    page_path = f"/cases/{world.case.id}/victim-page/{world.victim.id}"
    assert officer.get(page_path).status_code == 404
    # A colleague named on the case sees nothing of the page, which covers no case now, but may switch
    # it off so that it can be switched on again.
    db.session.add(CaseAccess(case_id=world.case.id, user_id=world.colleague.id))
    db.session.commit()
    colleague = page_client(world.colleague)
    page = colleague.get(page_path).text
    assert [m for m in ("hidden address", "pat@police.example") if m in page] == []
    assert "Switch off the victim page" in page
    assert colleague.post(page_path, data={"next_step": "Something else"}).status_code == 403
    assert colleague.post(f"{page_path}/off", data={}).status_code == 302
    assert _access() is None


def _tomorrow() -> dict[str, str]:
    day = today() + timedelta(days=1)
    return {"next_step_on-day": str(day.day), "next_step_on-month": str(day.month), "next_step_on-year": str(day.year)}
