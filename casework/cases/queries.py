"""Read queries for lists and dashboards: one SELECT for the page and one COUNT, whatever the rows.

Visibility is always part of the WHERE clause (``policies.visible_cases_clause``), never a filter in
Python, so paging and totals are right and nothing invisible is loaded.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from casework.accounts.models import User
from casework.audit.reads import note_shown
from casework.cases.models import Case, CaseAccess, CaseParty, CaseShare, CaseStatus, Complaint, Person
from casework.cases.policies import visibility_params, visibility_shape, visible_cases_clause, visible_people_clause
from casework.cases.sections import search_sources
from casework.cases.services import normalise_name, normalise_postcode
from casework.core.db import UTCDateTime, execute_values, prebuilt, shared_alias
from casework.core.errors import InvalidInput
from casework.core.inputs import DB_INT_MAX, DB_INT_MIN, is_digits, query_id
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


class AreaName(NamedTuple):
    code: str
    name: str


class AgencyName(NamedTuple):
    code: str
    name: str


class OwnerName(NamedTuple):
    email: str
    name: str


class CaseSummary(NamedTuple):
    """A row of a case list: the values a list shows of a case, its area, lead agency and owner, with
    the same names as on ``Case`` (``case.area.code``, ``case.owner.name``), so a list's dump, template
    and cursor read either. Plain values, not entities: building thirty ORM objects for a page of
    cases cost more than running its statement."""

    id: int
    reference: str
    area: AreaName
    category: str
    summary: str
    location: str | None
    status: CaseStatus
    lead_agency: AgencyName
    owner: OwnerName | None
    is_restricted: bool
    opened_on: date
    created_at: datetime
    closed_on: date | None
    version: int


@dataclass(frozen=True)
class CasePage:
    #: ``Case`` entities, or ``CaseSummary`` values (``case_page(..., summaries=True)``).
    items: Sequence[Any]
    total: int
    #: True when ``total`` is an estimate (more than ``COUNT_LIMIT`` cases).
    total_is_estimate: bool
    #: Whether there is a page after this one.
    has_more: bool
    #: Where the next page of a list starts (keyset pagination), or None on the last page.
    next_cursor: str | None


#: The columns a case list sorts by, and the order each takes first (``created``: newest first, the
#: default, served by ``ix_cases_lead_agency_created`` and ``ix_case_shares_agency_created``).
SORT_KEYS: dict[str, str] = {
    "created": "desc",
    "reference": "asc",
    "opened": "desc",
    "status": "asc",
    "category": "asc",
    "area": "asc",
    "agency": "asc",
    "owner": "asc",
}
SORT_ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class CaseFilters:
    """What a case list can be narrowed to, beyond ``area``, ``status`` and the search.

    ``owner``: a user's id, or ``"none"`` for cases nobody owns; ``team``: a manager's id (cases owned by
    the manager or by anyone they manage); ``risk``: the band of the case's latest risk assessment;
    ``overdue``: only cases with open work (a deadline on the case or its records) past due;
    ``category``: a category code; ``agency``: the lead agency's code; ``opened_from``/``opened_to``:
    the day the case was opened, both ends included.
    """

    owner: int | str | None = None
    team: int | None = None
    risk: str | None = None
    overdue: bool = False
    category: str | None = None
    agency: str | None = None
    opened_from: date | None = None
    opened_to: date | None = None

    def as_args(self) -> dict[str, Any]:
        """The filters that are set, as query string values."""
        values = {
            "owner": self.owner,
            "team": self.team,
            "risk": self.risk,
            "overdue": "yes" if self.overdue else None,
            "category": self.category,
            "agency": self.agency,
            "opened_from": self.opened_from.isoformat() if self.opened_from else None,
            "opened_to": self.opened_to.isoformat() if self.opened_to else None,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}


def owner_filter(user: Any, value: str | None) -> int | str | None:
    """An owner filter as a request names it (``me``, ``none``, a user's id from a page, or an email
    from the API) as ``CaseFilters.owner``. Someone unknown owns nothing: 0 matches no case."""
    if not value:
        return None
    if value == "me":
        return int(user.id)
    if value == "none":
        return "none"
    if is_digits(value):
        # An id no user can have (beyond the integer range) matches no case, like an unknown email.
        return query_id(value) or 0
    return db.session.scalar(sa.select(User.id).where(User.email == value.strip().lower())) or 0


def team_filter(user: Any, value: str | None) -> int | None:
    """A team filter (``mine``, a manager's id or email) as ``CaseFilters.team``: the manager's id."""
    if not value:
        return None
    if value == "mine":
        # A manager's own team; anyone else's team is the one their manager leads.
        from casework.accounts.models import Role

        return int(user.id) if user.has_role(Role.manager) or user.manager_id is None else int(user.manager_id)
    owner = owner_filter(user, value)
    return owner if isinstance(owner, int) else 0


def check_opened_range(opened_from: date | None, opened_to: date | None) -> None:
    if opened_from and opened_to and opened_from > opened_to:
        raise InvalidInput({"opened_to": ["The end of the opened dates must be the same as or after the start"]})


def case_page(
    user: Any,
    *,
    area: str | None = None,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 25,
    cursor: str | None = None,
    filters: CaseFilters | None = None,
    sort: str | None = None,
    order: str | None = None,
    summaries: bool = False,
) -> CasePage:
    """A page of the cases ``user`` may see, newest first (or best match first for ``q``), in one
    statement: the page (with the area, lead agency and owner a list shows) and its count, which
    comes with the page's rows (a second statement counts only when a page past the end is asked for).

    Visibility comes first, so the cost follows the page size (or, for a search, the cases the user
    can see), not the number of cases in the database:

    - the list reads the lead agency's cases and the cases shared with the agency from two indexes in
      list order (``ix_cases_lead_agency_created``, ``ix_case_shares_agency_created``), each stopping
      after the page; ``cursor`` continues after the last case of the previous page (keyset
      pagination) and ``page`` skips whole pages;
    - a search matches the term (reference, summary, location, a party's name, a complaint's
      reference, and what other domains register in ``sections.search_sources()``), each kind through
      its own index, keeps the visible matches in one join to the visible cases, and ranks them.

    ``filters`` narrow the list (``CaseFilters``); ``sort`` orders it by another column
    (``SORT_KEYS``), in ``order``, the case's id breaking ties, and its cursor continues on those keys.
    A search is ranked by match unless a ``sort`` is asked for.

    ``summaries``: the page's items are ``CaseSummary`` rows (what the case lists show, read as plain
    values) rather than ``Case`` entities; each is logged as shown, like a loaded case.

    The total is counted up to ``COUNT_LIMIT``; beyond that PostgreSQL's estimate is given. The
    statements are built once for each shape of list (``_ListShape``), with everything else as bind
    parameters: building and keying a statement costs more than running it.
    """
    lead = visibility_shape(user)
    if lead is None:
        return CasePage([], 0, False, False, None)
    filters = filters or CaseFilters()
    searching = bool(q and q.strip())
    sort_key = sort if sort in SORT_KEYS else "created"
    sort_order = order if order in SORT_ORDERS else SORT_KEYS[sort_key]
    # A search is ranked, not in list order: it pages by ``page`` only.
    after = decode_cursor(cursor, sort_key, sort_order) if cursor and not searching else None
    offset = 0 if after is not None else (page - 1) * per_page
    shape = _ListShape(
        dialect=db.engine.dialect.name,
        lead=lead,
        area=bool(area),
        status=bool(status),
        searching=searching,
        keyset=after is not None,
        sources=len(search_sources()),
        owner="none" if filters.owner == "none" else ("id" if filters.owner is not None else None),
        team=filters.team is not None,
        risk=bool(filters.risk),
        overdue=filters.overdue,
        category=bool(filters.category),
        agency=bool(filters.agency),
        opened_from=filters.opened_from is not None,
        opened_to=filters.opened_to is not None,
        sort=sort_key,
        descending=sort_order == "desc",
        ranked=searching and sort is None,
        line_break=searching and "\n" in (q or "").strip(),
    )
    params: dict[str, Any] = {
        **visibility_params(user),
        "area_code": area,
        "status": status,
        "page_limit": per_page + 1,
        "offset": offset,
        "arm_limit": offset + per_page + 1,
        "count_limit": COUNT_LIMIT + 1,
        "owner_id": filters.owner if filters.owner != "none" else None,
        "team_manager_id": filters.team,
        "risk_band": filters.risk,
        "overdue_at": now(),
        "category": filters.category,
        "agency_code": filters.agency,
        "opened_from": filters.opened_from,
        "opened_to": filters.opened_to,
    }
    if after is not None:
        params.update(after_key=after[0], after_id=after[1])
    if searching:
        text = (q or "").strip()
        params.update(q_lowered=text.lower(), q_pattern=_contains(text), q_name_pattern=_contains(normalise_name(text)))
    statements = _list_statements(shape)
    page_statement, count_statement, whole_list = statements.page, statements.count, statements.whole_list
    run = (
        functools.partial(_summary_rows, statements.summaries)
        if summaries
        else functools.partial(_entity_rows, page_statement)
    )
    if searching:
        matches = run(params)
        rows = [match[0] for match in matches]
        # Past the last page there is no row to carry the count: count then (on the first page, no
        # row means no match).
        if matches or offset == 0:
            total, estimated = (matches[0][1] if matches else 0), False
        else:
            total, estimated = _count(count_statement, whole_list, params)
    else:
        # The count comes with the page (a scalar subquery, run once), like a search's: one round trip.
        counted_rows = run(params)
        rows = [row[0] for row in counted_rows]
        total, estimated = (
            _estimate(counted_rows[0][1], whole_list, params)
            if counted_rows
            else _count(count_statement, whole_list, params)
        )
    items, more = rows[:per_page], len(rows) > per_page
    next_cursor = encode_cursor(items[-1], sort_key, sort_order) if more and not searching else None
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
    owner: str | None = None
    team: bool = False
    risk: bool = False
    overdue: bool = False
    category: bool = False
    agency: bool = False
    opened_from: bool = False
    opened_to: bool = False
    sort: str = "created"
    descending: bool = True
    #: A search in order of match (no ``sort`` asked for).
    ranked: bool = True
    #: A search term with a line break in it (matched in the cases' own texts, not their copies).
    line_break: bool = False

    @property
    def narrowed(self) -> bool:
        """A filter other than area and status is chosen (those two a search applies as it finds its
        matches, ``_search_restrictions``; the others to the matches it found)."""
        return bool(
            self.owner
            or self.team
            or self.risk
            or self.overdue
            or self.category
            or self.agency
            or self.opened_from
            or self.opened_to
        )


@dataclass(frozen=True)
class _ListStatements:
    #: The page's ``Case`` entities (with their area, lead agency and owner) and its total.
    page: sa.Select
    #: The same rows as ``CaseSummary`` values, then the total (``_summary_rows``).
    summaries: sa.Select
    #: The list's size, capped.
    count: sa.Select
    #: The whole list, for PostgreSQL's estimate.
    whole_list: sa.Select | sa.CompoundSelect


@functools.cache
def _list_statements(shape: _ListShape) -> _ListStatements:
    """The page (as entities and as summaries), its (capped) count, and the whole list for
    PostgreSQL's estimate, for one shape."""
    filters = _list_filters(shape)
    if shape.searching:
        ranked = _search_matches(shape, filters)
        chosen_from = sa.select(
            ranked.c.case_id,
            sa.func.count().over().label("total"),
        )
        matched = sa.select(ranked.c.case_id)
        if not shape.ranked or shape.narrowed:
            chosen_from = chosen_from.join(Case, Case.id == ranked.c.case_id)
        if shape.narrowed:
            # The list's other filters (an owner, a team, a risk band, ...) apply to the matches as they
            # do to the list: a search within "my cases" finds only mine.
            chosen_from = chosen_from.where(*filters)
            matched = matched.join(Case, Case.id == ranked.c.case_id).where(*filters)
        if shape.ranked:
            # The matches carry their case's creation time: no case is read to rank them.
            ordering = [
                ranked.c.rank.desc(),
                _sort_time(shape, ranked.c.created_at).desc(),
                ranked.c.case_id.desc(),
            ]
        else:
            ordering = _directed(shape, _sort_expression(shape), Case.id)
        # The page's ids are chosen among the matches first, and only those cases are loaded with what
        # a list shows (area, lead agency, owner): a common term matches thousands of visible cases.
        # The number of matches comes with the page (a window count, taken before the LIMIT), rather
        # than from a second run of the search.
        chosen = (
            chosen_from.add_columns(sa.func.row_number().over(order_by=ordering).label("position"))
            .order_by(*ordering)
            .limit(sa.bindparam("page_limit"))
            .offset(sa.bindparam("offset"))
            .subquery("chosen")
        )
        query: sa.Select[Any] = (
            sa.select(Case, chosen.c.total).join(chosen, chosen.c.case_id == Case.id).order_by(chosen.c.position)
        )
        counted: sa.Select | sa.CompoundSelect = matched
    else:
        candidates = sa.union(*_newest_first(shape, filters, limited=True)).subquery()
        query = (
            sa.select(Case)
            .join(candidates, candidates.c.id == Case.id)
            # Newest first as the arms compare times (``_sort_time``); other keys as selected.
            .order_by(
                *_directed(
                    shape,
                    _sort_time(shape, Case.created_at) if shape.sort == "created" else candidates.c.sort_key,
                    Case.id,
                )
            )
        )
        counted = sa.union(*_newest_first(shape, filters, limited=False))
    capped = counted if shape.dialect == "sqlite" else counted.limit(sa.bindparam("count_limit"))
    count = sa.select(sa.func.count()).select_from(capped.subquery())
    if not shape.searching:
        # Past the last page there is no row to carry the count: ``count`` alone then.
        query = query.add_columns(count.scalar_subquery().label("total"))
    page = query.options(
        joinedload(Case.area),
        joinedload(Case.lead_agency),
        joinedload(Case.owner).lazyload(User.agency),
    )
    summaries = _summary_columns(query)
    if not shape.searching:
        page = page.limit(sa.bindparam("page_limit")).offset(sa.bindparam("offset"))
        summaries = summaries.limit(sa.bindparam("page_limit")).offset(sa.bindparam("offset"))
    return _ListStatements(page=page, summaries=summaries, count=count, whole_list=counted)


