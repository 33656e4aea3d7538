"""The public's pages: apply for an ASB Case Review without an account, and check its progress.

The form keeps nothing between pages: the check-your-answers page carries the answers in hidden
fields and posts them back, so no personal details sit in a cookie or a half-finished row. A honeypot
field that people never see catches the simplest bots; both forms are rate-limited per address, and
the progress check per reference too (``_reference_key``), so many addresses cannot guess one applicant's
contact. The per-reference limit counts only the checks that fail (the reference and contact do not
match), so checking with the right details, however often, never fills it.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_limiter import RequestLimit

from casework.accounts.queries import agencies_by_code, area_with_code
from casework.community_triggers import public_progress, queries, services
from casework.community_triggers.forms import ApplicationForm, ProgressForm, error_items, labels
from casework.community_triggers.models import ApplicationStatus, Channel
from casework.core import failure_limits
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.forms import show_service_errors
from casework.core.permissions import public_endpoint
from casework.core.time import today
from casework.extensions import db, limiter

bp = Blueprint("triggers", __name__, url_prefix="/case-review")

CONFIRMED_KEY = "case_review_reference"

#: What the applicant is told at each stage: no names, dates or reasons, nothing personal.
PUBLIC_STATUS = {
    ApplicationStatus.received: "We have received the application and are checking whether it meets the "
    "threshold for a Case Review.",
    ApplicationStatus.screened_out: "This was not handled as a Case Review. We have written to the applicant "
    "to explain where it was sent.",
    ApplicationStatus.threshold_not_met: "We have decided the threshold for a Case Review is not met and "
    "have written to the applicant.",
    ApplicationStatus.threshold_met: "The threshold for a Case Review is met. A review meeting is being arranged.",
    ApplicationStatus.meeting_arranged: "A review meeting has been arranged.",
    ApplicationStatus.review_concluded: "The review has been carried out and the outcome has been sent to "
    "the applicant.",
    ApplicationStatus.appealed: "An appeal is being considered.",
    ApplicationStatus.closed: "The Case Review is closed.",
    ApplicationStatus.withdrawn: "The application was withdrawn.",
}
#: A review carried out whose outcome waits for the review to be confirmed complete.
OUTCOME_TO_FOLLOW = (
    "The review meeting has been held. The outcome will be sent to the applicant when the review is complete."
)
NOT_FOUND_STATUS = (
    "We cannot show progress for that reference and email address or phone number. Check them against "
    "your confirmation email or page. If you gave neither, or applied by phone, letter or in person, ask "
    "the council's ASB Case Review coordinator."
)


def _form_limit() -> str:
    return current_app.config["CASEWORK"]["PUBLIC_FORM_RATE_LIMIT"]


#: The per-reference limit's scope: shared, so ``failure_limits`` finds it by this name.
REFERENCE_SCOPE = "case-review-progress-reference"


def _reference_limit() -> str:
    return current_app.config["CASEWORK"]["PROGRESS_REFERENCE_LIMIT"]


def _reference_key() -> str:
    # The reference as the look-up reads it, hashed: any submitted text makes a valid key.
    reference = request.form.get("reference", "").strip().upper()
    return "case-review-reference:" + hashlib.sha256(reference.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _no_reference() -> bool:
    # A form sent without a reference checks nothing: it is told what is missing, never to wait.
    return not request.form.get("reference", "").strip()


def _reference_refused(request_limit: RequestLimit):
    """The progress page again, saying how long to wait: the same for a reference that exists and one
    that does not, so the refusal tells nobody which references are real."""
    minutes = max(1, math.ceil((request_limit.window[0] - time.time()) / 60))
    form = ProgressForm()
    form.validate()
    form.form_errors.append(
        f"There have been too many checks of this reference. Wait {minutes} minute{'s' if minutes != 1 else ''} "
        "and try again, or ask the council's ASB Case Review coordinator."
    )
    html = render_template(
        "community_triggers/public/progress.html",
        title="Check the progress of an application",
        form=form,
        errors=error_items(form),
        checked=False,
        status_text=None,
        steps=[],
    )
    return current_app.response_class(html, status=429, mimetype="text/html")


def _choices(form: ApplicationForm) -> None:
    # Codes and names only, as rows: the form needs nothing else, and every visit to it asks.
    areas, agencies = queries.area_and_agency_names()
    form.set_choices(areas, agencies)


@bp.get("/")
@public_endpoint
def start():
    return render_template("community_triggers/public/start.html", title="Apply for an ASB Case Review")


@bp.route("/apply", methods=["GET", "POST"])
@public_endpoint
@limiter.limit(_form_limit, methods=["POST"])
def apply():
    form = ApplicationForm()
    _choices(form)
    if not form.is_submitted():
        return _form_page(form)
    if form.website.data:
        # A bot filled the field people cannot see: answer as if all went well, and keep nothing.
        return render_template("community_triggers/public/received.html", title="Application sent")
    if form.add_complaint.data:
        form.complaints.append_entry()
        _choices(form)
        return _form_page(form)
    if form.change.data:
        return _form_page(form)
    if not form.validate_on_submit():
        return _form_page(form, status=422)
    if not form.confirm.data:
        return render_template(
            "community_triggers/public/check.html",
            title="Check your answers before sending your application",
            form=form,
            area_name=labels(form.area).get(form.area.data, ""),
            agency_names=labels(form.complaints.entries[0].form.agency),
            role_names=labels(form.applicant_role),
        )
    area = area_with_code(form.area.data)
    agencies = agencies_by_code()
    try:
        application = services.register_application(
            None, form.application_data(area=area, agencies=agencies, channel=Channel.online.value, received_on=today())
        )
    except InvalidInput as error:
        db.session.rollback()
        show_service_errors(form, error)
        return _form_page(form, status=422)
    # The confirmation email goes from the service, as for every channel (``letters``).
    commit()
    session[CONFIRMED_KEY] = application.reference
    return redirect(url_for(".confirmation"))


def _outcome_sent(application_id: int) -> bool:
    """Whether the latest meeting's outcome letter has gone out."""
    return queries.latest_outcome_letter_sent_on(application_id) is not None


