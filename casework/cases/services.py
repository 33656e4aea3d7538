"""People, cases and the incident ledger: every change goes through here. Never commits.

Each function takes the acting user and plain values, validates them, changes the session, flushes,
writes its audit entries and raises domain errors (``InvalidInput`` for bad values, ``RuleViolation``
for procedural blocks, ``Forbidden``/``NotFound`` for access).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import has_request_context

from casework.accounts.models import Agency, Area, User
from casework.accounts.policies import AGENCIES, AREAS, USERS_BY_EMAIL
from casework.accounts.services import area_settings
from casework.audit.models import AuditAction
from casework.audit.reads import note_shown, note_viewed
from casework.audit.services import record, record_change, record_view, snapshot
from casework.cases import settings as case_settings
from casework.cases.models import (
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
    Complaint,
    ExplanationMethod,
    Incident,
    PartyRole,
    Person,
    PersonKind,
    QueuedPoliceReport,
)
from casework.cases.policies import (
    CASES,
    LEAD_AGENCY_ROLES,
    PEOPLE,
    can_manage_case,
    visibility_params,
    visibility_shape,
    visible_cases_clause,
    visible_cases_template,
    visible_people_clause,
)
from casework.core.dates import add_working_days, end_of_months_beginning_with
from casework.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from casework.core.lifecycle import REMOVED
from casework.core.permissions import Permission
from casework.core.templating import format_date
from casework.core.time import london_day, now, today
from casework.extensions import db
from casework.reminders.services import close_deadline, set_deadline

#: The second-report rule's window (statutory guidance, July 2025): six months beginning with the first.
SECOND_REPORT_MONTHS = 6
EXPLAIN_KIND = "case.explain_case_review"
ANONYMISED = REMOVED

PERSON_FIELDS = (
    "kind",
    "name",
    "date_of_birth",
    "address",
    "postcode",
    "email",
    "phone",
    "is_personally_vulnerable",
    "personal_vulnerability_notes",
    "is_situationally_vulnerable",
    "situational_vulnerability_notes",
    "is_incidentally_vulnerable",
    "incidental_vulnerability_notes",
    "consent_given",
    "consent_on",
    "consent_scope",
)
CASE_FIELDS = (
    "category",
    "summary",
    "location",
    "owner_id",
    "is_restricted",
    "status",
    "opened_on",
    "closure_reason",
    "closed_on",
)


# --- normalising -------------------------------------------------------------------------------------


def normalise_name(name: str) -> str:
    """Lower-case with runs of spaces collapsed (SPEC section 9: names compare this way)."""
    return " ".join(name.lower().split())


def normalise_postcode(postcode: str | None) -> str | None:
    """``s44 6nr`` -> ``S44 6NR``: upper case, one space before the inward code."""
    if not postcode:
        return None
    compact = "".join(postcode.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def normalise_address(address: str | None, postcode: str | None) -> str | None:
    """Address and postcode without case, punctuation or repeated spaces: ``12 High St.`` matches
    ``12 high st``."""
    if not address:
        return None
    text = re.sub(r"[^\w\s]", " ", address.lower())
    text = " ".join(text.split())
    if postcode:
        text = f"{text} {''.join(postcode.split()).lower()}"
    return text[:520]


def _check_past(errors: dict[str, list[str]], field: str, value: date | None, what: str) -> None:
    if value is not None and value > today():
        errors.setdefault(field, []).append(f"{what} cannot be in the future")


def _check_event_day(errors: dict[str, list[str]], field: str, value: date | None, what: str) -> None:
    """SPEC section 10: the date of something that happened is not before 1900 nor in the future."""
    if value is not None and value.year < 1900:
        errors.setdefault(field, []).append(f"{what} must be in 1900 or later")
    _check_past(errors, field, value, what)


def _can_work_in_lead_role(user: Any) -> bool:
    return any(user.has_role(r) for r in LEAD_AGENCY_ROLES)


# --- people ------------------------------------------------------------------------------------------


def find_likely_duplicates(
    actor: Any,
    *,
    name: str,
    date_of_birth: date | None,
    address: str | None,
    postcode: str | None,
    exclude_id: int | None = None,
) -> list[Person]:
    """People the actor can see with the same name and date of birth, or the same address.

    Only people visible to the actor are named: a warning must not reveal another agency's records.
    """
    normalised = normalise_name(name)
    address_key = normalise_address(address, postcode)
    matches = []
    if date_of_birth is not None:
        matches.append(sa.and_(Person.normalised_name == normalised, Person.date_of_birth == date_of_birth))
    if address_key:
        matches.append(Person.normalised_address == address_key)
    if not matches:
        return []
    query = (
        sa.select(Person)
        .where(
            sa.or_(*matches),
            Person.anonymised_at.is_(None),
            Person.merged_into_id.is_(None),
            visible_people_clause(actor),
        )
        .order_by(Person.id)
        .limit(10)
    )
    if exclude_id is not None:
        query = query.where(Person.id != exclude_id)
    return list(db.session.scalars(query))


def _validate_person(values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    _check_past(errors, "date_of_birth", values.get("date_of_birth"), "Date of birth")
    _check_past(errors, "consent_on", values.get("consent_on"), "The date consent was given or refused")
    if values.get("consent_given") is not None and values.get("consent_on") is None:
        errors.setdefault("consent_on", []).append("Enter the date consent was given or refused")
    if errors:
        raise InvalidInput(errors)


def create_person(actor: Any, **values: Any) -> tuple[Person, list[Person]]:
    """Create a person; answers the person and the likely duplicates found before creating it."""
    kind = PersonKind(values.pop("kind", None) or PersonKind.individual)
    name = (values.pop("name", None) or "").strip()
    if not name:
        if kind is not PersonKind.unknown:
            raise InvalidInput({"name": ["Enter the person's name"]})
        name = "Unknown"
    values["postcode"] = normalise_postcode(values.get("postcode"))
    _validate_person(values)
    duplicates = find_likely_duplicates(
        actor,
        name=name,
        date_of_birth=values.get("date_of_birth"),
        address=values.get("address"),
        postcode=values.get("postcode"),
    )
    person = Person(
        kind=kind,
        name=name,
        normalised_name=normalise_name(name),
        normalised_address=normalise_address(values.get("address"), values.get("postcode")),
        agency_id=actor.agency_id,
        created_by_id=actor.id,
        **{k: v for k, v in values.items() if k in PERSON_FIELDS},
    )
    db.session.add(person)
    db.session.flush()
    record_change(actor, person, None, snapshot(person, PERSON_FIELDS), f"Added person {person.name}")
    return person, duplicates


def update_person(actor: Any, person: Person, expected_version: int | None, **changes: Any) -> Person:
    if person.anonymised_at is not None:
        raise RuleViolation("This person's details were removed under the retention policy.")
    if expected_version is not None and expected_version != person.version:
        raise Conflict("The record changed since you read it.")
    if "name" in changes and not (changes["name"] or "").strip():
        raise InvalidInput({"name": ["Enter the person's name"]})
    before = snapshot(person, PERSON_FIELDS)
    if "postcode" in changes:
        changes["postcode"] = normalise_postcode(changes["postcode"])
    merged = {**before, **changes}
    merged["date_of_birth"] = changes.get("date_of_birth", person.date_of_birth)
    merged["consent_on"] = changes.get("consent_on", person.consent_on)
    _validate_person(merged)
    for key, value in changes.items():
        if key in PERSON_FIELDS:
            setattr(person, key, PersonKind(value) if key == "kind" else value)
    if "name" in changes:
        person.normalised_name = normalise_name(person.name)
    person.normalised_address = normalise_address(person.address, person.postcode)
    db.session.flush()
    record_change(actor, person, before, snapshot(person, PERSON_FIELDS), f"Changed person {person.name}")
    return person


def view_person(actor: Any, person: Person) -> None:
    record_view(actor, person, f"Viewed person {person.id}")


def person_cases(actor: Any, person: Person) -> list[Case]:
    """The cases the actor can see on which the person is a party."""
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(
                Case.id.in_(sa.select(CaseParty.case_id).where(CaseParty.person_id == person.id)),
                visible_cases_clause(actor),
            )
            .options(sa.orm.joinedload(Case.area), sa.orm.joinedload(Case.owner))
            .order_by(Case.created_at.desc())
        )
    )


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


def _event(actor: Any, case: Case, kind: CaseEventKind, summary: str) -> None:
    db.session.add(CaseEvent(case_id=case.id, kind=kind, summary=summary, actor_id=getattr(actor, "id", None)))


def _agency_by_code(actor: Any, code: str, field: str) -> Agency:
    return AGENCIES.get(actor, code, field)


def _owner_in(actor: Any, agency: Agency, email: str, field: str = "owner_email") -> User:
    user = USERS_BY_EMAIL.get(actor, email, field)
    if user.agency_id != agency.id or not _can_work_in_lead_role(user):
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
    _check_event_day(date_errors, "opened_on", opened_on, "The date the case was opened")
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
            _move_open_tasks(case, owner)
            if case.is_restricted:
                _grant(actor, case, owner)
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
    return case


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
    refused = [case.reference for case in cases if not can_manage_case(actor, case)]
    if refused:
        raise InvalidInput({"case_ids": [f"Only the lead agency's staff can reassign {', '.join(refused)}"]})
    for case in cases:
        update_case(actor, case, case.version, owner_email=owner_email)
    return cases


def _move_open_tasks(case: Case, owner: User) -> None:
    """The case's open second-report deadlines follow the case to its new owner (through the
    reminders' service, which owns the deadline rows)."""
    from casework.reminders.services import reassign_open

    open_tasks = sa.select(CaseReviewExplanation.id).where(
        CaseReviewExplanation.case_id == case.id, CaseReviewExplanation.explained_on.is_(None)
    )
    reassign_open(CaseReviewExplanation.__tablename__, open_tasks, owner.id)


