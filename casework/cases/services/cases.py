"""Cases: categories, references, opening, changing, closing and reopening, sharing, links, parties
and notes. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import has_request_context

from casework.accounts.models import Agency, Area, User
from casework.accounts.policies import AGENCIES, AREAS, USERS_BY_EMAIL
from casework.audit.models import AuditAction
from casework.audit.reads import note_viewed
from casework.audit.services import record, record_change, record_view, snapshot
from casework.cases.models import (
    LINKED_SUMMARY,
    Case,
    CaseAccess,
    CaseCategory,
    CaseEvent,
    CaseEventKind,
    CaseLink,
    CaseNote,
    CaseParty,
    CaseReviewExplanation,
    CaseShare,
    CaseStatus,
    PartyRole,
    Person,
)
from casework.cases.policies import (
    CASES,
    PEOPLE,
    can_manage_case,
    may_take_work_on,
    refuse_anonymised,
    refuse_anonymised_named,
    visible_cases_clause,
)
from casework.cases.services.fields import CASE_FIELDS, can_work_in_lead_role, check_event_day
from casework.core.db import add_unless_taken
from casework.core.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from casework.core.permissions import Permission
from casework.core.time import now, today
from casework.extensions import db

# --- categories --------------------------------------------------------------------------------------


def categories_for(area: Area | None) -> list[CaseCategory]:
    """Active categories offered in ``area``: the national ones and the area's local ones."""
    query = sa.select(CaseCategory).where(CaseCategory.is_active.is_(True)).order_by(CaseCategory.name)
    if area is None:
        query = query.where(CaseCategory.area_id.is_(None))
    else:
        query = query.where(sa.or_(CaseCategory.area_id.is_(None), CaseCategory.area_id == area.id))
    return list(db.session.scalars(query))


def create_category(actor: Any, code: str, name: str, area: Area | None) -> CaseCategory:
    code = code.strip().lower()
    if db.session.scalar(sa.select(CaseCategory.id).where(CaseCategory.code == code)) is not None:
        raise InvalidInput({"code": ["A category with this code already exists"]})
    category = CaseCategory(code=code, name=name.strip(), area_id=area.id if area else None)
    db.session.add(category)
    db.session.flush()
    record_change(actor, category, None, snapshot(category, ("code", "name", "area_id")), f"Added case category {code}")
    return category


# --- references --------------------------------------------------------------------------------------


def allocate_reference(area: Area, year: int, session: Any = None) -> tuple[int, str]:
    """The next sequence number in ``area`` and ``year`` and its reference, e.g. ``BOL-2026-0042``
    (numbered as every reference is: ``casework.accounts.services.allocate_sequence``)."""
    from casework.accounts.services import allocate_sequence

    sequence = allocate_sequence("cases", area, year, session=session)
    return sequence, f"{area.code}-{year}-{sequence:04d}"


# --- cases -------------------------------------------------------------------------------------------


def _event(actor: Any, case: Case, kind: CaseEventKind, summary: str, related: Case | None = None) -> None:
    """Record a change on the case's timeline. An event about another case (``related``) names it by id,
    never in ``summary``: everyone who can see this case reads the summary, and only those who can also
    see the other case may read its reference (``RELATED_CASE_TITLES`` names it for them)."""
    db.session.add(
        CaseEvent(
            case_id=case.id,
            kind=kind,
            summary=summary,
            actor_id=getattr(actor, "id", None),
            related_case_id=related.id if related is not None else None,
            # The service's clock, as the audit log's: retention counts its grace from a ``closed``
            # event's time (``casework.data_protection.retention.closure_within_grace``).
            created_at=now(),
        )
    )


def _agency_by_code(actor: Any, code: str, field: str) -> Agency:
    return AGENCIES.get(actor, code, field)


def _owner_in(actor: Any, agency: Agency, email: str, field: str = "owner_email") -> User:
    user = USERS_BY_EMAIL.get(actor, email, field)
    if user.agency_id != agency.id or not can_work_in_lead_role(user):
        raise InvalidInput({field: [f"The case owner must be an officer, coordinator or manager at {agency.name}"]})
    return user


def _visible_person(actor: Any, person_id: int, field: str) -> Person:
    return PEOPLE.get(actor, person_id, field)


def _check_category(code: str, area: Area) -> None:
    if code not in {c.code for c in categories_for(area)}:
        raise InvalidInput({"category": ["Choose a category offered in this area"]})


