from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from tests.interventions.world import world  # noqa: F401  (deadlines on cases some readers may not see)


@pytest.fixture
def at():
    """``with at(2026, 4, 1, 6, 0): ...``: the clock stands still at that UTC time."""

    def travel(*parts: int) -> Any:
        return time_machine.travel(datetime(*parts, tzinfo=UTC), tick=False)

    return travel


@pytest.fixture
def deadline(make: Any):
    """``deadline(owner, due=date, title=..., **kwargs)``: a committed open Deadline row."""
    from casework.extensions import db
    from casework.reminders.services import set_deadline

    counter = iter(range(1, 10_000))

    def create(
        owner: Any, due: date | datetime, title: str = "Acknowledge application BOL-CT-2026-0001", **kwargs: Any
    ) -> Any:
        n = next(counter)
        row = set_deadline(
            subject_type=kwargs.pop("subject_type", "test_subjects"),
            subject_id=kwargs.pop("subject_id", n),
            kind=kwargs.pop("kind", "test.due"),
            title=title,
            due=due,
            owner_id=owner.id if owner is not None else None,
            area_id=kwargs.pop("area_id", None),
            case_id=kwargs.pop("case_id", None),
            link=kwargs.pop("link", f"/triggers/{n}"),
            **kwargs,
        )
        db.session.commit()
        return row

    return create
