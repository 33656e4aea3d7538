"""Risk assessments through the API, and the questionnaire for admins."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from casework.accounts.services import get_area
from casework.cases.policies import get_case_for
from casework.core.db import commit
from casework.core.openapi import documented
from casework.core.permissions import Permission, requires
from casework.core.webargs import use_args
from casework.risk import services
from casework.risk.schemas import (
    AssessmentAnswer,
    AssessmentCreateArgs,
    QuestionnaireAnswer,
    QuestionnaireArgs,
    QuestionnaireQuery,
    dump_assessment,
    dump_questionnaire,
)

bp = Blueprint("risk", __name__)


@bp.post("/cases/<int:case_id>/risk-assessments")
@documented(response=AssessmentAnswer, status=201)
@requires(Permission.EDIT_CASES)
@use_args(AssessmentCreateArgs)
def create(args: dict[str, Any], case_id: int):
    """Assess risk on a case (or for a victim on it) with the questionnaire in force."""
    case = get_case_for(current_user, case_id, edit=True)
    assessment = services.create_assessment(
        current_user,
        case,
        args["answers"],
        victim_person_id=args["victim_person_id"],
        assessed_on=args["assessed_on"],
        notes=args["notes"],
    )
    commit()
    return dump_assessment(assessment), 201


@bp.get("/cases/<int:case_id>/risk-assessments")
@documented(response=AssessmentAnswer, many=True)
@requires(Permission.VIEW_CASES)
def list_for_case(case_id: int):
    """Every risk assessment on a case, newest first."""
    case = get_case_for(current_user, case_id)
    items = services.case_assessments(case.id)
    return {"items": [dump_assessment(a) for a in items], "page": 1, "per_page": len(items), "total": len(items)}


@bp.get("/risk-questionnaires/current")
@documented(response=QuestionnaireAnswer)
@requires(Permission.VIEW_CASES, Permission.ADMINISTER)
@use_args(QuestionnaireQuery, location="query")
def current(args: dict[str, Any]):
    """The risk questionnaire in force for an area (or for all areas)."""
    area = get_area(args["area"]) if args["area"] else None
    questionnaire = services.current_questionnaire(area)
    commit()  # the default is created on first use in a database built without the migrations
    return dump_questionnaire(questionnaire)


@bp.post("/risk-questionnaires")
@documented(response=QuestionnaireAnswer, status=201)
@requires(Permission.ADMINISTER)
@use_args(QuestionnaireArgs)
def create_questionnaire(args: dict[str, Any]):
    """Save a new version of the risk questionnaire (admins)."""
    area = get_area(args.pop("area_code")) if args.get("area_code") else None
    questionnaire = services.save_questionnaire(current_user, area, **args)
    commit()
    return dump_questionnaire(questionnaire), 201
