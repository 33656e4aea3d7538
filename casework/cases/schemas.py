"""API input (marshmallow) and output for people, cases and the ledger (docs/api.md "Cases")."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from casework.cases.models import CaseStatus, ExplanationMethod, PartyRole, PersonKind
from casework.cases.policies import ACTIONS, CASES, PEOPLE
from casework.core.fields import EventDate, RecordId
from casework.core.openapi import Answer, nullable
from casework.core.webargs import BaseSchema, PageArgs

ROLES = [r.value for r in PartyRole]
#: The risk bands a case list can be filtered by (``casework.risk.models.RiskBand``).
RISK_BANDS = ["standard", "medium", "high"]
#: The case list's sort keys and orders (``casework.cases.queries``: kept here as names, not imported,
#: since the queries import the models this module's users load first).
SORT_KEYS = ["created", "reference", "opened", "status", "category", "area", "agency", "owner"]
SORT_ORDERS = ["asc", "desc"]


class PersonCreateArgs(BaseSchema):
    kind = fields.String(load_default="individual", validate=validate.OneOf([k.value for k in PersonKind]))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    date_of_birth = EventDate(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    postcode = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10))
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    is_personally_vulnerable = fields.Boolean(load_default=False)
    personal_vulnerability_notes = fields.String(load_default=None, allow_none=True)
    is_situationally_vulnerable = fields.Boolean(load_default=False)
    situational_vulnerability_notes = fields.String(load_default=None, allow_none=True)
    is_incidentally_vulnerable = fields.Boolean(load_default=False)
    incidental_vulnerability_notes = fields.String(load_default=None, allow_none=True)
    consent_given = fields.Boolean(load_default=None, allow_none=True)
    consent_on = EventDate(load_default=None, allow_none=True)
    consent_scope = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


def _without_defaults(schema: type[BaseSchema]) -> dict[str, fields.Field]:
    """The schema's fields without their load defaults, for an update that changes only what it names."""
    copies = {}
    for name, field in schema._declared_fields.items():
        copy = field.__class__(validate=field.validate, allow_none=field.allow_none)
        if isinstance(field, fields.Nested | fields.List):
            continue
        copies[name] = copy
    return copies


PersonUpdateArgs = BaseSchema.from_dict(
    {**_without_defaults(PersonCreateArgs), "version": fields.Integer(required=True)}, name="PersonUpdateArgs"
)


class PeopleSearchArgs(PageArgs):
    name = fields.String(load_default=None)
    date_of_birth = EventDate(load_default=None)
    postcode = fields.String(load_default=None)


class PartyArgs(BaseSchema):
    person_id = RecordId(PEOPLE, required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class CaseCreateArgs(BaseSchema):
    area_code = fields.String(required=True)
    category = fields.String(required=True)
    summary = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    parties = fields.List(fields.Nested(PartyArgs), load_default=list)
    location = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    lead_agency_code = fields.String(load_default=None, allow_none=True)
    owner_email = fields.Email(load_default=None, allow_none=True)
    is_restricted = fields.Boolean(load_default=False)
    shared_with = fields.List(fields.String(), load_default=list)
    named_user_emails = fields.List(fields.Email(), load_default=list)
    #: The day the case was opened (default today): past work may be entered late (docs/api.md).
    opened_on = EventDate(load_default=None, allow_none=True)


class CaseUpdateArgs(BaseSchema):
    version = fields.Integer(required=True)
    category = fields.String()
    summary = fields.String(validate=validate.Length(min=1, max=10_000))
    location = fields.String(allow_none=True, validate=validate.Length(max=300))
    owner_email = fields.Email()
    is_restricted = fields.Boolean()
    #: Optional: the day the victim was first contacted (not before the case opened); null clears it.
    victim_first_contacted_on = EventDate(allow_none=True)


class CaseListArgs(PageArgs):
    area = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in CaseStatus]))
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    #: Optional: the ``next_cursor`` of the previous page, to walk a long list at the cost of one page
    #: each time (``page`` is then ignored). Searches (``q``) page by ``page`` only.
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))
    # Optional filters and order (docs/api.md's contract is the three filters above; these are additions).
    #: The owner's email, ``me``, or ``none`` for cases nobody owns.
    owner = fields.String(load_default=None, validate=validate.Length(min=1, max=254))
    #: ``mine`` (the signed-in manager's team) or a manager's email: cases owned by the manager or anyone
    #: they manage.
    team = fields.String(load_default=None, validate=validate.Length(min=1, max=254))
    risk = fields.String(load_default=None, validate=validate.OneOf(RISK_BANDS))
    #: Only cases with open work past due.
    overdue = fields.Boolean(load_default=False)
    category = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    #: The lead agency's code.
    agency = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    opened_from = EventDate(load_default=None)
    opened_to = EventDate(load_default=None)
    sort = fields.String(load_default=None, validate=validate.OneOf(list(SORT_KEYS)))
    order = fields.String(load_default=None, validate=validate.OneOf(list(SORT_ORDERS)))


