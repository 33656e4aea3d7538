"""The intervention pages: choose a kind, the form for each kind, rule blocks shown on the form, the
record with its dates and breach log, and who may use them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine
from flask import render_template

from casework.extensions import db
from casework.interventions.forms import KIND_FIELDS
from casework.interventions.models import Intervention


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def date_parts(name: str, day: int, month: int, year: int) -> dict[str, str]:
    return {f"{name}-day": str(day), f"{name}-month": str(month), f"{name}-year": str(year)}


def test_choose_a_kind_then_see_its_form(world, page_client):
    client = page_client(world.officer)
    page = client.get(f"/cases/{world.case.id}/interventions/new")
    assert page.status_code == 200
    assert "What are you recording?" in page.get_data(as_text=True)
    chosen = client.post(f"/cases/{world.case.id}/interventions/new", data={"kind": "cpw"})
    assert chosen.status_code == 302
    assert chosen.headers["Location"].endswith(f"/cases/{world.case.id}/interventions/new/cpw")
    assert client.post(f"/cases/{world.case.id}/interventions/new", data={}).status_code == 422


@pytest.mark.parametrize("kind", sorted(KIND_FIELDS))
def test_every_kind_has_a_form(world, page_client, kind):
    page = page_client(world.officer).get(f"/cases/{world.case.id}/interventions/new/{kind}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert 'name="issued_on-day"' in html
    main = html.split('id="main-content"')[1].split("</main>")[0]
    assert "<script" not in main
    assert "style=" not in main
    if kind == "abc":
        assert "not an offence" in html
        assert "is an offence" not in html


def test_record_a_warning_then_a_notice_blocked_on_the_compliance_day(world, page_client):
    client = page_client(world.officer)
    base = f"/cases/{world.case.id}/interventions/new"
    saved = client.post(
        f"{base}/cpw",
        data={
            "subject_person_id": str(world.adult.id),
            **date_parts("issued_on", 1, 11, 2026),
            **date_parts("comply_by", 15, 11, 2026),
            "requirements": "Stop the noise after 11pm",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    blocked = client.post(
        f"{base}/cpn", data={"subject_person_id": str(world.adult.id), **date_parts("issued_on", 15, 11, 2026)}
    )
    assert blocked.status_code == 422
    assert "the notice can be issued from the day after" in blocked.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Intervention)) == 1
    allowed = client.post(
        f"{base}/cpn", data={"subject_person_id": str(world.adult.id), **date_parts("issued_on", 16, 11, 2026)}
    )
    assert allowed.status_code == 302
    shown = client.get(allowed.headers["Location"])
    html = shown.get_data(as_text=True)
    assert "Appeal window closes" in html
    assert "6 December 2026" in html


def test_bad_dates_and_amounts_are_form_errors(world, page_client):
    client = page_client(world.officer)
    base = f"/cases/{world.case.id}/interventions/new"
    missing = client.post(
        f"{base}/warning_letter",
        data={
            "subject_person_id": str(world.adult.id),
            "issued_on-day": "31",
            "issued_on-month": "2",
            "issued_on-year": "2026",
        },
    )
    assert missing.status_code == 422
    assert "must be a real date" in missing.get_data(as_text=True)
    pspo = client.post(
        f"{base}/pspo",
        data={**date_parts("issued_on", 1, 1, 2026), **date_parts("ends_on", 1, 1, 2029), "location": "Park"},
    )
    assert pspo.status_code == 422
    assert "3 years" in pspo.get_data(as_text=True)


def test_closure_notice_time_of_service_on_the_form(world, page_client):
    client = page_client(world.officer)
    response = client.post(
        f"/cases/{world.case.id}/interventions/new/closure_notice",
        data={**date_parts("issued_on", 20, 11, 2026), "issued_time": "2:30pm", "location": "12 High Street"},
    )
    assert response.status_code == 302
    intervention = db.session.scalar(sa.select(Intervention))
    assert intervention.issued_at.isoformat() == "2026-11-20T14:30:00+00:00"
    assert intervention.key_dates["hearing_by"] == "2026-11-22T14:30:00+00:00"


def test_breach_log_and_status_on_the_page(world, page_client):
    client = page_client(world.officer)
    client.post(
        f"/cases/{world.case.id}/interventions/new/abc",
        data={"subject_person_id": str(world.adult.id), **date_parts("issued_on", 1, 10, 2026)},
    )
    abc = db.session.scalar(sa.select(Intervention))
    refused = client.post(
        f"/interventions/{abc.id}/breaches/new",
        data={**date_parts("occurred_on", 1, 9, 2026), "description": "Shouting"},
    )
    assert refused.status_code == 422
    saved = client.post(
        f"/interventions/{abc.id}/breaches/new",
        data={**date_parts("occurred_on", 1, 11, 2026), "description": "Shouting"},
    )
    assert saved.status_code == 302
    html = client.get(f"/interventions/{abc.id}").get_data(as_text=True)
    assert "Times the contract was not kept" in html
    assert "Shouting" in html
    assert "offence" in html
    assert "is an offence" not in html
    changed = client.post(f"/interventions/{abc.id}/status", data={"status": "complied", "version": "2"})
    assert changed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Intervention, abc.id).status.value == "complied"


@pytest.mark.parametrize(
    ("who", "status"), [("chair", 403), ("admin", 403), ("stranger", 404), ("unshared_partner", 404)]
)
def test_pages_refused(world, page_client, who, status):
    client = page_client(getattr(world, who))
    assert client.get(f"/cases/{world.case.id}/interventions/new/cpw").status_code == status


def test_case_section_renders(world, app, api_client):
    api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={"kind": "verbal_warning", "subject_person_id": world.adult.id, "issued_on": "2026-11-01"},
    )
    from casework.interventions.case_sections import interventions_section, interventions_timeline

    with app.test_request_context():
        html = render_template("interventions/_case_section.html", **interventions_section(world.case, world.officer))
    assert "Verbal warning" in html
    assert "Record a warning, notice or order" in html
    assert [e.title for e in interventions_timeline(world.case)] == ["Verbal warning issued to Adam Adult"]


def test_extend_a_pspo_on_the_page(world, page_client):
    client = page_client(world.officer)
    client.post(
        f"/cases/{world.case.id}/interventions/new/pspo",
        data={**date_parts("issued_on", 1, 1, 2026), **date_parts("ends_on", 31, 12, 2026), "location": "Park"},
    )
    pspo = db.session.scalar(sa.select(Intervention))
    assert "Extend" in client.get(f"/interventions/{pspo.id}").get_data(as_text=True)
    refused = client.post(f"/interventions/{pspo.id}/extend", data=date_parts("ends_on", 1, 1, 2030))
    assert refused.status_code == 422
    assert "3 years" in refused.get_data(as_text=True)
    assert client.post(f"/interventions/{pspo.id}/extend", data=date_parts("ends_on", 31, 12, 2029)).status_code == 302
