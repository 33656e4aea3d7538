"""The report as tables: the one description the page, the PDF, the CSV and the XLSX all show, so the
four never disagree. Each table has a chart drawn from the same rows (the chart is for looking; the
table under it is for reading and is the accessible version)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from casework.interventions.models import KIND_LABELS, InterventionKind
from casework.reports.disclosure import is_withheld
from casework.reports.queries import AGE_BANDS, CASE_REVIEW_KEYS, FIRST_CONTACT_TARGETS
from casework.statistics.chart import _nice_maximum
from casework.statistics.queries import LABELS as CASE_REVIEW_LABELS

COUNT_LABELS = {
    "cases_opened": "Cases opened",
    "cases_closed": "Cases closed",
    "open_at_end": "Cases open at the end of the period",
    "incidents": "Incidents",
    "complaints": "Complaints (reports to an agency)",
    "repeat_victims": "Repeat victims (3 or more incidents in 12 months)",
    "high_risk_victims": "Victims assessed as high risk",
    "actions_due": "Actions due",
    "actions_done_on_time": "Actions completed on time",
}


def _days(count: int) -> str:
    return f"{count} working day" + ("" if count == 1 else "s")


FIRST_CONTACT_LABELS = {
    "first_contacts": "Victims first contacted in the period",
    **{f"first_contact_within_{d}": f"Contacted within {_days(d)} of the case opening" for d in FIRST_CONTACT_TARGETS},
    **{
        f"first_contact_within_{d}_share": f"Share contacted within {_days(d)} (per cent)"
        for d in FIRST_CONTACT_TARGETS
    },
    "median_working_days_to_first_contact": "Median working days from the case opening to first contact",
}
#: The report's Case Review figures beyond those of the published statistics.
REPORT_CASE_REVIEW_LABELS = {
    **CASE_REVIEW_LABELS,
    "deadlines_due": "Case Review deadlines that fell due",
    "deadlines_met": "Case Review deadlines met on time",
    "deadlines_met_share": "Share of Case Review deadlines met on time (per cent)",
}
OUTCOME_LABELS = {
    "issued": "in force or awaiting compliance",
    "complied": "complied with",
    "breached": "breached",
    "appealed": "appealed",
    "expired": "expired",
    "withdrawn": "withdrawn",
    "varied": "varied",
}
AGE_LABELS = {
    "under_3_months": "Under 3 months",
    "3_to_6_months": "3 to 6 months",
    "6_to_12_months": "6 to 12 months",
    "12_months_or_more": "12 months or more",
}


@dataclass
class Table:
    #: Stable name: the download's file name and the page's anchor.
    name: str
    title: str
    #: What the first column holds.
    row_heading: str
    #: (key, label, this period, the year before, change)
    rows: list[tuple[str, str, Any, Any, dict[str, Any]]] = field(default_factory=list)
    chart: ComparisonChart | None = None

    def header(self, period_name: str, previous_name: str) -> list[str]:
        return [self.row_heading, period_name, previous_name, "Change", "Change in words"]

    def cells(self) -> list[list[Any]]:
        return [
            [label, now, before, change["difference"], change["words"]]
            for _key, label, now, before, change in self.rows
        ]


def _kind_label(kind: str) -> str:
    try:
        return KIND_LABELS[InterventionKind(kind)]
    except ValueError:
        return kind


def _outcome_label(key: str) -> str:
    kind, _, outcome = key.partition("/")
    return f"{_kind_label(kind)}: {OUTCOME_LABELS.get(outcome, outcome)}"


def tables(report: dict[str, Any], *, category_names: dict[str, str], agency_names: dict[str, str]) -> list[Table]:
    figures, previous, changes = report["figures"], report["previous"], report["changes"]
    result = []

    def table(name: str, title: str, heading: str, keys: list[str], labels: Any, part: str | None = None) -> Table:
        now = figures[part] if part else figures
        before = previous[part] if part else previous
        change = changes[part] if part else changes
        missing = report.get("missing", 0)
        rows = [(key, labels(key), now.get(key, missing), before.get(key, missing), change[key]) for key in keys]
        return Table(name, title, heading, rows)

    result.append(
        table("casework", "Cases, incidents and victims", "Figure", list(COUNT_LABELS), COUNT_LABELS.__getitem__)
    )
    result.append(
        table(
            "open_age",
            "Open cases at the end of the period, by age",
            "Age",
            [k for k, *_ in AGE_BANDS],
            AGE_LABELS.__getitem__,
            "open_age",
        )
    )
    result.append(
        table(
            "incidents_by_category",
            "Incidents by category",
            "Category",
            sorted(changes["incidents_by_category"]),
            lambda key: category_names.get(key, key),
            "incidents_by_category",
        )
    )
    result.append(
        table(
            "complaints_by_agency",
            "Complaints by the agency that received them",
            "Agency",
            sorted(changes["complaints_by_agency"]),
            lambda key: agency_names.get(key, key),
            "complaints_by_agency",
        )
    )
    result.append(
        table(
            "interventions",
            "Tools and powers used, by kind",
            "Kind",
            sorted(changes["interventions"]),
            _kind_label,
            "interventions",
        )
    )
    result.append(
        table(
            "interventions_by_outcome",
            "Outcomes of the tools and powers used, by kind",
            "Kind and outcome (as recorded now)",
            sorted(changes["interventions_by_outcome"]),
            _outcome_label,
            "interventions_by_outcome",
        )
    )
    result.append(
        table(
            "breaches",
            "Breaches, by the kind of tool or power breached",
            "Kind",
            sorted(changes["breaches"]),
            _kind_label,
            "breaches",
        )
    )
    result.append(
        table(
            "case_review",
            "Community Trigger (ASB Case Review)",
            "Figure",
            list(CASE_REVIEW_KEYS),
            REPORT_CASE_REVIEW_LABELS.__getitem__,
            "case_review",
        )
    )
    result.insert(
        1,
        table(
            "first_contact",
            "Time to first contact with the victim",
            "Figure",
            list(FIRST_CONTACT_LABELS),
            FIRST_CONTACT_LABELS.__getitem__,
        ),
    )
    for item in result:
        item.chart = comparison_chart(item, report["period_name"], report["previous_name"])
    return result


def area_table(report: dict[str, Any]) -> list[list[Any]]:
    """Each area's main figures (the county report), one row per area."""
    return [
        [
            item["area"].name,
            item["figures"]["cases_opened"],
            item["figures"]["open_at_end"],
            item["figures"]["incidents"],
            item["figures"]["complaints"],
            item["figures"]["repeat_victims"],
            item["figures"].get("interventions_total", sum(item["figures"]["interventions"].values())),
            item["figures"]["case_review"]["applications"],
        ]
        for item in report["by_area"]
    ]