def _grant(actor: Any, case: Case, user: User) -> bool:
    exists = db.session.get(CaseAccess, (case.id, user.id))
    if exists is None:
        db.session.add(CaseAccess(case_id=case.id, user_id=user.id))
        return True
    return False


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
    """Close the case and send ``case_closed``: every domain settles its open work (SPEC section 10).

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
    _check_event_day(errors, "closed_on", closed_on, "The closing date")
    opened_on = case.opened_on
    if opened_on and closed_on < opened_on:
        errors.setdefault("closed_on", []).append("The closing date cannot be before the case was opened")
    action_ids = frozenset(int(i) for i in hand_over_action_ids)
    if handover_to is not None and (not handover_to.is_active or not handover_to.can(Permission.VIEW_CASES)):
        errors.setdefault("handover_to", []).append("Choose an active member of staff who works on cases")
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


def handover_user(actor: Any, email: str, field: str = "handover_to_email") -> User:
    """The member of staff named to take over a closing case's continuing work: one ``actor`` can see
    (``USERS_BY_EMAIL``), active, and working on cases."""
    user = USERS_BY_EMAIL.get(actor, email, field)
    if not user.is_active or not user.can(Permission.VIEW_CASES):
        raise InvalidInput({field: ["There is no active member of staff with this email address"]})
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
    if db.session.get(CaseShare, (case.id, agency.id)) is None:
        db.session.add(CaseShare(case_id=case.id, agency_id=agency.id, shared_by_id=actor.id))
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
    return agency


def link_cases(actor: Any, case: Case, other_id: int) -> Case:
    other = CASES.get(actor, other_id, "case_id")
    if other.id == case.id:
        raise InvalidInput({"case_id": ["A case cannot be linked to itself"]})
    if db.session.get(CaseLink, (case.id, other.id)) is None:
        db.session.add(CaseLink(case_id=case.id, linked_case_id=other.id, linked_by_id=actor.id))
        db.session.add(CaseLink(case_id=other.id, linked_case_id=case.id, linked_by_id=actor.id))
        _event(actor, case, CaseEventKind.linked, f"Linked to {other.reference}")
        _event(actor, other, CaseEventKind.linked, f"Linked to {case.reference}")
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
        db.session.add(party)
        db.session.flush()
        record(
            actor,
            AuditAction.update,
            case,
            f"Added {person.name} to case {case.reference} as {role}",
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
    two statements for all of them, after the answer is made); elsewhere it is added to the session."""
    if has_request_context():
        note_viewed("cases", case.id, f"{how} case {case.reference}")
    else:
        record_view(actor, case, f"{how} case {case.reference}")


