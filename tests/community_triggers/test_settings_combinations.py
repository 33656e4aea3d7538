"""Settings that can never take effect are refused or warned when saved (issue 11 item 4), through the
API (``PATCH /api/v1/areas/<code>``) and the admin pages alike: the threshold engine's own check of the
rule set in force (``check_rules``), step timescales that could never give a deadline, and intervention
limits that contradict each other. A change for all areas is checked as each area will have it."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from casework.accounts.models import AreaSetting
from casework.accounts.services import area_settings, update_area_settings
from casework.extensions import db


def stored() -> int:
    return db.session.scalar(sa.select(sa.func.count(AreaSetting.id)))


def patch(api_client, ct, settings: dict, code: str = "BOL"):
    return api_client(ct.admin).patch(f"/api/v1/areas/{code}", json={"settings": settings})


def never_decides(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "can never decide" in w]


# --- the threshold rule set -------------------------------------------------------------------------


def test_switching_on_the_community_threshold_of_five_while_the_automatic_is_three_warns(ct, api_client):
    response = patch(api_client, ct, {"community_enabled": True})
    assert response.status_code == 200, response.json
    [warning] = never_decides(response.json["warnings"])
    assert "The community threshold (5 different complainants)" in warning
    assert "while the automatic threshold is 3" in warning
    # A warning, not a refusal: the setting is stored.
    assert area_settings(ct.area)["community_enabled"] is True


@pytest.mark.parametrize(("community_count", "warned"), [(3, True), (2, False)])
def test_the_community_boundary_is_one_below_the_automatic_number(ct, api_client, community_count, warned):
    response = patch(api_client, ct, {"community_enabled": True, "community_count": community_count})
    assert response.status_code == 200
    assert bool(never_decides(response.json["warnings"])) is warned


def test_lowering_the_automatic_number_warns_about_the_variant_it_swallows(ct, api_client):
    update_area_settings(ct.admin, ct.area, {"community_enabled": True, "community_count": 2}, date(2026, 1, 1))
    db.session.commit()
    assert never_decides(patch(api_client, ct, {"automatic_count": 3}).json["warnings"]) == []
    # An automatic threshold of 2 makes the community variant of 2 useless.
    [warning] = never_decides(patch(api_client, ct, {"automatic_count": 2}).json["warnings"])
    assert "(2 different complainants)" in warning


def test_a_hate_threshold_under_an_automatic_threshold_of_one_warns(ct, api_client):
    response = patch(api_client, ct, {"hate_enabled": True, "automatic_count": 1})
    assert response.status_code == 200
    assert any("The hate threshold" in w for w in response.json["warnings"])


def test_an_unrelated_change_does_not_repeat_the_warning(ct, api_client):
    update_area_settings(ct.admin, ct.area, {"community_enabled": True}, date(2026, 1, 1))
    db.session.commit()
    response = patch(api_client, ct, {"reminder_lead_working_days": 3})
    assert response.status_code == 200
    assert response.json["warnings"] == []


def test_an_automatic_threshold_above_three_still_warns_once(ct, api_client):
    response = patch(api_client, ct, {"automatic_count": 4})
    assert [w for w in response.json["warnings"] if "no higher than three" in w] == [
        "The automatic threshold is 4 qualifying complaints: the Explanatory Notes to s.104 say it should be "
        "set no higher than three."
    ]


# --- step timescales --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "value", "message"),
    [
        ("acknowledge", {"amount": 5, "unit": "working_days", "start": "acknowledged"}, "already done"),
        ("threshold_decision", {"amount": 5, "unit": "working_days", "start": "meeting_held"}, "already done"),
        ("outcome_letter", {"amount": 5, "unit": "working_days", "start": "outcome_letter_sent"}, "already done"),
        ("acknowledge", {"amount": -1, "unit": "working_days", "start": "received"}, "overdue from the start"),
        (
            "appeal_window_closes",
            {"amount": 20, "unit": "working_days", "start": "meeting_held"},
            "can only run from when the decision that can be appealed against",
        ),
        (
            "appeal_decision",
            {"amount": 15, "unit": "working_days", "start": "received"},
            "can only run from when the appeal is received",
        ),
    ],
)
def test_a_timescale_that_can_never_give_a_deadline_is_refused(ct, api_client, step, value, message):
    before = stored()
    response = patch(api_client, ct, {f"timescale_{step}": value})
    assert response.status_code == 422, response.json
    assert message in response.json["errors"]["_rule"][0]
    assert message in response.json["errors"][f"settings.timescale_{step}"][0]
    assert stored() == before


@pytest.mark.parametrize(
    ("step", "value"),
    [
        # The boundary cases that do take effect.
        ("papers_to_panel", {"amount": -2, "unit": "working_days", "start": "meeting_scheduled"}),
        ("acknowledge", {"amount": 0, "unit": "working_days", "start": "received"}),
        ("review_meeting", {"amount": 15, "unit": "working_days", "start": "acknowledged"}),
        ("outcome_letter", {"amount": 5, "unit": "working_days", "start": "meeting_held"}),
    ],
)
def test_timescales_that_take_effect_are_accepted(ct, api_client, step, value):
    response = patch(api_client, ct, {f"timescale_{step}": value})
    assert response.status_code == 200, response.json


# --- intervention limits ------------------------------------------------------------------------------


def test_an_empty_range_of_order_lengths_is_refused(ct, api_client):
    before = stored()
    response = patch(api_client, ct, {"cbo_youth_min_months": 40})
    assert response.status_code == 422
    assert "no such order could be made" in response.json["errors"]["_rule"][0]
    assert stored() == before
    assert patch(api_client, ct, {"cbo_youth_min_months": 36}).status_code == 200


def test_a_review_after_the_contract_ends_warns(ct, api_client):
    response = patch(api_client, ct, {"abc_review_months": 6})
    assert response.status_code == 200
    assert any("reviewed only after it has ended" in w for w in response.json["warnings"])
    assert not any("reviewed only" in w for w in patch(api_client, ct, {"abc_review_months": 5}).json["warnings"])


# --- a change for all areas, as each area will have it -----------------------------------------------


def test_a_change_for_all_areas_that_an_area_overrides_does_not_take_effect_there(ct):
    update_area_settings(ct.admin, ct.area, {"automatic_count": 2}, date(2026, 1, 1))
    warnings = update_area_settings(ct.admin, None, {"automatic_count": 3, "community_enabled": True})
    assert any(w.startswith("Bolsover has its own value for: Qualifying complaints") for w in warnings)
    assert not any(w.startswith("North East Derbyshire has its own value") for w in warnings)
    # Bolsover keeps its 2, and the community variant of 5 can never decide there either.
    assert any(w.startswith("In Bolsover: The community threshold (5 different complainants)") for w in warnings)


def test_a_refusal_for_all_areas_names_the_area_and_writes_nothing(ct):
    from casework.core.errors import InvalidInput

    update_area_settings(ct.admin, ct.area, {"cbo_youth_max_months": 12}, date(2026, 1, 1))
    db.session.commit()
    before = stored()
    with pytest.raises(InvalidInput) as refused:
        update_area_settings(ct.admin, None, {"cbo_youth_min_months": 24})
    assert refused.value.errors["_rule"][0].startswith("In Bolsover: The shortest under-18")
    db.session.rollback()
    assert stored() == before


# --- the admin pages say the same ---------------------------------------------------------------------


def _settings_form(area, **changes: str) -> dict[str, str]:
    """Every input of the settings page as it shows the values in force, with ``changes``."""
    from casework.accounts.forms import setting_inputs
    from casework.core import settings as registry
    from casework.core.time import today

    on = today()
    data = {
        "effective_from-day": str(on.day),
        "effective_from-month": str(on.month),
        "effective_from-year": str(on.year),
    }
    values = area_settings(area)
    for item in setting_inputs(list(registry.specs().values())):
        for name, value in item.initial(values[item.spec.key]).items():
            data[name] = "" if value is None else str(value)
    data.update(changes)
    return data


def test_the_settings_page_warns_about_a_community_threshold_that_can_never_decide(ct, page_client):
    client = page_client(ct.admin)
    response = client.post("/admin/areas/BOL/settings", data=_settings_form(ct.area, setting_community_enabled="yes"))
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "can never decide an application while the automatic threshold is 3" in html


def test_the_settings_page_refuses_a_timescale_that_can_never_give_a_deadline(ct, page_client):
    before = stored()
    value = json.dumps({"amount": 5, "unit": "working_days", "start": "acknowledged"})
    response = page_client(ct.admin).post(
        "/admin/areas/BOL/settings", data=_settings_form(ct.area, setting_timescale_acknowledge=value)
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html
    assert html.count("by then the step is already done") == 2  # the summary and the field, once each
    assert stored() == before
