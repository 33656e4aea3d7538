"""A Case Review step done on its due day counts as done on time, however late it is entered.

``deadlines.sync`` closed each step's deadline row with ``completed_at = now()``, the moment it was
recorded, and the partnership report counts a deadline met when ``completed_at <= due_at``. So an
acknowledgement sent on its due day (a Friday) and entered on the Monday, or a decision made on its due
day and entered at 00:30 BST the next morning (23:30 UTC, still "the same day" in UTC), counted as
missed. A step is done on the day its record says (``acknowledged_on``, ``decided_on``, ``held_on``,
``outcome_letter_sent_on``, an appeal's ``decided_on``, the agencies' ``submitted_on``), so its row is
done by the end of that day in London, or at the moment recorded when that is earlier.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
import time_machine

from casework.community_triggers.models import TriggerApplication
from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reports.queries import compute_report
from tests.interventions.world import World, world  # noqa: F401


def _at(*parts: int):
    return time_machine.travel(datetime(*parts, tzinfo=UTC), tick=False)


def _rows(application_id: int) -> dict[str, Deadline]:
    db.session.expire_all()
    return {
        row.kind.removeprefix("trigger."): row
        for row in db.session.scalars(
            sa.select(Deadline).where(
                Deadline.subject_type == "trigger_applications", Deadline.subject_id == application_id
            )
        )
    }


def test_steps_done_on_their_due_day_and_entered_later_are_met(api_client, world: World):  # noqa: F811
    client = api_client(world.coordinator)
    body = {
        "area_code": world.area.code,
        "received_on": "2026-04-01",
        "channel": "phone",
        "applicant": {"name": "Vera Victim"},
        "applicant_role": "victim",
        "description": "Noise every night",
    }
    with _at(2026, 4, 1, 10, 0):
        answer = client.post("/api/v1/triggers", json=body)
        assert answer.status_code == 201, answer.json
    application_id = answer.json["id"]
    rows = _rows(application_id)
    # 5 and 15 working days after Wed 1 April 2026 (Good Friday and Easter Monday skipped).
    assert (rows["acknowledge"].due_on, rows["threshold_decision"].due_on) == (date(2026, 4, 10), date(2026, 4, 24))
    # Acknowledged on Friday 10 April, entered on Monday 13 April.
    with _at(2026, 4, 13, 9, 0):
        answer = client.post(f"/api/v1/triggers/{application_id}/acknowledge", json={"acknowledged_on": "2026-04-10"})
        assert answer.status_code == 200, answer.json
    # Decided on Friday 24 April, entered at 00:30 BST on Saturday 25 April (23:30 UTC on the 24th).
    with _at(2026, 4, 24, 23, 30):
        answer = client.post(
            f"/api/v1/triggers/{application_id}/threshold-decision",
            json={"met": False, "basis": None, "reasons": "Not enough yet", "decided_on": "2026-04-24"},
        )
        assert answer.status_code == 200, answer.json
    rows = _rows(application_id)
    late = {
        step: (row.completed_at, row.due_at)
        for step, row in rows.items()
        if step in ("acknowledge", "threshold_decision")
        and not (row.status == DeadlineStatus.done and row.completed_at <= row.due_at)
    }
    assert late == {}
    area_id = db.session.get(TriggerApplication, application_id).area_id
    with _at(2026, 6, 1, 9, 0):
        figures = compute_report([area_id], date(2026, 4, 1), date(2026, 4, 30))["areas"][area_id]["case_review"]
    # Acknowledge and decision, both met (the agencies' information is no longer owed after "not met").
    assert (figures["deadlines_due"], figures["deadlines_met"]) == (2, 2)


def test_a_step_done_after_its_due_day_is_still_late(api_client, world: World):  # noqa: F811
    client = api_client(world.coordinator)
    body = {
        "area_code": world.area.code,
        "received_on": "2026-04-01",
        "channel": "phone",
        "applicant": {"name": "Vera Victim"},
        "applicant_role": "victim",
        "description": "Noise every night",
    }
    with _at(2026, 4, 1, 10, 0):
        application_id = client.post("/api/v1/triggers", json=body).json["id"]
    # Acknowledged on Monday 13 April (due Friday 10 April), entered a week later.
    with _at(2026, 4, 20, 9, 0):
        answer = client.post(f"/api/v1/triggers/{application_id}/acknowledge", json={"acknowledged_on": "2026-04-13"})
        assert answer.status_code == 200, answer.json
    row = _rows(application_id)["acknowledge"]
    assert row.status == DeadlineStatus.done
    assert row.completed_at > row.due_at


def _apply(api_client, world: World) -> TriggerApplication:  # noqa: F811
    body = {
        "area_code": world.area.code,
        "received_on": "2026-04-01",
        "channel": "phone",
        "applicant": {"name": "Vera Victim"},
        "applicant_role": "victim",
        "description": "Noise every night",
    }
    answer = api_client(world.coordinator).post("/api/v1/triggers", json=body)
    assert answer.status_code == 201, answer.json
    return db.session.get(TriggerApplication, answer.json["id"])


def _done_days(*application_ids: int) -> dict[str, date]:
    """Each done deadline of a Case Review (its steps, the agencies' requests, the PCC's review) by kind,
    with the London day it counts as done."""
    from casework.core.time import london_day

    db.session.expire_all()
    return {
        row.kind: london_day(row.completed_at)
        for row in db.session.scalars(
            sa.select(Deadline).where(Deadline.kind.like("trigger.%"), Deadline.status == DeadlineStatus.done)
        )
    }


def test_every_case_review_deadline_done_counts_from_the_day_its_record_gives(api_client, world: World):  # noqa: F811
    """Both paths through a Case Review (not met, appealed and taken to the PCC; met, reviewed and the
    outcome sent), every step entered on 1 September 2026 with the day it was done in April and May:
    each done deadline counts from that day, whichever service closed it."""
    from casework.accounts.services import update_area_settings
    from casework.community_triggers import info_requests
    from casework.community_triggers.pcc_review import services as pcc
    from casework.community_triggers.pcc_review.settings import IN_FORCE
    from casework.community_triggers.services import appeal, decision

    with _at(2026, 9, 1, 9, 0):
        update_area_settings(None, world.area, {IN_FORCE: True}, date(2026, 1, 1))
        not_met, met = _apply(api_client, world), _apply(api_client, world)
        for application, requested in ((not_met, date(2026, 4, 2)), (met, date(2026, 4, 2))):
            request = info_requests.request_information(
                world.coordinator, application, world.council, due_on=date(2026, 4, 15), requested_on=requested
            )
            info_requests.submit(world.coordinator, request, text="What we hold", submitted_on=date(2026, 4, 14))
            decision.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 4, 7))
        decision.decide_threshold(
            world.coordinator, not_met, met=False, basis=None, reasons="Not enough", decided_on=date(2026, 4, 20)
        )
        lodged = appeal.lodge_appeal(world.coordinator, not_met, received_on=date(2026, 4, 27), grounds="Unfair")
        appeal.assign_appeal_handler(world.coordinator, lodged, handler_name="The PCC's office")
        appeal.decide_appeal(
            world.coordinator, lodged, decision="not_upheld", reasons="Properly made", decided_on=date(2026, 5, 6)
        )
        asked = pcc.request_review(world.coordinator, not_met, requested_on=date(2026, 5, 8), grounds="Unfair")
        pcc.record_outcome(
            world.coordinator, asked, outcome="decision_stands", reasons="Properly made", decided_on=date(2026, 5, 20)
        )
        done_not_met = _done_days(not_met.id)
        db.session.flush()
    assert done_not_met == {
        "trigger.acknowledge": date(2026, 4, 7),
        "trigger.information_request": date(2026, 4, 14),
        "trigger.information_requests": date(2026, 4, 14),
        "trigger.threshold_decision": date(2026, 4, 20),
        "trigger.appeal_window_closes": date(2026, 4, 27),
        "trigger.appeal_decision": date(2026, 5, 6),
        "trigger.pcc_review_decision": date(2026, 5, 20),
    }


def test_a_review_entered_late_counts_each_step_from_its_day(api_client, world: World):  # noqa: F811
    from casework.community_triggers import info_requests
    from casework.community_triggers.services import decision, review

    with _at(2026, 9, 1, 9, 0):
        application = _apply(api_client, world)
        request = info_requests.request_information(
            world.coordinator, application, world.council, due_on=date(2026, 4, 15), requested_on=date(2026, 4, 2)
        )
        info_requests.submit(world.coordinator, request, text="What we hold", submitted_on=date(2026, 4, 14))
        decision.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 4, 7))
        decision.decide_threshold(
            world.coordinator,
            application,
            met=True,
            basis="discretionary",
            reasons="Persistent",
            decided_on=date(2026, 4, 21),
        )
        meeting = review.arrange_meeting(
            world.coordinator,
            application,
            scheduled_on=date(2026, 4, 30),
            chair=world.chair,
            arranged_on=date(2026, 4, 22),
        )
        review.record_outcome(world.chair, meeting, held_on=date(2026, 4, 30), minutes="Discussed", victim_invited=True)
        review.record_outcome_letter_sent(world.coordinator, meeting, sent_on=date(2026, 5, 8))
        done = _done_days(application.id)
        db.session.flush()
    assert done == {
        "trigger.acknowledge": date(2026, 4, 7),
        "trigger.information_request": date(2026, 4, 14),
        "trigger.information_requests": date(2026, 4, 14),
        "trigger.threshold_decision": date(2026, 4, 21),
        "trigger.review_meeting": date(2026, 4, 30),
        "trigger.outcome_letter": date(2026, 5, 8),
        # Not recorded: the day the papers went to the panel (done when the meeting is entered).
        "trigger.papers_to_panel": date(2026, 9, 1),
    }
