"""A victim page after two people records are merged, and after the merge is undone.

The officer checked with the victim what their page would show. A merge (perhaps a mistake: two
people of the same name) must not widen it: the kept person's page covers what it covered before (its
cases, diary, next step, Case Reviews and reminders) until an officer switches it on again; the merged
person's page ends. Undoing the merge gives both people their pages back as they were."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from casework.cases.models import CaseParty, CaseStatus, PartyRole
from casework.core.time import today
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.victims import reminders, services
from casework.victims.models import VictimAccess
from tests.conftest import csrf_from
from tests.support.mail import sent_text
from tests.victims.test_victim_page_scope import add_to_diary

VERA = "vera@example.net"
VAL = "val@example.net"
#: What the other person's case and page would tell Vera: none of it is hers.
VAL_SECRETS = ("BOL-2026-0055", "Otto Other", "otto@example.org", "VAL STEP", "VAL DIARY")


@pytest.fixture
def val(world: Any, make: Any) -> dict[str, Any]:
    """Another Vera Victim (a different person), a victim on her own case with its own officer."""
    otto = make.user("officer", agency=world.council, name="Otto Other", email="otto@example.org")
    person = world.person("Vera Victim", date(1985, 6, 6), on_case=False)
    case = world.new_case(owner=otto, reference="BOL-2026-0055")
    db.session.add(CaseParty(case_id=case.id, person_id=person.id, role=PartyRole.victim))
    db.session.commit()
    return {"person": person, "case": case, "officer": otto}


def _switch_on(page_client, officer, case, person, email, step):
    answer = page_client(officer).post(
        f"/cases/{case.id}/victim-page/{person.id}",
        data={"email": email, "contact_checked": "y", "next_step": step},
    )
    assert answer.status_code == 302, answer.text
    db.session.expire_all()
    return db.session.scalar(
        sa.select(VictimAccess).where(VictimAccess.person_id == person.id, VictimAccess.ended_at.is_(None))
    )


def _sign_in(app, email: str):
    """Sign in by the emailed link; None when no link is sent (no live page for the address)."""
    client = app.test_client()
    links = sa.select(OutboxEmail.id).where(
        OutboxEmail.to_address == email, OutboxEmail.subject == "Your link to sign in"
    )
    before = set(db.session.scalars(links))
    page = client.get("/my-case/sign-in")
    client.post("/my-case/sign-in", data={"email": email, "csrf_token": csrf_from(page.text)})
    db.session.expire_all()
    new = [i for i in db.session.scalars(links) if i not in before]
    if not new:
        return None
    path = re.search(r"(/my-case/sign-in/link/\S+)", sent_text(db.session.get(OutboxEmail, new[-1]))).group(1)
    page = client.get(path)
    assert client.post(path, data={"csrf_token": csrf_from(page.text)}).status_code == 302
    return client


def _diary(client, case_id: int, text: str) -> tuple[int, int]:
    """The diary's form and a diary entry posted to it, as their status codes."""
    form, answer = add_to_diary(client, case_id, text)
    return form.status_code, answer.status_code


def _merge(api_client, officer, kept, merged) -> int:
    answer = api_client(officer).post(f"/api/v1/people/{kept.id}/merge", json={"merged_person_id": merged.id})
    assert answer.status_code == 200, answer.get_json()
    db.session.expire_all()
    return answer.get_json()["id"]


def _undo(api_client, officer, merge_id: int) -> None:
    answer = api_client(officer).post(f"/api/v1/person-merges/{merge_id}/undo")
    assert answer.status_code == 200, answer.get_json()
    db.session.expire_all()


def _shows_only_veras(client, world, val) -> None:
    home = client.get("/my-case/")
    assert home.status_code == 200
    assert world.case.reference in home.text
    assert "VERA STEP" in home.text
    assert [secret for secret in VAL_SECRETS if secret in home.text] == []
    assert f"/my-case/cases/{val['case'].id}/diary" not in home.text
    assert _diary(client, val["case"].id, "PLANTED") == (404, 404)


def _reminded(email: str, day: date) -> bool:
    reminders.queue_next_step_reminders(day)
    db.session.flush()
    return (
        db.session.scalar(
            sa.select(OutboxEmail.id).where(
                OutboxEmail.to_address == email, OutboxEmail.idempotency_key.like("victim-next-step:%")
            )
        )
        is not None
    )


