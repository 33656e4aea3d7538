"""The victim page: an officer switches it on (after checking the contact details) and off; the victim
signs in by emailed link or texted code (single use, short-lived, limited, and the same answer for an
unknown address); sees their own cases only, never the perpetrator, enforcement, notes or anyone
else's data; keeps a diary the officer accepts into the ledger; and can stop at once."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from casework.audit.models import AuditAction, AuditEntry
from casework.cases.models import CaseNote, CaseParty, Complaint, Incident, PartyRole, Person
from casework.core import storage, uploads
from casework.core.time import now, today
from casework.documents.models import Document
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.victims.models import DiaryEntry, DiaryStatus, VictimAccess, VictimSignIn
from tests.conftest import csrf_from
from tests.documents.files import ISO6709, photo, video
from tests.support.forms import form_fields
from tests.support.mail import sent_text

EMAIL = "vera@example.net"
MOBILE = "07700 900123"


def _switch_on(client, world, person=None, **fields):
    person = person or world.victim
    data = {"email": EMAIL, "mobile": MOBILE, "contact_checked": "y", "next_step": "We will visit you", **fields}
    return client.post(f"/cases/{world.case.id}/victim-page/{person.id}", data=data)


def _outbox(channel="email"):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.channel == channel).order_by(OutboxEmail.id)
    ).all()


def _link_from_outbox() -> str:
    [row] = [r for r in _outbox() if r.subject == "Your link to sign in"][-1:]
    return re.search(r"(/my-case/sign-in/link/\S+)", sent_text(row)).group(1)


def _victim_client(app, path: str):
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200
    answer = client.post(path, data={"csrf_token": csrf_from(page.text)})
    return client, answer


@pytest.fixture
def access(page_client, world):
    assert _switch_on(page_client(world.officer), world).status_code == 302
    db.session.expire_all()
    return db.session.scalar(sa.select(VictimAccess))


def _sign_in(app, email=EMAIL):
    client = app.test_client()
    page = client.get("/my-case/sign-in")
    client.post("/my-case/sign-in", data={"email": email, "csrf_token": csrf_from(page.text)})
    path = _link_from_outbox()
    victim, answer = _victim_client(app, path)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/my-case/")
    return victim


# --- switching on and off ------------------------------------------------------------------------


def test_switching_on_needs_the_contact_details_checked_and_writes_nothing_otherwise(page_client, world):
    officer = page_client(world.officer)
    page = officer.get(f"/cases/{world.case.id}/victim-page/{world.victim.id}")
    assert page.status_code == 200
    assert "Switch on the victim page for Vera Victim" in page.text
    answer = _switch_on(officer, world, contact_checked="")
    assert answer.status_code == 422
    assert "Confirm that you have checked the contact details" in answer.text
    answer = _switch_on(officer, world, email="not an address", mobile="12345")
    assert answer.status_code == 422
    assert "Enter a UK mobile number" in answer.text
    assert "correct format" in answer.text
    assert db.session.scalar(sa.select(sa.func.count(VictimAccess.id))) == 0
    assert _outbox() == []


def test_a_next_step_saved_over_one_saved_since_the_page_was_read_is_refused(page_client, world, access):
    """Two officers of the agency may change what happens next, and the victim reads whichever was saved
    last: the second of two pages read before either save is refused, and the first's words stay."""
    path = f"/cases/{world.case.id}/victim-page/{world.victim.id}"
    first, second = page_client(world.officer), page_client(world.officer)

    def hidden_fields(page) -> dict[str, str]:
        fields = form_fields(page.text, "next_step")
        assert "version" in fields, "the next step form does not send back what it showed"
        return fields

    first_fields, second_fields = hidden_fields(first.get(path)), hidden_fields(second.get(path))
    saved = first.post(path, data={**first_fields, "next_step": "We will visit on Monday"})
    assert saved.status_code == 302

    refused = second.post(path, data={**second_fields, "next_step": "Nothing is planned"})

    assert refused.status_code == 409
    assert "changed since you read it" in refused.text
    db.session.expire_all()
    assert db.session.get(VictimAccess, access.id).next_step == "We will visit on Monday"


