"""Who may do what: the one place coarse access is defined.

Roles map to permissions here. Every view declares what it needs with ``@requires(...)`` or
``@public_endpoint``; the audience blueprints refuse any endpoint that declares nothing (deny by
default), and ``tests/test_permissions.py`` calls every endpoint as every role. Object-level rules
(which cases, which applications) live in each domain's ``policies.py``.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])


class Role(enum.StrEnum):
    officer = "officer"
    coordinator = "coordinator"
    chair = "chair"
    manager = "manager"
    partner = "partner"
    admin = "admin"
    #: Information governance: subject access exports in full (restricted records included, with a
    #: recorded reason), retention reports, the audit log. Sees no casework otherwise.
    dpo = "dpo"


ROLE_LABELS = {
    Role.officer: "ASB officer",
    Role.coordinator: "Case review coordinator",
    Role.chair: "Independent chair",
    Role.manager: "Manager",
    Role.partner: "Partner agency",
    Role.admin: "Administrator",
    Role.dpo: "Data protection officer",
}


class Permission(enum.StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_CASES = "view_cases"
    #: Open a case (partners contribute to shared cases but do not open their own).
    OPEN_CASES = "open_cases"
    EDIT_CASES = "edit_cases"
    REGISTER_APPLICATIONS = "register_applications"
    VIEW_TRIGGERS = "view_triggers"
    MANAGE_TRIGGERS = "manage_triggers"
    CHAIR_REVIEWS = "chair_reviews"
    MANAGE_TEAM = "manage_team"
    VIEW_STATISTICS = "view_statistics"
    COMPILE_STATISTICS = "compile_statistics"
    PUBLISH_STATISTICS = "publish_statistics"
    #: The partnership performance report (every agency's workload, as counts): managers.
    VIEW_PARTNERSHIP_REPORT = "view_partnership_report"
    ADMINISTER = "administer"
    VIEW_AUDIT = "view_audit"
    #: Export everything held about a person (subject access), third parties redacted and restricted
    #: records withheld unless the exporter is named on them.
    EXPORT_PEOPLE = "export_people"
    #: Release the full export (restricted records, third parties), with a recorded reason.
    RELEASE_SUBJECT_ACCESS = "release_subject_access"
    VIEW_RETENTION = "view_retention"
    #: Merge two records of the same person (and undo it within the window).
    MERGE_PEOPLE = "merge_people"
    #: Bring records in from spreadsheets and police logs (a bulk change: coordinators and managers).
    IMPORT_RECORDS = "import_records"
    #: Chair the area's multi-agency tasking meetings: build the agenda, record the meeting, publish
    #: the minutes (coordinators and managers; the agencies that attend read them).
    RUN_TASKING_MEETINGS = "run_tasking_meetings"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.officer: frozenset(
        {
            P.VIEW_DASHBOARD,
            P.VIEW_CASES,
            P.OPEN_CASES,
            P.EDIT_CASES,
            P.REGISTER_APPLICATIONS,
            P.VIEW_TRIGGERS,
            P.MERGE_PEOPLE,
        }
    ),
    Role.coordinator: frozenset(
        {
            P.VIEW_DASHBOARD,
            P.VIEW_CASES,
            P.OPEN_CASES,
            P.EDIT_CASES,
            P.REGISTER_APPLICATIONS,
            P.VIEW_TRIGGERS,
            P.MANAGE_TRIGGERS,
            P.VIEW_STATISTICS,
            P.COMPILE_STATISTICS,
            P.MERGE_PEOPLE,
            P.IMPORT_RECORDS,
            P.RUN_TASKING_MEETINGS,
        }
    ),
    # A chair sees only the reviews they chair; the object-level policy narrows CHAIR_REVIEWS.
    Role.chair: frozenset({P.VIEW_DASHBOARD, P.CHAIR_REVIEWS}),
    Role.manager: frozenset(
        {
            P.VIEW_DASHBOARD,
            P.VIEW_CASES,
            P.OPEN_CASES,
            P.EDIT_CASES,
            P.REGISTER_APPLICATIONS,
            P.VIEW_TRIGGERS,
            P.MANAGE_TRIGGERS,
            P.MANAGE_TEAM,
            P.VIEW_STATISTICS,
            P.COMPILE_STATISTICS,
            P.PUBLISH_STATISTICS,
            P.VIEW_PARTNERSHIP_REPORT,
            P.EXPORT_PEOPLE,
            P.MERGE_PEOPLE,
            P.IMPORT_RECORDS,
            P.RUN_TASKING_MEETINGS,
        }
    ),
    # Partners see and contribute to the cases shared with their agency (object-level policy).
    Role.partner: frozenset({P.VIEW_DASHBOARD, P.VIEW_CASES, P.EDIT_CASES}),
    # Admins manage configuration, not casework.
    Role.admin: frozenset({P.VIEW_DASHBOARD, P.ADMINISTER, P.VIEW_AUDIT, P.VIEW_RETENTION}),
    # The data protection officer: the role, not a person, that may release a
    # subject access export in full. VIEW_AUDIT shows them who did what and when; the entries' values
    # only of records they may see, which are none of the casework (casework/audit/visibility.py says
    # why: the release, with its recorded reason, is their way to the content). Admins read it likewise.
    Role.dpo: frozenset({P.VIEW_DASHBOARD, P.EXPORT_PEOPLE, P.RELEASE_SUBJECT_ACCESS, P.VIEW_AUDIT, P.VIEW_RETENTION}),
}


def permissions_for(roles: Any) -> frozenset[Permission]:
    return _permissions_for(tuple(sorted(Role(role).value for role in roles)))


@functools.cache
def _permissions_for(roles: tuple[str, ...]) -> frozenset[Permission]:
    # A page asks what the user may do a few dozen times (navigation, links, sections): worked out
    # once per set of roles.
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[Role(role)]
    return frozenset(granted)


@dataclass(frozen=True)
class Access:
    """What a view declares: public, or any one of ``permissions``."""

    public: bool = False
    permissions: frozenset[Permission] = frozenset()

    def allows(self, user: Any) -> bool:
        if self.public:
            return True
        if not getattr(user, "is_authenticated", False):
            return False
        return any(user.can(p) for p in self.permissions)


ACCESS_ATTR = "casework_access"


def requires(*permissions: Permission) -> Callable[[F], F]:
    """Allow signed-in users holding any one of ``permissions``."""
    if not permissions:
        raise ValueError("requires() needs at least one permission")
    access = Access(permissions=frozenset(permissions))

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401)
            if not access.allows(current_user):
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, access)
        return wrapper  # type: ignore[return-value]

    return decorate


def signed_in(view: F) -> F:
    """Allow any signed-in user, whatever their roles."""
    return requires(*Permission)(view)


def public_endpoint(view: F) -> F:
    """Mark a view as open to everyone (the public form, published statistics, sign-in)."""
    setattr(view, ACCESS_ATTR, Access(public=True))
    return view


def access_of(view: Callable[..., Any] | None) -> Access | None:
    return getattr(view, ACCESS_ATTR, None) if view is not None else None
