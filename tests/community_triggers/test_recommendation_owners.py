"""The owner the independent chair names for a Case Review recommendation is someone who may take the
work: its action is filed on the first linked case, and the action and its deadline are read with that
case (``casework.cases.policies.case_readers_clause``). Anyone who may not see that case, or is
inactive, or works for an agency outside the review's area, is refused exactly as an address nobody has
(422 on the row's owner, nothing written), in the API and on the chair's page alike (one lookup, the
service's ``recommendation_owner``; the page offers only those it accepts); and, as for every action,
the owner works for the agency it is addressed to. With no linked case the action belongs to no case,
and the agency rule is the rule. A recommendation without an owner is the area coordinator's, or the
case's owner's when the coordinator may not see the case."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from casework.cases.models import Action, CaseAccess
from casework.community_triggers import services
from casework.community_triggers.models import Recommendation, ReviewMeeting
from casework.extensions import db
from casework.reminders.models import Deadline


@pytest.fixture
def chair(ct, make):
    """A chair from the police (not the lead agency), who works with every agency of the area."""
    return make.user("chair", agency=ct.police, email="chair@police.example", name="Pat Chair")


def _meeting(ct: Any, chair: Any, cases: list[Any], *, restrict_to: Any = None) -> ReviewMeeting:
    """A meeting arranged on an application linked to ``cases``; with ``restrict_to``, the first case
    is then restricted to that user (after the coordinator linked it)."""
    application = ct.register(case_ids=[c.id for c in cases])
    if restrict_to is not None:
        cases[0].is_restricted = True
        db.session.add(CaseAccess(case_id=cases[0].id, user_id=restrict_to.id))
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    meeting = services.arrange_meeting(ct.coordinator, application, scheduled_on=date(2026, 3, 10), chair=chair)
    db.session.commit()
    return meeting


def _post(api: Any, meeting: ReviewMeeting, owner_email: str | None, agency: str = "BDC") -> Any:
    return api.post(
        f"/api/v1/triggers/{meeting.application_id}/meetings/{meeting.id}/outcome",
        json={
            "held_on": "2026-03-10",
            "minutes": "Discussed the case.",
            "victim_invited": True,
            "version": meeting.version,
            "recommendations": [
                {"text": "Install a noise monitor", "agency_code": agency, "due_on": "2026-04-30"},
                {"text": "Visit", "agency_code": agency, "due_on": "2026-04-30", "owner_email": owner_email},
            ],
        },
    )


def _nothing_written(meeting: ReviewMeeting) -> None:
    db.session.expire_all()
    assert db.session.get(ReviewMeeting, meeting.id).held_on is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Recommendation)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 0


def test_the_api_refuses_an_owner_who_cannot_see_the_case(ct, chair, api_client, make):
    restricted = ct.case("BOL-2026-0002")
    gone = make.user("officer", agency=ct.council, email="gone@bdc.example")
    gone.is_active = False
    db.session.commit()
    meeting = _meeting(ct, chair, [restricted], restrict_to=ct.officer)
    api = api_client(chair)
    unknown = _post(api, meeting, "nobody@bdc.example")
    assert unknown.status_code == 422
    assert set(unknown.json["errors"]) == {"recommendations.1.owner_email"}
    for owner, agency in (
        (ct.coordinator, "BDC"),  # the lead agency's, not named on the restricted case
        (ct.manager, "BDC"),
        (ct.admin, "BDC"),  # no casework at all
        (ct.partner, "DERPOL"),  # the police: the case is not shared with them
        (gone, "BDC"),
    ):
        refused = _post(api, meeting, owner.email, agency)
        assert refused.status_code == 422, owner.email
        # Exactly as for an address nobody has: nothing about the user or the case is revealed.
        assert refused.json == unknown.json, owner.email
        _nothing_written(meeting)
    accepted = _post(api, meeting, ct.officer.email)
    assert accepted.status_code == 200, accepted.json
    action = db.session.scalar(sa.select(Action).where(Action.assignee_id.is_not(None)))
    assert (action.case_id, action.assignee_id) == (restricted.id, ct.officer.id)
    deadline = db.session.scalar(sa.select(Deadline).where(Deadline.subject_id == action.id))
    assert deadline.owner_id == ct.officer.id
    # Nor is it handed on afterwards to someone who may not see the case (the actions' own route).
    moved = api_client(ct.officer).patch(
        f"/api/v1/actions/{action.id}", json={"assignee_id": ct.coordinator.id, "version": action.version}
    )
    assert moved.status_code == 422
    assert "assignee_id" in moved.json["errors"]


def test_the_owner_sees_the_case_the_action_is_filed_on(ct, chair, api_client):
    """The action is filed on the first linked case: a partner whose agency the first case is shared
    with may own it; one whose agency sees only another linked case may not."""
    from casework.cases.models import CaseShare

    first, second = ct.case("BOL-2026-0003"), ct.case("BOL-2026-0004")
    db.session.add(CaseShare(case_id=second.id, agency_id=ct.police.id))
    db.session.commit()
    meeting = _meeting(ct, chair, [first, second])
    api = api_client(chair)
    refused = _post(api, meeting, ct.partner.email, "DERPOL")
    assert refused.status_code == 422
    assert refused.json["errors"]["recommendations.1.owner_email"]
    _nothing_written(meeting)
    db.session.add(CaseShare(case_id=first.id, agency_id=ct.police.id))
    db.session.commit()
    assert _post(api, meeting, ct.partner.email, "DERPOL").status_code == 200


def test_an_owner_works_for_the_agency_the_recommendation_is_addressed_to(ct, chair, api_client):
    meeting = _meeting(ct, chair, [ct.case()])
    api = api_client(chair)
    refused = _post(api, meeting, ct.officer.email, "DERPOL")  # sees the case, but works for the council
    assert refused.status_code == 422
    assert refused.json["errors"]["recommendations.1.owner_email"] == [
        f"The owner must work for {ct.police.name}, the agency the recommendation is addressed to."
    ]
    _nothing_written(meeting)
    assert _post(api, meeting, ct.officer.email, "BDC").status_code == 200


def test_with_no_linked_case_the_owner_works_for_the_agency(ct, chair, api_client):
    meeting = _meeting(ct, chair, [])
    api = api_client(chair)
    assert _post(api, meeting, ct.partner.email, "BDC").status_code == 422
    _nothing_written(meeting)
    assert _post(api, meeting, ct.partner.email, "DERPOL").status_code == 200
    action = db.session.scalar(sa.select(Action).where(Action.assignee_id.is_not(None)))
    assert (action.case_id, action.assignee_id) == (None, ct.partner.id)


def _page_outcome(owner: str, agency: str = "BDC") -> dict[str, str]:
    def day(prefix: str, value: date) -> dict[str, str]:
        return {f"{prefix}-day": str(value.day), f"{prefix}-month": str(value.month), f"{prefix}-year": str(value.year)}

    return {
        **day("held_on", date(2026, 3, 10)),
        "minutes": "Discussed.",
        "victim_invited": "yes",
        "recommendations-0-text": "Install noise monitoring.",
        "recommendations-0-agency": agency,
        "recommendations-0-owner": owner,
        **day("recommendations-0-due_on", date(2026, 4, 30)),
        "save": "y",
    }


def _owner_error(page: Any) -> str:
    """The error message on the page's first recommendation's owner select."""
    found = re.search(r'<p id="recommendations-0-owner-error" class="govuk-error-message">(.*?)</p>', page.text, re.S)
    assert found, "no error on the owner"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).replace("Error:", "").strip()


def _owner_choices(page: Any) -> set[str]:
    """The values the page's first recommendation's owner select offers (besides "Nobody named")."""
    select = re.search(r'<select[^>]*name="recommendations-0-owner".*?</select>', page.text, re.S)
    assert select, "no owner select"
    return {html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', select.group(0))} - {""}


def test_the_chairs_page_refuses_an_owner_who_cannot_see_the_case(ct, chair, page_client):
    restricted = ct.case("BOL-2026-0002")
    meeting = _meeting(ct, chair, [restricted], restrict_to=ct.officer)
    client = page_client(chair)
    path = f"/my-reviews/{meeting.id}/outcome"
    unknown = client.post(path, data=_page_outcome("nobody@bdc.example"))
    assert unknown.status_code == 422
    assert _owner_error(unknown) == services.RECOMMENDATION_OWNER_REFUSED
    for owner in (ct.coordinator, ct.admin):
        refused = client.post(path, data=_page_outcome(owner.email))
        assert refused.status_code == 422, owner.email
        assert _owner_error(refused) == services.RECOMMENDATION_OWNER_REFUSED
        _nothing_written(meeting)
    done = client.post(path, data=_page_outcome(ct.officer.email))
    assert done.status_code == 302, done.text
    assert db.session.scalar(sa.select(Action.assignee_id).where(Action.case_id == restricted.id)) == ct.officer.id


@pytest.fixture
def shared_case(ct, make):
    """A Bolsover case led by the council, shared with the police and with North East Derbyshire's
    council (whose staff see it, but work outside the review's area); and an inactive council officer."""
    from casework.cases.models import CaseShare

    case = ct.case("BOL-2026-0005")
    db.session.add(CaseShare(case_id=case.id, agency_id=ct.police.id))
    db.session.add(CaseShare(case_id=case.id, agency_id=ct.other_council.id))
    gone = make.user("officer", agency=ct.council, email="gone@bdc.example")
    gone.is_active = False
    db.session.commit()
    return case


def test_the_chairs_page_offers_only_those_who_may_own_a_recommendation(ct, shared_case, page_client):
    """The review's chair is from another area (North East Derbyshire's council): the page offers the
    active staff of the review's area who can see the linked case, of any agency, and nobody else."""
    meeting = _meeting(ct, ct.chair, [shared_case])
    page = page_client(ct.chair).get(f"/my-reviews/{meeting.id}/outcome")
    assert page.status_code == 200
    assert _owner_choices(page) == {
        ct.officer.email,
        ct.coordinator.email,
        ct.manager.email,
        ct.police_manager.email,
        ct.partner.email,
    }
    # Not offered: the admin (no casework), the inactive officer, the chairs, and North East
    # Derbyshire's coordinator, who sees the shared case but works outside the area.
    assert not {ct.admin.email, "gone@bdc.example", ct.chair.email, ct.outsider.email} & _owner_choices(page)


def test_with_no_linked_case_the_page_offers_the_areas_casework_staff(ct, page_client):
    meeting = _meeting(ct, ct.chair, [])
    page = page_client(ct.chair).get(f"/my-reviews/{meeting.id}/outcome")
    offered = _owner_choices(page)
    assert {ct.officer.email, ct.partner.email} <= offered
    assert not {ct.admin.email, ct.chair.email, ct.outsider.email} & offered


@pytest.mark.parametrize(
    ("owner", "agency"),
    [
        ("nobody@bdc.example", "BDC"),  # an address nobody has
        ("admin@bdc.example", "BDC"),  # no casework
        ("gone@bdc.example", "BDC"),  # inactive
        ("coordinator@neddc.example", "NEDDC"),  # sees the shared case, but outside the area
        ("chair2@neddc.example", "NEDDC"),  # another chair (the API's lookup could name every chair)
        ("officer@bdc.example", "DERPOL"),  # may own it, but works for another agency
    ],
)
def test_the_page_and_the_api_refuse_an_owner_alike(ct, shared_case, page_client, api_client, owner, agency):
    """The owner is found by one lookup, the service's, whichever way it comes: the page and the API
    refuse the same people with the same words on the owner, and write nothing."""
    meeting = _meeting(ct, ct.chair, [shared_case])
    page = page_client(ct.chair).post(f"/my-reviews/{meeting.id}/outcome", data=_page_outcome(owner, agency))
    assert page.status_code == 422
    _nothing_written(meeting)
    api = _post(api_client(ct.chair), meeting, owner, agency)
    assert api.status_code == 422
    _nothing_written(meeting)
    assert api.json["errors"] == {"recommendations.1.owner_email": [_owner_error(page)]}
    expected = (
        f"The owner must work for {ct.police.name}, the agency the recommendation is addressed to."
        if owner == ct.officer.email
        else services.RECOMMENDATION_OWNER_REFUSED
    )
    assert _owner_error(page) == expected


@pytest.mark.parametrize("way", ["page", "api"])
def test_a_chair_from_another_area_names_an_owner_of_the_reviews_area(ct, shared_case, page_client, api_client, way):
    """The chair (North East Derbyshire's council) names Bolsover's council officer: someone of the
    review's area, whom the chair's own area does not include."""
    meeting = _meeting(ct, ct.chair, [shared_case])
    if way == "page":
        answer = page_client(ct.chair).post(f"/my-reviews/{meeting.id}/outcome", data=_page_outcome(ct.officer.email))
        assert answer.status_code == 302, answer.text
    else:
        answer = _post(api_client(ct.chair), meeting, ct.officer.email)
        assert answer.status_code == 200, answer.json
    action = db.session.scalar(sa.select(Action).where(Action.assignee_id.is_not(None)))
    assert (action.case_id, action.assignee_id) == (shared_case.id, ct.officer.id)
    recommendation = db.session.scalar(sa.select(Recommendation).where(Recommendation.owner_id.is_not(None)))
    assert recommendation.owner_id == ct.officer.id


def test_an_unassigned_recommendation_goes_to_someone_who_may_see_the_case(ct, chair, api_client):
    """Without an owner its deadline is the area coordinator's, who follows the action plan up; when
    the coordinator may not see the case (restricted since it was linked), the case's owner's."""
    restricted = ct.case("BOL-2026-0002", owner_id=ct.officer.id)
    meeting = _meeting(ct, chair, [restricted], restrict_to=ct.officer)
    assert _post(api_client(chair), meeting, None).status_code == 200
    owners = set(db.session.scalars(sa.select(Deadline.owner_id).where(Deadline.kind == "action.due")))
    assert owners == {ct.officer.id}


def test_an_unassigned_recommendation_is_the_coordinators_when_they_see_the_case(ct, chair, api_client):
    meeting = _meeting(ct, chair, [ct.case(owner_id=ct.officer.id)])
    assert _post(api_client(chair), meeting, None).status_code == 200
    owners = set(db.session.scalars(sa.select(Deadline.owner_id).where(Deadline.kind == "action.due")))
    assert owners == {ct.coordinator.id}


def test_the_action_of_an_anonymised_case_reviews_recommendation_takes_no_change(ct, chair, api_client, page_client):
    """With no linked case the recommendation's action belongs to no case, so the case's refusal does not
    reach it: once its Case Review is anonymised under the retention policy (which removed the action's
    text), a change to it (an outcome typed in, a new due date) would be kept for ever. Refused 422 with
    the application's reason, through the API and the page, nothing written."""
    from casework.community_triggers.models import TriggerApplication
    from casework.community_triggers.policies import ANONYMISED_APPLICATION
    from casework.core.time import now

    meeting = _meeting(ct, chair, [])
    assert _post(api_client(chair), meeting, None).status_code == 200
    [action, _other] = db.session.scalars(sa.select(Action).order_by(Action.id)).all()
    assert action.case_id is None
    db.session.get(TriggerApplication, meeting.application_id).anonymised_at = now()
    db.session.commit()
    before = (action.status, action.outcome, action.due_on, action.version)
    officer = ct.coordinator  # of the agency the action is addressed to
    refused = api_client(officer).patch(f"/api/v1/actions/{action.id}", json={"outcome": "Ann said it stopped"})
    assert refused.status_code == 422, refused.json
    assert ANONYMISED_APPLICATION in str(refused.json)
    page = page_client(officer).post(
        f"/actions/{action.id}", data={"status": "done", "outcome": "Ann said it stopped", "version": action.version}
    )
    assert page.status_code == 422
    assert html.escape(ANONYMISED_APPLICATION, quote=True) in page.get_data(as_text=True)
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    assert (action.status, action.outcome, action.due_on, action.version) == before
