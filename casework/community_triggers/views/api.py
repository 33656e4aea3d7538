"""The Case Review API: registration, the list and the application, and the coordinator's steps
(docs/api.md "Community Trigger"). Views are thin: parse, check object access, call the service, commit,
answer. A 4xx rolls back (the error handler), so nothing is written."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from casework.accounts.models import Agency
from casework.accounts.policies import AGENCIES, AREAS
from casework.audit.services import record_view
from casework.cases.models import Case
from casework.cases.policies import CASES
from casework.community_triggers import applicants, policies, queries, review_papers, services
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers.models import (
    TriggerApplication,
)
from casework.community_triggers.schemas import (
    AcknowledgeArgs,
    ApplicationAnswer,
    ApplicationCreateArgs,
    ApplicationListArgs,
    LinkCasesArgs,
    ScreenOutArgs,
    ThresholdDecisionArgs,
    WithdrawArgs,
    cases_seen,
    dump_application,
)
from casework.core.db import commit, records_view
from casework.core.errors import Forbidden, InvalidInput
from casework.core.openapi import documented
from casework.core.pagination import paginate
from casework.core.permissions import Permission, requires
from casework.core.webargs import use_args

bp = Blueprint("triggers", __name__)


#: Everything dump_application reads, loaded up front so a list runs a fixed number of queries.
def resolve_cases(user: Any, case_ids: list[int], field: str = "case_ids") -> list[Case]:
    """The cases, each one the user can see (an invisible case is reported as unknown, not hidden)."""
    return list({case.id: case for case in CASES.get_many(user, case_ids, field)}.values())


def resolve_agencies(codes: list[str | None], field: str) -> dict[str, Agency]:
    found = (AGENCIES.find(None, code) for code in dict.fromkeys(c for c in codes if c))
    return {agency.code: agency for agency in found if agency is not None}


def registration_data(user: Any, args: dict[str, Any]) -> dict[str, Any]:
    """API body to the service's data: codes become records; unknown ones are field errors."""
    errors: dict[str, list[str]] = {}
    area = AREAS.find(user, args["area_code"])
    if area is None:
        errors["area_code"] = [AREAS.missing_message]
    agencies = resolve_agencies([c["agency_code"] for c in args["complaints"]], "agency_code")
    complaints = []
    for index, complaint in enumerate(args["complaints"]):
        code = complaint.pop("agency_code")
        agency = agencies.get(code.strip().upper()) if code else None
        if code and agency is None:
            errors[f"complaints.{index}.agency_code"] = [AGENCIES.missing_message]
        complaints.append({**complaint, "agency": agency})
    try:
        cases = resolve_cases(user, args["case_ids"])
    except InvalidInput as error:
        errors.update(error.errors)
        cases = []
    if errors:
        raise InvalidInput(errors)
    if not policies.can_register(user, area.id):
        raise Forbidden("You can register applications only for areas your agency covers.")
    return {**args, "area": area, "complaints": complaints, "cases": cases}


def load_application(application_id: int) -> TriggerApplication:
    return queries.application_with_everything(application_id)


def answer(application: TriggerApplication, status: int = 200) -> tuple[dict[str, Any], int]:
    return dump_application(load_application(application.id), current_user), status


@bp.post("/triggers")
@documented(response=ApplicationAnswer, status=201)
@requires(Permission.REGISTER_APPLICATIONS)
@use_args(ApplicationCreateArgs)
def create_application(args: dict[str, Any]):
    application = services.register_application(current_user, registration_data(current_user, args))
    commit()
    return answer(application, 201)


@bp.get("/triggers")
@records_view
@documented(response=ApplicationAnswer, many=True)
@requires(Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS)
@use_args(ApplicationListArgs, location="query")
def list_applications(args: dict[str, Any]):
    query = queries.visible_applications_for_the_api(current_user, area_code=args["area"], status=args["status"])
    items, total = paginate(query, args["page"], args["per_page"])
    rows = deadline_engine.deadline_rows(a.id for a in items)
    seen = cases_seen(current_user, items)
    withheld = applicants.withheld_ids(current_user, (a.id for a in items))
    repeats = review_papers.repeat_applicants_seen_by(current_user, items, withheld)
    body = {
        "items": [
            dump_application(
                a, current_user, deadline_rows=rows[a.id], seen=seen, withheld=a.id in withheld, repeat=repeats[a.id]
            )
            for a in items
        ],
        "page": args["page"],
        "per_page": args["per_page"],
        "total": total,
    }
    # Each application listed gets its view entry from ``records_view`` (casework/audit/reads.py), in the
    # same fixed number of statements as any other list.
    return body


@bp.get("/triggers/<int:application_id>")
@records_view
@documented(response=ApplicationAnswer)
@requires(Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS)
def get_application(application_id: int):
    application = policies.get_application_for(current_user, application_id)
    record_view(current_user, application, f"Viewed application {application.reference}")
    commit()
    return answer(application)


@bp.post("/triggers/<int:application_id>/acknowledge")
@documented(response=ApplicationAnswer)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(AcknowledgeArgs)
def acknowledge(args: dict[str, Any], application_id: int):
    application = policies.get_application_for(current_user, application_id, manage=True)
    services.check_version(application, args["version"])
    services.acknowledge(
        current_user, application, acknowledged_on=args["acknowledged_on"], send_letter=args["send_letter"]
    )
    commit()
    return answer(application)


@bp.post("/triggers/<int:application_id>/screen-out")
@documented(response=ApplicationAnswer)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(ScreenOutArgs)
def screen_out(args: dict[str, Any], application_id: int):
    application = policies.get_application_for(current_user, application_id, manage=True)
    services.check_version(application, args["version"])
    services.screen_out(current_user, application, reason=args["reason"], screened_out_on=args["screened_out_on"])
    commit()
    return answer(application)


@bp.post("/triggers/<int:application_id>/cases")
@documented(response=ApplicationAnswer)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(LinkCasesArgs)
def link_cases(args: dict[str, Any], application_id: int):
    application = policies.get_application_for(current_user, application_id, manage=True)
    services.check_version(application, args["version"])
    services.link_cases(current_user, application, resolve_cases(current_user, args["case_ids"]))
    commit()
    return answer(application)


@bp.post("/triggers/<int:application_id>/threshold-decision")
@documented(response=ApplicationAnswer)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(ThresholdDecisionArgs)
def decide_threshold(args: dict[str, Any], application_id: int):
    application = policies.get_application_for(current_user, application_id, manage=True)
    services.check_version(application, args.pop("version"))
    services.decide_threshold(current_user, application, **args)
    commit()
    return answer(application)


@bp.post("/triggers/<int:application_id>/withdraw")
@documented(response=ApplicationAnswer)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(WithdrawArgs)
def withdraw(args: dict[str, Any], application_id: int):
    application = policies.get_application_for(current_user, application_id, manage=True)
    services.check_version(application, args["version"])
    services.withdraw(current_user, application, withdrawn_on=args["withdrawn_on"], reason=args["reason"])
    commit()
    return answer(application)
