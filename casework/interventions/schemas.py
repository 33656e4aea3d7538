"""API input and output for interventions (docs/api.md "Cases": POST /api/v1/cases/<id>/interventions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate

from casework.cases.policies import PEOPLE
from casework.core.fields import EventDate, EventDateTime, PlannedDate, RecordId
from casework.core.openapi import Answer, nullable
from casework.core.webargs import BaseSchema
from casework.interventions.models import (
    Conduct,
    Intervention,
    InterventionKind,
    InterventionStatus,
    ReviewOutcome,
)
from casework.interventions.policies import INTERVENTIONS
from casework.interventions.powers import breach_nature


def _pounds(value: Decimal) -> None:
    if value <= 0:
        raise ValidationError("Must be more than £0.")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError("Give pounds and pence, like 75.50.")


TEXT = validate.Length(max=10_000)


class InterventionCreateArgs(BaseSchema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in InterventionKind]))
    subject_person_id = RecordId(PEOPLE, load_default=None, allow_none=True)
    issued_on = EventDate(required=True)
    #: The moment of service (closure notice) or of the direction (dispersal), with an offset.
    issued_at = EventDateTime(load_default=None, allow_none=True)
    comply_by = PlannedDate(load_default=None, allow_none=True)
    starts_on = PlannedDate(load_default=None, allow_none=True)
    ends_on = PlannedDate(load_default=None, allow_none=True)
    is_indefinite = fields.Boolean(load_default=False)
    duration_hours = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    has_senior_sign_off = fields.Boolean(load_default=False)
    amount = fields.Decimal(load_default=None, allow_none=True, validate=_pounds)
    discount_amount = fields.Decimal(load_default=None, allow_none=True, validate=_pounds)
    discount_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    related_intervention_id = RecordId(INTERVENTIONS, load_default=None, allow_none=True)
    yot_consulted_on = EventDate(load_default=None, allow_none=True)
    #: The day the application for an injunction or order was made (ages and the power in force follow it).
    applied_on = EventDate(load_default=None, allow_none=True)
    convicted_on = EventDate(load_default=None, allow_none=True)
    #: What an order is for: harassment_alarm_distress (a Respect Order) or housing_nuisance.
    conduct = fields.String(load_default=None, allow_none=True, validate=validate.OneOf([c.value for c in Conduct]))
    supervisor_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    #: Who signed off a 48-hour closure notice (name and rank or post).
    authorised_by = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    #: A housing provider's closure notice: the premises are ones it owns or manages.
    premises_owned_or_managed = fields.Boolean(load_default=None, allow_none=True)
    issuing_agency_code = fields.String(load_default=None, allow_none=True)
    issuing_officer_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    location = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    requirements = fields.String(load_default=None, allow_none=True, validate=TEXT)
    prohibitions = fields.String(load_default=None, allow_none=True, validate=TEXT)
    parent_guardian_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    victim_views = fields.String(load_default=None, allow_none=True, validate=TEXT)
    victim_choice = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    departure_reason = fields.String(load_default=None, allow_none=True, validate=TEXT)
    notes = fields.String(load_default=None, allow_none=True, validate=TEXT)


class InterventionUpdateArgs(BaseSchema):
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in InterventionStatus]))
    notes = fields.String(load_default=None, allow_none=True, validate=TEXT)
    version = fields.Integer(load_default=None)
    #: Marking it appealed: the day the appeal was lodged (default today). Not before the day of issue.
    appeal_lodged_on = EventDate(load_default=None, allow_none=True)
    #: Changing the status from appealed: the day the appeal was decided (default today). Not before it
    #: was lodged.
    appeal_decided_on = EventDate(load_default=None, allow_none=True)
    #: Changing the status from appealed: the appeal was recorded by mistake (none was made), undone as
    #: if it had never been recorded.
    appeal_in_error = fields.Boolean(load_default=False)
    #: Optional: marking it varied, the day of the variation (default today).
    varied_on = EventDate(load_default=None, allow_none=True)


class ExtendArgs(BaseSchema):
    ends_on = PlannedDate(required=True)
    version = fields.Integer(load_default=None)
    #: Optional: the day the extension was made (default today).
    extended_on = EventDate(load_default=None, allow_none=True)


class BreachCreateArgs(BaseSchema):
    occurred_on = EventDate(required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    #: The police crime reference, for a breach that is a criminal offence.
    crime_reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class ExtensionNoticeArgs(BaseSchema):
    """A closure notice's extension notice (s.77(4))."""

    extended_at = EventDateTime(required=True)
    hours = fields.Integer(required=True, validate=validate.Range(min=1, max=168))
    has_senior_sign_off = fields.Boolean(load_default=False)
    authorised_by = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    version = fields.Integer(load_default=None)


