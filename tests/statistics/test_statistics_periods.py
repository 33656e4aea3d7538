"""Publishing only whole reporting periods of the area's setting, withdrawing a mistaken publication,
and the difference between the live figures of a published period and its published version."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.accounts.services import update_area_settings
from casework.audit.models import AuditEntry
from casework.extensions import db
from casework.statistics import services
from casework.statistics.models import PublishedSnapshotChanged, StatisticsSnapshot, StatisticsWithdrawal
from casework.statistics.settings import PERIOD_MONTHS, PERIOD_START

#: "Today" in these tests: 2025/26 has ended, 2026/27 has not.
TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY.isoformat() + " 12:00 +00:00", tick=False) as traveller:
        yield traveller


@pytest.fixture
def bolsover(area_staff, records):
    staff = area_staff("BOL")
    records.application(staff["area"], date(2025, 6, 2))
    db.session.commit()
    return staff


def _period_setting(area, start: str, months: int, effective_from: date = date(2000, 1, 1)) -> None:
    update_area_settings(None, area, {PERIOD_START: start, PERIOD_MONTHS: months}, effective_from=effective_from)
    db.session.commit()


def _publish(api, start: str, end: str, **extra):
    return api.post(
        "/api/v1/statistics/publish", json={"area_code": "BOL", "period_start": start, "period_end": end, **extra}
    )


# --- the reporting period -------------------------------------------------------------------------


def test_periods_follow_the_area_setting(bolsover):
    area = bolsover["area"]
    assert services.reporting_period_containing(area, date(2026, 3, 31)) == (date(2025, 4, 1), date(2026, 3, 31))
    assert services.reporting_period_containing(area, date(2026, 4, 1)) == (date(2026, 4, 1), date(2027, 3, 31))
    assert services.last_ended_reporting_period(area, TODAY) == (date(2025, 4, 1), date(2026, 3, 31))
    _period_setting(area, "04-01", 6)
    assert services.reporting_period_containing(area, date(2025, 9, 30)) == (date(2025, 4, 1), date(2025, 9, 30))
    assert services.reporting_period_containing(area, date(2025, 10, 1)) == (date(2025, 10, 1), date(2026, 3, 31))
    assert services.reporting_period_containing(area, date(2026, 3, 31)) == (date(2025, 10, 1), date(2026, 3, 31))
    _period_setting(area, "01-01", 12)
    assert services.reporting_period_containing(area, date(2025, 12, 31)) == (date(2025, 1, 1), date(2025, 12, 31))
    assert services.last_ended_reporting_period(area, TODAY) == (date(2025, 1, 1), date(2025, 12, 31))
    _period_setting(area, "02-15", 3)
    assert services.reporting_period_containing(area, date(2026, 2, 14)) == (date(2025, 11, 15), date(2026, 2, 14))
    assert services.reporting_period_containing(area, date(2026, 1, 1)) == (date(2025, 11, 15), date(2026, 2, 14))


def test_the_choice_of_periods_starts_when_the_case_review_began(bolsover):
    periods = services.reporting_periods(bolsover["area"], TODAY)
    assert periods[0] == (date(2026, 4, 1), date(2027, 3, 31))
    assert periods[-1] == (date(2014, 4, 1), date(2015, 3, 31))


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({PERIOD_START: "02-30"}, PERIOD_START),
        ({PERIOD_START: "04-29"}, PERIOD_START),  # a start after the 28th drifts from month to month
        ({PERIOD_START: "April"}, PERIOD_START),
        ({PERIOD_START: 401}, PERIOD_START),
        ({PERIOD_MONTHS: 13}, PERIOD_MONTHS),  # more than 12 months: s.105(4)
        ({PERIOD_MONTHS: 5}, PERIOD_MONTHS),  # does not divide the year
        ({PERIOD_MONTHS: 0}, PERIOD_MONTHS),
        ({PERIOD_MONTHS: True}, PERIOD_MONTHS),
    ],
)
def test_bad_reporting_period_settings_are_refused(api_client, bolsover, make, values, key):
    admin = make.user("admin")
    response = api_client(admin).patch("/api/v1/areas/BOL", json={"settings": values})
    assert response.status_code == 422
    assert f"settings.{key}" in response.get_json()["errors"]


def test_an_admin_sets_the_reporting_period_through_the_api(api_client, bolsover, make):
    admin = make.user("admin")
    response = api_client(admin).patch(
        "/api/v1/areas/BOL", json={"settings": {PERIOD_START: "01-01", PERIOD_MONTHS: "12"}}
    )
    assert response.status_code == 200, response.get_json()
    # From today: the current period is the calendar year; the one before began under the old setting.
    assert services.reporting_period_containing(bolsover["area"], TODAY) == (date(2026, 1, 1), date(2026, 12, 31))
    assert services.last_ended_reporting_period(bolsover["area"], TODAY) == (date(2025, 4, 1), date(2026, 3, 31))


# --- publishing whole periods only ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0030-01-01", "0030-01-01"),  # the fuzzer's publication
        ("0029-04-01", "0030-03-31"),  # a whole financial year, long before the Case Review existed
        ("2013-04-01", "2014-03-31"),
        ("2025-04-01", "2025-09-30"),  # a half-year, for an area that reports by financial year
        ("2025-04-02", "2026-03-31"),
        ("2025-04-01", "2026-03-30"),
        ("2025-01-01", "2025-12-31"),
    ],
)
def test_only_a_whole_reporting_period_can_be_published(api_client, bolsover, start, end):
    response = _publish(api_client(bolsover["manager"]), start, end)
    assert response.status_code == 422
    # Dates before 1900 are refused by the shared date fields themselves, on the field.
    assert {"_rule", "period_start", "period_end"} & set(response.get_json()["errors"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatisticsSnapshot)) == 0


def test_the_refusal_names_the_period_that_would_do(api_client, bolsover):
    [message] = _publish(api_client(bolsover["manager"]), "2025-04-01", "2025-09-30").get_json()["errors"]["_rule"]
    assert "the financial year (1 April to 31 March)" in message
    assert "2025-04-01 to 2026-03-31" in message


def test_a_whole_period_that_has_ended_is_published(api_client, bolsover):
    response = _publish(api_client(bolsover["manager"]), "2025-04-01", "2026-03-31")
    assert response.status_code == 200
    assert response.get_json()["version"] == 1
    # The current period has not ended yet.
    assert _publish(api_client(bolsover["manager"]), "2026-04-01", "2027-03-31").status_code == 422


def test_a_half_year_is_published_where_the_area_reports_by_half_year(api_client, bolsover):
    _period_setting(bolsover["area"], "04-01", 6)
    manager = api_client(bolsover["manager"])
    assert _publish(manager, "2025-04-01", "2025-09-30").status_code == 200
    assert _publish(manager, "2025-10-01", "2026-03-31").status_code == 200
    assert _publish(manager, "2025-04-01", "2026-03-31").status_code == 422  # not this area's period


def test_the_setting_in_force_at_the_start_of_the_period_decides(api_client, bolsover):
    # Financial years until 2026, calendar years from 1 January 2026.
    _period_setting(bolsover["area"], "01-01", 12, effective_from=date(2026, 1, 1))
    manager = api_client(bolsover["manager"])
    assert _publish(manager, "2024-04-01", "2025-03-31").status_code == 200
    assert _publish(manager, "2026-01-01", "2026-12-31").status_code == 422  # whole, but not ended


def test_historic_figures_are_whole_periods_too(api_client, bolsover):
    response = api_client(bolsover["admin"]).post(
        "/api/v1/statistics/historic",
        json={
            "area_code": "BOL",
            "period_start": "2015-04-01",
            "period_end": "2015-09-30",
            "applications": 1,
            "threshold_not_met": 0,
            "reviews_carried_out": 0,
            "reviews_with_recommendations": 0,
            "note": "Annual report",
        },
    )
    assert response.status_code == 422
    assert "_rule" in response.get_json()["errors"]


def test_the_scheduled_compilation_follows_each_areas_period(bolsover, area_staff):
    other = area_staff("NED")
    _period_setting(other["area"], "01-01", 12)
    compiled = {s.area.code: (s.period_start, s.period_end) for s in services.compile_ended_periods(TODAY)}
    assert compiled == {
        "BOL": (date(2025, 4, 1), date(2026, 3, 31)),
        "NED": (date(2025, 1, 1), date(2025, 12, 31)),
    }


# --- withdrawal ----------------------------------------------------------------------------------------


def _public_periods(client) -> list[tuple[str, int]]:
    return [(item["period_start"], item["version"]) for item in client.get("/statistics.json").get_json()["items"]]


def test_a_mistaken_publication_is_withdrawn_kept_and_gone_from_the_public(api_client, client, bolsover):
    manager = api_client(bolsover["manager"])
    published = _publish(manager, "2025-04-01", "2026-03-31").get_json()
    assert _public_periods(client) == [("2025-04-01", 1)]

    response = manager.post(
        f"/api/v1/statistics/versions/{published['id']}/withdraw", json={"note": "Published before the checks."}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["withdrawal"]["note"] == "Published before the checks."
    assert body["withdrawal"]["withdrawn_by_id"] == bolsover["manager"].id
    assert body["version"] == 1
    assert body["applications"] == 1  # kept as it was

    assert _public_periods(client) == []
    assert "2025-04-01" not in client.get("/statistics.csv").get_data(as_text=True)
    assert "2025/26" not in client.get("/statistics").get_data(as_text=True)
    db.session.expire_all()
    snapshot = db.session.get(StatisticsSnapshot, published["id"])
    assert snapshot.is_published
    assert snapshot.is_withdrawn
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.summary.like("Withdrew version 1%")).order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    assert entry.actor_id == bolsover["manager"].id

    # Publishing again is a new version; the withdrawn one keeps its number.
    again = _publish(manager, "2025-04-01", "2026-03-31", note="Checked and published again.").get_json()
    assert again["version"] == 2
    assert _public_periods(client) == [("2025-04-01", 2)]


def test_withdrawing_a_correction_shows_the_version_before_it(api_client, client, bolsover):
    manager = api_client(bolsover["manager"])
    _publish(manager, "2025-04-01", "2026-03-31")
    correction = _publish(manager, "2025-04-01", "2026-03-31", note="Corrected.").get_json()
    manager.post(f"/api/v1/statistics/versions/{correction['id']}/withdraw", json={"note": "Wrong correction."})
    assert _public_periods(client) == [("2025-04-01", 1)]


def test_withdrawal_needs_a_note_and_happens_once(api_client, bolsover):
    manager = api_client(bolsover["manager"])
    published = _publish(manager, "2025-04-01", "2026-03-31").get_json()
    path = f"/api/v1/statistics/versions/{published['id']}/withdraw"
    assert manager.post(path, json={"note": "  "}).status_code == 422
    assert manager.post(path, json={}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatisticsWithdrawal)) == 0
    assert manager.post(path, json={"note": "Mistake."}).status_code == 200
    second = manager.post(path, json={"note": "Again."})
    assert second.status_code == 422
    assert "already withdrawn" in second.get_json()["errors"]["_rule"][0]


def test_a_draft_cannot_be_withdrawn(api_client, bolsover):
    draft = services.compile(bolsover["manager"], bolsover["area"], date(2025, 4, 1), date(2026, 3, 31))
    db.session.commit()
    response = api_client(bolsover["manager"]).post(
        f"/api/v1/statistics/versions/{draft.id}/withdraw", json={"note": "x"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize("role", ["coordinator", "officer", "admin", "partner"])
def test_only_a_manager_of_the_area_withdraws(api_client, bolsover, role):
    published = _publish(api_client(bolsover["manager"]), "2025-04-01", "2026-03-31").get_json()
    response = api_client(bolsover[role]).post(
        f"/api/v1/statistics/versions/{published['id']}/withdraw", json={"note": "x"}
    )
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatisticsWithdrawal)) == 0


def test_a_manager_of_another_area_gets_404(api_client, bolsover, area_staff):
    other = area_staff("NED")
    published = _publish(api_client(bolsover["manager"]), "2025-04-01", "2026-03-31").get_json()
    response = api_client(other["manager"]).post(
        f"/api/v1/statistics/versions/{published['id']}/withdraw", json={"note": "x"}
    )
    assert response.status_code == 404


def test_a_withdrawal_is_never_changed_or_deleted(api_client, bolsover):
    manager = api_client(bolsover["manager"])
    published = _publish(manager, "2025-04-01", "2026-03-31").get_json()
    manager.post(f"/api/v1/statistics/versions/{published['id']}/withdraw", json={"note": "Mistake."})
    withdrawal = db.session.scalar(sa.select(StatisticsWithdrawal))
    withdrawal.note = "Rewritten"
    with pytest.raises(PublishedSnapshotChanged):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(sa.select(StatisticsWithdrawal)))
    with pytest.raises(PublishedSnapshotChanged):
        db.session.flush()
    db.session.rollback()


def test_the_withdraw_page(page_client, client, bolsover):
    pages = page_client(bolsover["manager"])
    snapshot = services.publish(bolsover["manager"], bolsover["area"], date(2025, 4, 1), date(2026, 3, 31))
    db.session.commit()
    index = pages.get("/reports/statistics/?area=BOL&period=2025-04-01").get_data(as_text=True)
    link = f"/reports/statistics/versions/{snapshot.id}/withdraw"
    assert link in index
    assert pages.get(link).status_code == 200
    refused = pages.post(link, data={"note": ""})
    assert refused.status_code == 422
    assert "Say why these figures are withdrawn" in refused.get_data(as_text=True)
    done = pages.post(link, data={"note": "Published for the wrong period."})
    assert done.status_code == 302
    page = pages.get(done.headers["Location"]).get_data(as_text=True)
    assert "Version 1 withdrawn" in page
    assert "Published for the wrong period." in page
    assert _public_periods(client) == []
    # A coordinator sees no withdraw link and is refused the page.
    coordinator = page_client(bolsover["coordinator"])
    assert link not in coordinator.get("/reports/statistics/?area=BOL&period=2025-04-01").get_data(as_text=True)
    assert coordinator.get(link).status_code == 403


# --- live figures of a published period ---------------------------------------------------------------


def test_managers_see_when_the_records_change_a_published_period(api_client, page_client, bolsover, records):
    manager = api_client(bolsover["manager"])
    _publish(manager, "2025-04-01", "2026-03-31")
    live = manager.get("/api/v1/statistics?area=BOL&period_start=2025-04-01&period_end=2026-03-31").get_json()
    assert live["published"] == {"version": 1, "snapshot_id": live["published"]["snapshot_id"], "differences": []}
    assert manager.get("/api/v1/statistics/changed").get_json()["items"] == []

    # An application received in the period is entered late (a paper form found in June).
    records.application(bolsover["area"], date(2026, 3, 20))
    db.session.commit()
    live = manager.get("/api/v1/statistics?area=BOL&period_start=2025-04-01&period_end=2026-03-31").get_json()
    assert live["applications"] == 2
    assert live["published"]["differences"] == [{"key": "applications", "published": 1, "live": 2}]
    [item] = manager.get("/api/v1/statistics/changed").get_json()["items"]
    assert (item["period_start"], item["version"]) == ("2025-04-01", 1)
    assert item["differences"] == [{"key": "applications", "published": 1, "live": 2}]

    pages = page_client(bolsover["manager"])
    dashboard = pages.get("/").get_data(as_text=True)
    assert "Published Case Review figures that have changed" in dashboard
    assert "Bolsover, 2025/26" in dashboard
    page = pages.get("/reports/statistics/?area=BOL&period=2025-04-01").get_data(as_text=True)
    assert "The records now give different figures from published version 1" in page
    assert "Publish a corrected version" in page

    # The correction needs a note; once published the difference is gone.
    assert _publish(manager, "2025-04-01", "2026-03-31").status_code == 422
    assert _publish(manager, "2025-04-01", "2026-03-31", note="A paper application entered late.").status_code == 200
    assert manager.get("/api/v1/statistics/changed").get_json()["items"] == []
    assert "have changed" not in pages.get("/").get_data(as_text=True)


def test_screening_out_after_publication_changes_nothing(api_client, bolsover, records, today):
    """The issue's case: received 25 March 2026, published, screened out 1 December 2026."""
    application = records.application(bolsover["area"], date(2026, 3, 25))
    db.session.commit()
    manager = api_client(bolsover["manager"])
    assert _publish(manager, "2025-04-01", "2026-03-31").get_json()["applications"] == 2
    today.move_to("2026-12-01 12:00 +00:00")
    application.screened_out_on = date(2026, 12, 1)
    db.session.commit()
    manager = api_client(bolsover["manager"])  # a new token: the first one expired meanwhile
    live = manager.get("/api/v1/statistics?area=BOL&period_start=2025-04-01&period_end=2026-03-31").get_json()
    assert live["applications"] == 2
    assert live["published"]["differences"] == []
