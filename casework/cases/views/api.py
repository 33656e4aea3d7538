"""People, cases and the ledger through the API (docs/api.md "Cases"). Thin: parse, call a service, commit,
answer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from casework.cases import policies, queries, services
from casework.cases.first_contact import record_first_contact
from casework.cases.schemas import (
    AccessArgs,
    CaseAnswer,
    CaseCreateArgs,
    CaseListArgs,
    CaseSummaryAnswer,
    CaseUpdateArgs,
    CloseArgs,
    ComplaintAnswer,
    ComplaintArgs,
    ExplanationAnswer,
    ExplanationArgs,
    IncidentAnswer,
    IncidentArgs,
    LinkArgs,
    NoteAnswer,
    NoteArgs,
    PeopleSearchArgs,
    PersonAnswer,
    PersonBriefAnswer,
    PersonCreateArgs,
    PersonUpdateArgs,
    ReassignAnswer,
    ReassignArgs,
    ReopenArgs,
    ShareArgs,
    dump_case_summary,
    dump_complaint,
    dump_explanation,
    dump_incident,
    dump_note,
    dump_person,
    dump_person_brief,
    dump_timeline_entry,
)
from casework.cases.sections import api_sections
from casework.core.db import commit, records_view
from casework.core.openapi import documented
from casework.core.pagination import envelope, paginate
from casework.core.permissions import Permission, requires
from casework.core.webargs import use_args

bp = Blueprint("cases", __name__)

NOT_GIVEN = object()


def _iso_day(day: Any) -> str | None:
    return day.isoformat() if day else None


#: What ``GET /cases/<id>`` answers for a section another domain has not registered (yet).
SECTION_DEFAULTS: dict[str, Any] = {"current_risk": None, "actions": [], "interventions": []}


def dump_case(case: Any, user: Any) -> dict[str, Any]:
    """The whole case: docs/api.md's "case with parties, incidents, current risk, actions, interventions"."""
    body = dump_case_summary(case)
    journal = services.case_journal(case, user)
    body.update(
        {
            "closure_reason": case.closure_reason,
            "victim_first_contacted_on": _iso_day(case.victim_first_contacted_on),
            "parties": [
                {"person": dump_person_brief(p.person), "role": p.role.value}
                for p in sorted(case.parties, key=lambda p: (p.role.value, p.person.name))
            ],
            "incidents": [dump_incident(i) for i in case.incidents],
            "shared_with": sorted(s.agency.code for s in case.shares),
            "named_users": sorted(a.user.email for a in case.access) if case.is_restricted else [],
            "linked_cases": [{"id": c.id, "reference": c.reference} for c in journal.linked],
            "notes": [dump_note(n) for n in journal.notes],
            "case_review_explanations": [dump_explanation(t) for t in case.explanations],
            "timeline": [dump_timeline_entry(e) for e in services.timeline(case, journal, user)],
        }
    )
    body.update(SECTION_DEFAULTS)
    for key, section in api_sections().items():
        body[key] = section(case, user)
    return body


def _case_answer(case_id: int, status: int = 200) -> tuple[dict[str, Any], int]:
    case = services.load_case_record(case_id, with_records=True)
    return dump_case(case, current_user), status


# --- people -------------------------------------------------------------------------------------------


@bp.get("/people")
@documented(response=PersonBriefAnswer, many=True)
@requires(Permission.VIEW_CASES)
@use_args(PeopleSearchArgs, location="query")
def list_people(args: dict[str, Any]):
    query = queries.people_search_query(
        current_user, name=args["name"], date_of_birth=args["date_of_birth"], postcode=args["postcode"]
    )
    items, total = paginate(query, args["page"], args["per_page"])
    return envelope(items, args["page"], args["per_page"], total, dump_person_brief)


@bp.post("/people")
@documented(response=PersonAnswer, status=201)
@requires(Permission.EDIT_CASES)
@use_args(PersonCreateArgs)
def create_person(args: dict[str, Any]):
    person, duplicates = services.create_person(current_user, **args)
    commit()
    body = dump_person(person)
    body["warnings"] = [{"message": f"{d.name} may be the same person", "person_id": d.id} for d in duplicates]
    body["likely_duplicate_ids"] = [d.id for d in duplicates]
    return body, 201


