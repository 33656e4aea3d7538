"""The counting rules of the published figures (docs/rules.md), each at its boundaries."""

from __future__ import annotations

from datetime import date

from casework.statistics.queries import compute_area_figures, compute_figures

START, END = date(2025, 4, 1), date(2026, 3, 31)
NEXT_START, NEXT_END = date(2026, 4, 1), date(2027, 3, 31)


def figures(area, start=START, end=END):
    return compute_area_figures(area.id, start, end)


def test_application_counts_in_the_period_it_was_received(make, records):
    area = make.area("BOL")
    records.application(area, date(2026, 3, 31))  # last day of 2025/26
    records.application(area, date(2026, 4, 1))  # first day of 2026/27
    records.application(area, date(2025, 3, 31))  # last day of 2024/25
    assert figures(area)["applications"] == 1
    assert figures(area, NEXT_START, NEXT_END)["applications"] == 1
    assert figures(area, date(2024, 4, 1), date(2025, 3, 31))["applications"] == 1


def test_withdrawn_applications_are_counted_and_reported(make, records):
    area = make.area("BOL")
    records.application(area, date(2025, 6, 2), withdrawn_on=date(2025, 6, 20))
    records.application(area, date(2026, 3, 2), withdrawn_on=date(2026, 4, 1))
    result = figures(area)
    assert result["applications"] == 2
    assert result["withdrawn"] == 1  # the second was withdrawn in the next period
    assert figures(area, NEXT_START, NEXT_END)["withdrawn"] == 1
    assert figures(area, NEXT_START, NEXT_END)["applications"] == 0


def test_screened_out_applications_are_not_case_review_applications(make, records):
    area = make.area("BOL")
    records.application(area, date(2025, 5, 1), screened_out_on=date(2025, 5, 2))
    records.application(area, date(2025, 5, 1))
    result = figures(area)
    assert result["applications"] == 1
    assert result["screened_out"] == 1
    assert result["pending_at_period_end"] == 1  # only the real application


def test_screening_out_after_the_period_ended_does_not_change_its_figures(make, records):
    """Received 25 March 2026, screened out 1 December 2026: still one of 2025/26's applications."""
    area = make.area("BOL")
    late = records.application(area, date(2026, 3, 25))
    before = figures(area)
    late.screened_out_on = date(2026, 12, 1)
    records.application(area, date(2026, 3, 25), screened_out_on=date(2026, 3, 31))  # last day: left out
    records.application(area, date(2026, 3, 26), screened_out_on=date(2026, 4, 1))  # first day after: counts
    after = figures(area)
    assert before["applications"] == 1
    assert after["applications"] == 2
    assert after["applications_online"] == 2
    assert after["pending_at_period_end"] == 2  # undecided at the period end, whatever came later
    assert after["screened_out"] == 1  # only the one screened out inside the period
    following = figures(area, NEXT_START, NEXT_END)
    assert following["screened_out"] == 2
    assert following["applications"] == 0


def test_a_withdrawal_after_the_period_ended_leaves_it_pending_at_that_end(make, records):
    area = make.area("BOL")
    records.application(area, date(2026, 3, 30), withdrawn_on=date(2026, 4, 1))
    records.application(area, date(2026, 3, 30), withdrawn_on=date(2026, 3, 31))
    result = figures(area)
    assert result["applications"] == 2
    assert result["withdrawn"] == 1
    assert result["pending_at_period_end"] == 1


def test_applications_by_channel(make, records):
    area = make.area("BOL")
    for channel in ("online", "online", "phone", "letter", "partner"):
        records.application(area, date(2025, 9, 1), channel=channel)
    result = figures(area)
    assert (
        result["applications_online"],
        result["applications_phone"],
        result["applications_letter"],
        result["applications_partner"],
        result["applications_email"],
    ) == (2, 1, 1, 1, 0)
    assert result["applications"] == 5


def test_decision_counts_in_the_period_it_was_made_not_when_the_application_came(make, records):
    area = make.area("BOL")
    march = records.application(area, date(2026, 3, 30))
    records.decision(march, date(2026, 4, 1), met=False)
    on_the_last_day = records.application(area, date(2026, 3, 2))
    records.decision(on_the_last_day, date(2026, 3, 31), met=False)
    this_year, next_year = figures(area), figures(area, NEXT_START, NEXT_END)
    assert this_year["applications"] == 2
    assert this_year["threshold_not_met"] == 1
    assert next_year["threshold_not_met"] == 1
    assert next_year["applications"] == 0


def test_every_decision_event_counts_and_met_decisions_by_basis(make, records):
    area = make.area("BOL")
    first = records.application(area, date(2025, 5, 1))
    records.decision(first, date(2025, 5, 10), met=False)
    records.decision(first, date(2025, 7, 1), met=True, basis="discretionary")  # after an upheld appeal
    second = records.application(area, date(2025, 5, 1))
    records.decision(second, date(2025, 5, 12), met=True, basis="automatic")
    third = records.application(area, date(2025, 5, 1))
    records.decision(third, date(2025, 5, 12), met=True, basis="hate")
    result = figures(area)
    assert result["threshold_not_met"] == 1
    assert result["threshold_met"] == 3
    assert (
        result["threshold_met_automatic"],
        result["threshold_met_hate"],
        result["threshold_met_discretionary"],
        result["threshold_met_community"],
    ) == (1, 1, 1, 0)


