"""An officer of one council with one case and an API token, committed: for tests on an application of
their own, whose transactions really commit (not the usual rolled-back ``db_session``)."""

from __future__ import annotations


def officer_with_a_case() -> tuple[str, int]:
    """In the current app context: an officer's API token and the id of the one case they see."""
    from casework.accounts import services as accounts
    from casework.cases.services import create_case
    from casework.core.db import commit

    accounts.create_area(None, "BOL", "Bolsover")
    agency = accounts.create_agency(None, "BDC", "Bolsover District Council", "council", ["BOL"])
    user = accounts.create_user(
        None,
        email="officer@example.org",
        name="Officer",
        password="correct horse battery staple",
        agency=agency,
        roles=["officer"],
    )
    case = create_case(user, area_code="BOL", category="personal", summary="Noise at night")
    token = accounts.issue_token(user, 1)[0]
    commit()
    return token, case.id
