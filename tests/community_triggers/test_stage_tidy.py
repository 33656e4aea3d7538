"""Stages tidy up after themselves (issue 11 item 9): when a stage ends its open deadlines close, so a
concluded review stops showing "Overdue" on the board, the dashboards and the agency's list. The
acknowledgement ends with the threshold decision; the agencies' information ends once a review meeting
is held, the threshold is not met or the application ends. A late submission is still accepted."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.community_triggers import info_requests, services
from casework.community_triggers.models import InformationRequest
from casework.core.errors import RuleViolation
from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus


def step(application, name: str) -> DeadlineStatus:
    return db.session.scalar(
        sa.select(Deadline.status).where(
            Deadline.subject_type == "trigger_applications",
            Deadline.subject_id == application.id,
            Deadline.kind == f"trigger.{name}",
        )
    )


def request_rows(application) -> dict[str, DeadlineStatus]:
    """Each agency's own request deadline, by agency code."""
    found = db.session.execute(
        sa.select(InformationRequest, Deadline.status)
        .join(
            Deadline,
            sa.and_(
                Deadline.subject_type == info_requests.SUBJECT_TYPE,
                Deadline.subject_id == InformationRequest.id,
                Deadline.kind == info_requests.DEADLINE_KIND,
            ),
        )
        .where(InformationRequest.application_id == application.id)
    ).all()
    return {item.agency.code: status for item, status in found}


@pytest.fixture
def requested(ct):
    """An application with information requested from both agencies; the police have answered."""
    application = ct.register()
    info_requests.request_information(ct.coordinator, application, ct.council, due_on=date(2026, 3, 16))
    police = info_requests.request_information(ct.coordinator, application, ct.police, due_on=date(2026, 3, 16))
    info_requests.submit(ct.partner, police, text="Two calls logged; words of advice given.")
    db.session.commit()
    return application


def meet(ct, application, scheduled_on=date(2026, 3, 20)):
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    return services.arrange_meeting(ct.coordinator, application, scheduled_on=scheduled_on, chair=ct.chair)


def hold(ct, meeting, held_on=date(2026, 3, 20)):
    with time_machine.travel("2026-03-23 12:00 +00:00", tick=False):
        services.record_outcome(ct.chair, meeting, held_on=held_on, minutes="Minutes.", victim_invited=True)
        db.session.commit()


def test_information_is_owed_until_the_meeting_is_held_then_its_deadlines_close(ct, requested):
    meeting = meet(ct, requested)
    db.session.commit()
    # The day before the meeting: still owed.
    assert step(requested, "information_requests") == DeadlineStatus.open
    assert request_rows(requested) == {"BDC": DeadlineStatus.open, "DERPOL": DeadlineStatus.done}

    hold(ct, meeting)

    assert step(requested, "information_requests") == DeadlineStatus.cancelled
    # The council's unanswered request is no longer owed; the police's answer stays done.
    assert request_rows(requested) == {"BDC": DeadlineStatus.cancelled, "DERPOL": DeadlineStatus.done}


def test_every_request_answered_is_done_not_cancelled(ct, requested):
    council = db.session.scalar(sa.select(InformationRequest).where(InformationRequest.agency_id == ct.council.id))
    info_requests.submit(ct.officer, council, text="Noise diary and two warning letters.")
    meeting = meet(ct, requested)
    hold(ct, meeting)
    assert step(requested, "information_requests") == DeadlineStatus.done


def test_with_no_request_at_all_the_step_ends_with_the_meeting(ct):
    application = ct.register()
    meeting = meet(ct, application)
    db.session.commit()
    assert step(application, "information_requests") == DeadlineStatus.open
    hold(ct, meeting)
    assert step(application, "information_requests") == DeadlineStatus.cancelled


def test_a_not_met_decision_ends_the_information_stage(ct):
    application = ct.register(complaints=[])
    info_requests.request_information(ct.coordinator, application, ct.council, due_on=date(2026, 3, 16))
    services.decide_threshold(
        ct.coordinator, application, met=False, basis=None, reasons="No complaints listed.", decided_on=date(2026, 3, 9)
    )
    db.session.commit()
    assert request_rows(application) == {"BDC": DeadlineStatus.cancelled}
    assert step(application, "information_requests") == DeadlineStatus.cancelled


def test_withdrawal_ends_the_information_stage(ct, requested):
    services.withdraw(ct.coordinator, requested, withdrawn_on=date(2026, 3, 9), reason="Moved away.")
    db.session.commit()
    assert request_rows(requested) == {"BDC": DeadlineStatus.cancelled, "DERPOL": DeadlineStatus.done}


def test_the_acknowledgement_is_owed_until_the_decision(ct):
    application = ct.register()
    assert step(application, "acknowledge") == DeadlineStatus.open
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    db.session.commit()
    assert step(application, "acknowledge") == DeadlineStatus.cancelled


def test_an_acknowledgement_made_stays_done(ct):
    application = ct.register()
    services.acknowledge(ct.coordinator, application, acknowledged_on=date(2026, 3, 3))
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    assert step(application, "acknowledge") == DeadlineStatus.done


def test_a_meeting_after_an_upheld_appeal_does_not_reopen_the_information_stage(ct):
    application = ct.register()
    meeting = meet(ct, application)
    hold(ct, meeting)
    with time_machine.travel("2026-03-25 12:00 +00:00", tick=False):
        appeal = services.lodge_appeal(ct.coordinator, application, received_on=date(2026, 3, 24), grounds="Bias.")
        services.assign_appeal_handler(ct.coordinator, appeal, handler_name="The PCC's office")
        services.decide_appeal(
            ct.coordinator, appeal, decision="upheld", reasons="Agreed.", decided_on=date(2026, 3, 25)
        )
        services.arrange_meeting(ct.coordinator, application, scheduled_on=date(2026, 4, 2), chair=ct.chair)
    assert step(application, "information_requests") == DeadlineStatus.cancelled


def test_no_new_request_once_the_stage_has_ended_but_a_late_answer_is_kept(ct, requested):
    hold(ct, meet(ct, requested))
    with pytest.raises(RuleViolation, match="can no longer be requested"):
        info_requests.request_information(ct.coordinator, requested, ct.council, due_on=date(2026, 3, 30))
    db.session.rollback()
    council = db.session.scalar(sa.select(InformationRequest).where(InformationRequest.agency_id == ct.council.id))
    info_requests.submit(ct.officer, council, text="Late, but here it is.")
    db.session.commit()
    assert council.submitted_on is not None
    assert request_rows(requested)["BDC"] == DeadlineStatus.cancelled


def test_a_concluded_review_is_not_overdue_on_the_board_or_the_agency_list(ct, requested, page_client):
    meeting = meet(ct, requested)
    hold(ct, meeting)
    meeting.outcome_letter_sent_on = date(2026, 3, 23)  # the letter is out: nothing more is owed
    services.refresh_deadlines(requested)
    db.session.commit()
    # A month after the agencies' information was due (and before the appeal window closes).
    with time_machine.travel("2026-04-15 12:00 +00:00", tick=False):
        board = page_client(ct.coordinator).get("/case-reviews/").get_data(as_text=True)
        agency_list = page_client(ct.officer).get("/case-reviews/information-requests").get_data(as_text=True)
        page = page_client(ct.coordinator).get(f"/case-reviews/{requested.id}").get_data(as_text=True)
    assert requested.reference in board
    assert ">Overdue</strong>" not in board
    assert ">Overdue</strong>" not in agency_list
    assert "Not received" in agency_list
    assert ">Overdue</strong>" not in page
    # The information form is gone: nothing more can be asked for.
    assert "Request information" not in page
