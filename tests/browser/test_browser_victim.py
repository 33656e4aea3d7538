"""The victim page in Chromium: the demo victim (Margaret Holmes) signs in with the emailed link, sees
her officer and the next step, adds a diary entry with a photo, and the officer accepts it into the
ledger. axe and the 320-pixel reflow check on each of her pages; no other person's data on them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.browser.conftest import LiveApp
from tests.browser.test_service import check_page

pytestmark = pytest.mark.browser


def _scalar(live_app: LiveApp, statement: Any) -> Any:
    from casework.extensions import db

    with live_app.app.app_context():
        return db.session.scalar(statement)


def _sent_text(live_app: LiveApp, statement: Any) -> str:
    """The text of the message ``statement`` finds, as its recipient gets it (its link in place)."""
    from casework.extensions import db
    from tests.support.mail import sent_text

    with live_app.app.app_context():
        return sent_text(db.session.scalar(statement))


def _photo_with_location(path: Path) -> Path:
    from PIL import Image

    image = Image.new("RGB", (300, 200), (160, 90, 30))
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (53.0, 14.0, 0.0), 3: "W", 4: (1.0, 17.0, 0.0)})
    image.save(path, "JPEG", exif=exif.tobytes())
    return path


def test_the_victim_signs_in_adds_a_diary_entry_and_the_officer_accepts_it(
    new_page: Any, signed_in_as: Any, live_app: LiveApp, tmp_path: Path
) -> None:
    from casework.cases.models import Case
    from casework.notifications.models import OutboxEmail
    from casework.victims.demo import VICTIM_EMAIL
    from casework.victims.models import DiaryEntry, DiaryStatus

    page, console = new_page()
    problems = check_page(page, console, "/my-case/sign-in", expected_status=200)
    page.get_by_label("Email address").fill(VICTIM_EMAIL)
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_url("**/my-case/sign-in/check-your-email")
    body = _sent_text(
        live_app,
        sa.select(OutboxEmail)
        .where(OutboxEmail.to_address == VICTIM_EMAIL, OutboxEmail.subject == "Your link to sign in")
        .order_by(OutboxEmail.id.desc())
        .limit(1),
    )
    path = re.search(r"(/my-case/sign-in/link/\S+)", body).group(1)
    problems += check_page(page, console, path, expected_status=200)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/my-case/")
    problems += check_page(page, console, "/my-case/", expected_status=200)
    text = page.locator("main").inner_text()
    assert "What happens next" in text
    assert "Your officer will visit you" in text
    case_id = _scalar(live_app, sa.select(Case.id).where(Case.summary.startswith("Margaret Holmes is harassed")))
    reference = _scalar(live_app, sa.select(Case.reference).where(Case.id == case_id))
    assert reference in text
    # Never the perpetrators, the case's own summary or another case.
    for hidden in ("Dean Carter", "Unknown youths", "stones thrown", "Station Road Stores", "Loud music"):
        assert hidden.lower() not in text.lower()

    page.get_by_role("link", name=f"Add to your diary for case {reference}").click()
    page.wait_for_url(f"**/my-case/cases/{case_id}/diary")
    problems += check_page(page, console, f"/my-case/cases/{case_id}/diary", expected_status=200)
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("What happened?").fill("Eggs thrown at the kitchen window (browser journey).")
    page.get_by_label("Add a photo or recording (optional)").set_input_files(
        str(_photo_with_location(tmp_path / "eggs.jpg"))
    )
    page.get_by_role("button", name="Send to your officer").click()
    page.wait_for_url("**/my-case/#diary")
    assert "Eggs thrown at the kitchen window" in page.content()
    problems += check_page(page, console, "/my-case/stop", expected_status=200)
    assert not problems, "\n".join(problems)

    officer, officer_console = signed_in_as("officer")
    officer.goto(f"/cases/{case_id}#victim-page")
    assert "Unverified: self-reported" in officer.content()
    entry_id = _scalar(
        live_app, sa.select(DiaryEntry.id).where(DiaryEntry.what_happened.startswith("Eggs thrown at the kitchen"))
    )
    officer.locator(f"form[action$='/diary/{entry_id}/accept'] button").click()
    officer.wait_for_url(f"**/cases/{case_id}#victim-page")
    assert "The diary entry is on the ledger" in officer.content()
    assert _scalar(live_app, sa.select(DiaryEntry.status).where(DiaryEntry.id == entry_id)) is DiaryStatus.accepted
    assert officer_console.take() == []
    # The officer's own pages of the victim page: changing it (on) and switching it on (off).
    from casework.cases.models import CaseParty, Person

    margaret = _scalar(live_app, sa.select(Person.id).where(Person.name == "Margaret Holmes"))
    noise = _scalar(live_app, sa.select(Case.id).where(Case.summary.startswith("Loud music and parties")))
    shop = _scalar(
        live_app, sa.select(CaseParty.person_id).where(CaseParty.case_id == noise, CaseParty.role == "complainant")
    )
    problems = check_page(officer, officer_console, f"/cases/{case_id}/victim-page/{margaret}", expected_status=200)
    assert "Switch it off" in officer.content()
    problems += check_page(officer, officer_console, f"/cases/{noise}/victim-page/{shop}", expected_status=200)
    assert "Switch on the victim page" in officer.content()
    assert not problems, "\n".join(problems)
