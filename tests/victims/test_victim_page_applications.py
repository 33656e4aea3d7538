"""Which Case Reviews a victim page shows, and the letters it shows with them.

Whoever types a page's email address or mobile number decides who reads it, so the page shows nothing
that the officer who switched it on may not see. A page shows the Case Reviews linked to the cases it
covers and those whose applicant gave its email address, with the letters emailed there: only those
of the areas its agency covers whose applicant is not withheld from that officer (an application in
another area, or linked to a restricted case they are not named on, or whose applicant is a person
hidden from them). An officer who typed someone else's address beside their own mobile number must not
read, by signing in with the texted code, that person's Case Reviews and the letters sent to them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from casework.cases.models import CaseAccess, CaseParty, PartyRole
from casework.community_triggers.models import Letter, LetterKind, LetterRecipient
from casework.community_triggers.services.application import register_application
from casework.core.time import today
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from tests.conftest import csrf_from
from tests.support.mail import sent_text

#: The address typed as the victim's: someone else's, who applied for Case Reviews.
TYPED_EMAIL = "amy@example.net"
#: The officer's own phone.
OFFICERS_MOBILE = "07700 900321"


def _application(world, coordinator, area, name, *, cases=(), email=TYPED_EMAIL):
    """An application whose applicant gave ``email``, with a letter emailed there."""
    application = register_application(
        coordinator,
        {
            "area": area,
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
    db.session.add(
        Letter(
            application_id=application.id,
            kind=LetterKind.acknowledgement,
            subject=f"Letter to {name}",
            body=f"LETTER-BODY of {name}",
            sent_on=today(),
            recipient=LetterRecipient.applicant,
            emailed_to=email,
        )
    )
    db.session.commit()
    return application


def _signed_in_by_text(app, mobile: str):
    client = app.test_client()
    page = client.get("/my-case/sign-in/text")
    client.post("/my-case/sign-in/text", data={"mobile": mobile, "csrf_token": csrf_from(page.text)})
    db.session.expire_all()
    text = db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.channel == "text").order_by(OutboxEmail.id.desc())
    ).first()
    code = re.search(r"\b(\d{6})\b", sent_text(text)).group(1)
    page = client.get("/my-case/sign-in/code")
    answer = client.post("/my-case/sign-in/code", data={"code": code, "csrf_token": csrf_from(page.text)})
    assert answer.status_code == 302
    return client


@pytest.fixture
def elsewhere(make, world):
    """Another area, which the officer's council does not cover, and its coordinator."""
    area = make.area("CHE", "Chesterfield")
    council = make.agency("CBC", areas=[area])
    return area, make.user("coordinator", agency=council, name="Chris Coordinator")


def test_a_page_shows_no_case_review_the_officer_who_switched_it_on_may_not_see(app, page_client, world, elsewhere):
    other_area, other_coordinator = elsewhere
    # Amy applied in another area, and in Bolsover about a restricted case the officer is not named on
    # (its applicant is withheld from them): neither is the officer's to read.
    refuge = world.new_case(lead=world.other, restricted=True, reference="BOL-2026-0077")
    away = _application(world, other_coordinator, other_area, "Amy Away")
    hidden = _application(world, world.coordinator, world.area, "Amy Hidden", cases=[refuge])
    # Linked to the victim's case but also to the restricted one: its applicant is withheld as well.
    linked_hidden = _application(
        world, world.coordinator, world.area, "Hal Hidden", cases=[world.case, refuge], email="hal@example.net"
    )
    # What the officer may see, the page shows: Amy's application in Bolsover, and one linked to the case.
    shown = _application(world, world.coordinator, world.area, "Amy Shown")
    linked = _application(world, world.coordinator, world.area, "Lee Linked", cases=[world.case], email=TYPED_EMAIL)
    officer = page_client(world.officer)
    assert officer.get(f"/case-reviews/{away.id}").status_code == 404
    assert "LETTER-BODY of Amy Hidden" not in officer.get(f"/case-reviews/{hidden.id}/letters").text

    data = {"email": TYPED_EMAIL, "mobile": OFFICERS_MOBILE, "contact_by": "text", "contact_checked": "y"}
    assert officer.post(f"/cases/{world.case.id}/victim-page/{world.victim.id}", data=data).status_code == 302
    home = _signed_in_by_text(app, OFFICERS_MOBILE).get("/my-case/").text

    leaked = [
        marker
        for marker in (
            away.reference,
            "LETTER-BODY of Amy Away",
            hidden.reference,
            "LETTER-BODY of Amy Hidden",
            linked_hidden.reference,
        )
        if marker in home
    ]
    assert leaked == []
    for marker in (shown.reference, "LETTER-BODY of Amy Shown", linked.reference, "LETTER-BODY of Lee Linked"):
        assert marker in home


def test_the_victims_own_case_review_shows_once_the_officer_is_named_on_its_restricted_case(app, page_client, world):
    refuge = world.new_case(restricted=True, reference="BOL-2026-0078")
    db.session.add(CaseParty(case_id=refuge.id, person_id=world.victim.id, role=PartyRole.victim))
    db.session.commit()
    own = _application(world, world.coordinator, world.area, "Vera Victim", cases=[refuge], email="vera@example.net")
    officer = page_client(world.officer)
    data = {"email": "vera@example.net", "mobile": OFFICERS_MOBILE, "contact_checked": "y"}
    assert officer.post(f"/cases/{world.case.id}/victim-page/{world.victim.id}", data=data).status_code == 302
    client = _signed_in_by_text(app, OFFICERS_MOBILE)
    assert own.reference not in client.get("/my-case/").text
    # Named on the restricted case, the officer sees it, and the page (which covers it now) shows it.
    db.session.add(CaseAccess(case_id=refuge.id, user_id=world.officer.id))
    db.session.commit()
    home = client.get("/my-case/").text
    assert refuge.reference in home
    assert own.reference in home
    assert "LETTER-BODY of Vera Victim" in home