@bp.get("/people/<int:person_id>")
@records_view
@documented(response=PersonAnswer)
@requires(Permission.VIEW_CASES)
def get_person(person_id: int):
    person = policies.get_person_for(current_user, person_id)
    services.view_person(current_user, person)
    body = dump_person(person)
    body["cases"] = [
        {"id": c.id, "reference": c.reference, "status": c.status.value}
        for c in services.person_cases(current_user, person)
    ]
    commit()
    return body


@bp.patch("/people/<int:person_id>")
@documented(response=PersonAnswer)
@requires(Permission.EDIT_CASES)
@use_args(PersonUpdateArgs)
def update_person(args: dict[str, Any], person_id: int):
    person = policies.get_person_for(current_user, person_id)
    version = args.pop("version")
    services.update_person(current_user, person, version, **args)
    commit()
    return dump_person(person)


# --- cases --------------------------------------------------------------------------------------------


@bp.get("/cases")
@documented(response=CaseSummaryAnswer, many=True)
@requires(Permission.VIEW_CASES)
@use_args(CaseListArgs, location="query")
def list_cases(args: dict[str, Any]):
    queries.check_opened_range(args["opened_from"], args["opened_to"])
    filters = queries.CaseFilters(
        owner=queries.owner_filter(current_user, args["owner"]),
        team=queries.team_filter(current_user, args["team"]),
        risk=args["risk"],
        overdue=args["overdue"],
        category=args["category"],
        agency=args["agency"].upper() if args["agency"] else None,
        opened_from=args["opened_from"],
        opened_to=args["opened_to"],
    )
    result = queries.case_page(
        current_user,
        area=args["area"],
        status=args["status"],
        q=args["q"],
        page=args["page"],
        per_page=args["per_page"],
        cursor=args["cursor"],
        filters=filters,
        sort=args["sort"],
        order=args["order"],
        summaries=True,
    )
    body = envelope(result.items, args["page"], args["per_page"], result.total, dump_case_summary)
    # Optional extras (docs/api.md's envelope is unchanged): past COUNT_LIMIT cases the total is an estimate.
    body["total_is_estimate"] = result.total_is_estimate
    body["next_cursor"] = result.next_cursor
    return body


@bp.post("/cases/reassign")
@documented(response=ReassignAnswer, description="Optional: give several cases to one owner, all or none.")
@requires(Permission.EDIT_CASES)
@use_args(ReassignArgs)
def reassign_cases(args: dict[str, Any]):
    cases = services.reassign_cases(current_user, args["case_ids"], args["owner_email"])
    commit()
    return {"items": [dump_case_summary(case) for case in cases]}


@bp.post("/cases")
@documented(response=CaseAnswer, status=201)
@requires(Permission.OPEN_CASES)
@use_args(CaseCreateArgs)
def create_case(args: dict[str, Any]):
    case = services.create_case(current_user, **args)
    commit()
    return _case_answer(case.id, 201)


@bp.get("/cases/<int:case_id>")
@records_view
@documented(response=CaseAnswer)
@requires(Permission.VIEW_CASES)
def get_case(case_id: int):
    case = services.load_case_record(case_id, viewer=current_user, with_records=True)
    body = dump_case(case, current_user)
    # Recorded last: on SQLite the write lock is then held for the audit entry only.
    services.view_case(current_user, case)
    commit()
    return body


@bp.patch("/cases/<int:case_id>")
@documented(response=CaseAnswer)
@requires(Permission.EDIT_CASES)
@use_args(CaseUpdateArgs)
def update_case(args: dict[str, Any], case_id: int):
    case = policies.get_case_to_manage(current_user, case_id)
    version = args.pop("version")
    first_contact = args.pop("victim_first_contacted_on", NOT_GIVEN)
    if args or first_contact is NOT_GIVEN:
        services.update_case(current_user, case, version, **args)
        version = case.version
    if first_contact is not NOT_GIVEN:
        record_first_contact(current_user, case, version, first_contact)
    commit()
    return _case_answer(case_id)


