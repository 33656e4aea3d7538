"""The threshold watch through the API (docs/api.md, "Added for the threshold watch")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from casework.cases.policies import SeenCases
from casework.core.db import commit
from casework.core.openapi import documented
from casework.core.permissions import Permission, requires
from casework.core.webargs import use_args
from casework.threshold_watch import policies, services
from casework.threshold_watch.schemas import ToldArgs, WatchItemAnswer, WatchListArgs

bp = Blueprint("threshold_watch", __name__)


@bp.get("/threshold-watch")
@documented(response=WatchItemAnswer, many=True)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(WatchListArgs, location="query")
def list_watch(args: dict[str, Any]):
    """Victims in an area whose qualifying complaints, across all their cases and agencies, meet the
    automatic threshold today (`short_by` 0) or are one short (1), vulnerable first. Victims the reader
    may not see are left out (the staff board counts them by holding agency)."""
    area = policies.watched_area(current_user, args["area"])
    found = services.area_entries(area, current_user)
    page, per_page = args["page"], args["per_page"]
    items = found.shown[(page - 1) * per_page : page * per_page]
    return {
        "items": [services.dump_entry(entry, person, found.seen, found.vulnerable) for entry, person in items],
        "page": page,
        "per_page": per_page,
        "total": len(found.shown),
    }


@bp.post("/threshold-watch/<int:person_id>/told")
@documented(response=WatchItemAnswer)
@requires(Permission.EDIT_CASES, Permission.MANAGE_TRIGGERS)
@use_args(ToldArgs)
def told(args: dict[str, Any], person_id: int):
    """Record that a victim was told of their right to a Case Review (letter, email, phone, in_person)."""
    entries = policies.entries_to_tell(current_user, person_id)
    pending = [e for e in entries if e.told_on is None] or entries[:1]
    # One person, one email: it goes with the first entry (the one answered), from its area's template.
    send_email = args.pop("send_email")
    for number, entry in enumerate(pending):
        services.record_told(current_user, entry, **args, send_email=send_email and number == 0)
    commit()
    entry = pending[0]
    return services.dump_entry(entry, entry.person, SeenCases(current_user, ids=entry.case_ids))
