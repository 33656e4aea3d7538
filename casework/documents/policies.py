"""Who may see, add and remove documents: they follow the case they are on.

Everyone who sees the case sees its documents (a document on a case a user may not see answers 404);
everyone who may add to the case (incidents, notes) may add documents; only the lead agency's staff
(or the users named on a restricted case) may remove one, as they alone close or change the case.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.cases.models import Case
from casework.cases.policies import can_edit_case, can_manage_case, refuse_anonymised, visible_cases_clause
from casework.core.errors import Forbidden, NotFound
from casework.core.permissions import Permission
from casework.documents.models import Document
from casework.extensions import db


def get_document_for(user: Any, document_id: int) -> Document:
    """The document, or NotFound when it does not exist or its case is not visible to ``user``."""
    document = db.session.scalar(
        sa.select(Document)
        .join(Case, Case.id == Document.case_id)
        .where(Document.id == document_id, visible_cases_clause(user))
        .options(sa.orm.contains_eager(Document.case), sa.orm.joinedload(Document.stored_file))
    )
    if document is None:
        raise NotFound("Document not found.")
    return document


def can_upload(user: Any, case: Case) -> bool:
    return can_edit_case(user, case) and case.anonymised_at is None


def can_remove(user: Any, document: Document) -> bool:
    return not document.is_removed and can_manage_case(user, document.case)


def get_document_to_remove(user: Any, document_id: int) -> Document:
    """404 when the case is not visible; 422 when it was anonymised under the retention policy (nothing
    on it changes any more); 403 when ``user`` is not of the lead agency."""
    document = get_document_for(user, document_id)
    refuse_anonymised(document.case)
    if not user.can(Permission.EDIT_CASES) or not can_manage_case(user, document.case):
        raise Forbidden("Only the lead agency can remove documents from this case.")
    return document
