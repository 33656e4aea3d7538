"""users.totp_secret: sealed with CASEWORK_DATA_KEY instead of stored in plain text

Revision ID: 0850
Revises: 0840
Create Date: 2026-12-05 21:20:00

The secret of each user's authenticator app was stored as its base32 text: whoever read the users table
(a backup, a replica, a leaked dump) could compute every user's codes. It is now sealed with a key kept
outside the database (``casework.core.data_keys``): ``v1:`` and a Fernet token, which needs a longer
column.

The migration seals every plain secret with the first key of CASEWORK_DATA_KEY, from the configuration of
the app it runs in (Alembic runs inside the app here: migrations/env.py), so that no plain secret stays
for the users who do not sign in again. The format is written out here rather than imported, so that a
later change to the module does not change what this revision did. It refuses, changing nothing, when
there are secrets to seal and no key is set (a development process's made-up key would be lost when the
command ends, and with it every secret), and in offline mode (no key belongs in a SQL script).

A plain secret written after this (an old web process still running during the upgrade) is still read,
and sealed when its user next signs in or by ``flask --app casework reseal-secrets``.

Downgrade: the secrets are opened with the keys and stored in plain text again.
"""

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision = "0850"
down_revision = "0840"
branch_labels = None
depends_on = None

PREFIX = "v1:"

users = sa.table("users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _keys():
    """The keys of CASEWORK_DATA_KEY, newest first, and whether they were made up for this process."""
    from flask import current_app

    settings = current_app.config["CASEWORK"]
    return list(settings["DATA_KEY"]), bool(settings.get("DATA_KEY_IS_TEMPORARY"))


def _stored_secrets(connection):
    return connection.execute(
        sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))
    ).all()


def _need_keys(what):
    if context.is_offline_mode():
        raise RuntimeError(f"Migration 0850 {what} the authenticator secrets with CASEWORK_DATA_KEY: run it online.")


def upgrade():
    _need_keys("seals")
    from cryptography.fernet import Fernet

    connection = op.get_bind()
    plain = [(row_id, secret) for row_id, secret in _stored_secrets(connection) if not secret.startswith(PREFIX)]
    keys, temporary = _keys()
    if plain and temporary:
        raise RuntimeError(
            f"CASEWORK_DATA_KEY is not set: migration 0850 would seal {len(plain)} authenticator secrets with a "
            "key lost when this command ends. Set CASEWORK_DATA_KEY (or CASEWORK_DATA_KEY_FILE) and run it again."
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=64), type_=sa.String(length=255), existing_nullable=True
        )
    cipher = Fernet(keys[0].encode())
    for row_id, secret in plain:
        sealed = PREFIX + cipher.encrypt(secret.encode()).decode()
        connection.execute(sa.update(users).where(users.c.id == row_id).values(totp_secret=sealed))


def downgrade():
    _need_keys("opens")
    from cryptography.fernet import Fernet, MultiFernet

    connection = op.get_bind()
    sealed = [(row_id, secret) for row_id, secret in _stored_secrets(connection) if secret.startswith(PREFIX)]
    if sealed:
        keys, _temporary = _keys()
        cipher = MultiFernet([Fernet(key.encode()) for key in keys])
        for row_id, secret in sealed:
            plain = cipher.decrypt(secret.removeprefix(PREFIX).encode()).decode()
            connection.execute(sa.update(users).where(users.c.id == row_id).values(totp_secret=plain))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=255), type_=sa.String(length=64), existing_nullable=True
        )