AREA_HEADER = [
    "Area",
    "Cases opened",
    "Open at the end",
    "Incidents",
    "Complaints",
    "Repeat victims",
    "Tools and powers used",
    "Case Review applications",
]

#: The two series of every chart (CSS modifiers of the statistics charts' bars): this period, and
#: the same dates a year earlier.
SERIES_MODIFIERS = ("applications", "reviews")
WIDTH = 720
LABEL_WIDTH = 250
ROW_HEIGHT = 36
BAR_HEIGHT = 13
MARGIN_TOP = 8
MARGIN_BOTTOM = 28
#: Longer labels are cut in the chart (the table under it gives them whole).
LABEL_CHARACTERS = 34


def _length(value: Any) -> int:
    """A bar's length: a withheld count (``casework.reports.disclosure``) draws none."""
    return 0 if is_withheld(value) else int(value or 0)


@dataclass
class HorizontalBar:
    y: float
    width: float
    modifier: str
    #: The count, or the words of a withheld one (``fewer than 5``).
    value: int | str
    label: str


@dataclass
class ComparisonChart:
    """Horizontal bars, so that long labels (a kind of power, an agency's name) read on one line."""

    title: str
    description: str
    series: tuple[tuple[str, str, str], ...]
    height: int
    width: int = WIDTH
    plot_left: int = LABEL_WIDTH
    plot_right: int = WIDTH - 40
    #: (y, label) of each row's label.
    labels: list[tuple[float, str]] = field(default_factory=list)
    bars: list[HorizontalBar] = field(default_factory=list)
    #: (x, label) of each vertical grid line.
    ticks: list[tuple[float, str]] = field(default_factory=list)

    @property
    def plot_bottom(self) -> int:
        return self.height - MARGIN_BOTTOM


def comparison_chart(table: Table, period_name: str, previous_name: str) -> ComparisonChart | None:
    """A pair of bars (this period, the year before) for each row with a count; none for a table with
    no such rows (medians read better as numbers)."""
    rows = [
        (label, now, before)
        for key, label, now, before, _ in table.rows
        # Medians and shares read better as numbers than as bars beside counts.
        if not key.startswith("median") and not key.endswith("_share")
    ]
    if not rows:
        return None
    chart = ComparisonChart(
        title=table.title,
        description=f"Bar chart of {table.title[0].lower() + table.title[1:]}: {period_name} beside "
        f"{previous_name}. The table below the chart gives the same numbers.",
        series=(("now", period_name, SERIES_MODIFIERS[0]), ("before", previous_name, SERIES_MODIFIERS[1])),
        height=MARGIN_TOP + ROW_HEIGHT * len(rows) + MARGIN_BOTTOM,
    )
    top, step = _nice_maximum(max((_length(value) for row in rows for value in row[1:]), default=0))
    plot_width = chart.plot_right - chart.plot_left
    for value in range(0, top + 1, step):
        chart.ticks.append((round(chart.plot_left + plot_width * value / top, 1), str(value)))
    for index, (label, now, before) in enumerate(rows):
        row_top = MARGIN_TOP + ROW_HEIGHT * index
        shown = label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1].rstrip() + "…"
        chart.labels.append((row_top + ROW_HEIGHT / 2 + 4, shown))
        for position, (value, series_name) in enumerate(((now, period_name), (before, previous_name))):
            chart.bars.append(
                HorizontalBar(
                    y=row_top + 4 + position * BAR_HEIGHT,
                    width=round(plot_width * _length(value) / top, 1),
                    modifier=SERIES_MODIFIERS[position],
                    value=value if is_withheld(value) else _length(value),
                    label=f"{label}, {series_name}: {value}",
                )
            )
    return chart
