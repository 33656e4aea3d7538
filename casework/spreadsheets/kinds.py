"""The kinds of import and the lists that can be exported, declared by their domains.

Each domain that brings records in or lets a list out declares them in its ``spreadsheets`` module,
``IMPORTS`` (``ImportKind``s) and ``EXPORTS`` (``ExportList``s), and registers them in its ``init_app``
(``domain.imports(*IMPORTS)``, ``domain.exports(*EXPORTS)``); they are read back from the app's
registry, so nothing is registered by being imported and a domain left out of the app brings none.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from casework.core.permissions import Permission
from casework.spreadsheets.columns import Layout


@dataclass(frozen=True)
class ParsedRow:
    """A data row: its number as the spreadsheet shows it, its values by layout column key, and the
    problems found reading its cells (by column key)."""

    number: int
    values: dict[str, Any]
    problems: dict[str, str]


@dataclass(frozen=True)
class ImportOption:
    """A choice made on the upload page that applies to the whole file (the police log's agency)."""

    key: str
    label: str
    hint: str
    #: user -> [(value, label)] the user may choose from.
    choices: Callable[[Any], list[tuple[str, str]]]


@dataclass(frozen=True)
class ImportKind:
    layout: Layout
    #: Who may import this kind (any one of them).
    permissions: frozenset[Permission]
    #: ``run(context, rows)``: take every row through the domain's services (``runner.ImportContext``).
    run: Callable[[Any, Iterator[ParsedRow]], None]
    options: tuple[ImportOption, ...] = ()
    #: Example rows for the template (each a mapping of column key to text).
    examples: tuple[Mapping[str, str], ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        return self.layout.key

    @property
    def title(self) -> str:
        return self.layout.title

    def allows(self, user: Any) -> bool:
        return any(user.can(p) for p in self.permissions)


@dataclass(frozen=True)
class Export:
    """One export: the header, the rows (streamed), and what the audit entry names."""

    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    #: The kind of record listed (the audit entry's object type) and, filled while the rows are
    #: written, the ids of those listed.
    object_type: str
    ids: list[int]
    description: str
    #: The filters the list applied, as its audit entry records them: codes, dates and flags the list
    #: knows, never text someone typed (a search for a name). The entry is about no record that
    #: retention anonymises, so a name in it would stay in the audit log for ever; the ids listed say
    #: what went out. A filter not applied (None, False, empty) is left out of the entry.
    filters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportList:
    key: str
    title: str
    permissions: frozenset[Permission]
    #: ``build(user, args)``: the export of what ``user`` sees in the list with these filters.
    build: Callable[[Any, Mapping[str, str]], Export]

    def allows(self, user: Any) -> bool:
        return any(user.can(p) for p in self.permissions)


def known_code(column: Any, code: str | None) -> str | None:
    """``code`` if a row has it in ``column`` (an area's, a category's code: a filter an export may
    record), else None: an unknown code is whatever was typed into the query string."""
    from casework.extensions import db

    if not code:
        return None
    return db.session.scalar(sa.select(column).where(column == code).limit(1))


def known_choice(value: str | None, choices: type[enum.Enum]) -> str | None:
    """``value`` if it is one of ``choices``' values (a status, a kind: a filter an export may record),
    else None."""
    return value if value in {choice.value for choice in choices} else None


def known_area(code: str | None) -> str | None:
    from casework.accounts.models import Area

    return known_code(Area.code, code)


def import_kinds(app: Any = None) -> dict[str, ImportKind]:
    """The kinds of import the app's domains registered (default: the current app): key -> kind."""
    from casework.core.registry import registry

    return registry(app).import_kinds


def export_lists(app: Any = None) -> dict[str, ExportList]:
    """The lists the app's domains let out (default: the current app): key -> list."""
    from casework.core.registry import registry

    return registry(app).export_lists


def tracking(ids: list[int], rows: Iterable[tuple[int, Sequence[Any]]]) -> Iterator[Sequence[Any]]:
    """Rows given as ``(id, cells)``: the cells, with each id noted in ``ids`` for the audit entry."""
    for record_id, cells in rows:
        ids.append(record_id)
        yield cells
