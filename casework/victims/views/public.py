"""The victim's side of the victim page (``/my-case``): sign in by emailed link or texted code, see
their own cases and Case Reviews, keep their ASB diary, stop using it.

A victim is not a user: their session holds only the id of their access, checked on every request,
so an access that ended (switched off, or the victim asked to stop) ends every session at once. The
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

#: The session's keys: the signed-in access, and the number a code was asked for.
ACCESS_KEY = "victim_access_id"
MOBILE_KEY = "victim_code_mobile"
#: When the victim last did something: a session idle for longer than staff sessions may be ends.
SEEN_KEY = "victim_seen_at"
SERVICE_NAME = "Follow your ASB case"


def _limit() -> str:
    return current_app.config["CASEWORK"]["PUBLIC_FORM_RATE_LIMIT"]


def _page(template: str, title: str, status: int = 200, **context: Any):
    return render_template(template, title=title, service_name=SERVICE_NAME, **context), status


def victim_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The signed-in victim's live access as ``g.victim_access``, or off to the sign-in page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        idle_limit = current_app.config["CASEWORK"]["SESSION_IDLE_MINUTES"] * 60
        seen = session.get(SEEN_KEY)
        moment = int(time.time())
        idle = not isinstance(seen, int) or moment - seen > idle_limit
        access = None if idle else services.signed_in_access(session.get(ACCESS_KEY))
        if access is None:
            session.pop(ACCESS_KEY, None)
            session.pop(SEEN_KEY, None)
            return redirect(url_for(".sign_in"))
        session[SEEN_KEY] = moment
        g.victim_access = access
        return view(*args, **kwargs)

    return wrapper


def _sign_in_as(access: Any) -> None:
    session.clear()  # a new session: nothing from before signing in carries over
    session[ACCESS_KEY] = access.id
    session[SEEN_KEY] = int(time.time())
    session.permanent = False


# --- signing in ----------------------------------------------------------------------------------


@bp.route("/sign-in", methods=["GET", "POST"])
@public_endpoint
@limiter.limit(_limit, methods=["POST"])
def sign_in():
    form = EmailSignInForm()
    if form.validate_on_submit():
        services.send_link(form.email.data)
        commit()
        return redirect(url_for(".check_email"))
    return _page("victims/sign_in.html", "Sign in to follow your case", 422 if form.errors else 200, form=form)


@bp.get("/sign-in/check-your-email")
@public_endpoint
def check_email():
    return _page("victims/check_email.html", "Check your email")


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
        return _page("victims/link_spent.html", "That link has expired or was used already", 410)
    return _page("victims/use_link.html", "Sign in to follow your case", form=form)


@bp.route("/sign-in/text", methods=["GET", "POST"])
@public_endpoint
@limiter.limit(_limit, methods=["POST"])
def sign_in_text():
    form = MobileSignInForm()
    if form.validate_on_submit():
        services.send_code(form.mobile.data)
        commit()
        session[MOBILE_KEY] = form.mobile.data
        return redirect(url_for(".enter_code"))
    return _page("victims/sign_in_text.html", "Sign in with a text message", 422 if form.errors else 200, form=form)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public_endpoint
@limiter.limit(_limit, methods=["POST"])
def enter_code():
    mobile = session.get(MOBILE_KEY)
    if not mobile:
        return redirect(url_for(".sign_in_text"))
    form = CodeForm()
    if form.validate_on_submit():
        access = services.use_code(mobile, form.code.data)
        commit()  # a wrong code is counted
        if access is not None:
            _sign_in_as(access)
            return redirect(url_for(".home"))
        form.code.errors = ["The code is not right, or it has expired. Check the text message, or ask for a new code."]
    return _page("victims/enter_code.html", "Enter the code we sent you", 422 if form.errors else 200, form=form)


@bp.post("/sign-out")
@public_endpoint
def sign_out():
    ConfirmForm().validate_on_submit()  # CSRF is checked by the form; signing out is harmless anyway
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
    page = _page("victims/home.html", "Your case", view=view, sign_out_form=ConfirmForm())
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