def test_switching_on_tells_the_victim_and_only_for_a_victim_of_a_case_the_officer_may_change(page_client, world):
    # The perpetrator on the case cannot be given a victim page; nor can an officer of another agency.
    assert _switch_on(page_client(world.officer), world, person=world.adult).status_code == 404
    assert _switch_on(page_client(world.stranger), world).status_code == 404
    assert _switch_on(page_client(world.officer), world).status_code == 302
    [access] = db.session.scalars(sa.select(VictimAccess)).all()
    assert (access.email, access.mobile, access.contact_checked_on) == (EMAIL, "07700900123", today())
    assert [r.subject for r in _outbox()] == ["You can now follow your case online"]
    assert [r.to_address for r in _outbox("text")] == ["07700900123"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.object_type == "victim_accesses"))
    assert entry.action == AuditAction.create
    assert entry.actor_id == world.officer.id
    # Switching on again while it is on shows the page to change it instead.
    page = page_client(world.officer).get(f"/cases/{world.case.id}/victim-page/{world.victim.id}")
    assert "Switch it off" in page.text


def test_the_case_page_shows_who_has_a_victim_page(page_client, world, access):
    page = page_client(world.officer).get(f"/cases/{world.case.id}").text
    assert 'id="victim-page"' in page
    assert "Vera Victim" in page


def test_switching_off_ends_the_victims_session_at_once(app, page_client, world, access):
    victim = _sign_in(app)
    assert victim.get("/my-case/").status_code == 200
    officer = page_client(world.officer)
    assert officer.post(f"/cases/{world.case.id}/victim-page/{world.victim.id}/off").status_code == 302
    answer = victim.get("/my-case/")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/my-case/sign-in")


# --- signing in ------------------------------------------------------------------------------------


def test_the_sign_in_page_answers_the_same_for_a_known_and_an_unknown_address(app, access):
    answers = []
    for email in ("nobody@example.net", EMAIL.upper()):
        client = app.test_client()
        page = client.get("/my-case/sign-in")
        answer = client.post("/my-case/sign-in", data={"email": email, "csrf_token": csrf_from(page.text)})
        answers.append((answer.status_code, answer.headers["Location"], client.get(answer.headers["Location"]).text))
    assert answers[0] == answers[1]
    links = [r for r in _outbox() if r.subject == "Your link to sign in"]
    assert [r.to_address for r in links] == [EMAIL]


def _statements_of_asking(app, path: str, field: str, value: str) -> list[str]:
    """The SQL statements the request asking for a link or code runs, with the task it hands to the
    broker left there (no worker in the request, as in production), numbers and ids left out."""
    client = app.test_client()
    page = client.get(path)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _many):
        statements.append(re.sub(r"\d+", "N", " ".join(statement.split())))

    celery = app.extensions["celery"]
    eager = celery.conf.task_always_eager
    celery.conf.task_always_eager = False
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        answer = client.post(path, data={field: value, "csrf_token": csrf_from(page.text)})
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
        celery.conf.task_always_eager = eager
    assert answer.status_code == 302
    return statements