def _summary_columns(query: sa.Select) -> sa.Select:
    """``query`` (the page's cases, in order, and the total) selecting what a ``CaseSummary`` holds,
    in its order, then the total: the same rows, in the same order, as plain values."""
    from casework.accounts.models import Agency, Area

    owner = shared_alias(User, name="owner")
    return (
        query.with_only_columns(
            Case.id,
            Case.reference,
            Area.code,
            Area.name,
            Case.category,
            Case.summary,
            Case.location,
            Case.status,
            Agency.code,
            Agency.name,
            owner.email,
            owner.name,
            Case.is_restricted,
            Case.opened_on,
            Case.created_at,
            Case.closed_on,
            Case.version,
            query.selected_columns.total,
            maintain_column_froms=False,
        )
        .join(Area, Area.id == Case.area_id)
        .join(Agency, Agency.id == Case.lead_agency_id)
        .outerjoin(owner, owner.id == Case.owner_id)
    )


def _entity_rows(statement: sa.Select, params: dict[str, Any]) -> Sequence[Any]:
    """The page's rows: a ``Case`` and the total."""
    return db.session.execute(statement, params).unique().all()


def _summary_rows(statement: sa.Select, params: dict[str, Any]) -> list[tuple[CaseSummary, int]]:
    """The page's rows as summaries: rows of a ``CaseSummary`` and the total. Each case is noted as
    shown (``note_shown``), as loading it as an entity would (casework.audit.reads): the view entries
    are the same. On the session's connection, in its transaction: a read of plain columns needs
    nothing of the ORM's loading (``execute_values``)."""

    rows = []
    for row in execute_values(statement, params):
        # The columns in the order ``_summary_columns`` selects them; the last is the total.
        (case_id, reference, area_code, area_name, category, summary, location, status) = row[:8]
        agency_code, agency_name, owner_email, owner_name = row[8:12]
        note_shown("cases", case_id)
        owner = OwnerName(owner_email, owner_name) if owner_email is not None else None
        area, agency = AreaName(area_code, area_name), AgencyName(agency_code, agency_name)
        # is_restricted, opened_on, created_at, closed_on, version: as CaseSummary orders them.
        the_rest = row[12:17]
        rows.append(
            (
                CaseSummary(case_id, reference, area, category, summary, location, status, agency, owner, *the_rest),
                row[17],
            )
        )
    return rows


