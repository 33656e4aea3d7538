"""The partnership report's figures against a hand count on fixed data, each rule at its boundaries.

The period is the financial year 2025/26 (1 April 2025 to 31 March 2026); the year before is 2024/25.
Each expected number below is counted by hand from the records in ``fixed_data``; the comments say
which records make it.
"""

from __future__ import annotations

from datetime import date

from casework.reports.queries import compute_report, months_before
from casework.reports.services import build_report, change, previous_period

START, END = date(2025, 4, 1), date(2026, 3, 31)
PREVIOUS_START, PREVIOUS_END = date(2024, 4, 1), date(2025, 3, 31)


def test_each_area_matches_the_hand_count(fixed_data):
    bol, ned = fixed_data["bol"], fixed_data["ned"]
    result = compute_report([bol.id, ned.id], START, END)
    figures = result["areas"][bol.id]
    assert figures["cases_opened"] == 2  # c1, c7 (not the one opened on 1 April 2026)
    assert figures["cases_closed"] == 1  # c2 (the one closed on 31 March 2025 was the year before)
    assert figures["open_at_end"] == 3  # c1, c3, c7
    assert figures["open_age"] == {"under_3_months": 0, "3_to_6_months": 0, "6_to_12_months": 2, "12_months_or_more": 1}
    assert figures["incidents"] == 7  # c1: 3, c2: 1 (1 April 2025), c3: 1 (31 March 2026), c7: 2
    assert figures["incidents_by_category"] == {"personal": 5, "nuisance": 1, "environmental": 1}
    assert figures["complaints"] == 5  # c1: 4, c2: 1; c3's was reported on 1 April 2026
    assert figures["complaints_by_agency"] == {"CNCL": 3, "POL": 2}
    assert figures["repeat_victims"] == 1  # v1 (3 on c1); v3 has 2 here
    assert figures["high_risk_victims"] == 2  # v1 (twice), c3's unnamed victim
    assert figures["actions_due"] == 3  # not the cancelled one nor the one due after
    assert figures["actions_done_on_time"] == 1
    assert figures["interventions"] == {"warning_letter": 1, "cpw": 1, "cpn": 1}
    assert figures["breaches"] == {"cpn": 2}  # 1 October 2025 and 1 April 2025 (of the earlier CPN)
    assert figures["case_review"]["applications"] == 1
    assert figures["case_review"]["threshold_not_met"] == 1
    assert figures["case_review"]["reviews_carried_out"] == 0

    figures = result["areas"][ned.id]
    assert figures["cases_opened"] == 1
    assert figures["open_age"]["3_to_6_months"] == 1  # opened 1 December 2025
    assert figures["incidents"] == 1
    assert figures["complaints_by_agency"] == {"POL": 1}
    assert figures["repeat_victims"] == 0
    assert figures["high_risk_victims"] == 1
    assert figures["interventions"] == {"fpn": 1}
    assert figures["case_review"]["applications"] == 0


def test_the_group_adds_the_areas_up_but_counts_each_person_once(fixed_data):
    bol, ned = fixed_data["bol"], fixed_data["ned"]
    total = compute_report([bol.id, ned.id], START, END)["total"]
    assert total["cases_opened"] == 3
    assert total["incidents"] == 8
    assert total["complaints_by_agency"] == {"CNCL": 3, "POL": 3}
    # v1 (4 incidents over both areas, once) and v3 (2 in Bolsover and 1 in North East Derbyshire).
    assert total["repeat_victims"] == 2
    assert total["high_risk_victims"] == 2  # v1 in both areas once, c3's unnamed victim
    assert total["interventions"] == {"warning_letter": 1, "cpw": 1, "cpn": 1, "fpn": 1}
    assert total["case_review"]["applications"] == 1
    assert total["case_review"]["median_working_days_to_decision"] is None  # medians do not add up


def test_the_year_before_is_counted_the_same_way(fixed_data):
    bol = fixed_data["bol"]
    figures = compute_report([bol.id], PREVIOUS_START, PREVIOUS_END)["areas"][bol.id]
    assert figures["cases_opened"] == 2  # c2, and the one opened on 1 April 2024
    assert figures["cases_closed"] == 1  # closed on 31 March 2025
    assert figures["open_at_end"] == 2  # c2 (closed later), c3
    assert figures["incidents"] == 1
    assert figures["complaints"] == 1
    assert figures["high_risk_victims"] == 1
    assert figures["interventions"] == {"cpn": 1}
    assert figures["breaches"] == {}
    assert figures["case_review"]["applications"] == 1


def test_the_report_compares_with_the_same_dates_a_year_earlier(fixed_data):
    report = build_report([fixed_data["bol"]], START, END, whole_group=False)
    assert (report["previous_start"], report["previous_end"]) == (PREVIOUS_START, PREVIOUS_END)
    assert report["changes"]["incidents"] == {"difference": 6, "percent": 600.0, "words": "up 600% on 2024/25"}
    assert report["changes"]["cases_closed"]["words"] == "the same as 2024/25"
    assert report["changes"]["interventions"]["cpw"]["words"] == "up from none in 2024/25"
    assert report["changes"]["open_age"]["under_3_months"]["words"] == "the same as 2024/25 (none)"


def test_the_number_of_queries_does_not_grow_with_the_areas(make, fixed_data, count_queries):
    more = [make.area().id for _ in range(5)]
    bol, ned = fixed_data["bol"].id, fixed_data["ned"].id
    with count_queries() as one:
        compute_report([bol], START, END)
    with count_queries() as many:
        compute_report([bol, ned, *more], START, END)
    assert one.count == many.count


def test_change_in_words_and_numbers():
    assert change(2352, 3000, "2019") == {"difference": -648, "percent": -21.6, "words": "down 21.6% on 2019"}
    assert change(3, 2, "2019")["words"] == "up 50% on 2019"
    assert change(2, 3, "2019")["words"] == "down 33.3% on 2019"
    assert change(1, 3, "2019")["words"] == "down 66.7% on 2019"
    assert change(0, 4, "2019")["words"] == "down 100% on 2019"
    assert change(None, 4, "2019")["difference"] is None


def test_a_year_earlier_keeps_the_dates():
    assert previous_period(date(2025, 4, 1), date(2026, 3, 31)) == (date(2024, 4, 1), date(2025, 3, 31))
    assert previous_period(date(2024, 2, 29), date(2024, 2, 29)) == (date(2023, 2, 28), date(2023, 2, 28))
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)


def test_a_period_and_the_year_before_are_counted_together_in_fewer_statements(fixed_data, count_queries):
    from casework.reports.queries import compute_periods

    ids = [fixed_data["bol"].id, fixed_data["ned"].id]
    with count_queries() as apart:
        separate = [compute_report(ids, START, END), compute_report(ids, PREVIOUS_START, PREVIOUS_END)]
    with count_queries() as together:
        both = compute_periods(ids, [(START, END), (PREVIOUS_START, PREVIOUS_END)])
    assert both == separate
    assert together.count == apart.count - 4  # cases, incidents, complaints and repeat victims: one pass
    # Periods that overlap (two years and the two years before) are counted one by one, the same.
    long_start, long_previous = date(2024, 4, 1), (date(2023, 4, 1), date(2025, 3, 31))
    assert compute_periods(ids, [(long_start, END), long_previous]) == [
        compute_report(ids, long_start, END),
        compute_report(ids, *long_previous),
    ]
