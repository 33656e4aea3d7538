"""The documents part of the case record: a page section and the timeline."""

from __future__ import annotations

from typing import Any

from flask import g

from casework.cases.sections import TimelineEntry
from casework.documents import policies, services


def _documents(case_id: int) -> list[Any]:
    """The case's documents, read once per request for the section and the timeline."""
    cache: dict[int, list[Any]] = g.setdefault("case_documents", {})
    if case_id not in cache:
        cache[case_id] = services.case_documents(case_id)
    return cache[case_id]


def documents_section(case: Any, user: Any) -> dict[str, Any]:
    return {
        "case": case,
        "documents": _documents(case.id),
        "documents_can_upload": policies.can_upload(user, case),
    }


def documents_timeline(case: Any) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for document in _documents(case.id):
        link = f"/documents/{document.id}"
        about = f" (incident of {document.incident.occurred_on:%-d %B %Y})" if document.incident else ""
        entries.append(
            TimelineEntry(
                when=document.created_at,
                kind="document",
                title=f"{document.kind_label} added: {document.filename}{about}",
                detail=document.description,
                actor_name=document.uploaded_by.name if document.uploaded_by else None,
                link=link,
            )
        )
        if document.removed_at is not None:
            entries.append(
                TimelineEntry(
                    when=document.removed_at,
                    kind="document_removed",
                    title=f"{document.kind_label} removed: {document.filename}",
                    detail=document.removal_reason,
                    actor_name=document.removed_by.name if document.removed_by else None,
                    link=link,
                )
            )
    return entries
