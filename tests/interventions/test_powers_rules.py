"""The pure rules of closure notices (Christmas Day, extension notices), the youth offending team
consultation by the day of application, and the Crime and Policing Act 2026 powers, each at its
boundary. The dated switch-over by area is tested through the API in test_powers_api.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from casework.core.dates import LONDON
from casework.core.errors import RuleViolation
from casework.interventions import powers, rules
from casework.interventions.dates import closure_notice_ends_at, key_dates


def settings(**overrides):
    """The interventions' settings at their defaults (pure: no app needed)."""
    from casework.interventions.limits import SPECS

    return {**{spec.key: spec.default for spec in SPECS}, **overrides}


IN_FORCE = {"cpa2026_respect_orders": True}
POLICE = powers.Issuer.of_agency("police", name="Derbyshire Police")
COUNCIL = powers.Issuer.of_agency("council", name="Bolsover District Council")
HOUSING = powers.Issuer.of_agency("housing", name="Rykneld Homes")
WARDENS = powers.Issuer.of_agency("other", is_csas_accredited=True, name="Town Centre Wardens")


def facts(settings_=None, born: date | None = date(1990, 5, 10), *, issuer=None, application=None, kind="individual"):
    return rules.Facts(
        settings=settings_ or settings(),
        subject=rules.Subject(kind, born),
        issuer=issuer,
        application_settings=application,
    )


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


# --- closure notices: Christmas Day only in the 48-hour periods ----------------------------------------


def ends(**values) -> datetime:
    return closure_notice_ends_at(values, settings())


def test_a_24_hour_notice_runs_through_christmas_day():
    # Served 10:00 on Christmas Eve: in force until 10:00 on Christmas Day, not Boxing Day.
    assert ends(issued_at=london(2026, 12, 24, 10, 0)) == datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
    assert ends(issued_at=london(2026, 12, 24, 23, 30), duration_hours=24) == datetime(2026, 12, 25, 23, 30, tzinfo=UTC)
    assert ends(issued_at=london(2026, 12, 25, 9, 0), duration_hours=12) == datetime(2026, 12, 25, 21, 0, tzinfo=UTC)


def test_a_48_hour_notice_leaves_christmas_day_out():
    served = london(2026, 12, 24, 10, 0)
    assert ends(issued_at=served, duration_hours=48, has_senior_sign_off=True) == datetime(
        2026, 12, 27, 10, 0, tzinfo=UTC
    )
    # Ending exactly as Christmas Day begins: not pushed on.
    assert ends(issued_at=london(2026, 12, 23, 0, 0), duration_hours=48, has_senior_sign_off=True) == datetime(
        2026, 12, 25, 0, 0, tzinfo=UTC
    )


def test_the_hearing_is_still_48_hours_leaving_out_christmas_day_for_a_24_hour_notice():
    dates = {
        d.key: d.due
        for d in key_dates(
            "closure_notice", {"issued_on": date(2026, 12, 24), "issued_at": london(2026, 12, 24, 10, 0)}, settings()
        )
    }
    assert dates["notice_ends_at"] == datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
    assert dates["hearing_by"] == datetime(2026, 12, 27, 10, 0, tzinfo=UTC)


def test_an_extension_adds_real_hours_to_the_end():
    served = london(2026, 12, 24, 10, 0)
    assert ends(issued_at=served, extension_hours=24) == datetime(2026, 12, 26, 10, 0, tzinfo=UTC)
    assert ends(issued_at=served, extension_hours=6) == datetime(2026, 12, 25, 16, 0, tzinfo=UTC)


# --- extension notices (s.77(4)-(5)) ----------------------------------------------------------------------

SERVED = london(2026, 11, 20, 9, 0)
NOTICE = {"issued_at": SERVED, "duration_hours": 24, "has_senior_sign_off": False}
NOTICE_ENDS = SERVED + timedelta(hours=24)


def extension(**changes):
    return {
        "extended_at": SERVED + timedelta(hours=20),
        "hours": 24,
        "has_senior_sign_off": True,
        "authorised_by": "Supt 401 Reid",
        **changes,
    }


