"""The partnership performance report's figures, counted in SQL by the day each event happened.

Every figure is an event inside the period (both days included), never a record's current state, so a
period's figures do not change because of something dated after it ended:

- ``cases_opened``: cases opened (``opened_on``) in the period; ``cases_closed``: closed (``closed_on``).
- ``open_at_end``: cases opened by the period's end and not closed by then, with their age at the end
  (``open_age``: under 3 months, 3 to 6, 6 to 12, 12 months or more).
- ``incidents``: incidents that occurred in the period, also by the case's category; ``complaints``:
  complaints reported in the period, also by the agency that received them.
- ``repeat_victims``: people who are victims on a case of the area with 3 or more incidents that
  occurred in the 12 months to the period's end (across all their cases in the area, or in the group of
  areas for a county total: one person counts once).
- ``high_risk_victims``: victims assessed as high risk in the period (one person once; an assessment
  naming no victim counts once for its case).
- ``actions_due`` and ``actions_done_on_time``: case actions due in the period, and those of them
  completed on or before their due day. One cancelled counts from the day it was cancelled: cancelled
  after the period's end, it was due and not done in the period, and counts so (the retention run
  cancels an action its anonymised record leaves open, years later).
- ``first_contacts``: cases whose victim was first contacted in the period (``victim_first_contacted_on``),
  with ``first_contact_within_1``/``_2``/``_5`` (contacted within 1, 2 or 5 working days of the day the
  case was opened: working days after that day, over England and Wales bank holidays, as the Case Review
  deadlines count them), their shares in per cent, and ``median_working_days_to_first_contact``. The
  working days are counted in SQL against a table of the days before the period's end (no per-case
  Python); a contact more than ``FIRST_CONTACT_SPAN_DAYS`` after the case opened counts as within no
  target and as the longest wait in the median.
- ``interventions``: warnings, notices and orders issued in the period, by kind;
  ``interventions_by_outcome``: the same by kind and their outcome as recorded today (``kind/status``:
  issued, complied, breached, appealed, expired, withdrawn, varied); ``breaches``: breaches that
  occurred in the period, by the kind of the intervention breached.
- ``case_review``: the four figures s.104(9) requires and the working ones (appeals, withdrawals, the
  median working days to a decision and to an outcome), from ``casework.statistics.queries``; and the
  Case Review deadlines met: ``deadlines_due`` (every step deadline of an application, one source:
  ``casework.reminders`` rows of kind ``trigger.*``, due in the period and not cancelled by its end, as
  the actions) and ``deadlines_met`` (those done by the moment they fell due), with
  ``deadlines_met_share`` in per cent.
  A step entered after the day it was done counts from that day (``reminders.services.done_by``: the
  day the record gives, as every other figure counts events by the day they happened); the papers to
  the panel of a meeting held without their day recorded (``papers_sent_on``) count from when the
  meeting is entered.

``compute_report`` answers for many areas with a fixed number of queries, whatever the number of areas
or records: each groups by area, and the figures of the group of areas add the areas up, except the
people counts (repeat and high-risk victims), counted again over the whole group, and the medians.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.cases.models import Action, ActionStatus, Case, CaseParty, Complaint, Incident, PartyRole
from casework.core.dates import bank_holidays
from casework.core.time import LONDON
from casework.extensions import db
from casework.interventions.models import Intervention, InterventionBreach
from casework.reminders.models import Deadline, DeadlineStatus
from casework.risk.models import RiskAssessment, RiskBand
from casework.statistics.queries import STATUTORY_KEYS, compute_figures

#: Incidents in the 12 months to the period's end that make a victim a repeat victim.
REPEAT_INCIDENTS = 3

#: The case review figures the report shows (the four published ones first).
CASE_REVIEW_KEYS = (
    *STATUTORY_KEYS,
    "threshold_met",
    "appeals_received",
    "appeals_upheld",
    "withdrawn",
    "pending_at_period_end",
    "median_working_days_to_decision",
    "median_working_days_to_outcome",
    "deadlines_due",
    "deadlines_met",
    "deadlines_met_share",
)
#: Case review figures that cannot be added up over areas.
CASE_REVIEW_MEDIANS = ("median_working_days_to_decision", "median_working_days_to_outcome", "deadlines_met_share")
#: The Case Review deadlines: every step's Deadline row has a kind with this prefix.
CASE_REVIEW_DEADLINE_KINDS = "trigger.%"

#: Time to first contact: the shares contacted within these working days of the case's opening.
FIRST_CONTACT_TARGETS = (1, 2, 5)
#: Monday to Friday are working days (``date.weekday()`` below this).
SATURDAY = 5
#: How far back before the period the working days are counted (see the module's docstring).
FIRST_CONTACT_SPAN_DAYS = 366

#: Age bands of the open caseload at the period's end: (key, months at least, months under).
AGE_BANDS = (
    ("under_3_months", 0, 3),
    ("3_to_6_months", 3, 6),
    ("6_to_12_months", 6, 12),
    ("12_months_or_more", 12, None),
)
COUNT_KEYS = (
    "cases_opened",
    "cases_closed",
    "open_at_end",
    "incidents",
    "complaints",
    "repeat_victims",
    "high_risk_victims",
    "actions_due",
    "actions_done_on_time",
    "first_contacts",
    *(f"first_contact_within_{days}" for days in FIRST_CONTACT_TARGETS),
)
#: Figures that cannot be added up over areas (a median, shares in per cent).
DERIVED_KEYS = (
    "median_working_days_to_first_contact",
    *(f"first_contact_within_{days}_share" for days in FIRST_CONTACT_TARGETS),
)
#: Figures that are ``{name: count}``.
BREAKDOWN_KEYS = (
    "open_age",
    "incidents_by_category",
    "complaints_by_agency",
    "interventions",
    "interventions_by_outcome",
    "breaches",
)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day where it has no such day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def empty_figures() -> dict[str, Any]:
    figures: dict[str, Any] = dict.fromkeys(COUNT_KEYS, 0)
    figures.update(dict.fromkeys(DERIVED_KEYS))
    figures["open_age"] = {key: 0 for key, *_ in AGE_BANDS}
    for key in BREAKDOWN_KEYS[1:]:
        figures[key] = {}
    figures["case_review"] = {key: (None if key in CASE_REVIEW_MEDIANS else 0) for key in CASE_REVIEW_KEYS}
    return figures


def _count(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _add(target: dict[str, int], key: str, count: int) -> None:
    if count:
        target[key] = target.get(key, 0) + count


def share(part: int | None, whole: int | None) -> float | None:
    """``part`` of ``whole`` in per cent, one decimal (none of nothing)."""
    if not whole:
        return None
    return round((part or 0) * 100 / whole, 1)


def median_of(histogram: dict[int | None, int]) -> int | float | None:
    """The median of values given as ``{value: how many}``; ``None`` stands for the longest (over the
    span counted), and a median that falls on it is unknown."""
    size = sum(histogram.values())
    if not size:
        return None
    ordered = sorted(histogram.items(), key=lambda item: (item[0] is None, item[0] or 0))

    def at(position: int) -> int | None:
        seen = 0
        for value, count in ordered:
            seen += count
            if position < seen:
                return value
        return None

    low, high = at((size - 1) // 2), at(size // 2)
    if low is None or high is None:
        return None
    middle = (low + high) / 2
    return int(middle) if float(middle).is_integer() else middle


def working_day_numbers(first: date, last: date) -> list[tuple[date, int]]:
    """Each day from ``first`` to ``last`` with the number of working days from ``first`` up to it: the
    working days after day A up to day B are ``number(B) - number(A)``."""
    # The bank holidays of each year once (``is_working_day`` a day at a time looks them up 700 times).
    holidays = {holiday for year in range(first.year, last.year + 1) for holiday in bank_holidays(year)}
    rows, number, day = [], 0, first
    while day <= last:
        number += day.weekday() < SATURDAY and day not in holidays
        rows.append((day, number))
        day += timedelta(days=1)
    return rows


def _day_numbers_table(numbers: list[tuple[date, int]]) -> Any:
    """``working_day_numbers`` as a CTE (``day``, ``number``). PostgreSQL: two arrays unnested side by
    side (two parameters: a VALUES list of 700 rows takes longer to compile than to run); elsewhere a
    VALUES list, as a CTE with its column names (SQLite takes no column names on a VALUES alias)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        days = sa.literal([day for day, _ in numbers], ARRAY(sa.Date))
        counts = sa.literal([number for _, number in numbers], ARRAY(sa.Integer))
        return sa.select(
            sa.func.unnest(days, type_=sa.Date).label("day"), sa.func.unnest(counts, type_=sa.Integer).label("number")
        ).cte("day_numbers")
    return (
        sa.values(sa.column("day", sa.Date), sa.column("number", sa.Integer), name="day_numbers")
        .data(numbers)
        .cte("day_numbers")
    )


