"""What goes through the ORM's loading (``Session.execute``): a statement run on the session's connection
instead (``casework.core.db.execute_values``) does not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


@contextmanager
def statements_through_the_orm() -> Iterator[list[str]]:
    """The statements every session runs through the ORM while the block runs, as one-line SQL."""
    seen: list[str] = []

    def executed(state: Any) -> None:
        seen.append(" ".join(str(state.statement).split()))

    sa.event.listen(Session, "do_orm_execute", executed)
    try:
        yield seen
    finally:
        sa.event.remove(Session, "do_orm_execute", executed)
