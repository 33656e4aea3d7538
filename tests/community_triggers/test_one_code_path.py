"""One code path for each step, whatever the channel (issue 11 item 3): each Case Review step taken
through the API and through the staff pages leaves the same record behind, letters, emails and
deadlines included. The walk below takes every step both ways, from the same starting state, and
compares what each left. A step that sends something from a view instead of the service would differ
here.

The case the issue names: inviting the victim to a meeting through the API before it is held sends the
invitation as the page does; recording with the outcome afterwards that they were invited sends
nothing, either way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from casework.community_triggers import completeness, services
from casework.community_triggers.models import Letter, LetterKind, TriggerApplication
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders.models import Deadline

TODAY = date(2026, 3, 10)


def _date(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}


def effects(application_id: int) -> dict[str, Any]:
    """What a step leaves behind that a person or an agency would notice, without the ids and the
    reference (the two runs have different applications)."""
    db.session.expire_all()
    application = db.session.get(TriggerApplication, application_id)
    ref = application.reference
    letters = db.session.scalars(sa.select(Letter).where(Letter.application_id == application_id)).all()
    letter_ids = [letter.id for letter in letters]
    emails = db.session.scalars(
        sa.select(OutboxEmail).where(
            sa.or_(
                sa.and_(OutboxEmail.related_type == "trigger_applications", OutboxEmail.related_id == application_id),
                sa.and_(OutboxEmail.related_type == "trigger_letters", OutboxEmail.related_id.in_(letter_ids or [0])),
            )
        )
    ).all()
    deadlines = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.subject_type == "trigger_applications", Deadline.subject_id == application_id
        )
    ).all()
    meeting = application.meetings[-1] if application.meetings else None
    return {
        "status": application.status.value,
        "letters": sorted((letter.kind.value, letter.recipient.value, letter.emailed_to) for letter in letters),
        "emails": sorted((email.to_address, email.subject.replace(ref, "REF")) for email in emails),
        "deadlines": sorted((row.kind, row.status.value, str(row.due_on)) for row in deadlines),
        "meeting": None
        if meeting is None
        else {
            "victim_invited": meeting.victim_invited,
            "location": meeting.location,
            "held_on": meeting.held_on,
            "victim_consulted_on": meeting.victim_consulted_on,
            "completeness_confirmed_on": meeting.completeness_confirmed_on,
            "outcome_letter_sent_on": meeting.outcome_letter_sent_on,
            "agenda": [item.title for item in meeting.agenda_items],
            "recommendations": [r.text for r in meeting.recommendations],
        },
        "lessons": [r.forum for r in application.lessons_reviews],
        "appeals": [a.received_on for a in application.appeals],
        "withdrawn_on": application.withdrawn_on,
    }


# --- the states a step starts from ----------------------------------------------------------------------


def registered(ct) -> TriggerApplication:
    return ct.register()


def met(ct) -> TriggerApplication:
    application = registered(ct)
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    db.session.commit()
    return application


def arranged(ct) -> TriggerApplication:
    application = met(ct)
    services.arrange_meeting(ct.coordinator, application, scheduled_on=TODAY, chair=ct.chair)
    db.session.commit()
    return application


def held(ct) -> TriggerApplication:
    application = arranged(ct)
    services.record_outcome(
        ct.chair,
        application.meetings[-1],
        held_on=TODAY,
        minutes="Minutes.",
        victim_invited=False,
        victim_not_invited_reason="She asked to send her views in writing.",
        recommendations=[{"text": "Serve a warning.", "agency": ct.council, "due_on": date(2026, 4, 30)}],
    )
    db.session.commit()
    return application


def consulted(ct) -> TriggerApplication:
    application = held(ct)
    meeting = application.meetings[-1]
    services.update_meeting(ct.coordinator, meeting, attendees=[{"name": "Charles Chair"}])
    services.record_victim_consultation(ct.coordinator, meeting, consulted_on=TODAY, notes="Agrees.")
    db.session.commit()
    return application


def complete(ct) -> TriggerApplication:
    application = consulted(ct)
    completeness.confirm_complete(
        ct.coordinator, application.meetings[-1], missing_information={ct.council: "Oral.", ct.police: "Oral."}
    )
    db.session.commit()
    return application


# --- each step, both ways ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    start: Callable[[Any], TriggerApplication | None]
    api: Callable[[Any, Any, TriggerApplication | None], Any]
    page: Callable[[Any, Any, TriggerApplication | None], Any]


def _meeting_path(application: TriggerApplication, tail: str = "") -> str:
    return f"/case-reviews/{application.id}/meetings/{application.meetings[-1].id}{tail}"


def _api_meeting(application: TriggerApplication, tail: str = "") -> str:
    return f"/api/v1/triggers/{application.id}/meetings/{application.meetings[-1].id}{tail}"


REGISTRATION = {
    "channel": "phone",
    "applicant_role": "victim",
    "applicant_name": "Jane Smith",
    "applicant_email": "jane@example.org",
    "area": "BOL",
    "description": "Noise and threats from the flat upstairs.",
    **_date("received_on", TODAY),
    "complaints-0-agency": "BDC",
    **_date("complaints-0-occurred_on", date(2026, 2, 5)),
    **_date("complaints-0-reported_on", date(2026, 2, 6)),
}

STEPS = [
    Step(
        "register",
        lambda ct: None,
        lambda ct, api, _: api(ct.coordinator).post(
            "/api/v1/triggers",
            json=ct.body(
                received_on=TODAY.isoformat(),
                complaints=[{"occurred_on": "2026-02-05", "reported_on": "2026-02-06", "agency_code": "BDC"}],
            ),
        ),
        lambda ct, page, _: page(ct.coordinator).post("/case-reviews/new", data=REGISTRATION),
    ),
    Step(
        "acknowledge",
        registered,
        lambda ct, api, a: api(ct.coordinator).post(
            f"/api/v1/triggers/{a.id}/acknowledge", json={"acknowledged_on": TODAY.isoformat()}
        ),
        lambda ct, page, a: page(ct.coordinator).post(f"/case-reviews/{a.id}/acknowledge", data=_date("ack-on", TODAY)),
    ),
    Step(
        "decide",
        registered,
        lambda ct, api, a: api(ct.coordinator).post(
            f"/api/v1/triggers/{a.id}/threshold-decision",
            json={"met": True, "basis": "automatic", "reasons": "Three.", "decided_on": TODAY.isoformat()},
        ),
        lambda ct, page, a: page(ct.coordinator).post(
            f"/case-reviews/{a.id}/decision",
            data={"met": "yes", "basis": "automatic", "reasons": "Three.", **_date("decided_on", TODAY)},
        ),
    ),
    Step(
        "arrange",
        met,
        lambda ct, api, a: api(ct.coordinator).post(
            f"/api/v1/triggers/{a.id}/meetings",
            json={"scheduled_on": "2026-03-20", "chair_email": ct.chair.email, "location": "Civic Centre"},
        ),
        lambda ct, page, a: page(ct.coordinator).post(
            f"/case-reviews/{a.id}/meetings/new",
            data={"chair": str(ct.chair.id), "location": "Civic Centre", **_date("scheduled_on", date(2026, 3, 20))},
        ),
    ),
    Step(
        "invite the victim before the meeting",
        arranged,
        lambda ct, api, a: api(ct.coordinator).patch(_api_meeting(a), json={"victim_invited": True}),
        lambda ct, page, a: page(ct.coordinator).post(_meeting_path(a), data={"victim_invited": "yes"}),
    ),
    Step(
        "record the outcome, the victim invited",
        arranged,
        lambda ct, api, a: api(ct.chair).post(
            _api_meeting(a, "/outcome"),
            json={
                "held_on": TODAY.isoformat(),
                "minutes": "Minutes.",
                "victim_invited": True,
                "recommendations": [{"text": "Serve a warning.", "agency_code": "BDC", "due_on": "2026-04-30"}],
            },
        ),
        lambda ct, page, a: page(ct.chair).post(
            f"/my-reviews/{a.meetings[-1].id}/outcome",
            data={
                **_date("held_on", TODAY),
                "minutes": "Minutes.",
                "victim_invited": "yes",
                "recommendations-0-text": "Serve a warning.",
                "recommendations-0-agency": "BDC",
                **_date("recommendations-0-due_on", date(2026, 4, 30)),
                "save": "y",
            },
        ),
    ),
    Step(
        "consult the victim",
        held,
        lambda ct, api, a: api(ct.coordinator).post(
            _api_meeting(a, "/victim-consultation"), json={"consulted_on": TODAY.isoformat(), "notes": "Agrees."}
        ),
        lambda ct, page, a: page(ct.coordinator).post(
            _meeting_path(a, "/consultation"), data={**_date("consulted_on", TODAY), "notes": "Agrees."}
        ),
    ),
    Step(
        "confirm the review complete",
        consulted,
        lambda ct, api, a: api(ct.coordinator).post(
            _api_meeting(a, "/completeness"),
            json={
                "missing_information": [
                    {"agency_code": "BDC", "reason": "Oral."},
                    {"agency_code": "DERPOL", "reason": "Oral."},
                ]
            },
        ),
        lambda ct, page, a: page(ct.coordinator).post(
            _meeting_path(a, "/complete"),
            data={f"missing_{ct.council.id}": "Oral.", f"missing_{ct.police.id}": "Oral."},
        ),
    ),
    Step(
        "record the forum's lessons",
        complete,
        lambda ct, api, a: api(ct.coordinator).post(
            f"/api/v1/triggers/{a.id}/lessons-reviews",
            json={"forum": "County ASB Forum", "reviewed_on": TODAY.isoformat(), "lessons": "None."},
        ),
        lambda ct, page, a: page(ct.coordinator).post(
            f"/case-reviews/{a.id}/lessons",
            data={"forum": "County ASB Forum", **_date("reviewed_on", TODAY), "lessons": "None."},
        ),
    ),
    Step(
        "appeal",
        complete,
        lambda ct, api, a: api(ct.coordinator).post(
            f"/api/v1/triggers/{a.id}/appeal", json={"received_on": TODAY.isoformat(), "grounds": "Not heard."}
        ),
        lambda ct, page, a: page(ct.coordinator).post(
            f"/case-reviews/{a.id}/appeal", data={**_date("received_on", TODAY), "grounds": "Not heard."}
        ),
    ),
    Step(
        "withdraw",
        registered,
        lambda ct, api, a: api(ct.coordinator).post(
            f"/api/v1/triggers/{a.id}/withdraw", json={"withdrawn_on": TODAY.isoformat(), "reason": "Moved."}
        ),
        lambda ct, page, a: page(ct.coordinator).post(
            f"/case-reviews/{a.id}/withdraw", data={**_date("withdrawn_on", TODAY), "reason": "Moved."}
        ),
    ),
]


def _newest() -> int:
    return db.session.scalar(sa.select(sa.func.max(TriggerApplication.id)))


@pytest.mark.parametrize("step", STEPS, ids=[step.name for step in STEPS])
def test_the_api_and_the_page_leave_the_same_record(ct, api_client, page_client, step):
    by_api = step.start(ct)
    response = step.api(ct, api_client, by_api)
    assert response.status_code in {200, 201}, response.json
    api_effects = effects(by_api.id if by_api is not None else _newest())

    by_page = step.start(ct)
    response = step.page(ct, page_client, by_page)
    assert response.status_code == 302, response.get_data(as_text=True)
    page_effects = effects(by_page.id if by_page is not None else _newest())

    assert api_effects == page_effects


# --- the case the issue names ----------------------------------------------------------------------------


def invitations() -> list[Letter]:
    return list(db.session.scalars(sa.select(Letter).where(Letter.kind == LetterKind.meeting_invitation)))


def test_inviting_the_victim_through_the_api_sends_the_invitation_once(ct, api_client):
    application = arranged(ct)
    client = api_client(ct.coordinator)
    assert client.patch(_api_meeting(application), json={"victim_invited": True}).status_code == 200
    [letter] = invitations()
    assert letter.emailed_to == "jane@example.org"
    # Saving the arrangements again sends no second invitation.
    assert client.patch(_api_meeting(application), json={"location": "Civic Centre"}).status_code == 200
    assert len(invitations()) == 1


def test_recording_the_invitation_with_the_outcome_sends_nothing(ct, api_client):
    application = arranged(ct)
    response = api_client(ct.chair).post(
        _api_meeting(application, "/outcome"),
        json={"held_on": TODAY.isoformat(), "minutes": "Minutes.", "victim_invited": True},
    )
    assert response.status_code == 200, response.json
    assert response.json["meetings"][0]["victim_invited"] is True
    assert invitations() == []


def test_no_invitation_to_a_meeting_whose_day_has_passed(ct, api_client):
    """An event dated before today is recorded only."""
    application = met(ct)
    services.arrange_meeting(ct.coordinator, application, scheduled_on=date(2026, 3, 9), chair=ct.chair)
    db.session.commit()
    response = api_client(ct.coordinator).patch(_api_meeting(application), json={"victim_invited": True})
    assert response.status_code == 200
    assert invitations() == []


def test_a_confirmation_goes_to_an_applicant_registered_today_by_any_channel_but_not_for_past_work(ct, api_client):
    today_body = ct.body(
        received_on=TODAY.isoformat(),
        complaints=[{"occurred_on": "2026-02-05", "reported_on": "2026-02-06", "agency_code": "BDC"}],
    )
    client = api_client(ct.coordinator)
    assert client.post("/api/v1/triggers", json=today_body).status_code == 201
    assert client.post("/api/v1/triggers", json=ct.body()).status_code == 201  # received 2 March
    confirmations = db.session.scalars(
        sa.select(OutboxEmail.subject).where(OutboxEmail.idempotency_key.like("trigger-confirmation:%"))
    ).all()
    assert len(confirmations) == 1
