"""Notices to serve: CPWs, CPNs, fixed penalty notices and closure notices produced as tagged PDFs from
editable templates, carrying what the law says each must, recorded on the intervention when served
and kept as a document on the case."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from casework.audit.models import AuditEntry
from casework.core import storage
from casework.core.db import commit
from casework.documents import layout
from casework.documents.models import Document, DocumentKind, Letterhead
from casework.extensions import db
from casework.interventions import notices, services
from casework.interventions.models import Intervention, NoticeKind, NoticeTemplate, ServiceMethod
from casework.interventions.notice_templates import DEFAULT_TEMPLATES

TODAY = "2026-11-23T12:00:00+00:00"


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel(TODAY, tick=False):
        yield


def date_parts(name: str, day: int, month: int, year: int) -> dict[str, str]:
    return {f"{name}-day": str(day), f"{name}-month": str(month), f"{name}-year": str(year)}


def _record(world, **data):
    intervention, _warnings = services.create_intervention(world.officer, world.case, data)
    commit()
    return intervention


@pytest.fixture
def cpw(world):
    from datetime import date

    return _record(
        world,
        kind="cpw",
        subject_person_id=world.adult.id,
        issued_on=date(2026, 10, 1),
        comply_by=date(2026, 10, 20),
        prohibitions="Do not play amplified music after 11pm.",
    )


@pytest.fixture
def cpn(world, cpw):
    from datetime import date

    return _record(
        world,
        kind="cpn",
        subject_person_id=world.adult.id,
        issued_on=date(2026, 11, 18),
        comply_by=date(2026, 12, 2),
        prohibitions="Do not play amplified music audible outside the property after 11pm.",
        requirements="Remove the speakers from the front garden.",
    )


@pytest.fixture
def letterhead(world):
    row = Letterhead(
        area_id=world.area.id,
        name="Bolsover Community Safety Partnership",
        address="The Arc\nClowne\nS43 4JY",
        fixed_penalty_payment="Pay Bolsover District Council at The Arc, Clowne S43 4JY, online or by telephone.",
        housing_and_legal_advice="Citizens Advice Derbyshire Districts, 0808 278 7950.",
    )
    db.session.add(row)
    db.session.commit()
    return row


def _serve_form(**fields):
    return {
        "recipient_name": "Adam Adult",
        "recipient_address": "9 Station Road\nBolsover\nS44 6AA",
        **date_parts("served_on", 23, 11, 2026),
        "served_time": "10:15",
        "method": "by_hand",
        "served_by_name": "Olive Officer",
        **fields,
    }


def _pdf_text(document: Document) -> tuple[str, object]:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(storage.read(document.stored_file)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split()), reader


def _only_notice():
    db.session.expire_all()
    return db.session.scalar(sa.select(Document).where(Document.kind == DocumentKind.notice))


@pytest.fixture(autouse=True)
def _needs_pdf():
    if not layout.pdf_available():
        pytest.skip("WeasyPrint or the system Pango library is not installed")


def test_serve_a_cpn_from_the_intervention_page(world, page_client, cpn, letterhead, file_store):
    client = page_client(world.officer)
    page = client.get(f"/interventions/{cpn.id}").text
    assert "Produce and serve the community protection notice" in page
    form = client.get(f"/interventions/{cpn.id}/notice")
    assert form.status_code == 200
    assert 'value="Adam Adult"' in form.text
    preview = client.post(
        f"/interventions/{cpn.id}/notice", data=_serve_form(conduct="Loud music at night.", preview="y")
    )
    assert preview.status_code == 200
    assert "Preview" in preview.text
    assert "magistrates&#39; court within 21 days beginning with the day it was issued" in preview.text
    assert _only_notice() is None  # a preview keeps nothing
    response = client.post(
        f"/interventions/{cpn.id}/notice", data=_serve_form(conduct="Loud music at night.", serve="y")
    )
    assert response.status_code == 302, response.text
    db.session.expire_all()
    intervention = db.session.get(Intervention, cpn.id)
    assert intervention.service_method == ServiceMethod.by_hand
    assert intervention.served_by_id == world.officer.id
    assert intervention.served_by_name == "Olive Officer"
    assert intervention.notice_details["conduct"] == "Loud music at night."
    document = _only_notice()
    assert document.intervention_id == cpn.id
    assert document.case_id == world.case.id
    assert document.content_type == "application/pdf"
    assert document.stored_file.backend == file_store
    text, reader = _pdf_text(document)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    for phrase in (
        "Bolsover Community Safety Partnership",
        "Community Protection Notice",
        "Adam Adult",
        "9 Station Road",
        "The conduct: Loud music at night.",
        "You must stop: Do not play amplified music audible outside the property after 11pm.",
        "You must: Remove the speakers from the front garden.",
        "You must do this by 2 December 2026.",
        "within 21 days beginning with the day it was issued, that is by 8 December 2026",
        "is a criminal offence (section 48)",
        "a fixed penalty of up to £100",
        "Served by hand on 23 November 2026 at 10:15am by Olive Officer",
    ):
        assert phrase in text, phrase
    assert db.session.scalar(
        sa.select(AuditEntry.summary).where(AuditEntry.object_type == "interventions").order_by(AuditEntry.id.desc())
    ).startswith("Community Protection Notice served by hand by Olive Officer")
    page = client.get(f"/interventions/{cpn.id}").text
    assert "Served by hand on 23 November 2026 at 10:15am by Olive Officer" in page
    assert f"/documents/{document.id}" in page
    case_page = client.get(f"/cases/{world.case.id}").text
    assert document.filename in case_page
    again = client.post(f"/interventions/{cpn.id}/notice", data=_serve_form(conduct="Again.", serve="y"))
    assert again.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Document.id)).where(Document.kind == DocumentKind.notice)) == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"conduct": ""}, "conduct", "Describe the conduct the notice is about"),
        ({**date_parts("served_on", 17, 11, 2026)}, "served_on", "on or after the date of issue"),
        ({**date_parts("served_on", 24, 11, 2026)}, "served_on", "must be today or in the past"),
        ({"method": "post", "recipient_address": ""}, "recipient_address", "Enter the address it was left at"),
        ({"method": "fixed_to_premises"}, "method", "Only a closure notice is fixed to the premises"),
        ({"served_by_name": ""}, "served_by_name", "Enter who served it"),
        ({"served_time": "25:99"}, "served_time", "Enter a time like 14:30"),
    ],
)
def test_a_notice_that_cannot_be_served_as_entered_writes_nothing(world, page_client, cpn, fields, field, message):
    form = _serve_form(conduct="Loud music.", serve="y")
    form.update(fields)
    response = page_client(world.officer).post(f"/interventions/{cpn.id}/notice", data=form)
    assert response.status_code == 422
    assert message in response.text
    assert _only_notice() is None
    db.session.expire_all()
    assert db.session.get(Intervention, cpn.id).served_at is None


def test_a_cpw_says_what_to_stop_by_when_and_that_there_is_no_appeal(world, page_client, cpw, letterhead):
    response = page_client(world.officer).post(
        f"/interventions/{cpw.id}/notice",
        data=_serve_form(conduct="Loud music at night.", serve="y", method="post"),
    )
    assert response.status_code == 302, response.text
    text, _reader = _pdf_text(_only_notice())
    assert "You have until 20 October 2026 to do this." in text
    assert "a Community Protection Notice will be issued to you" in text
    assert "There is no right of appeal against a warning." in text
    assert "Served by post" in text


def test_a_fixed_penalty_notice_needs_how_to_pay_and_says_the_14_days(world, page_client, cpn):
    from datetime import date

    services.record_breach(world.officer, cpn, date(2026, 11, 20), "Music until 2am on Friday night.")
    commit()
    fpn = _record(
        world,
        kind="fpn",
        subject_person_id=world.adult.id,
        issued_on=date(2026, 11, 22),
        related_intervention_id=cpn.id,
        amount=Decimal("100"),
        discount_amount=Decimal("75"),
        discount_days=10,
    )
    client = page_client(world.officer)
    form = client.get(f"/interventions/{fpn.id}/notice").text
    assert "On 20 November 2026: Music until 2am on Friday night." in form  # the breach, to start from
    refused = client.post(f"/interventions/{fpn.id}/notice", data=_serve_form(particulars="Music at 2am.", serve="y"))
    assert refused.status_code == 422
    assert "must say who to pay and how" in refused.text
    db.session.add(
        Letterhead(area_id=None, name="Derbyshire", fixed_penalty_payment="Pay Bolsover District Council, The Arc.")
    )
    db.session.commit()
    response = client.post(f"/interventions/{fpn.id}/notice", data=_serve_form(particulars="Music at 2am.", serve="y"))
    assert response.status_code == 302, response.text
    text, _reader = _pdf_text(_only_notice())
    for phrase in (
        "Fixed Penalty Notice under section 52",
        "failing to comply with the Community Protection Notice issued on 18 November 2026",
        "Particulars of the offence: Music at 2am.",
        "The fixed penalty is £100.",
        "If you pay within 10 days, by 2 December 2026, you may pay £75 instead.",
        "the period of 14 days following the date of this notice, which ends on 6 December 2026",
        "you cannot be convicted of the offence",
        "How to pay: Pay Bolsover District Council, The Arc.",
    ):
        assert phrase in text, phrase


def test_a_closure_notice_states_the_hearing_within_the_time_allowed_and_where_to_get_advice(
    world, page_client, api_client
):
    with time_machine.travel("2026-11-23T09:00:00+00:00", tick=False):
        response = api_client(world.officer).post(
            f"/api/v1/cases/{world.case.id}/interventions",
            json={
                "kind": "closure_notice",
                "issued_on": "2026-11-23",
                "issued_at": "2026-11-23T08:30:00+00:00",
                "location": "Flat 2, 9 Station Road, Bolsover",
            },
        )
    assert response.status_code == 201, response.get_json()
    notice_id = response.get_json()["id"]
    client = page_client(world.officer)
    form = {
        "recipient_name": "The occupiers",
        "recipient_address": "Flat 2, 9 Station Road, Bolsover",
        "method": "fixed_to_premises",
        "served_by_name": "PC 123 Smith",
        "court": "Chesterfield Magistrates' Court",
        **date_parts("hearing_on", 26, 11, 2026),
        "hearing_time": "9:30am",
        "serve": "y",
    }
    late = client.post(f"/interventions/{notice_id}/notice", data=form)
    assert late.status_code == 422
    assert "The application must be heard by 25 November 2026 at 8:30am" in late.text
    form.update(date_parts("hearing_on", 24, 11, 2026))
    no_advice = client.post(f"/interventions/{notice_id}/notice", data=form)
    assert no_advice.status_code == 422
    assert "where to get advice about housing and legal matters" in no_advice.text
    db.session.add(
        Letterhead(area_id=world.area.id, name="Bolsover CSP", housing_and_legal_advice="Shelter, 0808 800 4444.")
    )
    db.session.commit()
    served = client.post(f"/interventions/{notice_id}/notice", data=form)
    assert served.status_code == 302, served.text
    db.session.expire_all()
    intervention = db.session.get(Intervention, notice_id)
    assert intervention.served_at == intervention.issued_at
    assert intervention.service_method == ServiceMethod.fixed_to_premises
    text, _reader = _pdf_text(_only_notice())
    for phrase in (
        "Closure Notice under section 76",
        "The premises: Flat 2, 9 Station Road, Bolsover",
        "nobody may enter or remain on the premises except people who habitually live there and the owner",
        "until 24 November 2026 at 8:30am",
        "is a criminal offence (section 86)",
        "will be heard on 24 November 2026 at 9:30am at Chesterfield Magistrates' Court",
        "Where to get advice about housing and legal matters: Shelter, 0808 800 4444.",
    ):
        assert phrase in text, phrase


def test_who_may_serve(world, page_client, cpn, letterhead):
    form = _serve_form(conduct="Loud music.", serve="y")
    assert page_client(world.stranger).get(f"/interventions/{cpn.id}/notice").status_code == 404
    assert page_client(world.stranger).post(f"/interventions/{cpn.id}/notice", data=form).status_code == 404
    assert page_client(world.admin).get(f"/interventions/{cpn.id}/notice").status_code == 403
    # The police force the case is shared with may serve it.
    assert page_client(world.partner).post(f"/interventions/{cpn.id}/notice", data=form).status_code == 302


def test_only_warnings_and_notices_are_served_from_here(world, page_client):
    from datetime import date

    abc = _record(world, kind="abc", subject_person_id=world.adult.id, issued_on=date(2026, 11, 1))
    assert page_client(world.officer).get(f"/interventions/{abc.id}/notice").status_code == 404


# --- the templates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_default_template_fills_in_and_is_not_hard_wrapped(kind):
    rendered = notices.render(*DEFAULT_TEMPLATES[kind.value], notices.sample_context(kind))
    for block in layout.letter_blocks(rendered.body):
        if block.kind == "paragraph":
            assert len(block.lines) == 1, block.lines
    assert "Signed: Olive Officer, Bolsover District Council" in rendered.body


def test_an_area_template_is_used_and_a_template_that_fails_on_made_up_notices_is_refused(
    world, page_client, cpn, letterhead
):
    admin = page_client(world.admin)
    assert admin.get("/admin/notice-templates/").status_code == 200
    page = admin.get("/admin/notice-templates/cpn?area=BOL")
    assert page.status_code == 200
    assert "Your right to appeal" in page.text
    bad = admin.post(
        "/admin/notice-templates/cpn?area=BOL", data={"title": "CPN", "body": "{{ notice.nothing }}", "save": "y"}
    )
    assert bad.status_code == 422
    assert "cannot be filled in with the example" in bad.text
    body = DEFAULT_TEMPLATES["cpn"][1] + "\n\nBolsover's own closing paragraph."
    saved = admin.post(
        "/admin/notice-templates/cpn?area=BOL", data={"title": "Community Protection Notice", "body": body, "save": "y"}
    )
    assert saved.status_code == 302
    response = page_client(world.officer).post(
        f"/interventions/{cpn.id}/notice", data=_serve_form(conduct="Music.", serve="y")
    )
    assert response.status_code == 302
    text, _reader = _pdf_text(_only_notice())
    assert "Bolsover's own closing paragraph." in text
    # A CPN has no hearing: a template that needs one is refused on the made-up CPN, never a served one.
    needs_hearing = body + "\n\n{{ notice.hearing_at.year }}"
    refused = admin.post(
        "/admin/notice-templates/cpn?area=BOL", data={"title": "CPN", "body": needs_hearing, "save": "y"}
    )
    assert refused.status_code == 422
    assert "cannot be filled in with the example" in refused.text
    assert "Adam Adult" not in refused.text  # never quotes the real notice
    assert db.session.scalar(sa.select(NoticeTemplate.body)) == body
    assert page_client(world.officer).get("/admin/notice-templates/").status_code == 403


def test_a_notice_served_today_without_a_time_can_be_recorded_in_the_morning(world, page_client, cpn):
    """Stored at noon when no time is given, it is judged by its day: at 08:00 it is not "in the future";
    a time later than now still is."""
    with time_machine.travel("2026-11-23T08:00:00+00:00", tick=False):
        client = page_client(world.officer)
        untimed = client.post(
            f"/interventions/{cpn.id}/notice",
            data=_serve_form(conduct="Loud music at night.", served_time="", preview="y"),
        )
        assert untimed.status_code == 200, untimed.text
        assert "cannot be in the future" not in untimed.text
        later_today = client.post(
            f"/interventions/{cpn.id}/notice",
            data=_serve_form(conduct="Loud music at night.", served_time="10:15", preview="y"),
        )
        assert later_today.status_code == 422
        assert "The date of service cannot be in the future" in later_today.text
