"""Issue 13 end to end in Chromium: the threshold watch and the victim page meet.

Three complaints from two agencies (the council and the police) land on a new victim's two cases; the
watch flags her on the coordinator's board; the officer tells her of her right to a Case Review and
switches on her victim page; she signs in with the emailed link, adds a diary entry with a photo and
sees the next step; the officer accepts the entry into the ledger, where it counts towards the
threshold like any complaint; and a second victim's name and case never appear on her pages.

Everything is done through the pages the users would use. The police complaint is recorded by the
council officer on the incident form ("Which agency received the report?"), as a partnership officer
does when the police pass a report on; the demo partner (police) cannot edit a council case. The
emails are read from the outbox, as the other browser tests do. axe runs on each page the journey opens.
The server is this module's own (the journey writes; the session's live_app is read-only).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from casework.core.time import today
from tests.browser.test_service import check_page
from tests.support.browser import assert_accessible, demo_server

pytestmark = pytest.mark.browser

VICTIM = "Rita Journeyman"
OTHER = "Victor Otherside"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    with demo_server(tmp_path_factory.mktemp("victim_journey"), ENV="development") as server:
        yield server.app, server.url, server.password


class Journey:
    """The live server, a browser context per user, and the checks each page gets."""

    def __init__(self, live: Any, browser: Any) -> None:
        self.app, self.base_url, self.password = live
        self.browser = browser
        self.contexts: list[Any] = []
        self.problems: list[str] = []

    def context(self) -> tuple[Any, Any]:
        from tests.browser.conftest import ConsoleWatch

        context = self.browser.new_context(base_url=self.base_url)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        return page, ConsoleWatch(page)

    def staff(self, local: str) -> tuple[Any, Any]:
        from casework.demo import DEMO_DOMAIN

        page, console = self.context()
        page.goto("/sign-in")
        page.get_by_label("Email address").fill(f"{local}@{DEMO_DOMAIN}")
        page.get_by_label("Password", exact=True).fill(self.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{self.base_url}/")
        return page, console

    def open(self, page: Any, console: Any, path: str) -> None:
        """Open a page: status 200, one h1, axe, 320-pixel reflow, no console errors."""
        self.problems += check_page(page, console, path, expected_status=200)

    def scalar(self, statement: Any) -> Any:
        from casework.extensions import db

        with self.app.app_context():
            return db.session.scalar(statement)

    def last_email(self, to: str, subject: str) -> str:
        """The text of the last email to ``to`` about ``subject``, as its recipient gets it."""
        from casework.extensions import db
        from casework.notifications.models import OutboxEmail
        from tests.support.mail import sent_text

        with self.app.app_context():
            row = db.session.scalar(
                sa.select(OutboxEmail)
                .where(OutboxEmail.to_address == to, OutboxEmail.subject == subject)
                .order_by(OutboxEmail.id.desc())
                .limit(1)
            )
            assert row is not None, f"no email to {to} about {subject!r}"
            return sent_text(row)


def _fill_date(page: Any, prefix: str, day: date) -> None:
    page.locator(f"#{prefix}-day").fill(str(day.day))
    page.locator(f"#{prefix}-month").fill(str(day.month))
    page.locator(f"#{prefix}-year").fill(str(day.year))


def _add_person(journey: Journey, page: Any, console: Any, name: str, email: str) -> int:
    journey.open(page, console, "/people/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Add person").click()
    page.wait_for_url(re.compile(r"/people/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def _open_case(journey: Journey, page: Any, console: Any, summary: str, victim: str) -> tuple[int, str]:
    journey.open(page, console, "/cases/new")
    page.get_by_label("Summary").fill(summary)
    page.get_by_role("button", name="Open case").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    reference = page.locator(".govuk-notification-banner").inner_text().split("Case ", 1)[1].split()[0]
    journey.open(page, console, f"/cases/{case_id}/parties/new?name={victim.replace(' ', '+')}")
    _add_party(page, case_id, victim)
    return case_id, reference


def _record_incident(
    journey: Journey, page: Any, console: Any, case_id: int, who: str, day: date, agency: str, what: str
) -> None:
    journey.open(page, console, f"/cases/{case_id}/incidents/new")
    _fill_date(page, "occurred_on", day)
    page.get_by_label("What happened?").fill(what)
    page.get_by_label("Who reported it?").select_option(label=who)
    _fill_date(page, "reported_on", day)
    page.get_by_label("Which agency received the report?").select_option(agency)
    page.get_by_role("button", name="Save incident").click()
    page.wait_for_url(re.compile(rf"/cases/{case_id}#ledger$"))
    assert what in page.locator("main").inner_text()


def _add_party(page: Any, case_id: int, name: str) -> None:
    page.goto(f"/cases/{case_id}/parties/new?name={name.replace(' ', '+')}")
    page.get_by_label(f"Role of {name}").select_option("victim")
    page.get_by_role("button", name=f"Add {name}").click()
    page.wait_for_url(re.compile(rf"/cases/{case_id}$"))


def _switch_on(page: Any, case_id: int, person_id: int, name: str, email: str, next_step: str) -> None:
    """The officer switches on a victim's page from the case page, after checking their contact details."""
    page.goto(f"/cases/{case_id}")
    page.get_by_role("link", name=f"Switch on the victim page for {name}").click()
    page.wait_for_url(re.compile(rf"/cases/{case_id}/victim-page/{person_id}$"))
    assert_accessible(page)
    assert page.get_by_label("Email address").input_value() == email
    page.get_by_label("I have checked these contact details with them").check()
    page.get_by_label("What happens next (optional)").fill(next_step)
    _fill_date(page, "next_step_on", today() + timedelta(days=4))
    page.get_by_role("button", name="Switch on and tell them").click()
    page.wait_for_url(re.compile(rf"/cases/{case_id}#victim-page$"))
    assert f"The victim page is switched on for {name}" in page.content()


