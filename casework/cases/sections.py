"""Extension points of the case record, so other domains (risk, actions, interventions) add to the
case page, the case API answer and the timeline without the cases package importing them.

A domain registers its parts in its ``init_app`` (``domain.case_records``, ``domain.case_api_section``,
``domain.case_page_section``, ``domain.case_timeline``; see ``casework.core.registry``). Each
registered function receives the case (already checked visible to the user) and the user, and reads
the domain's records of the case with ``case_records`` (one statement for every domain's).

A part registered with ``values`` is read as plain values (``RecordValues``), not as ORM entities: the
ORM's set-up of every joined entity on every execution (some 40 µs each, whatever the rows) cost more
than a case's rows. Each record read is noted as shown (``casework.audit.reads.note_shown``), as its
load would have been, so the audit log's view entries are the same.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from casework.audit.reads import note_shown
from casework.core.db import execute_values, prebuilt, shared_alias
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
    #: What it is about is withheld from the reader (a served notice naming a person they may not see):
    #: no detail, no link.
    withheld: bool = False


def api_sections() -> dict[str, Callable[[Any, Any], Any]]:
    """key in ``GET /api/v1/cases/<id>`` -> function(case, user) returning that key's JSON value."""
    return registry().case_api_sections


def page_sections() -> list[PageSection]:
    """The case page's sections, in order."""
    return registry().case_page_sections


def person_page_sections() -> list[PageSection]:
    """The person page's sections, in order (each domain's part of what is held about a person)."""
    return registry().person_page_sections


def timeline_sources() -> list[Callable[[Any, Any], list[TimelineEntry]]]:
    return registry().case_timeline_sources


def search_sources() -> list[Callable[[Any], Any]]:
    """functions(the search) -> a SELECT of (case id, rank): the cases other domains' matching records
    lead to (a Case Review application's reference), visible or not: the search keeps the visible
    cases, for every kind of match at once. A source matches only records the searching user may see
    themselves (the user is the bind parameters ``viewer_agency_id`` and ``viewer_id``): a case found
    through a record hidden from them tells them what the record holds. See
    ``casework.cases.queries.case_page``."""
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
        if len(group) == 1 and group[0].values is None:
            found[group[0].name].extend(db.session.scalars(prebuilt(_part_statement(group[0])), params).unique())
            continue
        readers = [reader() for reader in _value_readers(group)]
        statement = prebuilt(_records_statement(group))
        result: sa.Result[Any]
        if all(part.values is not None for part in group):
            # Rows of values only: run by the connection, not the session, whose ORM loading would set up
            # a row processor for each of the statement's hundreds of labelled columns on every execution
            # (about a third of the statement's cost): ``execute_values``.
            result = execute_values(statement, params)
        else:
            result = db.session.execute(statement, params)
        # Rows of values hold JSON (lists, dicts) that cannot be hashed: a part read as values makes its
        # own records unique (``_ValueReader``), and a part read as entities beside one must join no
        # collection (the ORM refuses such rows without ``unique()``).
        for row in result if any(part.values is not None for part in group) else result.unique():
            index = row[0]
            record = readers[index](row)
            if record is not None:
                found[group[index].name].append(record)
    return found


