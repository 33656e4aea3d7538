"""README.md's "Try it" section, followed in a real browser exactly as written.

Every label the test clicks, checks or fills is taken from the README step it belongs to (quoted there),
and every quoted label in a step is used, as is the demo login the step names: a change to the pages
or to the README that makes the steps wrong fails here. The server is this module's own (the journey
writes an application; the session's live_app is read-only), with the demo data, as after scripts/start.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from casework.app import PROJECT_ROOT
from casework.core.time import today
from tests.support.browser import assert_accessible, demo_server

pytestmark = pytest.mark.browser

README_BASE_URL = "http://127.0.0.1:5000"


def try_it_steps() -> list[str]:
    """The numbered steps of the README's "Try it" section, each as one line of text."""
    text = (PROJECT_ROOT / "README.md").read_text()
    section = re.search(r"^## Try it.*?$(.*?)^## ", text, re.MULTILINE | re.DOTALL)
    assert section, "README.md has no '## Try it' section"
    steps = re.findall(r"^\d\. (.*?)(?=^\d\. |^\S|\Z)", section.group(1), re.MULTILINE | re.DOTALL)
    return [" ".join(step.split()) for step in steps]


class Step:
    """One README step: hands out the labels it quotes and checks at the end that all were used."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.quoted = set(re.findall(r'"([^"]+)"', text))
        self.used: set[str] = set()

    def __call__(self, label: str) -> str:
        assert label in self.quoted, f'the README step does not say "{label}": {self.text}'
        self.used.add(label)
        return label

    def url(self, path: str) -> str:
        assert f"{README_BASE_URL}{path}" in self.text, f"the README step does not open {path}"
        return path

    def login(self, email: str) -> str:
        assert f"`{email}`" in self.text, f"the README step does not name the login {email}"
        return email

    def done(self) -> None:
        assert self.used == self.quoted, f"quoted in the README but not followed: {self.quoted - self.used}"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("try_it")) as server:
        yield server.url, server.password


def _fill_date(page, prefix, day):
    page.locator(f"#{prefix}-day").fill(str(day.day))
    page.locator(f"#{prefix}-month").fill(str(day.month))
    page.locator(f"#{prefix}-year").fill(str(day.year))


def _sign_in(page, step: Step, email: str, password: str, *, as_in: Step | None = None) -> None:
    """Sign in at the address ``as_in`` (or ``step``) gives, with the login ``step`` names."""
    page.goto((as_in or step).url("/sign-in"))
    page.get_by_label("Email address").fill(step.login(email))
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).not_to_have_text("Sign in")


def test_the_readme_try_it_steps_take_one_case_review_to_the_published_figures(live, browser):
    base_url, password = live
    steps = [Step(text) for text in try_it_steps()]
    assert len(steps) == 5
    day = today()

    def context():
        made = browser.new_context(base_url=base_url)
        made.set_default_timeout(15_000)
        return made

    # 1. Apply as a resident (no login).
    step = steps[0]
    resident = context()
    page = resident.new_page()
    page.goto(step.url("/case-review/"))
    page.get_by_role("button", name=step("Start now")).click()
    page.get_by_label(step("I am the victim of the anti-social behaviour")).check()
    page.get_by_label(step("Full name"), exact=True).fill("Rita Resident")
    page.get_by_label(step("Bolsover")).check()
    page.get_by_label(step("What has been happening?")).fill("Loud music and shouting most nights.")
    for index, days_ago in enumerate((30, 20, 10)):
        _fill_date(page, f"complaints-{index}-occurred_on", day - timedelta(days=days_ago))
        _fill_date(page, f"complaints-{index}-reported_on", day - timedelta(days=days_ago - 1))
        page.locator(f"#complaints-{index}-agency").select_option(label=step("Bolsover District Council"))
        page.locator(f"#complaints-{index}-reference").fill(f"BDC-{index + 1}")
    page.get_by_role("button", name=step("Continue")).click()
    page.get_by_role("button", name=step("Accept and send")).click()
    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text("BOL-CT-")
    assert "`BOL-CT-...`" in step.text
    reference = re.search(r"BOL-CT-\d{4}-\d{4}", panel.inner_text()).group(0)
    resident.close()
    step.done()

    # 2. Decide as the coordinator.
    step = steps[1]
    coordinator = context()
    page = coordinator.new_page()
    _sign_in(page, step, "coordinator@casework.example", password)
    page.get_by_role("link", name=step("Case reviews"), exact=True).first.click()
    page.get_by_role("link", name=reference).click()
    expect(page.locator("h1")).to_have_text(f"Application {reference}")
    page.get_by_role("link", name=step("Decide the threshold")).click()
    page.get_by_label(step("Yes, the threshold is met")).check()
    page.get_by_label(step("Automatic: enough qualifying complaints")).check()
    page.get_by_label(step("Reasons for the decision")).fill("Three qualifying complaints within six months.")
    assert "today's date" in step.text
    _fill_date(page, "decided_on", day)
    page.get_by_role("button", name=step("Record the decision")).click()
    expect(page.locator("main")).to_contain_text("Decision recorded")
    page.get_by_role("link", name=step("Arrange the review meeting")).click()
    _fill_date(page, "scheduled_on", day)
    chair_option = page.locator("#chair option", has_text=step("Charles Chair"))
    page.get_by_label(step("Independent chair")).select_option(chair_option.get_attribute("value"))
    page.get_by_role("button", name=step("Arrange meeting")).click()
    expect(page.locator("h1")).to_have_text("Review meeting")
    coordinator.close()
    step.done()

    # 3. Hold the meeting as the chair.
    step = steps[2]
    chair = context()
    page = chair.new_page()
    assert "Sign in as in step 2" in step.text
    _sign_in(page, step, "chair@casework.example", password, as_in=steps[1])
    page.get_by_role("link", name=step("My reviews"), exact=True).first.click()
    page.get_by_role("link", name=reference).click()
    attendee = page.locator("form", has=page.get_by_role("heading", name=step("Add an attendee")))
    attendee.get_by_label(step("Name"), exact=True).fill("Charles Chair")
    attendee.get_by_role("button", name=step("Add attendee")).click()
    page.get_by_role("button", name=step("Record the outcome")).click()
    _fill_date(page, "held_on", day)
    page.get_by_label(step("Minutes")).fill("All agencies attended. The victim described the impact.")
    page.get_by_label(step("Perpetrator proportionality assessment")).fill("A CPW is proportionate.")
    page.get_by_label(step("Outcome"), exact=True).fill("A joint action plan was agreed.")
    invited = page.get_by_role("group", name=step("Was the victim invited to the meeting?"))
    # The reason for not inviting is revealed only under "No" (GOV.UK conditional reveal).
    reason = page.get_by_label("Why was the victim not invited?")
    expect(reason).to_be_hidden()
    invited.get_by_label("No", exact=True).check()
    expect(reason).to_be_visible()
    invited.get_by_label(step("Yes"), exact=True).check()
    expect(reason).to_be_hidden()
    page.locator("#recommendations-0-text").fill("Install noise monitoring equipment.")
    page.locator("#recommendations-0-agency").select_option("BDC")
    _fill_date(page, "recommendations-0-due_on", day + timedelta(days=30))
    page.get_by_role("button", name=step("Record the outcome")).click()
    expect(page.locator("main")).to_contain_text("Outcome recorded")
    step.done()

    # 4. Confirm the review complete as the coordinator, then read the letter.
    step = steps[3]
    chair.close()
    coordinator = context()
    page = coordinator.new_page()
    assert "Sign in as in step 2" in step.text
    _sign_in(page, step, "coordinator@casework.example", password, as_in=steps[1])
    page.get_by_role("link", name=step("Case reviews"), exact=True).first.click()
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name=step("Confirm the review is complete and send the outcome")).click()
    assert "For each agency whose information is not in, say why" in step.text
    missing = page.locator("textarea[id^='missing_']")
    assert missing.count() > 0
    for index in range(missing.count()):
        missing.nth(index).fill("The agency held no information about these events.")
    page.get_by_label(step("Why was the victim not consulted on the action plan?")).fill(
        "The victim asked to hear the outcome in the letter."
    )
    page.get_by_role("button", name=step("Confirm and send the outcome letter")).click()
    expect(page.locator("main")).to_contain_text("The review is confirmed complete")
    expect(page.locator("#" + step("Letters").lower())).to_have_text("Letters")
    letters = page.locator("#letters + ul")
    for title in ("Threshold decision", "Outcome and recommendations"):
        expect(letters).to_contain_text(title)
    letters.get_by_role("link", name=step("Outcome and recommendations")).click()
    letter = page.locator(".app-letter").last
    expect(letter).to_contain_text("Install noise monitoring equipment.")
    assert_accessible(page)
    page.emulate_media(media="print")
    assert not page.locator(".govuk-header, .govuk-service-navigation").first.is_visible()
    assert letter.is_visible()
    coordinator.close()
    step.done()

    # 5. See the published figures (no login).
    step = steps[4]
    public = context()
    page = public.new_page()
    page.goto(step.url("/statistics"))
    main = page.locator("main")
    expect(main).to_contain_text("Bolsover")
    expect(main).to_contain_text("North East Derbyshire")
    assert_accessible(page)
    public.close()
    step.done()