@pytest.mark.parametrize(
    ("path", "field", "known", "unknown"),
    [
        ("/my-case/sign-in", "email", EMAIL, "nobody@example.net"),
        ("/my-case/sign-in/text", "mobile", MOBILE, "07700 900999"),
    ],
    ids=["link", "code"],
)
def test_asking_to_sign_in_does_the_same_work_for_a_known_and_an_unknown_address(
    app, access, path, field, known, unknown
):
    """Sign-in never reveals whether an address or number is known, by its answer or by the
    time the request takes: the request runs the same statements either way, and the link or code is
    sent by a task."""
    from casework.core.tasks_outbox import PendingTask
    from casework.victims import tasks

    assert _statements_of_asking(app, path, field, unknown) == _statements_of_asking(app, path, field, known)
    db.session.expire_all()
    assert db.session.scalars(sa.select(VictimSignIn)).all() == []  # nothing sent by the requests
    asked = db.session.scalars(
        sa.select(PendingTask).where(PendingTask.task_name == "victims.send_sign_in").order_by(PendingTask.id)
    ).all()
    assert [tasks.send_sign_in.run(*row.args) for row in asked] == [0, 1]
    assert tasks.send_sign_in.run(*asked[1].args) == 0  # the message relayed twice: sent once
    assert len(db.session.scalars(sa.select(VictimSignIn)).all()) == 1


def test_a_link_works_once_and_a_scanner_opening_it_does_not_use_it(app, access):
    client = app.test_client()
    page = client.get("/my-case/sign-in")
    client.post("/my-case/sign-in", data={"email": EMAIL, "csrf_token": csrf_from(page.text)})
    path = _link_from_outbox()
    assert app.test_client().get(path).status_code == 200  # opened, not used
    victim, answer = _victim_client(app, path)
    assert answer.status_code == 302
    home = victim.get("/my-case/")
    assert home.status_code == 200
    assert "BOL-2026-0001" in home.text
    _, again = _victim_client(app, path)
    assert again.status_code == 410
    assert db.session.scalar(sa.select(VictimSignIn.used_at)) is not None
    # The digest is kept, never the token.
    token = path.rsplit("/", 1)[1]
    assert db.session.scalar(sa.select(sa.func.count(VictimSignIn.id)).where(VictimSignIn.secret_digest == token)) == 0


def test_a_link_expires(app, access):
    client = app.test_client()
    page = client.get("/my-case/sign-in")
    client.post("/my-case/sign-in", data={"email": EMAIL, "csrf_token": csrf_from(page.text)})
    path = _link_from_outbox()
    with time_machine.travel(now() + timedelta(minutes=21)):
        _, answer = _victim_client(app, path)
    assert answer.status_code == 410


@pytest.mark.parametrize(
    ("setting", "after", "status"),
    # A shorter lifetime refuses a link the default's 20 minutes would take; a longer one takes a
    # link the default would refuse.
    [(5, 4, 302), (5, 6, 410), (45, 40, 302), (45, 46, 410)],
)
def test_the_link_lifetime_is_a_setting(app, access, monkeypatch, setting, after, status):
    monkeypatch.setitem(app.config["CASEWORK"], "VICTIM_SIGN_IN_LINK_MINUTES", setting)
    client = app.test_client()
    page = client.get("/my-case/sign-in")
    sent = client.post("/my-case/sign-in", data={"email": EMAIL, "csrf_token": csrf_from(page.text)})
    assert f"It works once, for {setting} minutes." in client.get(sent.headers["Location"]).text
    [email] = [r for r in _outbox() if r.subject == "Your link to sign in"]
    assert f"The link works once, for {setting} minutes." in email.body_text
    path = _link_from_outbox()
    with time_machine.travel(now() + timedelta(minutes=after)):
        _, answer = _victim_client(app, path)
    assert answer.status_code == status
    if status == 410:
        assert f"Each link works once, for {setting} minutes." in answer.text


def _ask_for_code(app):
    client = app.test_client()
    page = client.get("/my-case/sign-in/text")
    client.post("/my-case/sign-in/text", data={"mobile": MOBILE, "csrf_token": csrf_from(page.text)})
    code = re.search(r"\b(\d{6})\b", sent_text(_outbox("text")[-1])).group(1)
    return client, code