def _sort_time(shape: _ListShape, column: Any) -> Any:
    """``column`` as the list sorts it. On SQLite, timestamps are text, written by the database
    (``CURRENT_TIMESTAMP``, whole seconds) or by SQLAlchemy (with microseconds), so ``12:00:00`` and
    ``12:00:00.000000`` would not compare equal: ``julianday`` compares them as times."""
    return sa.func.julianday(column) if shape.dialect == "sqlite" else column


def _sort_expression(shape: _ListShape) -> Any:
    """The value of ``Case`` the list sorts by (never NULL, so a cursor can name it)."""
    from casework.accounts.models import Agency, Area

    if shape.sort == "created":
        return _sort_time(shape, Case.created_at)
    if shape.sort == "reference":
        return Case.reference
    if shape.sort == "opened":
        return Case.opened_on
    if shape.sort == "status":
        return sa.cast(Case.status, sa.String)
    if shape.sort == "category":
        return Case.category
    if shape.sort == "area":
        return sa.select(Area.name).where(Area.id == Case.area_id).scalar_subquery()
    if shape.sort == "agency":
        return sa.select(Agency.name).where(Agency.id == Case.lead_agency_id).scalar_subquery()
    if shape.sort == "owner":
        owner_name = sa.select(User.name).where(User.id == Case.owner_id).scalar_subquery()
        return sa.func.coalesce(owner_name, "")
    raise ValueError(shape.sort)