def _form_page(form: ApplicationForm, status: int = 200):
    return (
        render_template(
            "community_triggers/public/apply.html",
            # Not the start page's title: each page's title says which page it is (WCAG 2.4.2).
            title="Your application for an ASB Case Review",
            form=form,
            errors=error_items(form),
        ),
        status,
    )


@bp.get("/apply/confirmation")
@public_endpoint
def confirmation():
    reference = session.get(CONFIRMED_KEY)
    if not reference:
        return redirect(url_for(".start"))
    return render_template("community_triggers/public/confirmation.html", title="Application sent", reference=reference)


@bp.route("/progress", methods=["GET", "POST"])
@public_endpoint
# Per reference as well as per address: an applicant's reference is on letters and emails others may see,
# and addresses are many. Only a look-up that fails counts against the reference (each takes its place
# first and gives it back unless it failed: casework.core.failure_limits), so whoever knows the right
# contact is never the one who fills it, and a burst of guesses gets no more checked than it allows.
# The window is an hour at most (casework.config), so guesses shut the applicant out for no longer.
# The per-address limit counts every check.
@failure_limits.counting_failures_only(REFERENCE_SCOPE)
@limiter.limit(_form_limit, methods=["POST"])
@limiter.shared_limit(
    _reference_limit,
    scope=REFERENCE_SCOPE,
    key_func=_reference_key,
    methods=["POST"],
    exempt_when=_no_reference,
    on_breach=_reference_refused,
)
def progress():
    form = ProgressForm()
    checked = False
    status_text = None
    steps: list[public_progress.Step] = []
    if form.validate_on_submit():
        checked = True
        application = public_progress.find_for_applicant(form.reference.data, form.contact.data)
        # An unknown reference and a contact that does not match get the same page, and count alike, so
        # the check cannot be used to list references or to learn whose they are.
        if application is None:
            failure_limits.failed()
        else:
            status_text = PUBLIC_STATUS.get(application.status)
            steps = public_progress.steps(application)
            if application.status == ApplicationStatus.review_concluded and not _outcome_sent(application.id):
                status_text = OUTCOME_TO_FOLLOW
    return (
        render_template(
            "community_triggers/public/progress.html",
            title="Check the progress of an application",
            form=form,
            errors=error_items(form),
            checked=checked,
            status_text=status_text or NOT_FOUND_STATUS,
            steps=steps,
        ),
        422 if form.errors else 200,
    )
