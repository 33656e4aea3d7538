"""Whose eyes the text of a Case Review recommendation's action is withheld from.

A recommendation of a Case Review becomes an action on the case it is filed on
(``services.create_recommendation_action``), and an action is seen by that case's rules. Its text is
the recommendation's, which staff wrote about the applicant's situation and which may quote them: the
review withholds it, with the applicant's details, from a reader the applicant is withheld from
(``casework.community_triggers.applicants``). The action must not be a side door to it. So its texts
(``WITHHELD_FIELDS``) are withheld from a reader when the applicant of the review it came from is
withheld from them, unless they are to act on it:

- its assignee, or the owner of its deadline (an unassigned recommendation's deadline goes to the
  area's coordinator, or to the case's owner when the coordinator may not see the case);
- a user of the agency it is addressed to.

Its texts are its ``description`` (the recommendation's text) and its ``outcome`` (what the addressed
agency writes when it ends it, which may quote the recommendation or the applicant). Everything else
about the action (its agency, its assignee, its dates, its status) reads as before. Pages, papers and
exports show "Withheld" in their place (an outcome not recorded yet still reads as none); the API shows
null (``description`` and ``outcome`` keep their keys). Every output of an action (the case's section,
timeline and API answer, the actions pages and API, the actions export, the page that closes a case,
the deadline's title: ``casework.reminders.titles``) takes it through ``seen`` (or ``as_seen``, for an
output that asks ``withheld_ids`` itself), which asks two statements for a list, and none for a list
without a recommendation. The audit log withholds the values of such an action's entries
(``withheld_clause``).

Nor may such a reader write them blind (``services.update_action``, every way an action changes):
a ``description`` or an ``outcome`` they send is refused (422 on the field), and so is another agency
(addressed to their own, it would be theirs to read). The action's page offers them no outcome to fill
in, so that "Withheld" is never saved back. Marking it done with no outcome recorded yet is therefore
left to those who act on it (``services.WITHHELD_OUTCOME`` to others).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa

from casework.cases.models import Action
from casework.core.db import shared_alias
from casework.extensions import db

#: What a page (or an export) shows for a withheld text; the API shows None.
ON_PAGES = "Withheld"

#: The action's texts withheld with the recommendation: its text, and what was written when it ended.
WITHHELD_FIELDS = frozenset({"description", "outcome"})


def _acts_on(user: Any) -> sa.ColumnElement[bool]:
    """Whether ``user`` is to act on the action: assigned it, owns its deadline, or of its agency."""
    from casework.actions.services import DUE_KIND, SUBJECT_TYPE
    from casework.reminders.models import Deadline

    owns_deadline = sa.exists().where(
        Deadline.subject_type == SUBJECT_TYPE,
        Deadline.subject_id == Action.id,
        Deadline.kind == DUE_KIND,
        Deadline.owner_id == user.id,
    )
    # Not null: a NULL in the OR would make the whole test NULL, and its negation no row.
    conditions = [sa.and_(Action.assignee_id.is_not(None), Action.assignee_id == user.id), owns_deadline]
    if getattr(user, "agency_id", None) is not None:
        conditions.append(Action.agency_id == user.agency_id)
    return sa.or_(*conditions)


def withheld_ids(user: Any, action_ids: Iterable[int] | None = None) -> set[int]:
    """Which of these actions (None: any) ``user`` is withheld the text of: two statements, the actions
    from recommendations that ``user`` is not to act on, then which of their applications' applicants
    are withheld from them (``applicants.withheld_ids``: the rule of the review's own pages). Only a Case
    Review recommendation's action can be."""
    from casework.community_triggers import applicants
    from casework.community_triggers.models import Recommendation, ReviewMeeting

    query = (
        sa.select(Action.id, ReviewMeeting.application_id)
        .join(Recommendation, Recommendation.id == Action.recommendation_id)
        .join(ReviewMeeting, ReviewMeeting.id == Recommendation.meeting_id)
    )
    if action_ids is not None:
        ids = sorted(set(action_ids))
        if not ids:
            return set()
        query = query.where(Action.id.in_(ids))
    if getattr(user, "is_authenticated", False):
        query = query.where(sa.not_(_acts_on(user)))
    rows = db.session.execute(query).all()
    withheld = applicants.withheld_ids(user, {application_id for _action_id, application_id in rows})
    return {action_id for action_id, application_id in rows if application_id in withheld}


def withheld_clause(user: Any) -> sa.ColumnElement[bool]:
    """``withheld_ids`` as a clause on ``Action``: true for the actions whose text is withheld from
    ``user``, for statements that filter by it (the audit log's values of an action's entries)."""
    from casework.community_triggers import applicants
    from casework.community_triggers.models import Recommendation, ReviewMeeting, TriggerApplication

    # The meetings under an alias: the applicants' clause looks up the application's own meetings (is
    # the reader a chair of one?), which must not be taken for these.
    meeting = shared_alias(ReviewMeeting, "withheld_action_meeting")
    withheld_recommendations = (
        sa.select(Recommendation.id)
        .join(meeting, meeting.id == Recommendation.meeting_id)
        .join(TriggerApplication, TriggerApplication.id == meeting.application_id)
        .where(applicants.withheld_clause(user))
    )
    from_withheld = sa.and_(
        Action.recommendation_id.is_not(None), Action.recommendation_id.in_(withheld_recommendations)
    )
    if getattr(user, "is_authenticated", False):
        return sa.and_(from_withheld, sa.not_(_acts_on(user)))
    return from_withheld


class SeenAction:
    """An action as a reader withheld its texts sees it: each of ``WITHHELD_FIELDS`` reads ``shown_as``
    (one not recorded reads None); everything else reads through. Read-only."""

    __slots__ = ("_action", "_shown_as")

    def __init__(self, action: Action, shown_as: str | None) -> None:
        object.__setattr__(self, "_action", action)
        object.__setattr__(self, "_shown_as", shown_as)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._action, name)
        if name in WITHHELD_FIELDS and value is not None:
            return self._shown_as
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("An action is read-only as a reader withheld its text sees it")

    def __eq__(self, other: object) -> bool:
        return self._action == (other._action if isinstance(other, SeenAction) else other)

    def __hash__(self) -> int:
        return hash(self._action)


def is_withheld(action: Any) -> bool:
    """Whether ``action`` (from ``seen`` or ``as_seen``) is one whose texts are withheld from its reader."""
    return isinstance(action, SeenAction)


def as_seen(action: Any, withheld: Collection[int], *, on_page: bool = False) -> Any:
    """``action`` as a reader sees it, given the ids withheld from them (``withheld_ids``): the action,
    or a read-only view whose texts read "Withheld" (``on_page``: pages, exports) or None (the API)."""
    if action.id in withheld:
        return SeenAction(action, ON_PAGES if on_page else None)
    return action


def seen(user: Any, actions: Iterable[Any], *, on_page: bool = False) -> list[Any]:
    """``actions`` as ``user`` sees them (``as_seen``): ``withheld_ids`` asked once for the list."""
    actions = list(actions)
    withheld = withheld_ids(user, [a.id for a in actions if a.recommendation_id is not None])
    return [as_seen(a, withheld, on_page=on_page) for a in actions]


def seen_one(user: Any, action: Any, *, on_page: bool = False) -> Any:
    """One action as ``user`` sees it (``seen``)."""
    return seen(user, [action], on_page=on_page)[0]
