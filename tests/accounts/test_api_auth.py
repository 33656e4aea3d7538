"""Bearer tokens for the API (docs/api.md Conventions)."""

from datetime import UTC, datetime, timedelta

import time_machine

from tests.conftest import TEST_PASSWORD


def test_token_issued_for_right_credentials_and_opens_the_api(client, make):
    user = make.user("officer", email="olive@example.org")
    response = client.post("/api/v1/auth/tokens", json={"email": "Olive@Example.org ", "password": TEST_PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now(UTC)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == user.email


def test_wrong_password_is_401(client, make):
    make.user("officer", email="olive@example.org")
    response = client.post("/api/v1/auth/tokens", json={"email": "olive@example.org", "password": "wrong"})
    assert response.status_code == 401
    assert "token" not in response.get_json()


def test_unknown_email_is_401(client):
    response = client.post("/api/v1/auth/tokens", json={"email": "nobody@example.org", "password": "x"})
    assert response.status_code == 401


def test_inactive_user_gets_no_token(client, make, db_session):
    user = make.user("officer", email="olive@example.org")
    user.is_active = False
    db_session.commit()
    response = client.post("/api/v1/auth/tokens", json={"email": "olive@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 401


def test_missing_fields_are_422_with_field_messages(client):
    response = client.post("/api/v1/auth/tokens", json={"email": "a@example.org"})
    assert response.status_code == 422
    assert "password" in response.get_json()["errors"]


def test_no_token_is_401_and_bad_token_is_401(client):
    assert client.get("/api/v1/me").status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.is_json


def test_expired_token_is_refused(client, make):
    make.user("officer", email="olive@example.org")
    token = client.post(
        "/api/v1/auth/tokens", json={"email": "olive@example.org", "password": TEST_PASSWORD}
    ).get_json()["token"]
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=8, minutes=1)):
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_revoked_token_is_refused(client, make):
    make.user("officer", email="olive@example.org")
    token = client.post(
        "/api/v1/auth/tokens", json={"email": "olive@example.org", "password": TEST_PASSWORD}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/v1/auth/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_session_cookie_does_not_authenticate_the_api(app, make, db_session):
    user = make.user("admin")
    page_client = app.test_client(user=user)
    assert page_client.get("/").status_code == 200
    assert page_client.get("/api/v1/me").status_code == 401


def test_the_api_neither_reads_nor_sends_back_the_session_cookie(app, make, db_session, api_client):
    """The API has no use for the pages' session: a browser's cookie sent with an API request is not
    read (nor its signature checked), and the answer does not send it back re-signed."""
    user = make.user("officer")
    client = app.test_client(user=user)
    with client.session_transaction() as session:
        session.permanent = True  # as signing in makes it: re-sent with every page
    assert "casework_session=" in client.get("/").headers.get("Set-Cookie", "")
    token = api_client(user)
    answer = client.get("/api/v1/me", headers=token.headers)
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert client.get_cookie("casework_session") is not None  # still there for the pages
    assert client.get("/").status_code == 200


def test_token_does_not_open_the_pages(api_client, make):
    user = make.user("officer")
    response = api_client(user).get("/")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
