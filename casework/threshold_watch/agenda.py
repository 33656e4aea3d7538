"""The threshold watch's source for the tasking meeting's agenda (``casework.tasking.agenda``)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casework.threshold_watch.models import WatchEntry


def flagged_case_ids(area_id: int, since: date, on: date) -> sa.Select[tuple[int]]:
    """The cases of the area's victims who meet the threshold, have no open application and have not
    yet been told of their right: the partnership should hear of them until someone has told them.
    ``since`` is not a limit: a victim flagged before the last meeting and still not told comes again."""
    return sa.select(WatchEntry.task_case_id).where(
        WatchEntry.area_id == area_id,
        WatchEntry.short_by == 0,
        WatchEntry.open_application_id.is_(None),
        WatchEntry.told_on.is_(None),
        WatchEntry.task_case_id.is_not(None),
        WatchEntry.met_on <= on,
    )