@bp.post("/cases/<int:case_id>/close")
@documented(response=CaseAnswer)
@requires(Permission.EDIT_CASES)
@use_args(CloseArgs)
def close_case(args: dict[str, Any], case_id: int):
    case = policies.get_case_to_manage(current_user, case_id)
    services.close_case(
        current_user,
        case,
        reason=args["reason"],
        closed_on=args["closed_on"],
        expected_version=args["version"],
        handover_to=(
            services.handover_user(current_user, args["handover_to_email"], case) if args["handover_to_email"] else None
        ),
        hand_over_action_ids=services.check_case_actions(current_user, case, args["hand_over_action_ids"]),
    )
    commit()
    return _case_answer(case_id)


@bp.post("/cases/<int:case_id>/reopen")
@documented(response=CaseAnswer)
@requires(Permission.EDIT_CASES)
@use_args(ReopenArgs)
def reopen_case(args: dict[str, Any], case_id: int):
    case = policies.get_case_to_manage(current_user, case_id)
    services.reopen_case(current_user, case, reason=args["reason"], expected_version=args["version"])
    commit()
    return _case_answer(case_id)


@bp.post("/cases/<int:case_id>/share")
@documented(response=CaseAnswer)
@requires(Permission.EDIT_CASES)
@use_args(ShareArgs)
def share_case(args: dict[str, Any], case_id: int):
    case = policies.get_case_to_manage(current_user, case_id)
    services.share_case(current_user, case, args["agency_code"])
    commit()
    return _case_answer(case_id)


@bp.post("/cases/<int:case_id>/unshare")
@documented(response=CaseAnswer)
@requires(Permission.EDIT_CASES)
@use_args(ShareArgs)
def unshare_case(args: dict[str, Any], case_id: int):
    case = policies.get_case_to_manage(current_user, case_id)
    services.unshare_case(current_user, case, args["agency_code"])
    commit()
    return _case_answer(case_id)


@bp.post("/cases/<int:case_id>/access")
@documented(response=CaseAnswer)
@requires(Permission.EDIT_CASES)
@use_args(AccessArgs)
def grant_access(args: dict[str, Any], case_id: int):
    case = policies.get_case_to_manage(current_user, case_id)
    services.grant_access(current_user, case, args["email"])
    commit()
    return _case_answer(case_id)


@bp.post("/cases/<int:case_id>/links")
@documented(response=CaseAnswer)
@requires(Permission.EDIT_CASES)
@use_args(LinkArgs)
def link_case(args: dict[str, Any], case_id: int):
    case = policies.get_case_to_manage(current_user, case_id)
    services.link_cases(current_user, case, args["case_id"])
    commit()
    return _case_answer(case_id)


@bp.post("/cases/<int:case_id>/notes")
@documented(response=NoteAnswer, status=201)
@requires(Permission.EDIT_CASES)
@use_args(NoteArgs)
def add_note(args: dict[str, Any], case_id: int):
    case = policies.get_case_for(current_user, case_id, edit=True)
    note = services.add_note(current_user, case, args["text"])
    commit()
    return dump_note(note), 201


@bp.post("/cases/<int:case_id>/incidents")
@documented(response=IncidentAnswer, status=201)
@requires(Permission.EDIT_CASES)
@use_args(IncidentArgs)
def record_incident(args: dict[str, Any], case_id: int):
    case = policies.get_case_for(current_user, case_id, edit=True)
    incident = services.record_incident(current_user, case, **args)
    commit()
    return dump_incident(services.get_incident(case, incident.id)), 201


@bp.post("/cases/<int:case_id>/incidents/<int:incident_id>/complaints")
@documented(response=ComplaintAnswer, status=201)
@requires(Permission.EDIT_CASES)
@use_args(ComplaintArgs)
def add_complaint(args: dict[str, Any], case_id: int, incident_id: int):
    case = policies.get_case_for(current_user, case_id, edit=True)
    incident = services.get_incident(case, incident_id)
    complaint = services.add_complaint(current_user, case, incident, **args)
    commit()
    return dump_complaint(complaint), 201


@bp.post("/cases/<int:case_id>/case-review-explanations/<int:explanation_id>")
@documented(response=ExplanationAnswer)
@requires(Permission.EDIT_CASES)
@use_args(ExplanationArgs)
def record_explanation(args: dict[str, Any], case_id: int, explanation_id: int):
    case = policies.get_case_for(current_user, case_id, edit=True)
    task = services.get_explanation(case, explanation_id)
    services.record_explanation(current_user, task, **args)
    commit()
    return dump_explanation(task)