@pytest.mark.parametrize(
    ("setting", "after", "status"),
    # As for links: shorter and longer than the default's 10 minutes.
    [(3, 2, 302), (3, 4, 422), (30, 25, 302), (30, 31, 422)],
)
def test_the_code_lifetime_is_a_setting(app, access, monkeypatch, setting, after, status):
    monkeypatch.setitem(app.config["CASEWORK"], "VICTIM_SIGN_IN_CODE_MINUTES", setting)
    client, code = _ask_for_code(app)
    assert f"It works once, for {setting} minutes. Do not share it." in _outbox("text")[-1].body_text
    page = client.get("/my-case/sign-in/code")
    assert f"It works once, for {setting} minutes." in page.text
    with time_machine.travel(now() + timedelta(minutes=after)):
        answer = client.post("/my-case/sign-in/code", data={"code": code, "csrf_token": csrf_from(page.text)})
    assert answer.status_code == status
    if status == 302:
        assert answer.headers["Location"].endswith("/my-case/")


def test_a_lifetime_of_one_minute_says_one_minute(app, access, monkeypatch):
    monkeypatch.setitem(app.config["CASEWORK"], "VICTIM_SIGN_IN_CODE_MINUTES", 1)
    _ask_for_code(app)
    assert "It works once, for 1 minute. Do not share it." in _outbox("text")[-1].body_text


def test_at_most_three_sign_in_messages_an_hour_and_the_page_says_nothing_different(app, access):
    for _ in range(5):
        client = app.test_client()
        page = client.get("/my-case/sign-in")
        answer = client.post("/my-case/sign-in", data={"email": EMAIL, "csrf_token": csrf_from(page.text)})
        assert answer.status_code == 302
    assert len([r for r in _outbox() if r.subject == "Your link to sign in"]) == 3


def test_a_texted_code_signs_in_once_and_wrong_codes_spend_it(app, access):
    client = app.test_client()
    page = client.get("/my-case/sign-in/text")
    answer = client.post(
        "/my-case/sign-in/text", data={"mobile": "+44 7700 900123", "csrf_token": csrf_from(page.text)}
    )
    assert answer.headers["Location"].endswith("/my-case/sign-in/code")
    [text] = [r for r in _outbox("text") if "Your code" in r.body_text]
    code = re.search(r"\b(\d{6})\b", sent_text(text)).group(1)
    wrong = "000000" if code != "000000" else "111111"
    page = client.get("/my-case/sign-in/code")
    answer = client.post("/my-case/sign-in/code", data={"code": wrong, "csrf_token": csrf_from(page.text)})
    assert answer.status_code == 422
    assert "not right" in answer.text
    answer = client.post("/my-case/sign-in/code", data={"code": code, "csrf_token": csrf_from(page.text)})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/my-case/")
    assert client.get("/my-case/").status_code == 200

    # A second code, guessed wrong five times, is spent: the right one no longer works.
    other = app.test_client()
    page = other.get("/my-case/sign-in/text")
    other.post("/my-case/sign-in/text", data={"mobile": MOBILE, "csrf_token": csrf_from(page.text)})
    code = re.search(r"\b(\d{6})\b", sent_text(_outbox("text")[-1])).group(1)
    wrong = "000000" if code != "000000" else "111111"
    page = other.get("/my-case/sign-in/code")
    for _ in range(5):
        other.post("/my-case/sign-in/code", data={"code": wrong, "csrf_token": csrf_from(page.text)})
    answer = other.post("/my-case/sign-in/code", data={"code": code, "csrf_token": csrf_from(page.text)})
    assert answer.status_code == 422


def _texted_code(app) -> str:
    client = app.test_client()
    page = client.get("/my-case/sign-in/text")
    client.post("/my-case/sign-in/text", data={"mobile": MOBILE, "csrf_token": csrf_from(page.text)})
    return re.search(r"\b(\d{6})\b", sent_text(_outbox("text")[-1])).group(1)


