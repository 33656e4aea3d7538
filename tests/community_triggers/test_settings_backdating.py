"""A settings change never re-decides an application already received: a change may
take effect from today or later, or from an earlier day only when no application received since then
would have other settings. Through PATCH /api/v1/areas/<code> and the admin pages alike."""

from __future__ import annotations

import re

import sqlalchemy as sa

from casework.accounts.models import AreaSetting
from casework.extensions import db


def _patch(api_client, ct, effective_from, area="BOL", **settings):
    return api_client(ct.admin).patch(
        f"/api/v1/areas/{area}", json={"settings": settings, "effective_from": effective_from}
    )


def test_a_back_dated_threshold_cannot_re_decide_a_received_application(api_client, ct):
    application = ct.register()  # received 2 March, three qualifying complaints
    response = _patch(api_client, ct, "2026-03-01", automatic_count=4)
    assert response.status_code == 422
    message = response.json["errors"]["effective_from"][0]
    assert "cannot take effect from 1 March 2026" in message
    assert application.reference in message
    assert "a date after 2 March 2026" in message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AreaSetting)) == 0
    # The threshold of 3 still applies to it: "not met" is refused.
    decision = api_client(ct.coordinator).post(
        f"/api/v1/triggers/{application.id}/threshold-decision",
        json={"met": False, "reasons": "Not enough", "decided_on": "2026-03-09"},
    )
    assert decision.status_code == 422
    assert "_rule" in decision.json["errors"]


def test_from_a_day_after_the_last_application_or_today_it_is_allowed(api_client, ct):
    ct.register()
    assert _patch(api_client, ct, "2026-03-03", automatic_count=4).status_code == 200
    assert _patch(api_client, ct, "2026-03-10", complaint_months=2).status_code == 200
    assert _patch(api_client, ct, "2026-04-01", lookback_months=7).status_code == 200


def test_a_back_dated_change_that_changes_nothing_for_them_is_allowed(api_client, ct):
    ct.register()
    # The same value as already applies, and a setting the Case Review does not read.
    assert _patch(api_client, ct, "2026-01-01", automatic_count=3).status_code == 200
    assert _patch(api_client, ct, "2026-01-01", abc_default_months=6).status_code == 200


def test_timescales_are_covered_too(api_client, ct):
    application = ct.register()
    response = _patch(
        api_client, ct, "2026-02-01", timescale_acknowledge={"amount": 3, "unit": "working_days", "start": "received"}
    )
    assert response.status_code == 422
    assert application.reference in response.json["errors"]["effective_from"][0]


def test_other_areas_applications_do_not_stop_an_area_change(api_client, ct):
    ct.register()
    assert _patch(api_client, ct, "2026-01-01", area="NED", automatic_count=4).status_code == 200


def _form_values(html: str) -> dict[str, str]:
    """What the settings page's form would post as it stands (text inputs, checked radios, selects)."""
    import re

    values: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        if 'type="radio"' in tag or 'type="checkbox"' in tag:
            if "checked" in tag:
                values[name.group(1)] = value.group(1) if value else "on"
        else:
            values[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[name] = __import__("html").unescape(body.strip())
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        values[name] = chosen.group(1) if chosen else ""
    return values


def test_the_admin_pages_say_why(page_client, ct):
    application = ct.register()
    client = page_client(ct.admin)
    data = _form_values(client.get("/admin/areas/BOL/settings").get_data(as_text=True))
    count_field = next(name for name in data if name.endswith("automatic_count"))
    data.update(
        {count_field: "4", "effective_from-day": "1", "effective_from-month": "3", "effective_from-year": "2026"}
    )
    response = client.post("/admin/areas/BOL/settings", data=data)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    assert "cannot take effect from 1 March 2026" in html, re.findall(
        r"govuk-error-message.*?</p>|error-summary__list.*?</ul>", html, re.S
    )
    assert application.reference in html
    assert 'href="#effective_from-day"' in html or 'href="#effective_from"' in html
