"""The second factor: a code from an authenticator app (TOTP, RFC 6238, with pyotp), or a recovery code.

- Setting up: the page shows a new secret as a QR code (drawn as SVG here by segno, never sent to an
  outside QR service) and as text; the user proves their app has it by typing a code, and gets ten
  recovery codes, shown once and stored only as argon2id hashes (``_recovery_hasher``).
- Signing in (pages and ``POST /api/v1/auth/tokens``): a user with a second factor gives a current code
  or an unused recovery code. A code is accepted once (``User.totp_last_step``), so one seen over a
  shoulder cannot be replayed.
- Required: an area's ``accounts.second_factor_required`` setting makes it compulsory for managers,
  administrators and coordinators of agencies covering the area; those without one set it up when they
  next sign in (``must_set_up``).

- Turning it off and making new recovery codes: the user gives their password again first (the
  views), and is emailed about it either way (``disable``, ``make_new_recovery_codes``), so a session
  left open or taken cannot quietly weaken the account.
- Any change to it (set up, turned off, removed by an administrator, new recovery codes) is a change to
  how the user proves who they are, as a new password is: it signs them out everywhere
  (``accounts.services.end_sessions``: sessions, API tokens, the calendar link). A session opened with
  the password alone before the app was set up, or left open on a computer when the phone was lost,
  does not outlive it. The browser that made the change themselves gets a fresh session
  (``sessions.stay_signed_in``).

The secret is stored sealed (``casework.core.data_keys``: encrypted with CASEWORK_DATA_KEY, a key kept
outside the database), so that whoever reads the users table cannot compute anyone's codes. Only
``store_secret`` and ``secret_of`` read or write ``User.totp_secret``; nothing else sees the sealed form.

These functions change the session and write the audit log; they never commit.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from casework.accounts import notices
from casework.accounts.models import RecoveryCode, User
from casework.accounts.notices import SIGNED_OUT as SIGNED_OUT  # the sentence its emails share
from casework.accounts.services import area_settings, end_sessions
from casework.accounts.settings import SECOND_FACTOR_REQUIRED
from casework.audit.models import AuditAction
from casework.audit.services import record
from casework.core import data_keys
from casework.core.db import end_read_transaction, rows_changed
from casework.core.inputs import is_digits
from casework.core.keyed import keyed_digest
from casework.core.permissions import Role
from casework.core.time import now
from casework.extensions import db

ISSUER = "Casework"
#: Roles that must use a second factor where their area requires it.
REQUIRED_FOR = (Role.manager, Role.admin, Role.coordinator)
RECOVERY_CODE_COUNT = 10
#: A code from the previous or next 30-second step is accepted too: phone clocks drift.
VALID_WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def new_set_up_nonce() -> str:
    """What the session keeps while the set-up page waits for the first code: a random value from which
    ``set_up_secret`` derives the secret the page shows. Never the secret itself: the session cookie is
    signed, not encrypted, so whatever sees it (a proxy's log, a copied browser profile) reads it, and
    the secret opens the account's second factor for years."""
    return secrets.token_urlsafe(16)


#: Keys ``set_up_secret``'s HMAC to this one use of the secret key.
_SET_UP_PURPOSE = b"casework second factor set-up "


def set_up_secret(user: User, nonce: str) -> str:
    """The secret the set-up page shows ``user`` for ``nonce``: keyed with the service's secret key, so
    the nonce alone, read from the cookie, gives nothing. Base32, 160 bits (RFC 4226's recommended
    length, as ``new_secret``)."""
    mac = keyed_digest(_SET_UP_PURPOSE, f"{user.id} {nonce}".encode()).digest()
    return base64.b32encode(mac[:20]).decode()


def store_secret(user: User, secret: str | None) -> None:
    """Keep ``secret`` as the user's authenticator secret (None: no second factor), sealed."""
    user.totp_secret = data_keys.seal(secret) if secret is not None else None


def secret_of(user: User) -> str | None:
    """The user's authenticator secret, opened; None without a second factor. Raises
    ``data_keys.DataKeyError`` when CASEWORK_DATA_KEY lacks the key it was sealed with: never a wrong
    secret, which would refuse every code as though mistyped."""
    if user.totp_secret is None:
        return None
    return data_keys.open_sealed(user.totp_secret).value


def _reseal(user_id: int, stored: str, secret: str) -> int:
    """Store ``secret`` sealed with the newest key in place of ``stored`` (plain from before migration 0850,
    or sealed with an older key), unless the secret changed meanwhile (turned off, set up again). Returns
    the rows changed (0 or 1)."""
    result = db.session.execute(
        sa.update(User)
        .where(User.id == user_id, User.totp_secret == stored)
        .values(totp_secret=data_keys.seal(secret))
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result)


def reseal_all() -> int:
    """Seal with the newest key every secret stored in plain text or with an older key (after a new key is
    put first in CASEWORK_DATA_KEY, before the old one is removed). Returns how many were sealed again."""
    stored_secrets = db.session.execute(
        sa.select(User.id, User.totp_secret).where(User.totp_secret.is_not(None)).order_by(User.id)
    ).all()
    resealed = 0
    for user_id, stored in stored_secrets:
        opened = data_keys.open_sealed(stored)
        if opened.needs_sealing:
            resealed += _reseal(user_id, stored, opened.value)
    return resealed


#: Secrets read from the database at a time by ``check_secrets``.
_CHECK_BATCH = 2000


def check_secrets() -> data_keys.KeyCheck:
    """Which configured key opens each stored secret: every one, read in batches (``check-data-keys``).
    All of them, not a sample: the secrets a rotation left sealed with a removed key are those of users
    who have not signed in since, a few among many, which a sample would miss."""
    stored_secrets = db.session.scalars(
        sa.select(User.totp_secret)
        .where(User.totp_secret.is_not(None))
        .order_by(User.id)
        .execution_options(yield_per=_CHECK_BATCH)
    )
    return data_keys.check(secret for secret in stored_secrets if secret is not None)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """The set-up QR code as an SVG ``data:`` URI, for an ``<img>`` (the pages allow no inline SVG style)."""
    import segno  # only the set-up page draws one: not loaded by every worker at start

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#0b0c0c", light="#ffffff")


def grouped(secret: str) -> str:
    """The secret in groups of four, as people type it into an app: ``ABCD EFGH ...``."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code is ``code`` (within the allowed drift), or None."""
    digits = _clean(code)
    if not (is_digits(digits) and len(digits) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = now()
    current = totp.timecode(moment)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = current + offset
        if secrets.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def code_matches_secret(secret: str, code: str) -> bool:
    """For setting up: does the app the user just configured show this code?"""
    return _matching_step(secret, code) is not None


#: Recovery codes are hashed with argon2id, salted, as NIST SP 800-63B (5.1.2.2) asks of look-up secrets
#: under 112 bits: whoever reads the ``recovery_codes`` table (a backup, a replica, a leaked dump) must
#: pay an argon2 check for each guess of each code. Lighter than the passwords' hasher (RFC 9106's 64 MiB,
#: three passes): the codes are random, not chosen by people, so no guess is likelier than another, and
#: OWASP's minimum for argon2id (19 MiB, two passes, one lane) still makes trying a code's 2**36 values
#: take years of computing. Ten of them are made at once, while the user waits for the page.
_recovery_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
#: A recovery code is ten hex digits, ``sxxxx-xxxxx``: its selector ``s`` (0 to 9, its place in the list
#: shown, which names its row so that a wrong guess costs one argon2 check, not ten), then 36 random
#: bits, the secret.
_RECOVERY_LENGTH = 10
_HEX = frozenset("0123456789abcdef")


def _new_recovery_code(selector: int) -> tuple[str, str]:
    """A new code with ``selector`` as it is shown, and its secret part (what is hashed)."""
    secret = secrets.token_hex(5)[:9]  # 36 random bits
    code = f"{selector}{secret}"
    return f"{code[:5]}-{code[5:]}", secret


def _old_recovery_digest(code: str) -> str:
    """What was stored for a code made before migration 0820 (an unsalted SHA-256); such rows now hold
    argon2id of it."""
    return hashlib.sha256(code.encode()).hexdigest()


def _hash_recovery(secret: str) -> str:
    return _recovery_hasher.hash(secret)


def _recovery_matches(code_hash: str, secret: str) -> bool:
    try:
        return _recovery_hasher.verify(code_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def replace_recovery_codes(user: User) -> list[str]:
    """New recovery codes for ``user`` (the old ones stop working). Returns them: they are shown once."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    made = [_new_recovery_code(selector) for selector in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, selector=selector, code_hash=_hash_recovery(secret))
        for selector, (_shown, secret) in enumerate(made)
    )
    db.session.flush()
    return [shown for shown, _secret in made]


def _use_recovery_code(user: User, code: str) -> bool:
    """Whether ``code`` is an unused recovery code of ``user``, using it up.

    The rows it may be: the unused one its selector names, and any unused one made before migration
    0820 (no selector; a user has those until they make new codes, and only those then). The hash is
    checked first (slow, on purpose), then the row is spent with a conditional UPDATE whose row count
    decides: of two requests with the same code at the same moment, only one changes the row."""
    typed = _clean(code)
    if len(typed) != _RECOVERY_LENGTH or not set(typed) <= _HEX:
        return False  # not the shape of a recovery code: no hash is checked
    selector = int(typed[0]) if is_digits(typed[0]) else None
    candidates = db.session.execute(
        sa.select(RecoveryCode.id, RecoveryCode.selector, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.used_at.is_(None),
            sa.or_(RecoveryCode.selector.is_(None), RecoveryCode.selector == selector)
            if selector is not None
            else RecoveryCode.selector.is_(None),
        )
    ).all()
    if candidates:
        end_read_transaction()  # on SQLite, no write lock held while the hashes are checked
    for row_id, row_selector, code_hash in candidates:
        secret = typed[1:] if row_selector is not None else _old_recovery_digest(typed)
        if not _recovery_matches(code_hash, secret):
            continue
        result = db.session.execute(
            sa.update(RecoveryCode)
            .where(RecoveryCode.id == row_id, RecoveryCode.used_at.is_(None))
            .values(used_at=now())
            .execution_options(synchronize_session=False)
        )
        return bool(rows_changed(result))  # 0: used a moment ago by another request
    return False


def make_new_recovery_codes(user: User) -> list[str]:
    """The user made new recovery codes (having given their password again): the old ones stop
    working, and the user is told by email in case it was not them. Returns the codes: shown once."""
    codes = replace_recovery_codes(user)
    _signs_out_everywhere(user, user)
    record(user, AuditAction.update, user, "Made new recovery codes")
    notices.new_recovery_codes(user)
    return codes


def _signs_out_everywhere(user: User, actor: User | None) -> None:
    """A change to the second factor ends every session and token of ``user`` (the module's docstring)."""
    end_sessions(user, actor)


def unused_recovery_codes(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def enable(user: User, secret: str, code: str) -> list[str] | None:
    """Turn the second factor on with ``secret`` once ``code`` shows the app has it. Returns the recovery
    codes to show, or None when the code is wrong (nothing changes)."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    store_secret(user, secret)
    user.totp_last_step = step
    user.second_factor_enabled_at = now()
    codes = replace_recovery_codes(user)
    _signs_out_everywhere(user, user)
    changes = {"second_factor": [False, True]}
    record(user, AuditAction.update, user, "Set up a second factor (authenticator app)", changes)
    return codes


def disable(actor: User | None, user: User) -> None:
    """Turn the second factor off (an administrator, for a lost phone; or the user, where not required,
    having given their password again). The user is told by email in case it was not them."""
    store_secret(user, None)
    user.totp_last_step = None
    user.second_factor_enabled_at = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    _signs_out_everywhere(user, actor)
    db.session.flush()
    by_someone_else = actor is not None and actor.id != user.id
    summary = "Removed the second factor" if by_someone_else else "Turned off the second factor"
    record(actor, AuditAction.update, user, f"{summary} of {user.email}", {"second_factor": [True, False]})
    notices.second_factor_turned_off(user, by_someone_else=by_someone_else)


def verify(user: User, code: str | None) -> bool:
    """Whether ``code`` is a current authenticator code (not used before) or an unused recovery code of
    ``user``. A code that works is used up.

    Using one up is a conditional UPDATE whose row count decides, not a read and then a write: two
    requests with the same code at the same moment (a code seen over a shoulder and typed at once)
    cannot both sign in with it."""
    stored = user.totp_secret
    if not code or stored is None:
        return False
    opened = data_keys.open_sealed(stored)
    step = _matching_step(opened.value, code)
    if step is not None:
        # Record this time step as used only if no later or equal one was: the replay check and the
        # write are one statement.
        result = db.session.execute(
            sa.update(User)
            .where(
                User.id == user.id,
                User.totp_secret.is_not(None),
                sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(user, ["totp_last_step"])
        if not rows_changed(result):
            return False  # seen already, a replay
        if opened.needs_sealing:
            _reseal(user.id, stored, opened.value)
            db.session.expire(user, ["totp_secret"])
        return True
    if not _use_recovery_code(user, code):
        return False  # not a recovery code of the user's, or used (perhaps a moment ago)
    record(user, AuditAction.update, user, "Used a recovery code to sign in")
    return True


def is_required(user: User) -> bool:
    """Whether an area of the user's agency requires a second factor of someone with the user's roles."""
    if not any(user.has_role(role) for role in REQUIRED_FOR):
        return False
    areas = user.agency.areas or [None]  # an agency covering no area follows the deployment-wide value
    return any(area_settings(area).get(SECOND_FACTOR_REQUIRED, False) for area in areas)


def must_set_up(user: User) -> bool:
    return not user.has_second_factor and is_required(user)
