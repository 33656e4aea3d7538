"""The data protection part of the person page: likely duplicates to merge, merges to undo, and the
subject access export."""

from __future__ import annotations

from typing import Any

from casework.cases.services import find_likely_duplicates
from casework.core.permissions import Permission
from casework.core.time import now
from casework.data_protection.merge import merges_of


def person_section(person: Any, user: Any) -> dict[str, Any]:
    can_merge = user.can(Permission.MERGE_PEOPLE) and person.anonymised_at is None
    duplicates = (
        find_likely_duplicates(
            user,
            name=person.name,
            date_of_birth=person.date_of_birth,
            address=person.address,
            postcode=person.postcode,
            exclude_id=person.id,
        )
        if can_merge
        else []
    )
    return {
        "person_duplicates": duplicates,
        "person_can_merge": can_merge,
        "person_merges": merges_of(person),
        "person_now": now(),
        "person_can_export": user.can(Permission.EXPORT_PEOPLE),
    }
