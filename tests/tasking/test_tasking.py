"""Tasking meetings (issue 14 item 1): the agenda builds itself, the chair reorders and adds, the
meeting records discussion, decisions, actions (ordinary case actions with their reminders) and
attendance, the minutes go out as a link, each agency sees only the cases it may see, and the next
meeting carries forward what is still open. Run on SQLite and PostgreSQL like every DB test."""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.cases.models import Action, ActionStatus, Case, CaseShare, CaseStatus
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders.models import Deadline
from casework.risk.models import RiskAssessment, RiskBand
from casework.risk.services import current_questionnaire
from casework.tasking import services
from casework.tasking.models import AgendaReason, MeetingStatus, TaskingAction, TaskingAgendaItem, TaskingMeeting

TODAY = date(2026, 11, 23)
MEETING_DAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def _assess(case: Any, band: RiskBand, on: date) -> None:
    questionnaire = current_questionnaire(case.area)
    db.session.add(
        RiskAssessment(
            case_id=case.id, questionnaire_id=questionnaire.id, answers={}, score=0, band=band, assessed_on=on
        )
    )
    db.session.commit()


def _overdue_action(case: Any, agency: Any) -> Action:
    action = Action(case_id=case.id, description="Old action", agency_id=agency.id, due_on=TODAY - timedelta(days=9))
    db.session.add(action)
    db.session.commit()
    return action


@pytest.fixture
def setting(world, make):
    """Cases for every agenda source, a police officer, and a weekly series for the council and police."""
    police_officer = make.user("officer", agency=world.police, name="Paul Police")
    high = world.case  # council's, shared with the police
    _assess(high, RiskBand.standard, TODAY - timedelta(days=30))
    _assess(high, RiskBand.high, TODAY - timedelta(days=2))
    overdue = world.new_case(reference="BOL-2026-0002")  # council's only
    _overdue_action(overdue, world.council)
    police_case = world.new_case(reference="BOL-2026-0003", lead=world.police, owner=police_officer)
    closed = world.new_case(reference="BOL-2026-0004")
    closed.status = CaseStatus.closed
    db.session.commit()
    _overdue_action(closed, world.council)
    older_rise = world.new_case(reference="BOL-2026-0005")  # risk rose before the last meeting: not new
    _assess(older_rise, RiskBand.standard, TODAY - timedelta(days=60))
    _assess(older_rise, RiskBand.medium, TODAY - timedelta(days=40))
    series = services.create_series(
        world.coordinator,
        area=world.area,
        name="Bolsover ASB tasking",
        interval_days=7,
        agencies=[world.council, world.police],
    )
    meeting = services.schedule_meeting(world.coordinator, series, MEETING_DAY)
    db.session.commit()
    return SimpleNamespace(
        series=series,
        meeting=meeting,
        high=high,
        overdue=overdue,
        police_case=police_case,
        closed=closed,
        older_rise=older_rise,
        police_officer=police_officer,
    )


def _reasons(meeting: TaskingMeeting) -> dict[str, list[str]]:
    db.session.refresh(meeting)
    cases = {c.id: c.reference for c in db.session.scalars(sa.select(Case))}
    return {cases[item.case_id]: item.reasons for item in meeting.items}


def test_agenda_builds_itself_from_each_source(world, setting):
    reasons = _reasons(setting.meeting)
    assert reasons == {
        "BOL-2026-0001": [AgendaReason.new_high_risk.value, AgendaReason.risk_increased.value],
        "BOL-2026-0002": [AgendaReason.overdue_actions.value],
    }
    # A nomination by an officer who sees the case, and the chair adding one by reference.
    services.nominate(setting.police_officer, setting.police_case, "Drug dealing from the flat")
    services.add_case(world.coordinator, setting.meeting, "bol-2026-0005")
    db.session.commit()
    reasons = _reasons(setting.meeting)
    assert reasons["BOL-2026-0003"] == [AgendaReason.nominated.value]
    assert reasons["BOL-2026-0005"] == [AgendaReason.added_by_chair.value]
    assert "BOL-2026-0004" not in reasons  # closed