def test_the_kept_persons_page_shows_nothing_of_the_merged_persons_cases_and_undo_restores_both(
    app, page_client, api_client, world, val
):
    vera = _switch_on(page_client, world.officer, world.case, world.victim, VERA, "VERA STEP")
    val_page = _switch_on(page_client, val["officer"], val["case"], val["person"], VAL, "VAL STEP")
    # Val's next step is due tomorrow, and she has written in her diary.
    val_page.next_step_on = today() + timedelta(days=1)
    db.session.commit()
    val_client = _sign_in(app, VAL)
    assert _diary(val_client, val["case"].id, "VAL DIARY") == (200, 302)

    # A mistake: Val's record is merged into Vera's.
    merge_id = _merge(api_client, world.officer, world.victim, val["person"])
    vera_client = _sign_in(app, VERA)
    _shows_only_veras(vera_client, world, val)
    # Val's page ended: no session, no sign-in, no reminder of her step to anyone.
    assert val_client.get("/my-case/").status_code != 200
    assert _sign_in(app, VAL) is None
    assert _reminded(VERA, today()) is False
    assert _reminded(VAL, today()) is False
    # Vera's own step is reminded as before; the reminder says nothing of Val's case.
    vera_page = db.session.get(VictimAccess, vera.id)
    vera_page.next_step_on = today() + timedelta(days=1)
    db.session.commit()
    assert _reminded(VERA, today()) is True
    bodies = db.session.scalars(sa.select(OutboxEmail.body_text).where(OutboxEmail.to_address == VERA)).all()
    assert [secret for bodies_text in bodies for secret in VAL_SECRETS if secret in bodies_text] == []

    _undo(api_client, world.officer, merge_id)
    _shows_only_veras(vera_client, world, val)
    val_page = db.session.get(VictimAccess, val_page.id)
    assert (val_page.person_id, val_page.ended_at, val_page.next_step) == (val["person"].id, None, "VAL STEP")
    val_client = _sign_in(app, VAL)
    home = val_client.get("/my-case/").text
    assert "BOL-2026-0055" in home
    assert "VAL STEP" in home
    assert "VAL DIARY" in home
    assert world.case.reference not in home
    assert "VERA STEP" not in home


def test_the_merged_persons_page_ends_and_the_kept_record_gains_none_and_undo_restores_it(
    app, page_client, api_client, world, val
):
    vera = _switch_on(page_client, world.officer, world.case, world.victim, VERA, "VERA STEP")
    vera_client = _sign_in(app, VERA)
    assert _diary(vera_client, world.case.id, "VERA DIARY") == (200, 302)

    # Vera's record is merged into Val's (who has no page).
    merge_id = _merge(api_client, world.officer, val["person"], world.victim)
    assert vera_client.get("/my-case/").status_code != 200
    assert _sign_in(app, VERA) is None
    assert (
        db.session.scalar(
            sa.select(VictimAccess.id).where(VictimAccess.ended_at.is_(None), VictimAccess.person_id.is_not(None))
        )
        is None
    )

    _undo(api_client, world.officer, merge_id)
    vera_page = db.session.get(VictimAccess, vera.id)
    assert (vera_page.person_id, vera_page.ended_at) == (world.victim.id, None)
    vera_client = _sign_in(app, VERA)
    _shows_only_veras(vera_client, world, val)
    assert "VERA DIARY" in vera_client.get("/my-case/").text


def test_the_merged_persons_diary_on_a_case_of_both_stays_off_the_kept_page(app, page_client, api_client, world, val):
    """Two neighbours of the same name, both victims on the same case: the merged one's diary entries
    on it are not shown to the other."""
    db.session.add(CaseParty(case_id=world.case.id, person_id=val["person"].id, role=PartyRole.victim))
    db.session.commit()
    _switch_on(page_client, world.officer, world.case, world.victim, VERA, "VERA STEP")
    _switch_on(page_client, world.officer, world.case, val["person"], VAL, "VAL STEP")
    assert _diary(_sign_in(app, VAL), world.case.id, "VAL DIARY") == (200, 302)
    merge_id = _merge(api_client, world.officer, world.victim, val["person"])
    vera_client = _sign_in(app, VERA)
    _shows_only_veras(vera_client, world, val)
    _undo(api_client, world.officer, merge_id)
    assert "VAL DIARY" in _sign_in(app, VAL).get("/my-case/").text


def test_the_officer_extends_the_kept_page_by_switching_it_on_again(app, page_client, api_client, world, val):
    """A real duplicate: once the officer has checked with the victim, the page switched on again
    covers the cases of both records."""
    _switch_on(page_client, world.officer, world.case, world.victim, VERA, "VERA STEP")
    _merge(api_client, world.officer, world.victim, val["person"])
    officer = page_client(world.officer)
    assert officer.post(f"/cases/{world.case.id}/victim-page/{world.victim.id}/off", data={}).status_code == 302
    again = _switch_on(page_client, world.officer, world.case, world.victim, VERA, "VERA STEP")
    assert sorted(services.victim_case_ids(again)) == sorted([world.case.id, val["case"].id])
    home = _sign_in(app, VERA).get("/my-case/").text
    assert "BOL-2026-0055" in home


def test_a_closed_case_shows_as_closed_with_no_next_step(app, page_client, world):
    _switch_on(page_client, world.officer, world.case, world.victim, VERA, "VERA STEP")
    world.case.status = CaseStatus.closed
    db.session.commit()
    home = _sign_in(app, VERA).get("/my-case/").text
    assert f"{world.case.reference} (closed)" in home
    assert "VERA STEP" not in home
    assert "What happens next" not in home
