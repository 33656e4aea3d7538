"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 12


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this when the email is unknown keeps the timing the same as for a wrong
    password, so sign-in does not reveal which addresses have accounts. Made on first use, not at
    import: hashing takes a noticeable time on purpose, and every process (web workers, Celery,
    commands) would pay it at start."""
    return _hasher.hash("not a real password, only for constant timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return f"Password must be at least {MIN_LENGTH} characters long."
    if len(password) > 1024:
        return "Password must be 1024 characters or fewer."
    return None