def test_victims_the_threshold_watch_flags_come_on_the_agenda_until_told(world, setting):
    from casework.cases.models import Person
    from casework.threshold_watch.models import WatchEntry

    flagged_case = world.new_case(reference="BOL-2026-0006")
    told_case = world.new_case(reference="BOL-2026-0007")
    entries = []
    for name, case in (("Flagged Victim", flagged_case), ("Told Victim", told_case)):
        person = Person(name=name, normalised_name=name.lower())
        db.session.add(person)
        db.session.flush()
        entry = WatchEntry(
            area_id=world.area.id,
            person_id=person.id,
            case_ids=[case.id],
            task_case_id=case.id,
            qualifying_count=3,
            threshold=3,
            short_by=0,
            working={},
            evaluated_on=TODAY,
            met_on=TODAY - timedelta(days=20),  # before the last meeting: still not told, so still listed
        )
        db.session.add(entry)
        entries.append(entry)
    entries[1].told_on = TODAY
    db.session.commit()
    meeting = services.schedule_meeting(world.coordinator, setting.series, MEETING_DAY + timedelta(days=7))
    db.session.commit()
    reasons = _reasons(meeting)
    assert reasons["BOL-2026-0006"] == [AgendaReason.threshold_watch.value]
    assert "BOL-2026-0007" not in reasons


def test_each_agency_sees_only_its_cases_and_counts_of_the_others(world, setting, page_client):
    services.nominate(setting.police_officer, setting.police_case, None)
    db.session.commit()
    council = page_client(world.coordinator).get(f"/tasking/meetings/{setting.meeting.id}").get_data(as_text=True)
    assert "BOL-2026-0001" in council
    assert "BOL-2026-0002" in council
    assert "BOL-2026-0003" not in council
    assert "1 other case held by Agency POL" in council
    police = page_client(setting.police_officer).get(f"/tasking/meetings/{setting.meeting.id}").get_data(as_text=True)
    assert "BOL-2026-0001" in police
    assert "BOL-2026-0003" in police
    assert "BOL-2026-0002" not in police
    assert "Noise and threats" in police
    assert "1 other case held by Agency BDC" in police
    # The item page of a case the user may not see answers 404, like the case itself.
    hidden = db.session.scalar(sa.select(TaskingAgendaItem).where(TaskingAgendaItem.case_id == setting.overdue.id))
    assert page_client(setting.police_officer).get(f"/tasking/items/{hidden.id}").status_code == 404


@pytest.mark.parametrize("who", ["stranger", "unshared_partner"])
def test_agencies_that_do_not_attend_see_nothing(world, setting, page_client, who):
    client = page_client(getattr(world, who))
    assert client.get(f"/tasking/meetings/{setting.meeting.id}").status_code == 404
    assert client.get(f"/tasking/meetings/{setting.meeting.id}/minutes").status_code == 404
    assert "Bolsover ASB tasking" not in client.get("/tasking").get_data(as_text=True)


@pytest.mark.parametrize("who", ["chair", "admin"])
def test_roles_without_cases_are_refused(world, setting, page_client, who):
    client = page_client(getattr(world, who))
    assert client.get("/tasking").status_code == 403
    assert client.get(f"/tasking/meetings/{setting.meeting.id}").status_code == 403


@pytest.mark.parametrize("who", ["officer", "partner"])
def test_officers_and_partners_read_but_do_not_run(world, setting, page_client, who):
    client = page_client(getattr(world, who))
    page = client.get(f"/tasking/meetings/{setting.meeting.id}")
    assert page.status_code == 200
    assert "Publish the minutes" not in page.get_data(as_text=True)
    assert client.post(f"/tasking/meetings/{setting.meeting.id}/publish").status_code == 403
    assert client.get("/tasking/new").status_code == 403
    # Not published yet: the minutes are the chair's draft.
    assert client.get(f"/tasking/meetings/{setting.meeting.id}/minutes").status_code == 404
    db.session.refresh(setting.meeting)
    assert setting.meeting.status is MeetingStatus.planned


