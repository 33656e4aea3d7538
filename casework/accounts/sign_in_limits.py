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

Every attempt takes its place in both limits *before* its password or code is checked, and gives it back
afterwards unless it failed (``record_failure``): a successful sign-in, a form sent incomplete, a refused
attempt (``casework.core.failure_limits``, which says why: however many attempts arrive at the same
moment, no more of them are checked than the limits allow).

A refused attempt answers 429 with ``Retry-After`` before the password is even checked, so a locked
account is refused with the right password too. Counters live in the limiter's storage (Redis when the
broker is Redis); when that storage cannot be reached, Flask-Limiter counts in the worker's memory
instead (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``, configured in ``casework.config``) and logs it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, render_template, request, session, url_for
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import RateLimitItemPerSecond

from casework.core import failure_limits
from casework.core.forms import FlaskForm
from casework.core.keyed import keyed_digest
from casework.extensions import limiter

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
# gives it back unless the attempt failed: casework.core.failure_limits).
_account = limiter.shared_limit(
    _account_limit, scope=ACCOUNT_SCOPE, key_func=account_key, on_breach=_refused, methods=["POST"]
)
_address = limiter.shared_limit(
    _address_limit, scope=ADDRESS_SCOPE, key_func=address_key, on_breach=_refused, methods=["POST"]
)
_counting_failures_only = failure_limits.counting_failures_only(ACCOUNT_SCOPE, ADDRESS_SCOPE)


def limited(view: Callable[..., Any]) -> Callable[..., Any]:
    """Apply both sign-in limits to a view that checks credentials (its POST requests): the attempt takes
    a place in each before the view runs (or is refused), and gives them back unless it failed."""
    return _counting_failures_only(_address(_account(view)))


def record_failure(email: str) -> None:
    """Count this request as a failed attempt for ``email`` (it keeps the places it took in the limits)
    and, when this failure starts the account's lock, tell the account holder."""
    failure_limits.failed()
    if _starts_lock():
        from casework.accounts.services import tell_account_locked

        tell_account_locked(email, lock_minutes())


def _starts_lock() -> bool:
    """Whether this failure starts the account's lock: it filled the account limit's longest window,
    and it is the first failure to claim this lock. Failures made at the same moment may all find the
    window full; the lock is known by when its window ends (its oldest failure's time), and only one of
    them claims it."""
    windows = failure_limits.taken((ACCOUNT_SCOPE,))
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
