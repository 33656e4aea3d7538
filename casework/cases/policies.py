"""Which cases a user may see and change.

A case is visible to officers, coordinators and managers of its lead agency, and to officers, partners,
coordinators and managers of the agencies it is shared with. A restricted case is visible only to the
users named on it, whatever their agency. Chairs and admins see no cases through this route (a chair
sees what a review puts in front of them; admins manage configuration, not casework). A case a user may
not see answers 404, not 403, so its existence is not revealed.

Who may change what, among those who see a case: everyone who sees it may add incidents, complaints and
notes (sharing a case invites the other agency to contribute); only staff of the lead agency (officers,
coordinators, managers), or users named on a restricted case, may edit, close, reopen, share or link it.

Nobody changes a case anonymised under the retention policy (``anonymised_at``): it stays readable,
but every write to it or under it (its fields, notes, incidents, parties, links, shares, actions,
interventions, risk, documents, the victim page, tasking) is refused with a RuleViolation (422,
``ANONYMISED_CASE``). The retention run skips what it has already anonymised, so anything written
afterwards would be kept for ever. The check is made where a write loads its case (``get_case_for`` and
``get_on_case_for`` with ``edit``, ``get_case_to_manage``) and ``can_edit_case`` / ``can_manage_case``
answer False, so no page offers the write.

A person is visible to a user who sees cases when the person is a party on a case the user can see, or
was created by the user's agency and is not a party on a restricted case the user is not named on: a
restricted case hides its people too (their name, address and vulnerability are what the restriction
protects), unless the user meets them on a case they may see.

A subject access export (everything held about a person) is for managers and the data protection
officer: it gathers records from every case, including ones the manager's own team did not write, so it
is an information-governance job, not casework (``casework.data_protection``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa

from casework.cases.models import Action, Case, CaseAccess, CaseParty, CaseShare, Person
from casework.core.errors import InvalidInput, NotFound, RuleViolation, not_found_as
from casework.core.lookup import Lookup
from casework.core.permissions import Permission, Role
from casework.core.request_cache import remember, request_cached
from casework.extensions import db


class _OnCase(Protocol):
    @property
    def case_id(self) -> int | None: ...


#: A record that belongs to a case (an intervention, an action on a case).
RecordOnCase = TypeVar("RecordOnCase", bound=_OnCase)

#: Roles that see their own agency's cases; partners see only what is shared with their agency.
LEAD_AGENCY_ROLES = {Role.officer, Role.coordinator, Role.manager}


def visible_cases_clause(user: Any) -> sa.ColumnElement[bool]:
    """A WHERE clause selecting the cases ``user`` may see (one clause, so lists stay one query).

    The shares and named users are uncorrelated ``IN`` subqueries: the database reads the user's few
    rows once (a hashed subplan) instead of probing them for every case.
    """
    shape = visibility_shape(user)
    if shape is None:
        return sa.false()
    agency_id, user_id = sa.literal(user.agency_id), sa.literal(user.id)
    return _visible_cases(shape, agency_id, user_id)


def visibility_shape(user: Any) -> bool | None:
    """None when ``user`` sees no cases; otherwise whether they see their agency's own cases too."""
    if not user.can(Permission.VIEW_CASES):
        return None
    return any(user.has_role(r) for r in LEAD_AGENCY_ROLES)


@functools.cache
def visible_cases_template(lead: bool, target: Any = Case) -> sa.ColumnElement[bool]:
    """``visible_cases_clause`` with the user as bind parameters ``viewer_agency_id`` and
    ``viewer_id`` (``visibility_params``): built once, for statements that are built once. ``target``:
    the cases it selects, ``Case`` or an alias of it (another case a row names, beside the case)."""
    return _visible_cases(lead, sa.bindparam("viewer_agency_id"), sa.bindparam("viewer_id"), target)


def visibility_params(user: Any) -> dict[str, int]:
    return {"viewer_agency_id": user.agency_id, "viewer_id": user.id}


def _visible_cases(lead: bool, agency_id: Any, user_id: Any, target: Any = Case) -> sa.ColumnElement[bool]:
    shared = sa.select(CaseShare.case_id).where(CaseShare.agency_id == agency_id)
    agency_cases: sa.Select | sa.CompoundSelect = shared
    if lead:
        # A UNION rather than an OR, so each half uses its own index (lead agency, shares).
        lead_cases = sa.select(Case.id).where(Case.lead_agency_id == agency_id)
        agency_cases = sa.union(lead_cases, shared)
    agency_clause = target.id.in_(agency_cases)
    named = target.id.in_(sa.select(CaseAccess.case_id).where(CaseAccess.user_id == user_id))
    return sa.and_(agency_clause, sa.or_(target.is_restricted.is_(False), named))


