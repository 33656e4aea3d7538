"""Reads of areas, agencies and users for the views of every domain (writes are in services.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from casework.accounts.models import Agency, Area, User, UserRole
from casework.core.errors import NotFound
from casework.core.permissions import Role
from casework.extensions import db


def all_areas(*, with_agencies: bool = False, by_code: bool = False) -> list[Area]:
    """Every area, by name (or by code), optionally with its agencies loaded."""
    query = sa.select(Area).order_by(Area.code if by_code else Area.name)
    if with_agencies:
        query = query.options(selectinload(Area.agencies))
    return list(db.session.scalars(query))


def areas_with_ids(area_ids: Iterable[int]) -> list[Area]:
    """The areas with these ids (a user's own areas), by name."""
    return list(db.session.scalars(sa.select(Area).where(Area.id.in_(list(area_ids))).order_by(Area.name)))


def area_with_code(code: str | None) -> Area | None:
    return db.session.scalar(sa.select(Area).where(Area.code == code)) if code else None


def all_agencies(*, with_areas: bool = False, by_code: bool = False) -> list[Agency]:
    """Every agency, by name (or by code), optionally with its areas loaded."""
    query = sa.select(Agency).order_by(Agency.code if by_code else Agency.name)
    if with_areas:
        query = query.options(selectinload(Agency.areas))
    return list(db.session.scalars(query))


def agencies_by_code() -> dict[str, Agency]:
    return {agency.code: agency for agency in db.session.scalars(sa.select(Agency))}


def agency_with_code(code: str | None) -> Agency | None:
    """The agency with this code (as typed: spaces and case do not matter), or None."""
    if not code:
        return None
    return db.session.scalar(sa.select(Agency).where(Agency.code == code.strip().upper()))


def agencies_serving_area(area_id: int) -> list[Agency]:
    return list(db.session.scalars(sa.select(Agency).where(Agency.areas.any(Area.id == area_id)).order_by(Agency.name)))


def user_with_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def names_of_users(user_ids: Iterable[int | None]) -> dict[int, str]:
    """{user id: name} for these users (None ids are skipped)."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return {user.id: user.name for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def chairs_clause() -> sa.ColumnElement[bool]:
    """Users who hold the independent chair's role (a filter for the user policy's lists)."""
    return User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == Role.chair))


def users_for_the_api() -> sa.Select[Any]:
    """Every user with their manager and roles, by name: the API's list, paged by the caller."""
    return sa.select(User).options(joinedload(User.manager), selectinload(User.role_rows)).order_by(User.name, User.id)


def counts() -> dict[str, int]:
    """How many users, areas and agencies there are (the admin home page)."""

    def count(model: Any) -> Any:
        return sa.select(sa.func.count()).select_from(model).scalar_subquery()

    users, areas, agencies = db.session.execute(sa.select(count(User), count(Area), count(Agency))).one()
    return {"users": users, "areas": areas, "agencies": agencies}


def stuck_deletions() -> list[Any]:
    """The stored files the file store would not delete, oldest first (the admin home page)."""
    from casework.core.storage import stuck_deletions as stuck

    return stuck()
