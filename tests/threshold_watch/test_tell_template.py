"""The letter or email telling a victim of their right to a Case Review comes from a template the
admins who edit letter templates may change (for every area or one), with the letter templates' safety
rules; the wording sent is kept on the watch entry."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.accounts.models import Area
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.threshold_watch.models import TellVictimTemplate
from tests.threshold_watch.test_watch import entry_of, report

URL = "/admin/threshold-watch/template"
CUSTOM_BODY = (
    "Hello {{ person.name }} of {{ area.name }}. CUSTOM-WORDING. Apply at {{ apply_url }} ({{ today | date }})"
)


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def _save(client, body, subject="Your right, {{ person.name }}", area="BOL"):
    return client.post(f"{URL}?area={area}" if area else URL, data={"subject": subject, "body": body, "save": "y"})


def _qualify(world):
    world.victim.email = "vera@example.org"
    db.session.commit()
    for day in (date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15)):
        report(world, world.case, world.victim, day, world.council)
    return entry_of(world.victim)


def _tell(client, entry, method, **extra):
    return client.post(
        f"/threshold-watch/{entry.id}/tell",
        data={"told_on-day": "20", "told_on-month": "11", "told_on-year": "2026", "method": method, **extra},
    )


def test_an_edited_template_is_used_and_the_wording_sent_is_kept(world, page_client):
    entry = _qualify(world)
    admin = page_client(world.admin)
    page = admin.get(URL)
    assert page.status_code == 200
    assert "Your right to ask for an anti-social behaviour Case Review" in page.text  # the default
    assert _save(admin, CUSTOM_BODY).status_code == 302
    officer = page_client(world.officer)
    assert "CUSTOM-WORDING" in officer.get(f"/threshold-watch/{entry.id}/tell").text
    assert "Hello Vera Victim of Bolsover" in officer.get(f"/threshold-watch/{entry.id}/letter").text
    assert _tell(officer, entry, "email", send_email="y").status_code == 302
    [sent] = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == "vera@example.org")).all()
    assert sent.subject == "Your right, Vera Victim"
    assert sent.body_text.startswith("Hello Vera Victim of Bolsover. CUSTOM-WORDING. Apply at http")
    assert "(23 November 2026)" in sent.body_text
    entry = entry_of(world.victim)
    assert (entry.told_subject, entry.told_text) == (sent.subject, sent.body_text)


def test_another_areas_template_is_not_used_and_every_areas_template_is(world, page_client):
    db.session.add(Area(code="NED", name="Elsewhere"))
    db.session.commit()
    entry = _qualify(world)
    admin = page_client(world.admin)
    assert _save(admin, "NED-ONLY {{ person.name }}", area="NED").status_code == 302
    officer = page_client(world.officer)
    text = officer.get(f"/threshold-watch/{entry.id}/tell").text
    assert "NED-ONLY" not in text
    assert "The law gives you the right to ask for a Case Review" in text  # the default
    assert _save(admin, "EVERY-AREA {{ person.name }}", area=None).status_code == 302
    assert "EVERY-AREA Vera Victim" in officer.get(f"/threshold-watch/{entry.id}/tell").text


def test_a_letter_keeps_the_wording_and_a_phone_call_keeps_none(world, page_client):
    entry = _qualify(world)
    assert _tell(page_client(world.officer), entry, "letter").status_code == 302
    entry = entry_of(world.victim)
    assert entry.told_subject == "Your right to ask for an anti-social behaviour Case Review"
    assert entry.told_text.startswith("Dear Vera Victim,")
    assert db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == "vera@example.org")).all() == []


def test_a_phone_call_keeps_no_wording(world, page_client):
    entry = _qualify(world)
    assert _tell(page_client(world.officer), entry, "phone").status_code == 302
    assert entry_of(world.victim).told_text is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "may not use"),
        ("{% for a in range(99999) %}{% for b in range(99999) %}x{% endfor %}{% endfor %}", "characters"),
        ("{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}", "loop"),
        ("Dear {{ person.address }}", "cannot be filled in"),
        ("Dear {{ person.name }", "mistake on line 1"),
    ],
)
def test_an_unsafe_or_broken_template_is_refused_and_nothing_is_saved(world, page_client, body, message):
    answer = _save(page_client(world.admin), body)
    assert answer.status_code == 422
    assert message in answer.text
    assert db.session.scalar(sa.select(sa.func.count(TellVictimTemplate.id))) == 0


def test_a_template_is_tried_on_made_up_victims_never_real_ones(world, page_client):
    _qualify(world)
    admin = page_client(world.admin)
    # Fails for an 11-letter name (Vera Victim), for none of the made-up victims: saved.
    body = "{% if person.name | length == 11 %}{{ person.nope }}{% endif %}Dear {{ person.name }}"
    assert _save(admin, body).status_code == 302
    # Fails for a one-word name: refused, whoever the real victims are.
    answer = _save(admin, "Dear Ms {{ person.name.split()[1] }}")
    assert answer.status_code == 422
    assert "a victim known by one name" in answer.text
    assert "Vera" not in answer.text


@pytest.mark.parametrize("role", ["officer", "coordinator", "manager"])
def test_only_admins_edit_it(world, page_client, role):
    assert page_client(getattr(world, role)).get(URL).status_code == 403
    assert _save(page_client(getattr(world, role)), "Hi").status_code == 403
