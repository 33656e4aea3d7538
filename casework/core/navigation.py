"""The staff service navigation: which sections appear in the header, in what order, and for whom.

The list names endpoints rather than URLs so a section appears as soon as its blueprint is registered
and disappears if it is not (during development, or in a deployment that leaves a domain out).
Permissions are named as strings because `casework.core.permissions` imports models; it is imported
only when the navigation is built, inside a request.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

from flask import current_app, has_request_context, request
from flask_login import current_user

from casework.core.urls import url_for


class NavigationEntry(NamedTuple):
    endpoint: str
    label: str
    #: Name of a `casework.core.permissions.Permission` member, or None for every signed-in user.
    permission: str | None
    #: Endpoint prefixes that also mark this entry as the current section, for entries that share a
    #: blueprint with another entry (users and areas both live in `admin.accounts`).
    also_active_for: tuple[str, ...] = ()


NAVIGATION: tuple[NavigationEntry, ...] = (
    NavigationEntry("staff.dashboard.index", "Home", None),
    NavigationEntry("staff.cases.index", "Cases", "VIEW_CASES"),
    NavigationEntry("staff.people.index", "People", "VIEW_CASES"),
    NavigationEntry("staff.actions.index", "My actions", "VIEW_CASES"),
    NavigationEntry("staff.tasking.index", "Tasking", "VIEW_CASES"),
    NavigationEntry("staff.triggers.board", "Case reviews", "VIEW_TRIGGERS"),
    NavigationEntry("staff.reviews.index", "My reviews", "CHAIR_REVIEWS"),
    NavigationEntry("staff.statistics.index", "Statistics", "VIEW_STATISTICS"),
    NavigationEntry("staff.reports.index", "Partnership report", "VIEW_PARTNERSHIP_REPORT"),
    NavigationEntry("staff.spreadsheets.index", "Imports", "IMPORT_RECORDS"),
    NavigationEntry("admin.accounts.users", "Users", "ADMINISTER", ("admin.accounts.user",)),
    NavigationEntry("admin.accounts.areas", "Areas", "ADMINISTER", ("admin.accounts.area",)),
    NavigationEntry("admin.risk.questionnaire", "Risk questionnaire", "ADMINISTER"),
    NavigationEntry(
        "admin.triggers.templates", "Letters and notices", "ADMINISTER", ("admin.documents.", "admin.notices.")
    ),
    NavigationEntry("admin.statistics.historic", "Historic figures", "ADMINISTER"),
    NavigationEntry("staff.data_protection.find_person", "Subject access", "RELEASE_SUBJECT_ACCESS"),
    NavigationEntry("staff.data_protection.retention_report", "Retention", "RELEASE_SUBJECT_ACCESS"),
    NavigationEntry("admin.audit.index", "Audit log", "VIEW_AUDIT"),
)


def _blueprint_of(endpoint: str) -> str:
    return endpoint.rpartition(".")[0]


# A blueprint owned by a single entry makes every page in it part of that entry's section.
_ENTRIES_PER_BLUEPRINT = Counter(_blueprint_of(entry.endpoint) for entry in NAVIGATION)


def _is_active(entry: NavigationEntry, endpoint: str | None, blueprint: str | None) -> bool:
    if not endpoint:
        return False
    if endpoint == entry.endpoint or endpoint.startswith(entry.also_active_for):
        return True
    own_blueprint = _blueprint_of(entry.endpoint)
    return blueprint == own_blueprint and _ENTRIES_PER_BLUEPRINT[own_blueprint] == 1


#: Navigations kept per set of permissions, page and prefix: far fewer than this in practice.
NAVIGATION_CACHE_SIZE = 4096


def navigation_items() -> list[dict[str, Any]]:
    """The service navigation for the signed-in user, as govukServiceNavigation items.

    Each item is ``{"text", "href", "active", "current"}``: ``active`` marks the section the page
    belongs to (aria-current="true"), ``current`` the section's own page (aria-current="page").
    Anonymous users get an empty list.

    Every signed-in page shows it, and it depends only on what the user may do, the page's endpoint
    and the proxy's prefix (the URLs): built once for each of those and kept per application (no
    user's name or data, only sets of permissions). Each call gets its own copies of the items.
    """
    user = current_user._get_current_object()  # once, not through the proxy for each question
    if not user or not user.is_authenticated:
        return []

    from casework.core.permissions import permissions_for

    granted = permissions_for(user.roles)
    endpoint = request.endpoint if has_request_context() else None
    blueprint = request.blueprint if has_request_context() else None
    root_path = request.root_path if has_request_context() else None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cache: dict[Any, list[dict[str, Any]]] = app.extensions.setdefault("casework_navigation_cache", {})
    # The number of views too: a section appears as soon as its blueprint is registered.
    key = (granted, endpoint, blueprint, root_path, len(current_app.view_functions))
    items = cache.get(key)
    if items is None:
        items = _navigation_items(granted, endpoint, blueprint)
        if len(cache) < NAVIGATION_CACHE_SIZE:
            cache[key] = items
    return [dict(item) for item in items]


def _navigation_items(granted: frozenset[Any], endpoint: str | None, blueprint: str | None) -> list[dict[str, Any]]:
    from casework.core.permissions import Permission

    view_functions = current_app.view_functions
    items = []
    for entry in NAVIGATION:
        if entry.endpoint not in view_functions:
            continue
        if entry.permission is not None and Permission[entry.permission] not in granted:
            continue
        items.append(
            {
                "text": entry.label,
                "href": url_for(entry.endpoint),
                "active": _is_active(entry, endpoint, blueprint),
                "current": endpoint == entry.endpoint,
            }
        )
    return items