def extend(notice=NOTICE, issuer=POLICE, **changes):
    return rules.check_closure_notice_extension(
        notice, extension(**changes), rules.Facts(settings=settings(), subject=None, issuer=issuer), NOTICE_ENDS
    )


def test_an_extension_up_to_24_hours_in_all():
    assert extend() == []
    assert extend(notice={**NOTICE, "extension_hours": 12}, hours=12) == []
    with pytest.raises(RuleViolation, match="up to 24 hours in all"):
        extend(hours=25)
    with pytest.raises(RuleViolation, match="already been extended by 12"):
        extend(notice={**NOTICE, "extension_hours": 12}, hours=13)


def test_an_extension_notice_only_while_the_notice_is_in_force():
    assert extend(extended_at=NOTICE_ENDS - timedelta(minutes=1)) == []
    with pytest.raises(RuleViolation, match="while the closure notice is in force"):
        extend(extended_at=NOTICE_ENDS)
    with pytest.raises(RuleViolation, match="while the closure notice is in force"):
        extend(extended_at=SERVED - timedelta(minutes=1))


def test_a_48_hour_notice_cannot_be_extended():
    with pytest.raises(RuleViolation, match="cannot be extended"):
        extend(notice={**NOTICE, "duration_hours": 48, "has_senior_sign_off": True})


@pytest.mark.parametrize(
    ("issuer", "level"),
    [(POLICE, "superintendent"), (COUNCIL, "chief executive"), (HOUSING, "senior management team")],
)
def test_an_extension_needs_the_senior_level_of_the_issuer(issuer, level):
    with pytest.raises(RuleViolation, match=level):
        extend(issuer=issuer, has_senior_sign_off=False)


def test_an_extension_without_the_name_of_who_signed_it_warns():
    assert any("signed off the extension" in w for w in extend(authorised_by=None))


def test_a_48_hour_housing_provider_notice_needs_senior_management():
    values = {"issued_on": date(2026, 11, 20), "issued_at": SERVED, "duration_hours": 48, "location": "Flat 2"}
    with pytest.raises(RuleViolation, match="senior management team"):
        rules.check("closure_notice", values, facts(issuer=HOUSING))


# --- youth offending team: the age on the day of application (s.14) ------------------------------------------

BORN_17_ON_APPLICATION = date(2009, 3, 2)  # 17 on 1 March 2027, 18 on 2 March 2027


def injunction(**values):
    return {"issued_on": date(2027, 3, 10), "ends_on": date(2027, 9, 1), **values}


def test_consultation_follows_the_age_on_the_day_of_application():
    # 17 when applied for, 18 when granted: the team must have been consulted, but no 12-month limit.
    values = injunction(applied_on=date(2027, 3, 1), ends_on=None, is_indefinite=True)
    with pytest.raises(RuleViolation, match="youth offending team"):
        rules.check("civil_injunction", values, facts(born=BORN_17_ON_APPLICATION))
    assert (
        rules.check(
            "civil_injunction", {**values, "yot_consulted_on": date(2027, 2, 20)}, facts(born=BORN_17_ON_APPLICATION)
        )
        == []
    )


def test_an_18th_birthday_on_the_day_of_application_needs_no_consultation():
    values = injunction(applied_on=date(2027, 3, 2), ends_on=None, is_indefinite=True)
    assert rules.check("civil_injunction", values, facts(born=BORN_17_ON_APPLICATION)) == []


def test_without_applied_on_the_age_on_the_day_of_issue_is_used():
    values = injunction(ends_on=None, is_indefinite=True)  # issued 10 March 2027: 18
    assert rules.check("civil_injunction", values, facts(born=BORN_17_ON_APPLICATION)) == []
    young = date(2009, 3, 11)  # 17 on 10 March 2027
    with pytest.raises(RuleViolation, match="youth offending team"):
        rules.check("civil_injunction", values, facts(born=young))


