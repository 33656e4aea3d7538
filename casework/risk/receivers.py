"""The risk domain's part in the lifecycle of a case (``casework.core.lifecycle``)."""

from __future__ import annotations

from typing import Any

from casework.risk import services


def on_case_reopened(_app: Any, *, case: Any, **_: Any) -> None:
    """The current risk reviews still to come are due again (closing the case cancelled them)."""
    services.rearm_reviews(case)


def on_case_anonymised(_app: Any, *, case: Any, report: Any, **_: Any) -> None:
    services.anonymise_case_assessments(case.id, report)
