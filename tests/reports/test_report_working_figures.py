"""The report's working figures against a hand count on fixed data: time to first contact (working days
over bank holidays), the outcomes of the tools and powers used, and the Case Review deadlines met.

The period is the financial year 2025/26; the year before is 2024/25."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest

from casework.extensions import db
from casework.reports.queries import compute_report, median_of
from casework.reports.services import build_report

START, END = date(2025, 4, 1), date(2026, 3, 31)
PREVIOUS_START, PREVIOUS_END = date(2024, 4, 1), date(2025, 3, 31)
QUERY = "period_start=2025-04-01&period_end=2026-03-31"


def _contacted(case, day):
    case.victim_first_contacted_on = day
    db.session.flush()
    return case


def _deadline(area, kind, due_on, status="open", completed_on=None, subject_id=1):
    from casework.reminders.models import Deadline, DeadlineStatus

    row = Deadline(
        kind=kind,
        subject_type="trigger_applications",
        subject_id=subject_id,
        title="A step",
        area_id=area.id,
        due_on=due_on,
        due_at=datetime.combine(due_on, time(23, 0), tzinfo=UTC),
        status=DeadlineStatus(status),
        completed_at=datetime.combine(completed_on, time(12, 0), tzinfo=UTC) if completed_on else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def working_data(make, cases):
    from casework.interventions.models import InterventionStatus

    bol, ned = make.area("BOL", "Bolsover"), make.area("NED", "North East Derbyshire")
    council = make.agency("CNCL", areas=[bol, ned])
    # First contacts in the period, with the working days after the opening day up to the contact:
    _contacted(cases.case(bol, council, date(2025, 6, 2)), date(2025, 6, 2))  # the same day: 0
    _contacted(cases.case(bol, council, date(2025, 6, 6)), date(2025, 6, 9))  # Friday to Monday: 1
    # Thursday before Easter to the Tuesday after: Good Friday and Easter Monday are not counted: 1
    _contacted(cases.case(bol, council, date(2025, 4, 17)), date(2025, 4, 22))
    _contacted(cases.case(bol, council, date(2025, 3, 20)), date(2025, 4, 1))  # opened the year before: 8
    _contacted(cases.case(bol, council, date(2025, 7, 1)), date(2025, 7, 4))  # Tuesday to Friday: 3
    _contacted(cases.case(bol, council, date(2023, 1, 2)), date(2025, 5, 1))  # over a year: within none
    _contacted(cases.case(bol, council, date(2026, 3, 30)), date(2026, 4, 1))  # contacted after the period
    cases.case(bol, council, date(2025, 5, 1))  # never contacted: not counted
    # The year before: one contact after 2 working days.
    _contacted(cases.case(bol, council, date(2024, 6, 3)), date(2024, 6, 5))
    # North East Derbyshire: 10 working days.
    _contacted(cases.case(ned, council, date(2025, 9, 1)), date(2025, 9, 15))

    # Tools and powers issued in the period, with their outcome as recorded now.
    case = cases.case(bol, council, date(2025, 4, 2))
    breached = cases.intervention(case, council, "cpn", date(2025, 6, 10))
    breached.status = InterventionStatus.breached
    complied = cases.intervention(case, council, "cpn", date(2025, 7, 1))
    complied.status = InterventionStatus.complied
    cases.intervention(case, council, "warning_letter", date(2025, 8, 1))
    before = cases.intervention(case, council, "cpn", date(2025, 3, 1))  # the year before
    before.status = InterventionStatus.complied
    db.session.flush()

    # Case Review deadlines (the reminders' rows of kind trigger.*).
    _deadline(bol, "trigger.acknowledge", date(2025, 5, 5), "done", date(2025, 5, 2))  # met
    _deadline(bol, "trigger.threshold_decision", date(2025, 6, 10), "done", date(2025, 6, 12))  # late
    _deadline(bol, "trigger.review_meeting", date(2025, 7, 10))  # still open: missed
    _deadline(bol, "trigger.outcome_letter", date(2025, 8, 1), "cancelled", date(2025, 7, 1))  # not counted
    _deadline(bol, "trigger.papers_to_panel", date(2026, 4, 2), subject_id=2)  # due after the period
    _deadline(bol, "trigger.acknowledge", date(2024, 5, 5), "done", date(2024, 5, 5), subject_id=3)  # before
    from casework.reminders.models import Deadline

    db.session.add(
        Deadline(
            kind="action.due",
            subject_type="actions",
            subject_id=9,
            title="Not a Case Review step",
            area_id=bol.id,
            due_on=date(2025, 5, 5),
            due_at=datetime(2025, 5, 5, 23, tzinfo=UTC),
        )
    )
    _deadline(ned, "trigger.acknowledge", date(2025, 5, 5), "done", date(2025, 5, 5), subject_id=4)  # met
    db.session.flush()
    return {"bol": bol, "ned": ned, "council": council}


def test_time_to_first_contact_matches_the_hand_count(working_data):
    bol, ned = working_data["bol"], working_data["ned"]
    result = compute_report([bol.id, ned.id], START, END)
    figures = result["areas"][bol.id]
    assert figures["first_contacts"] == 6  # 0, 1, 1, 8, 3 working days and one over a year
    assert figures["first_contact_within_1"] == 3
    assert figures["first_contact_within_2"] == 3
    assert figures["first_contact_within_5"] == 4
    assert figures["first_contact_within_1_share"] == 50.0
    assert figures["first_contact_within_5_share"] == 66.7
    assert figures["median_working_days_to_first_contact"] == 2  # between 1 and 3
    assert result["areas"][ned.id]["median_working_days_to_first_contact"] == 10
    total = result["total"]
    assert total["first_contacts"] == 7
    assert total["median_working_days_to_first_contact"] == 3  # 0 1 1 [3] 8 10 and the longest
    assert total["first_contact_within_5_share"] == 57.1  # 4 of 7

    before = compute_report([bol.id], PREVIOUS_START, PREVIOUS_END)["areas"][bol.id]
    assert (before["first_contacts"], before["first_contact_within_2"]) == (1, 1)
    assert before["median_working_days_to_first_contact"] == 2


def test_shares_change_in_percentage_points(working_data):
    report = build_report([working_data["bol"]], START, END, whole_group=False)
    assert report["changes"]["first_contact_within_2_share"]["words"] == "down 50 percentage points on 2024/25"
    assert report["changes"]["first_contact_within_1_share"]["words"] == "up 50 percentage points on 2024/25"
    assert report["changes"]["first_contacts"]["words"] == "up 500% on 2024/25"
    assert report["changes"]["median_working_days_to_first_contact"]["words"] == "the same as 2024/25"


def test_tools_and_powers_by_kind_and_outcome(working_data):
    bol = working_data["bol"]
    figures = compute_report([bol.id], START, END)["areas"][bol.id]
    assert figures["interventions"] == {"cpn": 2, "warning_letter": 1}
    assert figures["interventions_by_outcome"] == {"cpn/breached": 1, "cpn/complied": 1, "warning_letter/issued": 1}
    before = compute_report([bol.id], PREVIOUS_START, PREVIOUS_END)["areas"][bol.id]
    assert before["interventions_by_outcome"] == {"cpn/complied": 1}


def test_case_review_deadlines_met(working_data):
    bol, ned = working_data["bol"], working_data["ned"]
    result = compute_report([bol.id, ned.id], START, END)
    case_review = result["areas"][bol.id]["case_review"]
    assert (case_review["deadlines_due"], case_review["deadlines_met"]) == (3, 1)
    assert case_review["deadlines_met_share"] == 33.3
    assert result["areas"][ned.id]["case_review"]["deadlines_met_share"] == 100.0
    total = result["total"]["case_review"]
    assert (total["deadlines_due"], total["deadlines_met"], total["deadlines_met_share"]) == (4, 2, 50.0)
    before = compute_report([bol.id], PREVIOUS_START, PREVIOUS_END)["areas"][bol.id]["case_review"]
    assert (before["deadlines_due"], before["deadlines_met"]) == (1, 1)


def test_a_cancellation_counts_from_its_day(make, cases):
    """An action or a Case Review deadline due in the period and cancelled after its end (by hand, or by
    the retention run years later, when it anonymises the record) was due and not done when the period
    ended: it counts so, and the period's figures do not change afterwards. Cancelled by the period's
    end (its last day in London), it is not counted."""
    bol = make.area("BOL", "Bolsover")
    council = make.agency("CNCL", areas=[bol])
    case = cases.case(bol, council, date(2025, 4, 10))
    for cancelled_on in (date(2025, 9, 1), END, END + timedelta(days=1), date(2033, 1, 1)):
        cases.action(case, council, date(2025, 8, 1), status="cancelled").completed_on = cancelled_on
    cancelled_at = (
        datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 23:30 on 31 March in London: the period's last day
        datetime(2026, 3, 31, 23, 30, tzinfo=UTC),  # 00:30 on 1 April in London
        datetime(2033, 1, 1, 12, 0, tzinfo=UTC),
    )
    for subject_id, moment in enumerate(cancelled_at, start=1):
        _deadline(
            bol, "trigger.acknowledge", date(2025, 8, 1), "cancelled", subject_id=subject_id
        ).completed_at = moment
    db.session.flush()
    figures = compute_report([bol.id], START, END)["areas"][bol.id]
    assert (figures["actions_due"], figures["actions_done_on_time"]) == (2, 0)
    assert (figures["case_review"]["deadlines_due"], figures["case_review"]["deadlines_met"]) == (2, 0)


def test_the_median_of_a_histogram():
    assert median_of({}) is None
    assert median_of({3: 1}) == 3
    assert median_of({1: 1, 4: 1}) == 2.5
    assert median_of({1: 2, None: 1}) == 1
    assert median_of({1: 1, None: 2}) is None  # the middle is over the span counted


def test_the_new_tables_are_on_the_page_and_in_the_downloads(page_client, make, working_data):
    manager = make.user("manager", agency=working_data["council"])
    client = page_client(manager)
    html = client.get(f"/reports/partnership/?area=BOL&{QUERY}").get_data(as_text=True)
    assert "Time to first contact with the victim" in html
    assert "Outcomes of the tools and powers used, by kind" in html
    assert "Share of Case Review deadlines met on time (per cent)" in html
    response = client.get(f"/reports/partnership/tables/first_contact.csv?area=BOL&{QUERY}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    by_label = {row[0]: row[1:] for row in rows[1:]}
    assert by_label["Victims first contacted in the period"][:3] == ["6", "1", "5"]
    assert by_label["Share contacted within 2 working days (per cent)"][3] == "down 50 percentage points on 2024/25"
    response = client.get(f"/reports/partnership/tables/interventions_by_outcome.csv?area=BOL&{QUERY}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert ["Community Protection Notice: breached", "1", "0", "1", "up from none in 2024/25"] in rows


def test_the_api_gives_the_new_figures(api_client, make, working_data):
    manager = make.user("manager", agency=working_data["council"])
    body = api_client(manager).get(f"/api/v1/reports/partnership?area=BOL&{QUERY}").json
    assert body["figures"]["first_contacts"] == 6
    assert body["figures"]["median_working_days_to_first_contact"] == 2
    assert body["figures"]["interventions_by_outcome"]["cpn/breached"] == 1
    assert body["figures"]["case_review"]["deadlines_met"] == 1
