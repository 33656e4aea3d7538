"""The private deadline calendar: made and turned off on the notification settings page, fetched
without a session by its secret link, and carrying references only (calendar services keep copies)."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from casework.extensions import db
from casework.reminders.models import CalendarFeed
from tests.conftest import csrf_from


def _make_link(client) -> str:
    page = client.get("/notifications")
    assert page.status_code == 200
    made = client.post("/notifications/calendar", data={"csrf_token": csrf_from(page.text)})
    assert made.status_code == 200
    match = re.search(r'id="calendar-feed-url">(http[^<]+)</code>', made.text)
    assert match is not None
    return match.group(1).replace("http://localhost", "")


def test_the_feed_lists_my_open_deadlines_by_reference_only(page_client, client, make, deadline, at):
    officer = make.user("officer", name="Olu Officer")
    other = make.user("officer")
    deadline(officer, date(2026, 4, 1), title="Explain the Case Review to Vera Victim (BOL-2026-0001)", kind="case.x")
    deadline(officer, date(2026, 4, 20), title="Call Vera at 1 High Street", kind="action.due")
    deadline(other, date(2026, 4, 21), title="Someone else's", kind="action.due")
    with at(2026, 4, 8, 9, 0):
        path = _make_link(page_client(officer))
        response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "no-store" in response.headers["Cache-Control"]
    events = list(Calendar.from_ical(response.data).walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["Overdue: Case deadline", "Action due"]
    assert events[1].decoded("dtstart") == date(2026, 4, 20)
    for personal in (b"Vera", b"High Street", b"Olu", b"Someone"):
        assert personal not in response.data
    # Only a hash of the secret is kept.
    secret = path.rsplit("/", 1)[1].removesuffix(".ics")
    stored = db.session.scalar(sa.select(CalendarFeed.token_hash))
    assert secret not in stored
    assert len(stored) == 64


def test_a_new_link_replaces_the_old_and_turning_it_off_ends_it(page_client, client, make):
    officer = make.user("officer")
    staff = page_client(officer)
    first = _make_link(staff)
    second = _make_link(staff)
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    page = staff.get("/notifications")
    assert "Turn off the calendar link" in page.text
    off = staff.post("/notifications/calendar/revoke", data={"csrf_token": csrf_from(page.text)})
    assert off.status_code == 302
    assert client.get(second).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(CalendarFeed.id))) == 0


def test_a_closed_account_has_no_feed(page_client, client, make):
    officer = make.user("officer")
    path = _make_link(page_client(officer))
    officer.is_active = False
    db.session.commit()
    assert client.get(path).status_code == 404


def test_unknown_links_and_forms_without_their_token_are_refused(app, client, make):
    assert client.get("/calendar/not-a-secret.ics").status_code == 404
    assert client.get("/calendar/" + "x" * 200 + ".ics").status_code == 404
    staff = app.test_client(user=make.user("officer"))
    assert staff.post("/notifications/calendar").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(CalendarFeed.id))) == 0


def test_the_feeds_links_point_into_the_base_url_whatever_host_was_asked(app, page_client, client, make, deadline, at):
    # A calendar reads the feed outside the browser: its links come from CASEWORK_BASE_URL, as an
    # email's do, never from the Host header a request named.
    base = app.config["CASEWORK"]["BASE_URL"].rstrip("/")
    hostile = "http://evil.example"
    officer = make.user("officer")
    deadline(officer, date(2026, 4, 20), title="Call back", kind="action.due")
    with at(2026, 4, 8, 9, 0):
        staff = page_client(officer)
        path = _make_link(staff)
        response = client.get(path, base_url=hostile)
    assert response.status_code == 200
    urls = [str(e["url"]) for e in Calendar.from_ical(response.data).walk("VEVENT")]
    assert urls
    assert all(url.startswith(base + "/") for url in urls)
    assert b"evil.example" not in response.data


def test_the_feed_lists_only_work_still_owed_as_the_other_lists_do(world, page_client, client, deadline, at):
    """The feed lists what the calendar page, the dashboard and the reminders do (``live_clause``): a
    closed case's work only when it is statutory or was handed over. So an open deadline left on an
    anonymised case about a record that is gone (a database upgraded from before retention runs deleted
    such deadlines, until its next run does) is in none of them."""
    from casework.cases.models import Case, CaseStatus
    from casework.core.time import now
    from casework.reminders.services import calendar_month, claim_due_reminders, due_for_owners

    case = world.new_case(reference="BOL-2026-0061")
    deadline(world.officer, date(2026, 4, 20), kind="risk.review", case_id=case.id, subject_type="case_parties")
    deadline(world.officer, date(2026, 4, 21), kind="intervention.review", case_id=case.id, is_statutory=True)
    closed = db.session.get(Case, case.id)
    closed.status, closed.closed_on, closed.anonymised_at = CaseStatus.closed, date(2026, 1, 5), now()
    db.session.commit()
    with at(2026, 4, 18, 9, 0):
        response = client.get(_make_link(page_client(world.officer)))
        assert response.status_code == 200
        assert [str(e["summary"]) for e in Calendar.from_ical(response.data).walk("VEVENT")] == [
            "Intervention date: BOL-2026-0061"
        ]
        lists = due_for_owners([world.officer.id])
        assert [row.kind for row in [*lists.overdue, *lists.today, *lists.week]] == ["intervention.review"]
        month = calendar_month(world.officer, date(2026, 4, 1))
        assert [len(items) for _day, items in month.days] == [1]
        assert [row.kind for row in claim_due_reminders(now())] == ["intervention.review"]
        db.session.rollback()


#: Every change that signs a user out everywhere (``accounts.services.end_sessions``), and closing
#: the account then opening it again.
SIGN_OUT_CHANGES = {
    "password": lambda other_agency: [{"password": "a brand new passphrase"}],
    "roles": lambda other_agency: [{"roles": ["officer", "manager"]}],
    "agency": lambda other_agency: [{"agency": other_agency}],
    "closed and opened again": lambda other_agency: [{"is_active": False}, {"is_active": True}],
}


@pytest.mark.parametrize("change", list(SIGN_OUT_CHANGES))
def test_a_change_that_signs_the_user_out_everywhere_ends_their_calendar_link(page_client, client, make, change):
    """The link is a secret that opens the user's deadlines without a session: it ends with their
    sessions and API tokens (a link made by whoever had the account before a password reset must not
    keep working), and a new one can be made afterwards."""
    from casework.accounts import services as accounts

    officer = make.user("officer")
    other_agency = make.agency(areas=[make.area()])
    admin = make.user("admin")
    path = _make_link(page_client(officer))
    assert client.get(path).status_code == 200
    for changes in SIGN_OUT_CHANGES[change](other_agency):
        accounts.update_user(admin, officer, **changes)
        db.session.commit()
    assert client.get(path).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(CalendarFeed.id))) == 0
    again = _make_link(page_client(officer))
    assert client.get(again).status_code == 200


def test_a_name_change_keeps_the_calendar_link(page_client, client, make):
    from casework.accounts import services as accounts

    officer = make.user("officer")
    path = _make_link(page_client(officer))
    accounts.update_user(make.user("admin"), officer, name="A New Name")
    db.session.commit()
    assert client.get(path).status_code == 200
