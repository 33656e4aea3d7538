"""Demo statistics: figures of years before the service was used, entered by hand from the seed papers
(idempotent: a year already entered is left alone).

- Bolsover, 2016/17 and 2020/21: the Community Safety Partnership's papers say no applications were
  received in those years, so all four figures are 0.
- North East Derbyshire, 2022/23: the Communities Scrutiny Committee report of 14 April 2023 says there
  were 2 applications and both met the threshold (so none was "not met"). It speaks of "the
  independent Chairs of the reviews" and says action plans were developed for both, so 2 reviews were
  carried out, each with recommendations (the action plan); the chairs found no lessons about the
  partners' earlier work. The note says so, so a reader can weigh it.
- Bolsover's last reporting period that has ended, published by the demo manager from the demo
  records, so the statistics page shows a published version (and the page to withdraw one).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casework.accounts.models import Area
from casework.core.db import commit
from casework.extensions import db
from casework.statistics import services
from casework.statistics.models import SnapshotSource, SnapshotStatus, StatisticsSnapshot

HISTORIC = [
    (
        "BOL",
        2016,
        (0, 0, 0, 0),
        "Bolsover Community Safety Partnership Plan 2017-2020 (Scrutiny Committee, 9 May 2017): "
        '"No applications for Community Trigger '
        'reviews in relation to ASB were received in Bolsover in the 12 month period to March 2017."',
    ),
    (
        "BOL",
        2020,
        (0, 0, 0, 0),
        'Bolsover Healthy Safe Clean & Green Communities Scrutiny Committee, 2 March 2021: "No '
        "applications for Community Trigger reviews in relation to ASB were received in Bolsover in the "
        '12 month period to March 2021."',
    ),
    (
        "NED",
        2022,
        (2, 0, 2, 2),
        "North East Derbyshire Communities Scrutiny Committee, 14 April 2023: 2 Community Trigger "
        'applications in 2022-23, "Both met the Community Trigger threshold". The independent chairs of '
        "the reviews found no lessons about the partners' earlier work; action plans were developed for "
        "both, counted here as reviews with recommendations.",
    ),
]


def load_historic_statistics(_password: str) -> None:
    areas = {a.code: a for a in db.session.scalars(sa.select(Area))}
    for code, year, (applications, not_met, reviews, with_recommendations), note in HISTORIC:
        area = areas.get(code)
        if area is None:
            continue
        period_start, period_end = date(year, 4, 1), date(year + 1, 3, 31)
        exists = db.session.scalar(
            sa.select(StatisticsSnapshot.id).where(
                StatisticsSnapshot.area_id == area.id,
                StatisticsSnapshot.period_start == period_start,
                StatisticsSnapshot.period_end == period_end,
                StatisticsSnapshot.source == SnapshotSource.entered_by_hand,
            )
        )
        if exists is None:
            services.enter_historic(
                None,
                area,
                period_start,
                period_end,
                {
                    "applications": applications,
                    "threshold_not_met": not_met,
                    "reviews_carried_out": reviews,
                    "reviews_with_recommendations": with_recommendations,
                },
                note,
            )
    commit()


def publish_last_period(_password: str) -> None:
    from casework.accounts.models import User
    from casework.core.time import today
    from casework.demo import DEMO_DOMAIN

    area = db.session.scalar(sa.select(Area).where(Area.code == "BOL"))
    manager = db.session.scalar(sa.select(User).where(User.email == f"manager@{DEMO_DOMAIN}"))
    if area is None or manager is None:
        return
    period_start, period_end = services.last_ended_reporting_period(area, today())
    published = db.session.scalar(
        sa.select(StatisticsSnapshot.id).where(
            StatisticsSnapshot.area_id == area.id,
            StatisticsSnapshot.period_start == period_start,
            StatisticsSnapshot.period_end == period_end,
            StatisticsSnapshot.status == SnapshotStatus.published,
        )
    )
    if published is None:
        services.publish(manager, area, period_start, period_end)
        commit()
