"""Saved views of the case list: a search, its filters and order kept under a name, for the user
alone or for their team. Reads and writes (the writes flush, never commit; each is audited).

A team is the one a manager leads: a manager's shared views are seen by the people they manage, and a
view shared by one of them is seen by the manager and the rest of the team.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import sqlalchemy as sa

from casework.accounts.models import Role
from casework.audit.models import AuditAction
from casework.audit.services import record
from casework.cases.listing import LIST_ARGS
from casework.cases.models import SavedCaseView
from casework.core.db import execute_values, prebuilt
from casework.core.errors import InvalidInput, NotFound
from casework.core.inputs import has_unstorable, is_digits
from casework.extensions import db

NAME_LENGTH = 100


def team_of(user: Any) -> int | None:
    """The manager whose team ``user`` is in: the user, if a manager, or their manager."""
    return int(user.id) if user.has_role(Role.manager) else user.manager_id


def visible_views_clause(user: Any) -> sa.ColumnElement[bool]:
    team = team_of(user)
    mine = SavedCaseView.user_id == user.id
    if team is None:
        return mine
    return sa.or_(mine, SavedCaseView.team_manager_id == team)


def views_for(user: Any) -> list[SavedCaseView]:
    """The user's own views and their team's, by name. One query (with who saved each), built once;
    without a team, ``team_manager_id = NULL`` matches nothing."""
    return list(db.session.scalars(_VIEWS_FOR, _views_arguments(user)))


#: The views a user sees (their own and their team's) and their order, with the user and their team
#: as bind parameters: the statements are built once.
_VISIBLE_TO_USER = sa.or_(
    SavedCaseView.user_id == sa.bindparam("user_id", type_=sa.Integer()),
    SavedCaseView.team_manager_id == sa.bindparam("team_id", type_=sa.Integer()),
)
_BY_NAME = (sa.func.lower(SavedCaseView.name), SavedCaseView.id)

_VIEWS_FOR = (
    sa.select(SavedCaseView)
    .where(_VISIBLE_TO_USER)
    .options(sa.orm.joinedload(SavedCaseView.user).lazyload("*"))
    .order_by(*_BY_NAME)
)


class SavedViewLink(NamedTuple):
    """What the case list shows of a saved view: its link and whose it is."""

    name: str
    arguments: dict[str, str]
    user_id: int


def view_links_for(user: Any) -> list[SavedViewLink]:
    """The views of ``views_for``, in its order, as the case list links to them: values, not entities
    (every case list runs it; building each view and who saved it as objects cost more than the
    statement), read on the session's connection without the ORM's loading (``execute_values``)."""
    return [SavedViewLink(*row) for row in execute_values(prebuilt(_VIEW_LINKS_FOR), _views_arguments(user))]


def _views_arguments(user: Any) -> dict[str, int | None]:
    return {"user_id": user.id, "team_id": team_of(user)}


_VIEW_LINKS_FOR = (
    sa.select(SavedCaseView.name, SavedCaseView.arguments, SavedCaseView.user_id)
    .where(_VISIBLE_TO_USER)
    .order_by(*_BY_NAME)
)


def get_view_for(user: Any, view_id: int) -> SavedCaseView:
    """A view the user may open; 404 otherwise."""
    view = db.session.scalar(sa.select(SavedCaseView).where(SavedCaseView.id == view_id, visible_views_clause(user)))
    if view is None:
        raise NotFound("Saved view not found.")
    return view


def save_view(actor: Any, name: str, arguments: Mapping[str, str], *, share_with_team: bool) -> SavedCaseView:
    """Keep the list ``arguments`` (only the list's own, never a page or a cursor) as ``name``."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput({"name": ["Enter a name for the view"]})
    if len(name) > NAME_LENGTH or has_unstorable(name):
        raise InvalidInput({"name": [f"The name must be {NAME_LENGTH} characters or fewer"]})
    kept = {key: str(arguments[key])[:200] for key in LIST_ARGS if arguments.get(key)}
    if any(has_unstorable(value) for value in kept.values()):
        raise InvalidInput({"arguments": ["The view holds characters that cannot be stored"]})
    taken = db.session.scalar(
        sa.select(SavedCaseView.id).where(
            SavedCaseView.user_id == actor.id, sa.func.lower(SavedCaseView.name) == name.lower()
        )
    )
    if taken is not None:
        raise InvalidInput({"name": ["You already have a view with this name"]})
    team = team_of(actor) if share_with_team else None
    if share_with_team and team is None:
        raise InvalidInput({"share_with_team": ["You are not in a team: ask an administrator to set your manager"]})
    view = SavedCaseView(user_id=actor.id, name=name, arguments=kept, team_manager_id=team)
    db.session.add(view)
    db.session.flush()
    record(actor, AuditAction.create, view, f"Saved the case list view {name!r}", {"arguments": kept})
    return view


def delete_view(actor: Any, view_id: int) -> None:
    """Only the user who saved a view deletes it; a team's view is read-only to the rest (403 would
    say it exists: it is visible, so the answer is a 422 naming why)."""
    view = get_view_for(actor, view_id)
    if view.user_id != actor.id:
        raise InvalidInput({"view": ["Only the person who saved this view can delete it"]})
    record(actor, AuditAction.delete, view, f"Deleted the case list view {view.name!r}")
    db.session.delete(view)
    db.session.flush()


def unshare_team_views(manager_id: int, member_id: int | None = None, actor: Any = None) -> int:
    """Stop sharing what ``member_id`` (None: anyone) shared with the team ``manager_id`` leads, when
    they leave it (``lifecycle.team_left``): a team the manager leads later (at another agency, or as a
    manager again) would otherwise read the names and filters the old team saved, and the old team
    what someone now at another agency saves. Each view stays with the person who saved it. Answers
    how many stopped being shared."""
    query = sa.select(SavedCaseView).where(SavedCaseView.team_manager_id == manager_id)
    if member_id is not None:
        query = query.where(SavedCaseView.user_id == member_id)
    views = db.session.scalars(query.order_by(SavedCaseView.id)).all()
    for view in views:
        view.team_manager_id = None
        record(actor, AuditAction.update, view, f"Stopped sharing the case list view {view.name!r}: its team changed")
    db.session.flush()
    return len(views)


# --- retention: an erased person's name in a saved search ------------------------------------------


def _words(text: str | None) -> list[str]:
    return "".join(c if c.isalnum() or c == "@" or c == "." else " " for c in (text or "").lower()).split()


def _names_the_person(text: str | None, former: Any) -> bool:
    """Whether ``text`` (a saved search, or a view's name) holds the person's name, part of it in whole
    words (a surname alone names someone to whoever reads the list), their email address or phone number."""
    words = _words(text)
    if not words:
        return False
    name = _words(former.name)
    joined = " ".join(words)
    if name and len(" ".join(name)) >= 3:
        if f" {' '.join(name)} " in f" {joined} ":
            return True
        # Any run of the name's words (at least three letters in all) that the search holds.
        for start in range(len(name)):
            for end in range(start + 1, len(name) + 1):
                part = " ".join(name[start:end])
                if len(part) >= 3 and f" {part} " in f" {joined} ":
                    return True
    if former.email and former.email.lower() in (text or "").lower():
        return True
    digits = "".join(c for c in former.phone or "" if is_digits(c))
    return len(digits) >= 6 and digits in "".join(c for c in text or "" if is_digits(c))


def forget_searches_naming(former: Any, report: Any) -> None:
    """The person is erased (``lifecycle.person_anonymised``): every saved view whose search text names
    them loses its search (the filters stay), and a view whose own name names them is renamed. The views
    are listed in the report, so the audit log erases the search kept in its entries about them."""
    changed = []
    for view in db.session.scalars(sa.select(SavedCaseView).order_by(SavedCaseView.id)):
        touched = False
        if _names_the_person((view.arguments or {}).get("q"), former):
            view.arguments = {key: value for key, value in view.arguments.items() if key != "q"}
            touched = True
        if _names_the_person(view.name, former):
            view.name = f"Saved view {view.id}"
            touched = True
        if touched:
            changed.append(view.id)
    if changed:
        db.session.flush()
        report.add(SavedCaseView.__tablename__, changed)
