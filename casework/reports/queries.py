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
  completed on or before their due day.
- ``interventions``: warnings, notices and orders issued in the period, by kind; ``breaches``: breaches
  that occurred in the period, by the kind of the intervention breached.
- ``case_review``: the four figures s.104(9) requires and the working ones (appeals, withdrawals, the
  median working days to a decision and to an outcome), from ``casework.statistics.queries``.

``compute_report`` answers for many areas with a fixed number of queries, whatever the number of areas
or records: each groups by area, and the figures of the group of areas add the areas up, except the
people counts (repeat and high-risk victims), counted again over the whole group, and the medians.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.cases.models import Action, ActionStatus, Case, CaseParty, Complaint, Incident, PartyRole
from casework.extensions import db
from casework.interventions.models import Intervention, InterventionBreach
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
)
#: Case review figures that cannot be added up over areas.
CASE_REVIEW_MEDIANS = ("median_working_days_to_decision", "median_working_days_to_outcome")

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
)
#: Figures that are ``{name: count}``.
BREAKDOWN_KEYS = ("open_age", "incidents_by_category", "complaints_by_agency", "interventions", "breaches")


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day where it has no such day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def empty_figures() -> dict[str, Any]:
    figures: dict[str, Any] = dict.fromkeys(COUNT_KEYS, 0)
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


#: The steps of ``compute_report`` that ``progress`` is told about.
STEPS = 8


