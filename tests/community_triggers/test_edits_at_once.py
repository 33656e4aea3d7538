"""Two people editing one record at once: the second save is refused, not written over the first.

A coordinator and a chair open the same meeting's arrangements, agenda or proportionality assessment;
two admins open the same area settings or letter template. Each page form that changes a record
someone else may be changing too sends back the version it showed (``ReadVersionMixin``); a save of a
page read before someone else's save answers 409 "changed since you read it" and writes nothing. On
the settings page it mattered most: every setting left alone was saved back at the value shown, so a
second admin who changed one setting silently undid the first admin's change to another.

Each case below is a sibling form: the walk opens it in two clients, saves one, then the other with a
different value, and checks the refusal and that nothing of it was written. The case and person pages,
which had the lock already, walk with them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from casework.community_triggers import review_papers, services
from casework.extensions import db
from tests.support.forms import form_fields
from tests.support.walk import changed_tables, table_digest

#: Written by signing in and by the refusal's own bookkeeping, not by a save.
BOOKKEEPING = re.compile(r"^(audit_|user_sessions$|submission_keys$|outbox|pending_tasks$|sign_in)")


@dataclass
class Edit:
    """A page form, who opens it, the field two people change and what each enters."""

    path: str
    user: Any
    field: str
    first: str
    second: str
    press: str | None = None  # the name of the button that saves, when the form has more than one


@pytest.fixture
def meeting(ct):
    application = ct.register()
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    meeting = services.arrange_meeting(ct.coordinator, application, scheduled_on=date(2026, 3, 20), chair=ct.chair)
    db.session.commit()
    return meeting


def meeting_details(ct, meeting) -> Edit:
    path = f"/case-reviews/{meeting.application_id}/meetings/{meeting.id}"
    return Edit(path, ct.coordinator, "location", "The council offices", "The police station")


def agenda(ct, meeting) -> Edit:
    path = f"/case-reviews/{meeting.application_id}/meetings/{meeting.id}/agenda"
    return Edit(path, ct.chair, "items-0-notes", "The chair's notes", "The coordinator's notes", press="save")


def assessment(ct, meeting) -> Edit:
    saved = review_papers.save_proportionality_assessment(
        ct.chair,
        meeting,
        subject_name="The tenant of number 12",
        conclusion="A warning is proportionate.",
        assessed_on=date(2026, 3, 10),
        age_note="In his forties.",
    )
    db.session.commit()
    path = f"/case-reviews/{meeting.application_id}/meetings/{meeting.id}/proportionality/{saved.id}/edit"
    return Edit(path, ct.chair, "conclusion", "A warning and no more.", "An injunction is proportionate.")


def area_settings(ct, _meeting) -> Edit:
    return Edit("/admin/areas/BOL/settings", ct.admin, "setting_risk_review_days_high", "10", "7")


def area_defaults(ct, _meeting) -> Edit:
    return Edit("/admin/area-defaults", ct.admin, "setting_risk_review_days_medium", "21", "20")


def letter_template(ct, _meeting) -> Edit:
    return Edit(
        "/admin/letter-templates/acknowledgement?area=BOL",
        ct.admin,
        "subject",
        "We have your application",
        "Your application is with us",
        press="save",
    )


def notice_template(ct, _meeting) -> Edit:
    return Edit("/admin/notice-templates/cpw", ct.admin, "title", "A warning", "A first warning", press="save")


def risk_questionnaire(ct, _meeting) -> Edit:
    return Edit("/admin/risk-questionnaire?area=BOL", ct.admin, "title", "Bolsover's questions", "Our questions")


def agency(ct, _meeting) -> Edit:
    return Edit("/admin/agencies/BDC", ct.admin, "name", "Bolsover Council", "Bolsover District Council (BDC)")


def tell_victim_template(ct, _meeting) -> Edit:
    return Edit(
        "/admin/threshold-watch/template?area=BOL",
        ct.admin,
        "subject",
        "You may ask for a Case Review",
        "Your right to a Case Review",
        press="save",
    )


def case_details(ct, _meeting) -> Edit:
    case = ct.case()
    return Edit(f"/cases/{case.id}/edit", ct.officer, "summary", "Noise at night", "Noise by day")


def person_details(ct, _meeting) -> Edit:
    from casework.cases.services import create_person

    person, _ = create_person(ct.officer, kind="individual", name="Pat Example")
    db.session.commit()
    return Edit(f"/people/{person.id}/edit", ct.officer, "address", "1 High Street", "2 Low Road")


SIBLINGS: list[Callable[[Any, Any], Edit]] = [
    meeting_details,
    agenda,
    assessment,
    area_settings,
    area_defaults,
    letter_template,
    notice_template,
    risk_questionnaire,
    agency,
    tell_victim_template,
    case_details,
    person_details,
]


@pytest.mark.parametrize("sibling", SIBLINGS, ids=[s.__name__ for s in SIBLINGS])
def test_a_save_over_a_save_made_since_the_page_was_read_is_refused(ct, meeting, page_client, sibling):
    edit = sibling(ct, meeting)
    first, second = page_client(edit.user), page_client(edit.user)  # two people, or one in two tabs
    first_page = first.get(edit.path)
    second_page = second.get(edit.path)
    assert first_page.status_code == second_page.status_code == 200, edit.path
    first_form = form_fields(first_page.get_data(as_text=True), edit.field)
    second_form = form_fields(second_page.get_data(as_text=True), edit.field)
    assert "version" in first_form, f"{edit.path}: the form does not send back the version it showed"
    press = {edit.press: "y"} if edit.press else {}

    saved = first.post(edit.path, data={**first_form, edit.field: edit.first, **press})
    assert saved.status_code == 302, (edit.path, saved.get_data(as_text=True)[:2000])
    db.session.expire_all()
    before = table_digest()

    # Sent from the form's page, as a browser sends it: the answer leads back there to read it again.
    refused = second.post(
        edit.path,
        data={**second_form, edit.field: edit.second, **press},
        headers={"Referer": f"http://localhost{edit.path}"},
    )

    assert refused.status_code == 409, (edit.path, refused.status_code)
    assert "changed since you read it" in refused.get_data(as_text=True)
    assert f'<a href="{edit.path}" class="govuk-link">Open the page again</a>' in refused.get_data(as_text=True)
    db.session.expire_all()
    written = [name for name in changed_tables(before, table_digest()) if not BOOKKEEPING.match(name)]
    assert written == [], f"{edit.path}: the refused save wrote {written}"
    shown = form_fields(first.get(edit.path).get_data(as_text=True), edit.field)
    assert shown[edit.field] == edit.first


def test_a_form_read_again_after_the_save_saves(ct, meeting, page_client):
    """The lock refuses only a page read before the other save: read again, the same change saves."""
    edit = meeting_details(ct, meeting)
    first, second = page_client(edit.user), page_client(edit.user)
    second.get(edit.path)
    saved = first.post(edit.path, data={**form_fields(first.get(edit.path).get_data(as_text=True), "location")})
    assert saved.status_code == 302
    again = form_fields(second.get(edit.path).get_data(as_text=True), edit.field)
    assert second.post(edit.path, data={**again, edit.field: edit.second}).status_code == 302


def test_an_agenda_sent_through_the_api_with_the_version_read_before_another_is_refused(ct, meeting, api_client):
    """The agenda's items are rows of their own: saving them gives the meeting a new version, so the
    API's optional ``version`` refuses an agenda read before someone else's, as on the page."""
    url = f"/api/v1/triggers/{meeting.application_id}/meetings/{meeting.id}"
    read = api_client(ct.coordinator).get(f"/api/v1/triggers/{meeting.application_id}").json["meetings"][0]
    first = api_client(ct.chair).patch(url, json={"version": read["version"], "agenda_items": [{"title": "Mine"}]})
    assert first.status_code == 200
    second = api_client(ct.coordinator).patch(
        url, json={"version": read["version"], "agenda_items": [{"title": "Theirs"}]}
    )
    assert second.status_code == 409
    db.session.expire_all()
    assert [item.title for item in meeting.agenda_items] == ["Mine"]


def test_a_consultation_recorded_over_one_recorded_since_the_page_was_read_is_refused(ct, meeting, page_client):
    """The coordinator and the chair can both record the victim's consultation on the action plan, and a
    recording replaces the victim's view of each recommendation: the second of two pages read before
    either was saved is refused, so the first view is not silently replaced."""
    services.record_outcome(
        ct.chair,
        meeting,
        held_on=date(2026, 3, 10),
        minutes="Minutes.",
        victim_invited=True,
        recommendations=[{"text": "Visit the victim", "agency": ct.police, "due_on": date(2026, 4, 1)}],
    )
    db.session.commit()
    recommendation = meeting.recommendations[0]
    path = f"/case-reviews/{meeting.application_id}/meetings/{meeting.id}/consultation"
    coordinator, chair = page_client(ct.coordinator), page_client(ct.chair)
    first_form = form_fields(coordinator.get(path).get_data(as_text=True), "notes")
    second_form = form_fields(chair.get(f"/my-reviews/{meeting.id}/consultation").get_data(as_text=True), "notes")
    assert "version" in first_form
    assert "version" in second_form
    consulted = {"consulted_on-day": "10", "consulted_on-month": "3", "consulted_on-year": "2026"}
    view = f"view_{recommendation.id}"

    saved = coordinator.post(path, data={**first_form, **consulted, "notes": "She agrees.", view: "Yes, please."})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    db.session.expire_all()
    before = table_digest()

    refused = chair.post(
        f"/my-reviews/{meeting.id}/consultation",
        data={**second_form, **consulted, "notes": "She disagrees.", view: "No, thank you."},
    )

    assert refused.status_code == 409, refused.status_code
    assert "changed since you read it" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert [name for name in changed_tables(before, table_digest()) if not BOOKKEEPING.match(name)] == []
    assert db.session.get(type(recommendation), recommendation.id).victim_view == "Yes, please."
