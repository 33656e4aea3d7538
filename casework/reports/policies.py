"""Who may see the partnership performance report: managers, for the areas their agency covers.

The report holds counts only (no names, no case details), so it needs no case-level visibility; it is
still a manager's paper, because it shows every agency's workload. An area the manager's agency does
not cover answers 404, like any record out of sight.
"""

from __future__ import annotations

from typing import Any

from casework.accounts.models import Area
from casework.accounts.services import get_area
from casework.core.errors import NotFound


def report_areas(user: Any, area_code: str | None) -> tuple[list[Area], bool]:
    """The areas a report of ``user`` covers, and whether it adds up a group (no ``area_code``)."""
    covered = sorted(user.agency.areas, key=lambda area: area.code)
    if area_code is None:
        if not covered:
            raise NotFound("Your agency covers no area.")
        return covered, True
    try:
        area = get_area(area_code)
    except NotFound:
        raise NotFound(f"No area with code {area_code}.") from None
    if area.id not in {a.id for a in covered}:
        raise NotFound(f"No area with code {area_code}.")
    return [area], False


def may_see_job(user: Any, job: Any) -> bool:
    """A report compiled by a task is the paper of the manager who asked for it: only they see its job
    and the report, on the pages and in the API (another manager, of the agency or not, asks for their
    own), and only while their agency covers every area it reports on, as asking for it afresh needs
    (``report_areas``): a manager who moved to another agency, or whose agency left an area, no longer
    reads the workload of that area's agencies from a report they compiled before."""
    if job is None or job.requested_by_id != user.id:
        return False
    covered = {area.id for area in user.agency.areas} if user.agency is not None else set()
    return set(job.area_ids or ()) <= covered
