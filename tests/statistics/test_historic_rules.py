"""Historic figures (entered by hand by an administrator) are only for years before the service was used
(docs/rules.md), and are never typed over figures a manager published from the records (publishing
needs a manager). Their figures are bounded. The API and the admin page share the service,
so each rule is checked through both; a refusal writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.core.errors import InvalidInput
from casework.extensions import db
from casework.statistics import services
from casework.statistics.models import SnapshotSource, StatisticsSnapshot

TODAY = date(2026, 11, 23)
ZEROS = {"applications": 0, "threshold_not_met": 0, "reviews_carried_out": 0, "reviews_with_recommendations": 0}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY):
        yield


@pytest.fixture
def bolsover(area_staff):
    return area_staff("BOL")


def _api_entry(api_client, admin, year, **figures):
    return api_client(admin).post(
        "/api/v1/statistics/historic",
        json={
            "area_code": "BOL",
            "period_start": f"{year}-04-01",
            "period_end": f"{year + 1}-03-31",
            **ZEROS,
            **figures,
            "note": "Council annual report",
        },
    )


def _page_entry(page_client, admin, year, **figures):
    return page_client(admin).post(
        "/admin/statistics/historic",
        data={
            "area": "BOL",
            "year": str(year),
            **{key: str(value) for key, value in {**ZEROS, **figures}.items()},
            "note": "Council annual report",
        },
    )


def _entered_by_hand() -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(StatisticsSnapshot)
        .where(StatisticsSnapshot.source == SnapshotSource.entered_by_hand)
    )


# --- a year the service holds records for ----------------------------------------------------------------


def _received_in_the_year(records, area):
    records.application(area, date(2025, 6, 2))


def _decided_in_the_year(records, area):
    # Received the year before; its decision and review fall in 2025/26.
    application = records.application(area, date(2025, 2, 10))
    records.decision(application, date(2025, 4, 14), met=True)
    records.meeting(application, date(2025, 5, 20), recommendations=1)


def _open_through_the_year(records, area):
    # Received the year before and still waiting for its decision when 2025/26 ended.
    records.application(area, date(2024, 11, 4))


@pytest.mark.parametrize("held", [_received_in_the_year, _decided_in_the_year, _open_through_the_year])
def test_api_refuses_a_year_the_service_holds_records_for(api_client, bolsover, records, held):
    held(records, bolsover["area"])
    db.session.commit()
    answer = _api_entry(api_client, bolsover["admin"], 2025)
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert "period_start" in errors
    assert "The service holds Case Review records of Bolsover for 2025/26" in errors["_rule"][0]
    assert _entered_by_hand() == 0


def test_page_refuses_a_year_the_service_holds_records_for(page_client, bolsover, records):
    _received_in_the_year(records, bolsover["area"])
    db.session.commit()
    response = _page_entry(page_client, bolsover["admin"], 2025)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "The service holds Case Review records of Bolsover for 2025/26" in html
    assert 'id="year-error"' in html  # on the year chosen, not the figures or the source
    assert _entered_by_hand() == 0


def test_years_before_the_records_are_still_entered(api_client, page_client, bolsover, records):
    # Records from 2024/25 on (an application received then is open at that year's end, not 2023/24's).
    _open_through_the_year(records, bolsover["area"])
    db.session.commit()
    assert _api_entry(api_client, bolsover["admin"], 2023).status_code == 201
    assert _page_entry(page_client, bolsover["admin"], 2016).status_code == 302
    # A second entry of a year entered by hand is a correction: the next version.
    assert _api_entry(api_client, bolsover["admin"], 2023, applications=1).get_json()["version"] == 2
    assert _entered_by_hand() == 3


def test_an_area_with_records_does_not_block_another_area(api_client, area_staff, bolsover, records):
    _received_in_the_year(records, area_staff("NED")["area"])
    db.session.commit()
    assert _api_entry(api_client, bolsover["admin"], 2025).status_code == 201


# --- a year a manager published from the records ----------------------------------------------------------


def test_api_refuses_a_year_a_manager_published_even_with_no_records(api_client, bolsover):
    # The service was used in 2025/26 and nothing happened: the manager published the zeros.
    services.publish(bolsover["manager"], bolsover["area"], date(2025, 4, 1), date(2026, 3, 31))
    db.session.commit()
    answer = _api_entry(api_client, bolsover["admin"], 2025, applications=3)
    assert answer.status_code == 422
    assert "A manager published the figures of Bolsover for 2025/26" in answer.get_json()["errors"]["_rule"][0]
    assert _entered_by_hand() == 0


def test_page_refuses_a_year_a_manager_published(page_client, bolsover):
    services.publish(bolsover["manager"], bolsover["area"], date(2025, 4, 1), date(2026, 3, 31))
    db.session.commit()
    response = _page_entry(page_client, bolsover["admin"], 2025, applications=3)
    assert response.status_code == 422
    assert "A manager published the figures of Bolsover for 2025/26" in response.get_data(as_text=True)
    assert _entered_by_hand() == 0


def test_a_publication_withdrawn_as_a_mistake_does_not_block(api_client, bolsover):
    # Published for the wrong period (a year before the service) and withdrawn: no approval of it.
    mistake = services.publish(bolsover["manager"], bolsover["area"], date(2016, 4, 1), date(2017, 3, 31))
    services.withdraw(bolsover["manager"], mistake, "Published for the wrong period.")
    db.session.commit()
    answer = _api_entry(api_client, bolsover["admin"], 2016)
    assert answer.status_code == 201
    assert (answer.get_json()["source"], answer.get_json()["version"]) == ("entered_by_hand", 2)


# --- bounded figures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [10**30, 2**31, 10_001])
def test_api_refuses_figures_beyond_the_maximum(api_client, bolsover, value):
    answer = _api_entry(api_client, bolsover["admin"], 2016, applications=value)
    assert answer.status_code == 422
    assert answer.get_json()["errors"]["applications"] == ["Enter a whole number from 0 to 10,000."]
    assert _entered_by_hand() == 0


def test_the_maximum_itself_is_entered(api_client, bolsover):
    answer = _api_entry(api_client, bolsover["admin"], 2016, applications=10_000)
    assert answer.status_code == 201
    assert answer.get_json()["applications"] == 10_000


def test_page_refuses_figures_beyond_the_maximum(page_client, bolsover):
    response = _page_entry(page_client, bolsover["admin"], 2016, reviews_carried_out=10**30)
    assert response.status_code == 422
    assert "Reviews carried out must be a whole number from 0 to 10,000" in response.get_data(as_text=True)
    assert _entered_by_hand() == 0


def test_the_service_refuses_figures_beyond_the_maximum_whoever_calls_it(bolsover):
    # The demo loader and the scripts call the service with no schema or form in front.
    with pytest.raises(InvalidInput) as refused:
        services.enter_historic(
            None, bolsover["area"], date(2016, 4, 1), date(2017, 3, 31), {**ZEROS, "applications": 10**30}, "Paper"
        )
    assert refused.value.errors == {"applications": ["Enter a whole number from 0 to 10,000."]}