def test_guesses_at_the_same_moment_all_count_towards_spending_a_code(app, access):
    """Guesses sent together each take one of the code's five attempts. Here this guess's request read
    the code before four others were counted (as concurrent requests do); its wrong guess is the
    fifth, so the code is spent, not counted as a first attempt over the others' count."""
    from casework.victims import services

    code = _texted_code(app)
    wrong = "000000" if code != "000000" else "111111"
    reference = services.mobile_reference(MOBILE)
    [sign_in] = db.session.scalars(sa.select(VictimSignIn).where(VictimSignIn.kind == "code")).all()
    assert sign_in.failed_attempts == 0  # this request's read
    db.session.execute(  # meanwhile four other wrong guesses were counted
        sa.update(VictimSignIn)
        .where(VictimSignIn.id == sign_in.id)
        .values(failed_attempts=4)
        .execution_options(synchronize_session=False)
    )
    assert services.use_code(reference, wrong) is None
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(VictimSignIn, sign_in.id).used_at is not None
    assert services.use_code(reference, code) is None


def test_the_victims_pages_need_a_victim_session(app, page_client, world):
    for path in ("/my-case/", f"/my-case/cases/{world.case.id}/diary", "/my-case/stop"):
        answer = app.test_client().get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].endswith("/my-case/sign-in")
        # A member of staff is not a victim either.
        answer = page_client(world.officer).get(path)
        assert answer.status_code == 302


# --- what the victim sees ----------------------------------------------------------------------------


def test_the_victim_sees_their_officer_and_next_step_and_never_the_perpetrator_notes_or_summary(app, world, access):
    db.session.add(
        CaseNote(case_id=world.case.id, text="INTERNAL: planning a closure order", created_by_id=world.officer.id)
    )
    db.session.commit()
    page = _sign_in(app).get("/my-case/")
    assert page.status_code == 200
    text = page.text
    assert "Olive Officer" in text
    assert "officer@example.org" in text
    assert "We will visit you" in text
    for hidden in ("Adam Adult", "Noise and threats", "INTERNAL", "closure order", "Vera Victim"):
        assert hidden not in text


def test_another_victims_data_never_appears(app, page_client, world, access):
    other_case = world.new_case(reference="BOL-2026-0002")
    other = Person(name="Otto Other", normalised_name="otto other")
    db.session.add(other)
    db.session.flush()
    db.session.add(CaseParty(case_id=other_case.id, person_id=other.id, role=PartyRole.victim))
    # Otto is also a witness on Vera's case: that does not make her case his.
    db.session.add(CaseParty(case_id=world.case.id, person_id=other.id, role=PartyRole.witness))
    db.session.commit()
    officer = page_client(world.officer)
    data = {"email": "otto@example.net", "mobile": "07700 900999", "contact_checked": "y", "next_step": "OTTO-NEXT"}
    assert officer.post(f"/cases/{other_case.id}/victim-page/{other.id}", data=data).status_code == 302
    otto = _sign_in(app, "otto@example.net")
    page = otto.get(f"/my-case/cases/{other_case.id}/diary")
    otto.post(
        f"/my-case/cases/{other_case.id}/diary",
        data={
            "happened_on-day": "1",
            "happened_on-month": "3",
            "happened_on-year": "2026",
            "what_happened": "OTTO-DIARY",
            "csrf_token": csrf_from(page.text),
        },
    )
    vera = _sign_in(app)
    text = vera.get("/my-case/").text
    for marker in ("Otto Other", "OTTO-NEXT", "OTTO-DIARY", "BOL-2026-0002", "otto@example.net"):
        assert marker not in text
    # Nor can she write to his case or see its diary page.
    assert vera.get(f"/my-case/cases/{other_case.id}/diary").status_code == 404
    assert otto.get(f"/my-case/cases/{world.case.id}/diary").status_code == 404
    assert "BOL-2026-0001" not in otto.get("/my-case/").text


def test_every_view_of_the_victim_page_is_in_the_audit_log(app, world, access):
    victim = _sign_in(app)
    assert victim.get("/my-case/").status_code == 200
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == AuditAction.view, AuditEntry.object_type == "cases")
    ).all()
    assert [(e.object_id, e.actor_id) for e in entries] == [(str(world.case.id), None)]
    assert f"victim page (access {access.id})" in entries[0].summary