# --- the incident and complaint ledger ---------------------------------------------------------------


def _require_open(case: Case, *days: date | None) -> None:
    """A closed case's ledger takes only its history: behaviour and reports from before it closed
    (past work entered late or imported). Anything later needs the case reopened."""
    if case.status is not CaseStatus.closed:
        return
    closed_on = case.closed_on
    if closed_on is None or not days or any(day is None or day > closed_on for day in days):
        raise RuleViolation(
            "The case is closed"
            + (f" (on {format_date(closed_on)})" if closed_on else "")
            + ". Reopen it to add behaviour or reports after it closed."
        )


def _complaint_errors(
    actor: Any, occurred_on: date, complaint: dict[str, Any], prefix: str
) -> tuple[dict[str, list[str]], Person | None, Agency | None]:
    errors: dict[str, list[str]] = {}
    reported_on = complaint["reported_on"]
    if reported_on > today():
        errors.setdefault(f"{prefix}reported_on", []).append("The date it was reported cannot be in the future")
    if reported_on < occurred_on:
        errors.setdefault(f"{prefix}reported_on", []).append(
            "The date it was reported cannot be before the behaviour happened"
        )
    agency = AGENCIES.find(actor, complaint["agency_code"])
    if agency is None:
        errors.setdefault(f"{prefix}agency_code", []).append(AGENCIES.missing_message)
    person = None
    if complaint.get("complainant_person_id") is not None:
        person = PEOPLE.find(actor, complaint["complainant_person_id"])
        if person is None:
            errors.setdefault(f"{prefix}complainant_person_id", []).append(PEOPLE.missing_message)
    return errors, person, agency


def _add_complaint(
    actor: Any, case: Case, incident: Incident, person: Person | None, agency: Agency, values: dict[str, Any]
) -> Complaint:
    complaint = Complaint(
        incident=incident,
        complainant_person_id=person.id if person else None,
        reported_on=values["reported_on"],
        agency_id=agency.id,
        reference=values.get("reference") or None,
        created_by_id=actor.id,
    )
    db.session.add(complaint)
    if person is not None:
        # A complainant becomes a party, so the case page lists them and they stay visible with it.
        on_case = db.session.scalar(
            sa.select(CaseParty.id).where(CaseParty.case_id == case.id, CaseParty.person_id == person.id)
        )
        if on_case is None:
            db.session.add(CaseParty(case_id=case.id, person_id=person.id, role=PartyRole.complainant))
    return complaint


def record_incident(
    actor: Any,
    case: Case,
    *,
    occurred_on: date,
    description: str,
    causes_had: bool = True,
    hate_motivated: bool = False,
    complaints: Sequence[dict[str, Any]] = (),
) -> Incident:
    """Record the behaviour on a day and every report of it (one incident, several complaints)."""
    _require_open(case, occurred_on, *(c.get("reported_on") for c in complaints))
    errors: dict[str, list[str]] = {}
    _check_event_day(errors, "occurred_on", occurred_on, "The date the behaviour happened")
    checked = []
    for index, values in enumerate(complaints):
        found, person, agency = _complaint_errors(actor, occurred_on, values, f"complaints.{index}.")
        for key, messages in found.items():
            errors.setdefault(key, []).extend(messages)
        checked.append((person, agency, values))
    if errors:
        raise InvalidInput(errors)
    incident = Incident(
        case_id=case.id,
        occurred_on=occurred_on,
        description=description,
        causes_had=causes_had,
        hate_motivated=hate_motivated,
        created_by_id=actor.id,
    )
    db.session.add(incident)
    for person, agency, values in checked:
        _add_complaint(actor, case, incident, person, agency, values)
    db.session.flush()
    record_change(
        actor,
        incident,
        None,
        {
            **snapshot(incident, ("case_id", "occurred_on", "causes_had", "hate_motivated")),
            "complaints": [
                [c.complainant_person_id, c.reported_on, c.agency_id, c.reference] for c in incident.complaints
            ],
        },
        f"Recorded an incident on case {case.reference}",
        event_on=occurred_on,
    )
    for person in {p.id: p for p, _, _ in checked if p is not None}.values():
        check_second_report(actor, case, person)
    _complaints_recorded(actor, {p.id for p, _, _ in checked if p is not None})
    return incident


def _complaints_recorded(actor: Any, person_ids: set[int]) -> None:
    """Tell the other domains (the threshold watch) whose complaints were just written and flushed."""
    from casework.core import lifecycle

    if person_ids:
        lifecycle.send(lifecycle.complaint_recorded, person_ids=person_ids, actor=actor)


def add_complaint(actor: Any, case: Case, incident: Incident, **values: Any) -> Complaint:
    """Another report of an incident already on the ledger (the same behaviour, another agency)."""
    _require_open(case, values.get("reported_on"))
    errors, person, agency = _complaint_errors(actor, incident.occurred_on, values, "")
    if errors:
        raise InvalidInput(errors)
    complaint = _add_complaint(actor, case, incident, person, agency, values)
    db.session.flush()
    record_change(
        actor,
        complaint,
        None,
        snapshot(complaint, ("incident_id", "complainant_person_id", "reported_on", "agency_id", "reference")),
        f"Recorded a complaint on case {case.reference}",
        event_on=values.get("reported_on"),
    )
    if person is not None:
        check_second_report(actor, case, person)
        _complaints_recorded(actor, {person.id})
    return complaint