@request_cached
def _is_visible(user_id: int, case_id: int) -> bool:
    from casework.accounts.models import User

    user = db.session.get(User, user_id)
    return bool(db.session.scalar(sa.select(sa.literal(True)).where(Case.id == case_id, visible_cases_clause(user))))


def remember_visible(user: Any, case: Case) -> None:
    """``case`` was loaded through ``visible_cases_clause(user)``: no need to ask again this request."""
    remember(_is_visible, (user.id, case.id), True)


def can_view_case(user: Any, case: Case) -> bool:
    """Asked once per request, whatever the number of sections asking (or known from loading the case
    through ``get_case_for``)."""
    return _is_visible(user.id, case.id)


#: The refusal of any write to or under a case anonymised under the retention policy.
ANONYMISED_CASE = "This case was anonymised under the retention policy: nothing can be changed or added on it."


def takes_writes(case: Case) -> bool:
    """Whether ``case`` may still be changed at all: not once anonymised under the retention policy."""
    return case.anonymised_at is None


def refuse_anonymised(case: Case) -> None:
    """RuleViolation (422) when ``case`` was anonymised: for the case a write is made to or under."""
    if not takes_writes(case):
        raise RuleViolation(ANONYMISED_CASE)


def refuse_anonymised_named(cases: Any, field: str) -> None:
    """InvalidInput on ``field`` when one of ``cases`` (named in a body or form: a case to link, to put
    on an agenda, to reassign) was anonymised: a link to it would tie new information to it."""
    anonymised = [case.reference for case in cases if not takes_writes(case)]
    if anonymised:
        verb = "was" if len(anonymised) == 1 else "were"
        raise InvalidInput({field: [f"{', '.join(anonymised)} {verb} anonymised under the retention policy"]})


def can_edit_case(user: Any, case: Case) -> bool:
    return user.can(Permission.EDIT_CASES) and takes_writes(case) and can_view_case(user, case)


def get_case_for(user: Any, case_id: int, *, edit: bool = False) -> Case:
    """The case, or NotFound when it does not exist or ``user`` may not see (or change) it.

    ``edit``: the case is loaded for a write to it or under it, refused (RuleViolation) once
    anonymised (``refuse_anonymised``)."""
    case = db.session.scalar(sa.select(Case).where(Case.id == case_id, visible_cases_clause(user)))
    if case is None or (edit and not user.can(Permission.EDIT_CASES)):
        raise NotFound("Case not found.")
    remember_visible(user, case)
    if edit:
        refuse_anonymised(case)
    return case


def get_on_case_for(user: Any, record: RecordOnCase | None, noun: str, *, edit: bool = False) -> RecordOnCase:
    """``record`` (a row with a ``case_id``, loaded by the id asked for), or NotFound("<noun> not
    found.") alike when there is none and when its case is hidden from ``user``.

    ``edit``: as ``get_case_for``, a user who sees the case but may not change cases gets its 404
    ("Case not found."): that tells them nothing they cannot see.
    """
    message = f"{noun} not found."
    if record is None or record.case_id is None:
        raise NotFound(message)
    with not_found_as(message):
        case = get_case_for(user, record.case_id)
    if edit and not user.can(Permission.EDIT_CASES):
        raise NotFound("Case not found.")
    if edit:
        refuse_anonymised(case)
    return record


def case_readers_clause(case: Case) -> sa.ColumnElement[bool]:
    """A WHERE clause on ``users`` selecting the active users who may see ``case``: the rule of
    ``visible_cases_clause`` read the other way round (one case, every user), so that a page can offer,
    and a service accept, only people the case may be handed to. Whoever takes over a closing case's
    work or is assigned an action on it must be able to see it: the work's title quotes the case.
    ``tests/actions/test_work_only_to_those_who_see_the_case.py`` checks that both directions agree."""
    from casework.accounts.models import User

    return _readers(User, case.id, case.lead_agency_id, case.is_restricted)


def sees_case_clause(user: Any, case: Any = Case) -> sa.ColumnElement[bool]:
    """``case_readers_clause`` for rows pairing a user and a case in one statement: ``user`` is
    ``User`` or an alias of it, ``case`` ``Case`` or an alias, both in the statement's FROM (a
    deadline joined to its owner and its case). True when that user may see that case."""
    return _readers(user, case.id, case.lead_agency_id, case.is_restricted)


