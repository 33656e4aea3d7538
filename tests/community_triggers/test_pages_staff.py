"""Staff pages for Case Reviews, per role: the board, the application page and its steps, the meeting,
the chair's reviews and outcome, information requests, appeal and withdrawal."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.community_triggers import services
from casework.community_triggers.models import (
    ApplicationStatus,
    InformationRequest,
    Letter,
    LetterKind,
    ReviewMeeting,
    TriggerApplication,
    TriggerDocument,
)
from casework.core.db import commit
from casework.extensions import db


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel("2026-03-20 10:00:00+00:00", tick=False):
        yield


class World:
    pass


@pytest.fixture
def world(make):
    w = World()
    w.area = make.area("BOL", "Bolsover")
    w.other_area = make.area("NED", "North East Derbyshire")
    w.council = make.agency("BDC", areas=[w.area])
    w.police = make.agency("DERPOL", areas=[w.area, w.other_area], kind="police")
    w.elsewhere = make.agency("NEDDC", areas=[w.other_area])
    w.coordinator = make.user("coordinator", agency=w.council, name="Cora Coordinator")
    w.manager = make.user("manager", agency=w.council)
    w.officer = make.user("officer", agency=w.council)
    w.police_officer = make.user("officer", agency=w.police)
    w.chair = make.user("chair", agency=w.elsewhere, name="Charles Chair")
    w.other_chair = make.user("chair", agency=w.elsewhere, name="Olga Otherchair")
    w.partner = make.user("partner", agency=w.council)
    w.admin = make.user("admin", agency=w.council)
    w.outsider = make.user("coordinator", agency=w.elsewhere)
    return w


def _register(w, email="rita@example.org", complaints=3):
    days = [
        (date(2026, 2, 1), date(2026, 2, 2)),
        (date(2026, 2, 8), date(2026, 2, 9)),
        (date(2026, 2, 15), date(2026, 2, 16)),
    ][:complaints]
    application = services.register_application(
        w.officer,
        {
            "area": w.area,
            "received_on": date(2026, 3, 2),
            "channel": "phone",
            "applicant": {"name": "Rita Resident", "email": email, "phone": None, "address": "1 High Street"},
            "applicant_role": "victim",
            "consent_given": True,
            "description": "Loud music every night.",
            "cases": [],
            "complaints": [
                {
                    "complainant_name": None,
                    "occurred_on": o,
                    "reported_on": r,
                    "agency": w.council,
                    "reported_to": None,
                    "reference": f"REF-{i}",
                    "causes_had": True,
                    "hate_motivated": False,
                }
                for i, (o, r) in enumerate(days)
            ],
        },
    )
    commit()
    return application


def _date(prefix, day):
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}


def _decide_met(w, application):
    services.decide_threshold(
        w.coordinator,
        application,
        met=True,
        basis="automatic",
        reasons="Three complaints.",
        decided_on=date(2026, 3, 10),
        # Dated before "today" in some tests: the letter is asked for, as the letters tests expect it.
        send_letter=True,
    )
    commit()


def _confirm_complete(w, meeting):
    """Attendees, the victim's consultation and the agencies' reasons recorded; the review confirmed."""
    from casework.community_triggers import completeness

    db.session.refresh(meeting)
    services.update_meeting(w.coordinator, meeting, attendees=[{"name": "Charles Chair", "role": "chair"}])
    services.record_victim_consultation(w.coordinator, meeting, consulted_on=meeting.held_on, notes="Agrees.")
    completeness.confirm_complete(
        w.coordinator,
        meeting,
        missing_information={w.council: "Presented at the meeting.", w.police: "Presented at the meeting."},
    )
    commit()


def _arrange(w, application, chair=None):
    meeting = services.arrange_meeting(
        w.coordinator, application, scheduled_on=date(2026, 3, 20), chair=chair or w.chair, send_letter=True
    )
    commit()
    return meeting


# --- who may see what ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "board", "application_page"),
    [
        ("coordinator", 200, 200),
        ("manager", 200, 200),
        ("officer", 200, 200),
        ("police_officer", 200, 200),
        ("chair", 403, 403),
        ("partner", 403, 403),
        ("admin", 403, 403),
        ("outsider", 200, 404),
    ],
)
def test_board_and_application_page_per_role(page_client, world, who, board, application_page):
    application = _register(world)
    client = page_client(getattr(world, who))
    response = client.get("/case-reviews/")
    assert response.status_code == board
    if board == 200:
        assert (application.reference in response.text) == (who != "outsider")
    assert client.get(f"/case-reviews/{application.id}").status_code == application_page


def test_anonymous_is_sent_to_sign_in(client, world):
    application = _register(world)
    for path in ("/case-reviews/", f"/case-reviews/{application.id}", "/my-reviews/"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]


def test_application_page_shows_the_working_and_is_audited(page_client, world):
    from casework.audit.models import AuditAction, AuditEntry

    application = _register(world)
    response = page_client(world.coordinator).get(f"/case-reviews/{application.id}")
    assert "Each complaint considered" in response.text
    assert "Threshold met" in response.text
    assert "REF-2" in response.text
    assert "Acknowledge the application" in response.text
    views = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == AuditAction.view,
            AuditEntry.object_id == str(application.id),
            AuditEntry.actor_id == world.coordinator.id,
        )
    ).all()
    assert len(views) == 1


def test_board_shows_deadline_tags_and_filters(page_client, world):
    application = _register(world)
    client = page_client(world.coordinator)
    # Received 2 March: acknowledgement was due 9 March, so by 20 March it is overdue.
    response = client.get("/case-reviews/")
    assert "Overdue" in response.text
    assert application.reference in client.get("/case-reviews/?status=received").text
    assert application.reference not in client.get("/case-reviews/?status=withdrawn").text
    assert application.reference in client.get("/case-reviews/?deadline=overdue").text
    assert application.reference not in client.get("/case-reviews/?deadline=due_soon").text


def test_board_runs_a_fixed_number_of_queries(page_client, world, count_queries):
    client = page_client(world.coordinator)
    _register(world)
    with count_queries() as one:
        client.get("/case-reviews/")
    for _ in range(3):
        _register(world)
    with count_queries() as four:
        client.get("/case-reviews/")
    assert four.count == one.count


# --- registering and screening ------------------------------------------------------------------------------


def _registration(**overrides):
    data = {
        "channel": "phone",
        **_date("received_on", date(2026, 3, 19)),
        "applicant_role": "victim",
        "applicant_name": "Paul Phoned",
        "applicant_email": "",
        "area": "BOL",
        "description": "Shouting.",
        **_date("complaints-0-occurred_on", date(2026, 3, 1)),
        **_date("complaints-0-reported_on", date(2026, 3, 2)),
        "complaints-0-agency": "BDC",
    }
    data.update(overrides)
    return data


def test_officer_registers_an_application_received_by_phone(page_client, world):
    response = page_client(world.officer).post("/case-reviews/new", data=_registration())
    assert response.status_code == 302
    application = db.session.scalar(sa.select(TriggerApplication))
    assert application.channel.value == "phone"
    assert application.received_on == date(2026, 3, 19)
    assert application.registered_by_id == world.officer.id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"received_on-day": "21"}, "must be today or in the past"),
        ({"channel": ""}, "Select how the application was received"),
        # A complaint reported after the application was received is invalid.
        ({**_date("received_on", date(2026, 3, 1))}, "cannot have been reported after the application was received"),
    ],
)
def test_registration_errors_write_nothing(page_client, world, overrides, message):
    response = page_client(world.officer).post("/case-reviews/new", data=_registration(**overrides))
    assert response.status_code == 422
    assert "govuk-error-summary" in response.text
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count(TriggerApplication.id))) == 0


@pytest.mark.parametrize("who", ["chair", "partner", "admin"])
def test_registration_refused(page_client, world, who):
    assert page_client(getattr(world, who)).get("/case-reviews/new").status_code == 403


def test_screen_out_records_the_reason(page_client, world):
    application = _register(world)
    client = page_client(world.coordinator)
    response = client.post(
        f"/case-reviews/{application.id}/screen-out",
        data={
            "kind": "service_complaint",
            "reason": "About an officer's manner: sent to the complaints team.",
            **_date("screened_out_on", date(2026, 3, 20)),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    application = db.session.get(TriggerApplication, application.id)
    assert application.status == ApplicationStatus.screened_out
    assert "complaints team" in application.screened_out_reason


def test_officer_cannot_take_coordinator_steps(page_client, world):
    application = _register(world)
    client = page_client(world.officer)
    assert client.get(f"/case-reviews/{application.id}/decision").status_code == 403
    assert client.post(f"/case-reviews/{application.id}/acknowledge").status_code == 403


# --- acknowledgement and decision ---------------------------------------------------------------------------


def test_acknowledge_produces_the_letter_once(page_client, world):
    application = _register(world)
    client = page_client(world.coordinator)
    response = client.post(
        f"/case-reviews/{application.id}/acknowledge",
        data={**_date("ack-on", date(2026, 3, 4)), "ack-send_letter": "y"},
    )
    assert response.status_code == 302
    letters = db.session.scalars(sa.select(Letter).where(Letter.application_id == application.id)).all()
    assert [letter.kind for letter in letters] == [LetterKind.acknowledgement]
    assert letters[0].emailed_to == "rita@example.org"
    again = client.post(f"/case-reviews/{application.id}/acknowledge", data=_date("ack-on", date(2026, 3, 5)))
    assert again.status_code in (302, 422)
    assert db.session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.kind == LetterKind.acknowledgement)) == 1


def test_decision_not_met_refused_when_automatic_threshold_met(page_client, world):
    application = _register(world)
    response = page_client(world.coordinator).post(
        f"/case-reviews/{application.id}/decision",
        data={"met": "no", "reasons": "Not persuaded.", **_date("decided_on", date(2026, 3, 10))},
    )
    assert response.status_code == 422
    assert "govuk-error-summary" in response.text
    db.session.expire_all()
    assert db.session.get(TriggerApplication, application.id).decision is None
    assert db.session.scalar(sa.select(sa.func.count(Letter.id))) == 0


def test_decision_form_errors(page_client, world):
    application = _register(world)
    response = page_client(world.coordinator).post(
        f"/case-reviews/{application.id}/decision",
        data={"met": "yes", "reasons": "", **_date("decided_on", date(2026, 3, 21))},
    )
    assert response.status_code == 422
    for message in ("Select the basis", "Enter the reasons", "must be today or in the past"):
        assert message in response.text


def test_decision_met_produces_the_decision_letter(page_client, world):
    application = _register(world)
    response = page_client(world.coordinator).post(
        f"/case-reviews/{application.id}/decision",
        data={
            "met": "yes",
            "basis": "automatic",
            "reasons": "Three qualifying complaints.",
            **_date("decided_on", date(2026, 3, 10)),
            "send_letter": "y",
        },
    )
    assert response.status_code == 302
    letter = db.session.scalar(sa.select(Letter).where(Letter.kind == LetterKind.threshold_decision))
    assert "is met" in letter.body
    assert "Three qualifying complaints." in letter.body


# --- meetings -----------------------------------------------------------------------------------------------------


def test_arrange_meeting_lists_chairs_and_refuses_a_conflicted_one(page_client, world, make):
    from casework.cases.models import Case

    application = _register(world)
    case = Case(
        reference="BOL-2026-0001",
        area_id=world.area.id,
        year=2026,
        sequence=1,
        category="nuisance",
        summary="Noise",
        lead_agency_id=world.council.id,
        owner_id=world.other_chair.id,
    )
    db.session.add(case)
    db.session.commit()
    services.link_cases(world.coordinator, application, [case])
    commit()
    _decide_met(world, application)
    client = page_client(world.coordinator)
    page = client.get(f"/case-reviews/{application.id}/meetings/new")
    assert ">Charles Chair (" in page.text
    assert ">Cora Coordinator (" not in page.text
    refused = client.post(
        f"/case-reviews/{application.id}/meetings/new",
        data={**_date("scheduled_on", date(2026, 3, 30)), "chair": str(world.other_chair.id)},
    )
    assert refused.status_code == 422
    assert "govuk-error-summary" in refused.text
    assert "owns case BOL-2026-0001" in refused.text
    assert db.session.scalar(sa.select(sa.func.count(ReviewMeeting.id))) == 0
    response = client.post(
        f"/case-reviews/{application.id}/meetings/new",
        data={**_date("scheduled_on", date(2026, 3, 30)), "chair": str(world.chair.id)},
    )
    assert response.status_code == 302
    meeting = db.session.scalar(sa.select(ReviewMeeting))
    assert meeting.chair_id == world.chair.id


def test_meeting_victim_not_invited_needs_a_reason(page_client, world):
    application = _register(world)
    _decide_met(world, application)
    meeting = _arrange(world, application)
    client = page_client(world.coordinator)
    path = f"/case-reviews/{application.id}/meetings/{meeting.id}"
    response = client.post(path, data={"agenda": "1. Welcome", "victim_invited": "no"})
    assert response.status_code == 422
    assert "Enter why the victim is not invited" in response.text
    response = client.post(path, data={"agenda": "1. Welcome", "victim_invited": "yes"})
    assert response.status_code == 302
    invitation = db.session.scalars(sa.select(Letter).where(Letter.kind == LetterKind.meeting_invitation)).all()
    assert len(invitation) == 1
    # Saving again does not send a second invitation.
    client.post(path, data={"agenda": "1. Welcome\n2. Review", "victim_invited": "yes"})
    assert (
        db.session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.kind == LetterKind.meeting_invitation)) == 1
    )


def test_add_attendee(page_client, world):
    application = _register(world)
    _decide_met(world, application)
    meeting = _arrange(world, application)
    client = page_client(world.coordinator)
    response = client.post(
        f"/case-reviews/{application.id}/meetings/{meeting.id}/attendees",
        data={"name": "Sgt Patel", "role": "panel member", "agency": "DERPOL"},
    )
    assert response.status_code == 302
    assert "Sgt Patel" in client.get(f"/case-reviews/{application.id}/meetings/{meeting.id}").text


# --- the chair ------------------------------------------------------------------------------------------------


def _outcome(**overrides):
    data = {
        **_date("held_on", date(2026, 3, 20)),
        "minutes": "Discussed.",
        "proportionality_assessment": "Fair.",
        "outcome": "Action plan agreed.",
        "recommendations-0-text": "Install noise monitoring.",
        "recommendations-0-agency": "BDC",
        **_date("recommendations-0-due_on", date(2026, 4, 30)),
        "recommendations-1-text": "Evening patrols.",
        "recommendations-1-agency": "DERPOL",
        **_date("recommendations-1-due_on", date(2026, 5, 15)),
        "victim_invited": "yes",
        "save": "y",
    }
    data.update(overrides)
    return data


def test_chair_sees_only_their_reviews(page_client, world):
    application = _register(world)
    _decide_met(world, application)
    meeting = _arrange(world, application)
    mine = page_client(world.chair).get("/my-reviews/")
    assert application.reference in mine.text
    theirs = page_client(world.other_chair)
    assert application.reference not in theirs.get("/my-reviews/").text
    assert theirs.get(f"/my-reviews/{meeting.id}").status_code == 404
    assert theirs.post(f"/my-reviews/{meeting.id}/outcome", data=_outcome()).status_code == 404
    assert page_client(world.coordinator).get("/my-reviews/").status_code == 403


def test_chair_records_the_outcome_and_the_letter_lists_every_recommendation(page_client, world):
    application = _register(world)
    _decide_met(world, application)
    meeting = _arrange(world, application)
    services.update_meeting(world.coordinator, meeting, victim_invited=True)
    commit()
    client = page_client(world.chair)
    response = client.post(f"/my-reviews/{meeting.id}/outcome", data=_outcome())
    assert response.status_code == 302, response.text
    # The chair records the outcome; the letter waits for the coordinator to confirm the review complete.
    assert db.session.scalar(sa.select(Letter).where(Letter.kind == LetterKind.outcome)) is None
    _confirm_complete(world, meeting)
    letter = db.session.scalar(sa.select(Letter).where(Letter.kind == LetterKind.outcome))
    assert "Install noise monitoring." in letter.body
    assert "Evening patrols." in letter.body
    page = client.get(f"/case-reviews/{application.id}/letters/{letter.id}")
    assert page.status_code == 200
    assert "Evening patrols." in page.text
    db.session.expire_all()
    assert db.session.get(ReviewMeeting, meeting.id).outcome_letter_sent_on == date(2026, 3, 20)


def test_outcome_errors_write_nothing(page_client, world):
    application = _register(world)
    _decide_met(world, application)
    meeting = _arrange(world, application)
    services.update_meeting(world.coordinator, meeting, victim_invited=True)
    commit()
    response = page_client(world.chair).post(
        f"/my-reviews/{meeting.id}/outcome",
        data=_outcome(minutes="", victim_invited="no", **{"recommendations-1-agency": ""}),
    )
    assert response.status_code == 422
    assert "Enter the minutes" in response.text
    assert "Enter why the victim was not invited" in response.text
    assert "Select the agency it is addressed to" in response.text
    db.session.expire_all()
    assert db.session.get(ReviewMeeting, meeting.id).held_on is None
    assert db.session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.kind == LetterKind.outcome)) == 0


def test_add_another_recommendation(page_client, world):
    application = _register(world)
    _decide_met(world, application)
    meeting = _arrange(world, application)
    response = page_client(world.chair).post(
        f"/my-reviews/{meeting.id}/outcome", data={**_outcome(), "save": "", "add_recommendation": "y"}
    )
    assert response.status_code == 200
    assert "Recommendation 3" in response.text


# --- information requests ---------------------------------------------------------------------------------------


def test_information_request_and_agency_submission_with_file(page_client, world):
    application = _register(world)
    coordinator = page_client(world.coordinator)
    response = coordinator.post(
        f"/case-reviews/{application.id}/information-requests",
        data={"agency": "DERPOL", **_date("due_on", date(2026, 3, 30))},
    )
    assert response.status_code == 302
    item = db.session.scalar(sa.select(InformationRequest))
    police = page_client(world.police_officer)
    assert application.reference in police.get("/case-reviews/information-requests").text
    from io import BytesIO

    response = police.post(
        f"/case-reviews/information-requests/{item.id}",
        data={
            "submission": "Three calls logged.",
            "document": (BytesIO(b"%PDF-1.4 log"), "log.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    document = db.session.scalar(sa.select(TriggerDocument))
    assert document.filename == "log.pdf"
    download = coordinator.get(f"/case-reviews/documents/{document.id}")
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF")
    # An officer of an agency that was not asked cannot see the request, nor the file the police sent
    # (by its link or by its name on the application's page, which they see).
    officer = page_client(world.officer)
    assert officer.get(f"/case-reviews/information-requests/{item.id}").status_code == 404
    assert officer.get(f"/case-reviews/documents/{document.id}").status_code == 404
    page = officer.get(f"/case-reviews/{application.id}")
    assert page.status_code == 200
    assert "log.pdf" not in page.text
    assert "1 file (shown to the agency and to those who run the review)" in page.text
    # The police's own officer downloads it again; the coordinator reads its name.
    assert police.get(f"/case-reviews/documents/{document.id}").status_code == 200
    assert "log.pdf" in coordinator.get(f"/case-reviews/{application.id}").text


@pytest.mark.parametrize("filename", ['Décision "finale".pdf', "rapport d\u2019incident.pdf", 'a";b=c.pdf'])
def test_a_file_named_with_quotes_or_non_ascii_letters_downloads(page_client, world, filename):
    """Content-Disposition carries an ASCII ``filename`` and the exact name as RFC 5987 ``filename*``."""
    from io import BytesIO

    from werkzeug.http import parse_options_header

    from tests.test_cache_headers import header_problems

    application = _register(world)
    coordinator = page_client(world.coordinator)
    coordinator.post(
        f"/case-reviews/{application.id}/information-requests",
        data={"agency": "DERPOL", **_date("due_on", date(2026, 3, 30))},
    )
    item = db.session.scalar(sa.select(InformationRequest))
    page_client(world.police_officer).post(
        f"/case-reviews/information-requests/{item.id}",
        data={"submission": "Log.", "document": (BytesIO(b"%PDF-1.4 log"), filename, "application/pdf")},
        content_type="multipart/form-data",
    )
    document = db.session.scalar(sa.select(TriggerDocument))
    download = coordinator.get(f"/case-reviews/documents/{document.id}")
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF")
    kind, options = parse_options_header(download.headers["Content-Disposition"])
    assert kind == "attachment"
    assert options["filename"] == document.filename  # werkzeug reads filename* (RFC 5987) when present
    assert set(options) <= {"filename", "filename*"}  # a quote in the name did not start a parameter
    assert download.headers["Content-Disposition"].isascii()
    # Served as every answer is: not kept, not sniffed, not framed by another site.
    assert header_problems(download, None) == []


@pytest.mark.parametrize(
    ("content", "filename", "content_type", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 100, "tool.exe", "application/octet-stream", "must be one of"),
        # Checked by content: the browser's type and the name are claims.
        (b"not a pdf", "fake.pdf", "application/pdf", "ends in .pdf, but the file is not in that format (PDF)"),
        (
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            "scan.txt",
            "text/plain",
            "name ends in .txt, but the file is not in that format (Text)",
        ),
        (b"%PDF-" + b"x" * (20 * 1024 * 1024), "big.pdf", "application/pdf", "smaller than 20 MB"),
    ],
)
def test_file_uploads_are_checked(page_client, world, content, filename, content_type, message):
    from io import BytesIO

    application = _register(world)
    from casework.community_triggers import info_requests

    item = info_requests.request_information(world.coordinator, application, world.police, due_on=date(2026, 3, 30))
    commit()
    response = page_client(world.police_officer).post(
        f"/case-reviews/information-requests/{item.id}",
        data={"submission": "Text.", "document": (BytesIO(content), filename, content_type)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count(TriggerDocument.id))) == 0
    db.session.expire_all()
    assert db.session.get(InformationRequest, item.id).submitted_on is None


def test_a_submission_to_an_anonymised_case_review_is_refused_and_writes_nothing(page_client, world):
    """An application anonymised under the retention policy takes nothing more: an agency's answer to
    a request on it, text or file, is refused with the reason, and no file is put."""
    from io import BytesIO

    from casework.community_triggers import info_requests
    from casework.community_triggers.policies import ANONYMISED_APPLICATION
    from casework.core.storage import StoredFile
    from casework.core.time import now

    application = _register(world)
    item = info_requests.request_information(world.coordinator, application, world.police, due_on=date(2026, 3, 30))
    application.anonymised_at = now()
    commit()
    files_before = db.session.scalar(sa.select(sa.func.count(StoredFile.id)))
    response = page_client(world.police_officer).post(
        f"/case-reviews/information-requests/{item.id}",
        data={"submission": "Ann Applicant called us twice.", "document": (BytesIO(b"%PDF-1.4 log"), "log.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert ANONYMISED_APPLICATION in response.text
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(TriggerDocument.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == files_before
    assert db.session.get(InformationRequest, item.id).submission is None


# --- appeal and withdrawal ------------------------------------------------------------------------------------------


def test_withdraw(page_client, world):
    application = _register(world)
    response = page_client(world.coordinator).post(
        f"/case-reviews/{application.id}/withdraw",
        data={"reason": "The applicant moved away.", **_date("withdrawn_on", date(2026, 3, 19))},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(TriggerApplication, application.id).status == ApplicationStatus.withdrawn


def test_appeal_lodged_handled_and_decided(page_client, world):
    application = _register(world, complaints=1)
    services.decide_threshold(
        world.coordinator, application, met=False, basis=None, reasons="One complaint.", decided_on=date(2026, 3, 10)
    )
    commit()
    client = page_client(world.coordinator)
    response = client.post(
        f"/case-reviews/{application.id}/appeal",
        data={**_date("received_on", date(2026, 3, 19)), "grounds": "The threshold was misapplied."},
    )
    assert response.status_code == 302, response.text
    application = db.session.get(TriggerApplication, application.id)
    appeal = application.appeals[-1]
    assert (
        client.post(
            f"/case-reviews/{application.id}/appeals/{appeal.id}/handler", data={"handler_name": "Office of the PCC"}
        ).status_code
        == 302
    )
    response = client.post(
        f"/case-reviews/{application.id}/appeals/{appeal.id}/decision",
        data={"decision": "not_upheld", "reasons": "Properly decided.", **_date("decided_on", date(2026, 3, 20))},
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.kind == LetterKind.appeal_decision)) == 1


def test_appeal_with_nothing_to_appeal_shows_the_service_message(page_client, world):
    application = _register(world)
    response = page_client(world.coordinator).post(
        f"/case-reviews/{application.id}/appeal",
        data={**_date("received_on", date(2026, 3, 19)), "grounds": "Mishandled."},
    )
    assert response.status_code == 422
    assert "govuk-error-summary" in response.text


def test_my_reviews_runs_a_fixed_number_of_queries(page_client, world, count_queries):
    client = page_client(world.chair)
    application = _register(world)
    _decide_met(world, application)
    _arrange(world, application)
    with count_queries() as one:
        client.get("/my-reviews/")
    for _ in range(3):
        other = _register(world)
        _decide_met(world, other)
        _arrange(world, other)
    with count_queries() as four:
        response = client.get("/my-reviews/")
    assert response.text.count("/my-reviews/") >= 4
    assert four.count == one.count


def _all_pages(application, meeting):
    base = f"/case-reviews/{application.id}"
    return [
        base,
        f"{base}/decision",
        f"{base}/screen-out",
        f"{base}/meetings/new",
        f"{base}/meetings/{meeting.id}",
        f"{base}/appeal",
        f"{base}/withdraw",
        "/case-reviews/",
        "/case-reviews/new",
        "/case-reviews/information-requests",
        f"/my-reviews/{meeting.id}",
        f"/my-reviews/{meeting.id}/outcome",
        f"/my-reviews/{meeting.id}/consultation",
    ]


@pytest.mark.parametrize("who", ["partner", "admin"])
def test_partner_and_admin_are_refused_every_case_review_page(page_client, world, who):
    application = _register(world)
    _decide_met(world, application)
    meeting = _arrange(world, application)
    client = page_client(getattr(world, who))
    for path in _all_pages(application, meeting):
        assert client.get(path).status_code in (403, 404), path
        assert client.post(path, data={}).status_code in (403, 404, 405), path


def test_chair_is_refused_the_coordinator_pages(page_client, world):
    application = _register(world)
    _decide_met(world, application)
    meeting = _arrange(world, application)
    client = page_client(world.chair)
    for path in _all_pages(application, meeting)[:10]:
        assert client.get(path).status_code in (403, 404), path
    assert client.get(f"/my-reviews/{meeting.id}").status_code == 200


def test_manager_takes_the_coordinator_steps(page_client, world):
    application = _register(world)
    response = page_client(world.manager).post(
        f"/case-reviews/{application.id}/decision",
        data={"met": "yes", "basis": "automatic", "reasons": "Met.", **_date("decided_on", date(2026, 3, 10))},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(TriggerApplication, application.id).decision.decided_by_id == world.manager.id


def test_coordinator_of_another_area_cannot_take_steps(page_client, world):
    application = _register(world)
    response = page_client(world.outsider).post(
        f"/case-reviews/{application.id}/decision",
        data={"met": "yes", "basis": "automatic", "reasons": "Met.", **_date("decided_on", date(2026, 3, 10))},
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(TriggerApplication, application.id).decision is None


def _concluded(w, application):
    _decide_met(w, application)
    meeting = _arrange(w, application)
    services.record_outcome(
        w.chair,
        meeting,
        held_on=date(2026, 3, 20),
        minutes="Held.",
        victim_invited=True,
        recommendations=[{"text": "Monitor.", "agency": w.council, "due_on": date(2026, 4, 30)}],
    )
    commit()
    return meeting


def test_chair_records_the_victims_views_on_the_action_plan(page_client, world):
    application = _register(world)
    meeting = _concluded(world, application)
    client = page_client(world.chair)
    path = f"/my-reviews/{meeting.id}/consultation"
    bad = client.post(path, data={"notes": "", **_date("consulted_on", date(2026, 3, 21))})
    assert bad.status_code == 422
    assert "Enter what the victim said" in bad.text
    assert "must be today or in the past" in bad.text
    response = client.post(path, data={"notes": "Agrees with the plan.", **_date("consulted_on", date(2026, 3, 20))})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ReviewMeeting, meeting.id).victim_consulted_on == date(2026, 3, 20)
    assert page_client(world.other_chair).get(path).status_code == 404


def test_upheld_appeal_sends_the_review_back_for_a_new_meeting(page_client, world):
    application = _register(world)
    _concluded(world, application)
    client = page_client(world.coordinator)
    base = f"/case-reviews/{application.id}"
    assert (
        client.post(
            f"{base}/appeal", data={**_date("received_on", date(2026, 3, 20)), "grounds": "Relevant facts were missed."}
        ).status_code
        == 302
    )
    appeal = db.session.get(TriggerApplication, application.id).appeals[-1]
    client.post(f"{base}/appeals/{appeal.id}/handler", data={"handler_name": "Chair of another district's panel"})
    response = client.post(
        f"{base}/appeals/{appeal.id}/decision",
        data={
            "decision": "upheld",
            "reasons": "Police logs were not considered.",
            **_date("decided_on", date(2026, 3, 20)),
        },
    )
    assert response.status_code == 302
    letter = db.session.scalar(sa.select(Letter).where(Letter.kind == LetterKind.appeal_decision))
    assert "upheld" in letter.body
    assert "new meeting" in letter.body
    page = client.get(base)
    assert f'href="{base}/meetings/new"' in page.text
    response = client.post(
        f"{base}/meetings/new", data={**_date("scheduled_on", date(2026, 4, 1)), "chair": str(world.other_chair.id)}
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(ReviewMeeting.id))) == 2


def test_chair_records_attendance(page_client, world):
    application = _register(world)
    _decide_met(world, application)
    meeting = _arrange(world, application)
    client = page_client(world.chair)
    bad = client.post(f"/my-reviews/{meeting.id}/attendees", data={"name": "", "role": "", "agency": ""})
    assert bad.status_code == 422
    assert "Enter the attendee&#39;s name" in bad.text or "Enter the attendee's name" in bad.text
    response = client.post(
        f"/my-reviews/{meeting.id}/attendees", data={"name": "PC Khan", "role": "panel member", "agency": "DERPOL"}
    )
    assert response.status_code == 302
    assert "PC Khan (panel member)" in client.get(f"/my-reviews/{meeting.id}").text
    other = page_client(world.other_chair).post(f"/my-reviews/{meeting.id}/attendees", data={"name": "X"})
    assert other.status_code == 404


def test_information_step_done_when_every_agency_has_answered_and_chair_reads_the_files(page_client, world):
    from io import BytesIO

    from casework.community_triggers import deadlines, info_requests
    from casework.reminders.models import DeadlineStatus

    application = _register(world)
    item = info_requests.request_information(world.coordinator, application, world.police, due_on=date(2026, 3, 30))
    commit()
    rows = deadlines.deadline_rows([application.id])[application.id]
    assert rows["information_requests"].status == DeadlineStatus.open
    page_client(world.police_officer).post(
        f"/case-reviews/information-requests/{item.id}",
        data={"submission": "Calls logged.", "document": (BytesIO(b"plain notes"), "notes.txt", "text/plain")},
        content_type="multipart/form-data",
    )
    db.session.expire_all()
    rows = deadlines.deadline_rows([application.id])[application.id]
    assert rows["information_requests"].status == DeadlineStatus.done
    _decide_met(world, db.session.get(type(application), application.id))
    meeting = _arrange(world, db.session.get(type(application), application.id))
    document = db.session.scalar(sa.select(TriggerDocument))
    chair = page_client(world.chair)
    assert "notes.txt" in chair.get(f"/my-reviews/{meeting.id}").text
    assert chair.get(f"/case-reviews/documents/{document.id}").status_code == 200
    assert page_client(world.other_chair).get(f"/case-reviews/documents/{document.id}").status_code == 404


def test_a_step_dated_before_today_is_recorded_without_its_letter_unless_asked(page_client, world):
    application = _register(world)
    client = page_client(world.coordinator)
    response = client.post(f"/case-reviews/{application.id}/acknowledge", data=_date("ack-on", date(2026, 3, 4)))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "no letter was sent" in page
    assert db.session.scalar(sa.select(sa.func.count(Letter.id))) == 0
    # Dated today, the decision's letter goes out without asking.
    response = client.post(
        f"/case-reviews/{application.id}/decision",
        data={"met": "yes", "basis": "automatic", "reasons": "Three.", **_date("decided_on", date(2026, 3, 20))},
    )
    assert response.status_code == 302
    assert [letter.kind for letter in db.session.scalars(sa.select(Letter))] == [LetterKind.threshold_decision]


def test_a_meeting_arranged_on_an_earlier_day(page_client, world):
    application = _register(world)
    _decide_met(world, application)
    client = page_client(world.coordinator)
    chair_id = str(world.chair.id)
    early = client.post(
        f"/case-reviews/{application.id}/meetings/new",
        data={**_date("scheduled_on", date(2026, 3, 25)), "chair": chair_id, **_date("arranged_on", date(2026, 3, 9))},
    )
    assert early.status_code == 422
    assert "cannot be before the threshold decision" in early.get_data(as_text=True)
    response = client.post(
        f"/case-reviews/{application.id}/meetings/new",
        data={**_date("scheduled_on", date(2026, 3, 25)), "chair": chair_id, **_date("arranged_on", date(2026, 3, 12))},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    db.session.expire_all()
    meeting = db.session.get(TriggerApplication, application.id).meetings[0]
    assert meeting.arranged_on == date(2026, 3, 12)
