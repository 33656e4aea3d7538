"""The threshold watch on the case page: the tell-the-victim task and the one-short flag."""

from __future__ import annotations

from typing import Any

from casework.cases.policies import can_edit_case
from casework.threshold_watch import services


def watch_section(case: Any, user: Any) -> dict[str, Any]:
    entries = services.entries_for_case(case)
    return {
        "case": case,
        "watch_to_tell": [
            (e, p) for e, p in entries if e.short_by == 0 and e.told_on is None and e.open_application_id is None
        ],
        "watch_told": [(e, p) for e, p in entries if e.told_on is not None],
        "watch_one_short": [(e, p) for e, p in entries if e.short_by == 1],
        "watch_can_tell": can_edit_case(user, case),
    }


def coordinator_panel(user: Any) -> dict[str, Any]:
    """How many victims in the user's areas may qualify (no names: the board applies visibility)."""
    import sqlalchemy as sa

    from casework.extensions import db
    from casework.threshold_watch.models import WatchEntry
    from casework.threshold_watch.policies import watched_areas

    areas = watched_areas(user)
    if not areas:
        return {}
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(WatchEntry)
        .where(
            WatchEntry.area_id.in_([a.id for a in areas]),
            WatchEntry.short_by == 0,
            WatchEntry.open_application_id.is_(None),
            WatchEntry.told_on.is_(None),
        )
    )
    return {"threshold_watch": {"count": count or 0, "href": "/threshold-watch/"}}
