"""A demo tasking meeting in Bolsover (the council and the police attend): last week's meeting with its
minutes published, and next week's with its agenda built, carrying forward the action still open.

Idempotent: nothing is loaded when the series exists. No email is sent for the demo minutes.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.accounts.models import Agency, Area
from casework.cases.models import Case
from casework.core.db import commit, utcnow
from casework.core.time import today
from casework.demo import DEMO_DOMAIN
from casework.extensions import db
from casework.tasking import services
from casework.tasking.models import AttendanceStatus, MeetingStatus, TaskingSeries

SERIES_NAME = "Bolsover ASB tasking"


def load_tasking(_password: str) -> None:
    coordinator = accounts.find_user_by_email(f"coordinator@{DEMO_DOMAIN}")
    partner = accounts.find_user_by_email(f"partner@{DEMO_DOMAIN}")
    area = db.session.scalar(sa.select(Area).where(Area.code == "BOL"))
    police = db.session.scalar(sa.select(Agency).where(Agency.code == "DERPOL"))
    if coordinator is None or partner is None or area is None or police is None:
        return
    if db.session.scalar(sa.select(TaskingSeries.id).where(TaskingSeries.name == SERIES_NAME)) is not None:
        return
    series = services.create_series(
        coordinator, area=area, name=SERIES_NAME, interval_days=7, agencies=[coordinator.agency, police]
    )
    last_week = services.schedule_meeting(coordinator, series, today() - timedelta(days=7))
    harassment = db.session.scalar(sa.select(Case).where(Case.summary.startswith("Margaret Holmes is harassed")))
    if harassment is not None:
        item = next((i for i in last_week.items if i.case_id == harassment.id), None)
        if item is None:
            item = services.add_case(coordinator, last_week, harassment.reference)
        services.record_item(
            coordinator,
            last_week,
            item,
            discussion="Youths still gathering outside 14 Station Road most evenings; the victim is afraid to go out.",
            decisions="Joint patrols on Friday and Saturday evenings; review at the next meeting.",
        )
        services.allocate_action(
            coordinator,
            last_week,
            item,
            harassment,
            description="Joint patrols on Station Road, Friday and Saturday evenings",
            agency_id=police.id,
            assignee_id=partner.id,
            due_on=today() + timedelta(days=5),
        )
    services.record_attendance(
        coordinator,
        last_week,
        {
            coordinator.agency_id: (AttendanceStatus.attended.value, coordinator.id),
            police.id: (AttendanceStatus.attended.value, partner.id),
        },
    )
    # Published without the emails: demo users have no real mailboxes.
    last_week.status = MeetingStatus.held
    last_week.minutes_published_at = utcnow()
    db.session.flush()
    services.schedule_next(coordinator, last_week)
    commit()
