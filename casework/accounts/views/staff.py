"""Signing in and out of the pages, and the signed-in user's own account (the second factor).

Signing in takes one or two steps. The password first; then, for a user with a second factor, a code
from their authenticator app (or a recovery code) on a page of its own. Both steps count failures
against the same sign-in limits (``casework.accounts.sign_in_limits``). A user whose area requires a
second factor and who has none is signed in and sent to set one up before any other page.
"""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from casework.accounts import queries, second_factor, services, sessions, sign_in_limits
from casework.accounts.forms import CodeForm, ConfirmPasswordForm, PasswordChangeForm, SignInForm
from casework.accounts.models import User
from casework.core import submissions
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.forms import show_service_errors
from casework.core.permissions import public_endpoint, signed_in
from casework.core.urls import site_path
from casework.extensions import db

bp = Blueprint("accounts", __name__)

#: The user whose password was right and who still owes a code: (user id, session stamp, started at).
PENDING_KEY = "pending_sign_in"
#: How long the code page waits for the code after the password.
PENDING_SECONDS = 5 * 60
#: Set at sign-in when the user must set up a second factor before anything else (see the shells).
SET_UP_KEY = "second_factor_set_up_required"
#: What the secret being set up is derived from (``second_factor.set_up_secret``), kept in the session
#: until the user's app proves it has the secret: never the secret itself, which the cookie would show.
SET_UP_APP_KEY = "second_factor_setup_nonce"
#: Where to go once the second step is done.
NEXT_KEY = "sign_in_next"


def _safe_next(target: str | None) -> str:
    """Only follow a ``next`` that stays on this site (``core.urls.site_path``)."""
    return site_path(target) or url_for("staff.dashboard.index")


def _complete_sign_in(user: User, next_url: str, how: str = "Signed in") -> str:
    """Record the sign-in, start the session; returns where to go."""
    services.record_sign_in(user, how)
    must_set_up = second_factor.must_set_up(user)
    sessions.sign_in(user)
    commit()
    if must_set_up:
        session[SET_UP_KEY] = True
        session[NEXT_KEY] = next_url
        return url_for("staff.accounts.second_factor_set_up")
    return next_url


