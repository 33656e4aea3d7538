"""Adding documents to a case, reading and removing them. Never commits."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.audit.models import AuditAction
from casework.audit.services import record, record_change, record_view, snapshot
from casework.cases.loaders import joined_user_name
from casework.cases.models import Case, Incident
from casework.core import storage
from casework.core import uploads as file_content
from casework.core.db import rows_changed
from casework.core.errors import InvalidInput, RuleViolation
from casework.core.time import now
from casework.documents.models import UPLOAD_KINDS, Document, DocumentKind
from casework.extensions import db

AUDIT_FIELDS = ("case_id", "incident_id", "intervention_id", "kind", "filename", "content_type", "size")
ANONYMISED = "This case was anonymised under the retention policy: nothing can be added to it."


def upload(
    actor: Any,
    case: Case,
    *,
    kind: str,
    filename: str,
    content: bytes,
    description: str | None = None,
    incident_id: int | None = None,
) -> Document:
    """Check the file by its content, remove a photo's location, keep it and record it on the case."""
    errors: dict[str, list[str]] = {}
    try:
        document_kind = DocumentKind(kind)
    except ValueError:
        document_kind = None
    if document_kind not in UPLOAD_KINDS:
        errors["kind"] = ["Select what kind of document this is"]
    description = (description or "").strip() or None
    if description is not None and len(description) > 2000:
        errors["description"] = ["The description must be 2,000 characters or fewer"]
    if incident_id is not None and _incident_on(case, incident_id) is None:
        errors["incident_id"] = ["Select an incident on this case"]
    try:
        inspected = file_content.inspect(filename, content, max_bytes=file_content.max_upload_bytes())
    except InvalidInput as error:
        errors.update(error.errors)
    if errors:
        raise InvalidInput(errors)
    if case.anonymised_at is not None:
        raise RuleViolation(ANONYMISED)
    assert document_kind is not None
    # The file first, before anything is written: on SQLite it goes to an object store with no write
    # lock held (storage.save).
    stored = storage.save(inspected.content, inspected.file_type.mime, folder=f"cases/{case.id}")
    return _add(
        actor,
        case,
        Document(
            case_id=case.id,
            incident_id=incident_id,
            kind=document_kind,
            filename=inspected.filename,
            description=description,
            content_type=inspected.file_type.mime,
            size=len(inspected.content),
            location_removed=inspected.location_removed,
            stored_file_id=stored.id,
            uploaded_by_id=getattr(actor, "id", None),
        ),
    )


def add_produced(
    actor: Any,
    case: Case,
    *,
    kind: DocumentKind,
    filename: str,
    content: bytes,
    content_type: str,
    description: str | None = None,
    intervention_id: int | None = None,
) -> Document:
    """Keep a file the service produced itself (a served notice as PDF) as a document on the case."""
    stored = storage.save(content, content_type, folder=f"cases/{case.id}")
    return _add(
        actor,
        case,
        Document(
            case_id=case.id,
            intervention_id=intervention_id,
            kind=kind,
            filename=filename[:255],
            description=description,
            content_type=content_type,
            size=len(content),
            stored_file_id=stored.id,
            uploaded_by_id=getattr(actor, "id", None),
        ),
    )


def _add(actor: Any, case: Case, document: Document) -> Document:
    # The file is in the store by now, put with no lock held (on SQLite, with the write lock let go:
    # storage.save), so the case as it was read before may be out of date: the retention run may
    # have anonymised it meanwhile, and a document added now would keep personal data on a case
    # whose documents it has removed. Read again and held (FOR NO KEY UPDATE on PostgreSQL, which waits
    # for a retention run that updated the row, as its cases receiver does before the documents' one;
    # on SQLite the write lock, taken again): a case anonymised meanwhile is refused, and the file
    # put for it is deleted with the rollback.
    anonymised_at = db.session.scalar(
        sa.select(Case.anonymised_at).where(Case.id == case.id).with_for_update(key_share=True)
    )
    if anonymised_at is not None:
        raise RuleViolation(ANONYMISED)
    db.session.add(document)
    db.session.flush()
    record_change(
        actor,
        document,
        None,
        snapshot(document, list(AUDIT_FIELDS)),
        f"{document.kind_label} {document.filename} added to case {case.reference}",
    )
    return document


def _incident_on(case: Case, incident_id: int) -> Incident | None:
    return db.session.scalar(sa.select(Incident).where(Incident.id == incident_id, Incident.case_id == case.id))