def create_case(
    actor: Any,
    *,
    area_code: str,
    category: str,
    summary: str,
    parties: Sequence[dict[str, Any]] = (),
    location: str | None = None,
    lead_agency_code: str | None = None,
    owner_email: str | None = None,
    is_restricted: bool = False,
    shared_with: Iterable[str] = (),
    named_user_emails: Iterable[str] = (),
    opened_on: date | None = None,
) -> Case:
    """Open a case, on ``opened_on`` (default today; an earlier day for a case entered late or
    imported, whose reference then takes that year)."""
    if not actor.can(Permission.OPEN_CASES):
        raise Forbidden("Only officers, coordinators and managers open cases.")
    opened_on = opened_on or today()
    date_errors: dict[str, list[str]] = {}
    check_event_day(date_errors, "opened_on", opened_on, "The date the case was opened")
    if date_errors:
        raise InvalidInput(date_errors)
    area = AREAS.get(actor, area_code, "area_code")
    if area.id not in actor.area_ids:
        raise InvalidInput({"area_code": ["Your agency does not cover this area"]})
    _check_category(category, area)
    lead_agency = actor.agency
    if lead_agency_code and lead_agency_code != actor.agency.code:
        lead_agency = _agency_by_code(actor, lead_agency_code, "lead_agency_code")
        if area.id not in {a.id for a in lead_agency.areas}:
            raise InvalidInput({"lead_agency_code": [f"{lead_agency.name} does not cover {area.name}"]})
    # The opener owns the case when it is their agency's; otherwise the lead agency assigns it.
    owner: User | None = actor if actor.agency_id == lead_agency.id else None
    if owner_email:
        owner = _owner_in(actor, lead_agency, owner_email)
    people = [
        (_visible_person(actor, p["person_id"], f"parties.{i}.person_id"), p["role"]) for i, p in enumerate(parties)
    ]
    share_agencies = AGENCIES.get_many(actor, dict.fromkeys(shared_with), "shared_with")
    named_users = USERS_BY_EMAIL.get_many(actor, dict.fromkeys(named_user_emails), "named_user_emails")

    year = opened_on.year
    sequence, reference = allocate_reference(area, year)
    case = Case(
        reference=reference,
        opened_on=opened_on,
        area_id=area.id,
        year=year,
        sequence=sequence,
        category=category,
        summary=summary,
        location=location or None,
        lead_agency_id=lead_agency.id,
        owner_id=owner.id if owner else None,
        is_restricted=is_restricted,
        created_by_id=actor.id,
    )
    db.session.add(case)
    db.session.flush()
    for person, role in dict.fromkeys(people):
        db.session.add(CaseParty(case_id=case.id, person_id=person.id, role=PartyRole(role)))
    # Opening a case for another lead agency shares it back with the opener's agency, so they keep it.
    sharers = share_agencies + ([actor.agency] if lead_agency.id != actor.agency_id else [])
    for agency in {a.id: a for a in sharers if a.id != lead_agency.id}.values():
        db.session.add(CaseShare(case_id=case.id, agency_id=agency.id, shared_by_id=actor.id))
    if is_restricted:
        names = {u.id: u for u in [actor, *([owner] if owner else []), *named_users]}
        for user in names.values():
            db.session.add(CaseAccess(case_id=case.id, user_id=user.id))
    _event(actor, case, CaseEventKind.opened, f"Case opened by {actor.name}")
    db.session.flush()
    record_change(
        actor,
        case,
        None,
        {
            **snapshot(case, ("reference", *CASE_FIELDS)),
            "lead_agency": lead_agency.code,
            "parties": [[p.id, r] for p, r in people],
            "shared_with": [a.code for a in sharers],
        },
        f"Opened case {reference}",
        event_on=opened_on,
    )
    return case


def update_case(actor: Any, case: Case, expected_version: int, **changes: Any) -> Case:
    """Change the summary, location, category, owner or restriction of a case (optimistic lock)."""
    if expected_version != case.version:
        raise Conflict("The case changed since you read it.")
    before = snapshot(case, CASE_FIELDS)
    if "category" in changes:
        _check_category(changes["category"], case.area)
        case.category = changes["category"]
    if "summary" in changes:
        case.summary = changes["summary"]
    if "location" in changes:
        case.location = changes["location"] or None
    if changes.get("owner_email"):
        owner = _owner_in(actor, case.lead_agency, changes["owner_email"])
        if owner.id != case.owner_id:
            case.owner_id = owner.id
            _event(actor, case, CaseEventKind.owner_changed, f"Case owner changed to {owner.name}")
            if case.is_restricted:
                _grant(actor, case, owner)
            _move_open_tasks(case, owner)
    if "is_restricted" in changes and changes["is_restricted"] != case.is_restricted:
        case.is_restricted = changes["is_restricted"]
        if case.is_restricted:
            _grant(actor, case, actor)
            if case.owner is not None:
                _grant(actor, case, case.owner)
            _event(actor, case, CaseEventKind.restricted, "Case restricted to named users")
        else:
            _event(actor, case, CaseEventKind.unrestricted, "Case no longer restricted")
    db.session.flush()
    record_change(actor, case, before, snapshot(case, CASE_FIELDS), f"Changed case {case.reference}")
    if case.is_restricted and not before.get("is_restricted"):
        _sight_narrowed(actor, case)
    return case


