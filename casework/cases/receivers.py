"""The cases domain's part in the lifecycle of a case or a person (``casework.core.lifecycle``)."""

from __future__ import annotations

from typing import Any

from casework.cases import saved_views, services


def on_case_reopened(_app: Any, *, case: Any, **_: Any) -> None:
    """Its "explain the Case Review" tasks still owed are due again (closing the case cancelled them)."""
    services.rearm_explanations(case)


def on_retention_run(_app: Any, *, on: Any, report: Any, **_: Any) -> None:
    """Calls from police incident logs that never reached a case have a retention date of their own."""
    from casework.cases import police_reports

    police_reports.anonymise_calls_due(on, report)


def on_case_anonymised(_app: Any, *, case: Any, report: Any, **_: Any) -> None:
    """The case's own text and that of its incidents, complaints, notes, events and tasks."""
    services.anonymise_case(case, report)


def on_person_anonymised(_app: Any, *, person: Any, former: Any, report: Any, **_: Any) -> None:
    services.anonymise_person(person, report)
    # Staff may have searched the case list for them and kept the search as a saved view.
    saved_views.forget_searches_naming(former, report)


def on_person_exported(_app: Any, *, person: Any, export: Any, **_: Any) -> dict[str, Any]:
    return services.export_sections(person, export)


def on_person_merged(_app: Any, *, merge: Any, **_: Any) -> None:
    services.move_person_records(merge)


def on_person_unmerged(_app: Any, *, merge: Any, **_: Any) -> None:
    services.restore_person_records(merge)


def on_team_left(_app: Any, *, manager_id: int, member_id: int | None = None, actor: Any = None, **_: Any) -> int:
    """What the leaver (None: anyone) shared with the team stops being shared: it stays with whoever saved it."""
    return saved_views.unshare_team_views(manager_id, member_id, actor)