def test_the_consultation_comes_before_the_application():
    values = injunction(applied_on=date(2027, 3, 1), yot_consulted_on=date(2027, 3, 2))
    with pytest.raises(RuleViolation, match="before the application is made"):
        rules.check("civil_injunction", values, facts(born=date(2012, 1, 1)))
    assert (
        rules.check("civil_injunction", {**values, "yot_consulted_on": date(2027, 3, 1)}, facts(born=date(2012, 1, 1)))
        == []
    )


def test_the_12_month_limit_follows_the_age_at_grant():
    under_18 = date(2012, 1, 1)
    values = injunction(applied_on=date(2027, 3, 1), yot_consulted_on=date(2027, 2, 1), starts_on=date(2027, 3, 10))
    assert rules.check("civil_injunction", {**values, "ends_on": date(2028, 3, 9)}, facts(born=under_18)) == []
    with pytest.raises(RuleViolation, match="no more than 12 months"):
        rules.check("civil_injunction", {**values, "ends_on": date(2028, 3, 10)}, facts(born=under_18))


# --- the civil injunction gives way on the day of application ----------------------------------------------


def test_a_civil_injunction_applied_for_after_commencement_is_refused():
    with pytest.raises(RuleViolation, match="replaced"):
        rules.check("civil_injunction", injunction(is_indefinite=True, ends_on=None), facts(settings(**IN_FORCE)))


def test_a_civil_injunction_applied_for_before_commencement_keeps_its_power():
    # Granted after the commencement date, applied for before it: the settings of the application day apply.
    values = injunction(applied_on=date(2027, 2, 1), is_indefinite=True, ends_on=None)
    assert rules.check("civil_injunction", values, facts(settings(**IN_FORCE), application=settings())) == []


# --- Respect Orders ----------------------------------------------------------------------------------------

BORN_18_ON_2_MARCH_2027 = date(2009, 3, 2)


def respect_order(**values):
    return {
        "issued_on": date(2027, 3, 10),
        "applied_on": date(2027, 3, 2),
        "conduct": "harassment_alarm_distress",
        "ends_on": date(2029, 3, 9),
        "prohibitions": "Not to enter Station Road.",
        **values,
    }


def test_respect_orders_are_not_available_before_the_area_commencement():
    with pytest.raises(RuleViolation, match="not in force"):
        rules.check("respect_order", respect_order(), facts())
    assert rules.check("respect_order", respect_order(), facts(settings(**IN_FORCE))) == []


def test_respect_orders_follow_the_settings_on_the_day_of_application():
    with pytest.raises(RuleViolation, match="not in force"):
        rules.check("respect_order", respect_order(), facts(settings(**IN_FORCE), application=settings()))


def test_respect_orders_are_for_adults_on_the_day_of_application():
    assert (
        rules.check("respect_order", respect_order(), facts(settings(**IN_FORCE), born=BORN_18_ON_2_MARCH_2027)) == []
    )
    with pytest.raises(RuleViolation, match=r"under 18.*Youth Injunction"):
        rules.check(
            "respect_order",
            respect_order(applied_on=date(2027, 3, 1)),
            facts(settings(**IN_FORCE), born=BORN_18_ON_2_MARCH_2027),
        )


def test_respect_orders_are_only_for_harassment_alarm_or_distress():
    with pytest.raises(RuleViolation, match="Housing Injunction"):
        rules.check("respect_order", respect_order(conduct="housing_nuisance"), facts(settings(**IN_FORCE)))
    with pytest.raises(RuleViolation, match="confirm the conduct"):
        rules.check("respect_order", respect_order(conduct=None), facts(settings(**IN_FORCE)))


def test_respect_orders_state_their_duration():
    with pytest.raises(RuleViolation, match="until further order"):
        rules.check("respect_order", respect_order(ends_on=None), facts(settings(**IN_FORCE)))
    assert (
        rules.check("respect_order", respect_order(ends_on=None, is_indefinite=True), facts(settings(**IN_FORCE))) == []
    )