# --- the diary ------------------------------------------------------------------------------------


def _add_entry(victim, case_id, content=None, filename="IMG_1.JPG", **fields):
    page = victim.get(f"/my-case/cases/{case_id}/diary")
    data = {
        "happened_on-day": "2",
        "happened_on-month": "3",
        "happened_on-year": "2026",
        "happened_at_time": "11pm",
        "location": "By the front door",
        "what_happened": "Banging on the door",
        "who_was_involved": "The lads",
        "how_it_affected": "Could not sleep",
        "csrf_token": csrf_from(page.text),
        **fields,
    }
    if content is not None:
        data["file"] = (io.BytesIO(content), filename)
    return victim.post(f"/my-case/cases/{case_id}/diary", data=data, content_type="multipart/form-data")


def test_a_diary_entry_with_a_video_is_kept_without_where_it_was_recorded(app, page_client, world, access):
    # A victim in a refuge films the lads outside: the video must not tell a partner where she lives.
    victim = _sign_in(app)
    answer = _add_entry(victim, world.case.id, video(b"qt  "), filename="IMG_2.MOV")
    assert answer.status_code == 302, answer.text
    [entry] = db.session.scalars(sa.select(DiaryEntry)).all()
    document = db.session.get(Document, entry.document_id)
    assert document.location_removed
    assert ISO6709 not in storage.read(document.stored_file)


def test_a_diary_entry_with_a_photo_is_kept_unverified_without_the_photos_location(app, page_client, world, access):
    victim = _sign_in(app)
    original = photo(gps=True)
    assert uploads.has_location(original)
    answer = _add_entry(victim, world.case.id, original)
    assert answer.status_code == 302, answer.text
    [entry] = db.session.scalars(sa.select(DiaryEntry)).all()
    assert entry.status is DiaryStatus.unverified
    assert entry.person_id == world.victim.id
    document = db.session.get(Document, entry.document_id)
    assert document.location_removed
    assert not uploads.has_location(storage.read(document.stored_file))
    assert "Sent to your officer" in victim.get("/my-case/").text
    # Not on the ledger until the officer accepts it.
    assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 0
    case_page = page_client(world.officer).get(f"/cases/{world.case.id}").text
    assert "Unverified: self-reported" in case_page
    assert "Banging on the door" in case_page