def compute_report(
    area_ids: Iterable[int],
    period_start: date,
    period_end: date,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """``{"areas": {area id: figures}, "total": figures of the group of areas}``. ``progress(step)``
    is called after each of the ``STEPS`` steps (a task shows it on the page)."""
    done = progress or (lambda _step: None)
    area_ids = sorted(set(area_ids))
    areas = {area_id: empty_figures() for area_id in area_ids}
    total = empty_figures()
    if not area_ids:
        return {"areas": areas, "total": total}
    in_area = Case.area_id.in_(area_ids)
    in_period = lambda column: column.between(period_start, period_end)  # noqa: E731

    # 1. Cases opened, closed, and open at the end with their age (cut-off days, so no date arithmetic
    # in SQL: the same on SQLite and PostgreSQL).
    open_at_end = sa.and_(Case.opened_on <= period_end, sa.or_(Case.closed_on.is_(None), Case.closed_on > period_end))
    age_columns = []
    for key, at_least, under in AGE_BANDS:
        condition = [open_at_end, Case.opened_on <= months_before(period_end, at_least)]
        if under is not None:
            condition.append(Case.opened_on > months_before(period_end, under))
        age_columns.append(_count(sa.and_(*condition)).label(key))
    rows = db.session.execute(
        sa.select(
            Case.area_id,
            _count(in_period(Case.opened_on)).label("opened"),
            _count(in_period(Case.closed_on)).label("closed"),
            _count(open_at_end).label("open_at_end"),
            *age_columns,
        )
        .where(in_area, Case.opened_on <= period_end)
        .group_by(Case.area_id)
    )
    for row in rows:
        figures = areas[row.area_id]
        figures["cases_opened"] = row.opened
        figures["cases_closed"] = row.closed
        figures["open_at_end"] = row.open_at_end
        for key, *_ in AGE_BANDS:
            figures["open_age"][key] = getattr(row, key)

    done(1)

    # 2. Incidents that occurred in the period, by the case's category.
    rows = db.session.execute(
        sa.select(Case.area_id, Case.category, sa.func.count(Incident.id))
        .join(Case, Incident.case_id == Case.id)
        .where(in_area, in_period(Incident.occurred_on))
        .group_by(Case.area_id, Case.category)
    )
    for area_id, category, count in rows:
        areas[area_id]["incidents"] += count
        _add(areas[area_id]["incidents_by_category"], category, count)

    done(2)

    # 3. Complaints reported in the period, by the agency that received them.
    rows = db.session.execute(
        sa.select(Case.area_id, Agency.code, sa.func.count(Complaint.id))
        .join(Incident, Complaint.incident_id == Incident.id)
        .join(Case, Incident.case_id == Case.id)
        .join(Agency, Complaint.agency_id == Agency.id)
        .where(in_area, in_period(Complaint.reported_on))
        .group_by(Case.area_id, Agency.code)
    )
    for area_id, agency_code, count in rows:
        areas[area_id]["complaints"] += count
        _add(areas[area_id]["complaints_by_agency"], agency_code, count)

    done(3)

    # 4. Repeat victims: per area, and over the group (a person with incidents in two areas counts
    # once, with all of them). An incident is on one case in one area, so a person's incidents over
    # the group are the sum of their incidents in each area: one statement counts both, with a window
    # sum per person and the person counted for the group on their first area's row only.
    window_start = months_before(period_end, 12) + timedelta(days=1)
    per_person = (
        sa.select(
            Case.area_id,
            CaseParty.person_id,
            sa.func.count(sa.distinct(Incident.id)).label("incidents"),
        )
        .join(Case, CaseParty.case_id == Case.id)
        .join(Incident, Incident.case_id == Case.id)
        .where(in_area, CaseParty.role == PartyRole.victim, Incident.occurred_on.between(window_start, period_end))
        .group_by(Case.area_id, CaseParty.person_id)
        .subquery("victim_incidents")
    )
    with_group = sa.select(
        per_person.c.area_id,
        per_person.c.incidents,
        sa.func.sum(per_person.c.incidents).over(partition_by=per_person.c.person_id).label("over_group"),
        sa.func.row_number()
        .over(partition_by=per_person.c.person_id, order_by=per_person.c.area_id)
        .label("person_row"),
    ).subquery("repeat_victims")
    for area_id, in_area_count, group_count in db.session.execute(
        sa.select(
            with_group.c.area_id,
            _count(with_group.c.incidents >= REPEAT_INCIDENTS),
            _count(sa.and_(with_group.c.over_group >= REPEAT_INCIDENTS, with_group.c.person_row == 1)),
        ).group_by(with_group.c.area_id)
    ):
        areas[area_id]["repeat_victims"] = in_area_count
        total["repeat_victims"] += group_count

    done(4)

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

    done(5)

    # 6. Case actions due in the period, and those done on or before their due day.
    rows = db.session.execute(
        sa.select(
            Case.area_id,
            sa.func.count(Action.id),
            _count(sa.and_(Action.status == ActionStatus.done, Action.completed_on <= Action.due_on)),
        )
        .join(Case, Action.case_id == Case.id)
        .where(in_area, in_period(Action.due_on), Action.status != ActionStatus.cancelled)
        .group_by(Case.area_id)
    )
    for area_id, due, on_time in rows:
        areas[area_id]["actions_due"] = due
        areas[area_id]["actions_done_on_time"] = on_time

    done(6)

    # 7. Interventions issued in the period, and breaches that occurred in it, by kind.
    rows = db.session.execute(
        sa.select(Case.area_id, Intervention.kind, sa.func.count(Intervention.id))
        .join(Case, Intervention.case_id == Case.id)
        .where(in_area, in_period(Intervention.issued_on))
        .group_by(Case.area_id, Intervention.kind)
    )
    for area_id, kind, count in rows:
        _add(areas[area_id]["interventions"], _value(kind), count)
    rows = db.session.execute(
        sa.select(Case.area_id, Intervention.kind, sa.func.count(InterventionBreach.id))
        .join(Intervention, InterventionBreach.intervention_id == Intervention.id)
        .join(Case, Intervention.case_id == Case.id)
        .where(in_area, in_period(InterventionBreach.occurred_on))
        .group_by(Case.area_id, Intervention.kind)
    )
    for area_id, kind, count in rows:
        _add(areas[area_id]["breaches"], _value(kind), count)

    done(7)

    # 8. The Case Review figures (casework.statistics counts them the same way, by event date).
    for area_id, case_review in compute_figures(area_ids, period_start, period_end).items():
        areas[area_id]["case_review"] = {key: case_review.get(key) for key in CASE_REVIEW_KEYS}

    _add_up(areas.values(), total)
    done(STEPS)
    return {"areas": areas, "total": total}


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
