"""Sign-in limits that stop password guessing without stopping a council office.

Only failed attempts count; a successful sign-in never does. Two limits apply, shared by every way in
(the sign-in page, the second-factor page, the pages where a signed-in user gives their password again
before changing their second factor, and ``POST /api/v1/auth/tokens``), so guessing on one does
not reset or bypass the other:

- **per account**: failures for the submitted email address, whether or not an account has it (so the
  answer never reveals which addresses are known). The default, ``5 per minute; 10 per 15 minutes;
  15 per hour`` (``CASEWORK_SIGN_IN_ACCOUNT_LIMIT``), gives growing delays and then a temporary lock of
  up to an hour. The account holder is emailed once when the lock starts (however many failures
  fill the limit at the same moment).
- **per client address**: ``300 per 10 minutes`` (``CASEWORK_SIGN_IN_ADDRESS_LIMIT``). Two hundred staff
  behind one NAT address who each mistype their password once in ten minutes stay under it; one address
  trying many accounts does not.

Every attempt takes its place in both limits *before* its password or code is checked, in one atomic
step of the storage (Flask-Limiter's hit: the moving window's ``acquire_entry``), and gives it back
afterwards unless it failed (``record_failure``): a successful sign-in, a form sent incomplete, a refused
attempt. So however many attempts arrive at the same moment, no more of them are checked than the
limits allow (testing the limit first and counting the failure after the answer would let a whole burst
through on the account's last attempt). Attempts still being checked hold their places, so an attempt
made at the same moment as many others may be refused while they are; a success gives its place back
as soon as it has answered.

A refused attempt answers 429 with ``Retry-After`` before the password is even checked, so a locked
account is refused with the right password too. Counters live in the limiter's storage (Redis when the
broker is Redis); when that storage cannot be reached, Flask-Limiter counts in the worker's memory
instead (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``, configured in ``casework.config``) and logs it.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from flask import Response, current_app, g, render_template, request, session, url_for
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage

from casework.core.forms import FlaskForm
from casework.core.keyed import keyed_digest
from casework.extensions import limiter

if TYPE_CHECKING:
    import redis

ACCOUNT_SCOPE = "sign-in-account"
ADDRESS_SCOPE = "sign-in-address"
#: Where a lock's notice to the account holder is claimed, so that one failure sends it.
LOCK_NOTICE_SCOPE = "sign-in-lock-notice"

#: Pages where a signed-in user gives their password again (before a change to their second factor):
#: a wrong one counts against their own account's limit.
CONFIRMS_PASSWORD = frozenset(
    {"staff.accounts.recovery_codes", "staff.accounts.second_factor_turn_off", "staff.accounts.password_change"}
)

#: Where the second-factor page finds the email address that passed the password check.
PENDING_EMAIL_KEY = "pending_sign_in_email"


def _account_limit() -> str:
    return current_app.config["CASEWORK"]["SIGN_IN_ACCOUNT_LIMIT"]


def _address_limit() -> str:
    return current_app.config["CASEWORK"]["SIGN_IN_ADDRESS_LIMIT"]


def submitted_email() -> str:
    """The email address this attempt is for: the form's or the JSON body's ``email``, or, on the
    second-factor page, the one whose password was right."""
    if request.endpoint == "staff.accounts.sign_in_code":
        value: Any = session.get(PENDING_EMAIL_KEY)
    elif request.endpoint in CONFIRMS_PASSWORD:
        value = current_user.email if current_user.is_authenticated else ""
    elif request.is_json:
        body = request.get_json(silent=True)
        value = body.get("email") if isinstance(body, dict) else None
    else:
        value = request.form.get("email")
    return value.strip().lower() if isinstance(value, str) else ""


#: Keys ``account_key``'s HMAC to this one use of the secret key.
_ACCOUNT_KEY_PURPOSE = b"sign-in-limit-account "


def account_key() -> str:
    # An HMAC keyed with the secret key: the limiter's storage (Redis, which no retention run reaches)
    # holds no email address, and not a plain SHA-256 of one either, which a list of the council's
    # addresses would turn back into the address. Any submitted text makes a valid key. A change of
    # the secret key starts the counts again.
    submitted = submitted_email().encode("utf-8", "surrogatepass")
    return "account:" + keyed_digest(_ACCOUNT_KEY_PURPOSE, submitted).hexdigest()[:32]


def address_key() -> str:
    return "address:" + (get_remote_address() or "unknown")


def _minutes(request_limit: RequestLimit) -> int:
    # From the window's own end (``reset_at`` adds a second to it): a 15-minute lock says 15 minutes.
    return max(1, math.ceil((request_limit.window[0] - time.time()) / 60))


@dataclass(frozen=True)
class Refusal:
    """Why an attempt was refused: how long to wait, and whether it is the account's own limit (the
    account is locked, wherever its password is given) or the client address's."""

    minutes: int
    account_locked: bool

    @property
    def wait(self) -> str:
        return f"{self.minutes} minute{'s' if self.minutes != 1 else ''}"


