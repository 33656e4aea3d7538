"""The victim's side of the victim page (``/my-case``): sign in by emailed link or texted code, see
their own cases and Case Reviews, keep their ASB diary, stop using it.

A victim is not a user: their session holds the id of their access and the access's count of
sign-outs when it began, both checked on every request, so an access that ended (switched off, or the
victim asked to stop) or a sign-out ends every session at once, copies of the cookie included. A
session also ends after ``CASEWORK_VICTIM_SESSION_IDLE_MINUTES`` without use and
``CASEWORK_VICTIM_SESSION_MAX_HOURS`` after signing in (``idle_seconds``, ``lifetime_seconds``). The
sign-in pages answer the same whether or not an address or number is known.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from casework.audit.services import record_view
from casework.core import uploads as file_content
from casework.core.db import commit, records_view
from casework.core.errors import InvalidInput
from casework.core.forms import ConfirmForm, show_service_errors
from casework.core.permissions import public_endpoint
from casework.extensions import db, limiter
from casework.victims import services
from casework.victims.forms import CodeForm, DiaryForm, EmailSignInForm, MobileSignInForm

bp = Blueprint("victims", __name__, url_prefix="/my-case")

#: The session's keys: the signed-in access, the access's count of sign-outs when the session began
#: (signing out adds one, which ends the session everywhere: ``services.sign_out``), when it began, and
#: a keyed digest of the number a code was asked for (never the number: the cookie can be read).
ACCESS_KEY = "victim_access_id"
SIGN_OUTS_KEY = "victim_sign_outs"
STARTED_KEY = "victim_signed_in_at"
MOBILE_KEY = "victim_code_for"
#: When the victim last did something.
SEEN_KEY = "victim_seen_at"
SERVICE_NAME = "Follow your ASB case"


def _limit() -> str:
    return current_app.config["CASEWORK"]["PUBLIC_FORM_RATE_LIMIT"]


def _page(template: str, title: str, status: int = 200, **context: Any):
    return render_template(template, title=title, service_name=SERVICE_NAME, **context), status


def idle_seconds() -> int:
    """A victim often signs in on a shared or family phone and may not sign out: the session ends after
    ``CASEWORK_VICTIM_SESSION_IDLE_MINUTES`` (20) without a request, or the staff idle time when that
    is shorter. Checked on the signed cookie's own times; signing out ends it on the server."""
    settings = current_app.config["CASEWORK"]
    return min(int(settings["VICTIM_SESSION_IDLE_MINUTES"]), int(settings["SESSION_IDLE_MINUTES"])) * 60


def lifetime_seconds() -> int:
    """The session ends ``CASEWORK_VICTIM_SESSION_MAX_HOURS`` (2) after signing in, however busy."""
    return int(current_app.config["CASEWORK"]["VICTIM_SESSION_MAX_HOURS"]) * 3600


def victim_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The signed-in victim's live access as ``g.victim_access``, or off to the sign-in page: when the
    session is idle too long or too old, the access ended, or the victim signed out since it began."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seen = session.get(SEEN_KEY)
        started = session.get(STARTED_KEY)
        moment = int(time.time())
        over = (
            not isinstance(seen, int)
            or not isinstance(started, int)
            or moment - seen > idle_seconds()
            or moment - started > lifetime_seconds()
        )
        access = None if over else services.signed_in_access(session.get(ACCESS_KEY), session.get(SIGN_OUTS_KEY))
        if access is None:
            for key in (ACCESS_KEY, SIGN_OUTS_KEY, STARTED_KEY, SEEN_KEY):
                session.pop(key, None)
            return redirect(url_for(".sign_in"))
        session[SEEN_KEY] = moment
        g.victim_access = access
        return view(*args, **kwargs)

    return wrapper


def signed_in_victim() -> str | None:
    """Who the session is signed in as, for the submission keys of the victim's forms
    (``casework.core.submissions.register_sender``): the access, or None."""
    access_id = session.get(ACCESS_KEY)
    return f"victim {access_id}" if access_id is not None else None


def _sign_in_as(access: Any) -> None:
    session.clear()  # a new session: nothing from before signing in carries over
    moment = int(time.time())
    session[ACCESS_KEY] = access.id
    session[SIGN_OUTS_KEY] = access.sign_outs
    session[STARTED_KEY] = moment
    session[SEEN_KEY] = moment
    session.permanent = False


# --- signing in ----------------------------------------------------------------------------------


@bp.route("/sign-in", methods=["GET", "POST"])
@public_endpoint
@limiter.limit(_limit, methods=["POST"])
def sign_in():
    form = EmailSignInForm()
    if form.validate_on_submit():
        services.ask_for_link(form.email.data)
        commit()
        return redirect(url_for(".check_email"))
    return _page("victims/sign_in.html", "Sign in to follow your case", 422 if form.errors else 200, form=form)


@bp.get("/sign-in/check-your-email")
@public_endpoint
def check_email():
    return _page("victims/check_email.html", "Check your email", lasts=services.minutes_phrase(services.link_minutes()))


