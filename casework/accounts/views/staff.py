"""Signing in and out of the pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from casework.accounts import services, sign_in_limits
from casework.accounts.forms import SignInForm
from casework.audit.models import AuditAction
from casework.audit.services import record
from casework.core.db import commit
from casework.core.permissions import public_endpoint, signed_in

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow a ``next`` that stays on this site (an open redirect helps phishing)."""
    # Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil.example" and
    # "/\t/evil.example" both lead to another site: refuse them with anything that is not printable.
    if target and "\\" not in target and target.isprintable() and " " not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("staff.dashboard.index")


@bp.route("/sign-in", methods=["GET", "POST"])
@public_endpoint
@sign_in_limits.limited
def sign_in():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            sign_in_limits.record_failure(form.email.data)
            commit()  # keep the audit entry for the failed attempt
            form.email.errors = [*form.email.errors, "Enter a correct email address and password"]
        else:
            commit()
            # A new session on sign-in, so a session id planted before sign-in is worthless.
            session.clear()
            login_user(user)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
    status = 200 if not form.errors else 422
    return render_template("accounts/sign_in.html", form=form), status


@bp.post("/sign-out")
@signed_in
def sign_out():
    record(current_user, AuditAction.sign_out, current_user._get_current_object(), "Signed out")
    commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("staff.accounts.sign_in"))
