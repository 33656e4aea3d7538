"""Who may see and change an intervention: whoever may see (or change) its case."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.cases.models import Case
from casework.cases.policies import get_on_case_for, visible_cases_clause
from casework.core.lookup import Lookup
from casework.extensions import db
from casework.interventions.models import Intervention


def get_intervention_for(user: Any, intervention_id: int, *, edit: bool = False) -> Intervention:
    return get_on_case_for(user, db.session.get(Intervention, intervention_id), "Intervention", edit=edit)


def visible_interventions_clause(user: Any) -> sa.ColumnElement[bool]:
    return Intervention.case_id.in_(sa.select(Case.id).where(visible_cases_clause(user)))


#: Interventions named in a request body (an FPN's related CPN or PSPO): visible with their case.
INTERVENTIONS = Lookup("intervention", Intervention, visible_interventions_clause)
