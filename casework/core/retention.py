"""Anonymising a row under the retention policy: every text-like column goes unless declared kept.

A model lists the columns retention keeps in ``__retained__`` (references, codes, links: what is not
personal and what the statistics and the audit trail need); every other text, JSON or binary column is
erased (set to null, or to a placeholder where it may not be null), and so is any other column the
model declares personal in ``__personal__`` (a date of birth). So a column added later is erased
by default: nobody has to remember to add it to a list of fields to remove.
``tests/lifecycle/test_retention_leaves_nothing.py`` plants a marker in every such column of every row
and finds it nowhere after a retention run.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.core.lifecycle import REMOVED


def is_text_like(column: sa.Column[Any]) -> bool:
    kind = column.type
    if isinstance(kind, sa.Enum | sa.Boolean):
        return False  # a fixed set of values, not free text
    return isinstance(kind, sa.String | sa.Text | sa.JSON | sa.LargeBinary)


def erasable_columns(model: Any) -> list[sa.Column[Any]]:
    """The columns of ``model`` that retention erases: text-like or declared personal (``__personal__``:
    a date of birth is not text, but identifies someone as well as a name), not a key, not declared
    retained."""
    kept = set(getattr(model, "__retained__", ()))
    personal = set(getattr(model, "__personal__", ()))
    table = model.__table__
    return [
        column
        for column in table.columns
        if (is_text_like(column) or column.name in personal)
        and not column.primary_key
        and not column.foreign_keys
        and column.name not in kept
    ]


def placeholder(column: sa.Column[Any]) -> Any:
    """What an erased column holds: null where allowed, otherwise an empty value of its type."""
    if column.nullable:
        return None
    kind = column.type
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.LargeBinary):
        return b""
    length = getattr(kind, "length", None)
    return REMOVED[:length] if length else REMOVED


def anonymise(obj: Any) -> None:
    """Erase every erasable column of ``obj`` that holds something (see the module's docstring)."""
    for column in erasable_columns(type(obj)):
        attribute = column.key
        if getattr(obj, attribute) in (None, "", b"", {}, []):
            continue
        value = placeholder(column)
        if isinstance(value, dict) and isinstance(getattr(obj, attribute), list):
            value = []
        setattr(obj, attribute, value)


# --- links to people from an anonymised case's records ---------------------------------------------


def person_columns(metadata: sa.MetaData) -> list[sa.Column[Any]]:
    """Every column of every table (but ``people`` itself) that refers to a person (``people.id``),
    found from the metadata: a table added later is included without being listed."""
    return [
        fk.parent
        for table in metadata.sorted_tables
        if table.name != "people"
        for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name)
        if fk.column.table.name == "people"
    ]


def owned_by_cases(table: sa.Table, cases: Any, seen: frozenset[str] = frozenset()) -> Any | None:
    """A condition on ``table``'s rows: they belong to one of the cases ``cases`` selects (a SELECT of
    case ids), through a column that must name a case (``case_id NOT NULL``) or a parent row that must
    belong to one (a complaint through its incident). None when the table's rows belong to no case
    (a person's own records, whose nullable references to a case are references, not ownership)."""
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        column, target = fk.parent, fk.column.table
        if column.nullable:
            continue
        if target.name == "cases":
            return column.in_(cases)
        if target.name in seen or target is table or not isinstance(target, sa.Table):
            continue
        parent = owned_by_cases(target, cases, seen | {table.name})
        if parent is not None:
            return column.in_(sa.select(fk.column).where(parent))
    return None


def case_references(table: sa.Table) -> list[sa.Column[Any]]:
    """The nullable columns of ``table`` that name a case (a reference, which may be set to null)."""
    return [
        fk.parent
        for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name)
        if fk.column.table.name == "cases" and fk.parent.nullable
    ]
