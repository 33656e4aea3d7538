"""The Derbyshire templates as structured records (issue 11 item 8), each with its printable page and
PDF: the meeting's agenda with the standard items, the action plan with the victim's view of each
recommendation, the perpetrator proportionality assessment (each factor with a note, and a
conclusion), the county forum's lessons-learnt review, and the area setting for a complainant with many
applications (recorded on the application, never a refusal)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.accounts.services import update_area_settings
from casework.community_triggers import review_papers, services
from casework.community_triggers.models import RepeatHandling, TriggerApplication
from casework.core.errors import InvalidInput
from casework.extensions import db
from tests.conftest import csrf_from


@pytest.fixture
def arranged(ct):
    application = ct.register()
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    meeting = services.arrange_meeting(ct.coordinator, application, scheduled_on=date(2026, 3, 20), chair=ct.chair)
    db.session.commit()
    return meeting


@pytest.fixture
def held(ct, arranged):
    with time_machine.travel("2026-03-23 12:00 +00:00", tick=False):
        services.record_outcome(
            ct.chair,
            arranged,
            held_on=date(2026, 3, 20),
            minutes="Minutes.",
            victim_invited=True,
            recommendations=[
                {"text": "Serve a Community Protection Warning.", "agency": ct.council, "due_on": date(2026, 4, 30)},
                {"text": "Evening patrols for six weeks.", "agency": ct.police, "due_on": date(2026, 5, 15)},
            ],
        )
        db.session.commit()
        yield arranged


def url(meeting, tail: str = "") -> str:
    return f"/api/v1/triggers/{meeting.application_id}/meetings/{meeting.id}{tail}"


# --- the agenda ----------------------------------------------------------------------------------------


def test_the_standard_agenda_is_set_out_when_the_meeting_is_arranged(ct, arranged, api_client):
    items = (
        api_client(ct.coordinator)
        .get(f"/api/v1/triggers/{arranged.application_id}")
        .json["meetings"][0]["agenda_items"]
    )
    assert [i["title"] for i in items] == [title for title, _lead in review_papers.STANDARD_AGENDA]
    assert [i["position"] for i in items] == list(range(1, len(review_papers.STANDARD_AGENDA) + 1))
    assert items[5] == {
        "position": 6,
        "title": "Perpetrator proportionality assessment",
        "lead": "Chair",
        "notes": None,
    }


def test_the_agenda_is_replaced_through_the_api_by_the_coordinator_or_the_chair(ct, arranged, api_client):
    for who in (ct.coordinator, ct.chair):
        response = api_client(who).patch(
            url(arranged),
            json={"agenda_items": [{"title": "Introductions", "lead": "Chair"}, {"title": "The victim's views"}]},
        )
        assert response.status_code == 200, response.json
        assert [i["title"] for i in response.json["agenda_items"]] == ["Introductions", "The victim's views"]
    refused = api_client(ct.officer).patch(url(arranged), json={"agenda_items": [{"title": "Mine"}]})
    assert refused.status_code == 403


def test_an_agenda_needs_at_least_one_item(ct, arranged):
    with pytest.raises(InvalidInput, match="at least one item"):
        review_papers.save_agenda(ct.coordinator, arranged, [{"title": " "}])
    with pytest.raises(InvalidInput) as refused:
        review_papers.save_agenda(ct.coordinator, arranged, [{"title": "", "notes": "Orphaned notes"}])
    assert "agenda_items.0.title" in refused.value.errors


def test_the_agenda_page_edits_and_prints(ct, arranged, page_client):
    client = page_client(ct.chair)
    edit = f"/case-reviews/{arranged.application_id}/meetings/{arranged.id}/agenda"
    html = client.get(edit).get_data(as_text=True)
    assert "Welcome, introductions and apologies" in html
    data = {"csrf_token": csrf_from(html), "items-0-title": "Introductions", "items-0-lead": "Chair", "save": "y"}
    response = client.post(edit, data=data)
    assert response.status_code == 302
    printed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ASB Case Review meeting: agenda" in printed
    assert "Introductions" in printed
    assert "Welcome, introductions and apologies" not in printed
    pdf = client.get(f"/case-reviews/{arranged.application_id}/meetings/{arranged.id}/agenda.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


# --- the proportionality assessment --------------------------------------------------------------------


ASSESSMENT = {
    "subject_name": "The tenant of number 12",
    "age_note": "In his forties.",
    "vulnerability_note": "No known vulnerability.",
    "consequences_note": "A housing association tenant: eviction would make his children homeless.",
    "previous_interventions_note": "Two warning letters; the noise stopped for three weeks after each.",
    "victim_view_note": "She wants the noise to stop, not an eviction.",
    "conclusion": "A Community Protection Warning is proportionate; a closure order is not.",
    "assessed_on": "2026-03-20",
}


def test_the_assessment_records_each_factor_and_the_conclusion(ct, held, api_client):
    response = api_client(ct.chair).post(url(held, "/proportionality-assessments"), json=ASSESSMENT)
    assert response.status_code == 201, response.json
    body = response.json
    assert {k: body[k] for k in ASSESSMENT if k != "assessed_on"} == {
        k: v for k, v in ASSESSMENT.items() if k != "assessed_on"
    }
    meeting = api_client(ct.coordinator).get(f"/api/v1/triggers/{held.application_id}").json["meetings"][0]
    assert meeting["proportionality_assessments"][0]["conclusion"] == ASSESSMENT["conclusion"]


def test_the_assessments_audit_summary_does_not_name_the_person_assessed(ct, held, api_client):
    from casework.audit.models import AuditEntry

    response = api_client(ct.chair).post(url(held, "/proportionality-assessments"), json=ASSESSMENT)
    assert response.status_code == 201, response.json
    summaries = db.session.scalars(
        sa.select(AuditEntry.summary).where(AuditEntry.summary.like("Proportionality assessment%"))
    ).all()
    assert summaries
    # The summary is hash-chained and never erased: the name may be only among the erasable values.
    assert not [summary for summary in summaries if ASSESSMENT["subject_name"] in summary]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"conclusion": ""}, "conclusion"),
        (dict.fromkeys(review_papers.FACTOR_FIELDS), "factors"),
        ({"assessed_on": "2026-03-09"}, "assessed_on"),  # before the meeting was arranged (10 March)
        ({"assessed_on": "2026-03-24"}, "assessed_on"),  # in the future
        ({"person_id": 999999}, "person_id"),  # the API names the subject; it takes no person id
    ],
)
def test_an_assessment_without_its_parts_is_refused(ct, held, api_client, change, field):
    response = api_client(ct.coordinator).post(url(held, "/proportionality-assessments"), json={**ASSESSMENT, **change})
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_the_page_offers_the_perpetrators_of_the_linked_cases_and_nobody_else(ct, page_client):
    from casework.cases.models import CaseParty, PartyRole, Person

    case = ct.case()
    dean = Person(name="Dean Example", normalised_name="dean example")
    stranger = Person(name="Stella Stranger", normalised_name="stella stranger")
    db.session.add_all([dean, stranger])
    db.session.flush()
    db.session.add(CaseParty(case_id=case.id, person_id=dean.id, role=PartyRole.perpetrator))
    db.session.commit()
    application = ct.register(case_ids=[case.id])
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    meeting = services.arrange_meeting(ct.coordinator, application, scheduled_on=date(2026, 3, 20), chair=ct.chair)
    db.session.commit()
    client = page_client(ct.coordinator)
    new = f"/case-reviews/{application.id}/meetings/{meeting.id}/proportionality/new"
    html = client.get(new).get_data(as_text=True)
    assert "Dean Example" in html
    assert "Stella Stranger" not in html
    data = {
        "conclusion": "A warning is proportionate.",
        "age_note": "Adult.",
        "assessed_on-day": "10",
        "assessed_on-month": "3",
        "assessed_on-year": "2026",
    }
    refused = client.post(new, data={**data, "person": str(stranger.id)})
    assert refused.status_code == 422
    assert "Stella Stranger" not in refused.get_data(as_text=True)
    response = client.post(new, data={**data, "person": str(dean.id)})
    assert response.status_code == 302, response.get_data(as_text=True)
    [assessment] = db.session.get(type(meeting), meeting.id).proportionality_assessments
    assert (assessment.person_id, assessment.subject_name) == (dean.id, "Dean Example")
    # The audit entry, about the assessment, names the person picked by number (their name is among its
    # changes), as it does not name a typed one at all.
    from casework.audit.models import AuditEntry

    summaries = db.session.scalars(
        sa.select(AuditEntry.summary).where(AuditEntry.summary.like("Proportionality assessment%"))
    ).all()
    assert summaries == [f"Proportionality assessment of person {dean.id} for {application.reference}"]
    # The chair, from another agency, cannot open the case: its names are not offered to them.
    chairs_page = page_client(ct.chair).get(new)
    assert chairs_page.status_code == 200
    assert "Dean Example" not in chairs_page.get_data(as_text=True)


def test_the_assessment_pages_record_and_print_it(ct, held, page_client):
    client = page_client(ct.coordinator)
    new = f"/case-reviews/{held.application_id}/meetings/{held.id}/proportionality/new"
    html = client.get(new).get_data(as_text=True)
    assert "Vulnerability and capacity" in html
    data = {
        "csrf_token": csrf_from(html),
        "person": "",
        "subject_name": "The tenant of number 12",
        "consequences_note": "Eviction would make his children homeless.",
        "conclusion": "A warning is proportionate.",
        "assessed_on-day": "20",
        "assessed_on-month": "3",
        "assessed_on-year": "2026",
    }
    response = client.post(new, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    printed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Perpetrator proportionality assessment" in printed
    assert "Housing and other consequences" in printed
    assert "Eviction would make his children homeless." in printed
    assert "Not noted" in printed  # the factors left empty say so
    assert client.get(
        response.headers["Location"].replace("/proportionality/", "/proportionality/") + ".pdf"
    ).data.startswith(b"%PDF")
    missing = client.post(new, data={**data, "conclusion": ""})
    assert missing.status_code == 422
    assert "Enter the conclusion" in missing.get_data(as_text=True)


# --- the action plan and the victim's view -------------------------------------------------------------


def test_the_victims_view_of_each_recommendation_goes_in_the_action_plan(ct, held, api_client, page_client):
    response = api_client(ct.coordinator).post(
        url(held, "/victim-consultation"),
        json={
            "consulted_on": "2026-03-23",
            "notes": "By phone.",
            "views": [{"number": 1, "view": "Yes, and tell me when it is served."}],
        },
    )
    assert response.status_code == 200, response.json
    assert [r["victim_view"] for r in response.json["recommendations"]] == [
        "Yes, and tell me when it is served.",
        None,
    ]
    plan = page_client(ct.chair).get(f"/case-reviews/{held.application_id}/meetings/{held.id}/action-plan")
    html = plan.get_data(as_text=True)
    assert plan.status_code == 200
    for text in (
        "Serve a Community Protection Warning.",
        ct.council.name,
        "Yes, and tell me when it is served.",
        "Not recorded",
    ):
        assert text in html
    assert "The victim was consulted on this plan on 23 March 2026." in html


def test_a_view_of_a_recommendation_the_plan_does_not_have_is_refused(ct, held, api_client):
    response = api_client(ct.coordinator).post(
        url(held, "/victim-consultation"),
        json={"consulted_on": "2026-03-23", "views": [{"number": 3, "view": "No"}]},
    )
    assert response.status_code == 422
    assert response.json["errors"]["views.0.number"] == ["The action plan has 2 recommendations."]


# --- the county forum's lessons-learnt review ----------------------------------------------------------


def lessons(application_id: int) -> str:
    return f"/api/v1/triggers/{application_id}/lessons-reviews"


LESSONS = {
    "forum": "Derbyshire and Derby City ASB Forum",
    "reviewed_on": "2026-03-23",
    "lessons": "Ask every agency for its information on the day the application arrives.",
    "shared_with": "Every CSP in the county",
}


def test_the_forum_reviews_a_concluded_review_only(ct, arranged, api_client):
    client = api_client(ct.coordinator)
    # Dated today (the lessons date may not be in the future): refused for the missing meeting alone.
    early = client.post(lessons(arranged.application_id), json={**LESSONS, "reviewed_on": "2026-03-10"})
    assert early.status_code == 422
    assert "no review meeting has been held" in early.json["errors"]["_rule"][0]
    with time_machine.travel("2026-03-23 12:00 +00:00", tick=False):
        services.record_outcome(ct.chair, arranged, held_on=date(2026, 3, 20), minutes="m", victim_invited=True)
        db.session.commit()
        client = api_client(ct.coordinator)  # a token for the new day
        before_meeting = client.post(lessons(arranged.application_id), json={**LESSONS, "reviewed_on": "2026-03-19"})
        assert before_meeting.status_code == 422
        assert "reviewed_on" in before_meeting.json["errors"]
        on_the_day = client.post(lessons(arranged.application_id), json={**LESSONS, "reviewed_on": "2026-03-20"})
        assert on_the_day.status_code == 201, on_the_day.json
    body = client.get(f"/api/v1/triggers/{arranged.application_id}").json
    assert body["lessons_reviews"][0]["forum"] == "Derbyshire and Derby City ASB Forum"
    assert api_client(ct.chair).post(lessons(arranged.application_id), json=LESSONS).status_code == 403


def test_the_lessons_page(ct, held, page_client):
    client = page_client(ct.coordinator)
    page_url = f"/case-reviews/{held.application_id}/lessons"
    html = client.get(page_url).get_data(as_text=True)
    response = client.post(
        page_url,
        data={
            "csrf_token": csrf_from(html),
            "forum": "Derbyshire and Derby City ASB Forum",
            "reviewed_on-day": "23",
            "reviewed_on-month": "3",
            "reviewed_on-year": "2026",
            "lessons": "None: the agencies responded well.",
        },
    )
    assert response.status_code == 302
    application_page = client.get(f"/case-reviews/{held.application_id}").get_data(as_text=True)
    assert "None: the agencies responded well." in application_page


# --- a complainant with many applications ---------------------------------------------------------------


def repeat_setting(ct, count: int = 2, handling: str = "read_together") -> None:
    update_area_settings(
        ct.admin,
        ct.area,
        {"repeat_applications_count": count, "repeat_applications_handling": handling},
        date(2025, 1, 1),
    )
    db.session.commit()


def register(api_client, ct, **overrides):
    response = api_client(ct.coordinator).post("/api/v1/triggers", json=ct.body(**overrides))
    assert response.status_code == 201, response.json  # never refused
    return response.json


def test_off_by_default(ct, api_client):
    register(api_client, ct, received_on="2026-01-05", complaints=[])
    second = register(api_client, ct, complaints=[])
    assert (second["earlier_applications"], second["repeat_handling"]) == (None, None)


def test_the_second_application_is_recorded_with_the_areas_handling_and_still_goes_ahead(ct, api_client):
    repeat_setting(ct)
    first = register(api_client, ct, received_on="2026-01-05", complaints=[])
    assert first["repeat_handling"] is None
    second = register(api_client, ct)
    assert (second["earlier_applications"], second["repeat_handling"]) == (1, "read_together")
    assert second["status"] == "received"
    assert second["threshold"]["met_automatically"] is True  # the threshold is decided as for anyone


@pytest.mark.parametrize(("earlier_on", "counted"), [("2025-03-03", True), ("2025-03-02", False)])
def test_earlier_applications_count_within_the_months_beginning_with_them(ct, api_client, earlier_on, counted):
    """Twelve months beginning with 3 March 2025 end on 2 March 2026, the day the new one arrives."""
    repeat_setting(ct)
    register(api_client, ct, received_on=earlier_on, complaints=[])
    second = register(api_client, ct)
    assert (second["repeat_handling"] is not None) is counted


def test_the_same_applicant_is_matched_by_email_or_else_by_name(ct, api_client):
    repeat_setting(ct)
    register(api_client, ct, received_on="2026-01-05", complaints=[])
    other_email = register(
        api_client, ct, applicant={"name": "Jane Smith", "email": "someone.else@example.org"}, complaints=[]
    )
    assert other_email["repeat_handling"] is None
    by_name = register(api_client, ct, applicant={"name": "  jane   SMITH "}, complaints=[])
    assert by_name["repeat_handling"] == "read_together"


def test_the_public_form_is_never_refused_and_the_page_says_how_it_is_handled(ct, api_client, page_client, client):
    from tests.community_triggers.test_public_form import _answers, _post

    repeat_setting(ct, handling="single_point_of_contact")
    register(
        api_client,
        ct,
        received_on="2026-01-05",
        applicant={"name": "Rita Resident", "email": "rita@example.org"},
        complaints=[],
    )
    with time_machine.travel("2026-03-10 12:00 +00:00", tick=False):
        response = _post(client, {**_answers(), "confirm": "y"})
    assert response.status_code == 302
    application = db.session.scalars(sa.select(TriggerApplication).order_by(TriggerApplication.id.desc())).first()
    assert application.repeat_handling == RepeatHandling.single_point_of_contact
    html = page_client(ct.coordinator).get(f"/case-reviews/{application.id}").get_data(as_text=True)
    assert "One named officer is the applicant&#39;s single point of contact" in html
    assert "This never affects their right to apply" in html