def _readers(user: Any, case_id: Any, lead_agency_id: Any, restricted: Any) -> sa.ColumnElement[bool]:
    from casework.accounts.models import UserRole
    from casework.core.permissions import ROLE_PERMISSIONS

    viewing_roles = sorted(r for r, granted in ROLE_PERMISSIONS.items() if Permission.VIEW_CASES in granted)

    def with_roles(roles: list[Any]) -> sa.ColumnElement[bool]:
        return user.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(roles)))

    shared = sa.select(CaseShare.agency_id).where(CaseShare.case_id == case_id)
    lead = sa.and_(user.agency_id == lead_agency_id, with_roles(sorted(LEAD_AGENCY_ROLES)))
    clause = sa.and_(user.is_active.is_(True), with_roles(viewing_roles), sa.or_(lead, user.agency_id.in_(shared)))
    named = user.id.in_(sa.select(CaseAccess.user_id).where(CaseAccess.case_id == case_id))
    if isinstance(restricted, bool):
        return sa.and_(clause, named) if restricted else clause
    return sa.and_(clause, sa.or_(restricted.is_(False), named))


def may_take_work_on(user: Any, case: Case) -> bool:
    """Whether ``user`` (active) may see ``case``, so may be given work on it (``case_readers_clause``)."""
    from casework.accounts.models import User

    if user is None:
        return False
    return db.session.scalar(sa.select(User.id).where(User.id == user.id, case_readers_clause(case))) is not None


def can_manage_case(user: Any, case: Case) -> bool:
    """Edit, close, reopen, share, link: the lead agency's staff (already known to see the case)."""
    if not user.can(Permission.EDIT_CASES) or not takes_writes(case):
        return False
    in_lead_agency = case.lead_agency_id == user.agency_id and any(user.has_role(r) for r in LEAD_AGENCY_ROLES)
    return in_lead_agency and can_view_case(user, case)


def get_case_to_manage(user: Any, case_id: int) -> Case:
    """The case for an edit, close or share; 404 when not visible, 403 when visible but not the lead's."""
    from casework.core.errors import Forbidden

    case = get_case_for(user, case_id, edit=True)  # refuses an anonymised case
    if not can_manage_case(user, case):
        raise Forbidden("Only the lead agency can change this case.")
    return case


def visible_people_clause(user: Any) -> sa.ColumnElement[bool]:
    """A WHERE clause selecting the people ``user`` may see."""
    if not user.can(Permission.VIEW_CASES):
        return sa.false()
    on_visible_case = sa.exists().where(
        CaseParty.person_id == Person.id,
        CaseParty.case_id.in_(sa.select(Case.id).where(visible_cases_clause(user))),
    )
    return sa.or_(sa.and_(Person.agency_id == user.agency_id, ~on_restricted_case_hidden_from(user)), on_visible_case)


def on_restricted_case_hidden_from(user: Any) -> sa.Exists:
    """The person is a party on a restricted case ``user`` is not named on (of any agency)."""
    named = sa.select(CaseAccess.case_id).where(CaseAccess.user_id == user.id)
    return sa.exists().where(
        CaseParty.person_id == Person.id,
        # "WHERE is_restricted" as the partial index ix_cases_restricted says it, so the planner uses it.
        CaseParty.case_id.in_(sa.select(Case.id).where(Case.is_restricted, Case.id.not_in(named))),
    )


#: The refusal of a change to a person anonymised under the retention policy.
ANONYMISED_PERSON = "This person's details were removed under the retention policy."


def refuse_anonymised_person(person: Person) -> None:
    """RuleViolation (422) when ``person`` was anonymised: their record takes no change."""
    if person.anonymised_at is not None:
        raise RuleViolation(ANONYMISED_PERSON)


def get_person_for(user: Any, person_id: int, *, edit: bool = False) -> Person:
    """The person, or NotFound when ``user`` may not see them. ``edit``: for the page that changes their
    details, refused once anonymised (``refuse_anonymised_person``) whether the form is shown or sent."""
    person = db.session.scalar(sa.select(Person).where(Person.id == person_id, visible_people_clause(user)))
    if person is None or (person.merged_into_id is not None and not _may_see_merged_record(user, person)):
        raise NotFound("Person not found.")
    if edit:
        refuse_anonymised_person(person)
    return person


