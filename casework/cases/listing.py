"""The case list as a page's query string names it: search, filters and order, read once for the list,
its export and its saved views, so the three always agree.

Links carry dates as ``YYYY-MM-DD``; the filter form sends GOV.UK date inputs (``opened_from-day``,
``-month``, ``-year``), which are read into the same value. What cannot be understood is left out of the
list and named in ``errors``, so a bad link shows the whole list with a message, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from casework.cases import queries
from casework.cases.models import CaseStatus
from casework.core.fields import event_date_problem
from casework.core.inputs import is_digits, iso_day

RISK_LABELS = {"standard": "Standard", "medium": "Medium", "high": "High"}
SORT_LABELS = {
    "created": "Newest first",
    "reference": "Reference",
    "opened": "Date opened",
    "status": "Status",
    "category": "Category",
    "area": "Area",
    "agency": "Lead agency",
    "owner": "Owner",
}
#: What a saved view keeps: every argument of the list but the page and the cursor.
LIST_ARGS = (
    "q",
    "area",
    "status",
    "owner",
    "team",
    "risk",
    "overdue",
    "category",
    "agency",
    "opened_from",
    "opened_to",
    "sort",
    "order",
)


@dataclass
class CaseListRequest:
    area: str | None = None
    status: str | None = None
    q: str | None = None
    filters: queries.CaseFilters = field(default_factory=queries.CaseFilters)
    sort: str | None = None
    order: str | None = None
    #: The argument as sent, for the form to show again (``owner``: ``me``, ``none`` or an id).
    raw: dict[str, str] = field(default_factory=dict)
    #: ``{argument: message}`` for what was left out.
    errors: dict[str, str] = field(default_factory=dict)

    def query_args(self) -> dict[str, str]:
        """The list's arguments as links and saved views carry them (no page, no cursor)."""
        return {key: value for key, value in self.raw.items() if value}

    @property
    def is_filtered(self) -> bool:
        return any(self.raw.get(key) for key in LIST_ARGS if key not in ("sort", "order"))

    def page_args(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "status": self.status,
            "q": self.q,
            "filters": self.filters,
            "sort": self.sort,
            "order": self.order,
        }


def _date(args: Mapping[str, str], name: str, label: str, errors: dict[str, str]) -> date | None:
    text = (args.get(name) or "").strip()
    parts = [(args.get(f"{name}-{part}") or "").strip() for part in ("year", "month", "day")]
    if not text and any(parts):
        if not all(parts):
            errors[name] = f"{label} must include a day, month and year"
            return None
        text = "-".join(f"{int(p):02d}" if is_digits(p) and len(p) <= 4 else p for p in parts)
    if not text:
        return None
    day = iso_day(text)
    if day is None:
        # Typed as day, month and year on the page; written as one value only in a link.
        errors[name] = f"{label} must be a real date" + ("" if any(parts) else ", written as YYYY-MM-DD")
        return None
    problem = event_date_problem(day)
    if problem:
        errors[name] = f"{label}: {problem[0].lower()}{problem[1:]}"
        return None
    return day


def read(user: Any, args: Mapping[str, str]) -> CaseListRequest:
    """The list ``args`` ask for, as ``user`` sees it (``me`` and ``mine`` are the user)."""
    # Each argument's first value, in a plain dict: werkzeug's MultiDict builds and catches an
    # exception (a whole HTTP 400) for every argument asked for and not given, most of them here.
    args = dict(args.items())
    errors: dict[str, str] = {}
    status = args.get("status") if args.get("status") in {s.value for s in CaseStatus} else None
    q = (args.get("q") or "").strip()[:200] or None
    owner = (args.get("owner") or "").strip()[:20] or None
    if owner and not (owner in ("me", "none") or is_digits(owner)):
        owner = None
    team = (args.get("team") or "").strip()[:20] or None
    if team and not (team == "mine" or is_digits(team)):
        team = None
    risk = args.get("risk") if args.get("risk") in RISK_LABELS else None
    overdue = args.get("overdue") in ("yes", "true", "1")
    category = (args.get("category") or "").strip()[:40] or None
    agency = (args.get("agency") or "").strip().upper()[:40] or None
    opened_from = _date(args, "opened_from", "Opened from", errors)
    opened_to = _date(args, "opened_to", "Opened to", errors)
    if opened_from and opened_to and opened_from > opened_to:
        errors["opened_to"] = "Opened to must be the same as or after opened from"
        opened_to = None
    sort = args.get("sort") if args.get("sort") in queries.SORT_KEYS else None
    order = args.get("order") if args.get("order") in queries.SORT_ORDERS else None
    raw = {
        "q": q or "",
        "area": (args.get("area") or "")[:20],
        "status": status or "",
        "owner": owner or "",
        "team": team or "",
        "risk": risk or "",
        "overdue": "yes" if overdue else "",
        "category": category or "",
        "agency": agency or "",
        "opened_from": opened_from.isoformat() if opened_from else "",
        "opened_to": opened_to.isoformat() if opened_to else "",
        "sort": sort or "",
        "order": order or "",
    }
    return CaseListRequest(
        area=raw["area"] or None,
        status=status,
        q=q,
        filters=queries.CaseFilters(
            owner=queries.owner_filter(user, owner),
            team=queries.team_filter(user, team),
            risk=risk,
            overdue=overdue,
            category=category,
            agency=agency,
            opened_from=opened_from,
            opened_to=opened_to,
        ),
        sort=sort,
        order=order,
        raw=raw,
        errors=errors,
    )