def sort_value(case: Case | CaseSummary, sort: str) -> Any:
    """What ``_sort_expression`` gives for a loaded case (its area, lead agency and owner loaded)."""
    values = {
        "created": lambda: case.created_at,
        "reference": lambda: case.reference,
        "opened": lambda: case.opened_on,
        "status": lambda: case.status.value,
        "category": lambda: case.category,
        "area": lambda: case.area.name,
        "agency": lambda: case.lead_agency.name,
        "owner": lambda: case.owner.name if case.owner else "",
    }
    return values[sort]()


def _directed(shape: _ListShape, *columns: Any) -> list[Any]:
    return [column.desc() if shape.descending else column.asc() for column in columns]


def _after_cursor(shape: _ListShape, key: Any, case_id: Any) -> sa.ColumnElement[bool]:
    """Rows after the cursor's ``(after_key, after_id)`` in the list's order."""
    if shape.sort == "created":
        after_key: Any = _sort_time(shape, sa.bindparam("after_key", type_=UTCDateTime()))
    elif shape.sort == "opened":
        after_key = sa.bindparam("after_key", type_=sa.Date())
    else:
        after_key = sa.bindparam("after_key", type_=sa.String())
    row, after = sa.tuple_(key, case_id), sa.tuple_(after_key, sa.bindparam("after_id"))
    return row < after if shape.descending else row > after


