"""Published snapshots never change; the scheduled compilation after a period ends; the beat entry."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.statistics import services
from casework.statistics.models import PublishedSnapshotChanged, SnapshotStatus, StatisticsJob, StatisticsSnapshot


@pytest.fixture
def published(area_staff, records):
    staff = area_staff("BOL")
    records.application(staff["area"], date(2025, 6, 2))
    with time_machine.travel(date(2026, 4, 1)):
        snapshot = services.publish(staff["manager"], staff["area"], date(2025, 4, 1), date(2026, 3, 31))
    db.session.commit()
    return snapshot


def test_the_service_refuses_to_change_a_published_snapshot(published):
    published.figures = {**published.figures, "applications": 99}
    with pytest.raises(PublishedSnapshotChanged):
        db.session.flush()
    db.session.rollback()


def test_the_service_refuses_to_delete_a_published_snapshot(published):
    db.session.delete(published)
    with pytest.raises(PublishedSnapshotChanged):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE statistics_snapshots SET note = 'rewritten' WHERE id = :id",
        "DELETE FROM statistics_snapshots WHERE id = :id",
    ],
)
def test_the_database_refuses_to_change_a_published_snapshot(published, statement):
    snapshot_id = published.id
    with pytest.raises(sa.exc.DBAPIError, match="immutable"), db.session.begin_nested():
        db.session.execute(sa.text(statement), {"id": snapshot_id})
    db.session.expire_all()
    assert db.session.get(StatisticsSnapshot, snapshot_id).note is None


def test_drafts_may_be_tidied_away(area_staff):
    staff = area_staff("BOL")
    draft = services.compile(staff["coordinator"], staff["area"], date(2025, 4, 1), date(2026, 3, 31))
    db.session.commit()
    draft_id = draft.id
    db.session.execute(sa.text("DELETE FROM statistics_snapshots WHERE id = :id"), {"id": draft_id})
    assert db.session.scalar(sa.select(sa.func.count()).where(StatisticsSnapshot.id == draft_id)) == 0


def test_compile_ended_periods_compiles_each_area_once_after_the_year_ends(make, records):
    from casework.statistics.tasks import compile_ended_periods

    bolsover, ned = make.area("BOL"), make.area("NED")
    records.application(bolsover, date(2026, 3, 31))
    records.application(bolsover, date(2026, 4, 1))
    db.session.commit()

    with time_machine.travel(date(2026, 3, 31)):
        services.compile(None, bolsover, date(2025, 4, 1), date(2026, 3, 31))  # before the end: no matter
        db.session.commit()
    with time_machine.travel(date(2026, 4, 1)):
        assert compile_ended_periods.apply().get() == 2
    with time_machine.travel(date(2026, 4, 2)):
        assert compile_ended_periods.apply().get() == 0  # once only
    db.session.expire_all()
    drafts = db.session.scalars(
        sa.select(StatisticsSnapshot).where(StatisticsSnapshot.compiled_by_id.is_(None)).order_by(StatisticsSnapshot.id)
    ).all()
    after_end = [d for d in drafts if d.compiled_at.date() >= date(2026, 4, 1)]
    assert {(d.area_id, d.period_start, d.period_end, d.status) for d in after_end} == {
        (bolsover.id, date(2025, 4, 1), date(2026, 3, 31), SnapshotStatus.draft),
        (ned.id, date(2025, 4, 1), date(2026, 3, 31), SnapshotStatus.draft),
    }
    assert next(d for d in after_end if d.area_id == bolsover.id).figures["applications"] == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatisticsJob)) == 2


def test_the_daily_beat_entry_is_registered(app):
    from celery.schedules import crontab

    from casework.core.registry import registry

    entry = registry(app).beat_schedule["statistics.compile_ended_periods"]
    assert entry["task"] == "statistics.compile_ended_periods"
    assert isinstance(entry["schedule"], crontab)
    celery = app.extensions["celery"]
    assert "statistics.compile_ended_periods" in celery.conf.beat_schedule
    assert {"statistics.compile", "statistics.compile_ended_periods"} <= set(celery.tasks)


def test_financial_years():
    assert services.financial_year(date(2026, 3, 31)) == (date(2025, 4, 1), date(2026, 3, 31))
    assert services.financial_year(date(2026, 4, 1)) == (date(2026, 4, 1), date(2027, 3, 31))
    assert services.last_ended_financial_year(date(2026, 4, 1)) == (date(2025, 4, 1), date(2026, 3, 31))
    assert services.last_ended_financial_year(date(2026, 3, 31)) == (date(2024, 4, 1), date(2025, 3, 31))
    assert services.period_name(date(2016, 4, 1), date(2017, 3, 31)) == "2016/17"
    assert services.period_name(date(2024, 1, 1), date(2024, 12, 31)) == "1 January 2024 to 31 December 2024"
