"""The second factor: setting it up (QR code or key as text), signing in with a code or a recovery code on
the pages and the API, areas that require it, and an administrator removing it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa

from casework.accounts import second_factor, services
from casework.accounts.models import RecoveryCode
from casework.accounts.settings import SECOND_FACTOR_REQUIRED
from casework.core.db import dispose_engines
from casework.extensions import db
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
    assert db.session.get(type(user), user.id).totp_secret is None

    secret, codes = set_up(client)
    db.session.expire_all()
    stored = db.session.get(type(user), user.id)
    assert stored.totp_secret == secret
    # Only hashes of the recovery codes are kept.
    hashes = list(db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(hashes) == 10
    assert not set(codes) & set(hashes)
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
    client.post("/account/second-factor/turn-off", data={"csrf_token": csrf_from(page)})
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


def test_a_user_turns_it_off_where_it_is_not_required(app, enrolled, page_client) -> None:
    user, _secret, _codes = enrolled
    client = page_client(user)
    page = client.get("/account").get_data(as_text=True)
    client.post("/account/second-factor/turn-off", data={"csrf_token": csrf_from(page)})
    db.session.expire_all()
    assert not db.session.get(type(user), user.id).has_second_factor


def test_new_recovery_codes_replace_the_old(app, enrolled, page_client) -> None:
    user, _secret, old_codes = enrolled
    client = page_client(user)
    page = client.get("/account").get_data(as_text=True)
    response = client.post("/account/second-factor/recovery-codes", data={"csrf_token": csrf_from(page)})
    new_codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", response.get_data(as_text=True))
    assert len(new_codes) == 10
    assert token_for(app.test_client(), user.email, old_codes[0]).status_code == 401
    assert token_for(app.test_client(), user.email, new_codes[0]).status_code == 201


# --- accessibility in a real browser ------------------------------------------------------------------


@pytest.mark.browser
def test_second_factor_pages_pass_axe(browser, tmp_path):
    """Setting up (with and without an error), the recovery codes, the code page (with and without an
    error) and the account page, in Chromium with axe-core. A separate app on its own SQLite file: the
    live server runs in another thread, which cannot share the other tests' transaction."""
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