def test_a_diary_entry_with_bad_input_writes_nothing(app, world, access):
    victim = _sign_in(app)
    future = today() + timedelta(days=2)
    answer = _add_entry(
        victim,
        world.case.id,
        **{
            "happened_on-day": str(future.day),
            "happened_on-month": str(future.month),
            "happened_on-year": str(future.year),
        },
    )
    assert answer.status_code == 422
    answer = _add_entry(victim, world.case.id, content=b"MZ\x90\x00 not a photo", what_happened="x")
    assert answer.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(DiaryEntry.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0


def test_the_officer_accepts_a_diary_entry_into_the_ledger_through_the_complaint_service(
    app, page_client, world, access
):
    victim = _sign_in(app)
    assert _add_entry(victim, world.case.id).status_code == 302
    entry = db.session.scalar(sa.select(DiaryEntry))
    # An officer of an agency the case is not shared with gets 404.
    assert page_client(world.stranger).post(f"/cases/{world.case.id}/diary/{entry.id}/accept").status_code == 404
    officer = page_client(world.officer)
    assert officer.post(f"/cases/{world.case.id}/diary/{entry.id}/accept").status_code == 302
    db.session.expire_all()
    entry = db.session.get(DiaryEntry, entry.id)
    assert entry.status is DiaryStatus.accepted
    assert entry.accepted_by_id == world.officer.id
    incident = db.session.get(Incident, entry.incident_id)
    assert incident.occurred_on == date(2026, 3, 2)
    assert incident.case_id == world.case.id
    [complaint] = incident.complaints
    assert complaint.complainant_person_id == world.victim.id
    assert complaint.agency_id == world.council.id
    assert complaint.created_by_id == world.officer.id
    # Accepting twice adds nothing.
    officer.post(f"/cases/{world.case.id}/diary/{entry.id}/accept")
    assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 1
    assert "Recorded by your officer" in victim.get("/my-case/").text


# --- stopping ------------------------------------------------------------------------------------


def test_the_victim_stops_using_it_and_access_ends_at_once(app, world, access):
    victim = _sign_in(app)
    # A link asked for before stopping must not work after it.
    client = app.test_client()
    page = client.get("/my-case/sign-in")
    client.post("/my-case/sign-in", data={"email": EMAIL, "csrf_token": csrf_from(page.text)})
    spare = _link_from_outbox()
    page = victim.get("/my-case/stop")
    answer = victim.post("/my-case/stop", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/my-case/stopped")
    db.session.expire_all()
    assert db.session.get(VictimAccess, access.id).ended_at is not None
    assert victim.get("/my-case/").status_code == 302
    _, again = _victim_client(app, spare)
    assert again.status_code == 410


def test_an_idle_victim_session_ends(app, world, access):
    victim = _sign_in(app)
    assert victim.get("/my-case/").status_code == 200
    minutes = app.config["CASEWORK"]["SESSION_IDLE_MINUTES"]
    with time_machine.travel(now() + timedelta(minutes=minutes + 1)):
        answer = victim.get("/my-case/")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/my-case/sign-in")


# --- signing out ends the session on the server -------------------------------------------------


def _cookie(client) -> str:
    return client.get_cookie("casework_session").value


def _with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie("casework_session", value)
    return client


def _sign_out(victim):
    page = victim.get("/my-case/")
    return victim.post("/my-case/sign-out", data={"csrf_token": csrf_from(page.text)})


def test_a_cookie_copied_before_signing_out_opens_nothing_after_it(app, world, access):
    victim = _sign_in(app)
    assert victim.get("/my-case/").status_code == 200
    copy = _cookie(victim)
    # The copy works while the victim is signed in, and each answer renews it.
    assert _with_cookie(app, copy).get("/my-case/").status_code == 200

    answer = _sign_out(victim)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/my-case/sign-in")

    for path in ("/my-case/", f"/my-case/cases/{world.case.id}/diary", "/my-case/stop"):
        replayed = _with_cookie(app, copy).get(path)
        assert replayed.status_code == 302, path
        assert replayed.headers["Location"].endswith("/my-case/sign-in"), path
        assert world.case.reference not in replayed.text
    # Nor does a diary entry posted with it, nor a copy renewed by an answer before the sign-out.
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(DiaryEntry))
    form = _with_cookie(app, copy)
    posted = form.post(f"/my-case/cases/{world.case.id}/diary", data={"what_happened": "x"})
    assert posted.status_code in (302, 400)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DiaryEntry)) == entries
    audit = db.session.scalars(sa.select(AuditEntry.summary).where(AuditEntry.object_type == "victim_accesses"))
    assert "Victim signed out of the victim page" in list(audit)


def test_signing_out_ends_the_victims_other_sessions_and_signing_in_again_works(app, world, access):
    phone = _sign_in(app)
    laptop = _sign_in(app)
    assert _sign_out(phone).status_code == 302
    assert laptop.get("/my-case/").status_code == 302
    again = _sign_in(app)
    assert again.get("/my-case/").status_code == 200


def test_a_forged_sign_out_without_the_csrf_token_ends_nothing(app, world, access):
    victim = _sign_in(app)
    copy = _cookie(victim)
    victim.post("/my-case/sign-out", data={})
    assert _with_cookie(app, copy).get("/my-case/").status_code == 200


