"""API input and output for the PCC review (optional endpoints for partners, added to docs/api.md's core)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from casework.community_triggers.pcc_review.models import PccReview, PccReviewOutcome
from casework.community_triggers.schemas import VersionField
from casework.core.fields import EventDate
from casework.core.openapi import Answer, nullable
from casework.core.webargs import BaseSchema


class PccReviewRequestArgs(BaseSchema):
    requested_on = EventDate(required=True)
    grounds = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    reviewer_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    #: Send the letter for a step dated before today (default: only for today's).
    send_letter = fields.Boolean(load_default=None, allow_none=True)
    #: The application's version the client read.
    version = VersionField()


class PccReviewOutcomeArgs(BaseSchema):
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(
            [o.value for o in PccReviewOutcome], error=f"Must be one of: {', '.join(PccReviewOutcome)}."
        ),
    )
    reasons = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    decided_on = EventDate(required=True)
    reviewer_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    #: Send the letter for a step dated before today (default: only for today's).
    send_letter = fields.Boolean(load_default=None, allow_none=True)
    #: The review's version the client read.
    version = VersionField()


def dump_pcc_review(review: PccReview, decision_due: Any = None) -> dict[str, Any]:
    return {
        "id": review.id,
        "application_id": review.application_id,
        "decision_id": review.decision_id,
        "requested_on": review.requested_on.isoformat(),
        "grounds": review.grounds,
        "reviewer_name": review.reviewer_name,
        "outcome": review.outcome.value if review.outcome else None,
        "reasons": review.outcome_reasons,
        "decided_on": review.decided_on.isoformat() if review.decided_on else None,
        "decision_due": decision_due.isoformat() if decision_due else None,
        "version": review.version,
    }


class PccReviewAnswer(Answer):
    id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    decision_id = nullable(fields.Integer())
    requested_on = fields.Date(required=True)
    grounds = fields.String(required=True)
    reviewer_name = nullable(fields.String())
    outcome = nullable(fields.String())
    reasons = nullable(fields.String())
    decided_on = nullable(fields.Date())
    decision_due = nullable(fields.Date())
    version = fields.Integer(required=True)
