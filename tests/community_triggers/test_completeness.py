"""The outcome goes out only when the review is complete (issue 11 item 1; the
Ombudsman's Croydon finding). The chair's outcome sends nothing; the coordinator confirms that every
agency's information is in (or why not), the attendees are recorded, the victim was consulted on the
action plan (or why not) and the meeting was held on or after its scheduled day (or why not); then the
letter goes out, to the victim too when someone else applied. Completeness holds back the letter, not
the facts: the review counts as carried out on the day it was held, its recommendations are actions,
and the outcome letter's deadline runs from the meeting."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.cases.models import Action
from casework.community_triggers import completeness, info_requests, services
from casework.community_triggers.models import Letter, LetterKind, LetterRecipient, ReviewMeeting
from casework.core.errors import InvalidInput
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders.models import Deadline, DeadlineStatus

HELD = date(2026, 3, 20)


def outcome_letters() -> list[Letter]:
    return list(db.session.scalars(sa.select(Letter).where(Letter.kind == LetterKind.outcome).order_by(Letter.id)))


def outcome_emails() -> list[OutboxEmail]:
    return [e for e in db.session.scalars(sa.select(OutboxEmail)) if "the outcome" in e.subject]


def outcome_deadline(application) -> Deadline:
    return db.session.scalar(
        sa.select(Deadline).where(
            Deadline.subject_type == "trigger_applications",
            Deadline.subject_id == application.id,
            Deadline.kind == "trigger.outcome_letter",
        )
    )


@pytest.fixture
def held(ct):
    """A review held on its scheduled day (Friday 20 March 2026) with one recommendation; the council
    was asked for its information and sent it, the police were asked and did not. Today: 23 March."""

    def make(**register: object) -> ReviewMeeting:
        application = ct.register(**register)
        council = info_requests.request_information(ct.coordinator, application, ct.council, due_on=date(2026, 3, 16))
        info_requests.request_information(ct.coordinator, application, ct.police, due_on=date(2026, 3, 16))
        info_requests.submit(ct.officer, council, text="Noise diary and two warning letters.")
        services.decide_threshold(
            ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
        )
        meeting = services.arrange_meeting(ct.coordinator, application, scheduled_on=HELD, chair=ct.chair)
        db.session.commit()
        traveller = time_machine.travel("2026-03-23 12:00 +00:00", tick=False)
        traveller.start()
        request_cleanup.append(traveller.stop)
        services.record_outcome(
            ct.chair,
            meeting,
            held_on=HELD,
            minutes="Each agency set out what it had done.",
            victim_invited=True,
            recommendations=[{"text": "Install noise monitoring.", "agency": ct.council, "due_on": date(2026, 4, 30)}],
        )
        db.session.commit()
        return meeting

    request_cleanup: list = []
    yield make
    for stop in reversed(request_cleanup):
        stop()


def make_complete(ct, meeting, *, attendees=True, consulted=True) -> None:
    if attendees:
        services.update_meeting(ct.coordinator, meeting, attendees=[{"name": "Charles Chair", "role": "chair"}])
    if consulted:
        services.record_victim_consultation(ct.coordinator, meeting, consulted_on=date(2026, 3, 23), notes="Agrees.")
    db.session.commit()


POLICE_REASON = {"police": "The police had nothing beyond the two calls already in the application."}


def reasons(ct) -> dict:
    return {ct.police: POLICE_REASON["police"]}


def test_recording_the_outcome_sends_nothing_but_the_facts_stand(ct, held):
    meeting = held()
    application = meeting.application
    assert outcome_letters() == []
    assert outcome_emails() == []
    # The review is carried out on the day it was held, and its recommendation is a tracked action.
    assert application.status.value == "review_concluded"
    assert db.session.scalar(sa.select(sa.func.count(Action.id)).where(Action.recommendation_id.is_not(None))) == 1
    from casework.statistics.services import live_figures

    figures = live_figures(ct.manager, ct.area, date(2025, 4, 1), date(2026, 3, 31))
    assert figures["reviews_carried_out"] == 1
    assert figures["reviews_with_recommendations"] == 1
    # The outcome letter is owed ten working days after the meeting (Good Friday and Easter Monday
    # skipped), by the coordinator.
    deadline = outcome_deadline(application)
    assert (deadline.status, deadline.due_on, deadline.owner_id) == (
        DeadlineStatus.open,
        date(2026, 4, 7),
        ct.coordinator.id,
    )


def test_a_complete_review_sends_the_outcome_and_closes_its_deadline(ct, held):
    meeting = held()
    make_complete(ct, meeting)
    completeness.confirm_complete(ct.coordinator, meeting, missing_information=reasons(ct))
    db.session.commit()
    [letter] = outcome_letters()
    assert letter.emailed_to == "jane@example.org"
    assert "Install noise monitoring." in letter.body
    assert meeting.completeness_confirmed_on == date(2026, 3, 23)
    assert meeting.completeness_confirmed_by_id == ct.coordinator.id
    assert meeting.outcome_letter_sent_on == date(2026, 3, 23)
    deadline = outcome_deadline(meeting.application)
    assert deadline.status == DeadlineStatus.done
    assert deadline.due_on == date(2026, 4, 7)  # still counted from the meeting (Easter skipped)
    assert [row.reason for row in meeting.missing_information] == [POLICE_REASON["police"]]
    # The appeal window runs from the letter, the later of the two.
    assert services.appeal_window(meeting.application)[0] == date(2026, 3, 23)


@pytest.mark.parametrize("gap", ["information", "attendees", "consultation"])
def test_each_gap_holds_the_letter_back_with_rule(ct, held, gap):
    meeting = held()
    make_complete(ct, meeting, attendees=gap != "attendees", consulted=gap != "consultation")
    with pytest.raises(InvalidInput) as refused:
        completeness.confirm_complete(
            ct.coordinator, meeting, missing_information={} if gap == "information" else reasons(ct)
        )
    errors = refused.value.errors
    assert errors["_rule"][0].startswith("The review is not complete yet")
    field = {
        "information": "missing_information.DERPOL",
        "attendees": "attendees",
        "consultation": "victim_not_consulted_reason",
    }[gap]
    assert list(errors) == ["_rule", field]
    db.session.rollback()
    assert outcome_letters() == []
    assert db.session.get(ReviewMeeting, meeting.id).completeness_confirmed_on is None


def test_an_agency_never_asked_needs_a_reason_too(ct, held, make):
    meeting = held()
    housing = make.agency("RSL", areas=[ct.area], kind="housing")
    make_complete(ct, meeting)
    with pytest.raises(InvalidInput) as refused:
        completeness.confirm_complete(ct.coordinator, meeting, missing_information=reasons(ct))
    assert refused.value.errors["missing_information.RSL"] == [
        f"{housing.name} was not asked for its information: record why, or wait for it."
    ]


def test_a_reason_instead_of_the_consultation_is_enough(ct, held):
    meeting = held()
    make_complete(ct, meeting, consulted=False)
    completeness.confirm_complete(
        ct.coordinator,
        meeting,
        missing_information=reasons(ct),
        victim_not_consulted_reason="She asked not to be contacted again.",
    )
    assert meeting.victim_not_consulted_reason == "She asked not to be contacted again."
    assert len(outcome_letters()) == 1


@pytest.mark.parametrize(("scheduled_on", "needs_reason"), [(HELD, False), (date(2026, 3, 23), True)])
def test_a_meeting_held_before_its_scheduled_day_needs_a_reason(ct, held, scheduled_on, needs_reason):
    meeting = held()
    meeting.scheduled_on = scheduled_on  # held on the 20th
    make_complete(ct, meeting)
    if needs_reason:
        with pytest.raises(InvalidInput) as refused:
            completeness.confirm_complete(ct.coordinator, meeting, missing_information=reasons(ct))
        assert "held_early_reason" in refused.value.errors
        db.session.rollback()
        meeting = db.session.get(ReviewMeeting, meeting.id)
        completeness.confirm_complete(
            ct.coordinator,
            meeting,
            missing_information=reasons(ct),
            held_early_reason="Brought forward: the victim was moving out.",
        )
        assert meeting.held_early_reason == "Brought forward: the victim was moving out."
    else:
        completeness.confirm_complete(ct.coordinator, meeting, missing_information=reasons(ct))
    assert meeting.completeness_confirmed_on is not None


def test_the_victim_gets_the_outcome_too_when_someone_else_applied(ct, held):
    meeting = held(
        applicant_role="on_behalf",
        consent_given=True,
        victim={"name": "Edna Victim", "email": "edna@example.org", "address": "2 High Street"},
    )
    make_complete(ct, meeting)
    completeness.confirm_complete(ct.coordinator, meeting, missing_information=reasons(ct))
    db.session.commit()
    applicant, victim = outcome_letters()
    assert (applicant.recipient, applicant.emailed_to) == (LetterRecipient.applicant, "jane@example.org")
    assert (victim.recipient, victim.emailed_to) == (LetterRecipient.victim, "edna@example.org")
    assert victim.body.startswith("Dear Edna Victim,")
    assert "Jane Smith applied for an ASB Case Review for you." in victim.body
    assert applicant.body.startswith("Dear Jane Smith,")
    assert {e.to_address for e in outcome_emails()} == {"jane@example.org", "edna@example.org"}


@pytest.mark.parametrize("role", ["victim", "group"])
def test_no_copy_when_the_victim_or_a_group_applied_for_itself(ct, held, role):
    meeting = held(applicant_role=role)
    make_complete(ct, meeting)
    completeness.confirm_complete(ct.coordinator, meeting, missing_information=reasons(ct))
    assert [letter.recipient for letter in outcome_letters()] == [LetterRecipient.applicant]


def test_past_work_is_recorded_only_unless_the_user_asks(ct, held):
    meeting = held()
    make_complete(ct, meeting)
    completeness.confirm_complete(
        ct.coordinator,
        meeting,
        confirmed_on=date(2026, 3, 20),
        missing_information=reasons(ct),
        outcome_letter_sent_on=date(2026, 3, 20),
    )
    db.session.commit()
    assert outcome_letters() == []
    assert meeting.outcome_letter_sent_on == date(2026, 3, 20)
    assert outcome_deadline(meeting.application).status == DeadlineStatus.done


def test_past_work_with_the_letter_asked_for(ct, held):
    meeting = held()
    make_complete(ct, meeting)
    completeness.confirm_complete(
        ct.coordinator, meeting, confirmed_on=date(2026, 3, 20), missing_information=reasons(ct), send_letter=True
    )
    assert len(outcome_letters()) == 1


def test_confirmation_dates_are_checked(ct, held):
    meeting = held()
    make_complete(ct, meeting)
    for day, message in ((date(2026, 3, 24), "future"), (date(2026, 3, 19), "before the meeting")):
        with pytest.raises(InvalidInput) as refused:
            completeness.confirm_complete(ct.coordinator, meeting, confirmed_on=day, missing_information=reasons(ct))
        assert message in refused.value.errors["confirmed_on"][0]
        db.session.rollback()


def test_nothing_to_confirm_before_the_outcome(ct):
    application = ct.register()
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    meeting = services.arrange_meeting(ct.coordinator, application, scheduled_on=HELD, chair=ct.chair)
    with pytest.raises(InvalidInput, match="has not recorded the outcome"):
        completeness.confirm_complete(ct.coordinator, meeting)


def test_the_record_is_fixed_once_confirmed(ct, held):
    meeting = held()
    make_complete(ct, meeting)
    completeness.confirm_complete(ct.coordinator, meeting, missing_information=reasons(ct))
    with pytest.raises(InvalidInput, match="confirmed complete"):
        services.update_meeting(ct.coordinator, meeting, attendees=[{"name": "Late Arrival"}])
    with pytest.raises(InvalidInput, match="action plan is final"):
        services.record_victim_consultation(ct.coordinator, meeting, consulted_on=date(2026, 3, 23), notes="More.")


# --- the API endpoint ---------------------------------------------------------------------------------


def completeness_url(meeting) -> str:
    return f"/api/v1/triggers/{meeting.application_id}/meetings/{meeting.id}/completeness"


def test_the_api_refuses_an_incomplete_review_with_rule_and_confirms_a_complete_one(ct, held, api_client):
    meeting = held()
    client = api_client(ct.coordinator)
    refused = client.post(completeness_url(meeting), json={})
    assert refused.status_code == 422
    assert refused.json["errors"]["_rule"][0].startswith("The review is not complete yet")
    assert set(refused.json["errors"]) == {
        "_rule",
        "missing_information.DERPOL",
        "attendees",
        "victim_not_consulted_reason",
    }
    assert outcome_letters() == []

    make_complete(ct, meeting)
    response = client.post(
        completeness_url(meeting),
        json={"missing_information": [{"agency_code": "DERPOL", "reason": POLICE_REASON["police"]}]},
    )
    assert response.status_code == 200, response.json
    assert response.json["completeness_confirmed_on"] == "2026-03-23"
    assert response.json["outcome_letter_sent_on"] == "2026-03-23"
    assert response.json["missing_information"] == [{"agency_code": "DERPOL", "reason": POLICE_REASON["police"]}]
    assert len(outcome_letters()) == 1
    again = client.post(completeness_url(meeting), json={})
    assert again.status_code == 422
    assert "confirmed complete" in again.json["errors"]["_rule"][0]


def test_the_api_checks_the_version_and_the_agency_codes(ct, held, api_client):
    meeting = held()
    make_complete(ct, meeting)
    client = api_client(ct.coordinator)
    stale = client.post(completeness_url(meeting), json={"version": meeting.version + 5})
    assert stale.status_code == 409
    unknown = client.post(
        completeness_url(meeting), json={"missing_information": [{"agency_code": "NOPE", "reason": "x"}]}
    )
    assert unknown.status_code == 422
    assert "missing_information.0.agency_code" in unknown.json["errors"]


@pytest.mark.parametrize("who", ["chair", "officer", "partner"])
def test_only_the_areas_coordinators_and_managers_confirm(ct, held, api_client, who):
    meeting = held()
    response = api_client(getattr(ct, who)).post(completeness_url(meeting), json={})
    assert response.status_code in {403, 404}


def test_the_api_outcome_contract_is_unchanged(ct, held, api_client):
    """docs/api.md's outcome call still answers 200 with the application; the letter just waits."""
    meeting = held()
    body = api_client(ct.coordinator).get(f"/api/v1/triggers/{meeting.application_id}").json
    assert body["status"] == "review_concluded"
    assert "outcome_letter" in body["deadlines"]
    [dumped] = body["meetings"]
    assert dumped["held_on"] == "2026-03-20"
    assert dumped["completeness_confirmed_on"] is None