def _item(meeting: TaskingMeeting, case: Any) -> TaskingAgendaItem:
    return db.session.scalar(
        sa.select(TaskingAgendaItem).where(
            TaskingAgendaItem.meeting_id == meeting.id, TaskingAgendaItem.case_id == case.id
        )
    )


def test_a_meeting_from_agenda_to_minutes_and_the_next_agenda(world, setting, page_client):
    chair = page_client(world.coordinator)
    meeting = setting.meeting
    high = _item(meeting, setting.high)
    overdue = _item(meeting, setting.overdue)
    # The chair reorders: the overdue case first.
    assert chair.post(f"/tasking/items/{overdue.id}/move", data={"direction": "up"}).status_code == 302
    db.session.refresh(overdue)
    db.session.refresh(high)
    assert overdue.position < high.position
    saved = chair.post(
        f"/tasking/items/{high.id}",
        data={"discussion": "Youths gather nightly", "decisions": "Joint patrols"},
    )
    assert saved.status_code == 302
    shares_before = db.session.scalar(sa.select(sa.func.count()).select_from(CaseShare))
    allocated = chair.post(
        f"/tasking/items/{high.id}/actions",
        data={
            "description": "Patrol Station Road",
            "agency_id": str(world.police.id),
            "assignee_id": str(world.partner.id),
            "due_on-day": "30",
            "due_on-month": "11",
            "due_on-year": "2026",
        },
    )
    assert allocated.status_code == 302
    action = db.session.scalar(sa.select(Action).where(Action.description == "Patrol Station Road"))
    # The case's own action, with the deadline every action has (so reminded the same way).
    assert action.case_id == setting.high.id
    assert action.assignee_id == world.partner.id
    deadline = db.session.scalar(
        sa.select(Deadline).where(Deadline.subject_type == "actions", Deadline.subject_id == action.id)
    )
    assert deadline.owner_id == world.partner.id
    assert deadline.due_on == date(2026, 11, 30)
    assert deadline.remind_at is not None
    assert "Patrol Station Road" in chair.get(f"/cases/{setting.high.id}").get_data(as_text=True)
    # Discussing and allocating shared nothing.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseShare)) == shares_before
    recorded = chair.post(f"/tasking/items/{overdue.id}", data={"discussion": "Council only matter", "decisions": ""})
    assert recorded.status_code == 302
    assert page_client(setting.police_officer).get(f"/cases/{setting.overdue.id}").status_code == 404
    attendance = chair.post(
        f"/tasking/meetings/{meeting.id}/attendance",
        data={
            f"status-{world.council.id}": "attended",
            f"representative-{world.council.id}": str(world.coordinator.id),
            f"status-{world.police.id}": "apologies",
            f"representative-{world.police.id}": str(world.partner.id),
        },
    )
    assert attendance.status_code == 302
    published = chair.post(f"/tasking/meetings/{meeting.id}/publish")
    assert published.status_code == 302
    emails = list(db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.related_type == "tasking_meetings")))
    assert sorted(e.to_address for e in emails) == sorted([world.coordinator.email, world.partner.email])
    for email in emails:
        assert f"/tasking/meetings/{meeting.id}/minutes" in email.body_text
        for secret in ("BOL-2026", "Youths gather", "Patrol Station Road", "Noise and threats"):
            assert secret not in email.body_text
            assert secret not in (email.body_html or "")
    # The partner reads the minutes: the shared case and its action, a count for the council's own.
    minutes = page_client(world.partner).get(f"/tasking/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert "BOL-2026-0001" in minutes
    assert "Youths gather nightly" in minutes
    assert "Patrol Station Road" in minutes
    assert "Council only matter" not in minutes
    assert "BOL-2026-0002" not in minutes
    assert "1 other case held by Agency BDC" in minutes
    assert "Apologies" in minutes
    # The record is closed once published.
    closed = chair.post(f"/tasking/items/{high.id}", data={"discussion": "Later change", "decisions": ""})
    assert closed.status_code == 422
    db.session.refresh(high)
    assert high.discussion == "Youths gather nightly"
    # The next meeting carries forward the action still open.
    following = chair.post(f"/tasking/meetings/{meeting.id}/next")
    assert following.status_code == 302
    nxt = db.session.scalar(sa.select(TaskingMeeting).where(TaskingMeeting.held_on == MEETING_DAY + timedelta(days=7)))
    carried = db.session.scalar(sa.select(TaskingAction).where(TaskingAction.meeting_id == nxt.id))
    assert carried.action_id == action.id
    assert carried.is_carried_forward
    assert AgendaReason.carried_forward.value in _item(nxt, setting.high).reasons
    # Done actions are not carried again.
    action.status = ActionStatus.done
    action.outcome = "Patrolled"
    db.session.commit()
    third = services.schedule_next(world.coordinator, nxt)
    db.session.commit()
    assert db.session.scalar(sa.select(TaskingAction).where(TaskingAction.meeting_id == third.id)) is None


def test_minutes_as_pdf(world, setting, page_client):
    from casework.documents import layout

    if not layout.pdf_available():
        pytest.skip("WeasyPrint cannot load the system's Pango here")
    services.publish_minutes(world.coordinator, setting.meeting)
    db.session.commit()
    answer = page_client(world.partner).get(f"/tasking/meetings/{setting.meeting.id}/minutes.pdf")
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert answer.data.startswith(b"%PDF")


def test_bad_input_is_refused_and_writes_nothing(world, setting, page_client, make):
    chair = page_client(world.coordinator)
    item = _item(setting.meeting, setting.high)
    no_date = chair.post(
        f"/tasking/items/{item.id}/actions",
        data={"description": "Patrol", "agency_id": str(world.police.id)},
    )
    assert no_date.status_code == 422
    assert "Enter due date" in no_date.get_data(as_text=True)
    wrong_agency = chair.post(
        f"/tasking/items/{item.id}/actions",
        data={
            "description": "Patrol",
            "agency_id": str(world.other.id),
            "due_on-day": "1",
            "due_on-month": "12",
            "due_on-year": "2026",
        },
    )
    assert wrong_agency.status_code == 422
    assert "does not share the case" in wrong_agency.get_data(as_text=True)
    # The actions service's message, on the form's agency field (its error message, linked from the summary).
    html = wrong_agency.get_data(as_text=True)
    field_error = html.split('id="agency_id-error"', 1)[1].split("</p>", 1)[0]
    assert "Agency NED does not work on case" in field_error
    assert 'href="#agency_id"' in html
    hidden_user = make.user("partner", agency=make.agency("FAR", areas=[make.area("FAR")]), name="Far Away")
    hidden_assignee = chair.post(
        f"/tasking/items/{item.id}/actions",
        data={
            "description": "Patrol",
            "agency_id": str(world.police.id),
            "assignee_id": str(hidden_user.id),
            "due_on-day": "1",
            "due_on-month": "12",
            "due_on-year": "2026",
        },
    )
    assert hidden_assignee.status_code == 422
    assert "Far Away" not in hidden_assignee.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskingAction)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action).where(Action.description == "Patrol")) == 0
    wrong_person = chair.post(
        f"/tasking/meetings/{setting.meeting.id}/attendance",
        data={f"status-{world.police.id}": "attended", f"representative-{world.police.id}": str(world.officer.id)},
    )
    assert wrong_person.status_code == 422
    assert "Choose someone who works for Agency POL" in wrong_person.get_data(as_text=True)
    bad_status = chair.post(
        f"/tasking/meetings/{setting.meeting.id}/attendance", data={f"status-{world.police.id}": "maybe"}
    )
    assert bad_status.status_code == 422
    unknown = chair.post(f"/tasking/meetings/{setting.meeting.id}/agenda/add", data={"reference": "BOL-2026-0003"})
    assert unknown.status_code == 422  # the police's case: the chair cannot see it
    assert "Enter the reference of a case you can see" in unknown.get_data(as_text=True)
    twice = chair.post(
        f"/tasking/series/{setting.series.id}/meetings/new",
        data={"held_on-day": "26", "held_on-month": "11", "held_on-year": "2026"},
    )
    assert twice.status_code == 422
    assert "already a meeting" in twice.get_data(as_text=True)


