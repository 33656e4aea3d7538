"""API input and output for risk assessments and questionnaires."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from casework.cases.policies import PEOPLE
from casework.core.fields import EventDate, RecordId
from casework.core.openapi import Answer, nullable
from casework.core.webargs import BaseSchema


class AssessmentCreateArgs(BaseSchema):
    #: question key -> chosen answer value, for every question of the current questionnaire.
    answers = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    victim_person_id = RecordId(PEOPLE, load_default=None, allow_none=True)
    assessed_on = EventDate(load_default=None, allow_none=True)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10_000))


class OptionArgs(BaseSchema):
    value = fields.String(required=True, validate=validate.Length(min=1, max=40))
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    weight = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    forces_high = fields.Boolean(load_default=False)


class QuestionArgs(BaseSchema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{1,40}$"))
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
    hint = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    options = fields.List(fields.Nested(OptionArgs), required=True, validate=validate.Length(min=2, max=10))


class QuestionnaireArgs(BaseSchema):
    #: None (or omitted): the questionnaire for every area without its own.
    area_code = fields.String(load_default=None, allow_none=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    questions = fields.List(fields.Nested(QuestionArgs), required=True, validate=validate.Length(min=1, max=60))
    medium_from = fields.Integer(required=True, validate=validate.Range(min=1))
    high_from = fields.Integer(required=True, validate=validate.Range(min=1))


class QuestionnaireQuery(BaseSchema):
    area = fields.String(load_default=None)


def dump_questionnaire(questionnaire: Any) -> dict[str, Any]:
    return {
        "id": questionnaire.id,
        "area_code": questionnaire.area.code if questionnaire.area else None,
        "version": questionnaire.version,
        "title": questionnaire.title,
        "questions": questionnaire.questions,
        "medium_from": questionnaire.medium_from,
        "high_from": questionnaire.high_from,
    }


def dump_assessment(assessment: Any) -> dict[str, Any]:
    return {
        "id": assessment.id,
        "case_id": assessment.case_id,
        "victim_person_id": assessment.victim_person_id,
        "victim_name": assessment.victim.name if assessment.victim else None,
        "questionnaire_id": assessment.questionnaire_id,
        "questionnaire_version": assessment.questionnaire.version,
        "answers": assessment.answers,
        "score": assessment.score,
        "band": assessment.band.value,
        "forced_high_by": assessment.forced_high_by,
        "assessed_on": assessment.assessed_on.isoformat(),
        "review_on": assessment.review_on.isoformat() if assessment.review_on else None,
        "notes": assessment.notes,
        "assessed_by": assessment.assessed_by.name if assessment.assessed_by else None,
    }


class QuestionnaireAnswer(Answer):
    id = fields.Integer(required=True)
    area_code = nullable(fields.String())
    version = fields.Integer(required=True)
    title = fields.String(required=True)
    questions = fields.List(fields.Dict(), required=True)
    medium_from = fields.Integer(required=True)
    high_from = fields.Integer(required=True)


class AssessmentAnswer(Answer):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    victim_person_id = nullable(fields.Integer())
    victim_name = nullable(fields.String())
    questionnaire_id = fields.Integer(required=True)
    questionnaire_version = fields.Integer(required=True)
    answers = fields.Dict(required=True)
    score = fields.Integer(required=True)
    band = fields.String(required=True)
    forced_high_by = nullable(fields.Raw())
    assessed_on = fields.Date(required=True)
    review_on = nullable(fields.Date())
    notes = nullable(fields.String())
    assessed_by = nullable(fields.String())