# --- the page ------------------------------------------------------------------------------------------


def test_the_completeness_page_shows_the_gaps_and_confirms(ct, held, page_client):
    from tests.conftest import csrf_from

    meeting = held()
    client = page_client(ct.coordinator)
    url = f"/case-reviews/{meeting.application_id}/meetings/{meeting.id}/complete"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Asked, not received" in html
    assert "None recorded" in html
    refused = client.post(url, data={"csrf_token": csrf_from(html)})
    assert refused.status_code == 422
    refused_html = refused.get_data(as_text=True)
    assert "The review is not complete yet" in refused_html
    assert "Record who attended the meeting." in refused_html
    assert outcome_letters() == []

    make_complete(ct, meeting)
    html = client.get(url).get_data(as_text=True)
    field = f"missing_{ct.police.id}"
    response = client.post(url, data={"csrf_token": csrf_from(html), field: POLICE_REASON["police"]})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert len(outcome_letters()) == 1
    application_page = client.get(f"/case-reviews/{meeting.application_id}").get_data(as_text=True)
    assert "Confirmed " in application_page


def test_the_public_progress_check_says_the_outcome_is_to_follow(ct, held, client):
    from tests.conftest import csrf_from

    meeting = held()
    page = client.get("/case-review/progress")
    response = client.post(
        "/case-review/progress",
        data={
            "reference": meeting.application.reference,
            "contact": meeting.application.applicant_email,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert "The outcome will be sent to the applicant when the review is complete." in response.get_data(as_text=True)
