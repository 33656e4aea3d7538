"""The Community Trigger threshold engine: every rule at its boundary."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date, timedelta

import pytest

from casework.community_triggers.threshold import (
    ComplaintInput,
    ComplaintResult,
    Evaluation,
    ThresholdRules,
    check_rules,
    evaluate,
    normalise_complainant_name,
)

RULES = ThresholdRules()
APPLICANT = "Jane Smith"


def complaint(occurred_on: date, reported_on: date, name: str | None = None, **extra: object) -> ComplaintInput:
    return ComplaintInput(occurred_on=occurred_on, reported_on=reported_on, complainant_name=name, **extra)


def one(received_on: date, item: ComplaintInput, rules: ThresholdRules = RULES) -> ComplaintResult:
    evaluation = evaluate(rules, received_on, APPLICANT, [item])
    assert len(evaluation.complaints) == 1
    return evaluation.complaints[0]


def three_on_different_days(**extra: object) -> list[ComplaintInput]:
    return [
        complaint(date(2026, 1, day), date(2026, 1, day + 1), **extra)  # type: ignore[arg-type]
        for day in (5, 12, 19)
    ]


# --- (a) reported within one month beginning with the day of the behaviour -----------------------------


@pytest.mark.parametrize(
    ("occurred_on", "last_day"),
    [
        (date(2026, 1, 10), date(2026, 2, 9)),
        (date(2026, 1, 15), date(2026, 2, 14)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 1, 30), date(2026, 2, 28)),
        (date(2024, 1, 31), date(2024, 2, 29)),
        (date(2024, 1, 29), date(2024, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2024, 2, 29), date(2024, 3, 28)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 12, 31), date(2027, 1, 30)),
    ],
)
def test_complaint_period_last_day_counts_and_the_next_does_not(occurred_on: date, last_day: date) -> None:
    day_after = last_day + timedelta(days=1)
    received_on = day_after + timedelta(days=30)  # well inside the six-month look-back for both
    inside = one(received_on, complaint(occurred_on, last_day))
    assert inside.qualifies is True
    assert inside.reason.startswith("Counts:")

    outside = one(received_on, complaint(occurred_on, day_after))
    assert outside.qualifies is False
    assert outside.reason.startswith("Not counted:")
    assert "after the one month beginning with" in outside.reason
    assert f"(which ended on {last_day.day} " in outside.reason


def test_complaint_period_reason_in_full() -> None:
    result = one(date(2026, 3, 2), complaint(date(2026, 1, 10), date(2026, 2, 20)))
    assert result.reason == (
        "Not counted: reported on 20 February 2026, after the one month beginning with 10 January 2026 "
        "(which ended on 9 February 2026)."
    )


def test_reported_on_the_day_of_the_behaviour_counts() -> None:
    assert one(date(2026, 3, 2), complaint(date(2026, 1, 10), date(2026, 1, 10))).qualifies is True


def test_a_longer_complaint_period_is_a_setting() -> None:
    rules = ThresholdRules(complaint_months=2)
    assert one(date(2026, 4, 1), complaint(date(2026, 1, 10), date(2026, 3, 9)), rules).qualifies is True
    late = one(date(2026, 4, 1), complaint(date(2026, 1, 10), date(2026, 3, 10)), rules)
    assert late.qualifies is False
    assert "after the two months beginning with 10 January 2026 (which ended on 9 March 2026)" in late.reason


# --- (b) application received within six months beginning with the day the complaint was made ----------


@pytest.mark.parametrize(
    ("reported_on", "last_day"),
    [
        (date(2026, 1, 12), date(2026, 7, 11)),
        (date(2025, 8, 31), date(2026, 2, 28)),
        (date(2027, 8, 31), date(2028, 2, 29)),
        (date(2023, 8, 30), date(2024, 2, 29)),
        (date(2023, 8, 29), date(2024, 2, 28)),
        (date(2026, 7, 1), date(2026, 12, 31)),
        (date(2026, 9, 30), date(2027, 3, 29)),
    ],
)
def test_lookback_last_day_counts_and_the_next_does_not(reported_on: date, last_day: date) -> None:
    item = complaint(reported_on, reported_on)
    assert one(last_day, item).qualifies is True
    outside = one(last_day + timedelta(days=1), item)
    assert outside.qualifies is False
    assert "after the six months beginning with the day the complaint was made" in outside.reason
    assert f"(which ended on {last_day.day} " in outside.reason


def test_lookback_reason_in_full() -> None:
    result = one(date(2026, 7, 12), complaint(date(2026, 1, 10), date(2026, 1, 12)))
    assert result.reason == (
        "Not counted: the application was received on 12 July 2026, after the six months beginning with "
        "the day the complaint was made, 12 January 2026 (which ended on 11 July 2026)."
    )


def test_a_shorter_lookback_is_a_setting() -> None:
    rules = ThresholdRules(lookback_months=3)
    assert one(date(2026, 4, 11), complaint(date(2026, 1, 12), date(2026, 1, 12)), rules).qualifies
    late = one(date(2026, 4, 12), complaint(date(2026, 1, 12), date(2026, 1, 12)), rules)
    assert "after the three months beginning with" in late.reason


def test_reported_on_the_day_the_application_was_received_counts() -> None:
    assert one(date(2026, 3, 2), complaint(date(2026, 3, 1), date(2026, 3, 2))).qualifies is True


def test_reported_after_the_application_was_received_does_not_count() -> None:
    result = one(date(2026, 3, 2), complaint(date(2026, 3, 1), date(2026, 3, 3), source="case"))
    assert result.qualifies is False
    assert result.reason == (
        "Not counted: reported on 3 March 2026, after the application was received on 2 March 2026."
    )


def test_reported_before_the_behaviour_does_not_count() -> None:
    result = one(date(2026, 3, 2), complaint(date(2026, 2, 10), date(2026, 2, 9)))
    assert result.qualifies is False
    assert result.reason == (
        "Not counted: reported on 9 February 2026, before the behaviour it describes (10 February 2026)."
    )


# --- (c) harassment, alarm or distress --------------------------------------------------------------------


def test_behaviour_not_causing_had_does_not_count() -> None:
    result = one(date(2026, 3, 2), complaint(date(2026, 1, 10), date(2026, 1, 12), causes_had=False))
    assert result.qualifies is False
    assert result.reason == ("Not counted: the behaviour complained of did not cause harassment, alarm or distress.")


def test_every_failure_is_given() -> None:
    result = one(date(2026, 9, 1), complaint(date(2026, 1, 10), date(2026, 2, 20), causes_had=False))
    assert result.reason.startswith("Not counted: reported on 20 February 2026, after the one month")
    assert "; the application was received on 1 September 2026, after the six months" in result.reason
    assert result.reason.endswith("; the behaviour complained of did not cause harassment, alarm or distress.")


def test_counts_reason_in_full() -> None:
    result = one(date(2026, 3, 2), complaint(date(2026, 1, 10), date(2026, 1, 12)))
    assert result.qualifies is True
    assert result.reason == (
        "Counts: reported on 12 January 2026, within one month of the behaviour on 10 January 2026 and "
        "within six months before the application was received on 2 March 2026."
    )


# --- the same complainant about the same day counts once ---------------------------------------------------


def test_same_person_same_day_several_agencies_counts_once() -> None:
    day = date(2026, 1, 10)
    evaluation = evaluate(
        RULES,
        date(2026, 3, 2),
        APPLICANT,
        [
            complaint(day, date(2026, 1, 11), "Bob Jones", agency_code="BDC", reference="LOG-1"),
            complaint(day, date(2026, 1, 12), "  bob   JONES ", agency_code="POL", reference="CAD-77"),
            complaint(day, date(2026, 1, 13), "BOB\tjones", agency_code="HSG"),
        ],
    )
    assert evaluation.qualifying_count == 1
    assert [result.qualifies for result in evaluation.complaints] == [True, False, False]
    counted, second, third = evaluation.complaints
    assert counted.reason.startswith("Counts:")
    assert second.reason == (
        "Already counted: the same complainant's complaint about behaviour on 10 January 2026 is counted "
        "once, as the complaint to BDC (reference LOG-1) reported on 11 January 2026."
    )
    assert third.reason.startswith("Already counted:")
    assert "to BDC (reference LOG-1) reported on 11 January 2026" in third.reason
    assert second.duplicate_of == 0
    assert third.duplicate_of == 0
    assert counted.duplicate_of is None
    assert evaluation.met_automatically is False


def test_a_missing_or_blank_name_means_the_applicant() -> None:
    day = date(2026, 1, 10)
    evaluation = evaluate(
        RULES,
        date(2026, 3, 2),
        "  Jane  Smith",
        [
            complaint(day, date(2026, 1, 11), None, agency_code="BDC"),
            complaint(day, date(2026, 1, 12), "", agency_code="POL"),
            complaint(day, date(2026, 1, 13), "   ", agency_code="HSG"),
            complaint(day, date(2026, 1, 14), "jane smith", agency_code="RSL"),
        ],
    )
    assert evaluation.qualifying_count == 1
    assert evaluation.distinct_complainants == 1
    assert [result.reason.split(":")[0] for result in evaluation.complaints] == [
        "Counts",
        "Already counted",
        "Already counted",
        "Already counted",
    ]


def test_no_applicant_name_and_no_complainant_names_are_one_complainant() -> None:
    day = date(2026, 1, 10)
    items = [complaint(day, date(2026, 1, 11)), complaint(day, date(2026, 1, 12), " ")]
    evaluation = evaluate(RULES, date(2026, 3, 2), None, items)
    assert evaluation.qualifying_count == 1


def test_different_complainants_on_the_same_day_both_count() -> None:
    day = date(2026, 1, 10)
    items = [complaint(day, date(2026, 1, 11), "Bob Jones"), complaint(day, date(2026, 1, 11), None)]
    evaluation = evaluate(RULES, date(2026, 3, 2), APPLICANT, items)
    assert evaluation.qualifying_count == 2
    assert evaluation.distinct_complainants == 2


def test_same_person_on_different_days_both_count() -> None:
    items = [
        complaint(date(2026, 1, 10), date(2026, 1, 11), "Bob Jones", agency_code="BDC"),
        complaint(date(2026, 1, 11), date(2026, 1, 11), "Bob Jones", agency_code="BDC"),
    ]
    evaluation = evaluate(RULES, date(2026, 3, 2), APPLICANT, items)
    assert evaluation.qualifying_count == 2
    assert evaluation.distinct_complainants == 1


def test_the_first_qualifying_complaint_counts_and_failures_keep_their_reason() -> None:
    day = date(2026, 1, 10)
    items = [
        complaint(day, date(2026, 1, 11), agency_code="BDC", causes_had=False),  # first, but fails
        complaint(day, date(2026, 1, 12), agency_code="POL", reference="CAD-1"),  # counts
        complaint(day, date(2026, 3, 1), agency_code="HSG"),  # a duplicate, but late anyway
        complaint(day, date(2026, 1, 20), agency_code="RSL", source="case", case_reference="BOL-2026-0001"),
    ]
    evaluation = evaluate(RULES, date(2026, 3, 2), APPLICANT, items)
    by_agency = {result.agency_code: result for result in evaluation.complaints}
    assert evaluation.qualifying_count == 1
    assert by_agency["BDC"].qualifies is False
    assert "harassment, alarm or distress" in by_agency["BDC"].reason
    assert by_agency["POL"].qualifies is True
    assert by_agency["HSG"].reason.startswith("Not counted: reported on 1 March 2026, after the one month")
    assert by_agency["RSL"].reason == (
        "Already counted: the same complainant's complaint about behaviour on 10 January 2026 is counted "
        "once, as the complaint to POL (reference CAD-1) reported on 12 January 2026."
    )
    assert by_agency["RSL"].duplicate_of == evaluation.complaints.index(by_agency["POL"])


def test_a_duplicate_names_the_case_it_was_counted_on() -> None:
    day = date(2026, 1, 10)
    items = [
        complaint(day, date(2026, 1, 11), "Bob", source="case", case_reference="BOL-2026-0001", incident_id=4),
        complaint(day, date(2026, 1, 12), "bob", agency_code="BDC"),
    ]
    evaluation = evaluate(RULES, date(2026, 3, 2), APPLICANT, items)
    assert "as the complaint on case BOL-2026-0001 reported on 11 January 2026." in (evaluation.complaints[1].reason)


def test_name_normalisation() -> None:
    assert normalise_complainant_name("  Jane \t\n SMITH ") == "jane smith"
    assert normalise_complainant_name(None) == ""
    assert normalise_complainant_name("   ") == ""


# --- order and shape ---------------------------------------------------------------------------------------


def test_complaints_are_listed_by_day_then_report_then_input_order() -> None:
    items = [
        complaint(date(2026, 1, 20), date(2026, 1, 21), "A"),  # 0
        complaint(date(2026, 1, 10), date(2026, 1, 15), "B"),  # 1
        complaint(date(2026, 1, 10), date(2026, 1, 11), "C"),  # 2
        complaint(date(2026, 1, 10), date(2026, 1, 11), "D"),  # 3
    ]
    evaluation = evaluate(RULES, date(2026, 3, 2), APPLICANT, items)
    assert [result.complainant_name for result in evaluation.complaints] == ["C", "D", "B", "A"]
    assert [result.input_index for result in evaluation.complaints] == [2, 3, 1, 0]


def test_a_result_carries_every_input_field() -> None:
    item = complaint(
        date(2026, 1, 10),
        date(2026, 1, 12),
        "Bob",
        causes_had=True,
        hate_motivated=True,
        agency_code="BDC",
        reference="LOG-1",
        source="case",
        case_reference="BOL-2026-0001",
        incident_id=9,
    )
    result = one(date(2026, 3, 2), item)
    for field in fields(ComplaintInput):
        assert getattr(result, field.name) == getattr(item, field.name), field.name


def test_to_dict_matches_the_api_threshold_object() -> None:
    item = complaint(date(2026, 1, 10), date(2026, 1, 12), "Bob", agency_code="BDC", reference="LOG-123")
    data = evaluate(RULES, date(2026, 3, 2), APPLICANT, [item]).to_dict()
    assert data == {
        "met_automatically": False,
        "basis": None,
        "qualifying_count": 1,
        "complaints": [
            {
                "occurred_on": "2026-01-10",
                "reported_on": "2026-01-12",
                "complainant_name": "Bob",
                "agency_code": "BDC",
                "reference": "LOG-123",
                "source": "application",
                "case_reference": None,
                "causes_had": True,
                "hate_motivated": False,
                "qualifies": True,
                "reason": (
                    "Counts: reported on 12 January 2026, within one month of the behaviour on 10 January "
                    "2026 and within six months before the application was received on 2 March 2026."
                ),
            }
        ],
    }
    assert json.loads(json.dumps(data)) == data


def test_no_complaints() -> None:
    evaluation = evaluate(RULES, date(2026, 3, 2), APPLICANT, [])
    assert evaluation == Evaluation(
        met_automatically=False,
        basis=None,
        bases_met=(),
        qualifying_count=0,
        distinct_complainants=0,
        hate_qualifying=0,
        complaints=[],
    )


# --- the automatic threshold and the variants -----------------------------------------------------------


def test_three_qualifying_complaints_meet_the_automatic_threshold() -> None:
    evaluation = evaluate(RULES, date(2026, 3, 2), APPLICANT, three_on_different_days())
    assert evaluation.qualifying_count == 3
    assert evaluation.met_automatically is True
    assert evaluation.basis == "automatic"
    assert evaluation.bases_met == ("automatic",)


def test_two_qualifying_complaints_do_not() -> None:
    evaluation = evaluate(RULES, date(2026, 3, 2), APPLICANT, three_on_different_days()[:2])
    assert evaluation.qualifying_count == 2
    assert evaluation.met_automatically is False
    assert evaluation.basis is None


def test_three_complaints_of_which_one_is_a_duplicate_do_not() -> None:
    items = [*three_on_different_days()[:2], complaint(date(2026, 1, 5), date(2026, 1, 7), agency_code="POL")]
    evaluation = evaluate(RULES, date(2026, 3, 2), APPLICANT, items)
    assert evaluation.qualifying_count == 2
    assert evaluation.met_automatically is False


def test_three_complaints_of_which_one_is_not_had_do_not() -> None:
    items = [
        *three_on_different_days()[:2],
        complaint(date(2026, 1, 19), date(2026, 1, 20), causes_had=False),
    ]
    evaluation = evaluate(RULES, date(2026, 3, 2), APPLICANT, items)
    assert evaluation.qualifying_count == 2
    assert evaluation.met_automatically is False


def test_the_automatic_number_is_a_setting() -> None:
    items = three_on_different_days()[:2]
    assert evaluate(ThresholdRules(automatic_count=2), date(2026, 3, 2), APPLICANT, items).basis == "automatic"
    assert (
        evaluate(ThresholdRules(automatic_count=4), date(2026, 3, 2), APPLICANT, three_on_different_days()).basis
        is None
    )


def _five_neighbours(day: date = date(2026, 1, 10)) -> list[ComplaintInput]:
    return [complaint(day, date(2026, 1, 11), f"Neighbour {number}") for number in range(1, 6)]


def test_community_threshold_when_enabled() -> None:
    rules = ThresholdRules(automatic_count=6, community_enabled=True, community_count=5)
    evaluation = evaluate(rules, date(2026, 3, 2), APPLICANT, _five_neighbours())
    assert evaluation.distinct_complainants == 5
    assert evaluation.met_automatically is True
    assert evaluation.basis == "community"
    assert evaluation.bases_met == ("community",)


def test_community_threshold_four_complainants_are_not_enough() -> None:
    rules = ThresholdRules(automatic_count=6, community_enabled=True, community_count=5)
    evaluation = evaluate(rules, date(2026, 3, 2), APPLICANT, _five_neighbours()[:4])
    assert evaluation.distinct_complainants == 4
    assert evaluation.met_automatically is False


def test_community_threshold_counts_complainants_not_complaints() -> None:
    rules = ThresholdRules(automatic_count=10, community_enabled=True, community_count=2)
    items = [complaint(date(2026, 1, day), date(2026, 1, day), "Bob") for day in range(1, 6)]
    evaluation = evaluate(rules, date(2026, 3, 2), APPLICANT, items)
    assert evaluation.qualifying_count == 5
    assert evaluation.distinct_complainants == 1
    assert evaluation.met_automatically is False


def test_community_threshold_when_disabled() -> None:
    rules = ThresholdRules(automatic_count=6, community_enabled=False, community_count=5)
    evaluation = evaluate(rules, date(2026, 3, 2), APPLICANT, _five_neighbours())
    assert evaluation.distinct_complainants == 5
    assert evaluation.met_automatically is False
    assert evaluation.basis is None


def test_hate_threshold_when_enabled() -> None:
    rules = ThresholdRules(hate_enabled=True)
    item = complaint(date(2026, 1, 10), date(2026, 1, 11), hate_motivated=True)
    evaluation = evaluate(rules, date(2026, 3, 2), APPLICANT, [item])
    assert evaluation.hate_qualifying == 1
    assert evaluation.met_automatically is True
    assert evaluation.basis == "hate"


def test_hate_threshold_when_disabled() -> None:
    item = complaint(date(2026, 1, 10), date(2026, 1, 11), hate_motivated=True)
    evaluation = evaluate(RULES, date(2026, 3, 2), APPLICANT, [item])
    assert evaluation.hate_qualifying == 1
    assert evaluation.met_automatically is False
    assert evaluation.basis is None


def test_hate_threshold_needs_a_qualifying_complaint() -> None:
    rules = ThresholdRules(hate_enabled=True)
    late = complaint(date(2026, 1, 10), date(2026, 2, 10), hate_motivated=True)
    not_hate = complaint(date(2026, 1, 12), date(2026, 1, 12))
    evaluation = evaluate(rules, date(2026, 3, 2), APPLICANT, [late, not_hate])
    assert evaluation.hate_qualifying == 0
    assert evaluation.met_automatically is False


def test_hate_flag_on_a_duplicate_counts_for_the_counted_complaint() -> None:
    rules = ThresholdRules(hate_enabled=True)
    day = date(2026, 1, 10)
    items = [
        complaint(day, date(2026, 1, 11), agency_code="BDC"),
        complaint(day, date(2026, 1, 12), agency_code="POL", hate_motivated=True),
    ]
    evaluation = evaluate(rules, date(2026, 3, 2), APPLICANT, items)
    assert evaluation.qualifying_count == 1
    assert evaluation.hate_qualifying == 1
    assert evaluation.basis == "hate"


def test_basis_is_the_first_met_in_order() -> None:
    rules = ThresholdRules(community_enabled=True, community_count=3, hate_enabled=True)
    items = [
        complaint(date(2026, 1, 10), date(2026, 1, 11), f"Neighbour {number}", hate_motivated=True)
        for number in range(1, 4)
    ]
    evaluation = evaluate(rules, date(2026, 3, 2), APPLICANT, items)
    assert evaluation.bases_met == ("automatic", "community", "hate")
    assert evaluation.basis == "automatic"

    rules = ThresholdRules(automatic_count=4, community_enabled=True, community_count=3, hate_enabled=True)
    evaluation = evaluate(rules, date(2026, 3, 2), APPLICANT, items)
    assert evaluation.bases_met == ("community", "hate")
    assert evaluation.basis == "community"


# --- checking a rule set --------------------------------------------------------------------------------


def test_default_rules_have_no_warnings() -> None:
    assert check_rules(ThresholdRules()) == []


def test_automatic_count_above_three_warns() -> None:
    assert check_rules(ThresholdRules(automatic_count=4)) == [
        "The automatic threshold is 4 qualifying complaints: the Explanatory Notes to s.104 say it should be "
        "set no higher than three."
    ]
    assert check_rules(ThresholdRules(automatic_count=3)) == []
    assert check_rules(ThresholdRules(automatic_count=1)) == []


def test_short_lookback_warns() -> None:
    (warning,) = check_rules(ThresholdRules(lookback_months=5))
    assert warning.startswith("The look-back period is five months, shorter than the Act's six months")
    assert check_rules(ThresholdRules(lookback_months=6)) == []


def test_a_community_threshold_that_can_never_decide_warns() -> None:
    (warning,) = check_rules(ThresholdRules(community_enabled=True, community_count=5))
    assert "The community threshold (5 different complainants) can never decide an application" in warning
    # The boundary: equal to the automatic number can never decide; one below can.
    assert len(check_rules(ThresholdRules(community_enabled=True, community_count=3))) == 1
    assert check_rules(ThresholdRules(community_enabled=True, community_count=2)) == []
    assert check_rules(ThresholdRules(community_enabled=False, community_count=5)) == []


def test_a_hate_threshold_that_can_never_decide_warns() -> None:
    (warning,) = check_rules(ThresholdRules(hate_enabled=True, automatic_count=1))
    assert "The hate threshold" in warning
    assert check_rules(ThresholdRules(hate_enabled=True, automatic_count=2)) == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [("complaint_months", 0), ("lookback_months", 0), ("automatic_count", 0), ("community_count", -1)],
)
def test_impossible_rules_are_refused(setting: str, value: int) -> None:
    rules = ThresholdRules(**{setting: value})
    with pytest.raises(ValueError, match=f"{setting} must be at least 1"):
        check_rules(rules)
    with pytest.raises(ValueError, match=setting):
        evaluate(rules, date(2026, 3, 2), APPLICANT, [])