def _sight_narrowed(actor: Any, case: Case) -> None:
    """Some who saw ``case`` may no longer (those not named when it is restricted, an agency's staff
    when it is no longer shared with them): the work they held on it goes back to its owner."""
    from casework.core import lifecycle

    lifecycle.send(lifecycle.sight_narrowed, case_ids=[case.id], user_ids=None, actor=actor)


#: At most this many cases are reassigned in one go.
REASSIGN_LIMIT = 100


def reassign_cases(actor: Any, case_ids: Sequence[int], owner_email: str) -> list[Case]:
    """Give every case in ``case_ids`` to the owner ``owner_email``: all of them or none.

    Each id is loaded through the cases' visibility (``CASES``: an id the user cannot see is refused
    like one that does not exist), each case must be one the user may change (its lead agency's
    staff), and the owner must be able to own it. Each change is made and audited as an edit of that
    case is (``update_case``: the owner-changed event, open tasks moved, restricted access granted).
    """
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise InvalidInput({"case_ids": ["Choose at least one case to reassign"]})
    if len(ids) > REASSIGN_LIMIT:
        raise InvalidInput({"case_ids": [f"Choose at most {REASSIGN_LIMIT} cases at once"]})
    if not owner_email:
        raise InvalidInput({"owner_email": ["Choose who the cases go to"]})
    cases = CASES.get_many(actor, ids, "case_ids")
    refuse_anonymised_named(cases, "case_ids")
    refused = [case.reference for case in cases if not can_manage_case(actor, case)]
    if refused:
        raise InvalidInput({"case_ids": [f"Only the lead agency's staff can reassign {', '.join(refused)}"]})
    for case in cases:
        update_case(actor, case, case.version, owner_email=owner_email)
    return cases


def _move_open_tasks(case: Case, owner: User) -> None:
    """The case's open second-report deadlines follow the case to its new owner (through the
    reminders' service, which owns the deadline rows), and so does any of its work held by someone
    who may not see the case (left with them when its owner could not see it either:
    ``return_unseen_work``)."""
    from casework.reminders.services import reassign_open, return_unseen_work

    open_tasks = sa.select(CaseReviewExplanation.id).where(
        CaseReviewExplanation.case_id == case.id, CaseReviewExplanation.explained_on.is_(None)
    )
    reassign_open(CaseReviewExplanation.__tablename__, open_tasks, owner.id)
    db.session.flush()
    return_unseen_work(case_ids=[case.id])


def _grant(actor: Any, case: Case, user: User) -> bool:
    # Named at the same moment by someone else: the unique key refuses the second row (``add_unless_taken``).
    exists = db.session.get(CaseAccess, (case.id, user.id))
    return exists is None and add_unless_taken(CaseAccess(case_id=case.id, user_id=user.id))


def grant_access(actor: Any, case: Case, email: str) -> User:
    """Name a user on a restricted case, so they may see it (they still need their agency's access)."""
    if not case.is_restricted:
        raise RuleViolation("Only restricted cases have named users.")
    user = USERS_BY_EMAIL.get(actor, email, "email")
    if _grant(actor, case, user):
        _event(actor, case, CaseEventKind.access_granted, f"{user.name} named on the case")
        db.session.flush()
        record(actor, AuditAction.update, case, f"Named {user.email} on restricted case {case.reference}")
    return user


