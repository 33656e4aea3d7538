"""Extension points of the case record, so other domains (risk, actions, interventions) add to the
case page, the case API answer and the timeline without the cases package importing them.

A domain registers its parts in its ``init_app`` (``domain.case_records``, ``domain.case_api_section``,
``domain.case_page_section``, ``domain.case_timeline``; see ``casework.core.registry``). Each
registered function receives the case (already checked visible to the user) and the user, and reads
the domain's records of the case with ``case_records`` (one statement for every domain's).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from casework.core.registry import CaseRecords, PageSection, registry
from casework.core.request_cache import request_cached
from casework.extensions import db


@dataclass(frozen=True)
class TimelineEntry:
    #: When it happened: a date for dated events, a timestamp for recorded ones.
    when: date | datetime
    #: e.g. "incident", "risk_assessment", "action", "intervention", "note", "decision".
    kind: str
    title: str
    detail: str | None = None
    actor_name: str | None = None
    link: str | None = None


def api_sections() -> dict[str, Callable[[Any, Any], Any]]:
    """key in ``GET /api/v1/cases/<id>`` -> function(case, user) returning that key's JSON value."""
    return registry().case_api_sections


def page_sections() -> list[PageSection]:
    """The case page's sections, in order."""
    return registry().case_page_sections


def person_page_sections() -> list[PageSection]:
    """The person page's sections, in order (each domain's part of what is held about a person)."""
    return registry().person_page_sections


def timeline_sources() -> list[Callable[[Any], list[TimelineEntry]]]:
    return registry().case_timeline_sources


def search_sources() -> list[Callable[[Any, Any], Any]]:
    """functions(visible case ids, the search) -> a SELECT of (case id, rank): other domains' records
    that lead to a case (a Case Review application's reference). See ``casework.cases.queries.case_page``."""
    return registry().case_search_sources


def case_records(case_id: int, name: str) -> list[Any]:
    """The records a domain registered as ``name`` (``domain.case_records``) on the case, in the order it
    gave. The first call in a request loads every domain's records of the case, in one statement (and
    one for each part registered ``apart``): the case page's sections, its API answer and its timeline
    then ask the database nothing more."""
    return _every_domains_records(case_id)[name]


@request_cached
def _every_domains_records(case_id: int) -> dict[str, list[Any]]:
    parts = tuple(registry().case_records.values())
    found: dict[str, list[Any]] = {part.name: [] for part in parts}
    params = {"case_id": case_id}
    for group in _statement_groups(parts):
        if len(group) == 1:
            found[group[0].name].extend(db.session.scalars(_part_statement(group[0]), params).unique())
            continue
        for row in db.session.execute(_records_statement(group), params).unique():
            index = row[0]
            record = row[index + 1]
            if record is not None:
                found[group[index].name].append(record)
    return found


@functools.cache
def _statement_groups(parts: tuple[CaseRecords, ...]) -> tuple[tuple[CaseRecords, ...], ...]:
    """The parts by statement: each part registered ``apart`` alone, the others together, in the order
    of their first part, so the records are loaded (and noted as shown, ``casework.audit.reads``) in
    the order the parts were registered as far as the statements allow.

    Every row of a statement carries the columns of every part in it, mostly NULL, and converting
    them and building the entities they could hold is most of a statement's cost: the parts whose rows
    multiply (a row per complaint, per breach) cost less in statements of their own, for the price of
    a statement each."""
    shared = tuple(part for part in parts if not part.apart)
    groups: list[tuple[CaseRecords, ...]] = [(part,) for part in parts if part.apart]
    if shared:
        groups.append(shared)
    return tuple(sorted(groups, key=lambda group: parts.index(group[0])))


@functools.cache
def _part_statement(part: CaseRecords) -> sa.Select[Any]:
    """One part's records of the case, with what its options join, in its order; built once per part,
    with the case as a bind parameter."""
    return (
        sa.select(part.entity)
        .where(part.belongs(sa.bindparam("case_id")))
        .options(*part.options)
        .order_by(*part.order_by)
    )


@functools.cache
def _records_statement(parts: tuple[CaseRecords, ...]) -> sa.Select[Any]:
    """One row per record: a numbered part (0, 1, ...) outer-joined to each domain's table on that number
    and the case, so each row holds one domain's record and NULLs for the others; each part's loader
    options join what it shows, and the rows come part by part in each part's order. Built once per set
    of parts, with the case as a bind parameter (building this statement costs more than running it)."""
    numbers = sa.union_all(*(sa.select(sa.literal(i).label("part")) for i in range(len(parts)))).subquery("parts")
    statement = sa.select(numbers.c.part, *(part.entity for part in parts)).select_from(numbers)
    for i, part in enumerate(parts):
        belongs = part.belongs(sa.bindparam("case_id"))
        statement = statement.outerjoin(part.entity, sa.and_(numbers.c.part == i, belongs))
    options = [option for part in parts for option in part.options]
    order_by = [clause for part in parts for clause in part.order_by]
    return statement.options(*options).order_by(numbers.c.part, *order_by)