# --- many incidents at once (an import) ---------------------------------------------------------------


@dataclass
class ComplaintInput:
    reported_on: date
    agency_id: int
    complainant_person_id: int | None = None
    reference: str | None = None


@dataclass
class IncidentInput:
    """An incident for ``record_incidents_bulk``: the case and the people already loaded through the
    visibility rules by the caller (as the API's ``record_incident`` loads them)."""

    case: Case
    occurred_on: date
    description: str
    causes_had: bool = True
    hate_motivated: bool = False
    complaints: list[ComplaintInput] = field(default_factory=list)


@dataclass
class RecordedIncidents:
    incident_ids: list[int]
    complaint_ids: list[int]
    party_ids: list[int]


def incident_problems(item: IncidentInput) -> dict[str, list[str]]:
    """The checks ``record_incident`` makes, for one incident of a bulk insert (field -> messages)."""
    errors: dict[str, list[str]] = {}
    try:
        _require_open(item.case, item.occurred_on, *(c.reported_on for c in item.complaints))
    except RuleViolation as error:
        errors.update(error.errors)
    _check_event_day(errors, "occurred_on", item.occurred_on, "The date the behaviour happened")
    if not (item.description or "").strip():
        errors.setdefault("description", []).append("Describe what happened")
    for complaint in item.complaints:
        if complaint.reported_on > today():
            errors.setdefault("reported_on", []).append("The date it was reported cannot be in the future")
        elif complaint.reported_on < item.occurred_on:
            errors.setdefault("reported_on", []).append(
                "The date it was reported cannot be before the behaviour happened"
            )
    return errors


def record_incidents_bulk(actor: Any, items: Sequence[IncidentInput], *, note: str) -> RecordedIncidents:
    """Record many incidents and their complaints with a fixed number of statements, for an import.

    The same rules as ``record_incident`` (``incident_problems``: the caller reports each item's
    problems and passes only those without); complainants become parties as there. Measured in
    bench/import_bench.py: one incident at a time through ``record_incident`` runs about ten statements
    per incident, which for a police force's or a council's history (100,000 incidents) is too slow.
    One audit entry names the incidents recorded together (``note`` says why: the import). The
    second-report task is raised only for complainants with a report in the last six months: for older
    history its window has long passed (past events are recorded only, SPEC section 10).
    """
    if not items:
        return RecordedIncidents([], [], [])
    incidents = cast(sa.Table, Incident.__table__)
    incident_ids = list(
        db.session.execute(
            sa.insert(incidents).returning(incidents.c.id, sort_by_parameter_order=True),
            [
                {
                    "case_id": item.case.id,
                    "occurred_on": item.occurred_on,
                    "description": item.description.strip(),
                    "causes_had": item.causes_had,
                    "hate_motivated": item.hate_motivated,
                    "created_by_id": actor.id,
                }
                for item in items
            ],
        ).scalars()
    )
    complaint_rows = [
        {
            "incident_id": incident_id,
            "complainant_person_id": complaint.complainant_person_id,
            "reported_on": complaint.reported_on,
            "agency_id": complaint.agency_id,
            "reference": complaint.reference or None,
            "created_by_id": actor.id,
        }
        for item, incident_id in zip(items, incident_ids, strict=True)
        for complaint in item.complaints
    ]
    complaints = cast(sa.Table, Complaint.__table__)
    complaint_ids = (
        list(
            db.session.execute(
                sa.insert(complaints).returning(complaints.c.id, sort_by_parameter_order=True), complaint_rows
            ).scalars()
        )
        if complaint_rows
        else []
    )
    # Complainants become parties of the case, as record_incident makes them.
    wanted = {
        (item.case.id, c.complainant_person_id)
        for item in items
        for c in item.complaints
        if c.complainant_person_id is not None
    }
    party_ids: list[int] = []
    if wanted:
        existing = set(
            db.session.execute(
                sa.select(CaseParty.case_id, CaseParty.person_id).where(
                    sa.tuple_(CaseParty.case_id, CaseParty.person_id).in_(sorted(wanted))
                )
            ).tuples()
        )
        missing = sorted(wanted - existing)
        if missing:
            parties = cast(sa.Table, CaseParty.__table__)
            party_ids = list(
                db.session.execute(
                    sa.insert(parties).returning(parties.c.id, sort_by_parameter_order=True),
                    [{"case_id": c, "person_id": p, "role": PartyRole.complainant.value} for c, p in missing],
                ).scalars()
            )
    record(
        actor,
        AuditAction.create,
        ("incidents", None),
        f"Recorded {len(incident_ids):,} incidents and {len(complaint_ids):,} complaints on "
        f"{len({item.case.id for item in items}):,} cases ({note})",
        {"incident_ids": incident_ids, "complaint_ids": complaint_ids},
    )
    window_start = _months_ago(today(), SECOND_REPORT_MONTHS)
    recent_pairs = {
        (item.case.id, c.complainant_person_id)
        for item in items
        for c in item.complaints
        if c.complainant_person_id is not None and c.reported_on >= window_start
    }
    if recent_pairs:
        cases = {item.case.id: item.case for item in items}
        people = {
            p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_({p for _, p in recent_pairs})))
        }
        for case_id, person_id in sorted(recent_pairs):
            check_second_report(actor, cases[case_id], people[person_id])
    _complaints_recorded(actor, {p for _c, p in recent_pairs})
    return RecordedIncidents(incident_ids, complaint_ids, party_ids)


