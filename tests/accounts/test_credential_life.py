"""The life of a credential (the seventh go-live probe): what ends a session, an API token and a private
calendar link, and what the session cookie may carry.

A change to a user's second factor (set up, turned off, removed by an administrator, new recovery codes)
is a change to how they prove who they are, as a new password is: it signs them out everywhere
(``accounts.services.end_sessions``), except the browser that made the change themselves, which gets a
fresh session. The cookie is signed, not encrypted: anyone who sees it reads it, so the secret being set
up for the authenticator app is never in it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa

from casework.accounts import second_factor
from casework.accounts.models import ApiToken, User
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders import calendar
from tests.accounts.test_second_factor import code_at, set_up
from tests.conftest import TEST_PASSWORD, csrf_from


def opens_the_pages(client: Any) -> bool:
    return client.get("/").status_code == 200


def opens_the_api(app: Any, token: str) -> bool:
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def issue_api_token(user: User) -> str:
    from casework.accounts.services import issue_token

    token, _row = issue_token(user, 1)
    db.session.commit()
    return token


def calendar_link(user: User) -> str:
    token = calendar.create_link(user)
    db.session.commit()
    return token


def confirm_with_password(client: Any, path: str) -> Any:
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": csrf_from(page.get_data(as_text=True)), "password": TEST_PASSWORD})


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get_one(User, user.id)


# --- a change to the second factor signs the user out everywhere ----------------------------------------


def _set_up(app: Any, user: User, me: Any) -> None:
    set_up(me)


def _turn_off(app: Any, user: User, me: Any) -> None:
    response = confirm_with_password(me, "/account/second-factor/turn-off")
    assert response.status_code == 302
    assert not reload(user).has_second_factor


def _new_recovery_codes(app: Any, user: User, me: Any) -> None:
    response = confirm_with_password(me, "/account/second-factor/recovery-codes")
    assert response.status_code == 200
    assert len(re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", response.get_data(as_text=True))) == 10


def _removed_by_an_administrator(app: Any, user: User, admin: Any) -> None:
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    token = re.search(r'name="remove-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = admin.post(f"/admin/users/{user.id}/second-factor/remove", data={"remove-csrf_token": token})
    assert response.status_code == 302
    assert not reload(user).has_second_factor


#: Each change, whether the user has a second factor before it, and whether the user makes it themselves.
SECOND_FACTOR_CHANGES = {
    "set up": (_set_up, False, True),
    "turned off": (_turn_off, True, True),
    "new recovery codes": (_new_recovery_codes, True, True),
    "removed by an administrator": (_removed_by_an_administrator, True, False),
}


@pytest.mark.parametrize("change", list(SECOND_FACTOR_CHANGES))
def test_a_change_to_the_second_factor_signs_the_user_out_everywhere_else(app, make, page_client, change) -> None:
    """ASVS 5.0 7.4.3: a change or removal of an authentication factor ends the other sessions. A session
    opened with the password alone before the user set up an app, or on a computer left signed in when the
    phone was lost, must not outlive the change; nor must an API token or the private calendar link."""
    act, enrolled, by_themselves = SECOND_FACTOR_CHANGES[change]
    user = make.user("officer")
    if enrolled:
        set_up(page_client(user))
        user = reload(user)
    elsewhere = app.test_client(user=user)
    assert opens_the_pages(elsewhere)
    token = issue_api_token(user)
    feed = calendar_link(user)
    me = page_client(user) if by_themselves else page_client(make.user("admin"))

    act(app, user, me)

    assert not opens_the_pages(elsewhere)
    assert not opens_the_api(app, token)
    assert app.test_client().get(f"/calendar/{feed}.ics").status_code == 404
    db.session.expire_all()
    assert db.session.scalar(sa.select(ApiToken.revoked_at).where(ApiToken.user_id == user.id)) is not None
    if change != "set up":
        # The email telling the user of the change says so.
        bodies = db.session.scalars(sa.select(OutboxEmail.body_text).where(OutboxEmail.to_address == user.email))
        assert any(second_factor.SIGNED_OUT in body for body in bodies)
    if by_themselves:
        # The browser that made the change stays signed in, in a session of its own.
        assert opens_the_pages(me)
        assert me.get("/account").status_code == 200


def test_a_user_who_must_set_up_a_second_factor_goes_on_after_setting_it_up(app, make, page_client) -> None:
    """Setting it up at the sign-in an area requires it at ends the session the password opened and
    starts the next: the user goes on to where they were going, signed in."""
    from casework.accounts.services import update_area_settings
    from casework.accounts.settings import SECOND_FACTOR_REQUIRED

    area = make.area()
    user = make.user("manager", agency=make.agency(areas=[area]))
    update_area_settings(None, area, {SECOND_FACTOR_REQUIRED: True})
    db.session.commit()
    client = app.test_client()
    page = client.get("/sign-in?next=/account").get_data(as_text=True)
    response = client.post(
        "/sign-in?next=/account", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf_from(page)}
    )
    assert response.headers["Location"] == "/account/second-factor"
    html = client.get("/account/second-factor").get_data(as_text=True)
    secret = re.search(r'class="[^"]*app-secret-key[^"]*">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    done = client.post("/account/second-factor", data={"code": code_at(secret), "csrf_token": csrf_from(html)})
    assert done.status_code == 200
    assert 'href="/account"' in done.get_data(as_text=True)
    assert client.get("/account").status_code == 200
    assert client.get("/").status_code == 200


# --- what the cookie carries ---------------------------------------------------------------------------


def _cookie_contents(app: Any, client: Any) -> str:
    """What anyone holding the cookie reads in it: it is signed, not encrypted."""
    value = client.get_cookie("casework_session").value
    with app.app_context():
        serializer = app.session_interface.get_signing_serializer(app)
        return json.dumps(serializer.loads(value))


def test_the_secret_being_set_up_is_never_in_the_cookie(app, make, page_client) -> None:
    """The secret of the authenticator app is the second factor for years; the session cookie is readable
    by whatever sees it (a copy in a proxy's log, a browser profile), so the secret shown on the set-up
    page must not ride in it while the user types the first code."""
    user = make.user("officer")
    client = page_client(user)
    html = client.get("/account/second-factor").get_data(as_text=True)
    secret = re.search(r'class="[^"]*app-secret-key[^"]*">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    assert secret not in _cookie_contents(app, client)
    done = client.post("/account/second-factor", data={"code": code_at(secret), "csrf_token": csrf_from(html)})
    assert done.status_code == 200
    assert second_factor.secret_of(reload(user)) == secret
    assert secret not in _cookie_contents(app, client)


# --- signing out everywhere -------------------------------------------------------------------------------


def test_a_user_signs_out_everywhere_from_their_account_page(app, make, page_client) -> None:
    """A phone or a shared computer left signed in: the user ends every session of theirs (this browser's
    too, so that a session someone else holds cannot use it to keep theirs), every API token and the
    private calendar link, from their account page, without asking an administrator."""
    from casework.audit.models import AuditAction, AuditEntry

    user = make.user("officer")
    elsewhere = app.test_client(user=user)
    token = issue_api_token(user)
    feed = calendar_link(user)
    me = page_client(user)
    page = me.get("/account").get_data(as_text=True)
    assert 'action="/account/sign-out-everywhere"' in page

    response = me.post("/account/sign-out-everywhere", data={"csrf_token": csrf_from(page)})

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"
    assert not opens_the_pages(me)
    assert not opens_the_pages(elsewhere)
    assert not opens_the_api(app, token)
    assert app.test_client().get(f"/calendar/{feed}.ics").status_code == 404
    db.session.expire_all()
    summaries = db.session.scalars(
        sa.select(AuditEntry.summary).where(
            AuditEntry.action == AuditAction.sign_out, AuditEntry.object_id == str(user.id)
        )
    ).all()
    assert "Signed out everywhere" in summaries


def test_signing_out_everywhere_needs_the_csrf_token(app, make) -> None:
    """A forged request from another site signs nobody out."""
    user = make.user("officer")
    client = app.test_client(user=user)  # signed in, but no CSRF header
    assert client.post("/account/sign-out-everywhere").status_code in (400, 404, 405)
    assert opens_the_pages(client)


# --- administrators over administrators ------------------------------------------------------------------


@pytest.mark.parametrize("change", [{"is_active": False}, {"roles": ["manager"]}])
def test_the_last_active_administrator_is_never_taken_away(make, change) -> None:
    """By anyone (a command, or another administrator at the same moment: tests/core/test_same_moment_writes.py):
    the service would be left with nobody to manage its users. With another active administrator it is
    allowed, and writes nothing when refused."""
    from casework.accounts import services
    from casework.core.errors import InvalidInput

    last = make.user("admin")
    make.user("admin").is_active = False
    db.session.flush()
    with pytest.raises(InvalidInput) as refused:
        services.update_user(None, last, **dict(change))
    assert services.LAST_ADMINISTRATOR in str(refused.value.errors)
    db.session.rollback()
    last = reload(last)
    assert last.is_active
    assert last.roles == ["admin"]

    make.user("admin")
    services.update_user(None, last, **dict(change))
    db.session.flush()
    assert not (last.is_active and last.has_role("admin"))


# --- an area that starts requiring a second factor ----------------------------------------------------------


def test_an_area_requiring_a_second_factor_from_today_signs_out_those_without_one(app, make, page_client) -> None:
    """The requirement is checked when someone signs in. A manager signed in before an administrator
    turned it on (a training day before go-live) would otherwise go on with the password alone until
    their session ends (up to CASEWORK_SESSION_MAX_HOURS), and their API token until it expires: the
    change signs out those it now requires a second factor of, and only them."""
    from casework.accounts.services import update_area_settings
    from casework.accounts.settings import SECOND_FACTOR_REQUIRED

    area = make.area()
    agency = make.agency(areas=[area])
    manager, officer = make.user("manager", agency=agency), make.user("officer", agency=agency)
    enrolled = make.user("coordinator", agency=agency)
    set_up(page_client(enrolled))
    enrolled = reload(enrolled)
    sessions = {user.id: app.test_client(user=user) for user in (manager, officer, enrolled)}
    tokens = {user.id: issue_api_token(user) for user in (manager, officer, enrolled)}

    update_area_settings(
        make.user("admin", agency=make.agency(areas=[make.area()])), area, {SECOND_FACTOR_REQUIRED: True}
    )
    db.session.commit()

    assert not opens_the_pages(sessions[manager.id])
    assert not opens_the_api(app, tokens[manager.id])
    # Those it requires nothing new of go on.
    for user in (officer, enrolled):
        assert opens_the_pages(sessions[user.id])
        assert opens_the_api(app, tokens[user.id])
    # The manager signs in again and is sent to set it up.
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    signed_in = client.post(
        "/sign-in", data={"email": manager.email, "password": TEST_PASSWORD, "csrf_token": csrf_from(page)}
    )
    assert signed_in.headers["Location"] == "/account/second-factor"


# --- a user changes their own password -------------------------------------------------------------------


def test_a_user_changes_their_own_password_and_is_signed_out_everywhere_else(app, make, page_client) -> None:
    """Only an administrator could set a password, so every password was one an administrator had typed,
    and a user who feared theirs was known had to ask. The user gives their current password (counted
    toward the sign-in limits when wrong) and a new one the usual rules accept; every other session,
    token and the calendar link end; they are told by email."""
    from casework.accounts.passwords import verify_password

    user = make.user("officer")
    elsewhere = app.test_client(user=user)
    token = issue_api_token(user)
    me = page_client(user)
    assert 'href="/account/password"' in me.get("/account").get_data(as_text=True)
    new = "violet harbour lantern quietly"

    def send(current: str, new_password: str) -> Any:
        page = me.get("/account/password").get_data(as_text=True)
        return me.post(
            "/account/password",
            data={"password": current, "new_password": new_password, "csrf_token": csrf_from(page)},
        )

    wrong = send("not my password at all", new)
    assert wrong.status_code == 422
    assert 'id="password-error"' in wrong.get_data(as_text=True)
    weak = send(TEST_PASSWORD, "password")
    assert weak.status_code == 422
    assert 'id="new_password-error"' in weak.get_data(as_text=True)
    assert verify_password(reload(user).password_hash, TEST_PASSWORD)
    assert opens_the_pages(elsewhere)

    changed = send(TEST_PASSWORD, new)
    assert changed.status_code == 302
    assert changed.headers["Location"] == "/account"
    assert verify_password(reload(user).password_hash, new)
    assert opens_the_pages(me)
    assert not opens_the_pages(elsewhere)
    assert not opens_the_api(app, token)
    subjects = db.session.scalars(sa.select(OutboxEmail.subject).where(OutboxEmail.to_address == user.email)).all()
    assert "Your Casework password was changed" in subjects
