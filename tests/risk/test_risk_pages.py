"""Risk pages: take an assessment with GOV.UK radios, see the history, edit the questionnaire as admin."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine
from flask import render_template

from casework.extensions import db
from casework.risk.models import RiskAssessment, RiskQuestionnaire
from tests.support.risk_answers import ALL_NO


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def form_data(answers: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        **{f"q_{k}": v for k, v in answers.items()},
        "assessed_on-day": "23",
        "assessed_on-month": "11",
        "assessed_on-year": "2026",
        **extra,
    }


def test_take_an_assessment(world, page_client):
    client = page_client(world.officer)
    page = client.get(f"/cases/{world.case.id}/risk-assessments/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="q_threats_of_violence"' in html
    assert "Vera Victim" in html
    missing = dict(ALL_NO)
    del missing["afraid"]
    refused = client.post(f"/cases/{world.case.id}/risk-assessments/new", data=form_data(missing))
    assert refused.status_code == 422
    assert "Answer: Is the victim afraid" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskAssessment)) == 0
    saved = client.post(
        f"/cases/{world.case.id}/risk-assessments/new",
        data=form_data({**ALL_NO, "hate_motivated": "yes"}, victim_person_id=str(world.victim.id)),
    )
    assert saved.status_code == 302
    history = client.get(f"/cases/{world.case.id}/risk-assessments").get_data(as_text=True)
    assert "High" in history
    assert "Vera Victim" in history
    assert "7 December 2026" in history


@pytest.mark.parametrize(("who", "status"), [("chair", 403), ("admin", 403), ("stranger", 404)])
def test_pages_refused(world, page_client, who, status):
    client = page_client(getattr(world, who))
    assert client.get(f"/cases/{world.case.id}/risk-assessments").status_code == status


def test_admin_saves_a_new_version_for_an_area(world, page_client):
    client = page_client(world.admin)
    assert page_client(world.officer).get("/admin/risk-questionnaire").status_code == 403
    page = client.get("/admin/risk-questionnaire?area=BOL")
    assert page.status_code == 200
    assert "has no questionnaire of its own" in page.get_data(as_text=True)
    current = db.session.scalar(sa.select(RiskQuestionnaire))
    data = {
        "title": "Bolsover form",
        "medium_from": "6",
        "high_from": "12",
        "question-0-remove": "y",
        "new-text": "Has the victim's car been damaged?",
        "new-weight": "4",
    }
    for i, question in enumerate(current.questions):
        data[f"question-{i}-text"] = question["text"]
        for j, option in enumerate(question["options"]):
            data[f"question-{i}-option-{j}-weight"] = str(option["weight"])
            if option["forces_high"]:
                data[f"question-{i}-option-{j}-forces-high"] = "y"
    bad = client.post("/admin/risk-questionnaire?area=BOL", data={**data, "high_from": "6"})
    assert bad.status_code == 422
    saved = client.post("/admin/risk-questionnaire?area=BOL", data=data)
    assert saved.status_code == 302
    latest = db.session.scalar(sa.select(RiskQuestionnaire).where(RiskQuestionnaire.area_id == world.area.id))
    assert (latest.version, latest.medium_from, latest.high_from) == (1, 6, 12)
    assert latest.questions[0]["key"] == "hate_motivated"
    assert latest.questions[-1]["text"] == "Has the victim's car been damaged?"


def test_case_section_renders(world, app, api_client):
    from casework.risk.case_sections import risk_section, risk_timeline

    api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/risk-assessments",
        json={"answers": {**ALL_NO, "afraid": "yes", "repeat_victim": "yes", "isolated": "yes"}},
    )
    with app.test_request_context():
        html = render_template("risk/_case_section.html", **risk_section(world.case, world.officer))
    assert "Medium risk" in html
    assert "21 December 2026" in html
    assert risk_timeline(world.case)[0].title == "Risk assessed as medium"
