"""Encryption of the few values the service must read back but nobody who reads the database should:
today the secret of each user's authenticator app (``casework.accounts.second_factor``).

A value is sealed with Fernet (``cryptography``: AES-128-CBC and HMAC-SHA256, each token with its own IV)
under ``CASEWORK_DATA_KEY``, a key kept outside the database, and stored as ``v1:`` and the token. The
setting holds one key or several, newest first (``MultiFernet``): the first seals, every one opens, so a
new key can be put in front while values sealed with the old one are still read and resealed with the new
one as they are used (or all at once with ``flask --app casework reseal-secrets``).

A value without the prefix was stored before migration 0850 (plain text): it is read as it is and
reported as needing a seal, so its caller stores it sealed. A sealed value no key opens is an error, never
a wrong value: ``DataKeyError`` says which setting to look at.

``check`` sorts stored values by which key opens them, for ``flask --app casework check-data-keys``: run
before the web server, the worker and beat start, so a wrong or missing key stops the start, naming the
setting, rather than showing as an error page at someone's first sign-in with a code.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from flask import current_app

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

#: Starts every sealed value: what tells it from a plain one stored before migration 0850, and what a
#: later format (another cipher) would change.
PREFIX = "v1:"


class DataKeyError(RuntimeError):
    """A sealed value that none of the configured keys opens: CASEWORK_DATA_KEY lacks the key it was sealed
    with (a key removed too soon, another installation's key, or a development key made up for one run)."""


class Opened(NamedTuple):
    value: str
    #: Stored in plain text, or sealed with a key that is no longer the first: store it again, sealed.
    needs_sealing: bool


def new_key() -> str:
    """A new key, as ``Fernet.generate_key`` makes one."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def is_key(text: str) -> bool:
    """Whether ``text`` is a Fernet key (32 bytes in URL-safe base64), as Fernet itself checks: here without
    loading ``cryptography``, which only signing in with a code needs (bench/memory.py)."""
    try:
        return len(base64.urlsafe_b64decode(text.encode("ascii"))) == 32
    except (binascii.Error, ValueError):
        return False


def parse_keys(value: object) -> list[str]:
    """The keys of a CASEWORK_DATA_KEY value: one key, or several separated by commas, spaces or new
    lines (a JSON list too, as the environment loader turns one into a list), newest first."""
    if isinstance(value, list | tuple):
        items = [str(item) for item in value]
    else:
        items = str(value or "").replace(",", " ").split()
    return [item.strip() for item in items if item.strip()]


#: The key of a development or test process started with no CASEWORK_DATA_KEY: made once per process,
#: so every app the process builds (the tests build many) opens what another sealed.
_PROCESS_KEY = new_key()


def process_key() -> str:
    return _PROCESS_KEY


def _cipher(keys: Sequence[str]) -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([Fernet(key.encode()) for key in keys])


def _keys() -> list[str]:
    return list(current_app.config["CASEWORK"]["DATA_KEY"])


def temporary_key_in_use() -> bool:
    """Whether this process seals with a key made up for it (development or tests with no setting): what
    it seals cannot be read once it stops."""
    return bool(current_app.config["CASEWORK"].get("DATA_KEY_IS_TEMPORARY"))


def seal(value: str) -> str:
    return PREFIX + _cipher(_keys()[:1]).encrypt(value.encode()).decode()


def _opened_by(keys: Sequence[str], token: bytes) -> str | None:
    from cryptography.fernet import InvalidToken

    try:
        return _cipher(keys).decrypt(token).decode()
    except InvalidToken:
        return None


@dataclass
class KeyCheck:
    """Stored values sorted by what opens them (``check``)."""

    #: Sealed values the newest key opens.
    newest: int = 0
    #: Sealed values only an older key opens: sealed again when used, or by ``reseal-secrets``.
    older: int = 0
    #: Plain values from before migration 0850.
    plain: int = 0
    #: Sealed values no configured key opens: each would be an error when it is used.
    unopened: int = 0

    @property
    def total(self) -> int:
        return self.newest + self.older + self.plain + self.unopened


def check(stored_values: Iterable[str]) -> KeyCheck:
    """Which configured key opens each of ``stored_values``. The ciphers are made once, not per value as
    ``open_sealed`` makes them: a value costs one HMAC per key tried and a decryption of a few bytes."""
    from cryptography.fernet import InvalidToken

    def opens(cipher: MultiFernet | None, token: bytes) -> bool:
        if cipher is None:
            return False
        try:
            cipher.decrypt(token)
        except InvalidToken:
            return False
        return True

    newest, *older = _keys()
    by_newest = _cipher([newest])
    by_older = _cipher(older) if older else None
    found = KeyCheck()
    for stored in stored_values:
        if not stored.startswith(PREFIX):
            found.plain += 1
            continue
        token = stored.removeprefix(PREFIX).encode()
        if opens(by_newest, token):
            found.newest += 1
        elif opens(by_older, token):
            found.older += 1
        else:
            found.unopened += 1
    return found


def open_sealed(stored: str) -> Opened:
    if not stored.startswith(PREFIX):
        return Opened(stored, needs_sealing=True)  # plain, from before migration 0850
    token = stored.removeprefix(PREFIX).encode()
    newest, *older = _keys()
    value = _opened_by([newest], token)
    if value is not None:
        return Opened(value, needs_sealing=False)
    value = _opened_by(older, token) if older else None
    if value is not None:
        return Opened(value, needs_sealing=True)
    raise DataKeyError(
        "A stored secret was sealed with a key that CASEWORK_DATA_KEY does not hold: put that key back "
        "(after the newest), see docs/operations.md."
    )
