"""Times typed in London's local time on the nights the clocks change.

``core.time.london_time`` turns a day and a time on London's clocks into a moment: a time the clocks
skipped (1am to 1:59am on the last Sunday of March) never happened and is refused with a message saying
so; it used to be taken silently as GMT, an hour later on the clock than what was typed (a closure
notice served at "1:30am" on 29 March 2026 was stored as 2:30am BST, and its 48 hours and its hearing
counted from then). A time the clocks showed twice (1am to 1:59am on the last Sunday of October) is the
first, in summer time. Every typed time goes through it: an intervention's time of issue, service,
extension, review and hearing on the pages, and a time in an imported spreadsheet.

A time of issue that is not a time at all ("banana") answered 500 on the closure notice and dispersal
forms (``InterventionForm.to_data`` raised a ValueError the view took for the name of a field).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from casework.core.time import london_time
from casework.extensions import db
from casework.interventions.models import Intervention

SPRING = [date(2026, 3, 29), date(2027, 3, 28)]
AUTUMN = [date(2026, 10, 25), date(2027, 10, 31)]


def _quarters() -> list[time]:
    return [time(hour, minute) for hour in range(4) for minute in (0, 15, 30, 45)]


@pytest.mark.parametrize("day", SPRING, ids=str)
def test_the_hour_the_clocks_skip_is_refused_and_the_others_are_exact(day):
    for at in _quarters():
        typed = datetime.combine(day, at)
        if at.hour == 1:
            with pytest.raises(ValueError, match="the clocks went forward"):
                london_time(day, at)
            continue
        offset = timedelta(hours=0 if at.hour < 1 else 1)
        assert london_time(day, at).astimezone(UTC) == (typed - offset).replace(tzinfo=UTC), at


@pytest.mark.parametrize("day", AUTUMN, ids=str)
def test_the_hour_the_clocks_repeat_is_the_first_in_summer_time(day):
    for at in _quarters():
        typed = datetime.combine(day, at)
        offset = timedelta(hours=1 if at.hour < 2 else 0)
        assert london_time(day, at).astimezone(UTC) == (typed - offset).replace(tzinfo=UTC), at


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("29/03/2026 01:30", None),
        ("2026-03-29 01:30", None),
        ("28/03/2027 01:00", None),
        ("29/03/2026 00:59", datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        ("29/03/2026 02:00", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        ("2026-03-29T01:30:00+00:00", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # its own offset: exact
        ("25/10/2026 01:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("25/10/2026 02:30", datetime(2026, 10, 25, 2, 30, tzinfo=UTC)),
    ],
)
def test_a_spreadsheet_time_on_the_nights_the_clocks_change(cell, expected):
    from casework.spreadsheets.columns import CellProblem, event_datetime

    if expected is None:
        with pytest.raises(CellProblem, match="the clocks went forward"):
            event_datetime(cell, "Time of the call")
    else:
        assert event_datetime(cell, "Time of the call").astimezone(UTC) == expected


def _parts(name: str, day: date) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


@pytest.fixture
def no_propagation(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


@pytest.mark.parametrize(
    ("typed", "message"),
    [("banana", "Enter a time like 14:30 or 2:30pm"), ("1:30am", "There was no 1:30am on 29 March 2026 in the UK")],
)
@pytest.mark.parametrize("kind", ["closure_notice", "dispersal"])
def test_a_time_of_issue_that_is_no_time_is_a_form_error(world, page_client, no_propagation, kind, typed, message):
    with time_machine.travel("2026-04-01T12:00:00+00:00", tick=False):
        answer = page_client(world.officer).post(
            f"/cases/{world.case.id}/interventions/new/{kind}",
            data={**_parts("issued_on", date(2026, 3, 29)), "issued_time": typed, "location": "12 High Street"},
        )
    assert answer.status_code == 422, answer.status_code
    assert message in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Intervention.id))) == 0


def _issued(client, world, kind: str) -> Intervention:
    answer = client.post(
        f"/cases/{world.case.id}/interventions/new/{kind}",
        data={
            **_parts("issued_on", date(2026, 3, 28)),
            "issued_time": "11pm",
            "location": "12 High Street",
            **({"subject_person_id": str(world.adult.id), "duration_hours": "24"} if kind == "dispersal" else {}),
        },
    )
    assert answer.status_code == 302, re.findall(r"Error:</span>(.*?)</", answer.get_data(as_text=True), re.S)
    return db.session.scalar(sa.select(Intervention).where(Intervention.kind == kind))


def test_every_other_typed_time_refuses_the_hour_the_clocks_skip(world, page_client, no_propagation):
    with time_machine.travel("2026-04-01T12:00:00+00:00", tick=False):
        client = page_client(world.officer)
        closure, dispersal = _issued(client, world, "closure_notice"), _issued(client, world, "dispersal")
        answer = client.post(
            f"/cases/{world.case.id}/interventions/new/cpw",
            data={
                "subject_person_id": str(world.adult.id),
                **_parts("issued_on", date(2026, 3, 28)),
                **_parts("comply_by", date(2026, 4, 28)),
            },
        )
        assert answer.status_code == 302, re.findall(r"Error:</span>(.*?)</", answer.get_data(as_text=True), re.S)
        warning = db.session.scalar(sa.select(Intervention).where(Intervention.kind == "cpw"))
        db.session.commit()
        before = {
            (intervention.id, name): getattr(intervention, name)
            for intervention in (closure, dispersal, warning)
            for name in ("issued_at", "served_at", "key_dates")
        }
        skipped = {
            "extension": client.post(
                f"/interventions/{closure.id}/extension-notice",
                data={**_parts("extended_on", date(2026, 3, 29)), "extended_time": "1:30am", "hours": "12"},
            ),
            "review": client.post(
                f"/interventions/{dispersal.id}/reviews",
                data={**_parts("reviewed_on", date(2026, 3, 29)), "reviewed_time": "1:30am", "outcome": "continues"},
            ),
            "hearing": client.post(
                f"/interventions/{closure.id}/notice",
                data={
                    "recipient_name": "Occupier",
                    "recipient_address": "12 High Street",
                    **_parts("hearing_on", date(2026, 3, 29)),
                    "hearing_time": "1:30am",
                    "court": "Chesterfield Magistrates' Court",
                    "method": "by_hand",
                },
            ),
            "service": client.post(
                f"/interventions/{warning.id}/notice",
                data={
                    "recipient_name": "Adam Adult",
                    "recipient_address": "1 Low Street",
                    "conduct": "Shouting at night",
                    **_parts("served_on", date(2026, 3, 29)),
                    "served_time": "1:30am",
                    "method": "by_hand",
                },
            ),
        }
    wrong = {
        name: (answer.status_code, re.findall(r"Error:</span>(.*?)</", answer.get_data(as_text=True), re.S))
        for name, answer in skipped.items()
        if answer.status_code != 422 or "the clocks went forward" not in answer.get_data(as_text=True)
    }
    assert wrong == {}
    db.session.expire_all()
    after = {
        (intervention.id, name): getattr(db.session.get(Intervention, intervention.id), name)
        for intervention in (closure, dispersal, warning)
        for name in ("issued_at", "served_at", "key_dates")
    }
    assert after == before
