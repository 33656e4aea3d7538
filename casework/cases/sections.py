"""Extension points of the case record, so other domains (risk, actions, interventions) add to the
case page, the case API answer and the timeline without the cases package importing them.

A domain registers its parts in its ``init_app`` (``domain.case_api_section``,
``domain.case_page_section``, ``domain.case_timeline``; see ``casework.core.registry``). Each
registered function receives the case (already checked visible to the user) and the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from casework.core.registry import PageSection, registry


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


def api_sections() -> dict[str, Callable[[Any, Any], Any]]:
    """key in ``GET /api/v1/cases/<id>`` -> function(case, user) returning that key's JSON value."""
    return registry().case_api_sections


def page_sections() -> list[PageSection]:
    """The case page's sections, in order."""
    return registry().case_page_sections


def person_page_sections() -> list[PageSection]:
    """The person page's sections, in order (each domain's part of what is held about a person)."""
    return registry().person_page_sections


def timeline_sources() -> list[Callable[[Any], list[TimelineEntry]]]:
    return registry().case_timeline_sources


def search_sources() -> list[Callable[[Any, Any], Any]]:
    """functions(visible case ids, the search) -> a SELECT of (case id, rank): other domains' records
    that lead to a case (a Case Review application's reference). See ``casework.cases.queries.case_page``."""
    return registry().case_search_sources
