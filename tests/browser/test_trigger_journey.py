"""One whole Case Review in a real browser: a resident applies on the public form (on a phone-sized
screen), the coordinator decides the threshold is met and arranges the meeting with the demo chair,
the chair records the outcome with two recommendations and a proportionality assessment, the
coordinator records the attendees and the victim's views and confirms the review complete, and only
then is the outcome letter produced, listed on the application and printable. axe checks every page
on the way.

The live server runs the real app on a SQLite file built by the migrations and loaded with the demo
data, so sign-in, CSRF, sessions and the commits are those of production.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from casework.core.time import today
from tests.support.browser import assert_accessible, demo_server

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("journey")) as server:
        yield server.url, server.password


def _fill_date(page, prefix, day):
    page.locator(f"#{prefix}-day").fill(str(day.day))
    page.locator(f"#{prefix}-month").fill(str(day.month))
    page.locator(f"#{prefix}-year").fill(str(day.year))


def _sign_in(context, base_url, email, password):
    page = context.new_page()
    page.goto(f"{base_url}/sign-in")
    assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).not_to_have_text("Sign in")
    return page


def test_resident_applies_coordinator_decides_chair_records_outcome(live, browser):
    base_url, password = live
    day = today()

    # 1. A resident applies on a phone, with three complaints that qualify.
    resident = browser.new_context(viewport=PHONE)
    page = resident.new_page()
    page.goto(f"{base_url}/case-review/")
    assert_accessible(page)
    page.get_by_role("button", name="Start now").click()
    expect(page.locator("h1")).to_have_text("Your application for an ASB Case Review")
    assert_accessible(page)
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("I am the victim of the anti-social behaviour").check()
    page.get_by_label("Full name", exact=True).fill("Rita Resident")
    page.get_by_label("Email address (optional)", exact=True).fill("rita@example.org")
    page.get_by_label("Bolsover").check()
    page.get_by_label("What has been happening?").fill("Loud music and shouting most nights.")
    for index, days_ago in enumerate((30, 20, 10)):
        _fill_date(page, f"complaints-{index}-occurred_on", day - timedelta(days=days_ago))
        _fill_date(page, f"complaints-{index}-reported_on", day - timedelta(days=days_ago - 1))
        page.locator(f"#complaints-{index}-agency").select_option("BDC")
        page.locator(f"#complaints-{index}-reference").fill(f"BDC-{index + 1}")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Check your answers before sending your application")
    expect(page.locator("main")).to_contain_text("BDC-3")
    assert_accessible(page)
    page.get_by_role("button", name="Accept and send").click()
    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text("Application sent")
    reference = re.search(r"BOL-CT-\d{4}-\d{4}", panel.inner_text()).group(0)
    assert_accessible(page)
    resident.close()

    # 2. The coordinator finds it on the board, decides "met" and arranges the meeting.
    coordinator = browser.new_context(viewport=DESKTOP)
    page = _sign_in(coordinator, base_url, "coordinator@casework.example", password)
    page.goto(f"{base_url}/case-reviews/")
    assert_accessible(page)
    page.get_by_role("link", name=reference).click()
    expect(page.locator("h1")).to_have_text(f"Application {reference}")
    expect(page.locator("main")).to_contain_text("3 qualifying complaints")
    assert_accessible(page)
    page.get_by_role("link", name="Decide the threshold").click()
    assert_accessible(page)
    page.get_by_label("Yes, the threshold is met").check()
    page.get_by_label("Automatic: enough qualifying complaints").check()
    page.get_by_label("Reasons for the decision").fill("Three qualifying complaints within six months.")
    _fill_date(page, "decided_on", day)
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("main")).to_contain_text("Decision recorded")
    page.get_by_role("link", name="Arrange the review meeting").click()
    assert_accessible(page)
    _fill_date(page, "scheduled_on", day)
    chair_option = page.locator("#chair option", has_text="Charles Chair")
    page.get_by_label("Independent chair").select_option(chair_option.get_attribute("value"))
    page.get_by_role("button", name="Arrange meeting").click()
    expect(page.locator("h1")).to_have_text("Review meeting")
    assert_accessible(page)
    page.get_by_label("Notes for the agenda").fill("The victim will join by video.")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Save arrangements").click()
    expect(page.locator("main")).to_contain_text("Meeting arrangements saved")
    coordinator.close()

    # 3. The chair sees the review, records the outcome with two recommendations.
    chair = browser.new_context(viewport=DESKTOP)
    page = _sign_in(chair, base_url, "chair@casework.example", password)
    page.goto(f"{base_url}/my-reviews/")
    assert_accessible(page)
    page.get_by_role("link", name=reference).click()
    assert_accessible(page)
    page.get_by_role("button", name="Record the outcome").click()
    assert_accessible(page)
    _fill_date(page, "held_on", day)
    page.get_by_label("Minutes").fill("All agencies attended. The victim described the impact.")
    page.get_by_label("Perpetrator proportionality assessment").fill("A CPW is proportionate.")
    page.get_by_label("Outcome", exact=True).fill("A joint action plan was agreed.")
    page.locator("#recommendations-0-text").fill("Install noise monitoring equipment.")
    page.locator("#recommendations-0-agency").select_option("BDC")
    _fill_date(page, "recommendations-0-due_on", day + timedelta(days=30))
    page.locator("#recommendations-1-text").fill("Patrol the street on Friday and Saturday evenings.")
    page.locator("#recommendations-1-agency").select_option("DERPOL")
    _fill_date(page, "recommendations-1-due_on", day + timedelta(days=45))
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.locator("main")).to_contain_text("Outcome recorded")
    assert_accessible(page)

    # 4. The chair adds the proportionality assessment; the outcome letter waits for completeness.
    page.get_by_role("link", name="Add a perpetrator proportionality assessment").click()
    expect(page.locator("h1")).to_have_text("Perpetrator proportionality assessment")
    assert_accessible(page)
    page.get_by_label("Their name, if they are not listed").fill("The tenant of number 12")
    page.get_by_label("Housing and other consequences").fill("Eviction would put two children at risk.")
    page.get_by_label("Conclusion").fill("A Community Protection Warning is proportionate.")
    _fill_date(page, "assessed_on", day)
    page.get_by_role("button", name="Save the assessment").click()
    expect(page.locator("h1")).to_have_text("Perpetrator proportionality assessment")
    expect(page.locator("main")).to_contain_text("Eviction would put two children at risk.")
    assert_accessible(page)
    page.goto(f"{base_url}/my-reviews/")
    page.get_by_role("link", name=reference).click()
    expect(page.locator("main")).to_contain_text("The outcome letter goes out when the coordinator confirms")
    assert page.get_by_role("link", name="Outcome and recommendations").count() == 0
    chair.close()

    # 5. The coordinator records who attended and the victim's views, confirms the review complete
    #    (saying why the agencies who sent nothing did not), and the outcome letter goes out.
    coordinator = browser.new_context(viewport=DESKTOP)
    page = _sign_in(coordinator, base_url, "coordinator@casework.example", password)
    page.goto(f"{base_url}/case-reviews/")
    page.get_by_role("link", name=reference).click()
    application_url = page.url
    page.get_by_role("link", name="Confirm the review is complete and send the outcome").click()
    expect(page.locator("h1")).to_have_text("Confirm the review is complete")
    assert_accessible(page)
    page.get_by_role("button", name="Confirm and send the outcome letter").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The review is not complete yet")
    assert_accessible(page)
    page.get_by_role("link", name="Record who attended on the meeting page").click()
    page.get_by_label("Name").fill("Charles Chair")
    page.get_by_role("button", name="Add attendee").click()
    expect(page.locator("main")).to_contain_text("added to the attendees")
    page.get_by_role("link", name="Record the victim's views on the action plan").click()
    expect(page.locator("h1")).to_have_text("Consult the victim on the action plan")
    assert_accessible(page)
    _fill_date(page, "consulted_on", day)
    page.get_by_label("What the victim said about the action plan").fill("She agrees with both recommendations.")
    page.get_by_label("Their view of recommendation 1").fill("Yes, please tell me when it is installed.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("The victim's views on the action plan are recorded")
    page.get_by_role("link", name="Confirm the review is complete and send the outcome").click()
    expect(page.locator("h1")).to_have_text("Confirm the review is complete")
    boxes = page.locator("textarea[id^='missing_']")
    expect(boxes.first).to_be_visible()
    for box in boxes.all():
        box.fill("Not involved with this household.")
    page.get_by_role("button", name="Confirm and send the outcome letter").click()
    expect(page.locator("main")).to_contain_text("The review is confirmed complete")
    assert_accessible(page)

    # 6. The outcome letter is on the application and printable, with both recommendations; so is the
    #    action plan, with the victim's view.
    letters = page.locator("#letters + ul").inner_text()
    assert "Threshold decision" in letters
    assert "Meeting invitation" in letters
    assert "Outcome and recommendations" in letters
    expect(page.locator("main")).to_contain_text("Patrol the street on Friday and Saturday evenings.")
    page.get_by_role("link", name="Outcome and recommendations").click()
    expect(page.locator("h1")).to_contain_text("Outcome and recommendations letter")
    letter = page.locator(".app-letter").last.inner_text()
    assert "Install noise monitoring equipment." in letter
    assert "Patrol the street on Friday and Saturday evenings." in letter
    assert_accessible(page)
    page.emulate_media(media="print")
    assert not page.locator(".govuk-header, .govuk-service-navigation").first.is_visible()
    assert page.locator(".app-letter").last.is_visible()
    page.emulate_media(media="screen")
    page.goto(application_url)
    page.get_by_role("link", name="Print the action plan").click()
    expect(page.locator("main")).to_contain_text("Yes, please tell me when it is installed.")
    assert_accessible(page)
    coordinator.close()


def test_other_case_review_pages_are_accessible(live, browser):
    """axe on the pages the journey does not pass through, including error states and a phone screen."""
    base_url, password = live

    # The public progress check and a form with errors, on a phone.
    resident = browser.new_context(viewport=PHONE)
    page = resident.new_page()
    page.goto(f"{base_url}/case-review/progress")
    assert_accessible(page)
    page.get_by_label("Application reference").fill("BOL-CT-2026-9999")
    page.get_by_label("Email address or phone number").fill("someone@example.org")
    page.get_by_role("button", name="Check progress").click()
    expect(page.locator("#progress-result")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base_url}/case-review/apply")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    resident.close()

    # Staff pages as the coordinator, on the demo data.
    coordinator = browser.new_context(viewport=DESKTOP)
    page = _sign_in(coordinator, base_url, "coordinator@casework.example", password)
    for path in ("/case-reviews/new", "/case-reviews/information-requests", "/case-reviews/?deadline=overdue"):
        page.goto(f"{base_url}{path}")
        assert_accessible(page)
    page.goto(f"{base_url}/case-reviews/new")
    page.get_by_role("button", name="Register application").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base_url}/case-reviews/?status=received")
    page.locator("tbody a.govuk-link").first.click()
    expect(page.locator("h1")).to_contain_text("Application")
    assert_accessible(page)
    application_url = page.url
    for link in ("Screen out: not a Case Review", "Withdraw the application", "Record an appeal"):
        page.goto(application_url)
        page.get_by_role("link", name=link).click()
        assert_accessible(page)
    page.goto(f"{base_url}/case-reviews/?status=meeting_arranged")
    page.locator("tbody a.govuk-link").first.click()
    page.locator("a", has_text="Meeting on").first.click()
    expect(page.locator("h1")).to_have_text("Review meeting")
    assert_accessible(page)
    coordinator.close()

    # The admin's letter templates.
    admin = browser.new_context(viewport=DESKTOP)
    page = _sign_in(admin, base_url, "admin@casework.example", password)
    page.goto(f"{base_url}/admin/letter-templates/")
    assert_accessible(page)
    page.goto(f"{base_url}/admin/letter-templates/outcome?area=BOL")
    assert_accessible(page)
    page.get_by_label("Letter").fill("{% if %}")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("mistake on line 1")
    assert_accessible(page)
    admin.close()