def _may_see_merged_record(user: Any, person: Person) -> bool:
    """A record merged into another is on no case any more (its party rows moved to the kept record),
    so ``visible_people_clause`` alone would show any record of the user's agency, however restricted
    the cases it was on: it is shown as the clause showed it before the merge
    (``casework.data_protection.merge.may_see_merged_record``, which knows what the merge moved)."""
    from casework.data_protection import merge as merging

    merge = merging.merge_of(person)
    return merge is None or merging.may_see_merged_record(user, person, merge)


def can_export_person(user: Any) -> bool:
    """Subject access exports: managers and the data protection officer (``casework.data_protection``)."""
    return user.can(Permission.EXPORT_PEOPLE)


#: Cases and people named in a request body or form (casework.core.lookup). A person record merged
#: into another is kept for the merge's undo window (and shown to those who saw it, ``get_person_for``)
#: but is on its way out: no body may name it as a new link (a party, a subject, a victim, a complainant,
#: another merge), for anyone, so it is refused exactly as an unknown person is.
CASES = Lookup("case", Case, visible_cases_clause)
PEOPLE = Lookup("person", Person, visible_people_clause, usable=Person.merged_into_id.is_(None))


def visible_actions_clause(user: Any) -> sa.ColumnElement[bool]:
    """Actions are seen with their case."""
    return Action.case_id.in_(sa.select(Case.id).where(visible_cases_clause(user)))


#: Actions named in a request body (the actions handed over when a case closes).
ACTIONS = Lookup("action", Action, visible_actions_clause)


class SeenCases:
    """Which of some cases ``user`` may see, and the agency that holds each (one statement), for an
    answer that names cases beside records the user may see: a Case Review's linked cases, the
    complaints of its threshold working. A case they may not see is counted with its holding agency,
    never named: nobody sees a record through a side door.

    Cases are asked for by id or by reference (a stored threshold working names its cases by
    reference). One asked for that does not exist (any more) counts as one the user may not see."""

    def __init__(self, user: Any, *, ids: Any = (), references: Any = ()) -> None:
        from casework.accounts.models import Agency

        ids, references = sorted(set(ids)), sorted(set(references))
        self._visible_ids: set[int] = set()
        self._visible_references: set[str] = set()
        self._references: dict[int, str] = {}
        self._holders: dict[int | str, str] = {}
        if not ids and not references:
            return
        rows = db.session.execute(
            sa.select(Case.id, Case.reference, Agency.code, visible_cases_clause(user).label("visible"))
            .join(Agency, Agency.id == Case.lead_agency_id)
            .where(sa.or_(Case.id.in_(ids), Case.reference.in_(references)))
        ).all()
        for row in rows:
            self._holders[row.id] = self._holders[row.reference] = row.code
            if row.visible:
                self._visible_ids.add(row.id)
                self._visible_references.add(row.reference)
                self._references[row.id] = row.reference

    def can_see(self, case_id: int | None) -> bool:
        return case_id in self._visible_ids

    def can_see_reference(self, reference: str) -> bool:
        return reference in self._visible_references

    def reference(self, case_id: int | None) -> str | None:
        """The reference of a case the user may see (None for one they may not)."""
        return self._references.get(case_id) if case_id is not None else None

    def holder(self, case: int | str) -> str | None:
        """The code of the agency that holds the case (by id or reference), if it exists."""
        return self._holders.get(case)

    def words(self, text: str | None) -> str | None:
        """``text`` someone wrote (a tasking meeting's discussion) as the user may read it: each case
        reference in it that names a case they may not see reads "a case you cannot see, held by
        <agency>" (ask with ``references=references_in(...)`` of the same texts)."""
        if not text:
            return text
        return CASE_REFERENCE_IN_TEXT.sub(self._named, text)

    def _named(self, match: re.Match[str]) -> str:
        reference = match.group(0)
        holder = self.holder(reference)
        if holder is None or self.can_see_reference(reference):
            return reference  # not a case's reference, or one the user may see
        return f"a case you cannot see, held by {holder}"


#: A case's reference (``<area code>-<year>-<number>``) inside a text someone wrote; not the tail of a
#: Case Review's (``<area code>-CT-<year>-<number>``).
CASE_REFERENCE_IN_TEXT = re.compile(r"(?<![A-Za-z0-9-])[A-Z0-9]+-\d{4}-\d{4,}\b")


def references_in(texts: Iterable[str | None]) -> set[str]:
    """The case references written in ``texts`` (for ``SeenCases(user, references=...)``)."""
    return {match for text in texts if text for match in CASE_REFERENCE_IN_TEXT.findall(text)}
