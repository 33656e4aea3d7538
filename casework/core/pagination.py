"""The list envelope docs/api.md fixes: ``{"items", "page", "per_page", "total"}``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from casework.extensions import db


def paginate(query: sa.Select[Any], page: int, per_page: int) -> tuple[Sequence[Any], int]:
    """One COUNT and one page query, whatever the size of the table."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return items, total


def envelope(items: Sequence[Any], page: int, per_page: int, total: int, dump: Callable[[Any], Any]) -> dict[str, Any]:
    return {"items": [dump(i) for i in items], "page": page, "per_page": per_page, "total": total}


def page_number(value: str | None) -> int:
    """A page's ``?page=`` as a number from 1 to the database's integer range (nonsense reads as 1,
    a huge number as the last possible page: an empty one, never an OFFSET the database refuses)."""
    from casework.core.inputs import MAX_PAGE

    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)
