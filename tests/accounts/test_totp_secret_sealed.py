"""The secret of each user's authenticator app is stored sealed with CASEWORK_DATA_KEY, never as the base32
text whoever reads the users table could compute codes from: signing in still works, secrets stored in
plain text before go on working and end up sealed, a new key put first still opens what the old one
sealed, and a missing or wrong key is an error, never a wrong answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from flask import current_app
from flask_migrate import downgrade, upgrade

from casework import create_app
from casework.accounts import second_factor
from casework.accounts.models import User
from casework.config import ConfigError
from casework.core import data_keys
from casework.extensions import db
from tests.accounts.test_recovery_codes_migration import _insert
from tests.accounts.test_second_factor import enter_code, page_sign_in, set_up
from tests.support.data_keys import NEW_KEY, OLD_KEY, SECRET
from tests.support.environment import clear_casework_variables
from tests.test_migrations import empty_database_urls, fresh_app  # noqa: F401 (fixtures)


def stored_form(user_id: int) -> str | None:
    """What the users table holds, as a backup or a dump would show it."""
    db.session.expire_all()
    return db.session.execute(sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user_id}).scalar()


def code_at(secret: str, seconds_from_now: int = 0) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=seconds_from_now))


def test_the_secret_set_up_on_the_page_is_stored_sealed_and_signs_in(app, make, page_client, keys) -> None:
    user = make.user("officer", email="olive@example.org")
    secret, _codes = set_up(page_client(user))

    stored = stored_form(user.id)
    assert stored is not None
    assert stored.startswith("v1:")
    assert secret not in stored
    assert secret.lower() not in stored
    assert second_factor.secret_of(db.session.get_one(User, user.id)) == secret

    client = app.test_client()
    assert page_sign_in(client, user.email).headers["Location"] == "/sign-in/code"
    assert enter_code(client, code_at(secret, 30)).headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_each_seal_differs_so_equal_secrets_cannot_be_told_apart(app, make, keys) -> None:
    first, second = make.user("officer"), make.user("officer")
    second_factor.store_secret(first, SECRET)
    second_factor.store_secret(second, SECRET)
    db.session.flush()
    assert stored_form(first.id) != stored_form(second.id)


def test_a_secret_stored_in_plain_text_still_signs_in_and_is_then_sealed(app, make, keys) -> None:
    user = make.user("officer")
    db.session.execute(sa.text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": SECRET, "id": user.id})
    db.session.expire_all()
    user = db.session.get_one(User, user.id)

    assert second_factor.secret_of(user) == SECRET
    assert second_factor.verify(user, code_at(SECRET)) is True
    stored = stored_form(user.id)
    assert stored is not None
    assert stored.startswith("v1:")
    assert SECRET not in stored
    assert second_factor.secret_of(db.session.get_one(User, user.id)) == SECRET


def test_a_wrong_code_leaves_a_plain_secret_as_it_is(app, make, keys) -> None:
    user = make.user("officer")
    db.session.execute(sa.text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": SECRET, "id": user.id})
    db.session.expire_all()
    user = db.session.get_one(User, user.id)
    wrong = "123456" if code_at(SECRET) != "123456" else "654321"
    assert second_factor.verify(user, wrong) is False
    assert stored_form(user.id) == SECRET  # sealed once a code proves it is still the secret in use


def test_resealing_leaves_a_secret_changed_meanwhile_alone(app, make, keys) -> None:
    """A plain secret read at sign-in is sealed with a conditional UPDATE: if the user set up a new app (or
    turned it off) in the meantime, the old secret is not written back over it."""
    user = make.user("officer")
    second_factor.store_secret(user, "NEWSECRETNEWSECRETNEWSECRETNEWSE")
    db.session.flush()
    now_stored = stored_form(user.id)
    assert second_factor._reseal(user.id, SECRET, SECRET) == 0  # the plain value read earlier is gone
    assert stored_form(user.id) == now_stored


def test_a_new_key_put_first_opens_what_the_old_one_sealed_and_reseals_it(app, make, keys) -> None:
    user = make.user("officer")
    second_factor.store_secret(user, SECRET)
    db.session.flush()
    sealed_with_old = stored_form(user.id)

    keys(NEW_KEY, OLD_KEY)
    user = db.session.get_one(User, user.id)
    assert second_factor.secret_of(user) == SECRET
    assert second_factor.verify(user, code_at(SECRET)) is True
    assert stored_form(user.id) != sealed_with_old  # sealed again, with the new key

    keys(NEW_KEY)  # the old key removed
    assert second_factor.secret_of(db.session.get_one(User, user.id)) == SECRET


def test_the_reseal_command_seals_every_secret_with_the_newest_key(app, make, keys) -> None:
    with_old, plain, none = make.user("officer"), make.user("officer"), make.user("officer")
    second_factor.store_secret(with_old, SECRET)
    db.session.flush()
    db.session.execute(sa.text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": SECRET, "id": plain.id})
    db.session.commit()

    keys(NEW_KEY, OLD_KEY)
    result = app.test_cli_runner().invoke(args=["reseal-secrets"])
    assert result.exit_code == 0, result.output
    assert "Sealed 2 authenticator secrets" in result.output

    keys(NEW_KEY)
    for user in (with_old, plain):
        assert stored_form(user.id).startswith("v1:")
        assert second_factor.secret_of(db.session.get_one(User, user.id)) == SECRET
    assert stored_form(none.id) is None


@pytest.mark.parametrize("configured", [(NEW_KEY,), (NEW_KEY, data_keys.new_key())])
def test_a_key_that_does_not_open_the_secret_is_an_error_not_a_refused_code(app, make, keys, configured) -> None:
    user = make.user("officer")
    second_factor.store_secret(user, SECRET)
    db.session.flush()

    keys(*configured)  # the key it was sealed with is missing
    user = db.session.get_one(User, user.id)
    with pytest.raises(data_keys.DataKeyError, match="CASEWORK_DATA_KEY"):
        second_factor.verify(user, code_at(SECRET))
    with pytest.raises(data_keys.DataKeyError):
        second_factor.verify(user, "000000")
    with pytest.raises(data_keys.DataKeyError):
        second_factor.secret_of(user)


# --- configuration ------------------------------------------------------------------------------------


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    clear_casework_variables(monkeypatch)
    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CASEWORK_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("CASEWORK_DATABASE_URL", f"sqlite:///{tmp_path / 'casework.sqlite'}")
    return monkeypatch


def test_production_without_a_data_key_stops_naming_the_setting(production) -> None:
    with pytest.raises(ConfigError) as refused:
        create_app()
    message = str(refused.value)
    assert message.startswith("CASEWORK_DATA_KEY is not set")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-a-key", "CASEWORK_DATA_KEY: its value is not a Fernet key"),
        (f"{NEW_KEY},{'x' * 44}", "CASEWORK_DATA_KEY: key 2 of 2 is not a Fernet key"),
    ],
)
def test_a_data_key_that_is_not_a_key_stops_the_start(production, value, message) -> None:
    production.setenv("CASEWORK_DATA_KEY", value)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_the_data_keys_come_newest_first_from_the_setting_or_its_file(production, tmp_path) -> None:
    production.setenv("CASEWORK_DATA_KEY", f"{NEW_KEY}, {OLD_KEY}")
    assert create_app().config["CASEWORK"]["DATA_KEY"] == (NEW_KEY, OLD_KEY)

    production.delenv("CASEWORK_DATA_KEY")
    (tmp_path / "data_key").write_text(f"{NEW_KEY}\n{OLD_KEY}\n")
    production.setenv("CASEWORK_DATA_KEY_FILE", "data_key")  # relative: the instance folder's
    settings = create_app().config["CASEWORK"]
    assert settings["DATA_KEY"] == (NEW_KEY, OLD_KEY)
    assert settings["DATA_KEY_IS_TEMPORARY"] is False
    assert "DATA_KEY_FILE" not in settings

    production.setenv("CASEWORK_DATA_KEY_FILE", "missing")
    with pytest.raises(ConfigError, match="CASEWORK_DATA_KEY_FILE: cannot read"):
        create_app()


def test_development_without_a_data_key_uses_one_key_per_process(production) -> None:
    production.setenv("CASEWORK_ENV", "development")
    first, second = (create_app().config["CASEWORK"] for _ in range(2))
    assert first["DATA_KEY"] == second["DATA_KEY"] == (data_keys.process_key(),)
    assert first["DATA_KEY_IS_TEMPORARY"] is True


# --- migration 0850 -----------------------------------------------------------------------------------


def _a_user_with_a_plain_secret() -> None:
    with db.engine.begin() as connection:
        _insert(connection, "areas", {"id": 1, "code": "BOL", "name": "Bolsover"})
        agency = {"id": 1, "code": "BDC", "name": "Bolsover District Council", "kind": "council"}
        _insert(connection, "agencies", agency)
        _insert(connection, "users", {"id": 1, "agency_id": 1, "email": "olive@example.org", "totp_secret": SECRET})
        _insert(connection, "users", {"id": 2, "agency_id": 1, "email": "pat@example.org", "totp_secret": None})


@pytest.mark.usefixtures("fresh_app")
def test_migration_0850_seals_the_plain_secrets_and_back(monkeypatch) -> None:
    monkeypatch.setitem(current_app.config["CASEWORK"], "DATA_KEY", (NEW_KEY, OLD_KEY))
    monkeypatch.setitem(current_app.config["CASEWORK"], "DATA_KEY_IS_TEMPORARY", False)
    upgrade(revision="0840")
    _a_user_with_a_plain_secret()
    upgrade(revision="0850")

    stored = stored_form(1)
    assert stored is not None
    assert stored.startswith("v1:")
    assert SECRET not in stored
    assert stored_form(2) is None
    user = db.session.get_one(User, 1)
    assert second_factor.secret_of(user) == SECRET
    assert second_factor.verify(user, code_at(SECRET)) is True
    db.session.rollback()

    downgrade(revision="0840")
    assert stored_form(1) == SECRET
    db.session.rollback()


@pytest.mark.usefixtures("fresh_app")
def test_migration_0850_will_not_seal_with_a_key_made_up_for_the_command(capfd) -> None:
    assert current_app.config["CASEWORK"]["DATA_KEY_IS_TEMPORARY"] is True
    upgrade(revision="0840")
    _a_user_with_a_plain_secret()
    with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits with status 1
        upgrade(revision="0850")
    assert "CASEWORK_DATA_KEY is not set: migration 0850 would seal 1 authenticator secrets" in capfd.readouterr().err
    db.session.rollback()
    assert stored_form(1) == SECRET
    db.session.rollback()
