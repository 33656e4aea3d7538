"""The partnership report withholds its small counts (docs/rules.md): over a run of days short enough
to hold one case, a case hidden from the reader changes nothing in any of the report's outputs."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

DAY = "2025-06-10"
QUERY = f"period_start={DAY}&period_end={DAY}"


@pytest.fixture(autouse=True)
def small_counts_withheld(app: Any, monkeypatch: pytest.MonkeyPatch, every_count_shown: None) -> None:
    monkeypatch.setitem(app.config["CASEWORK"], "REPORT_SMALL_COUNT", 5)


@pytest.fixture
def setting(make, cases):
    bol, ned = make.area("BOL", "Bolsover"), make.area("NED", "North East Derbyshire")
    council = make.agency("CNCL", areas=[bol, ned])
    police = make.agency("POL", areas=[bol, ned], kind="police")
    manager = make.user("manager", agency=council)
    return {"bol": bol, "council": council, "police": police, "manager": manager}


def _hidden_case(cases, setting) -> Any:
    """A police case the council's manager may not see, with something of every kind on the day."""
    day = date.fromisoformat(DAY)
    victim = cases.person("Hidden Victim")
    case = cases.case(setting["bol"], setting["police"], day, victims=(victim,))
    cases.incident(case, day, ((setting["police"], day),))
    cases.intervention(case, setting["police"], "closure_order", day, breaches=(day,))
    cases.action(case, setting["police"], day, completed_on=day)
    cases.risk(case, day, "high", victim)
    return case


def _outputs(api_client, page_client, manager) -> dict[str, Any]:
    api, pages = api_client(manager), page_client(manager)
    result: dict[str, Any] = {}
    for where in ("area=BOL&", ""):
        body = api.get(f"/api/v1/reports/partnership?{where}{QUERY}").json
        result[f"api {where}"] = body
        html = pages.get(f"/reports/partnership/?{where}{QUERY}").get_data(as_text=True)
        main = html.split("<main", 1)[1].split("</main>", 1)[0]
        result[f"page {where}"] = re.sub(r'name="csrf_token" value="[^"]*"', "", main)
        for name in ("casework", "interventions", "breaches", "case_review", "first_contact", "open_age"):
            text = pages.get(f"/reports/partnership/tables/{name}.csv?{where}{QUERY}").get_data(as_text=True)
            result[f"csv {name} {where}"] = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        book = load_workbook(io.BytesIO(pages.get(f"/reports/partnership/report.xlsx?{where}{QUERY}").data))
        result[f"xlsx {where}"] = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    return result


def test_a_one_day_report_is_the_same_with_a_hidden_case_as_without(api_client, page_client, cases, setting):
    without = _outputs(api_client, page_client, setting["manager"])
    _hidden_case(cases, setting)
    with_hidden = _outputs(api_client, page_client, setting["manager"])
    for key, value in without.items():
        assert with_hidden[key] == value, key


def test_a_small_count_reads_fewer_than_5_and_is_null_in_the_api(api_client, page_client, cases, setting):
    _hidden_case(cases, setting)
    body = api_client(setting["manager"]).get(f"/api/v1/reports/partnership?area=BOL&{QUERY}").json
    assert body["small_count"] == 5
    figures = body["figures"]
    assert figures["cases_opened"] is None
    assert figures["incidents"] is None
    assert figures["interventions"] == {}
    assert figures["case_review"]["applications"] is None
    assert body["changes"]["cases_opened"]["difference"] is None
    html = page_client(setting["manager"]).get(f"/reports/partnership/?area=BOL&{QUERY}").get_data(as_text=True)
    assert "fewer than 5" in html
    assert "Closure order" not in html


def test_counts_of_5_or_more_are_shown(api_client, cases, setting):
    day = date.fromisoformat(DAY)
    for _ in range(5):
        cases.incident(cases.case(setting["bol"], setting["council"], day), day)
    body = api_client(setting["manager"]).get(f"/api/v1/reports/partnership?area=BOL&{QUERY}").json
    assert body["figures"]["cases_opened"] == 5
    assert body["figures"]["incidents"] == 5
    assert body["figures"]["incidents_by_category"] == {"personal": 5}
    # The year before had none: still withheld, so no change is worked out from it.
    assert body["previous"]["cases_opened"] is None
    assert body["changes"]["cases_opened"]["difference"] is None


def test_the_pdf_is_the_same_with_a_hidden_case_as_without(page_client, cases, setting):
    from casework.documents.layout import pdf_available

    if not pdf_available():
        pytest.skip("WeasyPrint cannot run here")
    pages = page_client(setting["manager"])
    without = pages.get(f"/reports/partnership/report.pdf?area=BOL&{QUERY}")
    _hidden_case(cases, setting)
    with_hidden = pages.get(f"/reports/partnership/report.pdf?area=BOL&{QUERY}")
    assert without.status_code == with_hidden.status_code == 200
    assert _pdf_text(without.data) == _pdf_text(with_hidden.data)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
