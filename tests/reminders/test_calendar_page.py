"""The deadline calendar page: the user's own open deadlines a month at a time, by day, overdue ones
marked, in a fixed number of statements; nobody else's; a bad month shows this month."""

from __future__ import annotations

from datetime import date


def test_the_month_lists_my_deadlines_by_day(page_client, make, deadline, at):
    officer = make.user("officer")
    other = make.user("officer")
    deadline(officer, date(2026, 4, 1), title="Acknowledge application BOL-CT-2026-0001")
    deadline(officer, date(2026, 4, 20), title="Visit the victim", kind="action.due")
    deadline(officer, date(2026, 5, 2), title="Review the risk", kind="risk.review")
    deadline(officer, date(2026, 3, 2), title="Long overdue", kind="action.due")
    deadline(other, date(2026, 4, 21), title="Someone else's", kind="action.due")
    with at(2026, 4, 8, 9, 0):
        client = page_client(officer)
        page = client.get("/deadlines/calendar")
        assert page.status_code == 200
        html = page.text
        assert "April 2026" in html
        assert "Acknowledge application BOL-CT-2026-0001" in html
        assert "Visit the victim" in html
        assert "Someone else" not in html
        assert "Review the risk" not in html
        assert "Long overdue" not in html
        assert html.index("Acknowledge application") < html.index("Visit the victim")
        assert html.count("govuk-tag--red") == 1  # 1 April is overdue on the 8th
        assert "1 deadline from before this month is overdue" in html
        assert "March 2026" in html
        assert "May 2026" in html
        may = client.get("/deadlines/calendar?month=2026-05").text
        assert "Review the risk" in may
        assert "Visit the victim" not in may
        # A month in another form, or one the calendar does not show, is refused
        # (tests/test_query_string_dates.py); none given shows this month.
        for bad in ("2026-13", "1066-01", "nope", "2026-04-31x"):
            shown = client.get(f"/deadlines/calendar?month={bad}")
            assert shown.status_code == 422
            assert "Enter the month as YYYY-MM" in shown.text
        assert "April 2026" in client.get("/deadlines/calendar?month=").text


def test_the_page_runs_a_fixed_number_of_statements(page_client, make, deadline, at, count_queries):
    officer = make.user("officer")
    with at(2026, 4, 8, 9, 0):
        client = page_client(officer)

        def counted() -> int:
            with count_queries() as counter:
                assert client.get("/deadlines/calendar").status_code == 200
            return counter.count

        deadline(officer, date(2026, 4, 10))
        small = counted()
        for day in range(11, 20):
            deadline(officer, date(2026, 4, day))
        assert counted() == small


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/deadlines/calendar")
    assert response.status_code == 302
