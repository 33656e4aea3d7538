"""The victim page for the applicant for a Case Review who has no person record: a coordinator switches
it on from the application (after checking the contact details); the applicant signs in and sees that
application's stages, dates and letters to them, nothing else: no case, no officer, no diary, no other
application, and never another applicant's or victim's data."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from casework.community_triggers.models import Letter, LetterKind, LetterRecipient
from casework.community_triggers.services.application import register_application
from casework.core.lifecycle import RetentionReport
from casework.core.time import now, today
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.victims import services
from casework.victims.models import VictimAccess, VictimSignIn
from tests.conftest import csrf_from
from tests.support.mail import sent_text


def _application(world, name, email, *, cases=()):
    application = register_application(
        world.coordinator,
        {
            "area": world.area,
            "received_on": today(),
            "channel": "phone",
            "applicant": {"name": name, "email": email, "phone": None, "address": None},
            "applicant_role": "victim",
            "consent_given": False,
            "description": f"Noise reported by {name}",
            "cases": list(cases),
            "complaints": [],
        },
    )
    db.session.flush()
    for recipient, subject in (
        (LetterRecipient.applicant, f"Acknowledgement for {name}"),
        (LetterRecipient.victim, f"Victim copy for {name}"),
    ):
        db.session.add(
            Letter(
                application_id=application.id,
                kind=LetterKind.acknowledgement,
                subject=subject,
                body=f"Body of the letter to {name}",
                sent_on=today(),
                recipient=recipient,
            )
        )
    db.session.commit()
    return application


@pytest.fixture
def amy(world):
    return _application(world, "Amy Applicant", "amy@example.net", cases=[world.case])


def _switch_on(client, application, **fields):
    data = {"email": application.applicant_email, "mobile": "", "contact_checked": "y", **fields}
    return client.post(f"/case-reviews/{application.id}/victim-page", data=data)


def _sign_in(app, email):
    client = app.test_client()
    page = client.get("/my-case/sign-in")
    client.post("/my-case/sign-in", data={"email": email, "csrf_token": csrf_from(page.text)})
    db.session.expire_all()
    row = db.session.scalars(
        sa.select(OutboxEmail)
        .where(OutboxEmail.subject == "Your link to sign in", OutboxEmail.to_address == email)
        .order_by(OutboxEmail.id.desc())
    ).first()
    path = re.search(r"(/my-case/sign-in/link/\S+)", sent_text(row)).group(1)
    page = client.get(path)
    answer = client.post(path, data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/my-case/")
    return client


def test_a_coordinator_switches_it_on_for_the_applicant_after_checking_their_details(page_client, world, amy):
    coordinator = page_client(world.coordinator)
    page = coordinator.get(f"/case-reviews/{amy.id}/victim-page")
    assert page.status_code == 200
    assert "Victim page for the applicant, Amy Applicant" in page.text
    assert 'value="amy@example.net"' in page.text
    assert "Victim page for the applicant" in coordinator.get(f"/case-reviews/{amy.id}").text
    answer = _switch_on(coordinator, amy, contact_checked="")
    assert answer.status_code == 422
    assert "Confirm that you have checked the contact details" in answer.text
    assert db.session.scalar(sa.select(sa.func.count(VictimAccess.id))) == 0
    assert _switch_on(coordinator, amy).status_code == 302
    db.session.expire_all()
    [access] = db.session.scalars(sa.select(VictimAccess)).all()
    assert (access.person_id, access.application_id, access.email) == (None, amy.id, "amy@example.net")
    assert db.session.scalar(
        sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == f"victim-welcome:{access.id}")
    ).to_address == ("amy@example.net")
    # Switching on again changes nothing: the page shows it on, with the switch-off.
    assert "Switch off the victim page" in _switch_on(coordinator, amy).text
    assert db.session.scalar(sa.select(sa.func.count(VictimAccess.id))) == 1
    assert "Switch off the victim page" in coordinator.get(f"/case-reviews/{amy.id}/victim-page").text


def test_only_those_who_manage_the_application_may_switch_it_on(page_client, world, amy):
    assert _switch_on(page_client(world.officer), amy).status_code == 403
    assert page_client(world.officer).get(f"/case-reviews/{amy.id}/victim-page").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(VictimAccess.id))) == 0


def test_the_applicant_sees_their_application_only(app, page_client, world, amy):
    ben = _application(world, "Ben Bystander", "ben@example.net")
    coordinator = page_client(world.coordinator)
    # Vera, the victim of the case Amy's application is linked to, uses the page too.
    vera = {"email": "vera@example.net", "mobile": "", "contact_checked": "y", "next_step": "VERA-NEXT"}
    assert coordinator.post(f"/cases/{world.case.id}/victim-page/{world.victim.id}", data=vera).status_code == 302
    assert _switch_on(coordinator, amy).status_code == 302
    assert _switch_on(coordinator, ben).status_code == 302
    client = _sign_in(app, "amy@example.net")
    text = client.get("/my-case/").text
    assert "Your ASB Case Review" in text
    assert amy.reference in text
    assert "Acknowledgement for Amy Applicant" in text
    for marker in (
        "Victim copy for Amy",  # the victim's copy is not the applicant's letter
        ben.reference,
        "Ben Bystander",
        "Acknowledgement for Ben",
        "Vera Victim",
        "VERA-NEXT",
        world.case.reference,  # the linked case: not hers to follow
        "Olive Officer",
        "Your diary",
    ):
        assert marker not in text
    assert client.get(f"/my-case/cases/{world.case.id}/diary").status_code == 404
    # And Ben sees his, not hers.
    ben_text = _sign_in(app, "ben@example.net").get("/my-case/").text
    assert ben.reference in ben_text
    assert amy.reference not in ben_text
    assert "Amy Applicant" not in ben_text


def test_switching_it_off_ends_the_applicants_session_at_once(app, page_client, world, amy):
    coordinator = page_client(world.coordinator)
    assert _switch_on(coordinator, amy).status_code == 302
    client = _sign_in(app, "amy@example.net")
    assert client.get("/my-case/").status_code == 200
    assert coordinator.post(f"/case-reviews/{amy.id}/victim-page/off", data={}).status_code == 302
    assert client.get("/my-case/").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(VictimAccess)).ended_at is not None


def test_anonymising_the_application_ends_the_applicants_page(page_client, world, amy):
    assert _switch_on(page_client(world.coordinator), amy).status_code == 302
    access = db.session.scalar(sa.select(VictimAccess))
    db.session.add(VictimSignIn(access_id=access.id, kind="link", secret_digest="x" * 64, expires_at=now()))
    db.session.commit()
    report = RetentionReport(on=today(), started_at=now())
    services.anonymise_application_accesses({amy.id}, report)
    db.session.commit()
    db.session.expire_all()
    access = db.session.get(VictimAccess, access.id)
    assert access.ended_at is not None
    assert access.email != "amy@example.net"
    assert db.session.scalar(sa.select(sa.func.count(VictimSignIn.id))) == 0
    assert report.items["victim_accesses"] == {access.id}
