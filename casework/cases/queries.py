"""Read queries for lists and dashboards: one SELECT for the page and one COUNT, whatever the rows.

Visibility is always part of the WHERE clause (``policies.visible_cases_clause``), never a filter in
Python, so paging and totals are right and nothing invisible is loaded.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from casework.cases.models import Case, CaseParty, CaseShare, CaseStatus, Person
from casework.cases.policies import visible_cases_clause, visible_people_clause
from casework.cases.services import normalise_name, normalise_postcode
from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus


def _contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def case_list_query(
    user: Any, *, area: str | None = None, status: str | None = None, q: str | None = None
) -> sa.Select[tuple[Case]]:
    """Cases the user may see, newest first, with the columns a list shows loaded in the same query.

    ``q`` matches anywhere in the reference, summary, location or a party's name (trigram-indexed on
    PostgreSQL).
    """
    from casework.accounts.models import Area

    query = (
        sa.select(Case)
        .where(visible_cases_clause(user))
        .options(joinedload(Case.area), joinedload(Case.lead_agency), joinedload(Case.owner))
        .order_by(Case.created_at.desc(), Case.id.desc())
    )
    if area:
        query = query.where(Case.area_id == sa.select(Area.id).where(Area.code == area).scalar_subquery())
    if status:
        query = query.where(Case.status == CaseStatus(status))
    if q:
        query = query.where(Case.id.in_(_search_ids(q)))
    return query


def _search_ids(q: str) -> sa.CompoundSelect:
    """Ids of cases whose reference, summary, location or a party's name contains ``q``.

    A UNION of one simple condition each, so each part can use its own trigram index on PostgreSQL
    (an OR across columns and a join would make the planner scan every case).
    """
    pattern = _contains(q.strip())
    name_pattern = _contains(normalise_name(q))
    return sa.union(
        sa.select(Case.id).where(Case.reference.ilike(pattern, escape="\\")),
        sa.select(Case.id).where(Case.summary.ilike(pattern, escape="\\")),
        sa.select(Case.id).where(Case.location.ilike(pattern, escape="\\")),
        sa.select(CaseParty.case_id)
        .join(Person, Person.id == CaseParty.person_id)
        .where(Person.normalised_name.ilike(name_pattern, escape="\\")),
    )


def people_search_query(
    user: Any,
    *,
    name: str | None = None,
    date_of_birth: date | None = None,
    postcode: str | None = None,
    everyone: bool = False,
) -> sa.Select[tuple[Person]]:
    """People the user may see (``everyone``: all people, for the data protection officer answering a
    subject access request), matching a name (from the start of any word), a date of birth and a
    postcode (from its start), each indexed. Records merged into another are left out."""
    query = sa.select(Person).where(Person.merged_into_id.is_(None)).order_by(Person.normalised_name, Person.id)
    if not everyone:
        query = query.where(visible_people_clause(user))
    if name:
        needle = normalise_name(name).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            sa.or_(
                Person.normalised_name.like(f"{needle}%", escape="\\"),
                Person.normalised_name.like(f"% {needle}%", escape="\\"),
            )
        )
    if date_of_birth:
        query = query.where(Person.date_of_birth == date_of_birth)
    if postcode:
        query = query.where(Person.postcode.like(f"{normalise_postcode(postcode)}%"))
    return query


# --- dashboards ---------------------------------------------------------------------------------------


def _case_link(case_id: int) -> str:
    return f"/cases/{case_id}"


def my_open_cases(user: Any, limit: int = 20) -> list[dict[str, Any]]:
    """Open cases the user owns, with the next open deadline of each (two queries)."""
    cases = db.session.scalars(
        sa.select(Case)
        .where(Case.owner_id == user.id, Case.status == CaseStatus.open, visible_cases_clause(user))
        .order_by(Case.created_at.desc())
        .limit(limit)
    ).all()
    links = {_case_link(c.id): c for c in cases}
    next_due: dict[str, date] = {}
    if links:
        rows = db.session.execute(
            sa.select(Deadline.link, sa.func.min(Deadline.due_at))
            .where(Deadline.status == DeadlineStatus.open, Deadline.link.in_(links))
            .group_by(Deadline.link)
        )
        from casework.core.time import london_day

        next_due = {link: london_day(due_at) for link, due_at in rows}
    return [
        {
            "reference": c.reference,
            "href": _case_link(c.id),
            "summary": c.summary,
            "status": c.status.value.capitalize(),
            "next_due_on": next_due.get(_case_link(c.id)),
        }
        for c in cases
    ]


def due_soon(user: Any, until: datetime, limit: int = 20) -> list[dict[str, Any]]:
    """The user's open deadlines due before ``until`` (overdue ones included), soonest first."""
    from casework.core.time import london_day, now

    rows = db.session.scalars(
        sa.select(Deadline)
        .where(Deadline.owner_id == user.id, Deadline.status == DeadlineStatus.open, Deadline.due_at <= until)
        .order_by(Deadline.due_at)
        .limit(limit)
    ).all()
    case_ids = {}
    for row in rows:
        if row.link and row.link.startswith("/cases/"):
            part = row.link.split("/")[2]
            if part.isdigit():
                case_ids[row.id] = int(part)
    references = (
        dict(db.session.execute(sa.select(Case.id, Case.reference).where(Case.id.in_(set(case_ids.values())))).all())
        if case_ids
        else {}
    )
    moment = now()
    return [
        {
            "description": row.title,
            "reference": references.get(case_ids.get(row.id), "View"),
            "href": row.link or "#",
            "due_on": row.due_on or london_day(row.due_at),
            "is_overdue": row.due_at < moment,
        }
        for row in rows
    ]


def shared_with_agency(user: Any, limit: int = 20) -> list[dict[str, Any]]:
    cases = db.session.scalars(
        sa.select(Case)
        .where(
            Case.status == CaseStatus.open,
            sa.exists().where(CaseShare.case_id == Case.id, CaseShare.agency_id == user.agency_id),
            visible_cases_clause(user),
        )
        .options(joinedload(Case.lead_agency))
        .order_by(Case.created_at.desc())
        .limit(limit)
    ).all()
    return [
        {
            "reference": c.reference,
            "href": _case_link(c.id),
            "summary": c.summary,
            "lead_agency": c.lead_agency.name,
            "status": c.status.value.capitalize(),
        }
        for c in cases
    ]


# --- closing a case ---------------------------------------------------------------------------------


def open_actions(case_id: int) -> list[Any]:
    """The case's open actions, with their agency, in due order (Case Review ones included)."""
    from casework.cases.models import Action, ActionStatus

    return list(
        db.session.scalars(
            sa.select(Action)
            .where(Action.case_id == case_id, Action.status.in_((ActionStatus.open, ActionStatus.in_progress)))
            .options(joinedload(Action.agency), joinedload(Action.assignee))
            .order_by(Action.due_on.is_(None), Action.due_on, Action.id)
        ).unique()
    )


def staff_to_take_over(case: Case) -> list[Any]:
    """Active officers, coordinators and managers of the lead agency: who may take over a closing
    case's continuing work."""
    from casework.accounts.models import User, UserRole
    from casework.cases.policies import LEAD_AGENCY_ROLES

    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.agency_id == case.lead_agency_id,
                User.is_active.is_(True),
                User.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(list(LEAD_AGENCY_ROLES)))),
            )
            .order_by(User.name)
        ).unique()
    )