@functools.cache
def _statement_groups(parts: tuple[CaseRecords, ...]) -> tuple[tuple[CaseRecords, ...], ...]:
    """The parts by statement: each part registered ``apart`` with those registered ``beside`` it, the
    others together, in the order of their first part, so the records are loaded (and noted as shown,
    ``casework.audit.reads``) in the order the parts were registered as far as the statements allow.

    Every row of a statement carries the columns of every part in it, mostly NULL, and converting
    them and building the entities they could hold is most of a statement's cost: the parts whose rows
    multiply (a row per complaint, per breach) cost less in statements of their own, for the price of
    a statement each."""
    apart = {part.name: [part] for part in parts if part.apart}
    shared = []
    for part in parts:
        if part.beside is not None:
            if part.beside not in apart:
                raise ValueError(f"{part.name!r} is registered beside {part.beside!r}, which is not registered apart")
            apart[part.beside].append(part)
        elif not part.apart:
            shared.append(part)
    groups = [tuple(group) for group in apart.values()]
    if shared:
        groups.append(tuple(shared))
    return tuple(sorted(groups, key=lambda group: min(parts.index(part) for part in group)))


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
    options join what it shows (or, for a part read as values, its ``values`` are outer-joined and their
    columns selected), and the rows come part by part in each part's order. Built once per set of
    parts, with the case as a bind parameter (building this statement costs more than running it)."""
    numbers = sa.union_all(*(sa.select(sa.literal(i).label("part")) for i in range(len(parts)))).subquery("parts")
    statement = sa.select(numbers.c.part).select_from(numbers)
    # Each part's shape is asked for once here and used for its columns, joins and order alike: two
    # threads building the first statement at once can each get a shape of their own from
    # ``_values_shape``'s cache, with aliases of their own: an ORDER BY naming the other thread's aliases
    # names tables the joins never bring in, and the statement, cached for the worker's life, is wrong.
    order_by: list[Any] = []
    for i, part in enumerate(parts):
        belongs = part.belongs(sa.bindparam("case_id"))
        statement = statement.outerjoin(part.entity, sa.and_(numbers.c.part == i, belongs))
        order_by.extend(part.order_by)
        if part.values is None:
            statement = statement.add_columns(part.entity)
            continue
        shape = _values_shape(part)
        statement = statement.add_columns(*shape.selected())
        for target, on in shape.joins():
            statement = statement.outerjoin(target, on)
        order_by.extend(shape.order_by())
    options = [option for part in parts if part.values is None for option in part.options]
    return statement.options(*options).order_by(numbers.c.part, *order_by)


class RecordValues:
    """A record of a case read as plain values (``CaseRecords.values``): the attributes of its entity's
    columns, the records it names and its collections by their relationships' names, and its entity's
    properties (``Document.kind_label``), so a template, a schema's dump or a timeline reads it as it
    reads the entity. Not in the session: reading it loads nothing, and it cannot be changed and saved."""

    #: The entity it was read from.
    entity: Any = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'id', None)!r}>"


@functools.cache
def values_class(entity: Any, *, whole: bool = True) -> type[RecordValues]:
    """The class of ``entity``'s records read as values: ``RecordValues`` with, for a record read whole
    (every column), the properties of the entity's own classes (the model and its mixins), which then
    read only what the values hold. A record read for a few columns (a user by name) has none: a
    property could read a column it does not hold."""
    properties = {
        name: value
        for klass in reversed(entity.__mro__)
        if whole and klass.__module__.startswith("casework.")
        for name, value in vars(klass).items()
        if isinstance(value, property)
    }
    name = f"{entity.__name__}Values" if whole else f"{entity.__name__}Names"
    return type(name, (RecordValues,), {**properties, "entity": entity})


@dataclass(frozen=True)
class _Shape:
    """What a part read as values selects of one entity (the part's, a record it names, an item of a
    collection): ``target`` (the entity, or the alias it is joined as), its columns as (attribute,
    label), the records it names and its collections, each by the relationship's name."""

    entity: Any
    target: Any
    columns: tuple[tuple[str, str], ...]
    named: tuple[tuple[str, Any, _Shape], ...] = ()
    collections: tuple[tuple[str, Any, _Shape], ...] = ()

    def selected(self) -> list[Any]:
        found = [getattr(self.target, name).label(label) for name, label in self.columns]
        for _name, _relationship, shape in (*self.named, *self.collections):
            found.extend(shape.selected())
        return found

    def joins(self) -> list[tuple[Any, Any]]:
        """(target, ON clause) to outer-join, in order."""
        found = []
        for _name, relationship, shape in (*self.named, *self.collections):
            found.append((shape.target, relationship.of_type(shape.target)))
            found.extend(shape.joins())
        return found

    def order_by(self) -> list[Any]:
        """The collections' own order (``relationship(order_by=...)``), as a joined load adds it."""
        found = []
        for _name, relationship, shape in self.collections:
            mapper = sa.inspect(shape.entity)
            for column in relationship.property.order_by or ():
                found.append(getattr(shape.target, mapper.get_property_by_column(column).key))
            found.extend(shape.order_by())
        return found


def _shape_of(
    entity: Any, target: Any, prefix: str, wanted: tuple[Any, ...] = (), specs: tuple[Any, ...] = ()
) -> _Shape:
    """``entity``'s columns (those ``wanted`` and its primary key, or every one), each labelled
    ``<prefix>__<attribute>``, and each relationship in ``specs``: a many-to-one one as
    ``relationship`` (every column) or ``(relationship, *columns)``, a collection as
    ``(relationship, *its own specs)``."""
    mapper = sa.inspect(entity)
    primary = [mapper.get_property_by_column(column).key for column in mapper.primary_key]
    if wanted:
        keys = [*primary, *(column.key for column in wanted if column.key not in primary)]
    else:
        keys = [attribute.key for attribute in mapper.column_attrs]
    named, collections = [], []
    for spec in specs:
        relationship, *rest = spec if isinstance(spec, tuple) else (spec,)
        prop = relationship.property
        on = getattr(target, prop.key)
        alias = shared_alias(prop.mapper.class_)
        label = f"{prefix}__{prop.key}"
        if prop.uselist:
            collections.append((prop.key, on, _shape_of(prop.mapper.class_, alias, label, (), tuple(rest))))
        else:
            named.append((prop.key, on, _shape_of(prop.mapper.class_, alias, label, tuple(rest))))
    return _Shape(entity, target, tuple((key, f"{prefix}__{key}") for key in keys), tuple(named), tuple(collections))


