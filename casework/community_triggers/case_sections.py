"""What Case Review applications add to the case record: case search by an application's reference
(``BOL-CT-2026-0003``) or its applicant's name finds the cases the application is linked to."""

from __future__ import annotations

import sqlalchemy as sa

from casework.cases.queries import RANK_EXACT, RANK_IDENTIFIER, CaseSearch
from casework.community_triggers.applicants import withheld_template
from casework.community_triggers.models import TriggerApplication, application_cases
from casework.community_triggers.policies import visible_applications_template


def application_matches(search: CaseSearch) -> sa.Select:
    """``(case_id, rank)`` for the cases linked to a matching application the searching user may see
    (the search keeps the visible cases): the applications are few (2% of cases), so they are read
    whole. Only applications the user may see are matched: an applicant's name or an application's
    reference found through an application hidden from them would tell them who applied about the
    case (a partner, who sees no applications). Nor is the name of an applicant withheld from them
    (``applicants.withheld_template``): finding a case by it would tell them who applied about it."""
    rank = sa.case((sa.func.lower(TriggerApplication.reference) == search.lowered, RANK_EXACT), else_=RANK_IDENTIFIER)
    return (
        sa.select(application_cases.c.case_id, rank)
        .join(TriggerApplication, TriggerApplication.id == application_cases.c.application_id)
        .where(
            sa.or_(
                TriggerApplication.reference.ilike(search.pattern, escape="\\"),
                sa.and_(
                    TriggerApplication.applicant_name.ilike(search.pattern, escape="\\"),
                    ~withheld_template(),
                ),
            ),
            visible_applications_template(),
        )
    )
