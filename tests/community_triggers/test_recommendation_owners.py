"""The owner the independent chair names for a Case Review recommendation is someone who may take the
work: its action is filed on the first linked case, and the action and its deadline are read with that
case (``casework.cases.policies.case_readers_clause``). Anyone who may not see that case, or is
inactive, is refused exactly as an address nobody has (422 on the row's owner, nothing written), in the
API and on the chair's page; and, as for every action, the owner works for the agency it is addressed
to. With no linked case the action belongs to no case, and the agency rule is the rule. A
recommendation without an owner is the area coordinator's, or the case's owner's when the coordinator
may not see the case."""

from __future__ import annotations

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


def _page_outcome(owner: str) -> dict[str, str]:
    def day(prefix: str, value: date) -> dict[str, str]:
        return {f"{prefix}-day": str(value.day), f"{prefix}-month": str(value.month), f"{prefix}-year": str(value.year)}

    return {
        **day("held_on", date(2026, 3, 10)),
        "minutes": "Discussed.",
        "victim_invited": "yes",
        "recommendations-0-text": "Install noise monitoring.",
        "recommendations-0-agency": "BDC",
        "recommendations-0-owner": owner,
        **day("recommendations-0-due_on", date(2026, 4, 30)),
        "save": "y",
    }


def test_the_chairs_page_refuses_an_owner_who_cannot_see_the_case(ct, chair, page_client):
    restricted = ct.case("BOL-2026-0002")
    meeting = _meeting(ct, chair, [restricted], restrict_to=ct.officer)
    client = page_client(chair)
    path = f"/my-reviews/{meeting.id}/outcome"
    unknown = client.post(path, data=_page_outcome("nobody@bdc.example"))
    assert unknown.status_code == 422
    for owner in (ct.coordinator, ct.admin):
        refused = client.post(path, data=_page_outcome(owner.email))
        assert refused.status_code == 422, owner.email
        assert "There is no user with this email address that you can choose" in refused.text
        assert 'id="recommendations-0-owner-error"' in refused.text or "govuk-error-message" in refused.text
        _nothing_written(meeting)
    done = client.post(path, data=_page_outcome(ct.officer.email))
    assert done.status_code == 302, done.text
    assert db.session.scalar(sa.select(Action.assignee_id).where(Action.case_id == restricted.id)) == ct.officer.id


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
