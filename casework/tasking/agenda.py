"""The agenda builds itself: each source names the open cases of the series' area that need the
meeting, for one reason each. One SELECT of case ids per source, whatever the number of cases.

``since`` is the day of the series' previous meeting (or one interval before this one): what happened
after it is new to the meeting.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa

from casework.actions.services import OPEN_STATUSES
from casework.cases.models import Action, Case, CaseStatus
from casework.risk.models import RiskAssessment, RiskBand
from casework.tasking.models import AgendaReason

#: function(area_id, since, on) -> a SELECT of case ids (any case; the caller keeps the area's open ones).
AgendaSource = Callable[[int, date, date], sa.Select]

_BAND_RANK = sa.case((RiskAssessment.band == RiskBand.high, 3), (RiskAssessment.band == RiskBand.medium, 2), else_=1)


def _ranked_assessments() -> sa.Subquery:
    """Each case's assessments (per victim, or of the case as a whole), newest first."""
    return sa.select(
        RiskAssessment.case_id,
        RiskAssessment.assessed_on,
        _BAND_RANK.label("rank"),
        sa.func.row_number()
        .over(
            partition_by=(RiskAssessment.case_id, sa.func.coalesce(RiskAssessment.victim_person_id, 0)),
            order_by=(RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc()),
        )
        .label("newest"),
    ).subquery()


def new_high_risk(area_id: int, since: date, on: date) -> sa.Select:
    """Assessed high since the last meeting (the latest assessment of the case or of a victim on it)."""
    ranked = _ranked_assessments()
    return sa.select(ranked.c.case_id).where(ranked.c.newest == 1, ranked.c.rank == 3, ranked.c.assessed_on > since)


def risk_increased(area_id: int, since: date, on: date) -> sa.Select:
    """The latest assessment, made since the last meeting, is a higher band than the one before it."""
    latest, previous = _ranked_assessments().alias("latest"), _ranked_assessments().alias("previous")
    return (
        sa.select(latest.c.case_id)
        .join(
            previous,
            sa.and_(previous.c.case_id == latest.c.case_id, previous.c.newest == 2),
        )
        .where(latest.c.newest == 1, latest.c.assessed_on > since, latest.c.rank > previous.c.rank)
    )


def overdue_actions(area_id: int, since: date, on: date) -> sa.Select:
    """An action on the case still open after its due date (on the day of the meeting)."""
    return sa.select(Action.case_id).where(
        Action.case_id.is_not(None), Action.status.in_(OPEN_STATUSES), Action.due_on < on
    )


#: Where the threshold watch (issue 13: victims close to the Case Review threshold) is looked for. Until
#: that domain exists this source names no cases; once it does, it must offer
#: ``flagged_case_ids(area_id, since, on) -> Select`` of the cases of flagged victims.
THRESHOLD_WATCH_MODULE = "casework.threshold_watch.agenda"


def threshold_watch(area_id: int, since: date, on: date) -> sa.Select:
    """The hook for victims flagged by the threshold watch."""
    try:
        module = importlib.import_module(THRESHOLD_WATCH_MODULE)
    except ModuleNotFoundError:
        return sa.select(Case.id).where(sa.false())
    return module.flagged_case_ids(area_id, since, on)


#: The sources, in the order their cases come on the agenda.
SOURCES: tuple[tuple[AgendaReason, AgendaSource], ...] = (
    (AgendaReason.new_high_risk, new_high_risk),
    (AgendaReason.risk_increased, risk_increased),
    (AgendaReason.threshold_watch, threshold_watch),
    (AgendaReason.overdue_actions, overdue_actions),
)


def cases_by_reason(area_id: int, since: date, on: date) -> list[tuple[int, AgendaReason]]:
    """(case id, reason) for the area's open cases, in source order then case order: one query."""
    parts = [
        sa.select(Case.id.label("case_id"), sa.literal(index).label("source")).where(
            Case.area_id == area_id, Case.status == CaseStatus.open, Case.id.in_(source(area_id, since, on))
        )
        for index, (_reason, source) in enumerate(SOURCES)
    ]
    union = sa.union_all(*parts).subquery()
    from casework.extensions import db

    rows = db.session.execute(sa.select(union.c.case_id, union.c.source).order_by(union.c.source, union.c.case_id))
    return [(row.case_id, SOURCES[row.source][0]) for row in rows]


REASON_LABELS = {
    AgendaReason.new_high_risk: "New high risk",
    AgendaReason.risk_increased: "Risk went up",
    AgendaReason.threshold_watch: "Victim near the Case Review threshold",
    AgendaReason.overdue_actions: "Overdue actions",
    AgendaReason.carried_forward: "Open actions from an earlier meeting",
    AgendaReason.nominated: "Nominated by an officer",
    AgendaReason.added_by_chair: "Added by the chair",
}
