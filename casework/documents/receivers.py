"""The documents domain's part in the lifecycle of a case or a person (``casework.core.lifecycle``)."""

from __future__ import annotations

from typing import Any

from casework.documents import services


def on_case_anonymised(_app: Any, *, case: Any, report: Any, **_: Any) -> None:
    services.anonymise_case_documents(case.id, report)


def on_person_exported(_app: Any, *, person: Any, export: Any, **_: Any) -> dict[str, Any]:
    return {"documents": services.export_section(export)}
