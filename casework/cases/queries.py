"""Read queries for lists and dashboards: one SELECT for the page and one COUNT, whatever the rows.

Visibility is always part of the WHERE clause (``policies.visible_cases_clause``), never a filter in
Python, so paging and totals are right and nothing invisible is loaded.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from casework.accounts.models import User
from casework.cases.models import Case, CaseAccess, CaseParty, CaseShare, CaseStatus, Complaint, Incident, Person
from casework.cases.policies import visibility_params, visibility_shape, visible_cases_clause, visible_people_clause
from casework.cases.sections import search_sources
from casework.cases.services import normalise_name, normalise_postcode
from casework.core.db import UTCDateTime
from casework.core.errors import InvalidInput
from casework.core.inputs import DB_INT_MAX, DB_INT_MIN
from casework.core.time import london_day, now
from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus


def _contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: Up to this many cases, a list's total is counted; beyond it, it is estimated (``CasePage``).
COUNT_LIMIT = 1000

#: Search ranks: an exact reference (the case's, a complaint's, a Case Review's) first, then a part of
#: one or of a name, then words in the summary or location.
RANK_EXACT, RANK_IDENTIFIER, RANK_TEXT = 3, 2, 1


@dataclass(frozen=True)
class CaseSearch:
    """What ``SEARCH_SOURCES`` receive: the term lower-cased, and as LIKE patterns (bind parameters:
    a search statement is built once and run with each term)."""

    lowered: Any
    pattern: Any
    name_pattern: Any


@dataclass(frozen=True)
class CasePage:
    items: Sequence[Case]
    total: int
    #: True when ``total`` is an estimate (more than ``COUNT_LIMIT`` cases).
    total_is_estimate: bool
    #: Whether there is a page after this one.
    has_more: bool
    #: Where the next page of a list starts (keyset pagination), or None on the last page.
    next_cursor: str | None


def case_page(
    user: Any,
    *,
    area: str | None = None,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 25,
    cursor: str | None = None,
) -> CasePage:
    """A page of the cases ``user`` may see, newest first (or best match first for ``q``), in two
    statements: the page (with the area, lead agency and owner a list shows) and its count (for a
    search, one: the count comes with the page).

    Visibility comes first, so the cost follows the page size (or, for a search, the cases the user
    can see), not the number of cases in the database:

    - the list reads the lead agency's cases and the cases shared with the agency from two indexes in
      list order (``ix_cases_lead_agency_created``, ``ix_case_shares_agency_created``), each stopping
      after the page; ``cursor`` continues after the last case of the previous page (keyset
      pagination) and ``page`` skips whole pages;
    - a search finds the visible cases first, then matches the term within them (reference, summary,
      location, a party's name, a complaint's reference, and what other domains register in
      ``sections.search_sources()``), and ranks the matches.

    The total is counted up to ``COUNT_LIMIT``; beyond that PostgreSQL's estimate is given. The
    statements are built once for each shape of list (``_ListShape``), with everything else as bind
    parameters: building and keying a statement costs more than running it.
    """
    lead = visibility_shape(user)
    if lead is None:
        return CasePage([], 0, False, False, None)
    searching = bool(q and q.strip())
    # A search is ranked, not in list order: it pages by ``page`` only.
    after = decode_cursor(cursor) if cursor and not searching else None
    offset = 0 if after is not None else (page - 1) * per_page
    shape = _ListShape(
        dialect=db.engine.dialect.name,
        lead=lead,
        area=bool(area),
        status=bool(status),
        searching=searching,
        keyset=after is not None,
        sources=len(search_sources()),
    )
    params: dict[str, Any] = {
        **visibility_params(user),
        "area_code": area,
        "status": status,
        "page_limit": per_page + 1,
        "offset": offset,
        "arm_limit": offset + per_page + 1,
        "count_limit": COUNT_LIMIT + 1,
    }
    if after is not None:
        params.update(after_time=after[0], after_id=after[1])
    if searching:
        text = (q or "").strip()
        params.update(q_lowered=text.lower(), q_pattern=_contains(text), q_name_pattern=_contains(normalise_name(text)))
    page_statement, count_statement, whole_list = _list_statements(shape)
    if searching:
        matches = db.session.execute(page_statement, params).unique().all()
        rows = [match[0] for match in matches]
        # Past the last page there is no row to carry the count: count then.
        total, estimated = (matches[0][1], False) if matches else _count(count_statement, whole_list, params)
    else:
        rows = db.session.scalars(page_statement, params).unique().all()
        total, estimated = _count(count_statement, whole_list, params)
    items, more = rows[:per_page], len(rows) > per_page
    next_cursor = encode_cursor(items[-1]) if more and not searching else None
    return CasePage(items, total, estimated, more, next_cursor)


@dataclass(frozen=True)
class _ListShape:
    """What decides a list's SQL (everything else is a bind parameter)."""

    dialect: str
    lead: bool
    area: bool
    status: bool
    searching: bool
    keyset: bool
    sources: int


