"""Merging two records of the same person (the duplicate warning finds them). Never commits.

The records of the merged person move to the kept one in every domain (``person_merged``: each
domain moves its rows and records which, in ``PersonMerge.moved``); the merged record is hidden,
not deleted, so for ``UNDO_WINDOW`` the merge can be undone exactly (``person_unmerged``). Both are
audited. After the window, the next retention run anonymises the merged record: its details live on
in the kept one.

Visibility: a user merges only people whose every case they can see (a merge must not move records
of cases they cannot see); otherwise the merge is refused with the count and the holding agencies.

Until it is anonymised, a merged record still holds its own details (name, address, email, phone...).
They are the person's data, so the kept record's subject access export shows them, labelled
(``held_records``); but only to whom the merged record itself was visible (``may_see_merged_record``:
``visible_people_clause`` as it stood before the merge, when the record was still on its cases).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.audit.models import AuditAction
from casework.audit.services import record
from casework.cases.models import Case, CaseAccess, CaseParty, Person
from casework.cases.policies import get_person_for, visible_cases_clause
from casework.core import lifecycle
from casework.core.errors import InvalidInput, NotFound, RuleViolation, not_found_as
from casework.core.permissions import Permission
from casework.core.time import now
from casework.data_protection.models import PersonMerge
from casework.extensions import db

#: How long a merge can be undone.
UNDO_WINDOW = timedelta(days=14)


def _hidden_cases(actor: Any, people: list[Person]) -> tuple[int, list[str]]:
    """The cases of ``people`` the actor cannot see: how many, and which agencies hold them."""
    ids = [p.id for p in people]
    rows = db.session.execute(
        sa.select(Case.id, Agency.name)
        .join(Agency, Agency.id == Case.lead_agency_id)
        .where(
            Case.id.in_(sa.select(CaseParty.case_id).where(CaseParty.person_id.in_(ids))),
            Case.id.not_in(sa.select(Case.id).where(visible_cases_clause(actor))),
        )
    ).all()
    return len(rows), sorted({name for _id, name in rows})


def check_mergeable(actor: Any, kept: Person, merged: Person) -> None:
    if kept.id == merged.id:
        raise InvalidInput({"merged_person_id": ["Choose another person to merge into this one"]})
    for person in (kept, merged):
        if person.anonymised_at is not None:
            raise RuleViolation(f"{person.name} was anonymised under the retention policy and cannot be merged.")
        if person.merged_into_id is not None:
            raise RuleViolation(f"{person.name} is already merged into another record.")
    hidden, agencies = _hidden_cases(actor, [kept, merged])
    if hidden:
        raise RuleViolation(
            f"{hidden} of their cases {'is' if hidden == 1 else 'are'} held by {', '.join(agencies)} and not "
            "visible to you: ask a manager there to merge these records."
        )


def _lock(*people: Person) -> None:
    """Lock the people's rows (in the order of their ids, so two merges wait rather than deadlock) and
    read them again: a merge of either that committed meanwhile is seen by the checks that follow.
    (``refresh``, not ``get(..., populate_existing=True)``, which refuses a versioned record whose
    version moved as stale: the very case to see here.)

    Each merge writes only the merged record's row, so without the lock two merges at the same moment
    pass the same checks: one record merged into two, two records merged into each other (both hidden),
    or a record merged into one that is being merged away. On SQLite the write transaction holds the
    database's write lock already (``BEGIN IMMEDIATE``)."""
    for person in sorted(people, key=lambda p: p.id):
        db.session.refresh(person, with_for_update=True)


def merge_people(actor: Any, kept: Person, merged: Person) -> PersonMerge:
    """Move everything about ``merged`` to ``kept`` and hide ``merged`` (undoable for UNDO_WINDOW)."""
    _lock(kept, merged)
    check_mergeable(actor, kept, merged)
    moment = now()
    plan = lifecycle.PersonMerge(kept_id=kept.id, merged_id=merged.id, actor=actor)
    lifecycle.send(lifecycle.person_merged, merge=plan)
    merged.merged_into_id = kept.id
    row = PersonMerge(
        kept_person_id=kept.id,
        merged_person_id=merged.id,
        merged_by_id=getattr(actor, "id", None),
        merged_at=moment,
        undo_until=moment + UNDO_WINDOW,
        moved=plan.moved,
    )
    db.session.add(row)
    db.session.flush()
    counts = {table: len(entry.get("ids", [])) for table, entry in plan.moved.items()}
    record(
        actor,
        AuditAction.update,
        kept,
        f"Merged person {merged.id} into person {kept.id}",
        {"merge_id": row.id, "moved": counts},
    )
    record(actor, AuditAction.update, merged, f"Merged person {merged.id} into person {kept.id}", {"merge_id": row.id})
    return row


