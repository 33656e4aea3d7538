"""The second factor: setting it up (QR code or key as text), signing in with a code or a recovery code on
the pages and the API, areas that require it, and an administrator removing it."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa

from casework.accounts import second_factor, services
from casework.accounts.models import RecoveryCode
from casework.accounts.settings import SECOND_FACTOR_REQUIRED
from casework.audit.models import AuditAction, AuditEntry
from casework.core.db import dispose_engines
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from tests.conftest import TEST_PASSWORD, csrf_from


def page_sign_in(client: Any, email: str, password: str = TEST_PASSWORD) -> Any:
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def enter_code(client: Any, code: str) -> Any:
    token = csrf_from(client.get("/sign-in/code").get_data(as_text=True))
    return client.post("/sign-in/code", data={"code": code, "csrf_token": token})


def token_for(client: Any, email: str, code: str | None = None) -> Any:
    body = {"email": email, "password": TEST_PASSWORD}
    if code is not None:
        body["code"] = code
    return client.post("/api/v1/auth/tokens", json=body)


def code_at(secret: str, seconds_from_now: int = 0) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=seconds_from_now))


def set_up(client: Any) -> tuple[str, list[str]]:
    """Set up the second factor through the pages as the signed-in user: (secret, recovery codes)."""
    page = client.get("/account/second-factor")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html  # the QR code, drawn here
    secret = re.search(r'class="[^"]*app-secret-key[^"]*">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    response = client.post("/account/second-factor", data={"code": code_at(secret), "csrf_token": csrf_from(html)})
    assert response.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


@pytest.fixture
def enrolled(app, make, page_client) -> Any:
    """An officer who has set up a second factor through the pages."""
    user = make.user("officer", email="olive@example.org")
    secret, codes = set_up(page_client(user))
    db.session.expire_all()
    return user, secret, codes


def test_setting_up_shows_a_qr_code_and_the_key_and_needs_a_working_code(make, page_client) -> None:
    user = make.user("officer")
    client = page_client(user)
    html = client.get("/account/second-factor").get_data(as_text=True)
    wrong = client.post("/account/second-factor", data={"code": "000000", "csrf_token": csrf_from(html)})
    assert wrong.status_code == 422
    assert "The code is not right" in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert second_factor.secret_of(db.session.get(type(user), user.id)) is None

    secret, codes = set_up(client)
    db.session.expire_all()
    stored = db.session.get(type(user), user.id)
    assert second_factor.secret_of(stored) == secret
    # Only salted argon2id hashes of the recovery codes are kept: nothing a fast hash of a code, or of any
    # part of it, would match, so reading the table gives no code away.
    hashes = list(db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(hashes) == 10
    assert all(stored.startswith("$argon2id$") for stored in hashes)
    assert len(set(hashes)) == 10
    fast = {
        hashlib.sha256(text.encode()).hexdigest()
        for code in codes
        for text in (code, code.replace("-", ""), code.replace("-", "")[1:])
    }
    assert not (set(codes) | fast) & set(hashes)
    assert not any(code.replace("-", "")[1:] in stored for code in codes for stored in hashes)
    account = client.get("/account").get_data(as_text=True)
    assert "10 unused recovery codes" in account


def test_the_qr_code_never_goes_to_another_site(make, page_client) -> None:
    html = page_client(make.user("officer")).get("/account/second-factor").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(source.startswith(("/", "data:", "#")) for source in sources), sources


def test_signing_in_asks_for_the_code_after_the_password(app, enrolled) -> None:
    user, secret, _codes = enrolled
    client = app.test_client()
    response = page_sign_in(client, user.email)
    assert response.headers["Location"] == "/sign-in/code"
    assert client.get("/").status_code == 302  # not signed in yet

    wrong = enter_code(client, "123456" if code_at(secret) != "123456" else "654321")
    assert wrong.status_code == 422
    assert "The code is not right" in wrong.get_data(as_text=True)
    assert enter_code(client, code_at(secret, 30)).headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_code_works_once(app, enrolled) -> None:
    user, secret, _codes = enrolled
    code = code_at(secret, 30)
    first = app.test_client()
    page_sign_in(first, user.email)
    assert enter_code(first, code).status_code == 302
    second = app.test_client()
    page_sign_in(second, user.email)
    assert enter_code(second, code).status_code == 422  # seen over a shoulder: refused


def test_a_recovery_code_signs_in_once(app, enrolled) -> None:
    user, _secret, codes = enrolled
    client = app.test_client()
    page_sign_in(client, user.email)
    assert enter_code(client, codes[0].upper()).status_code == 302
    again = app.test_client()
    page_sign_in(again, user.email)
    assert enter_code(again, codes[0]).status_code == 422


def test_a_code_typed_twice_at_the_same_moment_signs_in_once(app, enrolled) -> None:
    """Two requests with the same current code: this one loaded the user before the other recorded the
    code's time step as used (as concurrent requests do). Only one of them signs in."""
    user, secret, _codes = enrolled
    code = code_at(secret, 30)
    step = pyotp.TOTP(secret).timecode(datetime.now(UTC) + timedelta(seconds=30))
    staff = db.session.get(type(user), user.id)
    assert staff.totp_last_step is None or staff.totp_last_step < step  # this request's read
    db.session.execute(  # meanwhile the other request signed in with the code
        sa.update(type(user))
        .where(type(user).id == user.id)
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    assert second_factor.verify(staff, code) is False


def test_a_recovery_code_typed_twice_at_the_same_moment_signs_in_once(app, enrolled) -> None:
    """Two requests with the same recovery code: the other spends it just after this one first looked
    at it in the database (as concurrent requests do), while this one checks its hash. Only one of them
    signs in."""
    user, _secret, codes = enrolled
    staff = db.session.get(type(user), user.id)
    table = RecoveryCode.__table__.name
    others: list[bool] = []

    def other_request(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if others or table not in statement:
            return
        others.append(False)  # once: the other request's own statement passes here too
        spent = conn.execute(
            sa.update(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
            .where(RecoveryCode.selector == int(codes[2][0]))
            .values(used_at=datetime.now(UTC))
        )
        others[0] = spent.rowcount == 1

    engine = db.session.connection().engine
    sa.event.listen(engine, "after_cursor_execute", other_request)
    try:
        this_one = second_factor.verify(staff, codes[2])
    finally:
        sa.event.remove(engine, "after_cursor_execute", other_request)
    assert others, "the other request did not run"
    assert others[0], "the other request did not sign in"
    assert this_one is False


def test_a_wrong_recovery_code_is_refused_and_costs_one_hash_check(app, enrolled, make, monkeypatch) -> None:
    """A code of the right shape but not the user's: refused, every code still unused. Its selector
    names one row, so only that row's hash is checked, not all ten."""
    user, _secret, codes = enrolled
    someone_else = make.user("officer")
    others_codes = second_factor.replace_recovery_codes(someone_else)
    checked: list[str] = []
    real = second_factor._recovery_matches
    monkeypatch.setattr(
        second_factor, "_recovery_matches", lambda stored, secret: checked.append(stored) or real(stored, secret)
    )
    staff = db.session.get(type(user), user.id)
    wrong = codes[3][:6] + ("0" if codes[3][6] != "0" else "1") + codes[3][7:]
    for code in (wrong, others_codes[3], "zzzzz-zzzzz", codes[3] + "0", ""):
        assert second_factor.verify(staff, code) is False, code
    assert len(checked) == 2  # the wrong one's and the other user's: row 3 once each
    assert second_factor.unused_recovery_codes(staff) == 10
    assert second_factor.verify(staff, codes[3]) is True


def test_the_code_page_without_a_password_goes_back_to_sign_in(client) -> None:
    response = client.get("/sign-in/code")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"


def test_the_api_needs_the_code_for_a_user_with_a_second_factor(app, enrolled) -> None:
    user, secret, codes = enrolled
    client = app.test_client()
    missing = token_for(client, user.email)
    assert missing.status_code == 401
    assert "code" in missing.get_json()["errors"]
    assert "token" not in missing.get_json()
    assert token_for(client, user.email, "000000" if code_at(secret) != "000000" else "111111").status_code == 401
    assert token_for(client, user.email, code_at(secret, 30)).status_code == 201
    assert token_for(client, user.email, codes[1]).status_code == 201
    assert token_for(client, user.email, codes[1]).status_code == 401  # used


def test_a_user_without_a_second_factor_needs_no_code(app, make) -> None:
    user = make.user("officer")
    assert token_for(app.test_client(), user.email).status_code == 201
    assert token_for(app.test_client(), user.email, "ignored").status_code == 201


# --- areas that require it ---------------------------------------------------------------------------------


@pytest.fixture
def strict_area(make) -> Any:
    area = make.area("STR", "Strict")
    services.update_area_settings(None, area, {SECOND_FACTOR_REQUIRED: True})
    db.session.commit()
    return area


def test_an_area_can_require_it_for_managers_admins_and_coordinators(make, strict_area) -> None:
    agency = make.agency(areas=[strict_area])
    for role in ("manager", "admin", "coordinator"):
        assert second_factor.is_required(make.user(role, agency=agency))
    for role in ("officer", "chair", "partner"):
        assert not second_factor.is_required(make.user(role, agency=agency))
    elsewhere = make.agency(areas=[make.area()])
    assert not second_factor.is_required(make.user("manager", agency=elsewhere))


def test_a_required_user_sets_it_up_at_the_next_sign_in(app, make, strict_area) -> None:
    manager = make.user("manager", agency=make.agency(areas=[strict_area]))
    client = app.test_client()
    response = page_sign_in(client, manager.email)
    assert response.headers["Location"] == "/account/second-factor"
    # Every other page waits until it is done.
    for path in ("/", "/cases/", "/account", "/admin/users"):
        blocked = client.get(path)
        assert blocked.status_code == 302, path
        assert blocked.headers["Location"] == "/account/second-factor", path
    # The API is no way round it.
    refused = token_for(app.test_client(), manager.email)
    assert refused.status_code == 403
    set_up(client)
    assert client.get("/").status_code == 200
    # They cannot turn it off while their area requires it.
    page = client.get("/account").get_data(as_text=True)
    assert "cannot turn it off" in page
    assert client.get("/account/second-factor/turn-off").headers["Location"] == "/account"
    client.post("/account/second-factor/turn-off", data={"csrf_token": csrf_from(page), "password": TEST_PASSWORD})
    db.session.expire_all()
    assert db.session.get(type(manager), manager.id).has_second_factor


def test_an_admin_removes_a_lost_second_factor(app, enrolled, make, page_client) -> None:
    user, _secret, _codes = enrolled
    admin = page_client(make.user("admin"))
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Authenticator app, set up on" in page
    token = re.search(r'name="remove-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = admin.post(f"/admin/users/{user.id}/second-factor/remove", data={"remove-csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(type(user), user.id).has_second_factor
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert page_sign_in(app.test_client(), user.email).headers["Location"] == "/"
    # The user is told, and what to do if they did not ask for it.
    [email] = [e for e in _emails_to(user.email) if e.idempotency_key.startswith("second-factor-off:")]
    assert "your Casework administrator removed the second factor" in email.body_text
    assert "If you did not ask for it" in email.body_text


def _emails_to(address: str) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == address)))


def _confirm(client: Any, path: str, password: str | None) -> Any:
    page = client.get(path)
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.get_data(as_text=True))}
    if password is not None:
        data["password"] = password
    return client.post(path, data=data)


