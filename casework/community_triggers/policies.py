"""Which Case Review applications a user may see and work on.

Officers, coordinators and managers of an agency covering the application's area see the area's
applications; coordinators and managers also manage them. A chair sees only the applications whose
meetings they are appointed to chair, and records the outcome only of those meetings. Admins and
partners see none (admins manage configuration, not casework). An application a user may not see
answers 404, so its existence is not revealed.

An application anonymised under the retention policy (``anonymised_at``) stays readable but takes no
further step and no linked case (``get_application_for`` with ``manage`` refuses it, 422): the
retention run skips it from then on, so anything added would be kept for ever. Its pages offer no step
either (``can_take_steps``, ``takes_steps``): a page that shows a step's form answers as its POST does.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.accounts.models import agency_areas
from casework.community_triggers.models import ReviewMeeting, TriggerApplication
from casework.core.errors import Forbidden, NotFound, RuleViolation
from casework.core.lookup import Lookup
from casework.core.permissions import Permission, Role
from casework.extensions import db


def covers_area(user: Any, area_id: int) -> bool:
    return area_id in user.area_ids


def visible_applications_clause(user: Any) -> sa.ColumnElement[bool]:
    """A WHERE clause on TriggerApplication selecting what ``user`` may see (one clause, so a list
    stays one query)."""
    if not getattr(user, "is_authenticated", False):
        return sa.false()
    return _visible_applications(
        sa.true() if user.can(Permission.VIEW_TRIGGERS) else sa.false(),
        sa.true() if user.has_role(Role.chair) else sa.false(),
        sa.literal(user.agency_id),
        sa.literal(user.id),
    )


def visible_applications_template() -> sa.ColumnElement[bool]:
    """``visible_applications_clause`` with the user as bind parameters ``viewer_agency_id`` and
    ``viewer_id`` (``casework.cases.policies.visibility_params``), their roles read from ``user_roles``:
    for statements built once, such as the case search (``case_sections.application_matches``)."""
    from casework.accounts.models import UserRole
    from casework.core.permissions import ROLE_PERMISSIONS

    user_id: sa.BindParameter[int] = sa.bindparam("viewer_id")
    viewing = sorted(r for r, granted in ROLE_PERMISSIONS.items() if Permission.VIEW_TRIGGERS in granted)
    return _visible_applications(
        sa.exists().where(UserRole.user_id == user_id, UserRole.role.in_(viewing)),
        sa.exists().where(UserRole.user_id == user_id, UserRole.role == Role.chair),
        sa.bindparam("viewer_agency_id"),
        user_id,
    )


def _visible_applications(
    views_area: sa.ColumnElement[bool], is_chair: sa.ColumnElement[bool], agency_id: Any, user_id: Any
) -> sa.ColumnElement[bool]:
    """The rule: the applications of the areas the agency covers, for a user who may view
    applications; those whose meeting they are appointed to chair, for a chair."""
    in_area = TriggerApplication.area_id.in_(
        sa.select(agency_areas.c.area_id).where(agency_areas.c.agency_id == agency_id)
    )
    chaired = sa.exists().where(
        ReviewMeeting.application_id == TriggerApplication.id, ReviewMeeting.chair_id == user_id
    )
    return sa.or_(sa.and_(views_area, in_area), sa.and_(is_chair, chaired))


def can_view(user: Any, application: TriggerApplication) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.literal(True)).where(
                TriggerApplication.id == application.id, visible_applications_clause(user)
            )
        )
    )


def can_manage(user: Any, application: TriggerApplication) -> bool:
    """Coordinators and managers of an agency covering the area take the steps after registration."""
    return user.can(Permission.MANAGE_TRIGGERS) and covers_area(user, application.area_id)


def can_register(user: Any, area_id: int) -> bool:
    return user.can(Permission.REGISTER_APPLICATIONS) and covers_area(user, area_id)


def can_chair(user: Any, meeting: ReviewMeeting) -> bool:
    """Only the chair appointed to the meeting records what happened at it."""
    return bool(user.has_role(Role.chair) and meeting.chair_id == user.id)


#: The refusal of any step or link on an application anonymised under the retention policy.
ANONYMISED_APPLICATION = (
    "This application was anonymised under the retention policy: nothing can be changed or added on it."
)


def takes_steps(application: TriggerApplication) -> bool:
    """Whether ``application`` may still be changed at all: not once anonymised under the retention policy."""
    return application.anonymised_at is None


def can_take_steps(user: Any, application: TriggerApplication) -> bool:
    """Whether a page offers ``user`` the steps of ``application`` (its forms, and links to them): those
    who manage it (``can_manage``), while it takes steps. ``can_manage`` alone says who reads what only
    those who run the review read, anonymised or not."""
    return can_manage(user, application) and takes_steps(application)


def refuse_anonymised(application: TriggerApplication) -> None:
    if not takes_steps(application):
        raise RuleViolation(ANONYMISED_APPLICATION)


def get_application_for(user: Any, application_id: int, *, manage: bool = False) -> TriggerApplication:
    """The application, NotFound when it does not exist or ``user`` may not see it, Forbidden when
    ``manage`` and the user may see it but not take its steps."""
    application = db.session.scalar(
        sa.select(TriggerApplication).where(TriggerApplication.id == application_id, visible_applications_clause(user))
    )
    if application is None:
        raise NotFound("Application not found.")
    if manage and not can_manage(user, application):
        raise Forbidden("Only a coordinator or manager of an agency covering the area can do this.")
    if manage:
        refuse_anonymised(application)
    return application


def get_meeting_for(user: Any, application: TriggerApplication, meeting_id: int) -> ReviewMeeting:
    meeting = db.session.get(ReviewMeeting, meeting_id)
    if meeting is None or meeting.application_id != application.id:
        raise NotFound("Meeting not found.")
    return meeting


def visible_meetings_clause(user: Any) -> sa.ColumnElement[bool]:
    return ReviewMeeting.application_id.in_(sa.select(TriggerApplication.id).where(visible_applications_clause(user)))


#: Applications and meetings named in a request body or form (casework.core.lookup).
APPLICATIONS = Lookup("application", TriggerApplication, visible_applications_clause)
MEETINGS = Lookup("meeting", ReviewMeeting, visible_meetings_clause)
