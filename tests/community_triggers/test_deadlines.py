"""Case Review deadlines: per-area timescales, Deadline rows, recomputed, closed and
cancelled."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.accounts.services import update_area_settings
from casework.community_triggers import services
from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus


def rows(application) -> dict[str, Deadline]:
    return {
        r.kind: r
        for r in db.session.scalars(
            sa.select(Deadline).where(
                Deadline.subject_type == "trigger_applications", Deadline.subject_id == application.id
            )
        )
    }


def register_on(ct, api_client, received_on: str, today: str) -> dict:
    with time_machine.travel(f"{today} 12:00 +00:00", tick=False):
        response = api_client(ct.coordinator).post(
            "/api/v1/triggers", json=ct.body(received_on=received_on, complaints=[])
        )
    assert response.status_code == 201, response.json
    return response.json


def test_across_christmas(ct, api_client):
    body = register_on(ct, api_client, "2026-12-23", "2026-12-23")
    # 5 working days after Wed 23 Dec 2026: Christmas Day, Boxing Day (substitute
    # Mon 28 Dec) and New Year's Day skipped.
    assert body["deadlines"]["acknowledge"] == "2027-01-04"
    assert body["deadlines"]["information_requests"] == "2027-01-11"
    assert body["deadlines"]["threshold_decision"] == "2027-01-18"


def test_across_easter(ct, api_client):
    body = register_on(ct, api_client, "2026-04-01", "2026-04-01")
    assert body["deadlines"]["acknowledge"] == "2026-04-10"  # Good Friday and Easter Monday skipped
    assert body["deadlines"]["threshold_decision"] == "2026-04-24"


def test_rows_have_owners_titles_and_the_registering_coordinator(ct):
    application = ct.register()
    found = rows(application)
    assert set(found) == {"trigger.acknowledge", "trigger.information_requests", "trigger.threshold_decision"}
    acknowledge = found["trigger.acknowledge"]
    assert acknowledge.owner_id == ct.coordinator.id
    assert acknowledge.due_on == date(2026, 3, 9)
    assert acknowledge.area_id == ct.area.id
    assert application.reference in acknowledge.title


def test_the_areas_coordinator_owns_them_when_someone_else_registered(ct):
    application = ct.register(actor=ct.officer)
    assert rows(application)["trigger.acknowledge"].owner_id == ct.coordinator.id


def test_done_steps_are_closed_and_later_steps_appear(ct):
    application = ct.register()
    services.acknowledge(ct.coordinator, application, acknowledged_on=date(2026, 3, 3))
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    found = rows(application)
    assert found["trigger.acknowledge"].status == DeadlineStatus.done
    assert found["trigger.threshold_decision"].status == DeadlineStatus.done
    assert found["trigger.review_meeting"].status == DeadlineStatus.open
    assert found["trigger.review_meeting"].due_on == date(2026, 4, 8)
    meeting = services.arrange_meeting(ct.coordinator, application, scheduled_on=date(2026, 3, 20), chair=ct.chair)
    found = rows(application)
    assert found["trigger.papers_to_panel"].due_on == date(2026, 3, 18)
    assert found["trigger.papers_to_panel"].owner_id == ct.chair.id
    services.update_meeting(ct.coordinator, meeting, scheduled_on=date(2026, 3, 24))
    assert rows(application)["trigger.papers_to_panel"].due_on == date(2026, 3, 20)  # recomputed
    services.record_outcome(ct.chair, meeting, held_on=date(2026, 3, 10), minutes="m", victim_invited=True)
    found = rows(application)
    assert found["trigger.review_meeting"].status == DeadlineStatus.done
    assert found["trigger.outcome_letter"].due_on == date(2026, 3, 24)
    # The outcome letter waits for the coordinator to confirm the review complete: theirs, and open.
    assert found["trigger.outcome_letter"].owner_id == ct.coordinator.id
    assert meeting.outcome_letter_sent_on is None
    assert found["trigger.outcome_letter"].status == DeadlineStatus.open
    services.record_outcome_letter_sent(ct.coordinator, meeting, sent_on=date(2026, 3, 10))
    assert rows(application)["trigger.outcome_letter"].status == DeadlineStatus.done


def test_timescales_are_area_settings_with_a_unit_and_a_start_event(ct, api_client):
    response = api_client(ct.admin).patch(
        "/api/v1/areas/BOL",
        json={
            "settings": {
                "timescale_acknowledge": {"amount": 3, "unit": "calendar_days", "start": "received"},
                "timescale_threshold_decision": {"amount": 48, "unit": "hours", "start": "received"},
            },
            "effective_from": "2026-01-01",
        },
    )
    assert response.status_code == 200, response.json
    application = ct.register()
    assert services.deadlines(application)["acknowledge"] == date(2026, 3, 5)
    assert services.deadlines(application)["threshold_decision"] == date(2026, 3, 4)


@pytest.mark.parametrize(
    "value",
    [
        {"amount": 5, "unit": "fortnights", "start": "received"},
        {"amount": 5, "unit": "working_days", "start": "lunch"},
        {"amount": "five", "unit": "working_days", "start": "received"},
        5,
    ],
)
def test_invalid_timescales_are_refused(ct, api_client, value):
    response = api_client(ct.admin).patch("/api/v1/areas/BOL", json={"settings": {"timescale_acknowledge": value}})
    assert response.status_code == 422
    assert response.json["errors"]["settings.timescale_acknowledge"]


def test_a_timescale_change_applies_to_applications_received_after_it(ct):
    update_area_settings(
        ct.admin,
        ct.area,
        {"timescale_acknowledge": {"amount": 10, "unit": "working_days", "start": "received"}},
        effective_from=date(2026, 3, 3),
    )
    db.session.commit()
    before = ct.register(received_on="2026-03-02")
    after = ct.register(received_on="2026-03-03")
    assert services.deadlines(before)["acknowledge"] == date(2026, 3, 9)
    assert services.deadlines(after)["acknowledge"] == date(2026, 3, 17)


def test_the_expired_appeal_window_task_closes_windows_that_passed(ct):
    from casework.community_triggers.tasks import close_expired_appeal_windows

    application = ct.register(complaints=[])
    services.decide_threshold(
        ct.coordinator, application, met=False, basis=None, reasons="r", decided_on=date(2026, 3, 9)
    )
    db.session.commit()
    assert rows(application)["trigger.appeal_window_closes"].status == DeadlineStatus.open
    with time_machine.travel("2026-04-08 12:00 +00:00", tick=False):
        assert close_expired_appeal_windows() == 0  # the last day is still open
    with time_machine.travel("2026-04-09 12:00 +00:00", tick=False):
        assert close_expired_appeal_windows() == 1
    db.session.expire_all()
    assert rows(application)["trigger.appeal_window_closes"].status == DeadlineStatus.done