def _list_filters(shape: _ListShape) -> list[sa.ColumnElement[bool]]:
    """Conditions on ``Case`` every arm of a list applies: restricted cases for named users only, and
    the filters chosen."""
    from casework.accounts.models import Agency, Area
    from casework.risk.models import RiskAssessment

    named = sa.select(CaseAccess.case_id).where(CaseAccess.user_id == sa.bindparam("viewer_id"))
    filters: list[sa.ColumnElement[bool]] = [sa.or_(Case.is_restricted.is_(False), Case.id.in_(named))]
    if shape.area:
        area_id = sa.select(Area.id).where(Area.code == sa.bindparam("area_code")).scalar_subquery()
        filters.append(Case.area_id == area_id)
    if shape.status:
        filters.append(Case.status == sa.bindparam("status"))
    if shape.owner == "none":
        filters.append(Case.owner_id.is_(None))
    elif shape.owner == "id":
        filters.append(Case.owner_id == sa.bindparam("owner_id", type_=sa.Integer()))
    if shape.team:
        manager_id = sa.bindparam("team_manager_id", type_=sa.Integer())
        team = sa.select(User.id).where(sa.or_(User.id == manager_id, User.manager_id == manager_id))
        filters.append(Case.owner_id.in_(team))
    if shape.risk:
        # The case's current risk: its latest assessment (``ix_risk_assessments_case``).
        latest = (
            sa.select(RiskAssessment.band)
            .where(RiskAssessment.case_id == Case.id)
            .order_by(RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        filters.append(latest == sa.bindparam("risk_band", type_=RiskAssessment.band.type))
    if shape.overdue:
        # Any open work on the case past due: the case's own deadlines and its records' (actions, risk
        # reviews, interventions), which all name the case (``ix_deadlines_case_open``), and whose record
        # is still there.
        from casework.reminders.services import subject_exists

        filters.append(
            sa.exists().where(
                Deadline.case_id == Case.id,
                Deadline.status == DeadlineStatus.open,
                Deadline.due_at <= sa.bindparam("overdue_at", type_=UTCDateTime()),
                subject_exists(),
            )
        )
    if shape.category:
        filters.append(Case.category == sa.bindparam("category"))
    if shape.agency:
        agency_id = sa.select(Agency.id).where(Agency.code == sa.bindparam("agency_code")).scalar_subquery()
        filters.append(Case.lead_agency_id == agency_id)
    if shape.opened_from:
        filters.append(Case.opened_on >= sa.bindparam("opened_from", type_=sa.Date()))
    if shape.opened_to:
        filters.append(Case.opened_on <= sa.bindparam("opened_to", type_=sa.Date()))
    return filters


def _newest_first(shape: _ListShape, filters: list[sa.ColumnElement[bool]], *, limited: bool) -> list[sa.Select]:
    """The visible cases as ``(id, sort_key)``, one SELECT per way of seeing them (as the lead
    agency, as an agency shared with), each in list order (newest first by default, from its own
    index); ``limited``: each stops after ``arm_limit`` rows, after the cursor (``after_key``,
    ``after_id``) when the shape has one.
    """
    agency_id: sa.BindParameter[int] = sa.bindparam("viewer_agency_id")
    default = shape.sort == "created"
    arms: list[sa.Select] = []
    if shape.lead:
        key = _sort_expression(shape)
        lead = sa.select(Case.id.label("id"), (Case.created_at if default else key).label("sort_key")).where(
            Case.lead_agency_id == agency_id, *filters
        )
        if limited and shape.keyset:
            lead = lead.where(_after_cursor(shape, key, Case.id))
        arms.append(lead.order_by(*_directed(shape, key, Case.id)))
    # Newest first, the shares are read from their own index (``case_created_at`` is the case's).
    shared_key = _sort_time(shape, CaseShare.case_created_at) if default else _sort_expression(shape)
    shared = (
        sa.select(
            CaseShare.case_id.label("id"), (CaseShare.case_created_at if default else shared_key).label("sort_key")
        )
        .join(Case, Case.id == CaseShare.case_id)
        .where(CaseShare.agency_id == agency_id, *filters)
    )
    if limited and shape.keyset:
        shared = shared.where(_after_cursor(shape, shared_key, CaseShare.case_id))
    arms.append(shared.order_by(*_directed(shape, shared_key, CaseShare.case_id)))
    if not limited:
        return [arm.order_by(None) for arm in arms]
    # Each arm in a subquery of its own: a LIMIT inside a UNION needs one (SQLite).
    return [sa.select(arm.limit(sa.bindparam("arm_limit")).subquery()) for arm in arms]


def _search_matches(shape: _ListShape, filters: list[sa.ColumnElement[bool]]) -> sa.Subquery:
    """``(case_id, rank, created_at)`` of the visible cases matching the search, best rank per case,
    with the case's creation time (the ranking's second key).

    Each kind of match is found through its own trigram index: a complaint's reference (DP-2231),
    with its case beside it (``Complaint.case_id``), a party's name through its copy beside the party
    (``CaseParty.person_name``), every case's reference, and what other domains register
    (``sections.search_sources()``), across the country,
    and the lead agency's cases in their own columns; then all of them are kept if their case is
    visible, in one join to the visible set (``_visible_to_search``), which brings the case's creation
    time with it (``case_created_at`` of the share), so no case is read to rank the matches. The words
    of a shared case are matched in their copy beside the share (``CaseShare.case_text``), among the
    agency's own shares. The copies of names and texts are written by the database (migrations 0510,
    0511); a complaint's case is copied beside it when it is written (0520).
    """
    search = CaseSearch(
        lowered=sa.bindparam("q_lowered"),
        pattern=sa.bindparam("q_pattern"),
        name_pattern=sa.bindparam("q_name_pattern"),
    )
    # Not materialised: joined once, to the matches, PostgreSQL estimates it and picks how to meet
    # them (a hash of the agency's shares for thousands of matches, a probe of their key for a few).
    # Joined in every arm, as before, it was built and hashed once for each arm (9,500 cases for a
    # police force; about 2 ms of a 10 ms search).
    visible = _visible_to_search(shape).subquery("visible")
    pattern = search.pattern
    case_rank = sa.case(
        (sa.func.lower(Case.reference) == search.lowered, RANK_EXACT),
        (Case.reference.ilike(pattern, escape="\\"), RANK_IDENTIFIER),
        else_=RANK_TEXT,
    )
    complaint_rank = sa.case((sa.func.lower(Complaint.reference) == search.lowered, RANK_EXACT), else_=RANK_IDENTIFIER)
    # The complaints whose reference matches, each with the copy of its case beside it
    # (``Complaint.case_id``): a part of a number (ASB-22) matches thousands of complaints across the
    # country, and reading each one's incident to find its case was one probe per complaint (6,634
    # probes, 6 of a 14 ms search on the national dataset); joining the other way reads every incident
    # of a police force's 9,500 visible cases (100,000 rows; 450 ms).
    references = (
        sa.select(Complaint.case_id, complaint_rank.label("rank"))
        .where(Complaint.reference.ilike(pattern, escape="\\"))
        .cte("complaint_matches")
        .prefix_with("MATERIALIZED")
    )
    # The parties whose name matches, from the copy of the name beside each party
    # (``CaseParty.person_name``, trigram-indexed, kept in step by the database), materialised so that
    # PostgreSQL reads them through the index and keeps those of visible cases with one hash lookup
    # each: it otherwise guesses that a name matches a handful of parties and probes every visible
    # case's parties instead (a police force's 9,500 cases). A common surname ("holmes") is 7,700
    # parties nationally; through the people, each matching person was joined to their parties.
    named = (
        sa.select(CaseParty.case_id)
        .where(CaseParty.person_name.like(search.name_pattern, escape="\\"))
        .cte("name_matches")
        .prefix_with("MATERIALIZED")
    )
    in_texts = sa.or_(
        Case.reference.ilike(pattern, escape="\\"),
        Case.summary.ilike(pattern, escape="\\"),
        Case.location.ilike(pattern, escape="\\"),
    )
    agency_id: sa.BindParameter[int] = sa.bindparam("viewer_agency_id")
    case_matches = sa.select(Case.id.label("case_id"), case_rank.label("rank"))
    # A term across lines could match across two texts of the copy: then the cases' own columns.
    found = [
        case_matches.where(in_texts if shape.line_break else Case.reference.ilike(pattern, escape="\\")),
        sa.select(named.c.case_id, sa.literal(RANK_IDENTIFIER)),
        sa.select(references.c.case_id, references.c.rank),
        *(source(search) for source in search_sources()),
    ]
    if shape.lead and not shape.line_break:
        # The lead agency's own cases, matched in their columns.
        found.append(case_matches.where(Case.lead_agency_id == agency_id, in_texts))
    matched = sa.union_all(*found).subquery("found")
    arms: list[sa.Select] = [
        sa.select(matched.c.case_id, matched.c.rank, visible.c.created_at).join(
            visible, visible.c.id == matched.c.case_id
        )
    ]
    if not shape.line_break:
        hidden, extra = _search_restrictions(shape)
        # The cases shared with the agency, matched in their copy of the texts beside the share
        # (``CaseShare.case_text``, trigram-indexed, kept in step by the database), so that only the
        # agency's matching shares are read: matching the cases' own columns found every matching case
        # in the country before the visible set kept the agency's ("station": 19,000 cases for a
        # police force's 1,800). Visibility as ``_visible_to_search`` applies it to shares. A share's
        # match ranks as words: a case whose reference matches is ranked as such by the reference arm
        # (the best rank of a case wins).
        shared = sa.select(
            CaseShare.case_id, sa.literal(RANK_TEXT).label("rank"), CaseShare.case_created_at.label("created_at")
        ).where(
            CaseShare.agency_id == agency_id,
            CaseShare.case_text.ilike(pattern, escape="\\"),
            CaseShare.case_id.not_in(hidden),
        )
        if extra:
            shared = shared.join(Case, Case.id == CaseShare.case_id).where(*extra)
        arms.append(shared)
    matches = sa.union_all(*arms).subquery("matches")
    return (
        sa.select(
            matches.c.case_id,
            sa.func.max(matches.c.rank).label("rank"),
            # One time per case (a share's copy is the case's), whichever arm found it.
            sa.func.max(matches.c.created_at).label("created_at"),
        )
        .group_by(matches.c.case_id)
        .subquery("ranked")
    )


def _visible_to_search(shape: _ListShape) -> sa.CompoundSelect | sa.Select:
    """The ids (``id``) and creation times (``created_at``) of the cases a search looks in: the
    agency's own (for a lead agency's user) and those shared with it, less the restricted cases the
    user is not named on.

    The restricted cases are a small share of all cases, read from their partial index
    (``ix_cases_restricted``) and left out with an anti-join, so a police force's 9,500 shared cases
    come from ``case_shares`` alone, with their case's creation time (``case_created_at``): with the
    rule written against ``cases`` (as the list writes it), PostgreSQL scanned every case to build the
    set (190 ms of a 420 ms search on the national dataset; 29 ms this way). ``cases`` is read only
    when an area or status filter needs it.
    """
    agency_id: sa.BindParameter[int] = sa.bindparam("viewer_agency_id")
    hidden, extra = _search_restrictions(shape)
    shared = sa.select(CaseShare.case_id.label("id"), CaseShare.case_created_at.label("created_at")).where(
        CaseShare.agency_id == agency_id, CaseShare.case_id.not_in(hidden)
    )
    if extra:
        shared = shared.join(Case, Case.id == CaseShare.case_id).where(*extra)
    if not shape.lead:
        return shared
    lead = sa.select(Case.id.label("id"), Case.created_at.label("created_at")).where(
        Case.lead_agency_id == agency_id, Case.id.not_in(hidden), *extra
    )
    return sa.union(lead, shared)


def _search_restrictions(shape: _ListShape) -> tuple[sa.Select, list[sa.ColumnElement[bool]]]:
    """The restricted cases the user is not named on (to leave out), and the conditions on ``cases``
    of an area or status filter."""
    named = sa.select(CaseAccess.case_id).where(CaseAccess.user_id == sa.bindparam("viewer_id"))
    # "WHERE is_restricted" as the partial index says it (not "IS true"), so the planner uses the index.
    hidden = sa.select(Case.id).where(Case.is_restricted, Case.id.not_in(named))
    extra: list[sa.ColumnElement[bool]] = []
    if shape.area:
        from casework.accounts.models import Area

        extra.append(Case.area_id == sa.select(Area.id).where(Area.code == sa.bindparam("area_code")).scalar_subquery())
    if shape.status:
        extra.append(Case.status == sa.bindparam("status"))
    return hidden, extra


def _count(statement: sa.Select, whole_list: sa.Select | sa.CompoundSelect, params: dict[str, Any]) -> tuple[int, bool]:
    """The list's size, counted up to ``COUNT_LIMIT``; beyond it, PostgreSQL's estimate for the whole
    list (SQLite, the small embedded default, counts them all)."""
    return _estimate(db.session.scalar(statement, params) or 0, whole_list, params)


def _estimate(total: int, whole_list: sa.Select | sa.CompoundSelect, params: dict[str, Any]) -> tuple[int, bool]:
    """``total`` counted up to ``COUNT_LIMIT``; beyond it, PostgreSQL's estimate for the whole list."""
    if total <= COUNT_LIMIT or db.engine.dialect.name == "sqlite":
        return total, False
    compiled = whole_list.compile(dialect=db.engine.dialect)
    plan = (
        db.session.connection()
        .exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.construct_params(params))
        .scalar_one()
    )
    return max(int(plan[0]["Plan"]["Plan Rows"]), COUNT_LIMIT + 1), True


def encode_cursor(case: Case | CaseSummary, sort: str = "created", order: str = "desc") -> str:
    """The sort keys of ``case``, the last of a page: ``[created_at, id]`` for the default order (as
    before sorting by other columns), ``[sort, order, value, id]`` for the others."""
    value = sort_value(case, sort)
    if sort == "created" and order == "desc":
        keys: list[Any] = [value.isoformat(), case.id]
    else:
        keys = [sort, order, value.isoformat() if isinstance(value, date | datetime) else value, case.id]
    return base64.urlsafe_b64encode(json.dumps(keys).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str = "created", order: str = "desc") -> tuple[Any, int]:
    """The sort keys of the last case of the previous page of the list sorted by ``sort`` in
    ``order``; ``InvalidInput`` for anything else (including a cursor of another order)."""
    try:
        keys = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(keys, list):
            raise ValueError(cursor)
        if len(keys) == 2:
            keys = ["created", "desc", *keys]
        cursor_sort, cursor_order, value, case_id = keys
        if (cursor_sort, cursor_order) != (sort, order):
            raise ValueError(cursor)
        if type(case_id) is not int or not DB_INT_MIN <= case_id <= DB_INT_MAX or not isinstance(value, str):
            raise ValueError(cursor)
        key: Any = value
        if sort == "created":
            key = datetime.fromisoformat(value)
            if key.tzinfo is None:
                raise ValueError(cursor)
            key = key.astimezone(UTC)
        elif sort == "opened":
            key = date.fromisoformat(value)
        elif len(value) > 300:
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidInput({"cursor": ["Use the next_cursor of a previous page"]}) from error
    return key, case_id


def people_search_query(
    user: Any,
    *,
    name: str | None = None,
    date_of_birth: date | None = None,
    postcode: str | None = None,
    everyone: bool = False,
    also_ids: Collection[int] = (),
) -> sa.Select[tuple[Person]]:
    """People the user may see (``everyone``: all people, for the data protection officer answering a
    subject access request), matching a name (from the start of any word), a date of birth and a
    postcode (from its start), each indexed. Records merged into another are left out; ``also_ids``
    are people listed whether or not they match (those found through a record merged into them)."""
    query = sa.select(Person).where(Person.merged_into_id.is_(None)).order_by(Person.normalised_name, Person.id)
    if not everyone:
        query = query.where(visible_people_clause(user))
    matches = person_search_conditions(Person, name=name, date_of_birth=date_of_birth, postcode=postcode)
    if also_ids:
        query = query.where(sa.or_(sa.and_(sa.true(), *matches), Person.id.in_(sorted(also_ids))))
    elif matches:
        query = query.where(*matches)
    return query


def person_search_conditions(
    entity: Any, *, name: str | None = None, date_of_birth: date | None = None, postcode: str | None = None
) -> list[sa.ColumnElement[bool]]:
    """The conditions of a people search (``people_search_query``) on ``entity`` (``Person`` or an alias)."""
    matches: list[sa.ColumnElement[bool]] = []
    if name:
        needle = normalise_name(name).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matches.append(
            sa.or_(
                entity.normalised_name.like(f"{needle}%", escape="\\"),
                entity.normalised_name.like(f"% {needle}%", escape="\\"),
            )
        )
    if date_of_birth:
        matches.append(entity.date_of_birth == date_of_birth)
    if postcode:
        matches.append(entity.postcode.like(f"{normalise_postcode(postcode)}%"))
    return matches


def people_withheld_count(
    user: Any, *, name: str | None = None, date_of_birth: date | None = None, postcode: str | None = None
) -> int:
    """How many people of ``user``'s agency match the search but are hidden from them by a restricted
    case they are not named on (``visible_people_clause``): a manager answering a subject access
    request is told that the data protection officer must answer it, never that nobody matches."""
    matching = people_search_query(user, name=name, date_of_birth=date_of_birth, postcode=postcode, everyone=True)
    hidden = matching.where(Person.agency_id == user.agency_id, ~visible_people_clause(user))
    return db.session.scalar(sa.select(sa.func.count()).select_from(hidden.order_by(None).subquery())) or 0


@dataclass(frozen=True)
class ListChoices:
    """The options of the case list's filters: the user's agency's case owners and managers, the
    categories of its areas, every agency, the agency's areas (by name); and how many police calls
    wait for the agency to match them to a case (0 for those who may not work that queue)."""

    owners: list[tuple[int, str]]
    managers: list[tuple[int, str]]
    categories: list[tuple[str, str]]
    agencies: list[tuple[str, str]]
    areas: list[tuple[str, str]]
    queued_calls: int


def list_choices(user: Any) -> ListChoices:
    """One statement (every list page runs it): the agency's staff who may own cases (with whether
    each manages), the categories, the agencies, the agency's areas and its queued police calls, as
    the parts of a ``UNION ALL``."""
    from casework.accounts.models import Role
    from casework.cases.police_reports import can_work_queue

    owners: dict[int, str] = {}
    managers: dict[int, str] = {}
    parts: dict[str, list[tuple[str, str]]] = {"category": [], "agency": [], "area": []}
    queued = 0
    # Values only: on the session's connection, without the ORM's loading (``execute_values``).
    choices = execute_values(prebuilt(_list_choices_statement()), {"agency_id": user.agency_id})
    for part, name, number, code, role in choices:
        if part == "owner":
            owners[number] = name
            if role == Role.manager:
                managers[number] = name
        elif part == "queued":
            queued = number
        else:
            parts[part].append((code, name))
    return ListChoices(
        owners=list(owners.items()),
        managers=list(managers.items()),
        categories=parts["category"],
        agencies=parts["agency"],
        # By name as Python sorts them (the order the page has always shown), the codes breaking ties.
        areas=sorted(parts["area"], key=lambda area: area[1]),
        queued_calls=queued if can_work_queue(user) else 0,
    )


@functools.cache
def _list_choices_statement() -> sa.Select:
    """Built once, with the agency as a bind parameter: ``(part, name, number, code, role)`` rows,
    each part in the order the filters show it."""
    from casework.accounts.models import Agency, Area, UserRole, agency_areas
    from casework.cases.models import CaseCategory, PoliceReportStatus, QueuedPoliceReport
    from casework.cases.policies import LEAD_AGENCY_ROLES

    agency_id = sa.bindparam("agency_id", type_=sa.Integer())
    no_text, no_number = sa.cast(sa.null(), sa.String()), sa.cast(sa.null(), sa.Integer())
    agency_area_ids = sa.select(agency_areas.c.area_id).where(agency_areas.c.agency_id == agency_id)
    choices = sa.union_all(
        sa.select(
            sa.literal_column("'owner'").label("part"),
            User.name.label("name"),
            User.id.label("number"),
            no_text.label("code"),
            UserRole.role.label("role"),
        )
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.agency_id == agency_id, User.is_active.is_(True), UserRole.role.in_(list(LEAD_AGENCY_ROLES))),
        sa.select(sa.literal_column("'category'"), CaseCategory.name, no_number, CaseCategory.code, no_text).where(
            sa.or_(CaseCategory.area_id.is_(None), CaseCategory.area_id.in_(agency_area_ids))
        ),
        sa.select(sa.literal_column("'agency'"), Agency.name, no_number, Agency.code, no_text),
        sa.select(sa.literal_column("'area'"), Area.name, no_number, Area.code, no_text).where(
            Area.id.in_(agency_area_ids)
        ),
        sa.select(sa.literal_column("'queued'"), no_text, sa.func.count(), no_text, no_text)
        .select_from(QueuedPoliceReport)
        .where(QueuedPoliceReport.agency_id == agency_id, QueuedPoliceReport.status == PoliceReportStatus.queued),
    ).subquery("choices")
    return sa.select(choices).order_by(choices.c.part, choices.c.name, choices.c.number, choices.c.code)


