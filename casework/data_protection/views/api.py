"""Subject access through the API: the redacted export, and the full one for the data protection
officer with a recorded reason."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user
from marshmallow import fields, validate

from casework.cases import policies
from casework.core.db import commit, records_view
from casework.core.fields import RecordId
from casework.core.openapi import Answer, documented, nullable
from casework.core.permissions import Permission, requires
from casework.core.webargs import BaseSchema, use_args
from casework.data_protection import merge as merging
from casework.data_protection import subject_access
from casework.data_protection.views.staff import person_for_export

bp = Blueprint("data_protection", __name__)


class MergeArgs(BaseSchema):
    merged_person_id = RecordId(policies.PEOPLE, required=True)


class _Withheld(Answer):
    restricted_cases = fields.Integer(required=True)
    #: Added after the first release: cases of other agencies not shared with the exporter's.
    other_agencies_cases = fields.Integer()
    held_by = fields.List(fields.String(), required=True)
    notice = fields.String(required=True)
    #: Added later: records merged into this one whose details are withheld (only when there are any).
    merged_records = fields.Integer()


class _MergedRecord(Answer):
    """A record of the same person merged into this one, still held (until its merge can no longer be
    undone and the next retention run removes it): its own details, labelled."""

    id = fields.Integer(required=True)
    merged_at = fields.DateTime(required=True)
    undo_until = fields.DateTime(required=True)
    notice = fields.String(required=True)
    details = fields.Dict(required=True)


class SubjectAccessExportAnswer(Answer):
    """Everything held about a person, by kind of record."""

    exported_at = fields.DateTime(required=True)
    version = fields.String(required=True, validate=validate.OneOf(["redacted", "full"]))
    withheld = nullable(fields.Nested(_Withheld, required=True))
    person = nullable(fields.Dict(required=True))
    cases = fields.List(fields.Dict(), required=True)
    actions = fields.List(fields.Dict(), required=True)
    risk_assessments = fields.List(fields.Dict(), required=True)
    interventions = fields.List(fields.Dict(), required=True)
    case_review_applications = fields.List(fields.Dict(), required=True)
    emails = fields.List(fields.Dict(), required=True)
    subject_access_requests = fields.List(fields.Dict(), required=True)
    views = fields.List(fields.Dict(), required=True)
    #: Added later: the records merged into this one still held, with their own details.
    merged_records = fields.List(fields.Nested(_MergedRecord))


class PersonMergeAnswer(Answer):
    id = fields.Integer(required=True)
    kept_person_id = fields.Integer(required=True)
    merged_person_id = fields.Integer(required=True)
    merged_at = fields.DateTime(required=True)
    undo_until = fields.DateTime(required=True)
    undone_at = nullable(fields.DateTime(required=True))
    moved = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class ReleaseArgs(BaseSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


@bp.get("/people/<int:person_id>/export")
@records_view
@documented(response=SubjectAccessExportAnswer)
@requires(Permission.EXPORT_PEOPLE)
def export_person(person_id: int):
    """Everything held about a person (third parties redacted; cases the exporter may not see withheld).
    A record merged into another is refused (422), naming the kept record, whose export holds it."""
    person = person_for_export(person_id)
    document = subject_access.export(current_user, person)
    commit()
    return document


@bp.post("/people/<int:person_id>/export/full")
@documented(response=SubjectAccessExportAnswer)
@requires(Permission.RELEASE_SUBJECT_ACCESS)
@use_args(ReleaseArgs)
def release_person(args: dict[str, Any], person_id: int):
    """The full export, released by the data protection officer with a recorded reason."""
    person = person_for_export(person_id)
    document = subject_access.export(current_user, person, full=True, reason=args["reason"])
    commit()
    return document


def _merge_answer(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "kept_person_id": row.kept_person_id,
        "merged_person_id": row.merged_person_id,
        "merged_at": row.merged_at.isoformat(),
        "undo_until": row.undo_until.isoformat(),
        "undone_at": row.undone_at.isoformat() if row.undone_at else None,
        "moved": {table: len(entry.get("ids", [])) for table, entry in (row.moved or {}).items()},
    }


@bp.post("/people/<int:person_id>/merge")
@documented(response=PersonMergeAnswer)
@requires(Permission.MERGE_PEOPLE)
@use_args(MergeArgs)
def merge_person(args: dict[str, Any], person_id: int):
    """Merge another record of the same person into this one (undoable for 14 days)."""
    kept = policies.get_person_for(current_user, person_id)
    other = policies.PEOPLE.get(current_user, args["merged_person_id"], "merged_person_id")
    row = merging.merge_people(current_user, kept, other)
    commit()
    return _merge_answer(row)


@bp.post("/person-merges/<int:merge_id>/undo")
@documented(response=PersonMergeAnswer)
@requires(Permission.MERGE_PEOPLE)
def undo_merge(merge_id: int):
    """Undo a merge within its window: exactly what moved goes back."""
    row = merging.get_merge_for(current_user, merge_id)
    merging.undo_merge(current_user, row)
    commit()
    return _merge_answer(row)
