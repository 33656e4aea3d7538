"""Small counts withheld, when the installation asks for it (``CASEWORK_REPORT_SMALL_COUNT``; docs/rules.md,
"The partnership report's small counts"): a short report must not let its reader single out a case they
may not see.

The report counts every case of an area, whichever agency leads it and however restricted it is, and
its reader also has the case list of the cases they may see. A count of 1 where the reader sees none
(a report over one day, a rare kind of order in a small area) would tell them that a case hidden from
them exists, and when it happened. With the setting at N (5 to 100), every count below N, **zero
included**, is shown as "fewer than N", whichever cases it counts: were zero shown as
0, "fewer than 5" would itself say "at least one". A figure computed from a withheld count (a share, a
median over fewer cases, a change on the year before) is withheld too; a breakdown (by category, by
agency, by kind) lists only its rows of 5 or more.

The rule is applied once, to the figures the report assembles (``casework.reports.services``), so the
page, its charts, the CSV tables, the workbook, the PDF and the API (where a withheld figure is null,
and a withheld breakdown row absent) all show the same.

It is off by default (0: every count shown), because the API's figures are counts partners' tools add
up, and because it is no complete protection: two reports over overlapping periods, each count 5 or
more, still differ by one case. It stops the plain case, a report over one day or a rare kind of order.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from casework.reports.queries import (
    BREAKDOWN_KEYS,
    CASE_REVIEW_KEYS,
    CASE_REVIEW_MEDIANS,
    COUNT_KEYS,
    FIRST_CONTACT_TARGETS,
)

#: Every count shown, unless the installation sets ``CASEWORK_REPORT_SMALL_COUNT``.
DEFAULT_SMALL_COUNT = 0


class Withheld(str):
    """A figure not shown: its text (``fewer than 5``) is what the page, the files and the PDF print;
    the API gives null."""

    __slots__ = ()


def small_count() -> int:
    """Counts below this are withheld (0: none)."""
    return int(current_app.config["CASEWORK"].get("REPORT_SMALL_COUNT", DEFAULT_SMALL_COUNT))


def withheld_count(threshold: int) -> Withheld:
    return Withheld(f"fewer than {threshold}")


def withheld_figure(threshold: int) -> Withheld:
    return Withheld(f"not shown (from fewer than {threshold})")


def is_withheld(value: Any) -> bool:
    return isinstance(value, Withheld)


#: A median of the Case Review, and the count of the records it is the median of.
_CASE_REVIEW_MEDIAN_BASIS = {
    "median_working_days_to_decision": ("threshold_met", "threshold_not_met"),
    "median_working_days_to_outcome": ("reviews_carried_out",),
}


def withhold_small_counts(figures: dict[str, Any], threshold: int) -> dict[str, Any]:
    """A copy of ``figures`` (``casework.reports.queries.empty_figures``'s shape) with every count below
    ``threshold`` withheld, and every figure computed from one. ``threshold`` 0 withholds nothing."""
    if threshold <= 0:
        return figures
    small = lambda value: value is None or value < threshold  # noqa: E731
    count = withheld_count(threshold)
    derived = withheld_figure(threshold)
    result: dict[str, Any] = dict(figures)
    # Added up before the breakdown loses its small rows: the county's table of each area shows it.
    result["interventions_total"] = sum(figures["interventions"].values())
    for key in (*COUNT_KEYS, "interventions_total"):
        if small(result[key]):
            result[key] = count
    if small(figures["first_contacts"]):
        result["median_working_days_to_first_contact"] = derived
    for days in FIRST_CONTACT_TARGETS:
        within = figures[f"first_contact_within_{days}"]
        if small(within) or small(figures["first_contacts"]):
            result[f"first_contact_within_{days}_share"] = derived
    result["open_age"] = {key: count if small(value) else value for key, value in figures["open_age"].items()}
    for key in BREAKDOWN_KEYS:
        if key != "open_age":
            result[key] = {name: value for name, value in figures[key].items() if not small(value)}
    case_review = dict(figures["case_review"])
    for key in CASE_REVIEW_KEYS:
        if key not in CASE_REVIEW_MEDIANS and small(case_review[key]):
            case_review[key] = count
    for key, basis in _CASE_REVIEW_MEDIAN_BASIS.items():
        if small(sum(figures["case_review"][part] or 0 for part in basis)):
            case_review[key] = derived
    if small(figures["case_review"]["deadlines_due"]) or small(figures["case_review"]["deadlines_met"]):
        case_review["deadlines_met_share"] = derived
    result["case_review"] = case_review
    return result


def missing_row(threshold: int) -> Any:
    """What a breakdown row absent from one period stands for: 0, or, with small counts withheld, a
    count that may be anything below the threshold."""
    return withheld_count(threshold) if threshold > 0 else 0


def for_json(value: Any) -> Any:
    """A figure as the API gives it: a withheld one is null."""
    return None if is_withheld(value) else value