def test_respect_order_terms_warn():
    warnings = rules.check("respect_order", respect_order(prohibitions=None), facts(settings(**IN_FORCE)))
    assert any("prohibitions or requirements" in w for w in warnings)
    warnings = rules.check("respect_order", respect_order(requirements="Attend a course."), facts(settings(**IN_FORCE)))
    assert any("supervising compliance" in w for w in warnings)
    assert (
        rules.check(
            "respect_order",
            respect_order(requirements="Attend a course.", supervisor_name="Probation"),
            facts(settings(**IN_FORCE)),
        )
        == []
    )


def test_respect_order_reviews_follow_the_setting():
    values = {"issued_on": date(2027, 1, 15), "ends_on": date(2029, 1, 14)}
    dates = {d.key: d.due for d in key_dates("respect_order", values, settings())}
    assert dates == {"ends_on": date(2029, 1, 14), "review_1": date(2028, 1, 14)}
    dates = {d.key: d.due for d in key_dates("respect_order", values, settings(respect_order_review_months=6))}
    assert [dates[f"review_{n}"] for n in (1, 2, 3)] == [date(2027, 7, 14), date(2028, 1, 14), date(2028, 7, 14)]
    indefinite = {d.key: d.due for d in key_dates("respect_order", {"issued_on": date(2027, 1, 15)}, settings())}
    assert indefinite == {"review_1": date(2028, 1, 14)}


# --- Youth and Housing Injunctions ---------------------------------------------------------------------------


def youth(**values):
    return {
        "issued_on": date(2027, 3, 10),
        "applied_on": date(2027, 3, 1),
        "yot_consulted_on": date(2027, 2, 20),
        "starts_on": date(2027, 3, 10),
        "ends_on": date(2028, 3, 9),
        "prohibitions": "Not to enter the precinct.",
        **values,
    }


def test_youth_injunctions_are_for_under_18s_on_the_day_of_application():
    assert rules.check("youth_injunction", youth(), facts(settings(**IN_FORCE), born=BORN_18_ON_2_MARCH_2027)) == []
    with pytest.raises(RuleViolation, match="under 18 on the day the application"):
        rules.check(
            "youth_injunction",
            youth(applied_on=date(2027, 3, 2)),
            facts(settings(**IN_FORCE), born=BORN_18_ON_2_MARCH_2027),
        )
    with pytest.raises(RuleViolation, match="under 10"):
        rules.check("youth_injunction", youth(), facts(settings(**IN_FORCE), born=date(2017, 3, 11)))


def test_youth_injunctions_need_the_youth_offending_team_and_a_fixed_term():
    young = facts(settings(**IN_FORCE), born=date(2012, 1, 1))
    with pytest.raises(RuleViolation, match="youth offending team"):
        rules.check("youth_injunction", youth(yot_consulted_on=None), young)
    with pytest.raises(RuleViolation, match="no more than 12 months"):
        rules.check("youth_injunction", youth(ends_on=date(2028, 3, 10)), young)
    with pytest.raises(RuleViolation, match="fixed term"):
        rules.check("youth_injunction", youth(ends_on=None, is_indefinite=True), young)
    with pytest.raises(RuleViolation, match="not in force"):
        rules.check("youth_injunction", youth(), facts(born=date(2012, 1, 1)))


def housing(**values):
    return {
        "issued_on": date(2027, 3, 10),
        "applied_on": date(2027, 3, 2),
        "conduct": "housing_nuisance",
        "is_indefinite": True,
        "prohibitions": "Not to play music audible outside the flat.",
        **values,
    }


def test_housing_injunctions_are_for_adults_and_housing_related_nuisance():
    assert (
        rules.check(
            "housing_injunction", housing(), facts(settings(**IN_FORCE), born=BORN_18_ON_2_MARCH_2027, issuer=HOUSING)
        )
        == []
    )
    with pytest.raises(RuleViolation, match="under 18"):
        rules.check(
            "housing_injunction",
            housing(applied_on=date(2027, 3, 1)),
            facts(settings(**IN_FORCE), born=BORN_18_ON_2_MARCH_2027),
        )
    warnings = rules.check(
        "housing_injunction", housing(conduct="harassment_alarm_distress"), facts(settings(**IN_FORCE), issuer=HOUSING)
    )
    assert any("Respect Order" in w for w in warnings)
    warnings = rules.check(
        "housing_injunction", housing(), facts(settings(**IN_FORCE), issuer=powers.Issuer.of_agency("fire"))
    )
    assert any("housing provider, a council or a police force" in w for w in warnings)


