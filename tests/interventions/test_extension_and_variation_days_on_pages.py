"""The page forms record the day a closure order (s.84) or a PSPO (s.66) was extended or varied, as the
API does (``extended_on``, ``varied_on``): the time to appeal runs again from it. Each is an optional
GOV.UK date input, today when left empty, refused with a clear message and nothing written when it is
in the future or before the order was made."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from casework.extensions import db
from casework.interventions.models import Intervention, InterventionStatus
from tests.interventions.world import world  # noqa: F401

TODAY = "2026-12-01T12:00:00+00:00"

#: Each kind that can be extended or varied: how it is made, and two later end dates it can be given.
ORDERS = {
    "closure_order": (
        {"issued_on": "2026-11-20", "ends_on": "2027-02-19", "location": "1 Station Road"},
        (date(2027, 5, 1), date(2027, 5, 10)),
    ),
    "pspo": (
        {"issued_on": "2026-01-10", "ends_on": "2029-01-09", "location": "The park"},
        (date(2030, 1, 9), date(2031, 1, 1)),
    ),
}


def _parts(name: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {f"{name}-day": "", f"{name}-month": "", f"{name}-year": ""}
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def _stored(intervention_id: int) -> Intervention:
    db.session.expire_all()
    return db.session.get(Intervention, intervention_id)


def _order(world: Any, api_client: Any, kind: str) -> Intervention:  # noqa: F811
    body, _ends = ORDERS[kind]
    created = api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/interventions", json={"kind": kind, **body}
    )
    assert created.status_code == 201, created.get_json()
    return _stored(created.get_json()["id"])


@pytest.mark.parametrize("kind", sorted(ORDERS))
def test_the_extend_form_records_the_day_of_the_extension(world, api_client, page_client, kind):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        order = _order(world, api_client, kind)
        first_end, second_end = ORDERS[kind][1]
        client = page_client(world.officer)
        assert 'name="extended_on-day"' in client.get(f"/interventions/{order.id}").get_data(as_text=True)

        def extend(ends_on: date, extended_on: date | None) -> Any:
            return client.post(
                f"/interventions/{order.id}/extend",
                data={**_parts("ends_on", ends_on), **_parts("extended_on", extended_on)},
            )

        for day, message in (
            (date(2026, 12, 2), "The date the extension was made must be today or in the past"),
            (
                order.issued_on.replace(day=order.issued_on.day - 1),
                "The extension cannot be before the order was made.",
            ),
        ):
            refused = extend(first_end, day)
            assert refused.status_code == 422
            assert message in refused.get_data(as_text=True)
            # Nothing written: the end date and the day are as they were.
            assert (_stored(order.id).ends_on, _stored(order.id).extended_on) == (order.ends_on, None)

        made = date(2026, 11, 25) if kind == "closure_order" else date(2026, 11, 1)
        assert extend(first_end, made).status_code == 302
        assert (_stored(order.id).ends_on, _stored(order.id).extended_on) == (first_end, made)
        # Left empty: today, as the API.
        assert extend(second_end, None).status_code == 302
        assert (_stored(order.id).ends_on, _stored(order.id).extended_on) == (second_end, date(2026, 12, 1))


@pytest.mark.parametrize("kind", sorted(ORDERS))
def test_the_status_form_records_the_day_of_the_variation(world, api_client, page_client, kind):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        order = _order(world, api_client, kind)
        client = page_client(world.officer)
        assert 'name="varied_on-day"' in client.get(f"/interventions/{order.id}").get_data(as_text=True)

        def mark_varied(varied_on: date | None) -> Any:
            return client.post(
                f"/interventions/{order.id}/status",
                data={"status": "varied", "version": _stored(order.id).version, **_parts("varied_on", varied_on)},
            )

        for day, message in (
            (date(2026, 12, 2), "The date it was varied must be today or in the past"),
            (
                order.issued_on.replace(day=order.issued_on.day - 1),
                "Give the day of the variation when marking it varied, on or after its issue.",
            ),
        ):
            refused = mark_varied(day)
            assert refused.status_code == 422
            assert message in refused.get_data(as_text=True)
            assert (_stored(order.id).status, _stored(order.id).varied_on) == (InterventionStatus.issued, None)

        # Left empty: today, as the API; given again with the status already varied, the day is corrected.
        assert mark_varied(None).status_code == 302
        assert (_stored(order.id).status, _stored(order.id).varied_on) == (InterventionStatus.varied, date(2026, 12, 1))
        assert mark_varied(date(2026, 11, 24)).status_code == 302
        assert _stored(order.id).varied_on == date(2026, 11, 24)
