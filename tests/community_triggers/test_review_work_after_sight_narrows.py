"""Work on a Case Review after its holder's sight narrows (session 33's probe of long-lived access).

A Case Review's own deadlines (acknowledge, information from each agency, the threshold decision, ...),
its information requests' and its PCC review's are on no case, so giving back the work of someone who
may no longer see a case (``reminders.return_unseen_work``) left them where they were: with a
coordinator moved to an agency not covering the area, no longer a coordinator, whose account was closed,
or whose agency stopped covering the area. They kept naming the review in that person's deadline list,
calendar feed and reminders, while nobody who may act on it was reminded. Each such change now gives
the work to whoever holds it by the review's rules (``deadlines.return_unseen_review_work``, on
``lifecycle.sight_narrowed``, which a change of the areas an agency covers now sends too).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from casework.accounts.models import Agency, User
from casework.actions.services import create_recommendation_action
from casework.community_triggers import info_requests, policies
from casework.community_triggers.models import InformationRequest, Recommendation, ReviewMeeting, TriggerApplication
from casework.extensions import db
from casework.reminders import calendar
from casework.reminders.models import Deadline, DeadlineStatus


@pytest.fixture
def review(ct: Any, make: Any) -> SimpleNamespace:
    # The holder: a coordinator at the police, which covers Bolsover and North East Derbyshire.
    holder = make.user("coordinator", agency=ct.police, email="coordinator@police.example")
    application = ct.register(actor=holder)
    request = info_requests.request_information(
        holder, application, ct.council, due_on=date(2026, 3, 20), requested_on=date(2026, 3, 10)
    )
    # A recommendation to the council, its action on no case and assigned to nobody: the coordinator's.
    meeting = ReviewMeeting(application_id=application.id, scheduled_on=date(2026, 3, 9), chair_id=ct.chair.id)
    db.session.add(meeting)
    db.session.flush()
    recommendation = Recommendation(
        meeting_id=meeting.id, text="Fit a noise monitor", agency_id=ct.council.id, due_on=date(2026, 4, 1)
    )
    db.session.add(recommendation)
    db.session.flush()
    action = create_recommendation_action(
        holder,
        None,
        recommendation_id=recommendation.id,
        description=recommendation.text,
        agency_id=ct.council.id,
        assignee_id=None,
        due_on=recommendation.due_on,
        default_owner_id=holder.id,
        title=f"Case review recommendation ({application.reference}): Fit a noise monitor",
        link=f"/case-reviews/{application.id}",
    )
    db.session.commit()
    return SimpleNamespace(holder=holder, application=application, request=request, action=action)


def _open_review_work(review: SimpleNamespace) -> list[Deadline]:
    return list(
        db.session.scalars(
            sa.select(Deadline).where(
                Deadline.status == DeadlineStatus.open,
                sa.or_(
                    sa.and_(
                        Deadline.subject_type == "trigger_applications",
                        Deadline.subject_id == review.application.id,
                    ),
                    sa.and_(Deadline.subject_type == "actions", Deadline.subject_id == review.action.id),
                    sa.and_(
                        Deadline.subject_type == "trigger_information_requests",
                        Deadline.subject_id.in_(
                            sa.select(InformationRequest.id).where(
                                InformationRequest.application_id == review.application.id
                            )
                        ),
                    ),
                ),
            )
        )
    )


def _change_user(ct: Any, api_client: Any, user: User, **body: Any) -> None:
    response = api_client(ct.admin).patch(f"/api/v1/users/{user.id}", json={"version": user.version, **body})
    assert response.status_code == 200, response.get_json()


def _moved(ct: Any, api_client: Any, holder: User) -> None:
    _change_user(ct, api_client, holder, agency_code=ct.other_council.code)


def _role_removed(ct: Any, api_client: Any, holder: User) -> None:
    _change_user(ct, api_client, holder, roles=["officer"])


def _deactivated(ct: Any, api_client: Any, holder: User) -> None:
    _change_user(ct, api_client, holder, is_active=False)


def _agency_stops_covering_the_area(ct: Any, api_client: Any, holder: User) -> None:
    response = api_client(ct.admin).patch(
        f"/api/v1/agencies/{ct.police.code}", json={"area_codes": [ct.other_area.code]}
    )
    assert response.status_code == 200, response.get_json()


CHANGES = {
    "moved to an agency not covering the area": _moved,
    "coordinator role removed": _role_removed,
    "account closed": _deactivated,
    "their agency no longer covers the area": _agency_stops_covering_the_area,
}


def test_before_any_change_the_holder_holds_every_kind_of_review_work(ct, review):
    work = _open_review_work(review)
    assert {row.subject_type for row in work} == {"trigger_applications", "trigger_information_requests", "actions"}
    assert {row.owner_id for row in work} == {review.holder.id}


@pytest.mark.parametrize("change", list(CHANGES.values()), ids=list(CHANGES))
def test_the_review_work_goes_to_someone_who_may_act_on_it(ct, review, api_client, change):
    feed = calendar.create_link(review.holder)  # made before the change; a change of agency areas keeps it
    db.session.commit()
    change(ct, api_client, review.holder)
    db.session.expire_all()
    application = db.session.get_one(TriggerApplication, review.application.id)
    work = _open_review_work(review)
    assert work
    for row in work:
        holder = db.session.get(User, row.owner_id)
        assert holder is not None, row.title
        assert holder.is_active, row.title
        # The coordinator's work to one who takes the review's steps; the chair's step to the chair.
        chairs_step = row.kind == "trigger.papers_to_panel" and holder.id == ct.chair.id
        may_act = policies.can_view(holder, application) if chairs_step else policies.can_manage(holder, application)
        assert may_act, (row.title, holder.email)
    # What the former holder still reads names the review nowhere.
    former = db.session.get_one(User, review.holder.id)
    if former.is_active:
        listed = api_client(former).get("/api/v1/deadlines?owner=me&per_page=100")
        assert listed.status_code == 200
        assert application.reference not in listed.get_data(as_text=True)
        assert "Fit a noise monitor" not in listed.get_data(as_text=True)
        fresh = calendar.create_link(former)
        db.session.commit()
        for token in (feed, fresh):
            answer = ct_client(api_client).get(f"/calendar/{token}.ics")
            assert application.reference not in answer.get_data(as_text=True)


def test_a_change_of_areas_that_takes_none_away_moves_no_work(ct, review, api_client):
    response = api_client(ct.admin).patch(
        f"/api/v1/agencies/{ct.police.code}", json={"area_codes": [ct.area.code, ct.other_area.code]}
    )
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert {row.owner_id for row in _open_review_work(review)} == {review.holder.id}
    assert db.session.get_one(Agency, ct.police.id).areas


def ct_client(api_client: Any) -> Any:
    """A client with no credentials (the calendar feed's link is its own key)."""
    return api_client(None)


def test_the_chairs_step_leaves_a_chair_whose_chair_role_is_taken_away(ct, review, api_client):
    from casework.community_triggers import deadlines

    deadlines.sync(review.application)  # the meeting arranged: its chair prepares the papers
    db.session.commit()
    [papers] = [row for row in _open_review_work(review) if row.kind == "trigger.papers_to_panel"]
    assert papers.owner_id == ct.chair.id
    _change_user(ct, api_client, ct.chair, roles=["officer"])
    db.session.expire_all()
    papers = db.session.get_one(Deadline, papers.id)
    assert papers.status is DeadlineStatus.open
    assert papers.owner_id == review.holder.id  # the coordinator who registered the review


def test_with_no_coordinator_left_in_the_area_the_work_reaches_its_managers(ct, review, api_client):
    """Held by nobody, each piece of the review's work is escalated to the managers of the agencies
    covering the area, not left without anyone to be told of it."""
    from casework.reminders.services import escalation_recipients

    _change_user(ct, api_client, ct.coordinator, roles=["officer"])
    db.session.expire_all()
    _moved(ct, api_client, db.session.get_one(User, review.holder.id))
    db.session.expire_all()
    work = _open_review_work(review)
    assert {row.subject_type for row in work} == {"trigger_applications", "trigger_information_requests", "actions"}
    for row in work:
        if row.kind == "trigger.papers_to_panel":
            continue  # the chair's, who may still open the review
        assert row.owner_id is None, row.title
        assert ct.manager in escalation_recipients(row), row.title


ASSIGNEE_CHANGES = {
    "moved to another agency": lambda ct, api_client, user: _change_user(
        ct, api_client, user, agency_code=ct.police.code
    ),
    "account closed": _deactivated,
    "nothing": None,
}


@pytest.mark.parametrize("change", list(ASSIGNEE_CHANGES.values()), ids=list(ASSIGNEE_CHANGES))
def test_an_assigned_recommendation_action_on_no_case_leaves_an_assignee_who_left_its_agency(
    ct, review, api_client, change
):
    """A recommendation's action on no case assigned to someone of the agency it is addressed to is
    theirs while they work there: moved to another agency (still one in the area) or their account
    closed, it is assigned to nobody and its deadline goes back as an unassigned one's does, to someone
    who may act on the review (``return_unseen_review_work``)."""
    from casework.actions import services as actions
    from casework.cases.models import Action

    action = db.session.get_one(Action, review.action.id)
    actions.update_action(ct.coordinator, action, {"assignee_id": ct.officer.id})
    db.session.commit()
    deadline = actions.deadline_of(action)
    assert deadline is not None
    assert deadline.owner_id == ct.officer.id
    if change is not None:
        change(ct, api_client, ct.officer)
    db.session.expire_all()
    action = db.session.get_one(Action, review.action.id)
    deadline = actions.deadline_of(action)
    if change is None:
        assert action.assignee_id == ct.officer.id
        assert deadline.owner_id == ct.officer.id
        return
    assert action.assignee_id is None
    holder = db.session.get_one(User, deadline.owner_id)
    assert holder.id != ct.officer.id
    assert holder.is_active
    assert policies.can_manage(holder, db.session.get_one(TriggerApplication, review.application.id))