def lead_staff(agency_id: int) -> list[Any]:
    """Active officers, coordinators and managers of an agency, by name: who may own its cases."""
    from casework.accounts.models import UserRole
    from casework.cases.policies import LEAD_AGENCY_ROLES

    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.agency_id == agency_id,
                User.is_active.is_(True),
                User.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(list(LEAD_AGENCY_ROLES)))),
            )
            .order_by(User.name, User.id)
        ).unique()
    )


@dataclass(frozen=True)
class CaseloadRow:
    user_id: int | None
    name: str
    in_team: bool
    open_cases: int
    #: Open restricted cases the manager is not named on: counted, never shown.
    restricted: int
    high_risk: int
    with_overdue_work: int
    deadlines_overdue: int
    deadlines_this_week: int


def caseload(manager: Any) -> list[CaseloadRow]:
    """Open cases and deadlines per case owner of the manager's agency, their own team first, then the
    agency's unassigned open cases. Three statements whatever the number of people or cases: the
    agency's staff, the open cases it leads grouped by owner, the owners' open deadlines grouped by owner.
    """
    from datetime import timedelta

    from casework.reminders.services import WEEK_DAYS, end_of_day, live_clause, subject_exists
    from casework.risk.models import RiskAssessment, RiskBand

    staff = lead_staff(manager.agency_id)
    moment = now()
    named = Case.id.in_(sa.select(CaseAccess.case_id).where(CaseAccess.user_id == manager.id))
    seen = sa.or_(Case.is_restricted.is_(False), named)
    latest_band = (
        sa.select(RiskAssessment.band)
        .where(RiskAssessment.case_id == Case.id)
        .order_by(RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    overdue_work = sa.exists().where(
        Deadline.case_id == Case.id, Deadline.status == DeadlineStatus.open, Deadline.due_at <= moment, subject_exists()
    )
    per_owner = {
        row.owner_id: row
        for row in db.session.execute(
            sa.select(
                Case.owner_id,
                sa.func.count().filter(seen).label("open_cases"),
                sa.func.count().filter(sa.not_(seen)).label("restricted"),
                sa.func.count().filter(seen, latest_band == RiskBand.high).label("high_risk"),
                sa.func.count().filter(seen, overdue_work).label("with_overdue_work"),
            )
            .where(Case.lead_agency_id == manager.agency_id, Case.status == CaseStatus.open)
            .group_by(Case.owner_id)
        )
    }
    week_end = end_of_day(london_day(moment) + timedelta(days=WEEK_DAYS - 1))
    due = {
        row.owner_id: row
        for row in db.session.execute(
            sa.select(
                Deadline.owner_id,
                sa.func.count().filter(Deadline.due_at <= moment).label("overdue"),
                sa.func.count().filter(Deadline.due_at > moment).label("this_week"),
            )
            .where(Deadline.owner_id.in_([u.id for u in staff]), live_clause(), Deadline.due_at <= week_end)
            .group_by(Deadline.owner_id)
        )
    }

    def row(user_id: int | None, name: str, in_team: bool) -> CaseloadRow:
        cases, deadlines = per_owner.get(user_id), due.get(user_id)
        return CaseloadRow(
            user_id=user_id,
            name=name,
            in_team=in_team,
            open_cases=cases.open_cases if cases else 0,
            restricted=cases.restricted if cases else 0,
            high_risk=cases.high_risk if cases else 0,
            with_overdue_work=cases.with_overdue_work if cases else 0,
            deadlines_overdue=deadlines.overdue if deadlines else 0,
            deadlines_this_week=deadlines.this_week if deadlines else 0,
        )

    rows = [row(u.id, u.name, u.id == manager.id or u.manager_id == manager.id) for u in staff]
    rows.sort(key=lambda r: (not r.in_team, r.name.lower()))
    return [*rows, row(None, "Not assigned", False)]


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
        from casework.reminders.services import subject_exists

        moment = now()
        rows = db.session.execute(
            sa.select(Deadline.case_id, Deadline.due_on, Deadline.due_at)
            .where(
                Deadline.status == DeadlineStatus.open,
                Deadline.case_id.in_([c.id for c in cases]),
                subject_exists(),
            )
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
    """The user's open deadlines due before ``until`` (overdue ones included, so first), soonest first.
    One on a case the user may not see is not named (``casework.reminders.titles``)."""
    from casework.reminders.services import subject_exists
    from casework.reminders.titles import DeadlineTitles

    rows = db.session.execute(
        sa.select(Deadline, Case.reference)
        .outerjoin(Case, Case.id == Deadline.case_id)
        .where(
            Deadline.owner_id == user.id,
            Deadline.status == DeadlineStatus.open,
            Deadline.due_at <= until,
            subject_exists(),
        )
        .order_by(Deadline.due_at)
        .limit(limit)
    ).all()
    moment = now()
    titles = DeadlineTitles(user, [row for row, _reference in rows])
    return [
        {
            "description": titles.title(row),
            "reference": titles.case_reference(row, reference) or "View",
            "href": titles.link(row) or "#",
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
    """Active officers, coordinators and managers of the lead agency who may see the case (on a
    restricted case, those named on it): who may take over a closing case's continuing work
    (``case_readers_clause``, the rule ``close_case`` checks)."""
    from casework.accounts.models import User, UserRole
    from casework.cases.policies import LEAD_AGENCY_ROLES, case_readers_clause

    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.agency_id == case.lead_agency_id,
                User.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(list(LEAD_AGENCY_ROLES)))),
                case_readers_clause(case),
            )
            .order_by(User.name)
        ).unique()
    )