@functools.cache
def _values_shape(part: CaseRecords) -> _Shape:
    """What a part read as values selects: every column of its entity and what its ``values`` name,
    labelled from the part's name so that parts sharing a statement do not clash."""
    return _shape_of(part.entity, part.entity, part.name, (), part.values or ())


@dataclass(frozen=True)
class _Positions:
    """Where one entity's columns are in a row: the values class, the table (for the audit log's view
    entry), the position of the primary key's first column (NULL on a row without the record) and what
    reads its whole primary key from a row (a tuple for a composite one: a share is its case and agency),
    and (attribute, position) for every column; then the same for the records it names and its
    collections."""

    cls: type[RecordValues]
    table: str
    key: int
    identity: Callable[[Any], Any]
    columns: tuple[tuple[str, int], ...]
    named: tuple[tuple[str, _Positions], ...]
    collections: tuple[tuple[str, _Positions], ...]

    def build(self, row: Any) -> RecordValues:
        record = self.cls()
        values = record.__dict__
        for name, position in self.columns:
            values[name] = row[position]
        for name, named in self.named:
            values[name] = None if row[named.key] is None else named.build(row)
        for name, _items in self.collections:
            values[name] = []
        # Shown as a loaded entity would be: the audit log's view entry for it is the same.
        note_shown(self.table, row[self.key])
        return record

    def add_items(self, record: RecordValues, row: Any, seen: set[tuple[str, Any]]) -> None:
        """The items of ``record``'s collections a row holds, each once, in the order they first come."""
        for name, items in self.collections:
            if row[items.key] is None:
                continue
            ident = items.identity(row)
            if (name, ident) not in seen:
                seen.add((name, ident))
                item = items.build(row)
                record.__dict__[name].append(item)
                items.add_items(item, row, seen)


def _positions_of(shape: _Shape, positions: dict[str, int]) -> _Positions:
    mapper = sa.inspect(shape.entity)
    labels = dict(shape.columns)
    primary = [positions[labels[mapper.get_property_by_column(column).key]] for column in mapper.primary_key]
    return _Positions(
        values_class(shape.entity, whole=len(shape.columns) == len(mapper.column_attrs)),
        mapper.local_table.name,
        primary[0],
        operator.itemgetter(*primary),
        tuple((name, positions[label]) for name, label in shape.columns),
        tuple((name, _positions_of(named, positions)) for name, _relationship, named in shape.named),
        tuple((name, _positions_of(items, positions)) for name, _relationship, items in shape.collections),
    )


class _ValueReader:
    """Reads one part's records as values from the rows of one execution: a record comes on its first
    row (None on the rows after it, which carry more of its collections)."""

    def __init__(self, positions: _Positions) -> None:
        self.positions = positions
        self.records: dict[Any, tuple[RecordValues, set[tuple[str, Any]]]] = {}

    def __call__(self, row: Any) -> RecordValues | None:
        if row[self.positions.key] is None:
            return None
        ident = self.positions.identity(row)
        found = self.records.get(ident)
        if found is not None:
            self.positions.add_items(found[0], row, found[1])
            return None
        record = self.positions.build(row)
        seen: set[tuple[str, Any]] = set()
        self.records[ident] = (record, seen)
        self.positions.add_items(record, row, seen)
        return record


def _entity_reader(position: int) -> Callable[[Any], Any]:
    return operator.itemgetter(position)


@functools.cache
def _value_readers(parts: tuple[CaseRecords, ...]) -> tuple[Callable[[], Callable[[Any], Any]], ...]:
    """For each part of a statement, what makes a reader of one execution's rows: a row becomes the
    part's record (or None): the entity it holds, or the values read from its columns."""
    descriptions = _records_statement(parts).column_descriptions
    positions = {description["name"]: position for position, description in enumerate(descriptions)}
    readers: list[Callable[[], Callable[[Any], Any]]] = []
    for part in parts:
        if part.values is None:
            position = next(i for i, description in enumerate(descriptions) if description["expr"] is part.entity)
            # The entity the row holds, or None (the ORM makes them unique).
            readers.append(functools.partial(_entity_reader, position))
        else:
            readers.append(functools.partial(_ValueReader, _positions_of(_values_shape(part), positions)))
    return tuple(readers)
