"""Extension points of the case record, so other domains (risk, actions, interventions) add to the
case page, the case API answer and the timeline without the cases package importing them.

Each registered function receives the case (already checked visible to the user) and the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class TimelineEntry:
    #: When it happened: a date for dated events, a timestamp for recorded ones.
    when: date | datetime
    #: e.g. "incident", "risk_assessment", "action", "intervention", "note", "decision".
    kind: str
    title: str
    detail: str | None = None
    actor_name: str | None = None
    link: str | None = None


#: key in ``GET /api/v1/cases/<id>`` -> function(case, user) returning that key's JSON value.
API_SECTIONS: dict[str, Callable[[Any, Any], Any]] = {}
#: (order, template name, function(case, user) -> template context) for the case page.
PAGE_SECTIONS: list[tuple[int, str, Callable[[Any, Any], dict[str, Any]]]] = []
#: functions(case) -> timeline entries.
TIMELINE_SOURCES: list[Callable[[Any], list[TimelineEntry]]] = []
#: (order, anchor, title) of the sections, for the case page's contents list.
CONTENTS: list[tuple[int, str, str]] = []
#: functions(visible case ids, the search) -> a SELECT of (case id, rank) for case search: other
#: domains' records that lead to a case (a Case Review application's reference, say). See
#: ``casework.cases.queries.case_page``.
SEARCH_SOURCES: list[Callable[[Any, Any], Any]] = []


def api_section(key: str) -> Callable[[Callable[[Any, Any], Any]], Callable[[Any, Any], Any]]:
    def register(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        API_SECTIONS[key] = fn
        return fn

    return register


def page_section(order: int, template: str, *, anchor: str | None = None, title: str | None = None):  # type: ignore[no-untyped-def]
    """Register a section of the case page. ``anchor`` (the id of the section's heading) and ``title``
    put it in the page's contents list."""

    def register(fn: Callable[[Any, Any], dict[str, Any]]) -> Callable[[Any, Any], dict[str, Any]]:
        PAGE_SECTIONS.append((order, template, fn))
        PAGE_SECTIONS.sort(key=lambda s: s[0])
        if anchor and title:
            CONTENTS.append((order, anchor, title))
            CONTENTS.sort()
        return fn

    return register


def timeline_source(fn: Callable[[Any], list[TimelineEntry]]) -> Callable[[Any], list[TimelineEntry]]:
    TIMELINE_SOURCES.append(fn)
    return fn


def search_source(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    SEARCH_SOURCES.append(fn)
    return fn
