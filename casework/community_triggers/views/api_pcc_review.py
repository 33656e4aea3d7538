"""The Police and Crime Commissioner's review of a "threshold not met" decision, through the API.

Optional to partners: the application's answer lists the requests as ``pcc_reviews``; these endpoints
record a request and the PCC's outcome (coordinators and managers of the area, as for appeals).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from casework.community_triggers import applicants, policies
from casework.community_triggers.pcc_review import services
from casework.community_triggers.pcc_review.models import PccReview
from casework.community_triggers.pcc_review.schemas import (
    PccReviewAnswer,
    PccReviewOutcomeArgs,
    PccReviewRequestArgs,
    dump_pcc_review,
)
from casework.community_triggers.services import check_version
from casework.core.db import commit
from casework.core.errors import NotFound
from casework.core.openapi import documented
from casework.core.permissions import Permission, requires
from casework.core.webargs import use_args

bp = Blueprint("trigger_pcc_reviews", __name__)


def _dump(review: PccReview, withheld: bool = False) -> dict[str, Any]:
    """The review; its grounds and reasons as a reader the applicant is ``withheld`` from sees them."""
    due = services.decision_due(review) if review.outcome is None else None
    return dump_pcc_review(applicants.seen(review, withheld), due)


@bp.get("/triggers/<int:application_id>/pcc-reviews")
@documented(response=PccReviewAnswer, many=True)
@requires(Permission.VIEW_TRIGGERS)
def list_reviews(application_id: int):
    """The requests for the PCC's review of a "not met" decision, and their outcomes."""
    application = policies.get_application_for(current_user, application_id)
    withheld = applicants.is_withheld(current_user, application)
    items = [_dump(r, withheld) for r in application.pcc_reviews]
    return {"items": items, "page": 1, "per_page": len(items), "total": len(items)}


@bp.post("/triggers/<int:application_id>/pcc-reviews")
@documented(response=PccReviewAnswer, status=201)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(PccReviewRequestArgs)
def request_review(args: dict[str, Any], application_id: int):
    """Record the applicant's request for the PCC to review a "not met" decision (422 `_rule` outside
    the window, before the route is in force in the area, or when there is no such decision)."""
    application = policies.get_application_for(current_user, application_id, manage=True)
    check_version(application, args.pop("version"))
    review = services.request_review(current_user, application, **args)
    commit()
    return _dump(review), 201


@bp.post("/triggers/<int:application_id>/pcc-reviews/<int:review_id>/outcome")
@documented(response=PccReviewAnswer)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(PccReviewOutcomeArgs)
def record_outcome(args: dict[str, Any], application_id: int, review_id: int):
    """Record the PCC's outcome: `decision_stands`, or `reconsider` (a new threshold decision is due)."""
    application = policies.get_application_for(current_user, application_id, manage=True)
    review = next((r for r in application.pcc_reviews if r.id == review_id), None)
    if review is None:
        raise NotFound("No such PCC review on this application.")
    check_version(review, args.pop("version"))
    services.record_outcome(current_user, review, **args)
    commit()
    return _dump(review)
