"""The partnership report through the API and the pages, per role: managers of an agency covering the
area see it; every other role is refused; an area out of the manager's reach is not found."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

QUERY = "period_start=2025-04-01&period_end=2026-03-31"


@pytest.fixture
def manager(make, fixed_data):
    return make.user("manager", agency=fixed_data["council"])


def test_an_area_report_answers_in_the_api_shape(api_client, manager):
    response = api_client(manager).get(f"/api/v1/reports/partnership?area=BOL&{QUERY}")
    assert response.status_code == 200, response.json
    body = response.json
    assert {"area", "period_start", "period_end", "figures", "previous"} <= set(body)
    assert body["area"] == "BOL"
    assert (body["period_start"], body["period_end"]) == ("2025-04-01", "2026-03-31")
    figures = body["figures"]
    assert figures["cases_opened"] == 2
    assert figures["cases_closed"] == 1
    assert figures["open_at_end"] == 3
    assert figures["incidents"] == 7
    assert figures["complaints"] == 5
    assert figures["repeat_victims"] == 1
    assert figures["interventions"] == {"cpn": 1, "cpw": 1, "warning_letter": 1}
    assert figures["case_review"]["applications"] == 1
    assert figures["case_review"]["threshold_not_met"] == 1
    assert body["previous"]["incidents"] == 1
    assert body["previous"]["interventions"] == {"cpn": 1}
    assert body["changes"]["incidents"]["words"] == "up 600% on 2024/25"
    assert body["areas"] == []


def test_without_an_area_every_area_of_the_agency_is_added_up(api_client, manager):
    body = api_client(manager).get(f"/api/v1/reports/partnership?{QUERY}").json
    assert body["area"] is None
    assert body["figures"]["incidents"] == 8
    assert body["figures"]["repeat_victims"] == 2
    assert [item["area"] for item in body["areas"]] == ["BOL", "NED"]
    assert body["areas"][1]["figures"]["incidents"] == 1


def test_an_area_the_agency_does_not_cover_is_not_found(api_client, make, manager):
    make.area("AMB", "Amber Valley")
    assert api_client(manager).get(f"/api/v1/reports/partnership?area=AMB&{QUERY}").status_code == 404
    assert api_client(manager).get(f"/api/v1/reports/partnership?area=ZZZ&{QUERY}").status_code == 404


@pytest.mark.parametrize("role", ["officer", "coordinator", "chair", "partner", "admin", "dpo"])
def test_other_roles_are_refused(api_client, page_client, make, fixed_data, role):
    user = make.user(role, agency=fixed_data["council"])
    assert api_client(user).get(f"/api/v1/reports/partnership?area=BOL&{QUERY}").status_code == 403
    assert page_client(user).get(f"/reports/partnership/?area=BOL&{QUERY}").status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period_start=2026-04-01&period_end=2026-03-31", "period_end"),
        ("period_start=2015-04-01&period_end=2026-03-31", "period_end"),
        ("period_start=2025-02-30&period_end=2026-03-31", "period_start"),
        ("period_start=1800-01-01&period_end=2026-03-31", "period_start"),
    ],
)
def test_a_bad_period_is_refused_with_a_message(api_client, manager, query, field):
    response = api_client(manager).get(f"/api/v1/reports/partnership?area=BOL&{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_the_page_shows_charts_with_a_table_under_each(page_client, manager):
    response = page_client(manager).get(f"/reports/partnership/?area=BOL&{QUERY}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bolsover, 2025/26" in html
    assert html.count('<svg class="app-chart__svg"') >= 5
    assert html.count('<table class="govuk-table">') == 9
    assert "Up 600% on 2024/25 (+6)" in html
    assert "<script" not in html.split("</main>")[0].split("<main")[1]
    assert " style=" not in html


def test_the_county_page_has_each_area(page_client, manager):
    html = page_client(manager).get(f"/reports/partnership/?{QUERY}").get_data(as_text=True)
    assert "All areas: Bolsover, North East Derbyshire" in html
    assert 'id="areas"' in html


def test_each_table_downloads_as_csv(page_client, manager):
    client = page_client(manager)
    response = client.get(f"/reports/partnership/tables/casework.csv?area=BOL&{QUERY}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Figure", "2025/26", "2024/25", "Change", "Change in words"]
    assert rows[4] == ["Incidents", "7", "1", "6", "up 600% on 2024/25"]
    response = client.get(f"/reports/partnership/tables/areas.csv?{QUERY}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset named once
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[0] for row in rows[1:]] == ["Bolsover", "North East Derbyshire"]
    assert client.get(f"/reports/partnership/tables/nope.csv?{QUERY}").status_code == 404


def test_the_workbook_has_every_table(page_client, manager):
    response = page_client(manager).get(f"/reports/partnership/report.xlsx?{QUERY}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert len(book.sheetnames) == 10  # nine tables and each area
    sheet = book[book.sheetnames[0]]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[4][:3] == ("Incidents", 8, 1)


def test_the_pdf_is_a_committee_report(page_client, manager):
    from casework.documents.layout import pdf_available

    if not pdf_available():
        pytest.skip("WeasyPrint cannot run here")
    response = page_client(manager).get(f"/reports/partnership/report.pdf?area=BOL&{QUERY}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_the_default_period_is_the_financial_year_to_date(api_client, manager):
    from casework.core.time import today
    from casework.statistics.services import financial_year

    body = api_client(manager).get("/api/v1/reports/partnership?area=BOL").json
    assert body["period_start"] == financial_year(today())[0].isoformat()
    assert date.fromisoformat(body["period_end"]) >= today()


def test_the_workbook_leaves_out_control_characters_in_names(page_client, manager):
    """An area's name with a control character in it (typed through the API) does not stop the
    workbook: the cell goes through the same writer as every export's."""
    from casework.accounts.models import Area
    from casework.extensions import db

    area = db.session.scalar(db.select(Area).where(Area.code == "BOL"))
    area.name = "Bolsover\x0bDistrict\x1b"
    db.session.commit()
    response = page_client(manager).get(f"/reports/partnership/report.xlsx?{QUERY}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    cells = [cell for name in book.sheetnames for row in book[name].iter_rows(values_only=True) for cell in row]
    assert "Bolsover\nDistrict" in cells
