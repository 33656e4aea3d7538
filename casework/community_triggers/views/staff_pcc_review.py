"""Staff pages for the Police and Crime Commissioner's review of a "threshold not met" decision: the
request received and the PCC's outcome, each a one-form step of the application. The application page
shows the route's section (``pcc_review_panel``): the window, the requests, their deadlines."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from casework.community_triggers import policies
from casework.community_triggers.forms import error_items
from casework.community_triggers.models import TriggerApplication
from casework.community_triggers.pcc_review import services
from casework.community_triggers.pcc_review.forms import PccReviewOutcomeForm, PccReviewRequestForm
from casework.community_triggers.pcc_review.models import OUTCOME_LABELS, PccReview
from casework.core.db import commit
from casework.core.errors import InvalidInput, NotFound
from casework.core.forms import show_service_errors
from casework.core.permissions import Permission, requires
from casework.extensions import db

bp = Blueprint("trigger_pcc_reviews", __name__, url_prefix="/case-reviews")


@bp.app_template_global("pcc_review_panel")
def pcc_review_panel(application: TriggerApplication) -> dict[str, Any]:
    """The route's section of the application page."""
    return {**services.panel(application), "outcome_labels": OUTCOME_LABELS}


def _page(template: str, title: str, application: TriggerApplication, form: Any, status: int, **extra: Any):
    return render_template(
        template, title=title, application=application, form=form, errors=error_items(form), **extra
    ), status


@bp.route("/<int:application_id>/pcc-review", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def request_review(application_id: int):
    application = policies.get_application_for(current_user, application_id, manage=True)
    form = PccReviewRequestForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.request_review(
                current_user,
                application,
                requested_on=form.requested_on.data,
                grounds=form.grounds.data,
                reviewer_name=form.reviewer_name.data,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("Request for the Commissioner's review recorded. The letter has been produced.", "success")
            return redirect(url_for("staff.triggers.show", application_id=application.id, _anchor="pcc-review"))
    elif form.is_submitted():
        status = 422
    return _page(
        "community_triggers/pcc_review/request.html",
        "Record a request for the Police and Crime Commissioner's review",
        application,
        form,
        status,
        window=services.request_window(application),
    )


def _review(application: TriggerApplication, review_id: int) -> PccReview:
    review = next((r for r in application.pcc_reviews if r.id == review_id), None)
    if review is None:
        raise NotFound("PCC review not found.")
    return review


@bp.route("/<int:application_id>/pcc-reviews/<int:review_id>/outcome", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def record_outcome(application_id: int, review_id: int):
    application = policies.get_application_for(current_user, application_id, manage=True)
    review = _review(application, review_id)
    form = PccReviewOutcomeForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.record_outcome(
                current_user,
                review,
                outcome=form.outcome.data,
                reasons=form.reasons.data,
                decided_on=form.decided_on.data,
                reviewer_name=form.reviewer_name.data,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("The Commissioner's decision is recorded. The letter has been produced.", "success")
            return redirect(url_for("staff.triggers.show", application_id=application.id, _anchor="pcc-review"))
    elif form.is_submitted():
        status = 422
    return _page(
        "community_triggers/pcc_review/outcome.html",
        "Record the Police and Crime Commissioner's decision",
        application,
        form,
        status,
        review=review,
        decision_due=services.decision_due(review),
    )
