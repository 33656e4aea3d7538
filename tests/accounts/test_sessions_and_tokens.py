"""Sessions and tokens end when they should: signing out ends the session on the server, and a change to
a user's password, roles, agency or active status ends their sessions and revokes their API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from casework.accounts import services, sessions
from casework.accounts.models import ApiToken, UserSession
from casework.core.time import now
from casework.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_from


def page_sign_in(client: Any, email: str, password: str = TEST_PASSWORD) -> Any:
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def api_token(client: Any, email: str) -> str:
    response = client.post("/api/v1/auth/tokens", json={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def opens_the_api(client: Any, token: str) -> bool:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


# --- signing out ------------------------------------------------------------------------------------------


def test_signing_out_ends_the_session_on_the_server(app, client, make) -> None:
    user = make.user("officer")
    assert page_sign_in(client, user.email).status_code == 302
    assert client.get("/").status_code == 200
    stolen = client.get_cookie("casework_session").value  # a copy of the cookie, taken while signed in

    page = client.get("/").get_data(as_text=True)
    assert client.post("/sign-out", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert client.get("/").status_code == 302

    replay = app.test_client()
    replay.set_cookie("casework_session", stolen)
    response = replay.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    db.session.expire_all()
    [row] = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id))
    assert row.ended_at is not None


def test_each_sign_in_is_its_own_session(app, make) -> None:
    """Signing out on one computer leaves the user signed in on another."""
    user = make.user("officer")
    office, home = app.test_client(), app.test_client()
    page_sign_in(office, user.email)
    page_sign_in(home, user.email)
    page = office.get("/").get_data(as_text=True)
    office.post("/sign-out", data={"csrf_token": csrf_from(page)})
    assert office.get("/").status_code == 302
    assert home.get("/").status_code == 200


def test_a_cookie_without_a_server_session_opens_nothing(app, make) -> None:
    """Knowing the secret key's output for a user id is not enough: the session must exist on the server."""
    user = make.user("officer")
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = user.get_id()
        cookie["_fresh"] = True
        cookie[sessions.SESSION_KEY] = "made-up"
    assert client.get("/").status_code == 302


def test_the_cookie_signer_is_built_once_per_secret_key(app, client, make, monkeypatch) -> None:
    """The pages' session interface keeps its signing serializer (Flask builds one to open the cookie
    and another to sign it again, on every request) until the secret keys change; a cookie signed
    with a key that is no longer the key or a fallback then opens nothing."""
    from flask.sessions import SecureCookieSessionInterface

    built = []
    original = SecureCookieSessionInterface.get_signing_serializer

    def counted(self, app_):
        built.append(app_.secret_key)
        return original(self, app_)

    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer", counted)
    user = make.user("officer")
    assert page_sign_in(client, user.email).status_code == 302
    before = len(built)  # none, or one if the app had not signed a cookie with these keys yet
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert len(built) == before

    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [app.secret_key])
    monkeypatch.setattr(app, "secret_key", "another key " * 6)
    assert client.get("/").status_code == 200  # signed with a fallback: still open, signed again
    assert client.get("/").status_code == 200
    assert len(built) == before + 1
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    assert client.get("/").status_code == 200  # signed again with the new key above
    assert len(built) == before + 2
    monkeypatch.setattr(app, "secret_key", "a third key " * 6)
    assert client.get("/").status_code == 302


def test_a_page_notes_when_its_session_was_last_seen_at_most_every_few_minutes(app, client, make) -> None:
    """The session's ``last_seen_at`` (what ``prune`` reads) is written when it is older than
    ``SEEN_GRANULARITY``, on that session's row only, and left alone when it is recent."""
    user = make.user("officer")
    other = sessions.start(user)  # the same user on another computer
    assert page_sign_in(client, user.email).status_code == 302
    rows = list(
        db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id))
    )
    assert other
    assert len(rows) == 2
    long_ago = now() - sessions.SEEN_GRANULARITY - timedelta(minutes=1)
    for row in rows:
        row.last_seen_at = long_ago
    db.session.commit()

    assert client.get("/").status_code == 200
    db.session.expire_all()
    mine, theirs = (db.session.get(UserSession, rows[1].id), db.session.get(UserSession, rows[0].id))
    assert mine.last_seen_at > long_ago + timedelta(minutes=1)
    assert theirs.last_seen_at == long_ago
    seen = mine.last_seen_at

    assert client.get("/").status_code == 200  # a moment later: recent enough, not written again
    db.session.expire_all()
    assert db.session.get(UserSession, rows[1].id).last_seen_at == seen