def _lasts_while_active(app, victim, minutes, start):
    """Whether the session, used every ten minutes, is still open ``minutes`` after ``start`` (taken
    just before signing in) and ends the minute after.

    ``start`` comes from before the sign-in because the session counts whole seconds from it: a start
    taken after could fall in the next second under load, and the last visit land a second late."""
    # Active every ten minutes: the idle timeout never comes, the lifetime does.
    for moment in range(10, minutes + 1, 10):
        with time_machine.travel(start + timedelta(minutes=moment)):
            assert victim.get("/my-case/").status_code == 200, moment
    with time_machine.travel(start + timedelta(minutes=minutes + 1)):
        answer = victim.get("/my-case/")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/my-case/sign-in")


def test_a_victim_session_ends_two_hours_after_signing_in_however_active(app, world, access):
    assert app.config["CASEWORK"]["VICTIM_SESSION_MAX_HOURS"] == 2  # the default
    start = now()
    victim = _sign_in(app)
    assert "and 2 hours after you signed in" in victim.get("/my-case/").text
    _lasts_while_active(app, victim, 2 * 60, start)


def test_the_victim_session_lifetime_is_a_setting(app, world, access, monkeypatch):
    monkeypatch.setitem(app.config["CASEWORK"], "VICTIM_SESSION_MAX_HOURS", 1)
    start = now()
    victim = _sign_in(app)
    assert "and 1 hour after you signed in" in victim.get("/my-case/").text
    _lasts_while_active(app, victim, 60, start)


def test_a_victim_session_idle_for_twenty_minutes_ends(app, world, access):
    assert app.config["CASEWORK"]["VICTIM_SESSION_IDLE_MINUTES"] == 20  # the default
    assert app.config["CASEWORK"]["SESSION_IDLE_MINUTES"] > 20  # shorter than staff's
    victim = _sign_in(app)
    assert "We sign you out after 20 minutes without use" in victim.get("/my-case/").text
    start = now()
    with time_machine.travel(start + timedelta(minutes=19)):
        assert victim.get("/my-case/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=40)):
        assert victim.get("/my-case/").status_code == 302


@pytest.mark.parametrize(("victim_idle", "staff_idle", "ends_after"), [(5, 30, 5), (25, 30, 25), (20, 10, 10)])
def test_the_victim_idle_time_is_a_setting_never_longer_than_staffs(
    app, world, access, monkeypatch, victim_idle, staff_idle, ends_after
):
    monkeypatch.setitem(app.config["CASEWORK"], "VICTIM_SESSION_IDLE_MINUTES", victim_idle)
    monkeypatch.setitem(app.config["CASEWORK"], "SESSION_IDLE_MINUTES", staff_idle)
    victim = _sign_in(app)
    assert f"We sign you out after {ends_after} minutes without use" in victim.get("/my-case/").text
    start = now()
    with time_machine.travel(start + timedelta(minutes=ends_after - 1)):
        assert victim.get("/my-case/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=2 * ends_after)):
        assert victim.get("/my-case/").status_code == 302


def test_the_session_cookie_never_holds_the_victims_mobile_number(app, access):
    from flask.sessions import SecureCookieSessionInterface

    client = app.test_client()
    page = client.get("/my-case/sign-in/text")
    client.post("/my-case/sign-in/text", data={"mobile": MOBILE, "csrf_token": csrf_from(page.text)})
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    contents = serializer.loads(_cookie(client))
    text = repr(contents)
    for form in (MOBILE, MOBILE.replace(" ", ""), "7700900123"):
        assert form not in text
    # The code still signs in from what the session holds.
    code = re.search(r"\b(\d{6})\b", sent_text(_outbox("text")[-1])).group(1)
    page = client.get("/my-case/sign-in/code")
    answer = client.post("/my-case/sign-in/code", data={"code": code, "csrf_token": csrf_from(page.text)})
    assert answer.status_code == 302
    assert client.get("/my-case/").status_code == 200