@functools.cache
def _list_statements(shape: _ListShape) -> tuple[sa.Select, sa.Select, sa.Select | sa.CompoundSelect]:
    """The page, its (capped) count, and the whole list for PostgreSQL's estimate, for one shape."""
    filters = _list_filters(shape)
    if shape.searching:
        ranked = _search_matches(shape, filters)
        # The number of matches comes with the page (a window count), rather than from a second run of
        # the search.
        query = (
            sa.select(Case, sa.func.count().over().label("total"))
            .join(ranked, ranked.c.case_id == Case.id)
            .order_by(ranked.c.rank.desc(), _sort_time(shape, Case.created_at).desc(), Case.id.desc())
        )
        counted: sa.Select | sa.CompoundSelect = sa.select(ranked.c.case_id)
    else:
        candidates = sa.union(*_newest_first(shape, filters, limited=True)).subquery()
        query = (
            sa.select(Case)
            .join(candidates, candidates.c.id == Case.id)
            .order_by(_sort_time(shape, Case.created_at).desc(), Case.id.desc())
        )
        counted = sa.union(*_newest_first(shape, filters, limited=False))
    page = (
        query.options(
            joinedload(Case.area),
            joinedload(Case.lead_agency),
            joinedload(Case.owner).lazyload(User.agency),
        )
        .limit(sa.bindparam("page_limit"))
        .offset(sa.bindparam("offset"))
    )
    capped = counted if shape.dialect == "sqlite" else counted.limit(sa.bindparam("count_limit"))
    count = sa.select(sa.func.count()).select_from(capped.subquery())
    return page, count, counted


def _sort_time(shape: _ListShape, column: Any) -> Any:
    """``column`` as the list sorts it. On SQLite, timestamps are text, written by the database
    (``CURRENT_TIMESTAMP``, whole seconds) or by SQLAlchemy (with microseconds), so ``12:00:00`` and
    ``12:00:00.000000`` would not compare equal: ``julianday`` compares them as times."""
    return sa.func.julianday(column) if shape.dialect == "sqlite" else column


def _list_filters(shape: _ListShape) -> list[sa.ColumnElement[bool]]:
    """Conditions on ``Case`` every arm of a list applies: restricted cases for named users only, and
    the filters chosen."""
    from casework.accounts.models import Area

    named = sa.select(CaseAccess.case_id).where(CaseAccess.user_id == sa.bindparam("viewer_id"))
    filters: list[sa.ColumnElement[bool]] = [sa.or_(Case.is_restricted.is_(False), Case.id.in_(named))]
    if shape.area:
        area_id = sa.select(Area.id).where(Area.code == sa.bindparam("area_code")).scalar_subquery()
        filters.append(Case.area_id == area_id)
    if shape.status:
        filters.append(Case.status == sa.bindparam("status"))
    return filters


