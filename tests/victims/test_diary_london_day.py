"""A diary entry written just after midnight in London (23:00 to 00:00 UTC in summer) is reported on
its London day, not the UTC day before.

``victims.services.accept_entry`` took the complaint's ``reported_on`` from ``created_at.date()``, the
UTC day: an entry written at 00:30 BST on 15 July was recorded as reported on 14 July, a day earlier
than it was, which can make a complaint qualify that was reported a day too late (the one month
beginning with the behaviour). Every moment becomes a day through ``casework.core.time.london_day``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
import time_machine

from casework.cases.models import Complaint
from casework.extensions import db
from casework.victims.models import DiaryEntry
from tests.victims.test_victim_page import _add_entry, _sign_in, _switch_on


@pytest.mark.parametrize(
    ("written_at", "reported_on"),
    [
        # 00:30 BST on 15 July 2026: the UTC day is 14 July.
        (datetime(2026, 7, 14, 23, 30, tzinfo=UTC), date(2026, 7, 15)),
        # 23:30 BST on 14 July 2026: the same day either way.
        (datetime(2026, 7, 14, 22, 30, tzinfo=UTC), date(2026, 7, 14)),
        # 00:30 GMT on 15 January 2027: London is UTC.
        (datetime(2027, 1, 15, 0, 30, tzinfo=UTC), date(2027, 1, 15)),
    ],
)
def test_an_accepted_diary_entry_is_reported_on_the_london_day_it_was_written(
    app, page_client, world, written_at, reported_on
):
    with time_machine.travel(written_at, tick=False):
        assert _switch_on(page_client(world.officer), world).status_code == 302
        victim = _sign_in(app)
        happened = {"happened_on-day": "10", "happened_on-month": str(written_at.month), "happened_on-year": "2026"}
        if written_at.year == 2027:
            happened["happened_on-year"] = "2027"
        assert _add_entry(victim, world.case.id, **happened).status_code == 302
        entry = db.session.scalar(sa.select(DiaryEntry))
        # The row's time is the database's clock, not the travelled one.
        entry.created_at = written_at
        db.session.commit()
        assert page_client(world.officer).post(f"/cases/{world.case.id}/diary/{entry.id}/accept").status_code == 302
    db.session.expire_all()
    [complaint] = db.session.scalars(sa.select(Complaint)).all()
    assert complaint.reported_on == reported_on


def test_no_module_takes_the_utc_day_of_a_stored_moment() -> None:
    """Moments are stored in UTC; their day is ``london_day(moment)``. ``created_at.date()`` (or the day
    of ``now()``/``utcnow()``) is the UTC day, a day early between midnight and 01:00 in summer."""
    import re
    from pathlib import Path

    import casework

    utc_day = re.compile(r"(_at|\bnow\(\)|\butcnow\(\))\)?\.date\(\)")
    root = Path(casework.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if utc_day.search(line)
    ]
    assert not offenders, offenders