def _refused(request_limit: RequestLimit) -> Response | None:
    """The answer to an attempt over a limit, saying how long to wait where it was made: JSON for the
    API, the page asking for the password again (``CONFIRMS_PASSWORD``) in its own words, else the
    sign-in page."""
    refusal = Refusal(_minutes(request_limit), request_limit.request_args[-1] == ACCOUNT_SCOPE)
    if request.path.startswith("/api/"):
        from casework.core.errors import json_error

        return json_error(429, message=f"Too many failed attempts. Try again in {refusal.wait}.")
    if request.endpoint in CONFIRMS_PASSWORD:
        from casework.accounts.views.staff import confirm_refused

        html = confirm_refused(request.endpoint, refusal)
    else:
        from casework.accounts.forms import SignInForm

        form: FlaskForm = SignInForm(formdata=None)
        message = f"Too many failed attempts to sign in. Wait {refusal.wait} and try again."
        form.form_errors.append(message)
        # Refused on the code page, the form still signs in afresh (that page's own form takes a code).
        sign_in = "staff.accounts.sign_in"
        action = None if request.endpoint == sign_in else url_for(sign_in)
        html = render_template("accounts/sign_in.html", form=form, title="Sign in", action=action)
    return current_app.response_class(html, status=429, mimetype="text/html")


# No ``deduct_when``: that tests the limit before the request and counts the failure after it, so
# attempts made at the same moment all pass the test. Each attempt takes its place instead (``limited``
# gives it back unless the attempt failed).
_account = limiter.shared_limit(
    _account_limit, scope=ACCOUNT_SCOPE, key_func=account_key, on_breach=_refused, methods=["POST"]
)
_address = limiter.shared_limit(
    _address_limit, scope=ADDRESS_SCOPE, key_func=address_key, on_breach=_refused, methods=["POST"]
)


def limited(view: Callable[..., Any]) -> Callable[..., Any]:
    """Apply both sign-in limits to a view that checks credentials (its POST requests): the attempt takes
    a place in each before the view runs (or is refused), and gives them back unless it failed."""
    checked = _address(_account(view))

    @functools.wraps(view)
    def attempt(*args: Any, **kwargs: Any) -> Any:
        try:
            return checked(*args, **kwargs)
        finally:
            if not g.get("sign_in_failed"):
                _give_back()

    return attempt


def _taken() -> list[RequestLimit]:
    """The places this request took in the sign-in limits (a limit it was over took none)."""
    return [
        item
        for item in limiter.current_limits
        if not item.breached and item.request_args[-1] in (ACCOUNT_SCOPE, ADDRESS_SCOPE)
    ]


def _give_back() -> None:
    """Give back the places this request took: it was not a failed attempt."""
    taken = _taken()
    if not taken:
        return
    try:
        storage = limiter.limiter.storage
        for item in taken:
            _remove_newest_entry(storage, item.key)
    except Exception:  # the storage went away mid-request: the attempt counts, which errs on the safe side
        current_app.logger.warning("Could not give back a sign-in attempt's place in the limits", exc_info=True)


def _remove_newest_entry(storage: Storage, key: str) -> None:
    """Remove the newest entry of a moving window, atomically. It is this request's own or one taken
    after it by an attempt still running: either way the window holds one entry fewer, and the entry
    left is the older, so the window frees no later than it would have without this request."""
    if isinstance(storage, RedisStorage):
        # The window is a list, newest first (``acquire_moving_window.lua`` pushes on the left).
        connection = cast("redis.Redis", storage.get_connection())
        connection.lpop(storage.prefixed_key(key))
    elif isinstance(storage, MemoryStorage):
        # The window is a list of entries, newest first, changed under the key's lock.
        with storage.locks[key]:
            if events := storage.events.get(key):
                del events[0]
    else:  # casework.config allows only these two
        raise TypeError(f"Cannot give back a sign-in attempt in {type(storage).__name__}")


def record_failure(email: str) -> None:
    """Count this request as a failed attempt for ``email`` (it keeps the places it took in the limits)
    and, when this failure starts the account's lock, tell the account holder."""
    g.sign_in_failed = True
    if _starts_lock():
        from casework.accounts.services import tell_account_locked

        tell_account_locked(email, lock_minutes())


def _starts_lock() -> bool:
    """Whether this failure starts the account's lock: it filled the account limit's longest window,
    and it is the first failure to claim this lock. Failures made at the same moment may all find the
    window full; the lock is known by when its window ends (its oldest failure's time), and only one of
    them claims it."""
    windows = [item for item in _taken() if item.request_args[-1] == ACCOUNT_SCOPE]
    if not windows:
        return False
    lock = max(windows, key=lambda item: item.limit.get_expiry())
    try:
        window = limiter.limiter.get_window_stats(lock.limit, *lock.request_args)
        if window.remaining > 0:
            return False
        notice = RateLimitItemPerSecond(1, lock.limit.get_expiry())
        return limiter.limiter.hit(notice, *lock.request_args[:-1], LOCK_NOTICE_SCOPE, repr(window.reset_time))
    except Exception:  # the storage went away mid-request: the limit still holds, the email can wait
        current_app.logger.warning("Could not read the sign-in limit for the lock notice", exc_info=True)
        return False


def lock_minutes() -> int:
    """How long the lock that starts now lasts: the account limit's longest window."""
    from limits import parse_many

    return max(item.get_expiry() for item in parse_many(_account_limit())) // 60
