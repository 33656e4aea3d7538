"""One council with one Case Review application and a user of a given role with an API token,
committed: for the tests that compile figures on a real Celery worker, against an application of their
own whose transactions really commit."""

from __future__ import annotations

from datetime import date


def one_application_and_a_token(role: str, *, also_covers: tuple[tuple[str, str], ...] = ()) -> str:
    """In the current app context: Bolsover (and ``also_covers``, ``(code, name)`` each), a council
    covering them, a user with ``role`` there, and one application to Bolsover received by phone on
    2 June 2025 (the 2025/26 financial year); commits, and answers the user's API token."""
    from casework.accounts import services as accounts
    from casework.community_triggers.models import ApplicantRole, Channel, TriggerApplication
    from casework.core.db import commit
    from casework.extensions import db

    area = accounts.create_area(None, "BOL", "Bolsover")
    for code, name in also_covers:
        accounts.create_area(None, code, name)
    codes = ["BOL", *(code for code, _name in also_covers)]
    agency = accounts.create_agency(None, "BDC", "Bolsover District Council", "council", codes)
    user = accounts.create_user(
        None,
        email=f"{role}@example.org",
        name=role.title(),
        password="a long enough password",
        agency=agency,
        roles=[role],
    )
    db.session.add(
        TriggerApplication(
            reference="BOL-CT-2025-0001",
            area_id=area.id,
            year=2025,
            sequence=1,
            received_on=date(2025, 6, 2),
            channel=Channel.phone,
            applicant_name="A Resident",
            applicant_role=ApplicantRole.victim,
            description="Noise",
        )
    )
    token = accounts.issue_token(user, 1)[0]
    commit()
    return token