def test_review_counts_when_held_in_the_period_with_its_outcome_recorded(make, records):
    area = make.area("BOL")
    application = records.application(area, date(2026, 1, 5))
    records.decision(application, date(2026, 1, 20))
    records.meeting(application, date(2026, 3, 31), recommendations=2)
    other = records.application(area, date(2026, 1, 5))
    records.decision(other, date(2026, 1, 20))
    records.meeting(other, date(2026, 4, 1))
    this_year, next_year = figures(area), figures(area, NEXT_START, NEXT_END)
    assert (this_year["reviews_carried_out"], this_year["reviews_with_recommendations"]) == (1, 1)
    assert (next_year["reviews_carried_out"], next_year["reviews_with_recommendations"]) == (1, 0)


def test_meeting_held_without_a_recorded_outcome_does_not_count(make, records):
    area = make.area("BOL")
    application = records.application(area, date(2025, 6, 1))
    records.decision(application, date(2025, 6, 10))
    records.meeting(application, date(2025, 7, 1), outcome=False, recommendations=1)
    records.meeting(records.application(area, date(2025, 6, 1)), None, outcome=False)  # only scheduled
    result = figures(area)
    assert result["reviews_carried_out"] == 0
    assert result["reviews_with_recommendations"] == 0
    assert result["awaiting_review_at_period_end"] == 1


def test_a_new_meeting_after_an_upheld_appeal_counts_again(make, records):
    area = make.area("BOL")
    application = records.application(area, date(2025, 5, 1))
    records.decision(application, date(2025, 5, 15))
    records.meeting(application, date(2025, 6, 10), recommendations=0)
    records.appeal(application, date(2025, 6, 20), decision="upheld", decided_on=date(2025, 7, 1))
    records.meeting(application, date(2025, 8, 1), recommendations=3)
    result = figures(area)
    assert result["applications"] == 1
    assert result["reviews_carried_out"] == 2
    assert result["reviews_with_recommendations"] == 1
    assert (result["appeals_received"], result["appeals_upheld"], result["appeals_not_upheld"]) == (1, 1, 0)


def test_appeals_count_when_received_and_results_when_decided(make, records):
    area = make.area("BOL")
    application = records.application(area, date(2025, 12, 1))
    records.decision(application, date(2025, 12, 10), met=False)
    records.appeal(application, date(2026, 3, 31), decision="not_upheld", decided_on=date(2026, 4, 1))
    this_year, next_year = figures(area), figures(area, NEXT_START, NEXT_END)
    assert (this_year["appeals_received"], this_year["appeals_not_upheld"]) == (1, 0)
    assert (next_year["appeals_received"], next_year["appeals_not_upheld"]) == (0, 1)


def test_pending_at_period_end(make, records):
    area = make.area("BOL")
    decided_after_end = records.application(area, date(2026, 3, 20))
    records.decision(decided_after_end, date(2026, 4, 1))
    decided_on_last_day = records.application(area, date(2026, 3, 20))
    records.decision(decided_on_last_day, date(2026, 3, 31), met=False)
    records.application(area, date(2025, 1, 10))  # an earlier year's, still undecided
    records.application(area, date(2026, 3, 1), withdrawn_on=date(2026, 3, 31))  # withdrawn by the end
    records.application(area, date(2026, 3, 1), withdrawn_on=date(2026, 4, 2))  # withdrawn after it
    records.application(area, date(2026, 4, 1))  # received after the end
    result = figures(area)
    assert result["pending_at_period_end"] == 3
    assert figures(area, date(2026, 4, 1), date(2026, 4, 30))["pending_at_period_end"] == 2


def test_awaiting_review_at_period_end(make, records):
    area = make.area("BOL")
    met = records.application(area, date(2026, 2, 1))
    records.decision(met, date(2026, 2, 10))
    records.meeting(met, date(2026, 4, 7))
    reviewed = records.application(area, date(2026, 2, 1))
    records.decision(reviewed, date(2026, 2, 10))
    records.meeting(reviewed, date(2026, 3, 31))
    result = figures(area)
    assert result["awaiting_review_at_period_end"] == 1
    assert result["pending_at_period_end"] == 0