def incidents_of(case: Case) -> list[Incident]:
    return list(
        db.session.scalars(sa.select(Incident).where(Incident.case_id == case.id).order_by(Incident.occurred_on))
    )


#: Names only: not the users' roles (loaded by default, by a second statement), agencies or secrets.
CASE_DOCUMENT_OPTIONS = (
    joined_user_name(Document.uploaded_by),
    joined_user_name(Document.removed_by),
    sa.orm.joinedload(Document.incident),
)


def case_documents(case_id: int) -> list[Document]:
    """The case's documents, newest first, with who added or removed them and the incident each is
    about: one statement."""
    return list(
        db.session.scalars(
            sa.select(Document)
            .where(Document.case_id == case_id)
            .options(*CASE_DOCUMENT_OPTIONS)
            .order_by(Document.created_at.desc(), Document.id.desc())
        )
    )


def read(actor: Any, document: Document, *, how: str) -> bytes:
    """The file's bytes, recording that ``actor`` opened it (``how``: "Viewed", "Downloaded")."""
    if document.stored_file is None:
        raise InvalidInput({"document": ["This document was removed"]})
    data = storage.read(document.stored_file)
    record_view(actor, document, f"{how} {document.filename} (case {document.case.reference})")
    return data


def remove(actor: Any, document: Document, *, reason: str) -> Document:
    """Delete the document's file and mark the document removed, with the reason (audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": ["Enter why the document is being removed"]})
    if len(reason) > 2000:
        raise InvalidInput({"reason": ["The reason must be 2,000 characters or fewer"]})
    if document.is_removed:
        raise RuleViolation("This document has already been removed.")
    stored_file_id = document.stored_file_id
    # Conditional: of two removals at the same moment (both read the document before either committed)
    # only the first marks it, and only that one deletes the file and writes the audit entry. On
    # PostgreSQL the second UPDATE waits for the first transaction and then finds the row removed.
    removed = rows_changed(
        db.session.execute(
            sa.update(Document)
            .where(Document.id == document.id, Document.removed_at.is_(None))
            .values(
                stored_file_id=None,
                removed_at=now(),
                removed_by_id=getattr(actor, "id", None),
                removal_reason=reason,
            )
            .execution_options(synchronize_session=False)
        )
    )
    if not removed:
        raise RuleViolation("This document has already been removed.")
    db.session.refresh(document)
    stored = db.session.get(storage.StoredFile, stored_file_id) if stored_file_id is not None else None
    if stored is not None:
        storage.discard(stored)
    record(
        actor,
        AuditAction.delete,
        document,
        f"{document.kind_label} {document.filename} removed from case {document.case.reference}",
        {"reason": reason, "filename": document.filename},
    )
    return document


# --- the lifecycle of a case and a person ---------------------------------------------------------------


def anonymise_case_documents(case_id: int, report: Any) -> None:
    """Retention: each of the case's documents loses its file (deleted from its store) and its text;
    the row stays, so the case's history still shows that a document existed."""
    from casework.core.retention import anonymise

    documents = list(db.session.scalars(sa.select(Document).where(Document.case_id == case_id)))
    for document in documents:
        stored = document.stored_file
        document.stored_file_id = None
        db.session.flush()
        if stored is not None:
            storage.discard(stored)
        anonymise(document)
    db.session.flush()
    report.add("documents", [d.id for d in documents])


def export_section(access: Any) -> list[dict[str, Any]]:
    """The documents on the cases a subject access export shows (descriptions redacted for third
    parties); the files themselves are handed over as they are, apart from the export. A document
    withheld from the exporter (``policies.withheld_clause``: a served notice naming a person they may
    not see) is listed without its description, marked ``withheld``, unless the data protection officer
    releases the export in full; decided in the statement that reads them."""
    from casework.documents.policies import withheld_clause

    if not access.shown_case_ids:
        return []
    withheld = sa.false() if access.full else withheld_clause(access.actor)
    rows = db.session.execute(
        sa.select(Document, withheld.label("withheld"))
        .where(Document.case_id.in_(access.shown_case_ids))
        .options(sa.orm.joinedload(Document.case))
        .order_by(Document.case_id, Document.id)
    )
    section = []
    for d, is_withheld in rows:
        entry = {
            "case": d.case.reference,
            "kind": d.kind.value,
            "filename": d.filename,
            "description": None if is_withheld else access.redact(d.description),
            "added_at": d.created_at.isoformat() if d.created_at else None,
            "removed": d.removed_at is not None,
        }
        if is_withheld:
            # Added later, so optional: only on a document withheld from the exporter.
            entry["withheld"] = True
        section.append(entry)
    return section
