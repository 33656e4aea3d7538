"""Passwords: at least 12 characters, and refused when easily guessed (zxcvbn, offline), with advice."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.accounts.models import User
from casework.accounts.passwords import password_problem
from casework.extensions import db
from tests.conftest import csrf_from


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # a very common password
        "Password1234!",  # the same with the usual decorations
        "qwertyuiop12",  # a keyboard row
        "aaaaaaaaaaaaaaaa",  # repeats
        "abcdefghijklmnop",  # a sequence
        "olive.officer@bdc.example",  # the user's own email address
    ],
)
def test_easily_guessed_passwords_are_refused_with_advice(password: str) -> None:
    problem = password_problem(password, ["olive.officer@bdc.example", "Olive Officer"])
    assert problem is not None
    assert problem.startswith("This password is too easy to guess.")


@pytest.mark.parametrize("password", ["correct horse battery staple", "tangerine kettle orbit 42", "Vq7#mZ2!pL9x"])
def test_hard_to_guess_passwords_are_accepted(password: str) -> None:
    assert password_problem(password, ["olive.officer@bdc.example", "Olive Officer"]) is None


def test_the_length_rules_come_first() -> None:
    assert password_problem("Vq7#mZ2!pL9") == "Password must be at least 12 characters long."
    assert password_problem("x" * 1025) == "Password must be 1024 characters or fewer."


def test_a_long_password_is_judged_quickly() -> None:
    # zxcvbn judges the first 72 characters: a long passphrase neither fails nor takes long.
    assert password_problem("correct horse battery staple " * 30) is None


def test_the_api_refuses_an_easily_guessed_password_and_writes_nothing(api_client, make) -> None:
    admin = make.user("admin")
    response = api_client(admin).post(
        "/api/v1/users",
        json={
            "email": "new@example.org",
            "name": "New Person",
            "password": "password1234",
            "agency_code": admin.agency.code,
            "roles": ["officer"],
        },
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["password"][0].startswith("This password is too easy to guess.")
    assert db.session.scalar(sa.select(User.id).where(User.email == "new@example.org")) is None


def test_a_reset_to_an_easily_guessed_password_is_refused(make, page_client) -> None:
    user = make.user("officer")
    before = user.password_hash
    admin = page_client(make.user("admin"))
    page = admin.get(f"/admin/users/{user.id}/password").get_data(as_text=True)
    response = admin.post(
        f"/admin/users/{user.id}/password", data={"password": "Password1234!", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 422
    assert "too easy to guess" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before
