"""Work on what retention anonymised stops: an anonymised case, Case Review application, action or
intervention can no longer be changed, so a deadline of theirs left open could never be done, and the
reminders, the escalations, the managers' digest, the calendar feeds and the home pages would list it
as overdue for ever, under its erased title."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.actions.services import OPEN_STATUSES
from casework.extensions import db
from tests.lifecycle.planting import CLOSING, plant

ERASED_TITLE = "(details removed under the retention policy)"


def test_no_deadline_of_an_anonymised_record_stays_open_or_is_reminded(world, api_client, make):
    from casework.data_protection.tasks import apply_retention
    from casework.notifications.models import OutboxEmail
    from casework.reminders.models import Deadline, DeadlineStatus
    from casework.reminders.tasks import digest, sweep

    planted = plant(world, api_client, make)
    with time_machine.travel(CLOSING, tick=False):
        response = api_client(world.officer).post(f"/api/v1/cases/{world.case.id}/close", json={"reason": "Done"})
        assert response.status_code == 200, response.get_json()
    db.session.commit()
    # Work still open on the closed cases and their Case Review: statutory deadlines handed over at
    # the closure, the application's own steps.
    still_open = set(db.session.scalars(sa.select(Deadline.id).where(Deadline.status == DeadlineStatus.open)))
    assert still_open
    sent_before = db.session.scalar(sa.select(sa.func.max(OutboxEmail.id))) or 0

    with time_machine.travel(CLOSING + timedelta(days=7 * 366), tick=False):
        apply_retention()
        db.session.expire_all()
        erased = db.session.execute(
            sa.select(Deadline.id, Deadline.status).where(Deadline.title.endswith(ERASED_TITLE))
        ).all()
        assert {deadline_id for deadline_id, _status in erased} & still_open, planted.case_id
        assert [deadline_id for deadline_id, status in erased if status == DeadlineStatus.open] == []
        sweep()
        digest()
    db.session.expire_all()
    sent = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.id > sent_before)).all()
    assert not [email.subject for email in sent if ERASED_TITLE in email.body_text]


def test_home_pages_no_longer_list_an_anonymised_case_review(world, api_client, page_client, make):
    """The coordinator's open applications and the chair's meetings leave out an application that was
    anonymised at whatever stage it stood: nothing can be done on it any more."""
    from casework.accounts.models import User
    from casework.community_triggers.models import ReviewMeeting, TriggerApplication
    from casework.data_protection.tasks import apply_retention

    planted = plant(world, api_client, make)
    application = db.session.get(TriggerApplication, planted.application_id)
    reference = application.reference
    chair = db.session.scalar(sa.select(User).where(User.email == "ivy@example.org"))
    # A second meeting arranged and never held: the chair's panel lists it while it is to be held.
    db.session.add(ReviewMeeting(application_id=application.id, scheduled_on=CLOSING.date(), chair_id=chair.id))
    db.session.commit()
    with time_machine.travel(CLOSING, tick=False):
        response = api_client(world.officer).post(f"/api/v1/cases/{world.case.id}/close", json={"reason": "Done"})
        assert response.status_code == 200, response.get_json()
    db.session.commit()
    assert reference in page_client(world.coordinator).get("/").get_data(as_text=True)
    assert reference in page_client(chair).get("/").get_data(as_text=True)

    with time_machine.travel(CLOSING + timedelta(days=7 * 366), tick=False):
        apply_retention()
        db.session.expire_all()
        assert db.session.get(TriggerApplication, planted.application_id).anonymised_at is not None
        assert reference not in page_client(world.coordinator).get("/").get_data(as_text=True)
        assert reference not in page_client(chair).get("/").get_data(as_text=True)


def _open_action_ids_listed(user: Any, api_client: Any, page_client: Any, candidates: set[int]) -> dict[str, set[int]]:
    """Which of ``candidates`` each list of open work shows ``user``: the My actions page (all, overdue),
    the home page (theirs and their team's deadlines), the API's actions (their open ones, overdue ones,
    by open status, by assignee, each case's), the API's deadlines (theirs, their team's), and the
    actions export (their open ones, overdue ones)."""
    from casework.actions.spreadsheets import export_actions
    from casework.cases.models import Action

    found: dict[str, set[int]] = {}
    pages = page_client(user)
    for url in ("/actions", "/actions?overdue=1", "/"):
        html = pages.get(url).get_data(as_text=True)
        found[url] = {i for i in candidates if re.search(rf"/actions/{i}\b", html)}
    api = api_client(user)
    case_ids = {
        case_id
        for case_id in db.session.scalars(sa.select(Action.case_id).where(Action.id.in_(candidates)))
        if case_id is not None
    }
    assignee_ids = {
        assignee_id
        for assignee_id in db.session.scalars(sa.select(Action.assignee_id).where(Action.id.in_(candidates)))
        if assignee_id is not None
    }
    urls = [
        "/api/v1/actions?assignee=me&status=open&per_page=100",
        "/api/v1/actions?assignee=me&overdue=true&per_page=100",
        "/api/v1/actions?overdue=true&per_page=100",
        "/api/v1/actions?status=open&per_page=100",
        "/api/v1/actions?status=in_progress&per_page=100",
        *(f"/api/v1/actions?assignee={i}&status=open&per_page=100" for i in sorted(assignee_ids)),
        *(f"/api/v1/cases/{i}/actions?status=open&per_page=100" for i in sorted(case_ids)),
        *(f"/api/v1/cases/{i}/actions?overdue=true&per_page=100" for i in sorted(case_ids)),
    ]
    for url in urls:
        response = api.get(url)
        assert response.status_code == 200, (url, response.get_json())
        found[url] = {row["id"] for row in response.get_json()["items"]} & candidates
    for owner in ("me", "team"):
        response = api.get(f"/api/v1/deadlines?owner={owner}&per_page=100")
        assert response.status_code == 200, response.get_json()
        found[f"/api/v1/deadlines?owner={owner}"] = {
            int(row["link"].rsplit("/", 1)[1])
            for row in response.get_json()["items"]
            if re.fullmatch(r"/actions/\d+", row.get("link") or "")
        } & candidates
    for args in ({}, {"overdue": "1"}):
        export = export_actions(user, args)
        list(export.rows)  # the ids are filled in as the rows are written
        found[f"export {args}"] = set(export.ids) & candidates
    return {where: ids for where, ids in found.items() if ids}


def test_open_actions_of_an_anonymised_record_leave_every_open_work_list(world, api_client, page_client, make):
    """An action still open when its record is anonymised (an ordinary one handed over at its case's
    closure, a Case Review recommendation's on the case, one on no case) takes no writes any more, so
    its assignee could neither do nor close it. After the retention run it is in nobody's open work
    (the assignee's, the manager's: pages, the API's lists, the export), and the partnership report of
    the periods it fell due in says what it said before the run."""
    from casework.cases.models import Action, ActionStatus
    from casework.community_triggers.models import ApplicationStatus, TriggerApplication
    from casework.data_protection.tasks import apply_retention
    from casework.reports.queries import compute_report
    from tests.support.case_review import case_review_with_every_record

    planted = plant(world, api_client, make)
    # A Case Review on no case, concluded in 2019, its recommendation's action still open with the colleague.
    review = case_review_with_every_record(world, api_client)
    review.application.status = ApplicationStatus.review_concluded
    review.meeting.held_on = date(2019, 3, 10)
    review.action.assignee_id = world.colleague.id
    review.action.due_on = date(2019, 4, 1)
    db.session.commit()
    # An ordinary action on the world's case, overdue when the case closes and handed over to the colleague.
    with time_machine.travel(datetime(2027, 2, 15, 12, tzinfo=UTC), tick=False):
        response = api_client(world.officer).post(
            f"/api/v1/cases/{world.case.id}/actions",
            json={
                "description": "Fit a door chain",
                "agency_code": "BDC",
                "assignee_id": world.officer.id,
                "due_on": "2027-02-20",
            },
        )
        assert response.status_code == 201, response.get_json()
        handed_over_id = response.get_json()["id"]
    with time_machine.travel(CLOSING, tick=False):
        response = api_client(world.officer).post(
            f"/api/v1/cases/{world.case.id}/close",
            json={
                "reason": "Done",
                "handover_to_email": world.colleague.email,
                "hand_over_action_ids": [handed_over_id],
            },
        )
        assert response.status_code == 200, response.get_json()
    db.session.commit()
    still_open = set(db.session.scalars(sa.select(Action.id).where(Action.status.in_(OPEN_STATUSES))))
    # The handed-over action, the planted review's recommendation (on its case) and the one on no case.
    on_the_case = db.session.scalar(
        sa.select(Action.id).where(Action.case_id == planted.case_id, Action.recommendation_id.is_not(None))
    )
    assert {handed_over_id, on_the_case, review.action.id} <= still_open, still_open
    people = (world.officer, world.colleague, world.manager, world.coordinator)
    periods = [(date(2019, 1, 1), date(2019, 12, 31)), (date(2027, 1, 1), date(2027, 12, 31))]

    references = {review.application.reference, db.session.get(TriggerApplication, planted.application_id).reference}
    overdue_tag = 'govuk-tag--red">Overdue'

    def case_review_work() -> dict[str, Any]:
        """The coordinator's Case Reviews with an overdue step, and their agency's overdue requests."""
        pages = page_client(world.coordinator)
        board = pages.get("/case-reviews/?deadline=overdue").get_data(as_text=True)
        requests = pages.get("/case-reviews/information-requests").get_data(as_text=True)
        return {"overdue reviews": {r for r in references if r in board}, "overdue requests": overdue_tag in requests}

    with time_machine.travel(CLOSING + timedelta(days=7 * 366), tick=False):
        assert case_review_work() == {"overdue reviews": references, "overdue requests": True}
        listed = {user.name: _open_action_ids_listed(user, api_client, page_client, still_open) for user in people}
        # The lists are walked: before the run the open actions are in them.
        assert handed_over_id in set().union(*listed[world.colleague.name].values()), listed
        assert review.action.id in set().union(*listed[world.colleague.name].values()), listed
        reports = [compute_report([world.area.id], start, end) for start, end in periods]
        apply_retention()
        db.session.expire_all()
        listed = {user.name: _open_action_ids_listed(user, api_client, page_client, still_open) for user in people}
        assert listed == {user.name: {} for user in people}
        # The review's steps and its information request, left as recorded, are owed no more.
        assert case_review_work() == {"overdue reviews": set(), "overdue requests": False}
        assert not set(
            db.session.scalars(sa.select(Action.id).where(Action.id.in_(still_open), Action.status.in_(OPEN_STATUSES)))
        ), "an action of an anonymised record is still open"
        assert db.session.get(Action, handed_over_id).status == ActionStatus.cancelled
        after = [compute_report([world.area.id], start, end) for start, end in periods]
        assert _flat(after) == _flat(reports), set(_flat(after).items()) ^ set(_flat(reports).items())


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    """``{"0.areas.1.actions_due": 1, ...}``: every figure of nested reports by its path."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{path}.{key}").items()}
    if isinstance(value, list):
        return {k: v for index, item in enumerate(value) for k, v in _flat(item, f"{path}.{index}").items()}
    return {path.lstrip("."): value}