def _newest_first(shape: _ListShape, filters: list[sa.ColumnElement[bool]], *, limited: bool) -> list[sa.Select]:
    """The visible cases as ``(id, created_at)``, one SELECT per way of seeing them (as the lead
    agency, as an agency shared with), each newest first from its own index; ``limited``: each stops
    after ``arm_limit`` rows, after the cursor (``after_time``, ``after_id``) when the shape has one.
    """
    agency_id = sa.bindparam("viewer_agency_id")
    after = sa.tuple_(_sort_time(shape, sa.bindparam("after_time", type_=UTCDateTime())), sa.bindparam("after_id"))
    arms: list[sa.Select] = []
    if shape.lead:
        lead = sa.select(Case.id.label("id"), Case.created_at.label("created_at")).where(
            Case.lead_agency_id == agency_id, *filters
        )
        if limited and shape.keyset:
            lead = lead.where(sa.tuple_(_sort_time(shape, Case.created_at), Case.id) < after)
        arms.append(lead.order_by(_sort_time(shape, Case.created_at).desc(), Case.id.desc()))
    shared = (
        sa.select(CaseShare.case_id.label("id"), CaseShare.case_created_at.label("created_at"))
        .join(Case, Case.id == CaseShare.case_id)
        .where(CaseShare.agency_id == agency_id, *filters)
    )
    if limited and shape.keyset:
        shared = shared.where(sa.tuple_(_sort_time(shape, CaseShare.case_created_at), CaseShare.case_id) < after)
    arms.append(shared.order_by(_sort_time(shape, CaseShare.case_created_at).desc(), CaseShare.case_id.desc()))
    if not limited:
        return [arm.order_by(None) for arm in arms]
    # Each arm in a subquery of its own: a LIMIT inside a UNION needs one (SQLite).
    return [sa.select(arm.limit(sa.bindparam("arm_limit")).subquery()) for arm in arms]


def _search_matches(shape: _ListShape, filters: list[sa.ColumnElement[bool]]) -> sa.Subquery:
    """``(case_id, rank)`` of the visible cases matching the search, best rank per case.

    The visible cases are worked out first, once (a materialised CTE): for most users a few hundred,
    so matching summaries and names within them costs little however common the term. References
    (a complaint's DP-2231) are looked up the other way round, through their trigram index, since a
    reference matches few rows whoever searches.
    """
    search = CaseSearch(
        lowered=sa.bindparam("q_lowered"),
        pattern=sa.bindparam("q_pattern"),
        name_pattern=sa.bindparam("q_name_pattern"),
    )
    visible = _visible_to_search(shape).cte("visible").prefix_with("MATERIALIZED")
    visible_ids = sa.select(visible.c.id)
    pattern = search.pattern
    case_rank = sa.case(
        (sa.func.lower(Case.reference) == search.lowered, RANK_EXACT),
        (Case.reference.ilike(pattern, escape="\\"), RANK_IDENTIFIER),
        else_=RANK_TEXT,
    )
    complaint_rank = sa.case((sa.func.lower(Complaint.reference) == search.lowered, RANK_EXACT), else_=RANK_IDENTIFIER)
    arms = [
        sa.select(Case.id.label("case_id"), case_rank.label("rank"))
        .join(visible, visible.c.id == Case.id)
        .where(
            sa.or_(
                Case.reference.ilike(pattern, escape="\\"),
                Case.summary.ilike(pattern, escape="\\"),
                Case.location.ilike(pattern, escape="\\"),
            )
        ),
        sa.select(CaseParty.case_id, sa.literal(RANK_IDENTIFIER))
        .join(visible, visible.c.id == CaseParty.case_id)
        .join(Person, Person.id == CaseParty.person_id)
        .where(Person.normalised_name.like(search.name_pattern, escape="\\")),
        sa.select(Incident.case_id, complaint_rank)
        .join(Complaint, Complaint.incident_id == Incident.id)
        .where(Complaint.reference.ilike(pattern, escape="\\"), Incident.case_id.in_(visible_ids)),
        *(source(visible, search) for source in search_sources()),
    ]
    matches = sa.union_all(*arms).subquery("matches")
    return (
        sa.select(matches.c.case_id, sa.func.max(matches.c.rank).label("rank"))
        .group_by(matches.c.case_id)
        .subquery("ranked")
    )


