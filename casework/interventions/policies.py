"""Who may see and change an intervention: whoever may see (or change) its case."""

from __future__ import annotations

from typing import Any

from casework.cases.policies import get_case_for
from casework.core.errors import NotFound
from casework.extensions import db
from casework.interventions.models import Intervention


def get_intervention_for(user: Any, intervention_id: int, *, edit: bool = False) -> Intervention:
    intervention = db.session.get(Intervention, intervention_id)
    if intervention is None:
        raise NotFound("Intervention not found.")
    get_case_for(user, intervention.case_id, edit=edit)
    return intervention
