"""The audit log's part in retention (``casework.core.lifecycle``): the entries about every record
anonymised, and about every record deleted since (an import undone, a saved view deleted), keep who,
when and what kind of change, and lose the personal values."""

from __future__ import annotations

from typing import Any

from casework.audit import services
from casework.core.lifecycle import RetentionReport


def on_retention_run(_app: Any, *, report: RetentionReport, **_: Any) -> None:
    """Every run: the entries about records deleted since the last one (no run can anonymise them)."""
    report.add("audit_entries", services.erase_values_of_deleted_records())


def on_records_anonymised(_app: Any, *, report: RetentionReport, **_: Any) -> None:
    for table, ids in list(report.items.items()):
        erased = services.erase_personal_values_of(table, sorted(ids))
        report.add("audit_entries", erased)
    # Summaries written before people were named by number name a person in an entry about a case or
    # a task, which may outlive them: they go with the person (a merged record too, once anonymised).
    people = report.items.get("people")
    if people:
        report.add("audit_entries", services.erase_old_summaries_naming(sorted(people)))


def on_person_exported(_app: Any, *, person: Any, export: Any, **_: Any) -> dict[str, Any]:
    """Who viewed the person's record and the cases the export shows."""
    people = [person.id, *export.merged_person_ids]
    return {"views": services.views_of([("people", people), ("cases", sorted(export.shown_case_ids))])}
