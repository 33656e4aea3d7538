"""A second click on a form's button right after the first does not send the form again, so a double
click on "Open case" opens one case, not two. GOV.UK Frontend's buttons ignore a click within a second
of the one before when told to (``preventDoubleClick``); every button on the service's pages is told to
(``casework/static/js/app.mjs``), those written out in a template as well as those of the macro."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveApp

pytestmark = pytest.mark.browser

#: Clicks the button named ``name`` twice, as a double click does, and answers how many times its form
#: was sent (each sending is counted and stopped there, so the page stays).
CLICK_TWICE = """name => {
  const button = [...document.querySelectorAll("button")].find(b => b.textContent.trim().startsWith(name));
  let sent = 0;
  button.form.addEventListener("submit", event => { sent += 1; event.preventDefault(); });
  button.click();
  button.click();
  return sent;
}"""


def test_a_double_click_on_open_case_sends_the_form_once(signed_in_as: Any, live_app: LiveApp) -> None:
    page, console = signed_in_as("officer")
    page.goto("/cases/new")
    page.get_by_label("Summary").fill("Noise every night")
    assert page.evaluate(CLICK_TWICE, "Open case") == 1
    assert console.take() == []


def test_a_double_click_on_a_button_written_in_a_template_sends_the_form_once(
    signed_in_as: Any, live_app: LiveApp
) -> None:
    import sqlalchemy as sa

    from casework.accounts.models import User
    from casework.cases.models import Case, CaseParty, Person
    from casework.extensions import db

    with live_app.app.app_context():
        officer = db.session.scalars(sa.select(User).where(User.email == live_app.users["officer"][0])).one()
        case_id, name = db.session.execute(
            sa.select(Case.id, Person.name)
            .join(CaseParty, CaseParty.case_id == Case.id)
            .join(Person, Person.id == CaseParty.person_id)
            .where(Case.owner_id == officer.id, Case.is_restricted.is_(False))
            .order_by(Case.id)
            .limit(1)
        ).one()
    page, console = signed_in_as("officer")
    page.goto(f"/cases/{case_id}/parties/new?name={name}")
    assert page.evaluate(CLICK_TWICE, "Add") == 1
    assert console.take() == []