def close_case(
    actor: Any,
    case: Case,
    *,
    reason: str,
    closed_on: date | None = None,
    expected_version: int | None = None,
    handover_to: User | None = None,
    hand_over_action_ids: Iterable[int] = (),
) -> Case:
    """Close the case and send ``case_closed``: every domain settles its open work.

    Statutory deadlines (a linked Case Review's actions, court hearings, order reviews) are handed
    over to ``handover_to`` (or kept by their current owner); the actions in ``hand_over_action_ids``
    are handed over to ``handover_to``; every other action and deadline of the case is cancelled with
    the reason recorded. Without a choice (the API with only a reason) ordinary work is cancelled.
    """
    from casework.core import lifecycle

    if expected_version is not None and expected_version != case.version:
        raise Conflict("The case changed since you read it.")
    if case.status is CaseStatus.closed:
        raise RuleViolation("The case is already closed.")
    if not reason or not reason.strip():
        raise InvalidInput({"reason": ["Enter the reason for closing the case"]})
    closed_on = closed_on or today()
    errors: dict[str, list[str]] = {}
    check_event_day(errors, "closed_on", closed_on, "The closing date")
    opened_on = case.opened_on
    if opened_on and closed_on < opened_on:
        errors.setdefault("closed_on", []).append("The closing date cannot be before the case was opened")
    action_ids = frozenset(int(i) for i in hand_over_action_ids)
    if handover_to is not None and not may_take_work_on(handover_to, case):
        # Refused alike whether they do not exist, do not work on cases or may not see this case.
        errors.setdefault("handover_to", []).append("Choose an active member of staff who can see this case")
    elif action_ids and handover_to is None:
        errors.setdefault("handover_to", []).append("Choose who takes over the actions you hand over")
    if errors:
        raise InvalidInput(errors)
    before = snapshot(case, CASE_FIELDS)
    case.status = CaseStatus.closed
    case.closure_reason = reason.strip()
    case.closed_on = closed_on
    _event(actor, case, CaseEventKind.closed, f"Case closed: {case.closure_reason}")
    db.session.flush()
    record_change(actor, case, before, snapshot(case, CASE_FIELDS), f"Closed case {case.reference}", event_on=closed_on)
    handover = lifecycle.CaseHandover(reason=case.closure_reason, actor=actor, owner=handover_to, action_ids=action_ids)
    lifecycle.send(lifecycle.case_closed, case=case, actor=actor, handover=handover)
    return case


#: The one answer to a handover user who cannot take the work: unknown, inactive, not working on cases,
#: or not able to see the case all read the same, so the answer reveals nothing about them or the case.
HANDOVER_REFUSED = "There is no active member of staff with this email address who can see this case"


def handover_user(actor: Any, email: str, case: Case, field: str = "handover_to_email") -> User:
    """The member of staff named to take over a closing case's continuing work: one ``actor`` can see
    (``USERS_BY_EMAIL``), active, and able to see ``case`` (``case_readers_clause``): the work's
    titles quote the case, so it goes only to someone who may read it."""
    user = USERS_BY_EMAIL.find(actor, email)
    if user is None or not may_take_work_on(user, case):
        raise InvalidInput({field: [HANDOVER_REFUSED]})
    return user


def check_case_actions(
    actor: Any, case: Case, action_ids: Iterable[int], field: str = "hand_over_action_ids"
) -> list[int]:
    """``action_ids`` must be open actions of ``case`` (an id from elsewhere is refused, not ignored)."""
    from casework.cases.models import ActionStatus
    from casework.cases.policies import ACTIONS

    actions = ACTIONS.get_many(actor, sorted({int(i) for i in action_ids}), field)
    if any(a.case_id != case.id or a.status not in (ActionStatus.open, ActionStatus.in_progress) for a in actions):
        raise InvalidInput({field: ["Choose open actions of this case"]})
    return [a.id for a in actions]


def reopen_case(actor: Any, case: Case, *, reason: str, expected_version: int | None = None) -> Case:
    if expected_version is not None and expected_version != case.version:
        raise Conflict("The case changed since you read it.")
    if case.status is not CaseStatus.closed:
        raise RuleViolation("Only a closed case can be reopened.")
    if case.anonymised_at is not None:
        raise RuleViolation("This case was anonymised under the retention policy and cannot be reopened.")
    if not reason or not reason.strip():
        raise InvalidInput({"reason": ["Enter the reason for reopening the case"]})
    before = snapshot(case, CASE_FIELDS)
    case.status = CaseStatus.open
    case.closure_reason = None
    case.closed_on = None
    _event(actor, case, CaseEventKind.reopened, f"Case reopened: {reason.strip()}")
    db.session.flush()
    after = {**snapshot(case, CASE_FIELDS), "reopen_reason": reason.strip()}
    record_change(actor, case, before, after, f"Reopened case {case.reference}")
    from casework.core import lifecycle

    lifecycle.send(lifecycle.case_reopened, case=case, actor=actor, reason=reason.strip())
    return case


