"""The victim page's part in the lifecycle of a case or a person (``casework.core.lifecycle``)."""

from __future__ import annotations

from typing import Any

from casework.victims import services


def on_case_anonymised(_app: Any, *, case: Any, report: Any, **_: Any) -> None:
    services.anonymise_case_diary(case.id, report)


def on_person_anonymised(_app: Any, *, person: Any, report: Any, **_: Any) -> None:
    services.anonymise_person_access(person.id, report)


def on_person_exported(_app: Any, *, person: Any, export: Any, **_: Any) -> dict[str, Any]:
    return {"victim_page": services.export_section(person, export)}


def on_person_merged(_app: Any, *, merge: Any, **_: Any) -> None:
    services.move_person(merge)


def on_person_unmerged(_app: Any, *, merge: Any, **_: Any) -> None:
    services.restore_person(merge)


def on_records_anonymised(_app: Any, *, report: Any, **_: Any) -> None:
    services.anonymise_application_accesses(report.items.get("trigger_applications", ()), report)