# --- small reads for the case pages' forms (views never query themselves: tests/test_code_shape.py) ---


def case_id_with_reference(reference: str) -> int | None:
    """The id of the case with this reference (as typed), whoever may see it: the link service checks."""
    return db.session.scalar(sa.select(Case.id).where(Case.reference == reference.strip().upper()))


def visible_case_with_reference(user: User, reference: str) -> Case | None:
    """The case with this reference (as typed) if the user may see it, else None."""
    reference = reference.strip().upper()
    if not reference:
        return None
    return db.session.scalar(sa.select(Case).where(Case.reference == reference, visible_cases_clause(user)))


def people_matching(user: User, name: str, limit: int = 50) -> list[Person]:
    """The first people the user may see whose name matches (the add-a-party search)."""
    return list(db.session.scalars(people_search_query(user, name=name).limit(limit)).all())


def people_on_case(case: Case) -> list[Person]:
    """The people who are parties to the case, by name, each once."""
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(CaseParty, CaseParty.person_id == Person.id)
            .where(CaseParty.case_id == case.id)
            .distinct()
            .order_by(Person.name)
        )
    )


def all_categories() -> list[Any]:
    """Every case category with its area, by name."""
    from casework.cases.models import CaseCategory

    return list(
        db.session.scalars(sa.select(CaseCategory).options(joinedload(CaseCategory.area)).order_by(CaseCategory.name))
    )


def person_with_id(person_id: int) -> Person | None:
    """The person with this id, whoever may see them (the caller decides who may ask)."""
    return db.session.get(Person, person_id)