def share_case(actor: Any, case: Case, agency_code: str) -> Agency:
    agency = _agency_by_code(actor, agency_code, "agency_code")
    if agency.id == case.lead_agency_id:
        raise InvalidInput({"agency_code": ["The lead agency already has the case"]})
    if db.session.get(CaseShare, (case.id, agency.id)) is None and add_unless_taken(
        CaseShare(case_id=case.id, agency_id=agency.id, shared_by_id=actor.id)
    ):
        _event(actor, case, CaseEventKind.shared, f"Shared with {agency.name}")
        db.session.flush()
        record(
            actor,
            AuditAction.update,
            case,
            f"Shared case {case.reference} with {agency.code}",
            {"shared_with": [None, agency.code]},
        )
    return agency


def unshare_case(actor: Any, case: Case, agency_code: str) -> Agency:
    agency = _agency_by_code(actor, agency_code, "agency_code")
    share = db.session.get(CaseShare, (case.id, agency.id))
    if share is None:
        raise InvalidInput({"agency_code": ["The case is not shared with this agency"]})
    db.session.delete(share)
    _event(actor, case, CaseEventKind.unshared, f"No longer shared with {agency.name}")
    db.session.flush()
    record(
        actor,
        AuditAction.update,
        case,
        f"Stopped sharing case {case.reference} with {agency.code}",
        {"shared_with": [agency.code, None]},
    )
    _sight_narrowed(actor, case)
    return agency


def link_cases(actor: Any, case: Case, other_id: int) -> Case:
    other = CASES.get(actor, other_id, "case_id")
    if other.id == case.id:
        raise InvalidInput({"case_id": ["A case cannot be linked to itself"]})
    refuse_anonymised(case)
    refuse_anonymised_named([other], "case_id")
    if db.session.get(CaseLink, (case.id, other.id)) is None and add_unless_taken(
        CaseLink(case_id=case.id, linked_case_id=other.id, linked_by_id=actor.id),
        CaseLink(case_id=other.id, linked_case_id=case.id, linked_by_id=actor.id),
    ):
        _event(actor, case, CaseEventKind.linked, LINKED_SUMMARY, related=other)
        _event(actor, other, CaseEventKind.linked, LINKED_SUMMARY, related=case)
        db.session.flush()
        record(actor, AuditAction.update, case, f"Linked case {case.reference} to {other.reference}")
    return other


def linked_cases(actor: Any, case: Case) -> list[Case]:
    """Linked cases the actor can also see (a link does not open a case to anyone)."""
    return list(
        db.session.scalars(
            sa.select(Case)
            .join(CaseLink, CaseLink.linked_case_id == Case.id)
            .where(CaseLink.case_id == case.id, visible_cases_clause(actor))
            .order_by(Case.reference)
        )
    )


def add_party(actor: Any, case: Case, person_id: int, role: str) -> CaseParty:
    person = _visible_person(actor, person_id, "person_id")
    party = db.session.scalar(
        sa.select(CaseParty).where(
            CaseParty.case_id == case.id, CaseParty.person_id == person.id, CaseParty.role == PartyRole(role)
        )
    )
    if party is None:
        party = CaseParty(case_id=case.id, person_id=person.id, role=PartyRole(role))
        if not add_unless_taken(party):
            # Added by someone else at the same moment: theirs is the one.
            return db.session.scalars(
                sa.select(CaseParty).where(
                    CaseParty.case_id == case.id, CaseParty.person_id == person.id, CaseParty.role == PartyRole(role)
                )
            ).one()
        record(
            actor,
            AuditAction.update,
            case,
            # The person by number: this entry's values are the case's, erased with the case, and the
            # person may be anonymised before it (a record merged into another, a shorter period).
            f"Added person {person.id} to case {case.reference} as {role}",
            {"party": [None, [person.id, role]]},
        )
    return party


def add_note(actor: Any, case: Case, text: str) -> CaseNote:
    if not text or not text.strip():
        raise InvalidInput({"text": ["Enter the note"]})
    note = CaseNote(case_id=case.id, text=text.strip(), created_by_id=actor.id)
    db.session.add(note)
    db.session.flush()
    record_change(actor, note, None, {"case_id": case.id}, f"Added a note to case {case.reference}")
    return note


def view_case(actor: Any, case: Case, *, how: str = "Viewed") -> None:
    """Record that ``actor`` looked at the case (``how``: "Viewed", or "Printed" for the print view).

    In a request the entry is written with the request's other view entries (``casework.audit.reads``:
    one statement for all of them on PostgreSQL, two on SQLite, after the answer is made); elsewhere it
    is added to the session."""
    if has_request_context():
        note_viewed("cases", case.id, f"{how} case {case.reference}")
    else:
        record_view(actor, case, f"{how} case {case.reference}")
