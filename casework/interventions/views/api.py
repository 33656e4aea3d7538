"""Interventions through the API: record one on a case, list them, change status, log breaches."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from casework.cases.policies import get_case_for
from casework.core.db import commit
from casework.core.openapi import documented
from casework.core.permissions import Permission, requires
from casework.core.webargs import use_args
from casework.interventions import services
from casework.interventions.policies import get_intervention_for
from casework.interventions.schemas import (
    BreachAnswer,
    BreachCreateArgs,
    ExtendArgs,
    ExtensionNoticeArgs,
    InterventionAnswer,
    InterventionCreateArgs,
    InterventionUpdateArgs,
    ReviewAnswer,
    ReviewCreateArgs,
    dump_breach,
    dump_intervention,
    dump_review,
)

bp = Blueprint("interventions", __name__)


@bp.post("/cases/<int:case_id>/interventions")
@documented(response=InterventionAnswer, status=201)
@requires(Permission.EDIT_CASES)
@use_args(InterventionCreateArgs)
def create(args: dict[str, Any], case_id: int):
    """Record a warning, notice or order on a case (422 with `_rule` when a statutory check blocks it)."""
    case = get_case_for(current_user, case_id, edit=True)
    intervention, warnings = services.create_intervention(current_user, case, args)
    commit()
    return dump_intervention(intervention, warnings), 201


@bp.get("/cases/<int:case_id>/interventions")
@documented(response=InterventionAnswer, many=True)
@requires(Permission.VIEW_CASES)
def list_for_case(case_id: int):
    """A case's interventions, newest first, with their dates and breach logs."""
    case = get_case_for(current_user, case_id)
    items = services.case_interventions(case.id)
    return {"items": [dump_intervention(i) for i in items], "page": 1, "per_page": len(items), "total": len(items)}


@bp.get("/interventions/<int:intervention_id>")
@documented(response=InterventionAnswer)
@requires(Permission.VIEW_CASES)
def show(intervention_id: int):
    """One intervention."""
    return dump_intervention(get_intervention_for(current_user, intervention_id))


@bp.patch("/interventions/<int:intervention_id>")
@documented(response=InterventionAnswer)
@requires(Permission.EDIT_CASES)
@use_args(InterventionUpdateArgs)
def update(args: dict[str, Any], intervention_id: int):
    """Change the status (send `version`: an old one answers 409), with an appeal's days."""
    intervention = get_intervention_for(current_user, intervention_id, edit=True)
    _, warnings = services.update_status(
        current_user,
        intervention,
        args["status"],
        args["version"],
        args["notes"],
        appeal_lodged_on=args["appeal_lodged_on"],
        appeal_decided_on=args["appeal_decided_on"],
        appeal_in_error=args["appeal_in_error"],
        varied_on=args["varied_on"],
    )
    commit()
    return dump_intervention(intervention, warnings or None)


@bp.post("/interventions/<int:intervention_id>/extend")
@documented(response=InterventionAnswer)
@requires(Permission.EDIT_CASES)
@use_args(ExtendArgs)
def extend(args: dict[str, Any], intervention_id: int):
    """Extend a closure order or a PSPO within the statutory limits."""
    intervention = get_intervention_for(current_user, intervention_id, edit=True)
    services.extend(current_user, intervention, args["ends_on"], args["version"], extended_on=args["extended_on"])
    commit()
    return dump_intervention(intervention)


@bp.post("/interventions/<int:intervention_id>/breaches")
@documented(response=BreachAnswer, status=201)
@requires(Permission.EDIT_CASES)
@use_args(BreachCreateArgs)
def add_breach(args: dict[str, Any], intervention_id: int):
    """Add an entry to the breach log."""
    intervention = get_intervention_for(current_user, intervention_id, edit=True)
    breach = services.record_breach(
        current_user, intervention, args["occurred_on"], args["description"], args["crime_reference"]
    )
    commit()
    return dump_breach(breach), 201


@bp.post("/interventions/<int:intervention_id>/extension-notices")
@documented(response=InterventionAnswer)
@requires(Permission.EDIT_CASES)
@use_args(ExtensionNoticeArgs)
def extension_notice(args: dict[str, Any], intervention_id: int):
    """Extend a closure notice by an extension notice (up to 24 hours, s.77(4); 422 with `_rule` otherwise)."""
    intervention = get_intervention_for(current_user, intervention_id, edit=True)
    _, warnings = services.extend_closure_notice(
        current_user,
        intervention,
        extended_at=args["extended_at"],
        hours=args["hours"],
        has_senior_sign_off=args["has_senior_sign_off"],
        authorised_by=args["authorised_by"],
        expected_version=args["version"],
    )
    commit()
    return dump_intervention(intervention, warnings)


@bp.post("/interventions/<int:intervention_id>/reviews")
@documented(response=ReviewAnswer, status=201)
@requires(Permission.EDIT_CASES)
@use_args(ReviewCreateArgs)
def add_review(args: dict[str, Any], intervention_id: int):
    """Record a review of an order or direction (it closes the review that was due)."""
    intervention = get_intervention_for(current_user, intervention_id, edit=True)
    review = services.record_review(current_user, intervention, **args)
    commit()
    return dump_review(review), 201