def _months_ago(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    from calendar import monthrange

    return date(year, month, min(day.day, monthrange(year, month)[1]))


def get_incident(case: Case, incident_id: int) -> Incident:
    incident = db.session.scalar(sa.select(Incident).where(Incident.id == incident_id, Incident.case_id == case.id))
    if incident is None:
        raise NotFound("Incident not found.")
    return incident


# --- the second-report rule --------------------------------------------------------------------------


def report_dates(person: Person) -> list[tuple[date, int]]:
    """The reports ``person`` made, across every case (July 2025 guidance: the rule is per victim, not
    per case): one per incident, since several complaints about the same incident are one report, dated
    by the first of them. Each as ``(day, case_id)``, in order."""
    rows = db.session.execute(
        sa.select(sa.func.min(Complaint.reported_on), Incident.case_id)
        .join(Incident, Incident.id == Complaint.incident_id)
        .where(Complaint.complainant_person_id == person.id)
        .group_by(Complaint.incident_id, Incident.case_id)
    ).all()
    return sorted((day, case_id) for day, case_id in rows)


def second_report_windows(dates: Sequence[date], months: int = SECOND_REPORT_MONTHS) -> list[tuple[date, date]]:
    """(first, second) report pairs that raise the task: the second report falls within ``months``
    months beginning with the day of the first. A window raises once; the next report after a window
    ends starts a new one."""
    raised = []
    window_start: date | None = None
    count = 0
    for day in sorted(dates):
        if window_start is None or day > end_of_months_beginning_with(window_start, months):
            window_start, count = day, 1
            continue
        count += 1
        if count == 2:
            raised.append((window_start, day))
    return raised


def check_second_report(actor: Any, case: Case, person: Person) -> list[CaseReviewExplanation]:
    """Raise "Explain the Case Review to <name>" for each window not already raised (statutory
    guidance, July 2025: every victim who reports a second time within six months, whichever case the
    report lands on). ``case`` is where a report was just recorded; each task goes on the case of the
    report that made it the second, with a Deadline row for that case's owner."""
    existing = set(
        db.session.scalars(
            sa.select(CaseReviewExplanation.first_report_on).where(CaseReviewExplanation.person_id == person.id)
        )
    )
    reports = report_dates(person)
    case_of: dict[date, int] = {}
    for day, case_id in reports:
        case_of.setdefault(day, case_id)
    created = []
    for first, second in second_report_windows([day for day, _ in reports]):
        if first in existing or any(
            e <= first <= end_of_months_beginning_with(e, SECOND_REPORT_MONTHS) for e in existing
        ):
            continue
        # The second report is usually the one just recorded; a late entry may make an older one second.
        second_case = case if case_of[second] == case.id else db.session.get(Case, case_of[second])
        working_days = area_settings(second_case.area)[case_settings.EXPLAIN_CASE_REVIEW_WORKING_DAYS]
        task = CaseReviewExplanation(
            case_id=second_case.id,
            person_id=person.id,
            first_report_on=first,
            second_report_on=second,
            due_on=add_working_days(today(), working_days),
        )
        db.session.add(task)
        db.session.flush()
        existing.add(first)
        set_deadline(
            subject_type=CaseReviewExplanation.__tablename__,
            subject_id=task.id,
            kind=EXPLAIN_KIND,
            title=f"Explain the Case Review (Community Trigger) to {person.name} ({second_case.reference})",
            due=task.due_on,
            owner_id=second_case.owner_id,
            area_id=second_case.area_id,
            link=f"/cases/{second_case.id}",
            case_id=second_case.id,
        )
        record_change(
            actor,
            task,
            None,
            snapshot(task, ("case_id", "person_id", "first_report_on", "second_report_on", "due_on")),
            f"Second report by {person.name} on case {second_case.reference}: explain the Case Review",
        )
        created.append(task)
    return created


def get_explanation(case: Case, explanation_id: int) -> CaseReviewExplanation:
    task = db.session.scalar(
        sa.select(CaseReviewExplanation).where(
            CaseReviewExplanation.id == explanation_id, CaseReviewExplanation.case_id == case.id
        )
    )
    if task is None:
        raise NotFound("Task not found.")
    return task


def record_explanation(
    actor: Any, task: CaseReviewExplanation, *, explained_on: date, method: str, notes: str | None = None
) -> CaseReviewExplanation:
    if task.explained_on is not None:
        raise RuleViolation("This explanation is already recorded.")
    errors: dict[str, list[str]] = {}
    _check_past(errors, "explained_on", explained_on, "The date it was explained")
    if explained_on < task.second_report_on:
        errors.setdefault("explained_on", []).append("The date it was explained cannot be before the second report")
    if errors:
        raise InvalidInput(errors)
    before = snapshot(task, ("explained_on", "explained_by_id", "method", "notes"))
    task.explained_on = explained_on
    task.explained_by_id = actor.id
    task.method = ExplanationMethod(method)
    task.notes = notes or None
    close_deadline(CaseReviewExplanation.__tablename__, task.id, EXPLAIN_KIND)
    db.session.flush()
    record_change(
        actor,
        task,
        before,
        snapshot(task, ("explained_on", "explained_by_id", "method", "notes")),
        "Recorded that the Case Review was explained",
    )
    return task


# --- reading a case ---------------------------------------------------------------------------------


def load_case_record(case_id: int, viewer: Any = None) -> Case:
    """The case with its parties, sharing, named users, second-report tasks and ledger: two statements.

    With ``viewer``, the case must be visible to them (NotFound otherwise): the same statement checks
    and loads, and the answer is remembered for the request (``policies.can_view_case``).
    """
    params: dict[str, Any] = {"case_id": case_id}
    if viewer is None:
        statement = _case_record_statement(None)
    else:
        shape = visibility_shape(viewer)
        if shape is None:
            raise NotFound("Case not found.")
        statement = _case_record_statement(shape)
        params.update(visibility_params(viewer))
    case = db.session.execute(statement, params).unique().scalar_one_or_none()
    if case is None:
        raise NotFound("Case not found.")
    if viewer is not None:
        from casework.cases.policies import remember_visible

        remember_visible(viewer, case)
    return case


@functools.cache
def _case_record_statement(visibility: bool | None) -> sa.Select[tuple[Case]]:
    """Built once per kind of viewer (``policies.visibility_shape``; None: no visibility check), with
    the case and the viewer as bind parameters: building a statement with this many loader options,
    and working out its cache key, costs more than running it.

    The case's small collections (parties, agencies shared with, named users, second-report tasks; a
    handful of each) are joined to the case, so they come in one statement whose rows are their
    product; the ledger, which grows with the case, is the second statement: incidents with their
    complaints. Users are loaded for their names only (not their agency).
    """
    by_name = sa.orm.lazyload(User.agency)
    conditions = [Case.id == sa.bindparam("case_id")]
    if visibility is not None:
        conditions.append(visible_cases_template(visibility))
    return (
        sa.select(Case)
        .where(*conditions)
        .options(
            sa.orm.joinedload(Case.area),
            sa.orm.joinedload(Case.lead_agency),
            sa.orm.joinedload(Case.owner).options(by_name),
            sa.orm.joinedload(Case.parties).joinedload(CaseParty.person),
            sa.orm.joinedload(Case.shares).joinedload(CaseShare.agency),
            sa.orm.joinedload(Case.access).joinedload(CaseAccess.user).options(by_name),
            sa.orm.joinedload(Case.explanations).options(
                sa.orm.joinedload(CaseReviewExplanation.person),
                sa.orm.joinedload(CaseReviewExplanation.explained_by).options(by_name),
            ),
            sa.orm.selectinload(Case.incidents).options(
                sa.orm.joinedload(Incident.created_by).options(by_name),
                sa.orm.joinedload(Incident.complaints).options(
                    sa.orm.joinedload(Complaint.complainant),
                    sa.orm.joinedload(Complaint.agency),
                    sa.orm.joinedload(Complaint.created_by).options(by_name),
                ),
            ),
        )
    )


def case_notes(case: Case) -> list[CaseNote]:
    return list(
        db.session.scalars(
            sa.select(CaseNote)
            .where(CaseNote.case_id == case.id)
            .options(sa.orm.joinedload(CaseNote.created_by))
            .order_by(CaseNote.created_at)
        )
    )


def case_explanations(case: Case) -> list[CaseReviewExplanation]:
    return list(
        db.session.scalars(
            sa.select(CaseReviewExplanation)
            .where(CaseReviewExplanation.case_id == case.id)
            .options(
                sa.orm.joinedload(CaseReviewExplanation.person), sa.orm.joinedload(CaseReviewExplanation.explained_by)
            )
            .order_by(CaseReviewExplanation.second_report_on)
        )
    )


@dataclass(frozen=True)
class Author:
    name: str
    email: str


@dataclass(frozen=True)
class NoteEntry:
    id: int
    text: str
    created_at: datetime
    created_by: Author | None


@dataclass(frozen=True)
class EventEntry:
    kind: str
    summary: str
    created_at: datetime
    actor_name: str | None


@dataclass(frozen=True)
class LinkedCase:
    id: int
    reference: str


@dataclass(frozen=True)
class CaseJournal:
    """What was written on the case over time: notes, recorded changes, links to other cases."""

    notes: list[NoteEntry]
    events: list[EventEntry]
    linked: list[LinkedCase]


def case_journal(case: Case, viewer: Any = None) -> CaseJournal:
    """The case's notes, its recorded changes (status, sharing, owner, ...) and the linked cases
    ``viewer`` can see (a link does not open a case to anyone), in one statement."""
    params: dict[str, Any] = {"case_id": case.id}
    shape = visibility_shape(viewer) if viewer is not None else None
    if viewer is not None:
        params.update(visibility_params(viewer))
    statement = _journal_statement(viewer is not None, shape)
    journal = CaseJournal(notes=[], events=[], linked=[])
    for row in db.session.execute(statement, params):
        if row.source == "note":
            author = Author(row.author_name, row.author_email) if row.author_name is not None else None
            journal.notes.append(NoteEntry(row.id, row.text, row.created_at, author))
        elif row.source == "event":
            journal.events.append(EventEntry(row.kind, row.text, row.created_at, row.author_name))
        else:
            journal.linked.append(LinkedCase(row.id, row.text))
            note_shown("cases", row.id)  # shown by reference: the audit log's view entry still applies
    journal.linked.sort(key=lambda link: link.reference)
    return journal


@functools.cache
def _journal_statement(for_viewer: bool, visibility: bool | None) -> sa.CompoundSelect:
    """A UNION ALL of three selects of the same shape (source, kind, id, text, time, author's name and
    email), built once per kind of viewer with the case and the viewer as bind parameters."""

    def constant(value: str) -> sa.ColumnElement[str]:
        return sa.literal_column(f"'{value}'", sa.String)

    case_id: sa.BindParameter[int] = sa.bindparam("case_id")
    no_text = sa.cast(sa.null(), sa.String)
    notes = (
        sa.select(
            constant("note").label("source"),
            constant("").label("kind"),
            CaseNote.id.label("id"),
            CaseNote.text.label("text"),
            CaseNote.created_at.label("created_at"),
            User.name.label("author_name"),
            User.email.label("author_email"),
        )
        .outerjoin(User, User.id == CaseNote.created_by_id)
        .where(CaseNote.case_id == case_id)
    )
    events = (
        sa.select(
            constant("event"),
            sa.cast(CaseEvent.kind, sa.String),
            CaseEvent.id,
            CaseEvent.summary,
            CaseEvent.created_at,
            User.name,
            no_text,
        )
        .outerjoin(User, User.id == CaseEvent.actor_id)
        .where(CaseEvent.case_id == case_id)
    )
    if not for_viewer:
        seen: list[sa.ColumnElement[bool]] = []
    elif visibility is None:
        seen = [sa.false()]
    else:
        seen = [visible_cases_template(visibility)]
    links = (
        sa.select(
            constant("link"),
            constant(""),
            CaseLink.linked_case_id,
            Case.reference,
            CaseLink.linked_at,
            no_text,
            no_text,
        )
        .join(Case, Case.id == CaseLink.linked_case_id)
        .where(CaseLink.case_id == case_id, *seen)
    )
    return sa.union_all(notes, events, links).order_by("created_at", "id")


def _sort_key(when: date | datetime) -> tuple[date, datetime]:
    if isinstance(when, datetime):
        return london_day(when), when
    # A dated event sorts before the recorded ones of the same day.
    return when, datetime.min.replace(tzinfo=now().tzinfo)


def timeline(case: Case, journal: CaseJournal | None = None) -> list[Any]:
    """The case's history in date order: incidents and complaints, notes, status and sharing changes,
    second-report tasks, and what other domains register as timeline sources."""
    from casework.cases.sections import TimelineEntry, timeline_sources

    journal = journal if journal is not None else case_journal(case)
    entries: list[TimelineEntry] = []
    for incident in case.incidents:
        flags = ["caused harassment, alarm or distress" if incident.causes_had else "no harassment, alarm or distress"]
        if incident.hate_motivated:
            flags.append("hate-motivated")
        entries.append(
            TimelineEntry(
                when=incident.occurred_on,
                kind="incident",
                title=f"Incident ({', '.join(flags)})",
                detail=incident.description,
                actor_name=incident.created_by.name if incident.created_by else None,
            )
        )
        for complaint in incident.complaints:
            who = complaint.complainant.name if complaint.complainant else "Unnamed complainant"
            ref = f" (reference {complaint.reference})" if complaint.reference else ""
            entries.append(
                TimelineEntry(
                    when=complaint.reported_on,
                    kind="complaint",
                    title=f"{who} reported the incident of {format_date(incident.occurred_on)} "
                    f"to {complaint.agency.name}{ref}",
                    actor_name=complaint.created_by.name if complaint.created_by else None,
                )
            )
    for note in journal.notes:
        entries.append(
            TimelineEntry(
                when=note.created_at,
                kind="note",
                title="Note",
                detail=note.text,
                actor_name=note.created_by.name if note.created_by else None,
            )
        )
    for event in journal.events:
        entries.append(
            TimelineEntry(
                when=event.created_at, kind=f"case_{event.kind}", title=event.summary, actor_name=event.actor_name
            )
        )
    for task in case.explanations:
        entries.append(
            TimelineEntry(
                when=task.created_at,
                kind="second_report",
                title=f"Second report within six months by {task.person.name}: explain the Case Review",
            )
        )
        if task.explained_on:
            entries.append(
                TimelineEntry(
                    when=task.explained_on,
                    kind="case_review_explained",
                    title=f"Case Review explained to {task.person.name} ({task.method.value.replace('_', ' ')})",
                    detail=task.notes,
                    actor_name=task.explained_by.name if task.explained_by else None,
                )
            )
    for source in timeline_sources():
        entries.extend(source(case))
    return sorted(entries, key=lambda e: _sort_key(e.when))


# --- subject access: the cases domain's part (``casework.data_protection.subject_access``) ------------


def export_sections(person: Person, access: Any) -> dict[str, Any]:
    """The person's details and every case they are on that the export may show: roles, summary,
    parties (others named only in the full version), incidents and complaints (another complainant's
    reference only in the full version), notes, the second-report tasks about them, and the calls from
    police incident logs added to the case (the callers' details only in the full version)."""
    details = {"id": person.id, **snapshot(person, PERSON_FIELDS), "anonymised_at": _iso(person.anonymised_at)}
    cases = []
    for case_id in sorted(access.shown_case_ids):
        case = load_case_record(case_id)
        cases.append(
            {
                "reference": case.reference,
                "status": case.status.value,
                "roles": sorted(access.roles[case.id]),
                "summary": access.redact(case.summary),
                "location": access.redact(case.location),
                "opened_at": _iso(case.created_at),
                "closed_on": _iso(case.closed_on),
                "closure_reason": access.redact(case.closure_reason),
                "lead_agency": case.lead_agency.name,
                "parties": [
                    {"name": access.name_of(p.person), "role": p.role.value}
                    for p in sorted(case.parties, key=lambda p: (p.person_id != person.id, p.role.value, p.id))
                ],
                "incidents": [
                    {
                        "occurred_on": i.occurred_on.isoformat(),
                        "description": access.redact(i.description),
                        "causes_had": i.causes_had,
                        "hate_motivated": i.hate_motivated,
                        "complaints": [
                            {
                                "reported_on": c.reported_on.isoformat(),
                                "agency": c.agency.name,
                                "by_this_person": c.complainant_person_id == person.id,
                                "complainant": access.name_of(c.complainant),
                                "reference": c.reference
                                if access.full or c.complainant_person_id == person.id
                                else None,
                            }
                            for c in i.complaints
                        ],
                    }
                    for i in case.incidents
                ],
                "notes": [{"created_at": _iso(n.created_at), "text": access.redact(n.text)} for n in case_notes(case)],
                "case_review_explanations": [
                    {
                        "second_report_on": t.second_report_on.isoformat(),
                        "explained_on": _iso(t.explained_on),
                        "method": t.method.value if t.method else None,
                        "notes": access.redact(t.notes),
                    }
                    for t in case_explanations(case)
                    if t.person_id == person.id
                ],
                # Calls from police incident logs added to the case: the callers are third parties.
                "police_calls": [
                    {
                        "police_reference": r.police_reference,
                        "occurred_at": _iso(r.occurred_at),
                        "location": access.redact(r.location),
                        "category": r.category,
                        # Who called is not known to be anyone on the case: withheld unless released in full.
                        "caller_name": r.caller_name if access.full else None,
                        "caller_phone": r.caller_phone if access.full else None,
                        "caller_email": r.caller_email if access.full else None,
                        "reason": access.redact(r.reason),
                        "status": r.status.value,
                    }
                    for r in case_police_calls(case)
                ],
            }
        )
    return {"person": details, "cases": cases}


def case_police_calls(case: Case) -> list[QueuedPoliceReport]:
    """The calls from police incident logs added to ``case``."""
    return list(
        db.session.scalars(
            sa.select(QueuedPoliceReport)
            .where(QueuedPoliceReport.case_id == case.id)
            .order_by(QueuedPoliceReport.occurred_at, QueuedPoliceReport.id)
        )
    )


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- retention: the cases domain's part (``casework.data_protection`` decides what is due) -------------


def anonymise_case(case: Case, report: Any) -> None:
    """Remove the free text and references of ``case`` and of its incidents, complaints, notes,
    events and second-report tasks, keeping dates, categories and counts (the statistics need them).
    Lists what it anonymised in ``report`` (a ``casework.core.lifecycle.RetentionReport``)."""
    from casework.core.retention import anonymise

    stamp = now()
    anonymise(case)
    case.anonymised_at = stamp
    incidents = list(db.session.scalars(sa.select(Incident).where(Incident.case_id == case.id)))
    complaints = list(db.session.scalars(sa.select(Complaint).join(Incident).where(Incident.case_id == case.id)))
    notes = list(db.session.scalars(sa.select(CaseNote).where(CaseNote.case_id == case.id)))
    events = list(db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)))
    tasks = list(db.session.scalars(sa.select(CaseReviewExplanation).where(CaseReviewExplanation.case_id == case.id)))
    # Calls from police incident logs added to the case (or to one of its complaints): the caller's
    # details and what was said about the call.
    police_calls = list(
        db.session.scalars(
            sa.select(QueuedPoliceReport).where(
                sa.or_(
                    QueuedPoliceReport.case_id == case.id,
                    QueuedPoliceReport.complaint_id.in_([c.id for c in complaints]),
                )
            )
        )
    )
    for row in (*incidents, *complaints, *notes, *events, *tasks, *police_calls):
        anonymise(row)
    for event in events:
        # "Case closed: <reason>", "Linked to ...", "<name> named on the case": keep only what happened.
        event.summary = (
            f"{event.kind.value.replace('_', ' ').capitalize()} (details removed under the retention policy)"
        )
    parties = db.session.scalars(sa.select(CaseParty.id).where(CaseParty.case_id == case.id)).all()
    db.session.flush()
    report.add("cases", [case.id])
    report.add("incidents", [i.id for i in incidents])
    report.add("complaints", [c.id for c in complaints])
    report.add("case_notes", [n.id for n in notes])
    report.add("case_events", [e.id for e in events])
    report.add("case_review_explanations", [t.id for t in tasks])
    report.add("queued_police_reports", [r.id for r in police_calls])
    report.add("case_parties", parties)
    report.case_references.append(case.reference)
    record(None, AuditAction.anonymise, case, f"Anonymised case {case.reference} under the retention policy")


