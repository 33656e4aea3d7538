"""A victim's sign-in secrets: a sign-in with one link or code spends every other link and code of the
page (a link left in a shared inbox signs nobody in afterwards), a newer link ends no older one, and a
texted code is kept keyed, never as a plain hash of its six digits."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.extensions import db
from casework.victims import services
from casework.victims.models import SignInKind, VictimAccess, VictimSignIn
from tests.conftest import csrf_from
from tests.support.concurrency import at_once
from tests.support.data_keys import OLD_KEY
from tests.support.mail import sent_text
from tests.victims.test_victim_page import EMAIL, MOBILE, _outbox, _switch_on, _victim_client


@pytest.fixture
def access(page_client, world):
    assert _switch_on(page_client(world.officer), world).status_code == 302
    db.session.expire_all()
    return db.session.scalar(sa.select(VictimAccess))


def _ask_for_link(app) -> str:
    client = app.test_client()
    page = client.get("/my-case/sign-in")
    client.post("/my-case/sign-in", data={"email": EMAIL, "csrf_token": csrf_from(page.text)})
    [row] = [r for r in _outbox() if r.subject == "Your link to sign in"][-1:]
    return re.search(r"(/my-case/sign-in/link/\S+)", sent_text(row)).group(1)


def _ask_for_code(app):
    client = app.test_client()
    page = client.get("/my-case/sign-in/text")
    client.post("/my-case/sign-in/text", data={"mobile": MOBILE, "csrf_token": csrf_from(page.text)})
    code = re.search(r"\b(\d{6})\b", sent_text(_outbox("text")[-1])).group(1)
    return client, code


def _enter_code(client, code: str):
    page = client.get("/my-case/sign-in/code")
    return client.post("/my-case/sign-in/code", data={"code": code, "csrf_token": csrf_from(page.text)})


def _audit_entries() -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) or 0


def test_a_sign_in_with_the_newer_link_spends_the_older_and_audits_only_the_sign_in(app, access):
    first = _ask_for_link(app)
    second = _ask_for_link(app)
    assert first != second
    before = _audit_entries()
    _victim, answer = _victim_client(app, second)
    assert answer.status_code == 302
    assert _audit_entries() == before + 1  # "Victim signed in", nothing for the links it spent
    _, again = _victim_client(app, first)
    assert again.status_code == 410  # left in a shared inbox: it signs nobody in
    assert "Once you have signed in, the other links and codes we sent you stop working." in again.text
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(VictimSignIn.id)).where(VictimSignIn.used_at.is_(None))) == 0


def test_a_newer_link_ends_no_older_one_until_a_sign_in(app, access):
    """Emails arrive late: the first link is the one people click, and it still works."""
    first = _ask_for_link(app)
    _ask_for_link(app)
    _victim, answer = _victim_client(app, first)
    assert answer.status_code == 302


def test_a_sign_in_with_a_link_spends_the_code_waiting(app, access):
    client, code = _ask_for_code(app)
    _victim, answer = _victim_client(app, _ask_for_link(app))
    assert answer.status_code == 302
    refused = _enter_code(client, code)
    assert refused.status_code == 422


def test_a_sign_in_with_a_code_spends_the_link_waiting(app, access):
    link = _ask_for_link(app)
    client, code = _ask_for_code(app)
    assert _enter_code(client, code).status_code == 302
    _, again = _victim_client(app, link)
    assert again.status_code == 410


def test_a_texted_code_is_kept_keyed_not_as_a_plain_hash(app, access):
    """Six digits are a million values: a plain SHA-256 of them, read from the table, gives the code
    away at once. Only the HMAC keyed with the secret key (not in the database) is kept."""
    _client, code = _ask_for_code(app)
    [sign_in] = db.session.scalars(sa.select(VictimSignIn).where(VictimSignIn.kind == SignInKind.code)).all()
    plain = {hashlib.sha256(text.encode()).hexdigest() for text in (code, f"{access.id}:{code}")}
    assert sign_in.secret_digest not in plain
    assert sign_in.secret_digest == services.code_digest(access.id, code)
    app.secret_key = "another secret key"
    try:
        assert services.code_digest(access.id, code) != sign_in.secret_digest
    finally:
        app.secret_key = app.config["SECRET_KEY"]


@pytest.mark.postgresql_only  # SQLite runs one writer at a time already
def test_two_links_used_at_the_same_moment_sign_in_once_without_a_deadlock(app, monkeypatch):
    """Two links of one page, used at once: A has spent its own link and not yet the others when B
    starts with the second. B waits for A, then finds its link spent. Without the page locked first,
    each would hold its own link and wait for the other's (a deadlock, one of them a 500), or, without
    the others spent, both would sign in."""
    from datetime import date

    from casework.cases.models import Person

    # Committed for real, so nothing is written to the audit log, which the test's cleaning cannot alter.
    monkeypatch.setattr(services, "record", lambda *_args, **_kwargs: None)
    with app.app_context():
        engine = db.engine
        with Session(engine) as setup:
            person = Person(name="Vic Twolinks", normalised_name="vic twolinks")
            setup.add(person)
            setup.flush()
            page = VictimAccess(person_id=person.id, email="twolinks@example.net", contact_checked_on=date.today())
            setup.add(page)
            setup.flush()
            access_id, person_id = page.id, person.id
            setup.commit()
        tokens = ["first-" + "a" * 40, "second-" + "b" * 40]
        with app.app_context():
            for token in tokens:
                services._issue(
                    db.session.get_one(VictimAccess, access_id),
                    SignInKind.link,
                    services.digest(token),
                    services.timedelta(minutes=20),
                )
            db.session.commit()

    def use(token: str):
        with app.app_context():
            access = services.use_link(token)
            db.session.commit()
            return None if access is None else access.id

    try:
        answers = at_once(
            app,
            lambda: use(tokens[0]),
            lambda: use(tokens[1]),
            lambda statement: statement.lstrip().upper().startswith("UPDATE VICTIM_SIGN_INS"),
        )
        assert not [answer for answer in answers if isinstance(answer, BaseException)], answers
        assert answers == [access_id, None]
        with Session(engine) as check:
            unused = check.scalar(
                sa.select(sa.func.count(VictimSignIn.id)).where(
                    VictimSignIn.access_id == access_id, VictimSignIn.used_at.is_(None)
                )
            )
        assert unused == 0
    finally:
        with engine.begin() as connection:
            connection.execute(sa.delete(VictimSignIn.__table__).where(VictimSignIn.access_id == access_id))
            connection.execute(sa.delete(VictimAccess.__table__).where(VictimAccess.id == access_id))
            connection.execute(sa.delete(Person.__table__).where(Person.id == person_id))


def test_the_outbox_keeps_no_sign_in_link_or_code_the_victim_was_sent(app, access, monkeypatch):
    """Whoever reads the outbox (a replica, a dump, a subject access export) cannot sign in as the victim:
    the link and code are in what was sent, and in no column of the outbox."""
    monkeypatch.setitem(app.config["CASEWORK"], "DATA_KEY", (OLD_KEY,))
    monkeypatch.setitem(app.config["CASEWORK"], "DATA_KEY_IS_TEMPORARY", False)
    path = _ask_for_link(app)
    client, code = _ask_for_code(app)
    token = path.rsplit("/", 1)[1]
    stored = db.session.execute(
        sa.text("SELECT subject, body_text, body_html, sealed_secret, last_error, idempotency_key FROM outbox_emails")
    ).all()
    assert [value for row in stored for value in row if value and (token in value or code in value)] == []
    assert _enter_code(client, code).status_code == 302  # what was sent works