@bp.route("/sign-in", methods=["GET", "POST"])
@public_endpoint
@sign_in_limits.limited
def sign_in():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        user = services.check_password(form.email.data, form.password.data)
        if user is None:
            sign_in_limits.record_failure(form.email.data)
            commit()  # keep the audit entry for the failed attempt
            form.email.errors = [*form.email.errors, "Enter a correct email address and password"]
        elif user.has_second_factor:
            commit()
            session.clear()
            session[PENDING_KEY] = (user.id, user.session_stamp, int(time.time()))
            session[sign_in_limits.PENDING_EMAIL_KEY] = user.email
            session[NEXT_KEY] = _safe_next(request.args.get("next"))
            return redirect(url_for(".sign_in_code"))
        else:
            return redirect(_complete_sign_in(user, _safe_next(request.args.get("next"))))
    status = 200 if not form.errors else 422
    return render_template("accounts/sign_in.html", form=form), status


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    try:
        user_id, stamp, started = pending
    except (TypeError, ValueError):
        return None
    if time.time() - started > PENDING_SECONDS:
        return None
    user = queries.user_with_id(user_id)
    if user is None or not user.is_active or user.session_stamp != stamp or not user.has_second_factor:
        return None
    return user


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public_endpoint
@sign_in_limits.limited
def sign_in_code():
    """The second step: the code from the user's authenticator app, or a recovery code."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        if request.method == "POST" or session.get(sign_in_limits.PENDING_EMAIL_KEY):
            flash("Sign in again: the code was not entered in time.", "important")
        session.pop(sign_in_limits.PENDING_EMAIL_KEY, None)
        return redirect(url_for(".sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        if second_factor.verify(user, form.code.data):
            next_url = session.get(NEXT_KEY) or url_for("staff.dashboard.index")
            return redirect(_complete_sign_in(user, _safe_next(next_url), "Signed in with a second factor"))
        sign_in_limits.record_failure(user.email)
        services.record_failed_code(user)
        commit()
        form.code.errors = [*form.code.errors, "The code is not right. Enter the code your app shows now"]
    status = 200 if not form.errors else 422
    return render_template("accounts/sign_in_code.html", form=form), status


@bp.post("/sign-out")
@signed_in
def sign_out():
    services.record_sign_out(current_user._get_current_object())
    sessions.end_current()
    commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("staff.accounts.sign_in"))


@bp.post("/account/sign-out-everywhere")
@signed_in
def sign_out_everywhere():
    """End every session of the signed-in user (this browser's too), their API tokens and their private
    calendar link (``services.end_sessions``): a phone or a shared computer left signed in. No password is
    asked: it only takes access away, and this browser's session ends with the others, so a session
    someone else holds cannot be used to shut the user out and keep its own."""
    user = current_user._get_current_object()
    services.end_sessions(user, user)
    services.record_sign_out(user, "Signed out everywhere")
    commit()
    logout_user()
    session.clear()
    flash(
        "You have signed out everywhere: on every computer and phone, and from the API. "
        "Your private calendar link has stopped working.",
        "success",
    )
    return redirect(url_for("staff.accounts.sign_in"))


# --- the user's own account ----------------------------------------------------------------------------


@bp.get("/account")
@signed_in
def account():
    user = current_user._get_current_object()
    return render_template(
        "accounts/account.html",
        user=user,
        required=second_factor.is_required(user),
        recovery_codes_left=second_factor.unused_recovery_codes(user) if user.has_second_factor else 0,
    )


@bp.route("/account/second-factor", methods=["GET", "POST"])
@submissions.shows_once(
    "This form was sent more than once (the button pressed twice, or the page loaded again). Your second "
    "factor was set up the first time, and your recovery codes were made then: the codes on the page that "
    "answered it are the ones that work. Nothing was changed the second time. If that page did not appear, "
    "or you did not write the codes down, make new recovery codes here.",
    # The page that makes new codes: the page showing the first ones may never have been shown (a
    # second press with JavaScript off drops it), and the user must not be left without codes.
    then="staff.accounts.recovery_codes",
)
@signed_in
def second_factor_set_up():
    """Set up the authenticator app: a QR code (or the key as text), then a code to prove it works."""
    user = current_user._get_current_object()
    if user.has_second_factor:
        return redirect(url_for(".account"))
    form = CodeForm()
    nonce = session.get(SET_UP_APP_KEY)
    showing_a_new_secret = not form.is_submitted() or not isinstance(nonce, str)
    if showing_a_new_secret:
        nonce = session[SET_UP_APP_KEY] = second_factor.new_set_up_nonce()
    secret = second_factor.set_up_secret(user, nonce)
    if not showing_a_new_secret and form.validate():
        codes = second_factor.enable(user, secret, form.code.data)
        if codes is not None:
            commit()
            session.pop(SET_UP_APP_KEY, None)
            required = session.pop(SET_UP_KEY, None)
            next_url = _safe_next(session.pop(NEXT_KEY, None)) if required else url_for(".account")
            sessions.stay_signed_in(user)  # setting it up signed the user out everywhere else
            return render_template(
                "accounts/recovery_codes.html",
                codes=codes,
                next_url=next_url,
                title="Your second factor is set up",
            )
        form.code.errors = [*form.code.errors, "The code is not right. Enter the code your app shows now"]
    uri = second_factor.provisioning_uri(user, secret)
    status = 200 if not form.errors else 422
    return (
        render_template(
            "accounts/second_factor_set_up.html",
            form=form,
            qr_code=second_factor.qr_code_data_uri(uri),
            secret=second_factor.grouped(secret),
            required=bool(session.get(SET_UP_KEY)),
        ),
        status,
    )


#: What the page asking for the password again says, for each change it guards; ``to_do`` and
#: ``unchanged`` say, when the sign-in limits refuse the password there, what to try again and that
#: nothing was changed.
_CONFIRM_PAGES = {
    "recovery_codes": {
        "title": "Make new recovery codes",
        "intro": "Your new recovery codes replace the ones you have now: those stop working.",
        "button": "Make new recovery codes",
        "warning": False,
        "to_do": "make new recovery codes",
        "unchanged": "Your recovery codes have not changed.",
    },
    "password": {
        "title": "Change your password",
        "intro": "",
        "button": "Change your password",
        "warning": False,
        "to_do": "change your password",
        "unchanged": "Your password has not changed.",
    },
    "turn_off": {
        "title": "Turn off the second factor",
        "intro": "You will sign in with your password only, and your recovery codes will stop working.",
        "button": "Turn off the second factor",
        "warning": True,
        "to_do": "turn off the second factor",
        "unchanged": "Your second factor is still on.",
    },
}
#: The page (its ``_CONFIRM_PAGES`` key) of each endpoint that asks for the password again: every one of
#: ``sign_in_limits.CONFIRMS_PASSWORD``.
_CONFIRM_ENDPOINTS = {
    "staff.accounts.recovery_codes": "recovery_codes",
    "staff.accounts.second_factor_turn_off": "turn_off",
    "staff.accounts.password_change": "password",
}
NOT_CONFIRMED = "The password is not right. Enter the password you use to sign in to Casework"


def _password_confirmed(user: User, form: ConfirmPasswordForm) -> bool:
    """Whether the form was sent with the user's own password. A wrong one goes on the field, counts
    toward the sign-in limits of the user's account, and is audited (committed: nothing else changed)."""
    if not form.validate_on_submit():
        return False
    email = user.email
    if services.confirm_password(user, form.password.data):
        return True
    sign_in_limits.record_failure(email)
    commit()
    form.password.errors = [*form.password.errors, NOT_CONFIRMED]
    return False


def _confirm_page(form: ConfirmPasswordForm, change: str):
    status = 200 if not form.errors else 422
    return render_template("accounts/second_factor_confirm.html", form=form, **_CONFIRM_PAGES[change]), status


def confirm_refused(endpoint: str, refusal: sign_in_limits.Refusal) -> str:
    """The page asking for the password again, when the sign-in limits refuse it there: what happened
    (the account is locked, or this network made too many attempts), for how long, that nothing was
    changed, and what to do. The page's own wording, not the sign-in page's: the user is signed in."""
    return render_template(
        "accounts/password_refused.html", refusal=refusal, **_CONFIRM_PAGES[_CONFIRM_ENDPOINTS[endpoint]]
    )


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
@sign_in_limits.limited
def password_change():
    """The user's own new password, once they give their current one (a wrong one counts toward the
    sign-in limits of their account). Like an administrator's reset it signs them out everywhere
    (``services.update_user``) but here, and they are told by email."""
    user = current_user._get_current_object()
    form = PasswordChangeForm()
    if _password_confirmed(user, form):
        try:
            services.change_own_password(user, form.new_password.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error.errors, {"password": "new_password"})
        else:
            commit()
            sessions.stay_signed_in(user)
            flash(
                "Your password has been changed. You have been signed out on every other computer and phone.", "success"
            )
            return redirect(url_for(".account"))
    status = 200 if not form.errors else 422
    return render_template("accounts/password_change.html", form=form), status


@bp.route("/account/second-factor/recovery-codes", methods=["GET", "POST"])
@submissions.shows_once(
    "This form was sent more than once (the button pressed twice, or the page loaded again). Your new "
    "recovery codes were made the first time, and your old codes stopped working then: the codes on the "
    "page that answered it are the ones that work. No other codes were made. If that page did not appear, "
    "or you did not write the codes down, make new ones here.",
    # Back to this form: the page showing the first codes may never have been shown (a second press with
    # JavaScript off drops it), and the old codes no longer work; new ones are one step away.
    then="staff.accounts.recovery_codes",
)
@signed_in
@sign_in_limits.limited
def recovery_codes():
    """New recovery codes (the old ones stop working), once the user gives their password again; they
    are told by email."""
    user = current_user._get_current_object()
    if not user.has_second_factor:
        return redirect(url_for(".account"))
    form = ConfirmPasswordForm()
    if not _password_confirmed(user, form):
        return _confirm_page(form, "recovery_codes")
    codes = second_factor.make_new_recovery_codes(user)
    commit()
    sessions.stay_signed_in(user)  # new codes signed the user out everywhere else
    return render_template(
        "accounts/recovery_codes.html",
        codes=codes,
        next_url=url_for(".account"),
        title="Your new recovery codes",
    )


@bp.route("/account/second-factor/turn-off", methods=["GET", "POST"])
@signed_in
@sign_in_limits.limited
def second_factor_turn_off():
    """Turn off the second factor where the user's area does not require it, once the user gives their
    password again; they are told by email."""
    user = current_user._get_current_object()
    if not user.has_second_factor:
        return redirect(url_for(".account"))
    if second_factor.is_required(user):
        flash("Your area requires a second factor: ask an administrator if you have lost your phone.", "important")
        return redirect(url_for(".account"))
    form = ConfirmPasswordForm()
    if not _password_confirmed(user, form):
        return _confirm_page(form, "turn_off")
    second_factor.disable(user, user)
    commit()
    sessions.stay_signed_in(user)  # turning it off signed the user out everywhere else
    flash("The second factor is off. You sign in with your password only.", "success")
    return redirect(url_for(".account"))