def undo_merge(actor: Any, merge: PersonMerge) -> PersonMerge:
    """Move back exactly what the merge moved, within the window."""
    # Undone at the same moment by someone else: the second waits here, then finds it undone.
    db.session.refresh(merge, with_for_update=True)
    if merge.undone_at is not None:
        raise RuleViolation("This merge has already been undone.")
    if now() > merge.undo_until:
        raise RuleViolation("The time to undo this merge has passed.")
    plan = lifecycle.PersonMerge(
        kept_id=merge.kept_person_id, merged_id=merge.merged_person_id, actor=actor, moved=dict(merge.moved or {})
    )
    lifecycle.send(lifecycle.person_unmerged, merge=plan)
    merged = db.session.get(Person, merge.merged_person_id)
    merged.merged_into_id = None
    merge.undone_at = now()
    merge.undone_by_id = getattr(actor, "id", None)
    db.session.flush()
    kept = db.session.get(Person, merge.kept_person_id)
    summary = f"Undid the merge of person {merged.id} into person {kept.id}"
    record(actor, AuditAction.update, kept, summary, {"merge_id": merge.id})
    record(actor, AuditAction.update, merged, summary, {"merge_id": merge.id})
    return merge


def get_merge_for(user: Any, merge_id: int) -> PersonMerge:
    """The merge, or NotFound("Merge not found.") alike when it does not exist and when the person it
    kept is hidden from ``user``."""
    message = "Merge not found."
    merge = db.session.get(PersonMerge, merge_id)
    if merge is None:
        raise NotFound(message)
    with not_found_as(message):
        get_person_for(user, merge.kept_person_id)
    return merge


def merges_of(person: Person) -> list[PersonMerge]:
    """The merges into ``person``, newest first."""
    return list(
        db.session.scalars(
            sa.select(PersonMerge)
            .where(PersonMerge.kept_person_id == person.id)
            .options(sa.orm.joinedload(PersonMerge.merged), sa.orm.joinedload(PersonMerge.merged_by))
            .order_by(PersonMerge.merged_at.desc())
        )
    )


def merged_records_due(moment: Any) -> list[Person]:
    """Records merged into another whose undo window has passed: the retention run anonymises them."""
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(PersonMerge, sa.and_(PersonMerge.merged_person_id == Person.id, PersonMerge.undone_at.is_(None)))
            .where(Person.merged_into_id.is_not(None), Person.anonymised_at.is_(None), PersonMerge.undo_until < moment)
            .order_by(Person.id)
        ).unique()
    )


# --- merged records still held (the undo window, until the retention run anonymises them) -------------

#: A chain of merges (A into B, then B into C) is followed this far, at most.
_MAX_CHAIN = 20


def kept_record_of(person: Person) -> Person:
    """The record ``person`` was merged into (following a chain of merges), or ``person`` itself."""
    if person.merged_into_id is None:
        return person
    return db.session.get(Person, kept_record_ids([person.id])[person.id]) or person


def kept_record_ids(person_ids: Any) -> dict[int, int]:
    """Each id -> the id of the record it was merged into (following a chain of merges), or itself;
    read as ids (nothing about the people is loaded), one statement per step of the longest chain, so an
    import naming thousands of people by the references they were imported with asks once, not per
    reference."""
    kept = {i: i for i in person_ids}
    pending = set(kept.values())
    seen: dict[int, set[int]] = {i: {i} for i in kept}
    for _step in range(_MAX_CHAIN):
        if not pending:
            break
        # .all(): a Result has keys(), so dict() would read it as a mapping.
        merged_into = dict(
            db.session.execute(
                sa.select(Person.id, Person.merged_into_id).where(
                    Person.id.in_(pending), Person.merged_into_id.is_not(None)
                )
            )
            .tuples()
            .all()
        )
        pending = set()
        for origin, current in kept.items():
            following = merged_into.get(current)
            if following is None or following in seen[origin]:
                continue
            seen[origin].add(following)
            kept[origin] = following
            pending.add(following)
    return kept


