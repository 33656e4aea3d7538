"""Which users, agencies and areas a user may name in a request.

Areas and agencies are public organisations: every signed-in user may name any of them (the API
lists them all to any token). Users are people too: an admin may name any user; everyone else may
name the users they work with, which means the active users of their own agency and of the agencies
covering an area their agency covers, and the independent chairs (a review or an appeal may be
handled by another area's chair). Anyone else answers as if they did not exist.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency, Area, User, UserRole, agency_areas
from casework.core.lookup import Lookup
from casework.core.permissions import Permission, Role


def visible_users_clause(user: Any) -> sa.ColumnElement[bool]:
    if user.can(Permission.ADMINISTER):
        return sa.true()
    own_areas = sa.select(agency_areas.c.area_id).where(agency_areas.c.agency_id == user.agency_id)
    partner_agencies = sa.select(agency_areas.c.agency_id).where(agency_areas.c.area_id.in_(own_areas))
    chairs = sa.select(UserRole.user_id).where(UserRole.role == Role.chair)
    return sa.and_(
        User.is_active.is_(True),
        sa.or_(User.agency_id == user.agency_id, User.agency_id.in_(partner_agencies), User.id.in_(chairs)),
    )


def _everyone(_user: Any) -> sa.ColumnElement[bool]:
    return sa.true()


def _email(value: str) -> str:
    return value.strip().lower()


def _code(value: str) -> str:
    return value.strip().upper()


USERS = Lookup("user", User, visible_users_clause)
USERS_BY_EMAIL = Lookup(
    "user",
    User,
    visible_users_clause,
    key=User.email,
    normalise=_email,
    missing_message="There is no user with this email address that you can choose",
)
AGENCIES = Lookup(
    "agency",
    Agency,
    _everyone,
    key=Agency.code,
    normalise=_code,
    public=True,
    missing_message="Unknown agency: there is no agency with this code",
)
#: An agency chosen by id in a page form's select (any agency: whether it may take the work is the
#: service's rule, e.g. an action's agency must work on its case).
AGENCIES_BY_ID = Lookup("agency", Agency, _everyone, public=True, missing_message="Choose the agency")
AREAS = Lookup(
    "area",
    Area,
    _everyone,
    key=Area.code,
    normalise=_code,
    public=True,
    missing_message="Unknown area: there is no area with this code",
)
