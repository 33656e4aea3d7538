"""What the Case Review's services share: the audited fields, and small checks and helpers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from casework.audit.services import record_change, snapshot
from casework.community_triggers.models import (
    ApplicationStatus,
    TriggerApplication,
)
from casework.core.errors import Conflict, InvalidInput, RuleViolation
from casework.core.permissions import Role
from casework.core.time import now, today

APPLICATION_AUDIT_FIELDS = (
    "reference",
    "status",
    "received_on",
    "channel",
    "applicant_role",
    "consent_given",
    "consent_not_needed_reason",
    "acknowledged_on",
    "screened_out_on",
    "screened_out_reason",
    "withdrawn_on",
    "withdrawal_reason",
    "earlier_applications",
    "repeat_handling",
)
MEETING_AUDIT_FIELDS = (
    "scheduled_on",
    "chair_id",
    "location",
    "agenda",
    "victim_invited",
    "victim_not_invited_reason",
    "papers_sent_on",
    "held_on",
    "minutes",
    "proportionality_assessment",
    "outcome",
    "victim_consulted_on",
    "victim_consultation_notes",
    "victim_not_consulted_reason",
    "held_early_reason",
    "outcome_letter_sent_on",
)
#: Roles emailed when an application is received (the single point of contact duty, s.104(3)).
NOTIFIED_ROLES = (Role.coordinator, Role.manager)
#: Statuses after which nothing more happens to the application.
FINAL_STATUSES = {ApplicationStatus.withdrawn, ApplicationStatus.screened_out, ApplicationStatus.closed}


# --- small helpers -----------------------------------------------------------------------------------


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def event_date_errors(
    value: date | None, field: str, label: str, *, not_before: Iterable[tuple[date | None, str]] = ()
) -> dict[str, list[str]]:
    """An event that has happened is not in the future nor before what it follows."""
    if value is None:
        return {field: [f"Enter the date {label}."]}
    if value > today():
        return {field: [f"The date {label} cannot be in the future."]}
    for earlier, earlier_label in not_before:
        if earlier is not None and value < earlier:
            return {field: [f"The date {label} cannot be before {earlier_label} ({_long(earlier)})."]}
    return {}


def sends_letters(event_on: date | None, send_letter: bool | None) -> bool:
    """Whether a step sends its letter or emails: an event dated today does, unless the
    user says not; one dated before today is past work entered late and is recorded only, unless the
    user asks for the letter (``send_letter: true``)."""
    if send_letter is not None:
        return bool(send_letter)
    return event_on is not None and event_on >= today()


def _check_event_date(value: date | None, field: str, label: str, **kwargs: Any) -> None:
    errors = event_date_errors(value, field, label, **kwargs)
    if errors:
        raise InvalidInput(errors)


def check_version(obj: Any, expected_version: int | None) -> None:
    """Optimistic locking for a caller that read ``obj`` earlier (409 when it changed since)."""
    if expected_version is not None and expected_version != obj.version:
        raise Conflict("The record changed since you read it. Fetch it again.")


def _clean(value: Any) -> str | None:
    """Trimmed text, or None when blank."""
    return (str(value).strip() or None) if value is not None else None


def _require_text(value: str | None, field: str, message: str) -> str:
    if value is None or not str(value).strip():
        raise InvalidInput({field: [message]})
    return str(value).strip()


def _audit_application(
    actor: Any, application: TriggerApplication, before: dict[str, Any], summary: str, event_on: date | None = None
) -> None:
    record_change(
        actor, application, before, snapshot(application, APPLICATION_AUDIT_FIELDS), summary, event_on=event_on
    )


def _touch(application: TriggerApplication) -> None:
    """Bump the application's version when a change is made only to its child records, so a client
    holding the old version gets a 409."""
    application.updated_at = now()


def _require_status(application: TriggerApplication, allowed: set[ApplicationStatus], action: str) -> None:
    if application.status not in allowed:
        raise RuleViolation(f"You cannot {action}: the application is {application.status.value.replace('_', ' ')}.")