def test_median_working_days_across_bank_holidays(make, records):
    area = make.area("BOL")
    # Thu 17 Dec 2026 to Mon 4 Jan 2027: Christmas Day, Boxing Day (Mon 28 Dec substitute) and
    # New Year's Day are not working days: 18, 21, 22, 23, 24, 29, 30, 31 Dec and 4 Jan = 9.
    christmas = records.application(area, date(2026, 12, 17))
    records.decision(christmas, date(2027, 1, 4))
    # Wed 1 Apr 2026 to Fri 10 Apr 2026 (Good Friday 3 Apr, Easter Monday 6 Apr): 5 working days.
    easter = records.application(area, date(2026, 4, 1))
    records.decision(easter, date(2026, 4, 10))
    records.decision(easter, date(2026, 6, 1))  # a later decision is not the time taken to decide
    ordinary = records.application(area, date(2026, 6, 1))  # Mon 1 June to Fri 19 June: 14
    records.decision(ordinary, date(2026, 6, 19))
    records.meeting(ordinary, date(2026, 7, 3))  # Mon 1 June to Fri 3 July: 24
    result = figures(area, NEXT_START, NEXT_END)
    assert result["median_working_days_to_decision"] == 9
    assert result["median_working_days_to_outcome"] == 24
    two = compute_area_figures(area.id, date(2026, 4, 1), date(2026, 6, 30))
    assert two["median_working_days_to_decision"] == 9.5  # 5 and 14
    assert figures(area)["median_working_days_to_decision"] is None


def test_the_four_figures_need_not_add_up(make, records):
    area = make.area("BOL")
    # Received on 30 March, decided "not met" in April; a review held anyway after an earlier "met".
    late = records.application(area, date(2026, 3, 30))
    records.decision(late, date(2026, 4, 2), met=False)
    earlier = records.application(area, date(2025, 2, 1))
    records.decision(earlier, date(2025, 3, 1))
    records.meeting(earlier, date(2025, 4, 15), recommendations=1)
    result = figures(area)
    assert result["applications"] == 1
    assert result["threshold_not_met"] == 0
    assert result["reviews_carried_out"] == 1
    assert result["threshold_not_met"] + result["reviews_carried_out"] != result["applications"] + 1


def test_areas_are_counted_apart_and_together(make, records):
    bolsover, ned, empty = make.area("BOL"), make.area("NED"), make.area("CHE")
    records.application(bolsover, date(2025, 5, 1))
    records.application(ned, date(2025, 5, 1))
    records.application(ned, date(2025, 6, 1))
    result = compute_figures([bolsover.id, ned.id, empty.id], START, END)
    assert [result[a.id]["applications"] for a in (bolsover, ned, empty)] == [1, 2, 0]


def test_a_fixed_number_of_queries_whatever_the_number_of_applications_and_areas(make, records, count_queries):
    areas = [make.area(f"Q{n}") for n in range(3)]

    def add(count):
        for area in areas:
            for n in range(count):
                application = records.application(area, date(2025, 5, 1 + n))
                records.decision(application, date(2025, 6, 1), met=n % 2 == 0)
                records.meeting(application, date(2025, 7, 1), recommendations=1)
                records.appeal(application, date(2025, 7, 10), "upheld", date(2025, 7, 20))
                _pcc_review(application, date(2025, 8, 1), "decision_stands", date(2025, 8, 20))

    def queries(counter):
        return [s for s in counter.statements if s.strip().upper() != "BEGIN"]  # SQLite's own BEGIN

    area_ids = [a.id for a in areas]
    add(1)
    with count_queries() as small:
        compute_figures(area_ids[:1], START, END)
    add(5)
    with count_queries() as large:
        compute_figures(area_ids, START, END)
    assert len(queries(small)) == len(queries(large)) == 7


def _pcc_review(application, requested_on, outcome=None, decided_on=None):
    from casework.community_triggers.pcc_review.models import PccReview, PccReviewOutcome
    from casework.extensions import db

    review = PccReview(
        application_id=application.id,
        requested_on=requested_on,
        grounds="Not all my reports were counted.",
        outcome=PccReviewOutcome(outcome) if outcome else None,
        decided_on=decided_on,
    )
    db.session.add(review)
    db.session.flush()
    return review


def test_pcc_reviews_count_by_the_day_asked_for_and_the_day_decided(make, records):
    area = make.area("BOL")
    first = records.application(area, date(2026, 2, 2))
    records.decision(first, date(2026, 2, 20), met=False)
    _pcc_review(first, date(2026, 3, 31), "reconsider", date(2026, 4, 1))  # asked in 2025/26, decided in 2026/27
    second = records.application(area, date(2025, 5, 1))
    records.decision(second, date(2025, 5, 20), met=False)
    _pcc_review(second, date(2025, 6, 1), "decision_stands", date(2026, 3, 31))
    _pcc_review(records.application(area, date(2025, 4, 1)), date(2025, 4, 1))  # not yet decided
    result = figures(area)
    assert (
        result["pcc_reviews_requested"],
        result["pcc_reviews_decision_stands"],
        result["pcc_reviews_reconsider"],
    ) == (3, 1, 0)
    following = figures(area, NEXT_START, NEXT_END)
    assert (following["pcc_reviews_requested"], following["pcc_reviews_reconsider"]) == (0, 1)
    # Not one of the four published s.104(9) figures: the "not met" decisions are counted once each.
    assert result["threshold_not_met"] == 2
