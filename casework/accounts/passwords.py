"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations), and the
rules a new password must meet: at least 12 characters and not easily guessed.

"Easily guessed" is zxcvbn's judgement (Dropbox's estimator, run offline against its own lists of common
passwords, names, words and keyboard patterns, plus the user's own name and email address): a score
below 3 of 4 is refused, with zxcvbn's advice. No hand-made list of banned passwords.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 1024
#: zxcvbn's scores run 0 to 4; 3 is "safely unguessable: moderate protection from an offline attack".
MIN_SCORE = 3
#: zxcvbn's own ceiling (its matching grows quickly with length); the rest of a longer password only
#: adds strength, so judging its beginning is enough.
_JUDGED_LENGTH = 72


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


def password_problem(password: str, user_inputs: Iterable[str | None] = ()) -> str | None:
    """Why ``password`` cannot be used, in words for the person choosing it, or None.

    ``user_inputs``: the account's own details (email, name), which make a password easy to guess.
    """
    if len(password) < MIN_LENGTH:
        return f"Password must be at least {MIN_LENGTH} characters long."
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer."
    # Imported here, not at the top: zxcvbn's word lists take some 12 MB, which every web and Celery
    # worker would hold from the start for the few requests that set a password.
    from zxcvbn import zxcvbn

    words = [part for value in user_inputs if value for part in _parts(value)]
    result = zxcvbn(password[:_JUDGED_LENGTH], user_inputs=words)
    if result["score"] < MIN_SCORE:
        advice = [result["feedback"].get("warning") or "", *result["feedback"].get("suggestions", [])]
        detail = " ".join(text.rstrip(".") + "." for text in advice if text)
        return " ".join(["This password is too easy to guess.", detail or "Use three or four unrelated words."])
    return None


def _parts(value: str) -> list[str]:
    """An email address or a name, and its pieces (``olive.officer@bdc.example`` gives ``olive``...)."""
    text = value.strip().lower()
    pieces = [text, *text.replace("@", " ").replace(".", " ").replace("-", " ").split()]
    return [piece for piece in pieces if len(piece) >= 3]
