"""The public figures (page, CSV, JSON: published only, latest version, exact shape), the staff page
with its actions, the progress page, the admin page for historic figures, and the demo data."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.statistics import services
from casework.statistics.models import JobStatus, SnapshotSource, StatisticsJob, StatisticsSnapshot
from casework.statistics.schemas import PUBLIC_COLUMNS

FIRST_COLUMNS = [
    "area_code",
    "area_name",
    "period_start",
    "period_end",
    "applications",
    "threshold_not_met",
    "reviews_carried_out",
    "reviews_with_recommendations",
    "version",
    "published_at",
]


@pytest.fixture
def published(area_staff, records):
    """Bolsover: 2025/26 published twice (a correction), a draft of 2024/25, and 2016/17 by hand;
    North East Derbyshire: 2025/26 published once."""
    bolsover, ned = area_staff("BOL"), area_staff("NED")
    application = records.application(bolsover["area"], date(2025, 6, 2))
    records.decision(application, date(2025, 6, 20), met=True)
    records.meeting(application, date(2025, 7, 20), recommendations=1)
    records.application(ned["area"], date(2025, 6, 2))
    with time_machine.travel(date(2026, 4, 2)):
        services.publish(bolsover["manager"], bolsover["area"], date(2025, 4, 1), date(2026, 3, 31))
        records.application(bolsover["area"], date(2026, 3, 31))
        services.publish(
            bolsover["manager"],
            bolsover["area"],
            date(2025, 4, 1),
            date(2026, 3, 31),
            note="A letter received on 31 March was added.",
            publish_extras=True,
        )
        services.publish(ned["manager"], ned["area"], date(2025, 4, 1), date(2026, 3, 31))
        services.compile(bolsover["coordinator"], bolsover["area"], date(2024, 4, 1), date(2025, 3, 31))
        services.enter_historic(
            bolsover["admin"],
            bolsover["area"],
            date(2016, 4, 1),
            date(2017, 3, 31),
            {"applications": 0, "threshold_not_met": 0, "reviews_carried_out": 0, "reviews_with_recommendations": 0},
            "Bolsover CSP plan 2017-2020.",
        )
    db.session.commit()
    return {"BOL": bolsover, "NED": ned}


def test_json_has_one_item_per_area_and_period_with_the_latest_version(client, published):
    response = client.get("/statistics.json")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(i["area_code"], i["period_start"], i["version"]) for i in items] == [
        ("BOL", "2016-04-01", 1),
        ("BOL", "2025-04-01", 2),
        ("NED", "2025-04-01", 1),
    ]
    bolsover = items[1]
    assert list(bolsover)[: len(FIRST_COLUMNS)] == FIRST_COLUMNS
    assert list(bolsover) == list(PUBLIC_COLUMNS)
    assert (
        bolsover["area_name"],
        bolsover["period_end"],
        bolsover["applications"],
        bolsover["threshold_not_met"],
        bolsover["reviews_carried_out"],
        bolsover["reviews_with_recommendations"],
    ) == ("Bolsover", "2026-03-31", 2, 0, 1, 1)
    assert bolsover["published_at"].startswith("2026-04-0")
    assert bolsover["note"] == "A letter received on 31 March was added."
    # Asked for, but two applications are too few: how each applied would be told.
    assert bolsover["applications_online"] is None
    assert items[2]["applications_online"] is None  # NED did not choose to publish them
    assert items[0]["entered_by_hand"] is True


def test_csv_has_the_same_columns_and_rows(client, published):
    response = client.get("/statistics.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(PUBLIC_COLUMNS)
    assert rows[0][: len(FIRST_COLUMNS)] == FIRST_COLUMNS
    json_items = client.get("/statistics.json").get_json()["items"]
    assert len(rows) == 1 + len(json_items)
    assert rows[2][:9] == ["BOL", "Bolsover", "2025-04-01", "2026-03-31", "2", "0", "1", "1", "2"]
    assert rows[3][PUBLIC_COLUMNS.index("applications_online")] == ""


def test_the_optional_figures_are_published_only_from_five_applications(client, area_staff, records, page_client):
    bolsover = area_staff("BOL")
    for day in (2, 3, 4, 5):
        records.application(bolsover["area"], date(2025, 6, day))
    with time_machine.travel(date(2026, 4, 2)):
        four = services.publish(
            bolsover["manager"], bolsover["area"], date(2025, 4, 1), date(2026, 3, 31), publish_extras=True
        )
        records.application(bolsover["area"], date(2025, 6, 6))
        five = services.publish(
            bolsover["manager"],
            bolsover["area"],
            date(2025, 4, 1),
            date(2026, 3, 31),
            note="A fifth application was entered late.",
            publish_extras=True,
        )
    db.session.commit()
    assert (four.figures["applications"], four.extras_published) == (4, False)
    assert (five.figures["applications"], five.extras_published) == (5, True)
    [item] = client.get("/statistics/BOL.json").get_json()["items"]
    assert item["applications_online"] == 5


def test_a_cell_that_a_spreadsheet_would_read_as_a_formula_is_escaped(client, area_staff, records):
    # The area's name is an administrator's, the note any manager's: both reach the public's Excel.
    bolsover = area_staff("BOL")
    bolsover["area"].name = '=HYPERLINK("http://evil.example/","Open figures")'
    records.application(bolsover["area"], date(2025, 6, 2))
    with time_machine.travel(date(2026, 4, 2)):
        services.publish(bolsover["manager"], bolsover["area"], date(2025, 4, 1), date(2026, 3, 31))
        services.publish(
            bolsover["manager"], bolsover["area"], date(2025, 4, 1), date(2026, 3, 31), note="=1+1 and a correction"
        )
    db.session.commit()
    for path in ("/statistics.csv", "/statistics/BOL.csv"):
        rows = list(csv.DictReader(io.StringIO(client.get(path).get_data(as_text=True))))
        cells = [value for row in rows for value in row.values() if value]
        assert '\'=HYPERLINK("http://evil.example/","Open figures")' in cells, path
        assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))], path


def test_only_published_figures_appear(client, area_staff, records):
    staff = area_staff("BOL")
    records.application(staff["area"], date(2025, 6, 2))
    services.compile(staff["coordinator"], staff["area"], date(2025, 4, 1), date(2026, 3, 31))
    db.session.commit()
    assert client.get("/statistics.json").get_json() == {"items": []}
    assert client.get("/statistics.csv").get_data(as_text=True).strip() == ",".join(PUBLIC_COLUMNS)
    page = client.get("/statistics")
    assert page.status_code == 200
    assert "No figures have been published yet" in page.get_data(as_text=True)


def test_public_page_shows_tables_charts_and_county_totals(client, published):
    response = client.get("/statistics")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert "<svg" in html
    assert 'role="img"' in html
    assert '<title id="chart-county-title">' in html
    assert ' style="' not in html
    assert "Figures for all areas added up, by reporting period" in html
    # County total for 2025/26: Bolsover version 2 (2 applications) plus North East Derbyshire (1).
    county = html.split("Figures for all areas added up")[1].split("</table>")[0]
    assert "2025/26" in county
    assert ">3<" in county
    assert "2016/17" in html
    assert "Bolsover CSP plan 2017-2020." in html
    assert "A letter received on 31 March was added." in html
    assert "/statistics.csv" in html
    assert "/statistics.json" in html
    assert "2024/25" not in html  # a draft only


def test_public_pages_need_no_sign_in_and_stay_fixed_in_queries(client, published, count_queries):
    for path in ("/statistics", "/statistics.json", "/statistics.csv"):
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        assert counter.count <= 3, (path, counter.statements)


# --- the staff page ------------------------------------------------------------------------------------


@time_machine.travel(date(2026, 5, 1))
def test_staff_page_shows_live_figures_versions_and_actions(page_client, published):
    manager = published["BOL"]["manager"]
    response = page_client(manager).get("/reports/statistics/?area=BOL&year=2025")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bolsover, 2025/26" in html
    assert "Approve and publish version 3" in html
    assert "Compile a draft" in html
    assert html.count("Version 2") >= 1
    assert "A letter received on 31 March was added." in html


@time_machine.travel(date(2026, 3, 31))
def test_staff_page_offers_no_publication_before_the_period_ends(page_client, area_staff):
    staff = area_staff("BOL")
    html = page_client(staff["manager"]).get("/reports/statistics/?area=BOL&year=2025").get_data(as_text=True)
    assert "can be published once the period has ended" in html
    assert "Approve and publish version" not in html


@pytest.mark.parametrize(
    ("role", "status"),
    [("coordinator", 200), ("manager", 200), ("officer", 403), ("chair", 403), ("partner", 403), ("admin", 403)],
)
def test_who_may_see_the_staff_page(page_client, area_staff, role, status):
    staff = area_staff("BOL")
    assert page_client(staff[role]).get("/reports/statistics/").status_code == status


def test_coordinator_sees_compile_but_not_publish(page_client, area_staff):
    staff = area_staff("BOL")
    html = page_client(staff["coordinator"]).get("/reports/statistics/?area=BOL&year=2024").get_data(as_text=True)
    assert "Compile a draft" in html
    assert "Approve and publish" not in html


def test_compile_from_the_page_shows_the_job(page_client, area_staff, records):
    staff = area_staff("BOL")
    records.application(staff["area"], date(2025, 6, 2))
    db.session.commit()
    client = page_client(staff["coordinator"])
    response = client.post(
        "/reports/statistics/compile",
        data={"area_code": "BOL", "period_start": "2025-04-01", "period_end": "2026-03-31"},
    )
    assert response.status_code == 302
    job_page = client.get(response.headers["Location"])
    html = job_page.get_data(as_text=True)
    assert "Done" in html
    assert "The draft figures" in html
    assert 'http-equiv="refresh"' not in html
    assert "data-refresh-seconds" not in html  # finished: nothing more to check
    assert "job-status." not in html


def test_the_progress_page_checks_again_while_the_job_runs_without_a_meta_refresh(page_client, area_staff):
    staff = area_staff("BOL")
    job = StatisticsJob(
        area=staff["area"],
        period_start=date(2025, 4, 1),
        period_end=date(2026, 3, 31),
        status=JobStatus.running,
        requested_by_id=staff["coordinator"].id,
    )
    db.session.add(job)
    db.session.commit()
    client = page_client(staff["coordinator"])
    html = client.get(f"/reports/statistics/jobs/{job.id}").get_data(as_text=True)
    # A meta refresh reloads the page and moves focus (axe "meta-refresh"): a module script updates
    # the status in place instead, and the link works without JavaScript.
    assert 'http-equiv="refresh"' not in html
    assert 'data-refresh-seconds="3"' in html
    # The checking script, under its fingerprinted name (js/job-status.<hash>.mjs).
    assert re.search(r"js/job-status\.[0-9a-f]+\.mjs", html)
    assert f'href="/reports/statistics/jobs/{job.id}">Check again</a>' in html
    assert "Running" in html
    stopped = client.get(f"/reports/statistics/jobs/{job.id}?refresh=off").get_data(as_text=True)
    assert "data-refresh-seconds" not in stopped
    assert "job-status." not in stopped
    assert "Check again" in stopped


def test_another_areas_job_answers_as_a_missing_one(page_client, area_staff):
    bolsover, ned = area_staff("BOL"), area_staff("NED")
    job = StatisticsJob(area=bolsover["area"], period_start=date(2025, 4, 1), period_end=date(2026, 3, 31))
    db.session.add(job)
    db.session.commit()
    client = page_client(ned["coordinator"])
    refused, missing = client.get(f"/reports/statistics/jobs/{job.id}"), client.get("/reports/statistics/jobs/999999")
    assert refused.status_code == missing.status_code == 404
    assert "No such compilation." in refused.text
    assert "Bolsover" not in refused.text


@time_machine.travel(date(2026, 5, 1))
def test_publish_from_the_page_and_a_correction_without_a_note_is_refused(page_client, published):
    client = page_client(published["BOL"]["manager"])
    form = {"area_code": "BOL", "period_start": "2025-04-01", "period_end": "2026-03-31"}
    refused = client.post("/reports/statistics/publish", data=form)
    assert refused.status_code == 422
    assert "a correction needs a note" in refused.get_data(as_text=True)
    done = client.post("/reports/statistics/publish", data={**form, "note": "Recounted after an audit."})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.max(StatisticsSnapshot.version))) == 3
    # Two applications: the extra figures asked for are not published, and the page says why.
    extras = {**form, "note": "Published again with the extras.", "publish_extras": "y"}
    page = client.post("/reports/statistics/publish", data=extras, follow_redirects=True).get_data(as_text=True)
    assert "The optional figures were not published: with fewer than 5 applications" in page


def test_coordinators_cannot_publish_from_the_page(page_client, published):
    response = page_client(published["BOL"]["coordinator"]).post(
        "/reports/statistics/publish",
        data={"area_code": "BOL", "period_start": "2025-04-01", "period_end": "2026-03-31"},
    )
    assert response.status_code == 403


# --- historic figures (admin) ------------------------------------------------------------------------


def test_admin_enters_historic_figures(page_client, area_staff):
    staff = area_staff("BOL")
    client = page_client(staff["admin"])
    assert client.get("/admin/statistics/historic").status_code == 200
    response = client.post(
        "/admin/statistics/historic",
        data={
            "area": "BOL",
            "year": "2020",
            "applications": "0",
            "threshold_not_met": "0",
            "reviews_carried_out": "0",
            "reviews_with_recommendations": "0",
            "note": "Scrutiny Committee, 2 March 2021.",
        },
    )
    assert response.status_code == 302
    snapshot = db.session.scalars(sa.select(StatisticsSnapshot)).one()
    assert (snapshot.source, snapshot.version, snapshot.period_start) == (
        SnapshotSource.entered_by_hand,
        1,
        date(2020, 4, 1),
    )


def test_historic_form_errors_write_nothing(page_client, area_staff):
    staff = area_staff("BOL")
    response = page_client(staff["admin"]).post(
        "/admin/statistics/historic",
        data={
            "area": "BOL",
            "year": "2020",
            "applications": "-1",
            "threshold_not_met": "0",
            "reviews_carried_out": "0",
            "reviews_with_recommendations": "0",
            "note": "",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Say where the figures come from" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatisticsSnapshot)) == 0


@pytest.mark.parametrize("role", ["manager", "coordinator", "officer"])
def test_only_admins_reach_the_historic_page(page_client, area_staff, role):
    assert page_client(area_staff("BOL")[role]).get("/admin/statistics/historic").status_code == 403


# --- demo data -----------------------------------------------------------------------------------------


def test_demo_historic_figures_are_loaded_once(make):
    from casework.statistics.demo import load_historic_statistics

    make.area("BOL", "Bolsover")
    make.area("NED", "North East Derbyshire")
    load_historic_statistics("unused")
    load_historic_statistics("unused")
    rows = db.session.scalars(sa.select(StatisticsSnapshot).order_by(StatisticsSnapshot.period_start)).all()
    assert [
        (r.area.code, r.period_start.year, r.version, r.figures["applications"], r.figures["threshold_not_met"])
        for r in rows
    ] == [("BOL", 2016, 1, 0, 0), ("BOL", 2020, 1, 0, 0), ("NED", 2022, 1, 2, 0)]
    assert all(r.source == SnapshotSource.entered_by_hand and r.note for r in rows)


def test_public_lists_run_the_same_queries_for_one_area_or_many(client, make, count_queries):
    def enter(area, year):
        services.enter_historic(
            None,
            area,
            date(year, 4, 1),
            date(year + 1, 3, 31),
            {"applications": 1, "threshold_not_met": 0, "reviews_carried_out": 1, "reviews_with_recommendations": 1},
            "From the annual report.",
        )
        db.session.commit()

    def counts():
        result = []
        for path in ("/statistics", "/statistics.json", "/statistics.csv"):
            with count_queries() as counter:
                assert client.get(path).status_code == 200
            result.append(counter.count)
        return result

    enter(make.area("A01"), 2018)
    small = counts()
    for n in range(2, 6):
        area = make.area(f"A0{n}")
        for year in (2016, 2017, 2018):
            enter(area, year)
    assert counts() == small


def test_staff_page_runs_the_same_queries_whatever_the_number_of_versions(page_client, area_staff, count_queries):
    staff = area_staff("BOL")
    client = page_client(staff["coordinator"])

    def compile_and_count(times):
        for _ in range(times):
            services.compile(staff["coordinator"], staff["area"], date(2024, 4, 1), date(2025, 3, 31))
            job = StatisticsJob(
                area=staff["area"], period_start=date(2024, 4, 1), period_end=date(2025, 3, 31), status=JobStatus.done
            )
            db.session.add(job)
        db.session.commit()
        with count_queries() as counter:
            assert client.get("/reports/statistics/?area=BOL&year=2024").status_code == 200
        return counter.count

    assert compile_and_count(1) == compile_and_count(5)


@time_machine.travel(date(2026, 5, 1))
def test_managers_dashboard_lists_figures_to_publish(page_client, area_staff):
    staff = area_staff("BOL")
    client = page_client(staff["manager"])
    html = client.get("/").get_data(as_text=True)
    assert "Case Review figures to publish" in html
    assert "Bolsover, 2025/26" in html
    services.publish(staff["manager"], staff["area"], date(2025, 4, 1), date(2026, 3, 31))
    db.session.commit()
    assert "Case Review figures to publish" not in client.get("/").get_data(as_text=True)


@time_machine.travel(date(2026, 5, 1))
def test_staff_page_takes_any_period_up_to_twelve_months(page_client, area_staff, records):
    staff = area_staff("BOL")
    records.application(staff["area"], date(2025, 12, 31))
    records.application(staff["area"], date(2026, 1, 1))
    db.session.commit()
    client = page_client(staff["manager"])
    html = client.get("/reports/statistics/?area=BOL&period_start=2025-01-01&period_end=2025-12-31").get_data(
        as_text=True
    )
    assert "Bolsover, 1 January 2025 to 31 December 2025" in html
    assert 'value="2025-12-31"' in html  # the publish form carries the period
    # Longer than 12 months: back to the financial year that has just ended.
    html = client.get("/reports/statistics/?area=BOL&period_start=2025-01-01&period_end=2026-01-01").get_data(
        as_text=True
    )
    assert "Bolsover, 2025/26" in html
