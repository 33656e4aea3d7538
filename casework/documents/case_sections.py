"""The documents part of the case record: a page section and the timeline."""

from __future__ import annotations

from typing import Any

from casework.accounts.models import User
from casework.cases.sections import TimelineEntry, case_records
from casework.documents import policies
from casework.documents.models import Document

#: What the case record reads with the case's documents, as values (``casework.cases.sections.case_records``):
#: ``services.CASE_DOCUMENT_OPTIONS``' records, who added and who removed it by name, and the incident.
CASE_RECORDS: dict[str, Any] = {
    "entity": Document,
    "values": (
        (Document.uploaded_by, User.name, User.email),
        (Document.removed_by, User.name, User.email),
        Document.incident,
    ),
    "order_by": (Document.created_at.desc(), Document.id.desc()),
}


def _documents(case_id: int) -> list[Any]:
    """The case's documents, read once per request (with the other domains' records of the case) for
    the section and the timeline."""
    return case_records(case_id, "documents")


def _withheld(documents: list[Any], user: Any) -> frozenset[int]:
    """The ids of ``documents`` withheld from ``user`` (``policies.withheld_clause``; None: from anyone
    they may be withheld from): asked only of a case with a served notice among its documents (one
    statement for the request), the only kind withheld."""
    if not any(document.intervention_id is not None for document in documents):
        return frozenset()
    return policies.withheld_document_ids(user, documents[0].case_id)


def documents_section(case: Any, user: Any) -> dict[str, Any]:
    documents = _documents(case.id)
    return {
        "case": case,
        "documents": documents,
        #: Listed with what they are, when they were added and by whom: not linked, no description.
        "documents_withheld": _withheld(documents, user),
        "documents_can_upload": policies.can_upload(user, case),
    }


def documents_timeline(case: Any, viewer: Any = None) -> list[TimelineEntry]:
    """A document withheld from ``viewer`` is an entry without its description or link."""
    entries: list[TimelineEntry] = []
    documents = _documents(case.id)
    withheld = _withheld(documents, viewer)
    for document in documents:
        shown = document.id not in withheld
        link = f"/documents/{document.id}" if shown else None
        about = f" (incident of {document.incident.occurred_on:%-d %B %Y})" if document.incident else ""
        entries.append(
            TimelineEntry(
                when=document.created_at,
                kind="document",
                title=f"{document.kind_label} added: {document.filename}{about}"
                + ("" if shown else " (withheld: it names a person you may not see)"),
                detail=document.description if shown else None,
                actor_name=document.uploaded_by.name if document.uploaded_by else None,
                link=link,
                withheld=not shown,
            )
        )
        if document.removed_at is not None:
            entries.append(
                TimelineEntry(
                    when=document.removed_at,
                    kind="document_removed",
                    title=f"{document.kind_label} removed: {document.filename}",
                    detail=document.removal_reason if shown else None,
                    actor_name=document.removed_by.name if document.removed_by else None,
                    link=link,
                    withheld=not shown,
                )
            )
    return entries