def test_nominating_needs_a_planned_meeting_and_a_visible_case(world, setting, page_client):
    officer = page_client(world.officer)
    page = officer.get(f"/cases/{setting.overdue.id}/tasking-nomination")
    assert page.status_code == 200
    assert "26 November 2026" in page.get_data(as_text=True)
    assert (
        officer.post(f"/cases/{setting.overdue.id}/tasking-nomination", data={"note": "Escalating"}).status_code == 302
    )
    assert _item(setting.meeting, setting.overdue).nomination_note == "Escalating"
    # A case the officer cannot see: 404, and nothing is added.
    assert officer.post(f"/cases/{setting.police_case.id}/tasking-nomination", data={}).status_code == 404
    assert _item(setting.meeting, setting.police_case) is None
    # No meeting planned: a clear message.
    setting.meeting.status = MeetingStatus.held
    db.session.commit()
    refused = officer.post(f"/cases/{setting.overdue.id}/tasking-nomination", data={})
    assert refused.status_code == 422
    assert "No tasking meeting that your agency attends is planned in Bolsover" in refused.get_data(as_text=True)


def test_setting_up_a_series(world, page_client):
    chair = page_client(world.coordinator)
    assert chair.get("/tasking/new").status_code == 200
    missing_own = chair.post(
        "/tasking/new",
        data={
            "name": "Tasking",
            "area_id": str(world.area.id),
            "interval_days": "7",
            "agency_ids": [str(world.police.id)],
            "held_on-day": "26",
            "held_on-month": "11",
            "held_on-year": "2026",
        },
    )
    assert missing_own.status_code == 422
    assert "Your own agency must attend" in missing_own.get_data(as_text=True)
    made = chair.post(
        "/tasking/new",
        data={
            "name": "Tasking",
            "area_id": str(world.area.id),
            "interval_days": "14",
            "agency_ids": [str(world.council.id), str(world.police.id)],
            "held_on-day": "26",
            "held_on-month": "11",
            "held_on-year": "2026",
        },
    )
    assert made.status_code == 302
    assert "Tasking" in page_client(world.partner).get("/tasking").get_data(as_text=True)


def test_an_action_is_allocated_only_to_someone_who_sees_the_case(world, setting, page_client):
    """The item page offers, and the allocation accepts, only people who may see the item's case:
    the action's deadline quotes the case. Admins and chairs, who see no cases, are neither."""
    chair = page_client(world.coordinator)
    item = _item(setting.meeting, setting.high)
    page = chair.get(f"/tasking/items/{item.id}")
    assert page.status_code == 200
    select = re.search(r'<select[^>]*name="assignee_id".*?</select>', page.text, re.S)
    assert select is not None
    offered = set(re.findall(r'<option value="(\d+)"', select.group(0)))
    assert {str(world.officer.id), str(world.partner.id)} <= offered
    for user in (world.admin, world.chair):
        assert str(user.id) not in offered, user.name
    refused = chair.post(
        f"/tasking/items/{item.id}/actions",
        data={
            "description": "Patrol",
            "agency_id": str(world.council.id),
            "assignee_id": str(world.admin.id),
            "due_on-day": "1",
            "due_on-month": "12",
            "due_on-year": "2026",
        },
    )
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action).where(Action.description == "Patrol")) == 0
