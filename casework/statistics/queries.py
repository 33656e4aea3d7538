"""The s.104(9) figures counted from the Community Trigger records, in SQL.

Every figure counts events by the day they happened inside the period, never
an application's current status:

- ``applications``: applications received in the period, withdrawn ones included. Applications
  screened out by the end of the period (a service complaint or a new incident report, redirected)
  are left out: once screened they were not applications for a Case Review. One screened out after
  the period ended still counts in it, because nothing dated after a period's end changes that
  period's figures. They are reported as ``screened_out`` (screened out in the period) so the
  figures still reconcile with the register.
- ``threshold_not_met``: "not met" threshold decisions made in the period. An application can have
  several decisions (a new one after an upheld appeal): each decision is an event and counts.
- ``reviews_carried_out``: review meetings held in the period whose outcome is recorded. A new meeting
  after an upheld appeal is another review and counts again; a meeting held without a recorded outcome
  does not count (yet).
- ``reviews_with_recommendations``: of those reviews, the ones with at least one recommendation.

The four need not add up: an application received on 30 March may be decided in April.

Extras: applications by channel, "met" decisions by basis, appeals received and decided (upheld, not
upheld), withdrawn in the period, pending at the period end (received by then, with no threshold
decision, no outcome and no withdrawal by then), awaiting a review at the period end (met by then, no
outcome or withdrawal by then), and the median working days from receipt to the first decision and to
the first review outcome, for those made in the period. Where the Crime and Policing Act 2026 route is
used: requests for the Police and Crime Commissioner's review of a "not met" decision received in the
period, and the PCC's outcomes decided in the period (the decision stands, or is to be taken again).

``compute_figures`` answers for many areas at once with a fixed number of queries (seven), whatever the
number of areas or applications.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.community_triggers.models import (
    Appeal,
    AppealDecision,
    Channel,
    DecisionBasis,
    Recommendation,
    ReviewMeeting,
    ThresholdDecision,
    TriggerApplication,
)
from casework.community_triggers.pcc_review.models import PccReview, PccReviewOutcome
from casework.core.dates import working_days_between
from casework.core.db import shared_alias
from casework.extensions import db

#: The four figures s.104(9) requires, in the order the law lists them.
STATUTORY_KEYS = (
    "applications",
    "threshold_not_met",
    "reviews_carried_out",
    "reviews_with_recommendations",
)
CHANNEL_KEYS = tuple(f"applications_{c.value}" for c in Channel)
BASIS_KEYS = tuple(f"threshold_met_{b.value}" for b in DecisionBasis)
EXTRA_COUNT_KEYS = (
    *CHANNEL_KEYS,
    "threshold_met",
    *BASIS_KEYS,
    "appeals_received",
    "appeals_upheld",
    "appeals_not_upheld",
    "pcc_reviews_requested",
    "pcc_reviews_decision_stands",
    "pcc_reviews_reconsider",
    "withdrawn",
    "screened_out",
    "pending_at_period_end",
    "awaiting_review_at_period_end",
)
MEDIAN_KEYS = ("median_working_days_to_decision", "median_working_days_to_outcome")
EXTRA_KEYS = (*EXTRA_COUNT_KEYS, *MEDIAN_KEYS)
#: Every key of a figures dict, in the order pages, CSV and JSON show them.
FIGURE_KEYS = (*STATUTORY_KEYS, *EXTRA_KEYS)
#: The largest figure an administrator may enter by hand (historic figures): far above any area's Case
#: Reviews in a year (a few dozen at most), so a larger number is a slip, never published as it is.
MAX_FIGURE_ENTERED = 10_000
FIGURE_RANGE_MESSAGE = f"Enter a whole number from 0 to {MAX_FIGURE_ENTERED:,}."

LABELS = {
    "applications": "Applications received",
    "threshold_not_met": "Decisions that the threshold was not met",
    "reviews_carried_out": "Case reviews carried out",
    "reviews_with_recommendations": "Reviews that made recommendations",
    **{f"applications_{c.value}": f"Applications received: {c.value.replace('_', ' ')}" for c in Channel},
    "threshold_met": "Decisions that the threshold was met",
    **{f"threshold_met_{b.value}": f"Threshold met: {b.value.replace('_', ' ')}" for b in DecisionBasis},
    "appeals_received": "Appeals received",
    "appeals_upheld": "Appeals upheld",
    "appeals_not_upheld": "Appeals not upheld",
    "pcc_reviews_requested": "Police and Crime Commissioner reviews asked for",
    "pcc_reviews_decision_stands": "PCC reviews: the decision stands",
    "pcc_reviews_reconsider": "PCC reviews: the decision to be taken again",
    "withdrawn": "Applications withdrawn",
    "screened_out": "Screened out (not a Case Review)",
    "pending_at_period_end": "Awaiting a threshold decision at the end of the period",
    "awaiting_review_at_period_end": "Awaiting a review at the end of the period",
    "median_working_days_to_decision": "Median working days from receipt to decision",
    "median_working_days_to_outcome": "Median working days from receipt to review outcome",
}


def empty_figures() -> dict[str, Any]:
    figures: dict[str, Any] = dict.fromkeys((*STATUTORY_KEYS, *EXTRA_COUNT_KEYS), 0)
    figures.update(dict.fromkeys(MEDIAN_KEYS))
    return figures


def _count(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _median(values: list[int]) -> int | float | None:
    if not values:
        return None
    middle = statistics.median(values)
    return int(middle) if float(middle).is_integer() else float(middle)


def compute_figures(area_ids: Iterable[int], period_start: date, period_end: date) -> dict[int, dict[str, Any]]:
    """The figures of each area for the period (both days included), keyed by area id."""
    area_ids = sorted(set(area_ids))
    result = {area_id: empty_figures() for area_id in area_ids}
    if not area_ids:
        return result
    application = TriggerApplication
    in_area = application.area_id.in_(area_ids)

    # 1. Applications: received, by channel, withdrawn, screened out, pending and awaiting review.
    # Pending and awaiting review need each application's first decision, first "met" decision and
    # first review outcome: aggregated once and hash-joined, which PostgreSQL runs about a third faster
    # than three correlated EXISTS per application (bench/statistics_bench.py).
    firsts = (
        sa.select(
            ThresholdDecision.application_id,
            sa.func.min(ThresholdDecision.decided_on).label("decided_on"),
            sa.func.min(sa.case((ThresholdDecision.met.is_(True), ThresholdDecision.decided_on))).label("met_on"),
        )
        .join(application, ThresholdDecision.application_id == application.id)
        .where(in_area, ThresholdDecision.decided_on <= period_end)
        .group_by(ThresholdDecision.application_id)
        .subquery("first_decisions")
    )
    outcomes = (
        sa.select(ReviewMeeting.application_id, sa.func.min(ReviewMeeting.held_on).label("held_on"))
        .join(application, ReviewMeeting.application_id == application.id)
        .where(in_area, ReviewMeeting.held_on <= period_end, ReviewMeeting.outcome_recorded_at.is_not(None))
        .group_by(ReviewMeeting.application_id)
        .subquery("first_outcomes")
    )
    # Screened out by the period's end: not an application for a Case Review in that period. One
    # screened out after the period ended still counts in it (nothing dated after a
    # period's end changes that period's figures).
    is_case_review = sa.or_(application.screened_out_on.is_(None), application.screened_out_on > period_end)
    # Both subqueries only hold events on or before the period end, so "none by then" is a NULL.
    open_at_end = sa.and_(
        is_case_review,
        sa.or_(application.withdrawn_on.is_(None), application.withdrawn_on > period_end),
        outcomes.c.held_on.is_(None),
    )
    decided_by_end = firsts.c.decided_on.is_not(None)
    met_by_end = firsts.c.met_on.is_not(None)
    rows = db.session.execute(
        sa.select(
            application.area_id,
            application.channel,
            _count(sa.and_(is_case_review, application.received_on >= period_start)).label("applications"),
            _count(sa.and_(is_case_review, application.withdrawn_on.between(period_start, period_end))).label(
                "withdrawn"
            ),
            _count(application.screened_out_on.between(period_start, period_end)).label("screened_out"),
            _count(sa.and_(open_at_end, sa.not_(decided_by_end))).label("pending"),
            _count(sa.and_(open_at_end, met_by_end)).label("awaiting_review"),
        )
        .outerjoin(firsts, firsts.c.application_id == application.id)
        .outerjoin(outcomes, outcomes.c.application_id == application.id)
        .where(in_area, application.received_on <= period_end)
        .group_by(application.area_id, application.channel)
    )
    for row in rows:
        figures = result[row.area_id]
        figures["applications"] += row.applications
        figures[f"applications_{Channel(row.channel).value}"] += row.applications
        figures["withdrawn"] += row.withdrawn
        figures["screened_out"] += row.screened_out
        figures["pending_at_period_end"] += row.pending
        figures["awaiting_review_at_period_end"] += row.awaiting_review

    # 2. Threshold decisions made in the period: each decision is an event.
    rows = db.session.execute(
        sa.select(application.area_id, ThresholdDecision.met, ThresholdDecision.basis, sa.func.count())
        .join(application, ThresholdDecision.application_id == application.id)
        .where(in_area, ThresholdDecision.decided_on.between(period_start, period_end))
        .group_by(application.area_id, ThresholdDecision.met, ThresholdDecision.basis)
    )
    for area_id, met, basis, count in rows:
        figures = result[area_id]
        if met:
            figures["threshold_met"] += count
            if basis is not None:
                figures[f"threshold_met_{DecisionBasis(basis).value}"] += count
        else:
            figures["threshold_not_met"] += count

    # 3. Reviews carried out: meetings held in the period with their outcome recorded.
    has_recommendation = sa.select(Recommendation.id).where(Recommendation.meeting_id == ReviewMeeting.id).exists()
    rows = db.session.execute(
        sa.select(application.area_id, sa.func.count(ReviewMeeting.id), _count(has_recommendation))
        .join(application, ReviewMeeting.application_id == application.id)
        .where(
            in_area,
            ReviewMeeting.held_on.between(period_start, period_end),
            ReviewMeeting.outcome_recorded_at.is_not(None),
        )
        .group_by(application.area_id)
    )
    for area_id, reviews, with_recommendations in rows:
        result[area_id]["reviews_carried_out"] = reviews
        result[area_id]["reviews_with_recommendations"] = with_recommendations

    # 4. Appeals received in the period, and appeals decided in the period by their result.
    received = Appeal.received_on.between(period_start, period_end)
    decided = Appeal.decided_on.between(period_start, period_end)
    rows = db.session.execute(
        sa.select(
            application.area_id,
            _count(received),
            _count(sa.and_(decided, Appeal.decision == AppealDecision.upheld)),
            _count(sa.and_(decided, Appeal.decision == AppealDecision.not_upheld)),
        )
        .join(application, Appeal.application_id == application.id)
        .where(in_area, sa.or_(received, decided))
        .group_by(application.area_id)
    )
    for area_id, appeals_received, upheld, not_upheld in rows:
        result[area_id]["appeals_received"] = appeals_received
        result[area_id]["appeals_upheld"] = upheld
        result[area_id]["appeals_not_upheld"] = not_upheld

    # 5. The Police and Crime Commissioner's reviews: requests received in the period, and outcomes
    # decided in the period by their result (each an event on its own day, like appeals).
    requested = PccReview.requested_on.between(period_start, period_end)
    reviewed = PccReview.decided_on.between(period_start, period_end)
    rows = db.session.execute(
        sa.select(
            application.area_id,
            _count(requested),
            _count(sa.and_(reviewed, PccReview.outcome == PccReviewOutcome.decision_stands)),
            _count(sa.and_(reviewed, PccReview.outcome == PccReviewOutcome.reconsider)),
        )
        .join(application, PccReview.application_id == application.id)
        .where(in_area, sa.or_(requested, reviewed))
        .group_by(application.area_id)
    )
    for area_id, pcc_requested, stands, reconsider in rows:
        result[area_id]["pcc_reviews_requested"] = pcc_requested
        result[area_id]["pcc_reviews_decision_stands"] = stands
        result[area_id]["pcc_reviews_reconsider"] = reconsider

    # 6 and 7. Receipt to the first decision, and to the first review outcome, made in the period.
    # Working days need the bank holidays, so the dates come back and are counted in Python: one row
    # per application decided (or reviewed) in the period, in one query each.
    earlier_decision = shared_alias(ThresholdDecision)
    first_decisions = db.session.execute(
        sa.select(application.area_id, application.received_on, ThresholdDecision.decided_on)
        .join(application, ThresholdDecision.application_id == application.id)
        .where(
            in_area,
            ThresholdDecision.decided_on.between(period_start, period_end),
            ~sa.select(earlier_decision.id)
            .where(
                earlier_decision.application_id == ThresholdDecision.application_id,
                sa.or_(
                    earlier_decision.decided_on < ThresholdDecision.decided_on,
                    sa.and_(
                        earlier_decision.decided_on == ThresholdDecision.decided_on,
                        earlier_decision.id < ThresholdDecision.id,
                    ),
                ),
            )
            .exists(),
        )
    )
    earlier_meeting = shared_alias(ReviewMeeting)
    first_outcomes = db.session.execute(
        sa.select(application.area_id, application.received_on, ReviewMeeting.held_on)
        .join(application, ReviewMeeting.application_id == application.id)
        .where(
            in_area,
            ReviewMeeting.held_on.between(period_start, period_end),
            ReviewMeeting.outcome_recorded_at.is_not(None),
            ~sa.select(earlier_meeting.id)
            .where(
                earlier_meeting.application_id == ReviewMeeting.application_id,
                earlier_meeting.outcome_recorded_at.is_not(None),
                sa.or_(
                    earlier_meeting.held_on < ReviewMeeting.held_on,
                    sa.and_(earlier_meeting.held_on == ReviewMeeting.held_on, earlier_meeting.id < ReviewMeeting.id),
                ),
            )
            .exists(),
        )
    )
    for key, rows in (
        ("median_working_days_to_decision", first_decisions),
        ("median_working_days_to_outcome", first_outcomes),
    ):
        durations: dict[int, list[int]] = {}
        for area_id, received_on, event_on in rows:
            durations.setdefault(area_id, []).append(working_days_between(received_on, event_on))
        for area_id, values in durations.items():
            result[area_id][key] = _median(values)
    return result


def compute_area_figures(area_id: int, period_start: date, period_end: date) -> dict[str, Any]:
    return compute_figures([area_id], period_start, period_end)[area_id]


# --- small reads for the statistics pages (views never query themselves: tests/test_code_shape.py) ----


def job_with_id(job_id: int) -> Any:
    from casework.statistics.models import StatisticsJob

    return db.session.get(StatisticsJob, job_id)


def latest_jobs_for(area_id: int, period_start: date, period_end: date, limit: int = 5) -> list[Any]:
    """The latest compilations of an area's figures for this period, newest first."""
    from casework.statistics.models import StatisticsJob

    return list(
        db.session.scalars(
            sa.select(StatisticsJob)
            .where(
                StatisticsJob.area_id == area_id,
                StatisticsJob.period_start == period_start,
                StatisticsJob.period_end == period_end,
            )
            .order_by(StatisticsJob.id.desc())
            .limit(limit)
        ).all()
    )


def figures_entered_by_hand() -> list[Any]:
    """Historic figures an admin typed in, by area code, period and version."""
    from casework.accounts.models import Area
    from casework.statistics.models import SnapshotSource, StatisticsSnapshot

    return list(
        db.session.scalars(
            sa.select(StatisticsSnapshot)
            .join(Area, Area.id == StatisticsSnapshot.area_id)
            .where(StatisticsSnapshot.source == SnapshotSource.entered_by_hand)
            .order_by(Area.code, StatisticsSnapshot.period_start, StatisticsSnapshot.version)
        ).unique()
    )
