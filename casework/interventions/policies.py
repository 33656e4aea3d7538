"""Who may see and change an intervention.

Whoever may see its case sees it. Changing it (its status, breach log, reviews and extensions) is for
the staff of the agency that issued it, and for the case's lead agency, who records on its case what
partners issued: a partner on a shared case cannot withdraw, or mark complied, another agency's warning
or order (which would close its statutory deadlines). Serving a notice stays open to whoever may
change the case (``get_intervention_to_serve``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.cases.models import Case
from casework.cases.policies import (
    can_manage_case,
    can_view_case,
    get_on_case_for,
    takes_writes,
    visible_cases_clause,
)
from casework.core.errors import Forbidden
from casework.core.lookup import Lookup
from casework.core.permissions import Permission
from casework.extensions import db
from casework.interventions.models import Intervention


def can_change_intervention(user: Any, intervention: Intervention) -> bool:
    """Staff of the issuing agency (the lead agency when none is recorded) who see the case, and the
    lead agency's staff (``can_manage_case``); nobody once its case was anonymised under the retention
    policy (``takes_writes``), so its page offers no change the POST would refuse."""
    case = intervention.case
    if not user.can(Permission.EDIT_CASES) or not takes_writes(case):
        return False
    issuing_agency_id = intervention.issuing_agency_id or case.lead_agency_id
    if user.agency_id == issuing_agency_id and can_view_case(user, case):
        return True
    return can_manage_case(user, case)


def get_intervention_for(user: Any, intervention_id: int, *, edit: bool = False) -> Intervention:
    """The intervention, or NotFound when there is none or its case is hidden from ``user``.

    ``edit``: for a change (every route that writes to an intervention loads it so): a user who sees
    the case but may not change it is refused 403 (``can_change_intervention``)."""
    intervention = get_on_case_for(user, db.session.get(Intervention, intervention_id), "Intervention", edit=edit)
    if edit and not can_change_intervention(user, intervention):
        issuer = intervention.issuing_agency.name if intervention.issuing_agency else "the agency that issued it"
        raise Forbidden(
            f"Only {issuer}, which issued this {intervention.label.lower()}, or the lead agency of the case can "
            "change it."
        )
    return intervention


def get_intervention_to_serve(user: Any, intervention_id: int) -> Intervention:
    """The warning or notice for whoever may change its case to serve (a police officer on a shared case
    serves the council's notice on its behalf): recording the service changes neither its status nor
    its deadlines. NotFound as ``get_intervention_for``."""
    return get_on_case_for(user, db.session.get(Intervention, intervention_id), "Intervention", edit=True)


def visible_interventions_clause(user: Any) -> sa.ColumnElement[bool]:
    return Intervention.case_id.in_(sa.select(Case.id).where(visible_cases_clause(user)))


#: Interventions named in a request body (an FPN's related CPN or PSPO): visible with their case.
INTERVENTIONS = Lookup("intervention", Intervention, visible_interventions_clause)
