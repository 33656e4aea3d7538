"""API input and output for interventions (API.md "Cases": POST /api/v1/cases/<id>/interventions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate

from casework.cases.policies import PEOPLE
from casework.core.fields import EventDate, PlannedDate, RecordId
from casework.core.openapi import Answer, nullable
from casework.core.webargs import BaseSchema
from casework.interventions.models import Intervention, InterventionKind, InterventionStatus
from casework.interventions.policies import INTERVENTIONS


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
    issued_at = fields.AwareDateTime(load_default=None, allow_none=True)
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
    convicted_on = EventDate(load_default=None, allow_none=True)
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


class ExtendArgs(BaseSchema):
    ends_on = PlannedDate(required=True)
    version = fields.Integer(load_default=None)


class BreachCreateArgs(BaseSchema):
    occurred_on = EventDate(required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


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
    }


def dump_intervention(intervention: Intervention, warnings: list[str] | None = None) -> dict[str, Any]:
    data = {
        "id": intervention.id,
        "case_id": intervention.case_id,
        "kind": intervention.kind.value,
        "label": intervention.label,
        "status": intervention.status.value,
        "subject_person_id": intervention.subject_person_id,
        "subject_name": intervention.subject.name if intervention.subject else None,
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
        "convicted_on": _iso(intervention.convicted_on),
        "location": intervention.location,
        "requirements": intervention.requirements,
        "prohibitions": intervention.prohibitions,
        "parent_guardian_name": intervention.parent_guardian_name,
        "victim_views": intervention.victim_views,
        "victim_choice": intervention.victim_choice,
        "departure_reason": intervention.departure_reason,
        "notes": intervention.notes,
        "dates": dict(intervention.key_dates or {}),
        "breaches": [dump_breach(b) for b in intervention.breaches],
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


class InterventionAnswer(Answer):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    label = fields.String(required=True)
    status = fields.String(required=True)
    subject_person_id = nullable(fields.Integer())
    subject_name = nullable(fields.String())
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
    convicted_on = nullable(fields.Date())
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
    breaches = fields.List(fields.Nested(BreachAnswer), required=True)
    version = fields.Integer(required=True)
    #: Rules that warn rather than block (POST only).
    warnings = fields.List(fields.String())
