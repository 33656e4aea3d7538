"""The kinds of import and the lists that can be exported, declared by their domains.

Each domain that brings records in or lets a list out declares them in its ``spreadsheets`` module:
``IMPORTS`` (``ImportKind``s) and ``EXPORTS`` (``ExportList``s). ``DOMAIN_MODULES`` names those modules;
nothing is registered by being imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from casework.core.permissions import Permission
from casework.spreadsheets.columns import Layout

DOMAIN_MODULES = (
    "casework.cases.spreadsheets",
    "casework.actions.spreadsheets",
    "casework.interventions.spreadsheets",
    "casework.community_triggers.spreadsheets",
    "casework.reminders.spreadsheets",
)


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


@dataclass(frozen=True)
class ExportList:
    key: str
    title: str
    permissions: frozenset[Permission]
    #: ``build(user, args)``: the export of what ``user`` sees in the list with these filters.
    build: Callable[[Any, Mapping[str, str]], Export]

    def allows(self, user: Any) -> bool:
        return any(user.can(p) for p in self.permissions)


@cache
def _declared() -> tuple[dict[str, ImportKind], dict[str, ExportList]]:
    imports: dict[str, ImportKind] = {}
    exports: dict[str, ExportList] = {}
    for name in DOMAIN_MODULES:
        module = importlib.import_module(name)
        for kind in getattr(module, "IMPORTS", ()):
            if kind.key in imports:
                raise ValueError(f"import kind {kind.key!r} declared twice")
            imports[kind.key] = kind
        for export in getattr(module, "EXPORTS", ()):
            if export.key in exports:
                raise ValueError(f"export {export.key!r} declared twice")
            exports[export.key] = export
    return imports, exports


def import_kinds() -> dict[str, ImportKind]:
    return _declared()[0]


def export_lists() -> dict[str, ExportList]:
    return _declared()[1]


def tracking(ids: list[int], rows: Iterable[tuple[int, Sequence[Any]]]) -> Iterator[Sequence[Any]]:
    """Rows given as ``(id, cells)``: the cells, with each id noted in ``ids`` for the audit entry."""
    for record_id, cells in rows:
        ids.append(record_id)
        yield cells