def _visible_to_search(shape: _ListShape) -> sa.CompoundSelect | sa.Select:
    """The ids of the cases a search looks in: the agency's own (for a lead agency's user) and those
    shared with it, less the restricted cases the user is not named on.

    The restricted cases are a small share of all cases, read from their partial index
    (``ix_cases_restricted``) and left out with an anti-join, so a police force's 9,500 shared cases
    come from ``case_shares`` alone: with the rule written against ``cases`` (as the list writes it),
    PostgreSQL scanned every case to build the set (190 ms of a 420 ms search on the national
    dataset; 29 ms this way). ``cases`` is read only when an area or status filter needs it.
    """
    agency_id = sa.bindparam("viewer_agency_id")
    named = sa.select(CaseAccess.case_id).where(CaseAccess.user_id == sa.bindparam("viewer_id"))
    # "WHERE is_restricted" as the partial index says it (not "IS true"), so the planner uses the index.
    hidden = sa.select(Case.id).where(Case.is_restricted, Case.id.not_in(named))
    extra: list[sa.ColumnElement[bool]] = []
    if shape.area:
        from casework.accounts.models import Area

        extra.append(Case.area_id == sa.select(Area.id).where(Area.code == sa.bindparam("area_code")).scalar_subquery())
    if shape.status:
        extra.append(Case.status == sa.bindparam("status"))
    shared = sa.select(CaseShare.case_id.label("id")).where(
        CaseShare.agency_id == agency_id, CaseShare.case_id.not_in(hidden)
    )
    if extra:
        shared = shared.join(Case, Case.id == CaseShare.case_id).where(*extra)
    if not shape.lead:
        return shared
    lead = sa.select(Case.id.label("id")).where(Case.lead_agency_id == agency_id, Case.id.not_in(hidden), *extra)
    return sa.union(lead, shared)


def _count(statement: sa.Select, whole_list: sa.Select | sa.CompoundSelect, params: dict[str, Any]) -> tuple[int, bool]:
    """The list's size, counted up to ``COUNT_LIMIT``; beyond it, PostgreSQL's estimate for the whole
    list (SQLite, the small embedded default, counts them all)."""
    total = db.session.scalar(statement, params) or 0
    if total <= COUNT_LIMIT or db.engine.dialect.name == "sqlite":
        return total, False
    compiled = whole_list.compile(dialect=db.engine.dialect)
    plan = (
        db.session.connection()
        .exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.construct_params(params))
        .scalar_one()
    )
    return max(int(plan[0]["Plan"]["Plan Rows"]), COUNT_LIMIT + 1), True


def encode_cursor(case: Case) -> str:
    raw = json.dumps([case.created_at.isoformat(), case.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The sort keys of the last case of the previous page; ``InvalidInput`` for anything else."""
    try:
        created_at, case_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None or type(case_id) is not int or not DB_INT_MIN <= case_id <= DB_INT_MAX:
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidInput({"cursor": ["Use the next_cursor of a previous page"]}) from error
    return moment.astimezone(UTC), case_id


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
    """Open cases the user owns, with the next open deadline of each, whatever record it is on (the
    case, an action, a risk review, an intervention); cases with overdue work first. Two queries."""
    cases = db.session.scalars(
        sa.select(Case)
        .where(Case.owner_id == user.id, Case.status == CaseStatus.open, visible_cases_clause(user))
        .order_by(Case.created_at.desc())
        .limit(limit)
    ).all()
    next_due: dict[int, tuple[date, bool]] = {}
    if cases:
        moment = now()
        rows = db.session.execute(
            sa.select(Deadline.case_id, Deadline.due_on, Deadline.due_at)
            .where(Deadline.status == DeadlineStatus.open, Deadline.case_id.in_([c.id for c in cases]))
            .order_by(Deadline.case_id, Deadline.due_at)
        )
        for case_id, due_on, due_at in rows:
            if case_id not in next_due:
                next_due[case_id] = (due_on or london_day(due_at), due_at < moment)
    listed = [
        {
            "reference": c.reference,
            "href": _case_link(c.id),
            "summary": c.summary,
            "status": c.status.value.capitalize(),
            "next_due_on": next_due[c.id][0] if c.id in next_due else None,
            "is_overdue": c.id in next_due and next_due[c.id][1],
        }
        for c in cases
    ]
    # Overdue first; otherwise newest first.
    return sorted(listed, key=lambda row: not row["is_overdue"])


def due_soon(user: Any, until: datetime, limit: int = 20) -> list[dict[str, Any]]:
    """The user's open deadlines due before ``until`` (overdue ones included, so first), soonest first."""
    rows = db.session.execute(
        sa.select(Deadline, Case.reference)
        .outerjoin(Case, Case.id == Deadline.case_id)
        .where(Deadline.owner_id == user.id, Deadline.status == DeadlineStatus.open, Deadline.due_at <= until)
        .order_by(Deadline.due_at)
        .limit(limit)
    ).all()
    moment = now()
    return [
        {
            "description": row.title,
            "reference": reference or "View",
            "href": row.link or "#",
            "due_on": row.due_on or london_day(row.due_at),
            "is_overdue": row.due_at < moment,
        }
        for row, reference in rows
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
