"""Recording that a victim was told of their right to a Case Review does the same through the tell page
and through the API: the same email (exactly one, when asked for), the same wording kept on the
entry, the same refusal when there is no address to email."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.notifications.models import OutboxEmail
from tests.threshold_watch.test_watch import entry_of, report

ROUTES = ("page", "api")


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def _tell(route: str, world: Any, page_client: Any, api_client: Any, **answer: Any) -> Any:
    """Record on ``route`` that the victim was told on 20 November, with ``method`` and ``send_email``."""
    method, send_email = answer["method"], answer.get("send_email", False)
    if route == "api":
        body: dict[str, Any] = {"told_on": "2026-11-20", "method": method}
        if send_email:
            body["send_email"] = True
        return api_client(world.officer).post(f"/api/v1/threshold-watch/{world.victim.id}/told", json=body)
    entry = entry_of(world.victim)
    assert entry is not None
    form = {"told_on-day": "20", "told_on-month": "11", "told_on-year": "2026", "method": method}
    if send_email:
        form["send_email"] = "y"
    return page_client(world.officer).post(f"/threshold-watch/{entry.id}/tell", data=form)


def _victim_meets_the_threshold(world: Any, email: str | None) -> None:
    world.victim.email = email
    db.session.commit()
    for day in (date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15)):
        report(world, world.case, world.victim, day, world.council)


def _emails_to(address: str) -> list[OutboxEmail]:
    return list(db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == address)))


@pytest.mark.parametrize("route", ROUTES)
def test_told_with_the_email_sends_exactly_one_on_either_route(route, world, page_client, api_client):
    _victim_meets_the_threshold(world, "vera@example.org")
    answer = _tell(route, world, page_client, api_client, method="email", send_email=True)
    assert answer.status_code in (200, 302), answer.get_data(as_text=True)
    [sent] = _emails_to("vera@example.org")
    assert "Case Review" in sent.body_text
    entry = entry_of(world.victim)
    assert entry is not None
    assert entry.told_on == date(2026, 11, 20)
    assert entry.told_subject == sent.subject
    assert entry.told_text == sent.body_text


@pytest.mark.parametrize("route", ROUTES)
def test_told_by_letter_keeps_the_wording_and_sends_nothing_on_either_route(route, world, page_client, api_client):
    _victim_meets_the_threshold(world, "vera@example.org")
    answer = _tell(route, world, page_client, api_client, method="letter")
    assert answer.status_code in (200, 302), answer.get_data(as_text=True)
    assert _emails_to("vera@example.org") == []
    entry = entry_of(world.victim)
    assert entry is not None
    assert "Case Review" in (entry.told_text or "")


@pytest.mark.parametrize("route", ROUTES)
def test_the_email_asked_for_without_an_address_is_refused_on_either_route(route, world, page_client, api_client):
    _victim_meets_the_threshold(world, None)
    answer = _tell(route, world, page_client, api_client, method="email", send_email=True)
    assert answer.status_code == 422
    assert "There is no email address on their record" in answer.get_data(as_text=True)
    entry = entry_of(world.victim)
    assert entry is not None
    assert entry.told_on is None
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0
