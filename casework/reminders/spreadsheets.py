"""The deadlines list out to a spreadsheet: the user's own, or (``owner=team``) theirs and their
team's, as ``GET /api/v1/deadlines`` lists them. Nobody exports other people's deadlines."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from casework.core.permissions import Permission
from casework.core.time import london_day
from casework.extensions import db
from casework.reminders import services
from casework.reminders.models import DeadlineStatus
from casework.reminders.titles import DeadlineTitles
from casework.spreadsheets.kinds import Export, ExportList, tracking

#: Rows read (and their cases' visibility asked) at a time.
BATCH = 500


def export_deadlines(user: Any, args: Mapping[str, str]) -> Export:
    owner_ids = services.team_ids(user) if args.get("owner") == "team" else [user.id]
    status = args.get("status") if args.get("status") in {s.value for s in DeadlineStatus} else "open"
    due = args.get("due") if args.get("due") in ("overdue", "today", "week") else None
    query = services.deadlines_query(owner_ids, status, due)
    header = ["What", "Due", "Owner", "Status", "Link"]
    ids: list[int] = []

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # Titles of deadlines on cases the user may not see are withheld: one statement per batch read.
        found = iter(db.session.scalars(query.execution_options(yield_per=BATCH)))
        while batch := list(islice(found, BATCH)):
            titles = DeadlineTitles(user, batch)
            for row in batch:
                yield (
                    row.id,
                    [
                        titles.title(row),
                        row.due_on or london_day(row.due_at),
                        row.owner.name if row.owner else None,
                        row.status.value,
                        titles.url(row),
                    ],
                )

    applied = {"owner": "team" if args.get("owner") == "team" else "me", "status": status, "due": due}
    return Export(header, tracking(ids, rows()), "deadlines", ids, "deadlines", applied)


EXPORTS = [ExportList("deadlines", "Deadlines", frozenset(Permission), export_deadlines)]
