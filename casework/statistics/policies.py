"""Who may see, compile and publish an area's figures.

Coordinators and managers of an agency covering the area view and compile them; only managers of such
an agency publish (approve) them. Everyone else is refused with 403: the figures are
not secret (the published ones are public), so there is nothing to hide behind a 404.
"""

from __future__ import annotations

from typing import Any

from casework.core.errors import Forbidden
from casework.core.permissions import Permission


def can(user: Any, permission: Permission, area: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.can(permission)
        and area.id in user.area_ids
    )


def require(user: Any, permission: Permission, area: Any) -> None:
    if not user.can(permission):
        raise Forbidden("You do not have permission to do this.")
    if area.id not in user.area_ids:
        raise Forbidden(f"Your agency does not cover {area.name}.")


def visible_areas(user: Any) -> list[Any]:
    """The areas whose figures ``user`` may see, by code."""
    if not user.can(Permission.VIEW_STATISTICS):
        return []
    return sorted(user.agency.areas, key=lambda area: area.code)