class ReassignArgs(BaseSchema):
    #: Up to 100 cases the user's agency leads, all reassigned or none.
    case_ids = fields.List(RecordId(CASES), required=True, validate=validate.Length(min=1, max=100))
    owner_email = fields.Email(required=True)


class CloseArgs(BaseSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    closed_on = EventDate(load_default=None)
    version = fields.Integer(load_default=None)
    #: Optional: who takes over the statutory deadlines and the actions handed over.
    handover_to_email = fields.Email(load_default=None)
    #: Optional: open actions of the case handed over to ``handover_to_email`` instead of cancelled.
    hand_over_action_ids = fields.List(RecordId(ACTIONS), load_default=list)


class ReopenArgs(BaseSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    version = fields.Integer(load_default=None)


class ShareArgs(BaseSchema):
    agency_code = fields.String(required=True)


class AccessArgs(BaseSchema):
    email = fields.Email(required=True)


class LinkArgs(BaseSchema):
    case_id = RecordId(CASES, required=True)


class NoteArgs(BaseSchema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=20_000))


class ComplaintArgs(BaseSchema):
    complainant_person_id = RecordId(PEOPLE, load_default=None, allow_none=True)
    reported_on = EventDate(required=True)
    agency_code = fields.String(required=True)
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class IncidentArgs(BaseSchema):
    occurred_on = EventDate(required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    causes_had = fields.Boolean(load_default=True)
    hate_motivated = fields.Boolean(load_default=False)
    complaints = fields.List(fields.Nested(ComplaintArgs), load_default=list)


class ExplanationArgs(BaseSchema):
    explained_on = EventDate(required=True)
    method = fields.String(required=True, validate=validate.OneOf([m.value for m in ExplanationMethod]))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


# --- output -------------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def dump_person(person: Any) -> dict[str, Any]:
    return {
        "id": person.id,
        "kind": person.kind.value,
        "name": person.name,
        "date_of_birth": _iso(person.date_of_birth),
        "address": person.address,
        "postcode": person.postcode,
        "email": person.email,
        "phone": person.phone,
        "vulnerability": {
            "personal": {
                "is_vulnerable": person.is_personally_vulnerable,
                "notes": person.personal_vulnerability_notes,
            },
            "situational": {
                "is_vulnerable": person.is_situationally_vulnerable,
                "notes": person.situational_vulnerability_notes,
            },
            "incidental": {
                "is_vulnerable": person.is_incidentally_vulnerable,
                "notes": person.incidental_vulnerability_notes,
            },
        },
        "consent": {"given": person.consent_given, "on": _iso(person.consent_on), "scope": person.consent_scope},
        "anonymised_at": _iso(person.anonymised_at),
        "version": person.version,
    }


def dump_person_brief(person: Any) -> dict[str, Any]:
    return {
        "id": person.id,
        "kind": person.kind.value,
        "name": person.name,
        "date_of_birth": _iso(person.date_of_birth),
        "postcode": person.postcode,
    }


def dump_case_summary(case: Any) -> dict[str, Any]:
    return {
        "id": case.id,
        "reference": case.reference,
        "area_code": case.area.code,
        "category": case.category,
        "summary": case.summary,
        "location": case.location,
        "status": case.status.value,
        "lead_agency_code": case.lead_agency.code,
        "owner_email": case.owner.email if case.owner else None,
        "is_restricted": case.is_restricted,
        "opened_on": _iso(case.opened_on),
        "created_at": _iso(case.created_at),
        "closed_on": _iso(case.closed_on),
        "version": case.version,
    }


def dump_complaint(complaint: Any) -> dict[str, Any]:
    return {
        "id": complaint.id,
        "complainant_person_id": complaint.complainant_person_id,
        "complainant_name": complaint.complainant.name if complaint.complainant else None,
        "reported_on": complaint.reported_on.isoformat(),
        "agency_code": complaint.agency.code,
        "reference": complaint.reference,
    }


def dump_incident(incident: Any) -> dict[str, Any]:
    return {
        "id": incident.id,
        "case_id": incident.case_id,
        "occurred_on": incident.occurred_on.isoformat(),
        "description": incident.description,
        "causes_had": incident.causes_had,
        "hate_motivated": incident.hate_motivated,
        "complaints": [dump_complaint(c) for c in incident.complaints],
    }


def dump_explanation(task: Any) -> dict[str, Any]:
    return {
        "id": task.id,
        "person_id": task.person_id,
        "person_name": task.person.name,
        "task": f"Explain the Case Review (Community Trigger) to {task.person.name}",
        "first_report_on": task.first_report_on.isoformat(),
        "second_report_on": task.second_report_on.isoformat(),
        "due_on": task.due_on.isoformat(),
        "explained_on": _iso(task.explained_on),
        "explained_by_email": task.explained_by.email if task.explained_by else None,
        "method": task.method.value if task.method else None,
        "notes": task.notes,
    }


def dump_note(note: Any) -> dict[str, Any]:
    return {
        "id": note.id,
        "text": note.text,
        "created_at": _iso(note.created_at),
        "created_by_email": note.created_by.email if note.created_by else None,
    }


def dump_timeline_entry(entry: Any) -> dict[str, Any]:
    body = {
        "when": _iso(entry.when),
        "kind": entry.kind,
        "title": entry.title,
        "detail": entry.detail,
        "actor_name": entry.actor_name,
        "link": entry.link,
    }
    if getattr(entry, "withheld", False):
        # Added later, so optional: only on an entry withheld from the reader.
        body["withheld"] = True
    return body


# --- answers (described for the OpenAPI document; the dump_* functions above build them) --------------


class _Vulnerability(Answer):
    is_vulnerable = fields.Boolean()
    notes = nullable(fields.String())


class _Vulnerabilities(Answer):
    personal = fields.Nested(_Vulnerability)
    situational = fields.Nested(_Vulnerability)
    incidental = fields.Nested(_Vulnerability)


class _Consent(Answer):
    given = nullable(fields.Boolean())
    on = nullable(fields.Date())
    scope = nullable(fields.String())


class PersonBriefAnswer(Answer):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    date_of_birth = nullable(fields.Date())
    postcode = nullable(fields.String())


class _PersonCase(Answer):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    status = fields.String(required=True)


class PersonAnswer(PersonBriefAnswer):
    address = nullable(fields.String())
    email = nullable(fields.String())
    phone = nullable(fields.String())
    vulnerability = fields.Nested(_Vulnerabilities)
    consent = fields.Nested(_Consent)
    anonymised_at = nullable(fields.DateTime())
    version = fields.Integer(required=True)
    #: The cases the caller can see that the person is on (GET only).
    cases = fields.List(fields.Nested(_PersonCase))
    #: Likely duplicates found when the person was created (POST only).
    warnings = fields.List(fields.Dict())
    likely_duplicate_ids = fields.List(fields.Integer())


class ReassignAnswer(Answer):
    items = fields.List(fields.Nested(lambda: CaseSummaryAnswer()), required=True)


class CaseSummaryAnswer(Answer):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    area_code = fields.String(required=True)
    category = fields.String(required=True)
    summary = fields.String(required=True)
    location = nullable(fields.String())
    status = fields.String(required=True)
    lead_agency_code = fields.String(required=True)
    owner_email = nullable(fields.String())
    is_restricted = fields.Boolean(required=True)
    created_at = nullable(fields.DateTime())
    closed_on = nullable(fields.Date())
    version = fields.Integer(required=True)


class ComplaintAnswer(Answer):
    id = fields.Integer(required=True)
    complainant_person_id = nullable(fields.Integer())
    complainant_name = nullable(fields.String())
    reported_on = fields.Date(required=True)
    agency_code = fields.String(required=True)
    reference = nullable(fields.String())


class IncidentAnswer(Answer):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    occurred_on = fields.Date(required=True)
    description = fields.String(required=True)
    causes_had = fields.Boolean(required=True)
    hate_motivated = fields.Boolean(required=True)
    complaints = fields.List(fields.Nested(ComplaintAnswer), required=True)


class ExplanationAnswer(Answer):
    id = fields.Integer(required=True)
    person_id = fields.Integer(required=True)
    person_name = fields.String(required=True)
    task = fields.String(required=True)
    first_report_on = fields.Date(required=True)
    second_report_on = fields.Date(required=True)
    due_on = fields.Date(required=True)
    explained_on = nullable(fields.Date())
    explained_by_email = nullable(fields.String())
    method = nullable(fields.String())
    notes = nullable(fields.String())


class NoteAnswer(Answer):
    id = fields.Integer(required=True)
    text = fields.String(required=True)
    created_at = nullable(fields.DateTime())
    created_by_email = nullable(fields.String())


class _TimelineEntry(Answer):
    when = nullable(fields.DateTime())
    kind = fields.String()
    title = fields.String()
    detail = nullable(fields.String())
    actor_name = nullable(fields.String())
    link = nullable(fields.String())
    #: Added later, optional: true on an entry whose record is withheld from the reader (detail and link null).
    withheld = fields.Boolean()


class _Party(Answer):
    person = fields.Nested(PersonBriefAnswer, required=True)
    role = fields.String(required=True)


class _LinkedCase(Answer):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)


class CaseAnswer(CaseSummaryAnswer):
    closure_reason = nullable(fields.String())
    parties = fields.List(fields.Nested(_Party), required=True)
    incidents = fields.List(fields.Nested(IncidentAnswer), required=True)
    shared_with = fields.List(fields.String(), required=True)
    named_users = fields.List(fields.String(), required=True)
    linked_cases = fields.List(fields.Nested(_LinkedCase), required=True)
    notes = fields.List(fields.Nested(NoteAnswer), required=True)
    case_review_explanations = fields.List(fields.Nested(ExplanationAnswer), required=True)
    timeline = fields.List(fields.Nested(_TimelineEntry), required=True)
    victim_first_contacted_on = nullable(fields.Date())
    #: The sections other domains add (risk, actions, interventions), as their own endpoints show them.
    current_risk = nullable(fields.Dict())
    actions = fields.List(fields.Dict())
    interventions = fields.List(fields.Dict())
