"""The daily beat tasks (the managers' digest at 07:00, the night's compilations and clean-ups at 02:30
to 03:45, London time) run once on each day, at their London hour, over the four nights the clocks
change in 2026 and 2027 (Celery's crontab in Europe/London has had bugs there: tasks an hour late after
the change, run twice, or skipped). Beat is polled every five minutes with the clock set. None is
scheduled between 1am and 2am, the hour the clocks skip or repeat."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from celery.schedules import crontab

from casework.core.time import LONDON

NIGHTS = [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)]


def _daily(app: Any) -> dict[str, crontab]:
    from casework.core.registry import registry

    return {
        name: entry["schedule"]
        for name, entry in registry(app).beat_schedule.items()
        if isinstance(entry["schedule"], crontab) and len(entry["schedule"].hour) == 1
    }


def test_no_daily_task_runs_in_the_hour_the_clocks_change(app):
    daily = _daily(app)
    assert daily, "no daily beat task found"
    assert {name for name, schedule in daily.items() if 1 in schedule.hour} == set()


@pytest.mark.parametrize("night", NIGHTS, ids=str)
def test_each_daily_task_runs_once_a_day_at_its_london_hour(app, night):
    celery = app.extensions["celery"]
    wrong = {}
    for name, schedule in _daily(app).items():
        schedule = crontab(minute=schedule.minute, hour=schedule.hour, app=celery)
        (hour,), minutes = schedule.hour, sorted(schedule.minute)
        moment = datetime.combine(night - timedelta(days=2), datetime.min.time(), tzinfo=UTC)
        last_run = moment
        runs = []
        while moment < datetime.combine(night + timedelta(days=2), datetime.min.time(), tzinfo=UTC):
            schedule.nowfun = lambda moment=moment: moment
            if schedule.is_due(last_run).is_due:
                runs.append(moment.astimezone(LONDON).replace(tzinfo=None))
                last_run = moment
            moment += timedelta(minutes=5)
        expected = [
            datetime.combine(night + timedelta(days=offset), datetime.min.time()).replace(hour=hour, minute=minute)
            for offset in (-1, 0, 1)
            for minute in minutes
        ]
        if [run for run in runs if run.date() >= night - timedelta(days=1)] != expected:
            wrong[name] = runs
    assert wrong == {}