#: The steps of ``compute_periods`` for one period that ``progress`` is told about: the four scans of
#: the big tables (cases, incidents, complaints, repeat victims) count every period at once.
SCAN_STEPS = 4
PERIOD_STEPS = 6
STEPS = SCAN_STEPS + PERIOD_STEPS


def steps_for(periods: int) -> int:
    return SCAN_STEPS + PERIOD_STEPS * periods


def compute_report(
    area_ids: Iterable[int],
    period_start: date,
    period_end: date,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """``{"areas": {area id: figures}, "total": figures of the group of areas}``. ``progress(step)``
    is called after each of the ``STEPS`` steps (a task shows it on the page)."""
    tell = progress or (lambda _step: None)
    return compute_periods(area_ids, [(period_start, period_end)], lambda done, _total: tell(done))[0]


def _disjoint(periods: list[tuple[date, date]]) -> bool:
    ordered = sorted(periods)
    return all(earlier[1] < later[0] for earlier, later in itertools.pairwise(ordered))


def _which(column: Any, periods: list[tuple[date, date]]) -> Any:
    """The index of the period ``column`` falls in (periods that do not overlap)."""
    return sa.case(*((column.between(start, end), index) for index, (start, end) in enumerate(periods)))


def _in_any(column: Any, periods: list[tuple[date, date]]) -> Any:
    return sa.or_(*(column.between(start, end) for start, end in periods))


def compute_periods(
    area_ids: Iterable[int],
    periods: list[tuple[date, date]],
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """``compute_report`` of each period, with one pass over each big table for all the periods (a
    period and the same dates a year earlier are counted together: half the scans of two reports).
    ``progress(done, total)`` after each step."""
    area_ids = sorted(set(area_ids))
    results = [{"areas": {area_id: empty_figures() for area_id in area_ids}, "total": empty_figures()} for _ in periods]
    if not area_ids or not periods:
        return results
    total_steps = steps_for(len(periods))
    done = progress or (lambda _done, _total: None)
    scans: list[tuple[list[tuple[date, date]], list[dict[str, Any]]]]
    if _disjoint(periods) and _disjoint([_repeat_window(end) for _start, end in periods]):
        scans = [(periods, results)]
    else:  # overlapping periods (a report over more than a year): each counted on its own
        scans = [([period], [result]) for period, result in zip(periods, results, strict=True)]
    for step, scan in enumerate((_scan_cases, _scan_incidents, _scan_complaints, _scan_repeat_victims), start=1):
        for some_periods, some_results in scans:
            scan(area_ids, some_periods, some_results)
        done(step, total_steps)
    for index, (period_start, period_end) in enumerate(periods):
        result: dict[str, Any] = results[index]
        before = SCAN_STEPS + PERIOD_STEPS * index

        def step_done(step: int, before: int = before) -> None:
            done(before + step, total_steps)

        _count_period(area_ids, period_start, period_end, result["areas"], result["total"], step_done)
    return results


def _repeat_window(period_end: date) -> tuple[date, date]:
    """The 12 months to the period's end in which a victim's incidents make them a repeat victim."""
    return months_before(period_end, 12) + timedelta(days=1), period_end


def _scan_cases(area_ids: list[int], periods: list[tuple[date, date]], results: list[dict[str, Any]]) -> None:
    """1. Cases opened, closed, and open at the end with their age (cut-off days, so no date arithmetic
    in SQL: the same on SQLite and PostgreSQL): columns for each period in one pass."""
    columns = []
    for index, (period_start, period_end) in enumerate(periods):
        in_period = lambda column, s=period_start, e=period_end: column.between(s, e)  # noqa: E731
        open_at_end = sa.and_(
            Case.opened_on <= period_end, sa.or_(Case.closed_on.is_(None), Case.closed_on > period_end)
        )
        columns += [
            _count(in_period(Case.opened_on)).label(f"opened_{index}"),
            _count(in_period(Case.closed_on)).label(f"closed_{index}"),
            _count(open_at_end).label(f"open_at_end_{index}"),
        ]
        for key, at_least, under in AGE_BANDS:
            condition = [open_at_end, Case.opened_on <= months_before(period_end, at_least)]
            if under is not None:
                condition.append(Case.opened_on > months_before(period_end, under))
            columns.append(_count(sa.and_(*condition)).label(f"{key}_{index}"))
    latest_end = max(end for _start, end in periods)
    rows = db.session.execute(
        sa.select(Case.area_id, *columns)
        .where(Case.area_id.in_(area_ids), Case.opened_on <= latest_end)
        .group_by(Case.area_id)
    )
    for row in rows:
        values = row._mapping
        for index, result in enumerate(results):
            figures = result["areas"][row.area_id]
            figures["cases_opened"] = values[f"opened_{index}"]
            figures["cases_closed"] = values[f"closed_{index}"]
            figures["open_at_end"] = values[f"open_at_end_{index}"]
            for key, *_ in AGE_BANDS:
                figures["open_age"][key] = values[f"{key}_{index}"]


def _scan_incidents(area_ids: list[int], periods: list[tuple[date, date]], results: list[dict[str, Any]]) -> None:
    """2. Incidents that occurred in each period, by the case's category."""
    which = _which(Incident.occurred_on, periods).label("which")
    rows = db.session.execute(
        sa.select(Case.area_id, Case.category, which, sa.func.count(Incident.id))
        .join(Case, Incident.case_id == Case.id)
        .where(Case.area_id.in_(area_ids), _in_any(Incident.occurred_on, periods))
        .group_by(Case.area_id, Case.category, which)
    )
    for area_id, category, index, count in rows:
        figures = results[index]["areas"][area_id]
        figures["incidents"] += count
        _add(figures["incidents_by_category"], category, count)


def _scan_complaints(area_ids: list[int], periods: list[tuple[date, date]], results: list[dict[str, Any]]) -> None:
    """3. Complaints reported in each period, by the agency that received them."""
    which = _which(Complaint.reported_on, periods).label("which")
    rows = db.session.execute(
        sa.select(Case.area_id, Agency.code, which, sa.func.count(Complaint.id))
        .join(Incident, Complaint.incident_id == Incident.id)
        .join(Case, Incident.case_id == Case.id)
        .join(Agency, Complaint.agency_id == Agency.id)
        .where(Case.area_id.in_(area_ids), _in_any(Complaint.reported_on, periods))
        .group_by(Case.area_id, Agency.code, which)
    )
    for area_id, agency_code, index, count in rows:
        figures = results[index]["areas"][area_id]
        figures["complaints"] += count
        _add(figures["complaints_by_agency"], agency_code, count)


def _scan_repeat_victims(area_ids: list[int], periods: list[tuple[date, date]], results: list[dict[str, Any]]) -> None:
    """4. Repeat victims: per area, and over the group (a person with incidents in two areas counts
    once, with all of them). An incident is on one case in one area, so a person's incidents over the
    group are the sum of their incidents in each area: one statement counts both, with a window sum
    per person and the person counted for the group on their first area's row only. Each period has
    its own 12 months (those of a period and of the year before do not overlap)."""
    windows = [_repeat_window(end) for _start, end in periods]
    which = _which(Incident.occurred_on, windows).label("which")
    per_person = (
        sa.select(
            Case.area_id,
            CaseParty.person_id,
            which,
            sa.func.count(sa.distinct(Incident.id)).label("incidents"),
        )
        .join(Case, CaseParty.case_id == Case.id)
        .join(Incident, Incident.case_id == Case.id)
        .where(Case.area_id.in_(area_ids), CaseParty.role == PartyRole.victim, _in_any(Incident.occurred_on, windows))
        .group_by(Case.area_id, CaseParty.person_id, which)
        .subquery("victim_incidents")
    )
    person = (per_person.c.person_id, per_person.c.which)
    with_group = sa.select(
        per_person.c.area_id,
        per_person.c.which,
        per_person.c.incidents,
        sa.func.sum(per_person.c.incidents).over(partition_by=person).label("over_group"),
        sa.func.row_number().over(partition_by=person, order_by=per_person.c.area_id).label("person_row"),
    ).subquery("repeat_victims")
    for area_id, index, in_area_count, group_count in db.session.execute(
        sa.select(
            with_group.c.area_id,
            with_group.c.which,
            _count(with_group.c.incidents >= REPEAT_INCIDENTS),
            _count(sa.and_(with_group.c.over_group >= REPEAT_INCIDENTS, with_group.c.person_row == 1)),
        ).group_by(with_group.c.area_id, with_group.c.which)
    ):
        results[index]["areas"][area_id]["repeat_victims"] = in_area_count
        results[index]["total"]["repeat_victims"] += group_count


def _count_period(
    area_ids: list[int],
    period_start: date,
    period_end: date,
    areas: dict[int, dict[str, Any]],
    total: dict[str, Any],
    done: Callable[[int], None],
) -> None:
    """Steps 5 to 10, on the smaller tables, for one period."""
    in_area = Case.area_id.in_(area_ids)
    in_period = lambda column: column.between(period_start, period_end)  # noqa: E731

    # 5. High-risk victims assessed in the period: a named victim once, an unnamed one once per case
    # (negative case ids keep the two apart in one DISTINCT).
    victim_key = sa.case(
        (RiskAssessment.victim_person_id.is_not(None), RiskAssessment.victim_person_id), else_=-RiskAssessment.case_id
    )
    high_risk = (
        sa.select(Case.area_id, victim_key.label("victim"))
        .join(Case, RiskAssessment.case_id == Case.id)
        .where(in_area, RiskAssessment.band == RiskBand.high, in_period(RiskAssessment.assessed_on))
        .distinct()
        .subquery("high_risk")
    )
    for area_id, count in db.session.execute(
        sa.select(high_risk.c.area_id, sa.func.count()).group_by(high_risk.c.area_id)
    ):
        areas[area_id]["high_risk_victims"] = count
    total["high_risk_victims"] = db.session.execute(
        sa.select(sa.func.count(sa.distinct(high_risk.c.victim)))
    ).scalar_one()

    done(1)

    # 6. Case actions due in the period, and those done on or before their due day.
    rows = db.session.execute(
        sa.select(
            Case.area_id,
            sa.func.count(Action.id),
            _count(sa.and_(Action.status == ActionStatus.done, Action.completed_on <= Action.due_on)),
        )
        .join(Case, Action.case_id == Case.id)
        .where(
            in_area,
            in_period(Action.due_on),
            sa.or_(Action.status != ActionStatus.cancelled, Action.completed_on > period_end),
        )
        .group_by(Case.area_id)
    )
    for area_id, due, on_time in rows:
        areas[area_id]["actions_due"] = due
        areas[area_id]["actions_done_on_time"] = on_time

    done(2)

    # 7. Interventions issued in the period, and breaches that occurred in it, by kind.
    rows = db.session.execute(
        sa.select(Case.area_id, Intervention.kind, Intervention.status, sa.func.count(Intervention.id))
        .join(Case, Intervention.case_id == Case.id)
        .where(in_area, in_period(Intervention.issued_on))
        .group_by(Case.area_id, Intervention.kind, Intervention.status)
    )
    for area_id, kind, status, count in rows:
        _add(areas[area_id]["interventions"], _value(kind), count)
        _add(areas[area_id]["interventions_by_outcome"], f"{_value(kind)}/{_value(status)}", count)
    rows = db.session.execute(
        sa.select(Case.area_id, Intervention.kind, sa.func.count(InterventionBreach.id))
        .join(Intervention, InterventionBreach.intervention_id == Intervention.id)
        .join(Case, Intervention.case_id == Case.id)
        .where(in_area, in_period(InterventionBreach.occurred_on))
        .group_by(Case.area_id, Intervention.kind)
    )
    for area_id, kind, count in rows:
        _add(areas[area_id]["breaches"], _value(kind), count)

    done(3)

    # 8. The Case Review figures (casework.statistics counts them the same way, by event date).
    for area_id, case_review in compute_figures(area_ids, period_start, period_end).items():
        areas[area_id]["case_review"] = {
            key: case_review.get(key, areas[area_id]["case_review"][key]) for key in CASE_REVIEW_KEYS
        }

    done(4)

    # 9. Time to first contact: cases whose victim was first contacted in the period, grouped by the
    # working days from the case's opening (two lookups in a table of day numbers).
    numbers = working_day_numbers(period_start - timedelta(days=FIRST_CONTACT_SPAN_DAYS), period_end)
    day_numbers = _day_numbers_table(numbers)
    opened_number, contacted_number = day_numbers.alias("opened_number"), day_numbers.alias("contacted_number")
    # The cases are grouped by their two days first, so the day table is joined to a few rows (joined to
    # the cases themselves, a planner without statistics on the column may scan the cases once a day).
    contacts = (
        sa.select(
            Case.area_id,
            Case.opened_on,
            Case.victim_first_contacted_on.label("contacted_on"),
            sa.func.count().label("cases"),
        )
        .where(in_area, in_period(Case.victim_first_contacted_on))
        .group_by(Case.area_id, Case.opened_on, Case.victim_first_contacted_on)
        .subquery("contacts")
    )
    waited = (contacted_number.c.number - opened_number.c.number).label("waited")
    histograms: dict[int, dict[int | None, int]] = {area_id: {} for area_id in area_ids}
    for area_id, days, count in db.session.execute(
        sa.select(contacts.c.area_id, waited, sa.cast(sa.func.sum(contacts.c.cases), sa.Integer))
        .join(contacted_number, contacted_number.c.day == contacts.c.contacted_on)
        .outerjoin(opened_number, opened_number.c.day == contacts.c.opened_on)
        .group_by(contacts.c.area_id, waited)
    ):
        histograms[area_id][days] = histograms[area_id].get(days, 0) + count
    group: dict[int | None, int] = {}
    for area_id, histogram in histograms.items():
        figures = areas[area_id]
        figures["first_contacts"] = sum(histogram.values())
        for target in FIRST_CONTACT_TARGETS:
            figures[f"first_contact_within_{target}"] = sum(
                count for days, count in histogram.items() if days is not None and days <= target
            )
        figures["median_working_days_to_first_contact"] = median_of(histogram)
        for days, count in histogram.items():
            group[days] = group.get(days, 0) + count
    total["median_working_days_to_first_contact"] = median_of(group)

    done(5)

    # 10. The Case Review deadlines that fell due in the period, and those done by then.
    period_over = datetime.combine(period_end + timedelta(days=1), time(), LONDON)
    for area_id, due, met in db.session.execute(
        sa.select(
            Deadline.area_id,
            sa.func.count(Deadline.id),
            _count(sa.and_(Deadline.status == DeadlineStatus.done, Deadline.completed_at <= Deadline.due_at)),
        )
        .where(
            Deadline.area_id.in_(area_ids),
            Deadline.kind.like(CASE_REVIEW_DEADLINE_KINDS),
            sa.or_(Deadline.status != DeadlineStatus.cancelled, Deadline.completed_at >= period_over),
            in_period(Deadline.due_on),
        )
        .group_by(Deadline.area_id)
    ):
        areas[area_id]["case_review"]["deadlines_due"] = due
        areas[area_id]["case_review"]["deadlines_met"] = met

    _add_up(areas.values(), total)
    for figures in (*areas.values(), total):
        _derive(figures)
    done(PERIOD_STEPS)


def _derive(figures: dict[str, Any]) -> None:
    """The shares, from the counts (of an area or of the group added up)."""
    for target in FIRST_CONTACT_TARGETS:
        figures[f"first_contact_within_{target}_share"] = share(
            figures[f"first_contact_within_{target}"], figures["first_contacts"]
        )
    case_review = figures["case_review"]
    case_review["deadlines_met_share"] = share(case_review["deadlines_met"], case_review["deadlines_due"])


def _value(kind: Any) -> str:
    return getattr(kind, "value", kind)


def _add_up(each: Iterable[dict[str, Any]], total: dict[str, Any]) -> None:
    """Add the areas' figures into ``total``; the people counts already in it are counted over the group."""
    for figures in each:
        for key in COUNT_KEYS:
            if key not in ("repeat_victims", "high_risk_victims"):
                total[key] += figures[key]
        for key in BREAKDOWN_KEYS:
            for name, count in figures[key].items():
                total[key][name] = total[key].get(name, 0) + count
        for key in CASE_REVIEW_KEYS:
            if key not in CASE_REVIEW_MEDIANS:
                total["case_review"][key] += figures["case_review"][key] or 0


# --- small reads for the report's pages (views never query themselves: tests/test_code_shape.py) -----


def report_job_with_id(job_id: int) -> Any:
    from casework.reports.models import ReportJob

    return db.session.get(ReportJob, job_id)


def category_and_agency_names() -> dict[str, dict[str, str]]:
    """{"category_names": {code: name}, "agency_names": {code: name}}: the report's tables' labels."""
    from casework.cases.models import CaseCategory

    return {
        "category_names": dict(db.session.execute(sa.select(CaseCategory.code, CaseCategory.name)).tuples().all()),
        "agency_names": dict(db.session.execute(sa.select(Agency.code, Agency.name)).tuples().all()),
    }
