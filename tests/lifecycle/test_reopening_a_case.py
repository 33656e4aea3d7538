"""Reopening a case (``lifecycle.case_reopened``) and what its closure handed over.

Reopening re-arms the work its closure cancelled that is still owed, in every domain that has some (the
explanation of the Case Review, the threshold watch's tell-the-victim task, besides risk reviews and
interventions' dates); a statutory deadline handed to a stand-in only because the case closed goes
back to whoever had it, unless the stand-in took it up; whoever a deadline is handed to is reminded of
it, each owner once; and closing hands a Case Review's recommendation over by one rule (the
``CaseHandover`` docstring's), never to another agency's user, keeping its title."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.cases.models import Action, ActionStatus, CaseReviewExplanation, ExplanationMethod
from casework.cases.services.fields import EXPLAIN_KIND
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders import tasks
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.services import dashboard_items, set_deadline
from casework.threshold_watch.models import ToldMethod, WatchEntry
from casework.threshold_watch.services import TELL_KIND
from tests.lifecycle.test_closing_a_case import (
    TODAY,
    _frozen_day,  # noqa: F401 (an autouse fixture: the day the test world lives on)
    action,
    close,
    closure_notice,
    deadline_of,
)
from tests.support.case_review import recommendation_on_the_case


def reopen(world: Any, api_client: Any, user: Any = None) -> Any:
    response = api_client(user or world.officer).post(
        f"/api/v1/cases/{world.case.id}/reopen", json={"reason": "The perpetrator came back"}
    )
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    return response


def reminders_to(email: str) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxEmail).where(
                OutboxEmail.idempotency_key.like("reminder:%"), OutboxEmail.to_address == email
            )
        )
    )


def sweep(days_later: int = 0) -> dict[str, int]:
    db.session.commit()  # the sweep starts with a rollback: settle the test's own SAVEPOINT first
    with time_machine.travel(TODAY + timedelta(days=days_later), tick=False):
        return tasks.sweep.run()


# --- 1. what the closure cancelled and is still owed is due again -----------------------------------------


def explanation_task(world: Any) -> CaseReviewExplanation:
    """ "Explain the Case Review to Vera Victim", raised on the case as the second-report rule does."""
    task = CaseReviewExplanation(
        case_id=world.case.id,
        person_id=world.victim.id,
        first_report_on=date(2027, 2, 1),
        second_report_on=date(2027, 2, 26),
        due_on=date(2027, 3, 5),
    )
    db.session.add(task)
    db.session.flush()
    set_deadline(
        subject_type=CaseReviewExplanation.__tablename__,
        subject_id=task.id,
        kind=EXPLAIN_KIND,
        title=f"Explain the Case Review (Community Trigger) to Vera Victim ({world.case.reference})",
        due=task.due_on,
        owner_id=world.officer.id,
        area_id=world.area.id,
        link=f"/cases/{world.case.id}",
        case_id=world.case.id,
    )
    db.session.commit()
    return task


def tell_task(world: Any) -> WatchEntry:
    """The threshold watch's entry for a victim who met the threshold, with the owner's task to tell them
    (as the nightly pass raises it)."""
    entry = WatchEntry(
        area_id=world.area.id,
        person_id=world.victim.id,
        case_ids=[world.case.id],
        task_case_id=world.case.id,
        qualifying_count=3,
        threshold=3,
        short_by=0,
        working={"complaints": []},
        evaluated_on=date(2027, 2, 26),
        met_on=date(2027, 2, 26),
    )
    db.session.add(entry)
    db.session.flush()
    set_deadline(
        subject_type=WatchEntry.__tablename__,
        subject_id=entry.id,
        kind=TELL_KIND,
        title="Tell Vera Victim of their right to a Case Review (Community Trigger)",
        due=date(2027, 3, 4),
        owner_id=world.officer.id,
        case_id=world.case.id,
        area_id=world.area.id,
        link=f"/threshold-watch/{entry.id}/tell",
    )
    db.session.commit()
    return entry


def test_reopening_rearms_the_explanation_and_the_tell_victim_task_the_closure_cancelled(world, api_client):
    explanation = explanation_task(world)
    entry = tell_task(world)
    assert close(world, api_client).status_code == 200
    assert deadline_of("case_review_explanations", explanation.id).status == DeadlineStatus.cancelled
    assert deadline_of("threshold_watch_entries", entry.id).status == DeadlineStatus.cancelled

    reopen(world, api_client)

    for row in (
        deadline_of("case_review_explanations", explanation.id, EXPLAIN_KIND),
        deadline_of("threshold_watch_entries", entry.id, TELL_KIND),
    ):
        assert (row.status, row.owner_id, row.reminder_sent_at) == (DeadlineStatus.open, world.officer.id, None)
    assert deadline_of("case_review_explanations", explanation.id).due_on == date(2027, 3, 5)
    titles = {item["description"] for item in dashboard_items(world.officer)}
    assert f"Explain the Case Review (Community Trigger) to Vera Victim ({world.case.reference})" in titles
    assert "Tell Vera Victim of their right to a Case Review (Community Trigger)" in titles
    # Reminded (once each) on their reminder day, like any other open work of an open case.
    counts = sweep(days_later=2)
    assert counts["reminded"] == 2


def test_reopening_leaves_an_explanation_already_given_and_a_victim_already_told_as_they_are(world, api_client):
    explanation = explanation_task(world)
    entry = tell_task(world)
    assert close(world, api_client).status_code == 200
    given = db.session.get(CaseReviewExplanation, explanation.id)
    given.explained_on, given.method = date(2027, 3, 1), ExplanationMethod.phone
    given.explained_by_id = world.officer.id
    told = db.session.get(WatchEntry, entry.id)
    told.told_on, told.told_method, told.told_by_id = date(2027, 3, 1), ToldMethod.phone, world.officer.id
    db.session.commit()

    reopen(world, api_client)

    assert deadline_of("case_review_explanations", explanation.id).status == DeadlineStatus.cancelled
    assert deadline_of("threshold_watch_entries", entry.id).status == DeadlineStatus.cancelled


# --- 2. what a stand-in took only because the case closed goes back -------------------------------------


def test_reopening_gives_back_what_was_handed_to_a_stand_in(world, api_client):
    notice = closure_notice(world, api_client)
    statutory = recommendation_on_the_case(world, agency=world.council, assignee=world.officer)
    chosen = action(world, api_client, "Finish the mediation")
    hearing_before = deadline_of("interventions", notice, "intervention.hearing_by").owner_id
    response = close(world, api_client, handover_to_email=world.colleague.email, hand_over_action_ids=[chosen])
    assert response.status_code == 200, response.get_json()
    assert deadline_of("interventions", notice, "intervention.hearing_by").owner_id == world.colleague.id
    assert db.session.get(Action, statutory.id).assignee_id == world.colleague.id

    reopen(world, api_client)

    hearing = deadline_of("interventions", notice, "intervention.hearing_by")
    assert (hearing.status, hearing.owner_id, hearing.handed_over_at) == (DeadlineStatus.open, hearing_before, None)
    assert hearing_before == world.officer.id
    given_back = db.session.get(Action, statutory.id)
    assert (given_back.assignee_id, given_back.agency_id) == (world.officer.id, world.council.id)
    row = deadline_of("actions", statutory.id)
    assert (row.owner_id, row.title) == (
        world.officer.id,
        "Case review recommendation (BOL-CT-2026-0001): Fit a noise monitor",
    )
    # An ordinary action the officer chose to hand over was given away on purpose: it stays.
    assert db.session.get(Action, chosen).assignee_id == world.colleague.id
    assert deadline_of("actions", chosen).owner_id == world.colleague.id


def test_work_the_stand_in_took_up_stays_with_them_when_the_case_is_reopened(world, api_client):
    statutory = recommendation_on_the_case(world, agency=world.council, assignee=world.officer)
    assert close(world, api_client, handover_to_email=world.colleague.email).status_code == 200
    started = api_client(world.colleague).patch(f"/api/v1/actions/{statutory.id}", json={"status": "in_progress"})
    assert started.status_code == 200, started.get_json()

    reopen(world, api_client)

    kept = db.session.get(Action, statutory.id)
    assert (kept.assignee_id, kept.status) == (world.colleague.id, ActionStatus.in_progress)
    row = deadline_of("actions", statutory.id)
    assert (row.owner_id, row.handed_over_at) == (world.colleague.id, None)


def test_what_was_handed_to_a_user_no_longer_active_stays_with_the_stand_in(world, api_client):
    notice = closure_notice(world, api_client)
    assert close(world, api_client, handover_to_email=world.colleague.email).status_code == 200
    world.officer.is_active = False
    db.session.commit()

    reopen(world, api_client, user=world.colleague)

    assert deadline_of("interventions", notice, "intervention.hearing_by").owner_id == world.colleague.id


# --- 3. a new owner is reminded, each owner once -------------------------------------------------------


def test_a_deadline_handed_over_is_reminded_to_its_new_owner_and_each_owner_once(world, api_client):
    set_deadline(
        subject_type="test_subjects",
        subject_id=1,
        kind="test.hearing",
        title="Closure order hearing",
        due=date(2027, 3, 3),
        owner_id=world.officer.id,
        case_id=world.case.id,
        is_statutory=True,
    )
    db.session.commit()
    assert sweep()["reminders_queued"] == 1  # the officer's, before the closure
    assert len(reminders_to(world.officer.email)) == 1

    assert close(world, api_client, handover_to_email=world.colleague.email).status_code == 200
    assert sweep()["reminders_queued"] == 1
    assert len(reminders_to(world.colleague.email)) == 1
    assert sweep()["reminders_queued"] == 0  # exactly once for the new owner

    reopen(world, api_client)  # back to the officer, who was reminded already: not again
    sweep()
    assert len(reminders_to(world.officer.email)) == 1
    assert len(reminders_to(world.colleague.email)) == 1


# --- 4. one rule for a recommendation on closure; never another agency's user; its title kept ------------


def test_closing_leaves_an_unassigned_recommendation_with_the_coordinator_and_its_title(world, api_client):
    statutory = recommendation_on_the_case(world, agency=world.council, assignee=None)
    assert close(world, api_client).status_code == 200
    db.session.expire_all()
    kept = db.session.get(Action, statutory.id)
    assert (kept.assignee_id, kept.status) == (None, ActionStatus.open)
    row = deadline_of("actions", statutory.id)
    assert (row.owner_id, row.status) == (world.coordinator.id, DeadlineStatus.open)
    assert row.title == "Case review recommendation (BOL-CT-2026-0001): Fit a noise monitor"


def test_a_recommendation_to_another_agency_is_never_assigned_to_a_council_officer(world, api_client):
    statutory = recommendation_on_the_case(world, agency=world.police, assignee=world.partner, text="Patrol the street")
    response = close(world, api_client, handover_to_email=world.colleague.email)
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    kept = db.session.get(Action, statutory.id)
    assert (kept.agency_id, kept.assignee_id) == (world.police.id, world.partner.id)
    row = deadline_of("actions", statutory.id)
    assert row.title == "Case review recommendation (BOL-CT-2026-0001): Patrol the street"
    # The deadline goes where the reminders' receiver sends every statutory deadline: the named owner.
    assert row.owner_id == world.colleague.id


def test_closing_through_the_api_keeps_a_recommendation_with_its_active_owner(world, api_client):
    statutory = recommendation_on_the_case(world, agency=world.police, assignee=world.partner, text="Patrol the street")
    assert close(world, api_client).status_code == 200
    db.session.expire_all()
    kept = db.session.get(Action, statutory.id)
    assert (kept.agency_id, kept.assignee_id) == (world.police.id, world.partner.id)
    assert deadline_of("actions", statutory.id).owner_id == world.partner.id


def test_no_deadline_row_is_left_without_the_rule_after_close_and_reopen(world, api_client):
    """Whichever receiver runs first, close then reopen leaves nothing handed over."""
    recommendation_on_the_case(world, agency=world.council, assignee=world.officer)
    closure_notice(world, api_client)
    assert close(world, api_client, handover_to_email=world.colleague.email).status_code == 200
    reopen(world, api_client)
    assert db.session.scalar(sa.select(sa.func.count()).where(Deadline.handed_over_at.is_not(None))) == 0
