"""The fields of people and cases, and how their values are normalised and checked."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from casework.cases.policies import (
    LEAD_AGENCY_ROLES,
)
from casework.core.lifecycle import REMOVED
from casework.core.time import today

#: The second-report rule's window (statutory guidance, July 2025): six months beginning with the first.
SECOND_REPORT_MONTHS = 6
EXPLAIN_KIND = "case.explain_case_review"
ANONYMISED = REMOVED

PERSON_FIELDS = (
    "kind",
    "name",
    "date_of_birth",
    "address",
    "postcode",
    "email",
    "phone",
    "is_personally_vulnerable",
    "personal_vulnerability_notes",
    "is_situationally_vulnerable",
    "situational_vulnerability_notes",
    "is_incidentally_vulnerable",
    "incidental_vulnerability_notes",
    "consent_given",
    "consent_on",
    "consent_scope",
)
CASE_FIELDS = (
    "category",
    "summary",
    "location",
    "owner_id",
    "is_restricted",
    "status",
    "opened_on",
    "closure_reason",
    "closed_on",
)


# --- normalising -------------------------------------------------------------------------------------


def normalise_name(name: str) -> str:
    """Lower-case with runs of spaces collapsed (names compare this way)."""
    return " ".join(name.lower().split())


def normalise_postcode(postcode: str | None) -> str | None:
    """``s44 6nr`` -> ``S44 6NR``: upper case, one space before the inward code."""
    if not postcode:
        return None
    compact = "".join(postcode.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def normalise_address(address: str | None, postcode: str | None) -> str | None:
    """Address and postcode without case, punctuation or repeated spaces: ``12 High St.`` matches
    ``12 high st``."""
    if not address:
        return None
    text = re.sub(r"[^\w\s]", " ", address.lower())
    text = " ".join(text.split())
    if postcode:
        text = f"{text} {''.join(postcode.split()).lower()}"
    return text[:520]


def check_past(errors: dict[str, list[str]], field: str, value: date | None, what: str) -> None:
    if value is not None and value > today():
        errors.setdefault(field, []).append(f"{what} cannot be in the future")


def check_event_day(errors: dict[str, list[str]], field: str, value: date | None, what: str) -> None:
    """The date of something that happened is not before 1900 nor in the future."""
    if value is not None and value.year < 1900:
        errors.setdefault(field, []).append(f"{what} must be in 1900 or later")
    check_past(errors, field, value, what)


def can_work_in_lead_role(user: Any) -> bool:
    return any(user.has_role(r) for r in LEAD_AGENCY_ROLES)