# --- who may issue: warnings, dated ------------------------------------------------------------------------


def fpn(issuer, **setting_values):
    values = {"issued_on": date(2027, 1, 5), "amount": 100, "subject_person_id": None}
    return rules.check(
        "fpn",
        values,
        rules.Facts(
            settings=settings(**setting_values),
            subject=None,
            related=rules.Related(1, "pspo", None, 1),
            issuer=issuer,
        ),
    )


def test_csas_fixed_penalties_warn_until_the_area_setting_is_in_force():
    assert any("Community Safety Accreditation Scheme" in w for w in fpn(WARDENS))
    assert fpn(WARDENS, cpa2026_csas_fpn=True) == []
    assert fpn(POLICE) == []
    assert fpn(COUNCIL) == []
    other = fpn(powers.Issuer.of_agency("housing", name="Rykneld Homes"), cpa2026_csas_fpn=True)
    assert any("Rykneld Homes is not a police force or a council" in w for w in other)


def closure_values(**values):
    return {"issued_on": date(2027, 1, 5), "issued_at": london(2027, 1, 5, 9, 0), "location": "Flat 2", **values}


def test_housing_provider_closure_notices_warn_until_in_force_then_need_their_own_premises():
    before = rules.check("closure_notice", closure_values(premises_owned_or_managed=True), facts(issuer=HOUSING))
    assert any("only once the Crime and Policing Act 2026 power is in force" in w for w in before)
    on = settings(cpa2026_housing_closure=True)
    assert (
        rules.check("closure_notice", closure_values(premises_owned_or_managed=True), facts(on, issuer=HOUSING)) == []
    )
    not_theirs = rules.check("closure_notice", closure_values(), facts(on, issuer=HOUSING))
    assert any("owns or manages" in w for w in not_theirs)
    assert rules.check("closure_notice", closure_values(), facts(issuer=POLICE)) == []
    assert any(
        "inspector rank" in w
        for w in rules.check("closure_notice", closure_values(), facts(issuer=powers.Issuer.of_agency("fire")))
    )


def test_dispersal_by_anyone_but_the_police_warns():
    values = {
        "issued_on": date(2027, 1, 5),
        "issued_at": london(2027, 1, 5, 21, 0),
        "duration_hours": 24,
        "location": "Market Place",
    }
    assert rules.check("dispersal", values, facts(issuer=POLICE)) == []
    assert any("constable in uniform" in w for w in rules.check("dispersal", values, facts(issuer=COUNCIL)))


# --- dispersal review at 48 hours ------------------------------------------------------------------------------


def dispersal_dates(hours, **setting_values):
    values = {"issued_on": date(2027, 1, 5), "issued_at": london(2027, 1, 5, 21, 0), "duration_hours": hours}
    return {d.key: d for d in key_dates("dispersal", values, settings(**setting_values))}


def test_dispersal_review_only_once_in_force_and_only_past_48_hours():
    assert "review_at" not in dispersal_dates(72, cpa2026_limits=True)
    on = {"cpa2026_limits": True, "cpa2026_dispersal_review": True}
    review = dispersal_dates(72, **on)["review_at"]
    assert review.due == datetime(2027, 1, 7, 21, 0, tzinfo=UTC)
    assert review.is_deadline
    assert "review_at" not in dispersal_dates(48, **on)  # ends at the review point: nothing to review
    assert "review_at" in dispersal_dates(49, **on)


# --- breach -------------------------------------------------------------------------------------------------------


def test_a_respect_order_breach_is_a_criminal_offence_and_an_injunction_breach_is_not():
    assert powers.breach_nature("respect_order").is_criminal_offence
    assert not powers.breach_nature("civil_injunction").is_criminal_offence
    assert not powers.breach_nature("youth_injunction").is_criminal_offence
    assert not powers.breach_nature("housing_injunction").is_criminal_offence
    assert not powers.breach_nature("abc").is_criminal_offence