def anonymise_person(person: Person, report: Any) -> None:
    """Remove ``person``'s name and details (the record stays, so counts and links still add up)."""
    from casework.core.retention import anonymise

    anonymise(person)
    person.name = f"Person {person.id} (anonymised)"
    person.normalised_name = normalise_name(person.name)
    person.date_of_birth = None
    person.consent_on = None
    person.anonymised_at = now()
    db.session.flush()
    report.add("people", [person.id])
    report.person_ids.append(person.id)
    record(None, AuditAction.anonymise, person, f"Anonymised person {person.id} under the retention policy")


# --- merging duplicate people: the cases domain's part (``casework.data_protection.merge``) -----------


def move_person_records(merge: Any) -> None:
    """Move the merged person's parties, complaints and second-report tasks to the kept person. A
    party row the kept person already has (same case and role) is removed, and recorded to restore."""
    kept_roles = set(
        db.session.execute(
            sa.select(CaseParty.case_id, CaseParty.role).where(CaseParty.person_id == merge.kept_id)
        ).all()
    )
    moved, removed = [], []
    for party in db.session.scalars(sa.select(CaseParty).where(CaseParty.person_id == merge.merged_id)):
        if (party.case_id, party.role) in kept_roles:
            removed.append({"case_id": party.case_id, "role": party.role.value})
            db.session.delete(party)
        else:
            party.person_id = merge.kept_id
            moved.append(party.id)
    merge.record("case_parties", moved, removed=removed)
    complaints = list(
        db.session.scalars(sa.select(Complaint.id).where(Complaint.complainant_person_id == merge.merged_id))
    )
    db.session.execute(
        sa.update(Complaint).where(Complaint.id.in_(complaints)).values(complainant_person_id=merge.kept_id)
    )
    merge.record("complaints", complaints)
    taken = set(
        db.session.execute(
            sa.select(CaseReviewExplanation.case_id, CaseReviewExplanation.first_report_on).where(
                CaseReviewExplanation.person_id == merge.kept_id
            )
        ).all()
    )
    tasks = [
        t.id
        for t in db.session.scalars(
            sa.select(CaseReviewExplanation).where(CaseReviewExplanation.person_id == merge.merged_id)
        )
        if (t.case_id, t.first_report_on) not in taken
    ]
    db.session.execute(
        sa.update(CaseReviewExplanation).where(CaseReviewExplanation.id.in_(tasks)).values(person_id=merge.kept_id)
    )
    merge.record("case_review_explanations", tasks)
    db.session.flush()


def restore_person_records(merge: Any) -> None:
    """Undo ``move_person_records``: exactly the rows it moved go back, and removed parties return."""
    db.session.execute(
        sa.update(CaseParty).where(CaseParty.id.in_(merge.ids("case_parties"))).values(person_id=merge.merged_id)
    )
    for row in merge.moved.get("case_parties", {}).get("removed", []):
        db.session.add(CaseParty(case_id=row["case_id"], person_id=merge.merged_id, role=PartyRole(row["role"])))
    db.session.execute(
        sa.update(Complaint)
        .where(Complaint.id.in_(merge.ids("complaints")))
        .values(complainant_person_id=merge.merged_id)
    )
    db.session.execute(
        sa.update(CaseReviewExplanation)
        .where(CaseReviewExplanation.id.in_(merge.ids("case_review_explanations")))
        .values(person_id=merge.merged_id)
    )
    db.session.flush()
