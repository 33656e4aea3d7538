"""The Case Review's part in the lifecycle of a case or a person (``casework.core.lifecycle``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.community_triggers import services


def on_retention_run(_app: Any, *, on: date, report: Any, **_: Any) -> None:
    """Applications linked to no case have a retention date of their own: the area's case period
    after their last event."""
    from casework.accounts.models import Area
    from casework.accounts.services import area_settings
    from casework.cases import settings as case_settings
    from casework.data_protection.retention import years_before
    from casework.extensions import db

    cutoffs = {
        area.id: years_before(on, area_settings(area, on)[case_settings.CASE_RETENTION_YEARS])
        for area in db.session.scalars(sa.select(Area))
    }
    for application in services.unlinked_applications_due(cutoffs):
        services.anonymise_application(application, report)


def on_case_anonymised(_app: Any, *, case: Any, report: Any, **_: Any) -> None:
    """An application goes with the last of its linked cases."""
    for application in services.applications_going_with(case):
        services.anonymise_application(application, report)


def on_person_exported(_app: Any, *, person: Any, export: Any, **_: Any) -> dict[str, Any]:
    return {"case_review_applications": services.export_section(person, export)}


def on_person_merged(_app: Any, *, merge: Any, **_: Any) -> None:
    from casework.community_triggers import review_papers

    review_papers.move_person_records(merge)


def on_person_unmerged(_app: Any, *, merge: Any, **_: Any) -> None:
    from casework.community_triggers import review_papers

    review_papers.restore_person_records(merge)


def on_sight_narrowed(_app: Any, *, case_ids: Any = None, user_ids: Any = None, **_: Any) -> dict[str, int]:
    """Work on a Case Review held by someone who may no longer open it goes to whoever holds it by the
    rules (``deadlines.return_unseen_review_work``). A case restricted or unshared (``case_ids`` alone)
    changes no one's sight of a review."""
    from casework.community_triggers import deadlines

    if user_ids is None and case_ids is not None:
        return {"reviews_returned": 0}
    return {"reviews_returned": deadlines.return_unseen_review_work(user_ids)}