class ReviewCreateArgs(BaseSchema):
    reviewed_on = EventDate(required=True)
    #: The moment, for a review counted in hours (a dispersal direction's 48-hour review).
    reviewed_at = EventDateTime(load_default=None, allow_none=True)
    reviewer_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    outcome = fields.String(required=True, validate=validate.OneOf([o.value for o in ReviewOutcome]))
    notes = fields.String(load_default=None, allow_none=True, validate=TEXT)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def dump_breach(breach: Any) -> dict[str, Any]:
    return {
        "id": breach.id,
        "occurred_on": breach.occurred_on.isoformat(),
        "description": breach.description,
        "recorded_by": breach.recorded_by.name if breach.recorded_by else None,
        "recorded_at": _iso(breach.created_at),
        "is_criminal_offence": breach.is_criminal_offence,
        "crime_reference": breach.crime_reference,
    }


def dump_review(review: Any) -> dict[str, Any]:
    return {
        "id": review.id,
        "reviewed_on": review.reviewed_on.isoformat(),
        "reviewed_at": _iso(review.reviewed_at),
        "reviewer_name": review.reviewer_name,
        "outcome": review.outcome.value,
        "notes": review.notes,
        "review_key": review.review_key,
        "recorded_by": review.recorded_by.name if review.recorded_by else None,
    }


def dump_intervention(intervention: Intervention, warnings: list[str] | None = None) -> dict[str, Any]:
    from casework.interventions.services import appeal_warning

    data = {
        "id": intervention.id,
        "case_id": intervention.case_id,
        "kind": intervention.kind.value,
        "label": intervention.label,
        "status": intervention.status.value,
        # A subject who is not a party to the case is withheld (``Intervention.subject_withheld``).
        "subject_person_id": None if intervention.subject_withheld else intervention.subject_person_id,
        "subject_name": intervention.shown_subject_name,
        "subject_withheld": intervention.subject_withheld,
        "issuing_agency_code": intervention.issuing_agency.code,
        "issuing_officer": intervention.issuing_officer.name if intervention.issuing_officer else None,
        "issuing_officer_name": intervention.issuing_officer_name,
        "issued_on": intervention.issued_on.isoformat(),
        "issued_at": _iso(intervention.issued_at),
        "comply_by": _iso(intervention.comply_by),
        "starts_on": _iso(intervention.starts_on),
        "ends_on": _iso(intervention.ends_on),
        "is_indefinite": intervention.is_indefinite,
        "duration_hours": intervention.duration_hours,
        "has_senior_sign_off": intervention.has_senior_sign_off,
        "amount": _money(intervention.amount),
        "discount_amount": _money(intervention.discount_amount),
        "discount_days": intervention.discount_days,
        "related_intervention_id": intervention.related_intervention_id,
        "yot_consulted_on": _iso(intervention.yot_consulted_on),
        "applied_on": _iso(intervention.applied_on),
        "convicted_on": _iso(intervention.convicted_on),
        "conduct": intervention.conduct.value if intervention.conduct else None,
        "supervisor_name": intervention.supervisor_name,
        "authorised_by": intervention.authorised_by,
        "premises_owned_or_managed": intervention.premises_owned_or_managed,
        "extended_at": _iso(intervention.extended_at),
        "extension_hours": intervention.extension_hours,
        "extension_authorised_by": intervention.extension_authorised_by,
        "location": intervention.location,
        "requirements": intervention.requirements,
        "prohibitions": intervention.prohibitions,
        "parent_guardian_name": intervention.parent_guardian_name,
        "victim_views": intervention.victim_views,
        "victim_choice": intervention.victim_choice,
        "departure_reason": intervention.departure_reason,
        "notes": intervention.notes,
        "dates": dict(intervention.key_dates or {}),
        "appeal_lodged_on": _iso(intervention.appeal_lodged_on),
        "appeal_decided_on": _iso(intervention.appeal_decided_on),
        "extended_on": _iso(intervention.extended_on),
        "varied_on": _iso(intervention.varied_on),
        "appeal_late": appeal_warning(intervention) is not None,
        "breaches": [dump_breach(b) for b in intervention.breaches],
        "breach_is_criminal_offence": breach_nature(intervention.kind.value).is_criminal_offence,
        "reviews": [dump_review(r) for r in intervention.reviews],
        "version": intervention.version,
    }
    if warnings is not None:
        data["warnings"] = warnings
    return data