def test_a_user_turns_it_off_where_it_is_not_required_with_their_password(app, enrolled, page_client) -> None:
    user, _secret, _codes = enrolled
    client = page_client(user)
    assert 'href="/account/second-factor/turn-off"' in client.get("/account").get_data(as_text=True)
    before = len(_emails_to(user.email))
    response = _confirm(client, "/account/second-factor/turn-off", TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    db.session.expire_all()
    assert not db.session.get(type(user), user.id).has_second_factor
    [email] = _emails_to(user.email)[before:]
    assert email.subject == "The second factor of your Casework account was turned off"
    assert "password only" in email.body_text
    assert "If it was not you, tell your Casework administrator at once" in email.body_text


@pytest.mark.parametrize("password", [None, "", "not-the-password"])
def test_turning_it_off_without_the_password_changes_nothing_and_says_so_on_the_field(
    app, enrolled, page_client, password
) -> None:
    user, _secret, _codes = enrolled
    client = page_client(user)
    before = len(_emails_to(user.email))
    response = _confirm(client, "/account/second-factor/turn-off", password)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="password-error"' in html
    assert "Enter your password" in html if not password else "The password is not right" in html
    assert 'href="#password"' in html  # the error summary links to the field
    db.session.expire_all()
    assert db.session.get(type(user), user.id).has_second_factor
    assert len(_emails_to(user.email)) == before
    # Signing in still asks for the code.
    assert page_sign_in(app.test_client(), user.email).headers["Location"] == "/sign-in/code"
    if password:
        failures = db.session.scalars(
            sa.select(AuditEntry.summary).where(
                AuditEntry.action == AuditAction.sign_in_failed, AuditEntry.object_id == str(user.id)
            )
        )
        assert "Wrong password given to change the second factor" in list(failures)


def test_new_recovery_codes_need_the_password_and_replace_the_old(app, enrolled, page_client) -> None:
    user, _secret, old_codes = enrolled
    client = page_client(user)
    assert 'href="/account/second-factor/recovery-codes"' in client.get("/account").get_data(as_text=True)
    before = len(_emails_to(user.email))

    # Only the CSRF token, or a wrong password: no codes, the old ones still work, no email.
    for password in (None, "not-the-password"):
        refused = _confirm(client, "/account/second-factor/recovery-codes", password)
        assert refused.status_code == 422
        assert re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", refused.get_data(as_text=True)) == []
        assert 'id="password-error"' in refused.get_data(as_text=True)
    assert len(_emails_to(user.email)) == before
    assert token_for(app.test_client(), user.email, old_codes[0]).status_code == 201

    response = _confirm(client, "/account/second-factor/recovery-codes", TEST_PASSWORD)
    new_codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", response.get_data(as_text=True))
    assert len(new_codes) == 10
    assert token_for(app.test_client(), user.email, old_codes[1]).status_code == 401
    assert token_for(app.test_client(), user.email, new_codes[0]).status_code == 201
    [email] = _emails_to(user.email)[before:]
    assert email.subject == "New recovery codes were made for your Casework account"
    assert "no longer work" in email.body_text
    assert "If it was not you, tell your Casework administrator at once" in email.body_text
    assert not any(code in email.body_text for code in new_codes)


def test_the_pages_that_ask_for_the_password_send_a_user_without_a_second_factor_back(make, page_client) -> None:
    client = page_client(make.user("officer"))
    for path in ("/account/second-factor/turn-off", "/account/second-factor/recovery-codes"):
        assert client.get(path).headers["Location"] == "/account", path
        assert client.post(path, data={"password": TEST_PASSWORD}).headers["Location"] == "/account", path


# --- accessibility in a real browser ------------------------------------------------------------------


@pytest.mark.browser
def test_second_factor_pages_pass_axe(browser, tmp_path):
    """Setting up (with and without an error), the recovery codes, the pages asking for the password
    again (with and without an error), the code page (with and without an error) and the account page,
    in Chromium with axe-core. A separate app on its own SQLite file: the live server runs in another
    thread, which cannot share the other tests' transaction."""
    from flask_migrate import upgrade

    from casework import create_app
    from tests.conftest import test_settings
    from tests.support.browser import assert_accessible, run_live_server

    app = create_app(
        {**test_settings(f"sqlite:///{tmp_path / 'axe.sqlite'}", tmp_path), "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        services.create_area(None, "BOL", "Bolsover")
        agency = services.create_agency(None, "BDC", "Bolsover District Council", "council", ["BOL"])
        services.create_user(
            None,
            email="olive@example.org",
            name="Olive Officer",
            password=TEST_PASSWORD,
            agency=agency,
            roles=["officer"],
        )
        db.session.commit()
        dispose_engines()

    base_url, stop = run_live_server(app)
    try:
        context = browser.new_context(base_url=base_url)
        page = context.new_page()

        def sign_in() -> None:
            page.goto("/sign-in")
            page.fill("#email", "olive@example.org")
            page.fill("#password", TEST_PASSWORD)
            with page.expect_navigation():
                page.click("main button[type=submit]")

        sign_in()
        page.goto("/account")
        assert_accessible(page)
        page.click("text=Set up a second factor")
        assert_accessible(page)
        secret = page.locator(".app-secret-key").text_content().replace(" ", "").strip()
        page.fill("#code", "12345")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.locator(".govuk-error-summary").count() == 1
        assert_accessible(page)
        page.fill("#code", code_at(secret))
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.locator(".app-recovery-codes code").count() == 10
        assert_accessible(page)
        page.goto("/account")
        assert_accessible(page)

        # The pages asking for the password again, without it, with a wrong one, and the new codes.
        with page.expect_navigation():
            page.click("text=Make new recovery codes")
        assert_accessible(page)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.locator(".govuk-error-summary").count() == 1
        assert_accessible(page)
        page.fill("#password", TEST_PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.locator(".app-recovery-codes code").count() == 10
        page.goto("/account/second-factor/turn-off")
        assert_accessible(page)
        page.fill("#password", "not the password")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.locator("#password-error").count() == 1
        assert_accessible(page)

        with page.expect_navigation():
            page.click("text=Sign out")
        sign_in()
        assert page.url.endswith("/sign-in/code")
        assert_accessible(page)
        page.fill("#code", "000000" if code_at(secret, 30) != "000000" else "111111")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.locator(".govuk-error-summary").count() == 1
        assert_accessible(page)
        page.fill("#code", code_at(secret, 30))
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.url.rstrip("/") == base_url.rstrip("/")
        context.close()
    finally:
        stop()
        with app.app_context():
            dispose_engines()


def test_each_step_of_signing_in_starts_a_fresh_session(app, enrolled) -> None:
    """Nothing planted in the cookie before signing in survives the password or the code, and the cookie
    of the half-way step (password given, code owed) opens no page, before or after the code."""
    from casework.accounts import sessions

    user, secret, _codes = enrolled
    client = app.test_client()
    client.get("/sign-in")
    with client.session_transaction() as cookie:
        cookie[sessions.SESSION_KEY] = "planted"
        cookie["planted"] = "by someone else"
    page_sign_in(client, user.email)
    with client.session_transaction() as cookie:
        assert "planted" not in cookie
        assert sessions.SESSION_KEY not in cookie
    half_way = client.get_cookie("casework_session").value
    assert enter_code(client, code_at(secret, 30)).headers["Location"] == "/"
    with client.session_transaction() as cookie:
        key = cookie[sessions.SESSION_KEY]
        assert key != "planted"
        assert "planted" not in cookie
    assert client.get("/").status_code == 200
    replay = app.test_client()
    replay.set_cookie("casework_session", half_way)
    assert replay.get("/").status_code == 302