def test_old_session_records_are_pruned(make, db_session) -> None:
    from casework.accounts.tasks import prune_sessions

    user = make.user("officer")
    sessions.start(user)
    old_open = sessions.start(user)
    sessions.start(user)
    rows = list(db.session.scalars(sa.select(UserSession).order_by(UserSession.id)))
    rows[0].ended_at = now() - timedelta(days=31)  # ended a month ago
    rows[1].last_seen_at = now() - timedelta(days=31)  # abandoned a month ago
    db.session.commit()
    assert old_open
    assert prune_sessions.run() == 2
    assert [row.id for row in db.session.scalars(sa.select(UserSession))] == [rows[2].id]


# --- changes that end sessions and revoke tokens -----------------------------------------------------------


CHANGES = {
    "password": lambda user, other_agency: {"password": "a brand new passphrase"},
    "roles": lambda user, other_agency: {"roles": ["officer", "manager"]},
    "agency": lambda user, other_agency: {"agency": other_agency},
    "deactivation": lambda user, other_agency: {"is_active": False},
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_to_what_a_user_may_do_ends_sessions_and_revokes_tokens(app, make, change) -> None:
    user = make.user("officer")
    other_agency = make.agency(areas=[make.area()])
    pages = app.test_client()
    page_sign_in(pages, user.email)
    token = api_token(app.test_client(), user.email)
    admin = make.user("admin")

    services.update_user(admin, user, **CHANGES[change](user, other_agency))
    db.session.commit()

    assert pages.get("/").status_code == 302
    assert not opens_the_api(app.test_client(), token)
    db.session.expire_all()
    assert db.session.scalar(sa.select(ApiToken.revoked_at).where(ApiToken.user_id == user.id)) is not None


def test_a_deactivated_and_reactivated_user_needs_a_new_token(app, make, api_client) -> None:
    user = make.user("officer")
    admin = api_client(make.user("admin"))
    token = api_token(app.test_client(), user.email)
    version = admin.get(f"/api/v1/users/{user.id}").get_json()["version"]
    off = admin.patch(f"/api/v1/users/{user.id}", json={"is_active": False, "version": version})
    assert off.status_code == 200
    on = admin.patch(f"/api/v1/users/{user.id}", json={"is_active": True, "version": off.get_json()["version"]})
    assert on.status_code == 200
    assert not opens_the_api(app.test_client(), token)
    assert opens_the_api(app.test_client(), api_token(app.test_client(), user.email))


def test_an_admin_password_reset_on_the_page_revokes_tokens(app, make, page_client) -> None:
    user = make.user("officer")
    token = api_token(app.test_client(), user.email)
    admin = page_client(make.user("admin"))
    page = admin.get(f"/admin/users/{user.id}/password").get_data(as_text=True)
    response = admin.post(
        f"/admin/users/{user.id}/password",
        data={"password": "a brand new passphrase", "confirm": "a brand new passphrase", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert not opens_the_api(app.test_client(), token)


def test_a_name_change_keeps_tokens_and_sessions(app, make) -> None:
    user = make.user("officer")
    pages = app.test_client()
    page_sign_in(pages, user.email)
    token = api_token(app.test_client(), user.email)
    db.session.refresh(user)  # signing in changed the row (last sign-in, version)
    services.update_user(None, user, name="A New Name")
    db.session.commit()
    assert pages.get("/").status_code == 200
    assert opens_the_api(app.test_client(), token)


def test_an_admin_who_changes_their_own_roles_stays_signed_in(make, page_client) -> None:
    agency = make.agency(areas=[make.area()])
    admin = make.user("admin", agency=agency)
    client = page_client(admin)
    page = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/users/{admin.id}",
        data={
            "name": admin.name,
            "agency": agency.code,
            "roles": ["admin", "manager"],
            "manager_email": "",
            "is_active": "yes",
            "version": str(admin.version),
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 200


def test_the_idle_timeout_ends_the_session_on_the_server(app, client, make) -> None:
    import time_machine

    user = make.user("officer")
    minutes = app.config["CASEWORK"]["SESSION_IDLE_MINUTES"]
    start = now() + timedelta(days=1)
    with time_machine.travel(start, tick=False) as clock:
        page_sign_in(client, user.email)
        assert client.get("/").status_code == 200
        clock.move_to(start + timedelta(minutes=minutes + 1))
        assert client.get("/").status_code == 302
    db.session.expire_all()
    [row] = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id))
    assert row.ended_at is not None