def merge_of(merged: Person) -> PersonMerge | None:
    """The merge (not undone) that made ``merged`` a merged record: the newest, if it was merged again."""
    if merged.merged_into_id is None:
        return None
    return db.session.scalars(
        sa.select(PersonMerge)
        .where(
            PersonMerge.merged_person_id == merged.id,
            PersonMerge.kept_person_id == merged.merged_into_id,
            PersonMerge.undone_at.is_(None),
        )
        .order_by(PersonMerge.merged_at.desc(), PersonMerge.id.desc())
        .limit(1)
    ).first()


def held_records(person: Person) -> list[tuple[PersonMerge, Person]]:
    """The records merged into ``person`` (directly or through a record merged into it) that still hold
    their own details: not anonymised yet. Oldest merge first."""
    found: list[tuple[PersonMerge, Person]] = []
    seen = {person.id}
    frontier = [person.id]
    while frontier and len(seen) <= _MAX_CHAIN * 10:
        rows = db.session.scalars(
            sa.select(Person).where(Person.merged_into_id.in_(frontier)).order_by(Person.id)
        ).all()
        frontier = []
        for merged in rows:
            if merged.id in seen:
                continue
            seen.add(merged.id)
            frontier.append(merged.id)
            merge = merge_of(merged)
            if merge is not None and merged.anonymised_at is None:
                found.append((merge, merged))
    return sorted(found, key=lambda pair: (pair[0].merged_at, pair[0].id))


def merged_record_cases(merge: PersonMerge) -> set[int]:
    """The cases the merged record was a party on when it was merged (its party rows moved to the kept
    record, or were removed as the kept record's duplicates: the merge recorded both)."""
    entry = (merge.moved or {}).get("case_parties", {})
    ids = [int(i) for i in entry.get("ids", [])]
    cases = {int(row["case_id"]) for row in entry.get("removed", [])}
    if ids:
        cases |= set(db.session.scalars(sa.select(CaseParty.case_id).where(CaseParty.id.in_(ids))))
    return cases


def may_see_merged_record(user: Any, merged: Person, merge: PersonMerge) -> bool:
    """Whether ``user`` may see the merged record's own details: ``visible_people_clause`` as it stood
    for the record before the merge, on its own cases. A record of the user's agency, unless it was on a
    restricted case they are not named on; or a record on a case they may see. (After the merge it is on
    no case, so the clause itself would show any record of the agency, however restricted its cases.)"""
    if not user.can(Permission.VIEW_CASES):
        return False
    cases = merged_record_cases(merge)
    if cases:
        on_visible = db.session.scalar(
            sa.select(sa.func.count()).select_from(Case).where(Case.id.in_(cases), visible_cases_clause(user))
        )
        if on_visible:
            return True
        named = sa.select(CaseAccess.case_id).where(CaseAccess.user_id == user.id)
        hidden_restricted = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Case)
            .where(Case.id.in_(cases), Case.is_restricted.is_(True), Case.id.not_in(named))
        )
        if hidden_restricted:
            return False
    return merged.agency_id is not None and merged.agency_id == user.agency_id


def _merged_matching(name: Any, date_of_birth: Any, postcode: Any) -> list[tuple[PersonMerge, Person]]:
    """The merged records still held whose own details match a people search, with their merges."""
    from casework.cases.queries import person_search_conditions

    matches = person_search_conditions(Person, name=name, date_of_birth=date_of_birth, postcode=postcode)
    if not matches:
        return []
    found = []
    for merged in db.session.scalars(
        sa.select(Person)
        .where(Person.merged_into_id.is_not(None), Person.anonymised_at.is_(None), *matches)
        .order_by(Person.id)
    ):
        merge = merge_of(merged)
        if merge is not None:
            found.append((merge, merged))
    return found


def merged_records_matching(
    user: Any, *, everyone: bool, name: Any = None, date_of_birth: Any = None, postcode: Any = None
) -> tuple[dict[int, list[int]], int]:
    """The subject access finder's search among merged records still held, in one pass: kept record id
    -> the ids of the records merged into it that match, and how many matching records of ``user``'s
    agency are hidden from them (as ``queries.people_withheld_count`` counts people on restricted cases:
    the finder says to ask the data protection officer, never that nobody matches). ``everyone`` (the
    data protection officer) finds them all and has none hidden; anyone else only those whose merged
    record they may see (``may_see_merged_record``)."""
    found: dict[int, list[int]] = {}
    hidden = 0
    for merge, merged in _merged_matching(name, date_of_birth, postcode):
        if everyone or may_see_merged_record(user, merged, merge):
            found.setdefault(kept_record_of(merged).id, []).append(merged.id)
        elif merged.agency_id == user.agency_id:
            hidden += 1
    return found, hidden
