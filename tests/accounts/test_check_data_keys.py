"""``flask --app casework check-data-keys``, run before the web server, the worker and beat start: it reads
every stored authenticator secret and stops the start, naming CASEWORK_DATA_KEY in one line, when a
secret would fail at its user's next sign-in (no configured key opens it, or a key made up for one process
would seal the plain ones), rather than leaving it to show as an error page then."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from casework.accounts import second_factor
from casework.core import data_keys
from casework.extensions import db
from tests.support.data_keys import NEW_KEY, OLD_KEY, SECRET


def made_up_key(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a process started with no CASEWORK_DATA_KEY runs."""
    monkeypatch.setitem(app.config["CASEWORK"], "DATA_KEY", (data_keys.process_key(),))
    monkeypatch.setitem(app.config["CASEWORK"], "DATA_KEY_IS_TEMPORARY", True)


def sealed_users(make: Any, count: int) -> list[Any]:
    users = [make.user("officer") for _ in range(count)]
    for user in users:
        second_factor.store_secret(user, SECRET)
    db.session.commit()
    return users


def store_plain(user: Any) -> None:
    db.session.execute(sa.text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": SECRET, "id": user.id})
    db.session.commit()


def check(app: Any) -> Any:
    return app.test_cli_runner().invoke(args=["check-data-keys"])


def refused_with(app: Any, words: str) -> None:
    result = check(app)
    assert result.exit_code == 1, result.output
    message = result.output.strip()
    assert "\n" not in message
    assert message.startswith("Error: CASEWORK_DATA_KEY ")
    assert words in message


def test_the_right_key_passes(app, make, keys) -> None:
    make.user("officer")  # no second factor: nothing to check
    sealed_users(make, 2)
    result = check(app)
    assert result.exit_code == 0, result.output
    assert "CASEWORK_DATA_KEY opens all 2 sealed authenticator secrets." in result.output


def test_no_secrets_at_all_pass_even_with_a_made_up_key(app, make, monkeypatch) -> None:
    make.user("officer")
    db.session.commit()
    made_up_key(app, monkeypatch)
    result = check(app)
    assert result.exit_code == 0, result.output
    assert "no authenticator secrets are stored yet" in result.output


def test_a_wrong_key_fails_naming_the_setting(app, make, keys) -> None:
    sealed_users(make, 3)
    keys(NEW_KEY)
    refused_with(app, "does not open 3 of the 3 stored authenticator secrets")


def test_an_old_key_removed_while_values_it_sealed_remain_fails(app, make, keys) -> None:
    """A rotation: the new key put first, one user signs in (sealed again with the new key), another does
    not; the old key removed before reseal-secrets ran."""
    _left_with_the_old_key, resealed = sealed_users(make, 2)
    keys(NEW_KEY, OLD_KEY)
    second_factor.store_secret(resealed, SECRET)
    db.session.commit()
    result = check(app)
    assert result.exit_code == 0, result.output
    assert "opens all 2 sealed authenticator secrets (1 with an older key: run reseal-secrets" in result.output

    keys(NEW_KEY)
    refused_with(app, "does not open 1 of the 2 stored authenticator secrets")
    keys(NEW_KEY, OLD_KEY)  # put back: passes again
    assert check(app).exit_code == 0


def test_plain_secrets_pass_with_a_key_and_fail_with_one_made_up_for_the_process(app, make, keys, monkeypatch) -> None:
    [user] = sealed_users(make, 1)
    store_plain(user)
    result = check(app)
    assert result.exit_code == 0, result.output
    assert "1 stored in plain text are sealed as they are used" in result.output

    made_up_key(app, monkeypatch)
    refused_with(app, "is not set, and 1 authenticator secrets are stored in plain text")


def test_sealed_secrets_and_a_key_made_up_for_the_process_fail(app, make, keys, monkeypatch) -> None:
    sealed_users(make, 2)
    made_up_key(app, monkeypatch)
    refused_with(app, "is not set, and 2 stored authenticator secrets are sealed")


@pytest.mark.parametrize("stored", ["v1:not-a-token", "v1:"])
def test_a_damaged_sealed_value_fails_rather_than_passing(app, make, keys, stored) -> None:
    [user] = sealed_users(make, 1)
    db.session.execute(sa.text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": stored, "id": user.id})
    db.session.commit()
    refused_with(app, "does not open 1 of the 1")
