"""Journeys in Chromium on the case list: filter and sort it, save the view and open it again, reassign
ticked cases, and the manager's caseload and the deadline calendar; axe on each page on the way."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.browser.conftest import LiveApp
from tests.support.browser import assert_accessible

pytestmark = pytest.mark.browser


def test_filter_sort_and_save_a_view(signed_in_as: Any, live_app: LiveApp) -> None:
    page, console = signed_in_as("officer")
    page.goto("/cases/")
    assert_accessible(page)
    page.get_by_text("Filter cases").click()
    page.get_by_label("Owner").select_option("me")
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/cases/?*owner=me*")
    assert_accessible(page)
    assert page.locator("tbody tr").count() > 0
    page.locator("thead a", has_text="Reference").click()
    page.wait_for_url("**sort=reference*")
    header = page.locator("th[aria-sort='ascending']")
    assert header.inner_text().startswith("Reference")
    references = page.locator("tbody th a").all_inner_texts()
    assert references == sorted(references)
    assert "owner=me" in page.url
    page.get_by_role("link", name="Save this view").click()
    assert_accessible(page)
    page.get_by_label("Name of the view").fill("Browser: mine by reference")
    page.get_by_label("Share it with my team").check()
    page.get_by_role("button", name="Save view").click()
    page.wait_for_url("**sort=reference*")
    assert "saved" in page.content()
    page.goto("/cases/")
    page.get_by_role("link", name="Browser: mine by reference").click()
    page.wait_for_url("**owner=me*")
    page.goto("/cases/views")
    assert_accessible(page)
    page.get_by_role("button", name="Delete the view Browser: mine by reference").click()
    page.wait_for_url("**/cases/views")
    assert "Browser: mine by reference" not in page.content()
    assert console.take() == []


def test_reassign_ticked_cases_and_see_the_caseload(signed_in_as: Any, live_app: LiveApp) -> None:
    from casework.accounts.models import User
    from casework.cases.models import Case
    from casework.extensions import db

    with live_app.app.app_context():
        officer_id = db.session.scalar(sa.select(User.id).where(User.email == live_app.users["officer"][0]))
        owned = db.session.scalars(
            sa.select(Case.reference).where(Case.owner_id == officer_id).order_by(Case.reference).limit(2)
        ).all()
    assert len(owned) == 2
    page, console = signed_in_as("manager")
    page.goto("/cases/?sort=reference&order=asc&owner=" + str(officer_id))
    for reference in owned:
        page.get_by_label(f"Select {reference}").check()
    page.get_by_role("button", name="Reassign selected cases").click()
    page.wait_for_url("**/cases/reassign?*")
    assert_accessible(page)
    page.get_by_label("Who should the cases go to?").select_option(live_app.users["coordinator"][0])
    page.get_by_role("button", name="Reassign").click()
    page.wait_for_url("**/cases/")
    assert "2 cases reassigned" in page.content()
    page.goto("/cases/caseload")
    assert_accessible(page)
    assert "Olive Officer" in page.content()
    # Give them back, so that other browser tests see the demo as loaded.
    with live_app.app.app_context():
        db.session.execute(sa.update(Case).where(Case.reference.in_(owned)).values(owner_id=officer_id))
        db.session.commit()
    assert console.take() == []


def test_the_deadline_calendar_from_the_home_page(signed_in_as: Any, live_app: LiveApp) -> None:
    page, console = signed_in_as("officer")
    page.get_by_role("link", name="Your deadline calendar").click()
    page.wait_for_url("**/deadlines/calendar")
    assert_accessible(page)
    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**/deadlines/calendar?month=*")
    assert_accessible(page)
    assert console.take() == []