class BreachAnswer(Answer):
    id = fields.Integer(required=True)
    occurred_on = fields.Date(required=True)
    description = fields.String(required=True)
    recorded_by = nullable(fields.String())
    recorded_at = nullable(fields.DateTime())
    is_criminal_offence = nullable(fields.Boolean())
    crime_reference = nullable(fields.String())


class ReviewAnswer(Answer):
    id = fields.Integer(required=True)
    reviewed_on = fields.Date(required=True)
    reviewed_at = nullable(fields.DateTime())
    reviewer_name = nullable(fields.String())
    outcome = fields.String(required=True)
    notes = nullable(fields.String())
    review_key = nullable(fields.String())
    recorded_by = nullable(fields.String())


class InterventionAnswer(Answer):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    label = fields.String(required=True)
    status = fields.String(required=True)
    subject_person_id = nullable(fields.Integer())
    subject_name = nullable(fields.String())
    #: True when the subject is not a party to the case, so withheld (``subject_person_id`` and
    #: ``subject_name`` null).
    subject_withheld = fields.Boolean()
    issuing_agency_code = fields.String(required=True)
    issuing_officer = nullable(fields.String())
    issuing_officer_name = nullable(fields.String())
    issued_on = fields.Date(required=True)
    issued_at = nullable(fields.DateTime())
    comply_by = nullable(fields.Date())
    starts_on = nullable(fields.Date())
    ends_on = nullable(fields.Date())
    is_indefinite = nullable(fields.Boolean())
    duration_hours = nullable(fields.Integer())
    has_senior_sign_off = nullable(fields.Boolean())
    amount = nullable(fields.Float())
    discount_amount = nullable(fields.Float())
    discount_days = nullable(fields.Integer())
    related_intervention_id = nullable(fields.Integer())
    yot_consulted_on = nullable(fields.Date())
    applied_on = nullable(fields.Date())
    convicted_on = nullable(fields.Date())
    conduct = nullable(fields.String())
    supervisor_name = nullable(fields.String())
    authorised_by = nullable(fields.String())
    premises_owned_or_managed = nullable(fields.Boolean())
    extended_at = nullable(fields.DateTime())
    extension_hours = nullable(fields.Integer())
    extension_authorised_by = nullable(fields.String())
    location = nullable(fields.String())
    requirements = nullable(fields.String())
    prohibitions = nullable(fields.String())
    parent_guardian_name = nullable(fields.String())
    victim_views = nullable(fields.String())
    victim_choice = nullable(fields.String())
    departure_reason = nullable(fields.String())
    notes = nullable(fields.String())
    #: Key dates computed for the kind (review, appeal window, hearing), by name.
    dates = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    #: The day the appeal in progress (or the last one) was lodged, and the day it was decided.
    appeal_lodged_on = nullable(fields.Date())
    appeal_decided_on = nullable(fields.Date())
    #: Optional: the day of the latest extension and of the latest variation (the time to appeal a
    #: closure order or a PSPO runs again from them).
    extended_on = nullable(fields.Date())
    varied_on = nullable(fields.Date())
    #: True when that appeal was lodged after the time the law gives to make it (recorded, not refused).
    appeal_late = fields.Boolean()
    breaches = fields.List(fields.Nested(BreachAnswer), required=True)
    breach_is_criminal_offence = nullable(fields.Boolean())
    reviews = fields.List(fields.Nested(ReviewAnswer))
    version = fields.Integer(required=True)
    #: Rules that warn rather than block: always on POST; on PATCH only when the change warns (an appeal
    #: lodged late).
    warnings = fields.List(fields.String())
