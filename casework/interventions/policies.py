"""Who may see and change an intervention: whoever may see (or change) its case."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.cases.models import Case
from casework.cases.policies import get_case_for, visible_cases_clause
from casework.core.errors import NotFound
from casework.core.lookup import Lookup
from casework.extensions import db
from casework.interventions.models import Intervention


def get_intervention_for(user: Any, intervention_id: int, *, edit: bool = False) -> Intervention:
    intervention = db.session.get(Intervention, intervention_id)
    if intervention is None:
        raise NotFound("Intervention not found.")
    get_case_for(user, intervention.case_id, edit=edit)
    return intervention


def visible_interventions_clause(user: Any) -> sa.ColumnElement[bool]:
    return Intervention.case_id.in_(sa.select(Case.id).where(visible_cases_clause(user)))


#: Interventions named in a request body (an FPN's related CPN or PSPO): visible with their case.
INTERVENTIONS = Lookup("intervention", Intervention, visible_interventions_clause)