@bp.route("/sign-in/link/<token>", methods=["GET", "POST"])
@public_endpoint
@limiter.limit(_limit, methods=["POST"])
def use_link(token: str):
    # A button: the link is spent by this POST, so a mail scanner that opens the link does not use it.
    form = ConfirmForm()
    if form.validate_on_submit():
        access = services.use_link(token)
        if access is not None:
            commit()
            _sign_in_as(access)
            return redirect(url_for(".home"))
        db.session.rollback()
        return _page(
            "victims/link_spent.html",
            "That link has expired or was used already",
            410,
            lasts=services.minutes_phrase(services.link_minutes()),
        )
    return _page("victims/use_link.html", "Sign in to follow your case", form=form)


@bp.route("/sign-in/text", methods=["GET", "POST"])
@public_endpoint
@limiter.limit(_limit, methods=["POST"])
def sign_in_text():
    form = MobileSignInForm()
    if form.validate_on_submit():
        services.ask_for_code(form.mobile.data)
        commit()
        session[MOBILE_KEY] = services.mobile_reference(form.mobile.data)
        return redirect(url_for(".enter_code"))
    return _page("victims/sign_in_text.html", "Sign in with a text message", 422 if form.errors else 200, form=form)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public_endpoint
@limiter.limit(_limit, methods=["POST"])
def enter_code():
    reference = session.get(MOBILE_KEY)
    if not reference:
        return redirect(url_for(".sign_in_text"))
    form = CodeForm()
    if form.validate_on_submit():
        access = services.use_code(reference, form.code.data)
        commit()  # a wrong code is counted
        if access is not None:
            _sign_in_as(access)
            return redirect(url_for(".home"))
        form.code.errors = ["The code is not right, or it has expired. Check the text message, or ask for a new code."]
    return _page(
        "victims/enter_code.html",
        "Enter the code we sent you",
        422 if form.errors else 200,
        form=form,
        lasts=services.minutes_phrase(services.code_minutes()),
    )


@bp.post("/sign-out")
@public_endpoint
def sign_out():
    # Signing out ends the session on the server: a copy of the cookie no longer opens anything.
    # Without a valid CSRF token only this browser's cookie is cleared (a forged sign-out must not
    # sign the victim out on their other devices).
    if ConfirmForm().validate_on_submit():
        services.sign_out(session.get(ACCESS_KEY), session.get(SIGN_OUTS_KEY))
        commit()
    session.clear()
    return redirect(url_for(".sign_in"))


# --- the victim's own pages ----------------------------------------------------------------------


def _shown_to_victim(access: Any, table: str, ident: int) -> None:
    record_view(
        None,
        (table, ident),
        f"Shown to the victim on their victim page (access {access.id}) by {request.method} {request.path}",
    )


@bp.get("/")
@records_view
@public_endpoint
@victim_required
def home():
    access = g.victim_access
    view = services.victim_view(access)
    _shown_to_victim(access, "victim_accesses", access.id)
    for case in view.cases:
        _shown_to_victim(access, "cases", case.id)
    for application in view.applications:
        _shown_to_victim(access, "trigger_applications", application.id)
    page = _page(
        "victims/home.html",
        "Your case",
        view=view,
        sign_out_form=ConfirmForm(),
        idle_minutes=idle_seconds() // 60,
        lifetime_hours=lifetime_seconds() // 3600,
    )
    commit()
    return page


@bp.route("/cases/<int:case_id>/diary", methods=["GET", "POST"])
@public_endpoint
@limiter.limit(_limit, methods=["POST"])
@victim_required
def add_diary_entry(case_id: int):
    access = g.victim_access
    case = services.victim_case(access, case_id)
    form = DiaryForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = None
        filename = None
        if upload is not None and getattr(upload, "filename", None):
            content = upload.read(file_content.max_upload_bytes() + 1)
            filename = upload.filename
        try:
            services.add_diary_entry(
                access,
                case,
                happened_on=form.happened_on.data,
                happened_at_time=form.happened_at_time.data,
                location=form.location.data,
                what_happened=form.what_happened.data,
                who_was_involved=form.who_was_involved.data,
                how_it_affected=form.how_it_affected.data,
                filename=filename,
                content=content,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error, {"file": "file"}, nested_by_last_part=True)
        else:
            commit()
            return redirect(url_for(".home", _anchor="diary"))
    status = 422 if form.errors or getattr(form, "form_errors", None) else 200
    return _page(
        "victims/diary_entry.html",
        "Add to your diary",
        status,
        form=form,
        case_reference=case.reference,
        accepted=file_content.ACCEPTED_DESCRIPTION,
        max_mb=file_content.max_upload_bytes() // (1024 * 1024),
    )


@bp.route("/stop", methods=["GET", "POST"])
@public_endpoint
@victim_required
def stop():
    form = ConfirmForm()
    if form.validate_on_submit():
        services.stop(g.victim_access)
        commit()
        session.clear()
        return redirect(url_for(".stopped"))
    return _page("victims/stop.html", "Stop using this page", form=form)


@bp.get("/stopped")
@public_endpoint
def stopped():
    return _page("victims/stopped.html", "You have stopped using this page")
