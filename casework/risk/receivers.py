"""The risk domain's part in the lifecycle of a case (``casework.core.lifecycle``)."""

from __future__ import annotations

from typing import Any

from casework.risk import services


def on_case_reopened(_app: Any, *, case: Any, **_: Any) -> None:
    """The current risk reviews still to come are due again (closing the case cancelled them)."""
    services.rearm_reviews(case)


def on_case_anonymised(_app: Any, *, case: Any, report: Any, **_: Any) -> None:
    services.anonymise_case_assessments(case.id, report)


def on_person_exported(_app: Any, *, person: Any, export: Any, **_: Any) -> dict[str, Any]:
    return {"risk_assessments": services.export_section(person, export)}


def on_person_merged(_app: Any, *, merge: Any, **_: Any) -> None:
    services.move_person_records(merge)


def on_person_unmerged(_app: Any, *, merge: Any, **_: Any) -> None:
    services.restore_person_records(merge)
