"""Who may see, add and remove documents: they follow the case they are on.

Everyone who sees the case sees its documents (a document on a case a user may not see answers 404),
except a served notice that names a person the user may not see (``withheld_clause``): it is listed as
withheld, without its description or a link, and answers 404 on every route that shows or serves it;
everyone who may add to the case (incidents, notes) may add documents; only the lead agency's staff
(or the users named on a restricted case) may remove one, as they alone close or change the case.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.cases.models import Case, Person
from casework.cases.policies import (
    can_edit_case,
    can_manage_case,
    refuse_anonymised,
    visible_cases_clause,
    visible_people_clause,
)
from casework.core.errors import Forbidden, NotFound
from casework.core.permissions import Permission
from casework.core.request_cache import request_cached
from casework.documents.models import Document
from casework.extensions import db


def withheld_clause(user: Any | None) -> sa.ColumnElement[bool]:
    """True for a document withheld from ``user`` among the documents of a case they see: a notice served
    for an intervention whose subject is withheld (not a party to its case, ``Intervention.subject_withheld``)
    and is a person ``user`` may not see (``casework.cases.policies.visible_people_clause``, the rule of
    ``get_person_for``). The notice prints the name and address of the person it was served on, as typed
    then: a subject who is not a party may be a person the restricted-people rule hides from ``user``.
    A clause on ``Document``, so every reader decides it in the statement that reads the documents.
    ``user`` None: withheld from anyone it may be withheld from (a reader not known)."""
    from casework.interventions.models import Intervention

    conditions = [
        Intervention.id == Document.intervention_id,
        Intervention.subject_person_id.is_not(None),
        sa.not_(Intervention.subject_is_party),
    ]
    if user is not None:
        conditions.append(~sa.exists().where(Person.id == Intervention.subject_person_id, visible_people_clause(user)))
    return sa.exists().where(*conditions)


def get_document_for(user: Any, document_id: int) -> Document:
    """The document, or NotFound when it does not exist, its case is not visible to ``user`` or it is
    withheld from them (``withheld_clause``): one statement. Every route that shows or serves a document
    (its page, the file inline, the download, its removal) reads it here."""
    document = db.session.scalar(
        sa.select(Document)
        .join(Case, Case.id == Document.case_id)
        .where(Document.id == document_id, visible_cases_clause(user), sa.not_(withheld_clause(user)))
        .options(sa.orm.contains_eager(Document.case), sa.orm.joinedload(Document.stored_file))
    )
    if document is None:
        raise NotFound("Document not found.")
    return document


def withheld_document_ids(user: Any | None, case_id: int) -> frozenset[int]:
    """The ids of the documents of a case (one ``user`` sees) withheld from them (``withheld_clause``), for
    the lists of a case's documents (its page's section, its timeline): one statement for the request."""
    return _withheld_document_ids(getattr(user, "id", None), case_id)


@request_cached
def _withheld_document_ids(user_id: int | None, case_id: int) -> frozenset[int]:
    from casework.accounts.models import User

    user = db.session.get(User, user_id) if user_id is not None else None
    return frozenset(
        db.session.scalars(sa.select(Document.id).where(Document.case_id == case_id, withheld_clause(user)))
    )


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