def _victim_signs_in(journey: Journey, email: str) -> tuple[Any, Any]:
    """A victim asks for a link on the sign-in page and opens it from the email."""
    page, console = journey.context()
    journey.open(page, console, "/my-case/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_url("**/my-case/sign-in/check-your-email")
    assert_accessible(page)
    link = re.search(r"(/my-case/sign-in/link/\S+)", journey.last_email(email, "Your link to sign in"))
    assert link, "no sign-in link in the email"
    journey.open(page, console, link.group(1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/my-case/")
    return page, console


def _add_diary_entry(page: Any, case_id: int, reference: str, day: date, what: str, photo: Path | None) -> None:
    page.goto("/my-case/")
    page.get_by_role("link", name=f"Add to your diary for case {reference}").click()
    page.wait_for_url(f"**/my-case/cases/{case_id}/diary")
    _fill_date(page, "happened_on", day)
    page.get_by_label("What happened?").fill(what)
    if photo is not None:
        page.get_by_label("Add a photo or recording (optional)").set_input_files(str(photo))
    page.get_by_role("button", name="Send to your officer").click()
    page.wait_for_url("**/my-case/#diary")


def _photo(path: Path) -> Path:
    from PIL import Image

    image = Image.new("RGB", (240, 160), (40, 120, 160))
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (53.0, 14.0, 0.0), 3: "W", 4: (1.0, 17.0, 0.0)})
    image.save(path, "JPEG", exif=exif.tobytes())
    return path


def test_complaints_from_two_agencies_to_a_diary_entry_on_the_ledger(live: Any, browser: Any, tmp_path: Path) -> None:
    from casework.demo import DEMO_DOMAIN
    from casework.threshold_watch.models import WatchEntry
    from casework.victims.models import DiaryEntry, DiaryStatus

    journey = Journey(live, browser)
    day = today()
    victim_email = f"rita.journeyman@{DEMO_DOMAIN}"
    officer, officer_console = journey.staff("officer")

    # Two new people, and their cases: Rita's two (one complaint to the police among three), Victor's one.
    rita = _add_person(journey, officer, officer_console, VICTIM, victim_email)
    other_email = f"victor.otherside@{DEMO_DOMAIN}"
    victor = _add_person(journey, officer, officer_console, OTHER, other_email)
    home_case, home_reference = _open_case(
        journey, officer, officer_console, f"{VICTIM} has stones thrown at her windows by a group of youths.", VICTIM
    )
    park_case, park_reference = _open_case(
        journey, officer, officer_console, f"{VICTIM} is shouted at in the car park of her block of flats.", VICTIM
    )
    other_case, other_reference = _open_case(
        journey, officer, officer_console, f"{OTHER} has rubbish dumped in his front garden every week.", OTHER
    )
    # Reported on the day, each to the agency named: the council twice, the police once (for Rita).
    reports = [
        (other_case, OTHER, 9, "BDC", "Rubbish dumped over the fence again."),
        (home_case, VICTIM, 40, "BDC", "Stones thrown at the front window."),
        (home_case, VICTIM, 25, "DERPOL", "Stones thrown again; she called the police."),
    ]
    for case_id, who, days_ago, agency, what in reports:
        _record_incident(journey, officer, officer_console, case_id, who, day - timedelta(days=days_ago), agency, what)
    officer.goto(f"/cases/{park_case}")
    assert "one more qualifying report would meet the threshold" in officer.locator("main").inner_text()
    last = (park_case, VICTIM, day - timedelta(days=12), "BDC", "Shouted at and followed across the car park.")
    _record_incident(journey, officer, officer_console, *last)

    # The watch flags her at once: the coordinator sees her on the board, with the working.
    coordinator, coordinator_console = journey.staff("coordinator")
    journey.open(coordinator, coordinator_console, "/threshold-watch/?area=BOL")
    meeting = coordinator.locator(".govuk-summary-card").filter(has_text=VICTIM)
    assert "3 (the threshold is 3)" in meeting.inner_text()
    coordinator.get_by_text("The working (3 complaints you can see)").click()
    working = meeting.locator("table").inner_text()
    assert "DERPOL" in working
    assert "BDC" in working
    assert home_reference in working
    assert park_reference in working

    # The officer tells her, by the email from the template, from the case with the latest complaint.
    officer.goto(f"/cases/{park_case}")
    officer.get_by_role("link", name=f"Tell {VICTIM} of their right to a Case Review").click()
    officer.wait_for_url(re.compile(r"/threshold-watch/\d+/tell$"))
    assert_accessible(officer)
    officer.get_by_label("Email", exact=True).check()
    officer.get_by_label("Send them the email now").check()
    officer.get_by_role("button", name="Save").click()
    officer.wait_for_url(re.compile(rf"/cases/{park_case}$"))
    assert f"Recorded that {VICTIM} was told of their right to a Case Review" in officer.content()
    told = journey.last_email(victim_email, "Your right to ask for an anti-social behaviour Case Review")
    assert "/case-review" in told
    assert journey.scalar(sa.select(WatchEntry.told_on).where(WatchEntry.person_id == rita)) == day

    # The officer switches on her victim page after checking her contact details.
    _switch_on(officer, home_case, rita, VICTIM, victim_email, "PC Shah will visit you on Friday about the stones.")

    # Victor is a victim on her case too, with his own victim page and a diary entry of his own.
    _add_party(officer, home_case, OTHER)
    _switch_on(officer, home_case, victor, OTHER, other_email, "We will write to you about the rubbish.")
    other_victim, _other_console = _victim_signs_in(journey, other_email)
    _add_diary_entry(
        other_victim, home_case, home_reference, day - timedelta(days=2), "My bin was set on fire in the night.", None
    )

    # She signs in with the emailed link and sees the next step on her case.
    victim, victim_console = _victim_signs_in(journey, victim_email)
    journey.open(victim, victim_console, "/my-case/")
    seen = [victim.locator("main").inner_text()]
    assert "PC Shah will visit you on Friday about the stones." in seen[0]
    assert home_reference in seen[0]
    assert park_reference in seen[0]

    # She adds a diary entry with a photo, and sees it with the next step.
    journey.open(victim, victim_console, f"/my-case/cases/{home_case}/diary")
    seen.append(victim.locator("main").inner_text())
    _add_diary_entry(
        victim,
        home_case,
        home_reference,
        day - timedelta(days=1),
        "A stone cracked the kitchen window at teatime.",
        _photo(tmp_path / "window.jpg"),
    )
    assert_accessible(victim)
    seen.append(victim.locator("main").inner_text())
    assert "A stone cracked the kitchen window at teatime." in seen[-1]
    assert "PC Shah will visit you on Friday about the stones." in seen[-1]
    assert victim_console.take() == []

    # The officer accepts it: it is on the ledger, and counts towards the threshold like any complaint.
    entry_id = journey.scalar(sa.select(DiaryEntry.id).where(DiaryEntry.person_id == rita))
    # (Not the URL the officer is on with its fragment: that would be a same-page jump, not a reload.)
    officer.goto(f"/cases/{home_case}")
    diary = officer.locator(".app-complaint").filter(has_text="A stone cracked the kitchen window")
    assert "Unverified: self-reported" in diary.inner_text()
    assert diary.get_by_role("link", name=re.compile("^Open")).count() == 1, "the photo is not with the entry"
    officer.locator(f"form[action$='/diary/{entry_id}/accept'] button").click()
    officer.wait_for_url(re.compile(rf"/cases/{home_case}#victim-page$"))
    assert "The diary entry is on the ledger" in officer.content()
    assert journey.scalar(sa.select(DiaryEntry.status).where(DiaryEntry.id == entry_id)) is DiaryStatus.accepted
    assert (
        "From the victim's diary: A stone cracked the kitchen window at teatime."
        in officer.locator("main").inner_text()
    )
    assert "On the ledger" in diary.inner_text()
    assert journey.scalar(sa.select(WatchEntry.qualifying_count).where(WatchEntry.person_id == rita)) == 4
    coordinator.goto("/threshold-watch/?area=BOL")
    card = coordinator.locator(".govuk-summary-card").filter(has_text=VICTIM).inner_text()
    assert "4 (the threshold is 3)" in card
    assert "Told of their right\tOn " in card or "Told of their right\nOn " in card
    assert officer_console.take() == []
    assert coordinator_console.take() == []

    # Her page after the officer accepted the entry; then the pages she can reach.
    journey.open(victim, victim_console, "/my-case/")
    seen.append(victim.locator("main").inner_text())
    journey.open(victim, victim_console, "/my-case/stop")
    seen.append(victim.locator("main").inner_text())
    # Victor's name, his case and what happened to him never appear on her pages.
    for text in seen:
        for hidden in (OTHER, other_reference, "Rubbish dumped", "rubbish", "bin was set on fire"):
            assert hidden not in text
    assert not journey.problems, "\n".join(journey.problems)
    for context in journey.contexts:
        context.close()
