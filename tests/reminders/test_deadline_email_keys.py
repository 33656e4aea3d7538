"""The keys of a deadline's reminder and escalation, built once (``deadline_email_key``) from the kinds
the code lists (``DEADLINE_EMAILS``), are the keys the outbox already holds rows under: a key queued
again finds its message, so a change of their form would send every waiting reminder a second time."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from casework.notifications.services import replacement_key
from casework.reminders.services import DEADLINE_EMAILS, _deadline_email_kind, deadline_email_key


def test_the_kinds_are_the_reminder_and_the_escalation() -> None:
    assert DEADLINE_EMAILS == ("reminder", "escalation")


def test_each_kind_keeps_the_key_it_had() -> None:
    row: Any = SimpleNamespace(id=42, due_at=datetime(2026, 3, 9, 23, 0, tzinfo=UTC))
    recipient: Any = SimpleNamespace(id=7)
    assert deadline_email_key("reminder", row, recipient) == "reminder:42:2026-03-09T23:00:00+00:00:7"
    assert deadline_email_key("escalation", row, recipient) == "escalation:42:2026-03-09T23:00:00+00:00:7"


def test_a_key_is_read_back_as_its_kind_a_replacement_too() -> None:
    row: Any = SimpleNamespace(id=42, due_at=datetime(2026, 3, 9, 23, 0, tzinfo=UTC))
    recipient: Any = SimpleNamespace(id=7)
    for kind in DEADLINE_EMAILS:
        key = deadline_email_key(kind, row, recipient)
        assert _deadline_email_kind(key) == kind
        withdrawn: Any = SimpleNamespace(idempotency_key=key, id=3)
        assert _deadline_email_kind(replacement_key(withdrawn)) == kind
    assert _deadline_email_kind("digest:7:2026-03-09") is None
    assert _deadline_email_kind("reminders:42:2026-03-09T23:00:00+00:00:7") is None
