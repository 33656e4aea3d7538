"""Letters: produced once per event from the signals, logged, emailed only when there is an address;
templates editable by admins in a sandbox."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.audit.models import AuditEntry
from casework.community_triggers import completeness, letters, services
from casework.community_triggers.models import Letter, LetterKind, LetterTemplate
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from tests.community_triggers import test_pages_staff as pages
from tests.community_triggers.test_pages_staff import _arrange, _decide_met, _register

world = pages.world


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel("2026-03-20 10:00:00+00:00", tick=False):
        yield


def _letters(kind=None):
    query = sa.select(Letter).order_by(Letter.id)
    if kind:
        query = query.where(Letter.kind == kind)
    return db.session.scalars(query).all()


def test_every_step_produces_its_letter_once(world):
    application = _register(world)
    services.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 3, 4), send_letter=True)
    _decide_met(world, application)
    meeting = _arrange(world, application)
    assert _letters(LetterKind.meeting_invitation) == []  # the victim's invitation is not decided yet
    services.update_meeting(world.coordinator, meeting, victim_invited=True)
    letters.invite_victim(world.coordinator, meeting)
    letters.invite_victim(world.coordinator, meeting)
    commit()
    services.record_outcome(
        world.chair,
        meeting,
        held_on=date(2026, 3, 20),
        minutes="Held.",
        recommendations=[
            {"text": "Install monitoring.", "agency": world.council, "due_on": date(2026, 4, 30)},
            {"text": "Evening patrols.", "agency": world.police, "due_on": date(2026, 5, 15)},
        ],
    )
    commit()
    # The outcome waits for the review to be confirmed complete.
    assert _letters(LetterKind.outcome) == []
    services.update_meeting(world.coordinator, meeting, attendees=[{"name": "Charles Chair", "role": "chair"}])
    services.record_victim_consultation(world.coordinator, meeting, consulted_on=date(2026, 3, 20), notes="Agrees.")
    completeness.confirm_complete(
        world.coordinator,
        meeting,
        missing_information={world.council: "Sent at the meeting.", world.police: "Spoke at the meeting."},
    )
    completeness_again = pytest.raises(InvalidInput, match="confirmed complete")
    with completeness_again:
        completeness.confirm_complete(world.coordinator, meeting)
    commit()
    kinds = [letter.kind for letter in _letters()]
    assert kinds == [
        LetterKind.acknowledgement,
        LetterKind.threshold_decision,
        LetterKind.meeting_invitation,
        LetterKind.outcome,
    ]
    outcome = _letters(LetterKind.outcome)[0]
    assert "1. Install monitoring." in outcome.body
    assert "2. Evening patrols." in outcome.body
    assert "Agency DERPOL" in outcome.body
    assert "20 working days" in outcome.body  # how to appeal
    # Logged on the application's audit trail.
    summaries = db.session.scalars(
        sa.select(AuditEntry.summary).where(
            AuditEntry.object_type == "trigger_applications", AuditEntry.object_id == str(application.id)
        )
    ).all()
    assert any("Outcome and recommendations letter produced and emailed" in s for s in summaries)
    # Each emailed once.
    emails = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.related_type == "trigger_letters")).all()
    assert len(emails) == 4
    assert {e.to_address for e in emails} == {"rita@example.org"}


def test_not_met_letter_gives_reasons_factors_and_how_to_appeal(world):
    application = _register(world, complaints=1)
    services.decide_threshold(
        world.coordinator,
        application,
        met=False,
        basis=None,
        reasons="Only one complaint.",
        decided_on=date(2026, 3, 10),
        send_letter=True,
        persistence="Weekly.",
        harm="Sleep lost.",
        adequacy="Responded each time.",
    )
    commit()
    letter = _letters(LetterKind.threshold_decision)[0]
    for text in (
        "is not met",
        "Only one complaint.",
        "Persistence of the behaviour: Weekly.",
        "Harm or potential harm: Sleep lost.",
        "Adequacy of the response: Responded each time.",
        "within 20 working days",
    ):
        assert text in letter.body


def test_no_address_means_a_letter_to_post_and_no_email(world):
    application = _register(world, email=None)
    services.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 3, 4), send_letter=True)
    commit()
    letter = _letters(LetterKind.acknowledgement)[0]
    assert letter.emailed_to is None
    assert letter.outbox_email_id is None
    assert (
        db.session.scalar(sa.select(sa.func.count(OutboxEmail.id)).where(OutboxEmail.related_type == "trigger_letters"))
        == 0
    )


def test_letter_is_emailed_to_a_real_smtp_server(app, world, smtp_server, monkeypatch):
    application = _register(world)
    # Point this app's mail at the test's own SMTP server (the suite otherwise writes files).
    mail_state = app.extensions["mailman"]
    monkeypatch.setattr(mail_state, "backend", "smtp")
    monkeypatch.setattr(mail_state, "server", smtp_server.host)
    monkeypatch.setattr(mail_state, "port", smtp_server.port)
    services.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 3, 4), send_letter=True)
    commit()
    received = smtp_server.wait_for(1)
    assert received[0]["To"] == "rita@example.org"
    assert received[0]["Subject"] == f"We have received your ASB Case Review application {application.reference}"
    assert application.reference in received[0].get_content()
    letter = _letters(LetterKind.acknowledgement)[0]
    assert db.session.get(OutboxEmail, letter.outbox_email_id).sent_at is not None


def test_area_template_wins_over_all_areas_and_default(world):
    db.session.add(
        LetterTemplate(
            kind=LetterKind.acknowledgement, area_id=None, subject="All {{ application.reference }}", body="All areas"
        )
    )
    db.session.add(
        LetterTemplate(
            kind=LetterKind.acknowledgement,
            area_id=world.area.id,
            subject="Bolsover {{ application.reference }}",
            body="Dear {{ application.applicant_name }}",
        )
    )
    db.session.commit()
    application = _register(world)
    services.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 3, 4), send_letter=True)
    commit()
    letter = _letters(LetterKind.acknowledgement)[0]
    assert letter.subject == f"Bolsover {application.reference}"
    assert letter.body.strip() == "Dear Rita Resident"


@pytest.mark.parametrize(
    "body",
    [
        "{{ application.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ config }}",
        "{{ request }}",
    ],
)
def test_sandbox_refuses_unsafe_templates(body):
    with pytest.raises(InvalidInput):
        letters.check_template(LetterKind.acknowledgement, "Subject", body)


def test_syntax_error_is_refused_with_the_line():
    with pytest.raises(InvalidInput) as error:
        letters.check_template(LetterKind.acknowledgement, "Subject", "Line one\n{% if %}")
    assert "line 2" in error.value.errors["body"][0]


def test_every_default_template_renders_on_sample_data(db_session):
    for kind in LetterKind:
        subject, body = letters.DEFAULT_TEMPLATES[kind]
        rendered = letters.check_template(kind, subject, body)
        assert "BOL-CT-2026-0003" in rendered.subject


# --- admin pages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "manager", "officer", "chair", "partner"])
def test_template_pages_refused_to_casework_roles(page_client, world, who):
    client = page_client(getattr(world, who))
    assert client.get("/admin/letter-templates/").status_code == 403
    assert client.get("/admin/letter-templates/outcome").status_code == 403


def test_admin_previews_and_saves_a_template(page_client, world):
    client = page_client(world.admin)
    assert "Outcome and recommendations" in client.get("/admin/letter-templates/").text
    page = client.get("/admin/letter-templates/outcome?area=BOL")
    assert page.status_code == 200
    assert "Install noise monitoring equipment." in page.text  # the preview on sample data
    preview = client.post(
        "/admin/letter-templates/outcome?area=BOL",
        data={"subject": "Outcome {{ application.reference }}", "body": "Hello {{ area.name }}", "preview": "y"},
    )
    assert preview.status_code == 200
    assert "Hello Bolsover" in preview.text
    assert db.session.scalar(sa.select(sa.func.count(LetterTemplate.id))) == 0
    saved = client.post(
        "/admin/letter-templates/outcome?area=BOL",
        data={"subject": "Outcome {{ application.reference }}", "body": "Hello {{ area.name }}", "save": "y"},
    )
    assert saved.status_code == 302
    row = db.session.scalar(sa.select(LetterTemplate))
    assert row.area_id == world.area.id
    assert row.body == "Hello {{ area.name }}"


def test_admin_invalid_template_is_refused_with_a_message(page_client, world):
    response = page_client(world.admin).post(
        "/admin/letter-templates/outcome", data={"subject": "S", "body": "{% for %}", "save": "y"}
    )
    assert response.status_code == 422
    assert "govuk-error-summary" in response.text
    assert "The template has a mistake on line 1" in response.text
    assert db.session.scalar(sa.select(sa.func.count(LetterTemplate.id))) == 0


def test_letter_page_is_printable_and_downloads_as_pdf(page_client, world):
    application = _register(world)
    services.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 3, 4), send_letter=True)
    commit()
    letter = _letters(LetterKind.acknowledgement)[0]
    client = page_client(world.coordinator)
    page = client.get(f"/case-reviews/{application.id}/letters/{letter.id}")
    assert page.status_code == 200
    assert "app-letter" in page.text
    assert application.reference in page.text
    from casework.documents import layout

    if not layout.pdf_available():
        pytest.skip("WeasyPrint or the system Pango library is not installed")
    response = client.get(f"/case-reviews/{application.id}/letters/{letter.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")


@pytest.mark.parametrize("who", ["partner", "admin", "outsider"])
def test_letter_pages_refused(page_client, world, who):
    application = _register(world)
    services.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 3, 4), send_letter=True)
    commit()
    letter = _letters(LetterKind.acknowledgement)[0]
    response = page_client(getattr(world, who)).get(f"/case-reviews/{application.id}/letters/{letter.id}")
    assert response.status_code in (403, 404)


#: What the victim told the coordinator about the action plan: theirs, not the applicant's.
VICTIMS_WORDS = "She says her son is the one causing it and she is frightened of him."
VICTIMS_VIEW = "Only if he is not told I asked for it."


def test_what_the_victim_said_of_the_action_plan_is_in_no_letter_or_email(world, api_client):
    """Someone applies for the victim; the victim is consulted on the action plan. Every letter of the
    review (the applicant's and the victim's copy of the outcome) and every email sent quote the chair's
    outcome and the recommendations, never what the victim said of the plan or of each recommendation:
    the applicant may be an advocate, a councillor, a group or an agency. The notes stay on the meeting
    for staff (its page and the API)."""
    application = services.register_application(
        world.officer,
        {
            "area": world.area,
            "received_on": date(2026, 3, 2),
            "channel": "phone",
            "applicant": {"name": "Cllr Ann Advocate", "email": "ann@example.org", "phone": None, "address": None},
            "applicant_role": "on_behalf",
            "consent_given": True,
            "victim": {"name": "Vera Victim", "email": "vera@example.org", "address": None},
            "description": "Loud music every night.",
            "cases": [],
            "complaints": [
                {
                    "complainant_name": None,
                    "occurred_on": o,
                    "reported_on": r,
                    "agency": world.council,
                    "reported_to": None,
                    "reference": f"REF-{i}",
                    "causes_had": True,
                    "hate_motivated": False,
                }
                for i, (o, r) in enumerate(
                    [
                        (date(2026, 2, 1), date(2026, 2, 2)),
                        (date(2026, 2, 8), date(2026, 2, 9)),
                        (date(2026, 2, 15), date(2026, 2, 16)),
                    ]
                )
            ],
        },
    )
    commit()
    services.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 3, 4), send_letter=True)
    _decide_met(world, application)
    meeting = _arrange(world, application)
    services.update_meeting(world.coordinator, meeting, victim_invited=True)
    letters.invite_victim(world.coordinator, meeting)
    commit()
    services.record_outcome(
        world.chair,
        meeting,
        held_on=date(2026, 3, 20),
        minutes="Held.",
        outcome="The agencies agreed a joint plan.",
        recommendations=[{"text": "Install monitoring.", "agency": world.council, "due_on": date(2026, 4, 30)}],
    )
    commit()
    services.update_meeting(world.coordinator, meeting, attendees=[{"name": "Charles Chair", "role": "chair"}])
    services.record_victim_consultation(
        world.coordinator,
        meeting,
        consulted_on=date(2026, 3, 20),
        notes=VICTIMS_WORDS,
        views={meeting.recommendations[0].id: VICTIMS_VIEW},
    )
    completeness.confirm_complete(
        world.coordinator,
        meeting,
        missing_information={world.council: "Sent at the meeting.", world.police: "Spoke at the meeting."},
    )
    commit()

    produced = _letters()
    outcomes = [letter for letter in produced if letter.kind == LetterKind.outcome]
    assert len(outcomes) == 2  # the applicant's and the victim's copy
    assert all("Outcome: The agencies agreed a joint plan." in letter.body for letter in outcomes)
    for letter in produced:
        assert VICTIMS_WORDS not in letter.body, letter.kind
        assert VICTIMS_VIEW not in letter.body, letter.kind
    emails = db.session.scalars(sa.select(OutboxEmail)).all()
    assert {"ann@example.org", "vera@example.org"} <= {e.to_address for e in emails}
    for email in emails:
        assert VICTIMS_WORDS not in (email.subject + email.body_text + (email.body_html or "")), email.subject
    # Staff still read it, on the meeting.
    shown = api_client(world.coordinator).get(f"/api/v1/triggers/{application.id}").json["meetings"][0]
    assert shown["outcome"] == "The agencies agreed a joint plan."
    assert shown["victim_consultation_notes"] == f"Victim consulted on 20 March 2026: {VICTIMS_WORDS}"
