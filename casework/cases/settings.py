"""The settings this domain reads, registered by ``casework.cases.init_app``."""

from __future__ import annotations

from casework.core.settings import SettingSpec, whole_number

EXPLAIN_CASE_REVIEW_WORKING_DAYS = "cases.explain_case_review_working_days"
CASE_RETENTION_YEARS = "retention.case_years"
PERSON_RETENTION_YEARS = "retention.person_years"

SPECS = [
    SettingSpec(
        key=EXPLAIN_CASE_REVIEW_WORKING_DAYS,
        default=5,
        description=(
            "Working days the case owner has to explain the Case Review to a complainant after their "
            "second report within six months."
        ),
        group="Casework",
        parse=whole_number(1, 60),
    ),
    SettingSpec(
        key=CASE_RETENTION_YEARS,
        default=6,
        description="Years a closed case's free text is kept before it is anonymised.",
        group="Data protection",
        parse=whole_number(1, 100),
    ),
    SettingSpec(
        key=PERSON_RETENTION_YEARS,
        default=6,
        description=(
            "Years a person's details are kept after the last of their cases closed, before they are anonymised."
        ),
        group="Data protection",
        parse=whole_number(1, 100),
    ),
]
