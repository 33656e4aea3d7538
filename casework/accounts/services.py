"""Account operations. They validate, change the session and write the audit log; they never commit."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any, cast

import sqlalchemy as sa

from casework.accounts import notices
from casework.accounts.models import Agency, AgencyKind, ApiToken, Area, AreaSetting, User, UserRole
from casework.accounts.passwords import hash_password, password_problem, verify_password
from casework.audit.models import AuditAction
from casework.audit.services import record, record_change, snapshot
from casework.core import settings as settings_registry
from casework.core.db import end_read_transaction, prebuilt
from casework.core.errors import RULE, Conflict, InvalidInput, NotFound
from casework.core.permissions import Role
from casework.core.time import now, today
from casework.extensions import db

USER_AUDIT_FIELDS = ("email", "name", "agency_id", "manager_id", "is_active", "roles")


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- areas and agencies ----------------------------------------------------------------------------


def create_area(actor: User | None, code: str, name: str) -> Area:
    code = code.strip().upper()
    if db.session.scalar(sa.select(Area.id).where(Area.code == code)):
        raise InvalidInput({"code": [f"An area with code {code} already exists."]})
    area = Area(code=code, name=name.strip())
    db.session.add(area)
    db.session.flush()
    record_change(actor, area, None, snapshot(area, ("code", "name")), f"Created area {code}")
    return area


def get_area(code: str) -> Area:
    area = db.session.scalar(sa.select(Area).where(Area.code == code.strip().upper()))
    if area is None:
        raise NotFound(f"No area with code {code}.")
    return area


def areas_by_code(codes: Iterable[str], field: str = "area_codes") -> list[Area]:
    wanted = {c.strip().upper() for c in codes}
    found = list(db.session.scalars(sa.select(Area).where(Area.code.in_(wanted)).order_by(Area.code)))
    missing = wanted - {a.code for a in found}
    if missing:
        raise InvalidInput({field: [f"Unknown area code: {', '.join(sorted(missing))}."]})
    return found


def create_agency(
    actor: User | None,
    code: str,
    name: str,
    kind: str,
    area_codes: Iterable[str],
    is_csas_accredited: bool = False,
) -> Agency:
    code = code.strip().upper()
    if db.session.scalar(sa.select(Agency.id).where(Agency.code == code)):
        raise InvalidInput({"code": [f"An agency with code {code} already exists."]})
    agency = Agency(
        code=code,
        name=name.strip(),
        kind=AgencyKind(kind),
        areas=areas_by_code(area_codes),
        is_csas_accredited=bool(is_csas_accredited),
    )
    db.session.add(agency)
    db.session.flush()
    record_change(actor, agency, None, {"code": code, **_agency_snapshot(agency)}, f"Created agency {code}")
    return agency


def update_agency(
    actor: User | None,
    agency: Agency,
    *,
    name: str | None = None,
    kind: str | None = None,
    area_codes: Iterable[str] | None = None,
    is_csas_accredited: bool | None = None,
) -> Agency:
    """Rename an agency, change its kind, the areas it covers (its users then work in those areas) or
    whether its officers are accredited under the Community Safety Accreditation Scheme."""
    before = _agency_snapshot(agency)
    areas_removed = False
    if area_codes is not None:
        area_codes = list(area_codes)
        if not area_codes:
            raise InvalidInput({"area_codes": ["Select at least one area the agency covers."]})
        areas = areas_by_code(area_codes)
        areas_removed = bool({area.id for area in agency.areas} - {area.id for area in areas})
        agency.areas = areas
    if name is not None:
        agency.name = name.strip()
    if kind is not None:
        agency.kind = AgencyKind(kind)
    if is_csas_accredited is not None:
        agency.is_csas_accredited = is_csas_accredited
    db.session.flush()
    record_change(actor, agency, before, _agency_snapshot(agency), f"Updated agency {agency.code}")
    if areas_removed:
        # Its users no longer work in the areas taken away (the Case Reviews there): the work they held
        # there goes to those who do, as when a user is moved to another agency.
        from casework.core import lifecycle

        user_ids = list(db.session.scalars(sa.select(User.id).where(User.agency_id == agency.id)))
        lifecycle.send(lifecycle.sight_narrowed, case_ids=None, user_ids=user_ids, actor=actor)
    return agency


def _agency_snapshot(agency: Agency) -> dict[str, Any]:
    return {
        "name": agency.name,
        "kind": agency.kind.value,
        "areas": [a.code for a in agency.areas],
        "is_csas_accredited": bool(agency.is_csas_accredited),
    }


def get_agency(code: str, field: str = "agency_code") -> Agency:
    """Agencies are public organisations: named by code through the one lookup, by anyone."""
    from casework.accounts.policies import AGENCIES

    return AGENCIES.get(None, code, field)


# --- references -------------------------------------------------------------------------------------


def allocate_sequence(series: str, area: Area, year: int, session: Any = None) -> int:
    """The next sequence number of ``series`` in ``area`` and ``year``: the one way references are
    numbered (cases, Case Review applications).

    ``UPDATE ... RETURNING`` increments the counter and locks its row until the transaction ends, so
    concurrent allocations queue on it. The first of a year inserts the row; if another transaction
    inserted it first, the primary key refuses ours (inside a savepoint) and we increment theirs.
    """
    from sqlalchemy.exc import IntegrityError

    from casework.accounts.models import ReferenceCounter

    session = session or db.session
    table = cast(sa.Table, ReferenceCounter.__table__)
    increment = (
        sa.update(table)
        .where(table.c.series == series, table.c.area_id == area.id, table.c.year == year)
        .values(last_sequence=table.c.last_sequence + 1)
        .returning(table.c.last_sequence)
    )
    sequence = session.execute(increment).scalar()
    if sequence is None:
        try:
            with session.begin_nested():
                session.execute(sa.insert(table).values(series=series, area_id=area.id, year=year, last_sequence=1))
            sequence = 1
        except IntegrityError:
            sequence = session.execute(increment).scalar_one()
    return int(sequence)


# --- area settings ----------------------------------------------------------------------------------


def area_settings(area: Area | None, on: date | None = None) -> dict[str, Any]:
    """The settings in force for ``area`` on ``on`` (default today): the area's own latest value
    that has taken effect, else the deployment-wide one, else the registered default."""
    wanted = (area.id if area is not None else None, on or today())
    return area_settings_on_days([wanted])[wanted]


def area_settings_version(area: Area | None) -> int:
    """Which version of ``area``'s settings a page shows: the last row stored for the area or for
    every area (they are only ever added, never changed: the last one written wins), so any save
    since, in force or scheduled, gives another number (``ReadVersionMixin``)."""
    scope: sa.ColumnElement[bool] = AreaSetting.area_id.is_(None)
    if area is not None:
        scope = sa.or_(scope, AreaSetting.area_id == area.id)
    return db.session.scalar(sa.select(sa.func.max(AreaSetting.id)).where(scope)) or 0


def area_settings_on_days(wanted: Iterable[tuple[int | None, date]]) -> dict[tuple[int | None, date], dict[str, Any]]:
    """``area_settings`` for each (area id, day) of ``wanted`` (None: the deployment-wide settings), in
    one statement however many there are: a list whose rows each need their area's settings on a day of
    their own asks once for the page."""
    wanted = set(wanted)
    if not wanted:
        return {}
    area_ids = sorted({area_id for area_id, _on in wanted if area_id is not None})
    rows = db.session.execute(
        sa.select(AreaSetting.key, AreaSetting.value, AreaSetting.area_id, AreaSetting.effective_from)
        .where(
            AreaSetting.effective_from <= max(on for _area_id, on in wanted),
            sa.or_(AreaSetting.area_id.is_(None), AreaSetting.area_id.in_(area_ids)),
        )
        # Deployment-wide first, then the area's own; within each, oldest first: the last write wins.
        .order_by(AreaSetting.area_id.is_not(None), AreaSetting.effective_from, AreaSetting.id)
    ).all()
    answers = {}
    for area_id, on in wanted:
        values = settings_registry.defaults()
        for key, value, setting_area_id, effective_from in rows:
            if key in values and effective_from <= on and setting_area_id in (None, area_id):
                values[key] = value
        answers[(area_id, on)] = values
    return answers


def area_setting_sources(area: Area | None, on: date | None = None) -> dict[str, str]:
    """Where each value ``area_settings(area, on)`` gives comes from: ``"area"`` (the area's own),
    ``"all"`` (the deployment-wide setting) or ``"default"`` (the registered default)."""
    on = on or today()
    area_id = area.id if area is not None else None
    rows = db.session.execute(
        sa.select(AreaSetting.key, AreaSetting.area_id.is_not(None))
        .where(
            AreaSetting.effective_from <= on,
            sa.or_(AreaSetting.area_id.is_(None), AreaSetting.area_id == area_id),
        )
        .distinct()
    )
    sources = dict.fromkeys(settings_registry.specs(), "default")
    for key, is_own in rows:
        if key in sources and sources[key] != "area":
            sources[key] = "area" if is_own else "all"
    return sources


def scheduled_settings(area: Area | None) -> list[dict[str, Any]]:
    """Changes already entered that take effect after today (``None``: the deployment-wide ones)."""
    own = AreaSetting.area_id.is_(None) if area is None else AreaSetting.area_id == area.id
    rows = db.session.scalars(
        sa.select(AreaSetting)
        .where(own, AreaSetting.effective_from > today())
        .order_by(AreaSetting.effective_from, AreaSetting.key)
    )
    return [{"key": r.key, "value": r.value, "effective_from": r.effective_from.isoformat()} for r in rows]


def update_area_settings(
    actor: User | None, area: Area | None, values: Mapping[str, Any], effective_from: date | None = None
) -> list[str]:
    """Validate and store new values from ``effective_from`` (default today). Returns warnings."""
    if not isinstance(values, Mapping) or not values:
        raise InvalidInput({"settings": ["Give at least one setting to change."]})
    errors: dict[str, list[str]] = {}
    parsed: dict[str, Any] = {}
    warnings: list[str] = []
    for key, raw in values.items():
        spec = settings_registry.specs().get(key)
        if spec is None:
            errors[f"settings.{key}"] = ["Unknown setting."]
            continue
        try:
            parsed[key] = spec.parse(raw)
        except ValueError as error:
            errors[f"settings.{key}"] = [f"{spec.title}: {error}."]
            continue
        if spec.warn and (message := spec.warn(parsed[key])):
            warnings.append(message)
    if errors:
        raise InvalidInput(errors)
    effective_from = effective_from or today()
    if effective_from.year < 1900 or effective_from.year > 2099:
        raise InvalidInput({"effective_from": ["Enter a date between 1 January 1900 and 31 December 2099."]})
    # A change back-dated past records already dealt with must leave what applied to them alone.
    dated = _dated_records(area, set(parsed), effective_from) if effective_from < today() else []
    applied = [(record, area_settings(_area_of(record, area), record.on)) for record in dated]
    before = area_settings(area, effective_from)
    warnings.extend(_combination_problems(area, parsed, before, effective_from))
    # Whom today's settings require a second factor of and who has none, before the change.
    from casework.accounts.settings import SECOND_FACTOR_REQUIRED

    owed_before = (
        {user.id for user in _owing_a_second_factor(area)}
        if SECOND_FACTOR_REQUIRED in parsed and effective_from <= today()
        else None
    )
    for key, value in parsed.items():
        db.session.add(
            AreaSetting(
                area_id=area.id if area else None,
                key=key,
                value=value,
                effective_from=effective_from,
                created_by_id=getattr(actor, "id", None),
            )
        )
    db.session.flush()
    changed_for = [
        record
        for record, values in applied
        if any(area_settings(_area_of(record, area), record.on)[key] != values[key] for key in parsed)
    ]
    if changed_for:
        raise InvalidInput({"effective_from": [_backdating_message(changed_for, effective_from)]})
    if owed_before is not None:
        warnings.extend(_sign_out_newly_owing_a_second_factor(actor, area, owed_before))
    changes = {k: [before.get(k), v] for k, v in parsed.items()}
    target = area if area is not None else ("area_settings", None)
    label = area.code if area is not None else "all areas"
    record(actor, AuditAction.update, target, f"Settings for {label} from {effective_from:%d %B %Y}", changes)
    return warnings


def _owing_a_second_factor(area: Area | None) -> list[User]:
    """The active users the settings in force today require a second factor of, and who have none: of
    the agencies covering ``area`` (every agency for the deployment-wide settings)."""
    # Here, not at the top: second_factor imports this module (end_sessions, area_settings), which it
    # builds on; this is the one use the other way, by a change to the area's settings.
    from casework.accounts import second_factor

    query = (
        sa.select(User)
        .where(
            User.is_active.is_(True),
            User.totp_secret.is_(None),
            User.role_rows.any(UserRole.role.in_(second_factor.REQUIRED_FOR)),
        )
        .order_by(User.id)
    )
    if area is not None:
        query = query.where(User.agency.has(Agency.areas.any(Area.id == area.id)))
    return [user for user in db.session.scalars(query) if second_factor.is_required(user)]


def _sign_out_newly_owing_a_second_factor(actor: User | None, area: Area | None, owed_before: set[int]) -> list[str]:
    """A second factor is asked for when someone signs in: those it is now required of and who are signed
    in already (a training day before go-live) would otherwise go on with the password alone until their
    session ends, and with their API tokens until they expire. So they are signed out everywhere, and set
    one up when they next sign in. Returns what to tell the administrator."""
    newly = [user for user in _owing_a_second_factor(area) if user.id not in owed_before]
    for user in newly:
        end_sessions(user, actor)
    if not newly:
        return []
    people = f"{len(newly)} {'person' if len(newly) == 1 else 'people'}"
    return [
        f"{people} who must now use a second factor and have none were signed out everywhere: "
        "they set one up when they next sign in."
    ]


def _combination_problems(
    area: Area | None, parsed: Mapping[str, Any], before: Mapping[str, Any], effective_from: date
) -> list[str]:
    """Check the values that will be in force together from ``effective_from`` (the registry's checks
    of settings read together). A combination that can never take effect is refused (InvalidInput,
    ``_rule`` and the settings involved); one that works against itself is answered with warnings.

    A change for all areas is checked as it applies in each area too: an area's own value wins, so a
    change an area overrides does not take effect there (a warning), and what the area ends up with is
    what is checked."""
    changed = set(parsed)
    combinations: list[tuple[str | None, dict[str, Any]]] = [(None, {**before, **parsed})]
    warnings: list[str] = []
    if area is None:
        descriptions = {key: settings_registry.specs()[key].description for key in parsed}
        for each in db.session.scalars(sa.select(Area).order_by(Area.name)):
            sources = area_setting_sources(each, effective_from)
            own = [key for key in parsed if sources.get(key) == "area"]
            if own:
                warnings.append(
                    f"{each.name} has its own value for: {'; '.join(descriptions[key] for key in own)}. "
                    "This change does not apply there."
                )
            values = area_settings(each, effective_from)
            combinations.append((each.name, {**values, **{k: v for k, v in parsed.items() if k not in own}}))
    refused: dict[str, list[str]] = {}
    seen: set[str] = set()
    for where, values in combinations:
        for problem in settings_registry.problems(values, changed):
            if problem.message in seen:
                continue
            seen.add(problem.message)
            message = problem.message if where is None else f"In {where}: {problem.message}"
            if problem.refuse:
                refused.setdefault(RULE, []).append(message)
                for key in problem.keys:
                    if key in changed:
                        refused.setdefault(f"settings.{key}", []).append(message)
            else:
                warnings.append(message)
    if refused:
        raise InvalidInput(refused)
    return warnings


def _dated_records(area: Area | None, keys: set[str], effective_from: date) -> list[settings_registry.DatedRecord]:
    found: list[settings_registry.DatedRecord] = []
    for source in settings_registry.dated_record_sources():
        found.extend(source([area.id] if area is not None else None, keys, effective_from))
    return found


def _area_of(record: settings_registry.DatedRecord, area: Area | None) -> Area | None:
    if area is not None and area.id == record.area_id:
        return area
    return db.session.get(Area, record.area_id)


def _backdating_message(records: list[settings_registry.DatedRecord], effective_from: date) -> str:
    """A settings change never re-decides what was already received."""
    latest = max(record.on for record in records)
    names = ", ".join(record.label for record in sorted(records, key=lambda r: (r.on, r.label))[:5])
    more = f" and {len(records) - 5} more" if len(records) > 5 else ""
    return (
        f"The change cannot take effect from {effective_from.day} {effective_from:%B %Y}: it would change the "
        f"settings that applied to {len(records)} record{'s' if len(records) != 1 else ''} received since then "
        f"({names}{more}). Settings in force when a record was received stay with it. Choose today or a later "
        f"date, or a date after {latest.day} {latest:%B %Y}."
    )


# --- users ------------------------------------------------------------------------------------------


def _validate_roles(roles: Iterable[str]) -> list[str]:
    roles = list(roles)
    valid = {r.value for r in Role}
    unknown = [r for r in roles if r not in valid]
    if unknown:
        raise InvalidInput({"roles": [f"Unknown role: {', '.join(unknown)}. Roles are {', '.join(sorted(valid))}."]})
    if not roles:
        raise InvalidInput({"roles": ["Give the user at least one role."]})
    return roles


def search_users(
    *, text: str | None = None, agency_id: int | None = None, role: str | None = None
) -> sa.Select[tuple[User]]:
    """Users matching a name or email fragment, an agency and a role, by name: a query to paginate.

    The manager is joined in (lists show them) without the manager's own roles and agency.
    """
    manager = sa.orm.joinedload(User.manager)
    query = (
        sa.select(User)
        .options(manager.options(sa.orm.lazyload(User.agency)), sa.orm.selectinload(User.role_rows))
        .order_by(User.name, User.id)
    )
    if text and text.strip():
        fragment = text.strip().lower()
        query = query.where(
            sa.or_(
                sa.func.lower(User.name).contains(fragment, autoescape=True),
                User.email.contains(fragment, autoescape=True),
            )
        )
    if agency_id is not None:
        query = query.where(User.agency_id == agency_id)
    if role:
        query = query.where(User.role_rows.any(UserRole.role == Role(role)))
    return query


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    password: str,
    agency: Agency,
    roles: Iterable[str],
    manager_email: str | None = None,
) -> User:
    email = normalise_email(email)
    errors: dict[str, list[str]] = {}
    if find_user_by_email(email):
        errors["email"] = ["A user with this email address already exists."]
    if problem := password_problem(password, (email, name)):
        errors["password"] = [problem]
    manager = None
    if manager_email:
        manager = find_user_by_email(manager_email)
        if manager is None:
            errors["manager_email"] = [f"No user with email address {manager_email}."]
    if errors:
        raise InvalidInput(errors)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), agency=agency, manager=manager)
    user.roles = _validate_roles(roles)
    db.session.add(user)
    db.session.flush()
    record_change(actor, user, None, snapshot(user, USER_AUDIT_FIELDS), f"Created user {email}")
    return user


#: Why an administrator's change to their own account is refused (the page and the API alike).
LOCKING_ONESELF_OUT = "You cannot remove your own administrator role or deactivate your own account"


def update_user(actor: User | None, user: User, expected_version: int | None = None, **changes: Any) -> User:
    """Change a user's name, agency, roles, manager or active flag (and password when given).

    An administrator cannot lock themselves out (take away their own administrator role, or deactivate
    their own account); another administrator can do it."""
    if expected_version is not None and expected_version != user.version:
        raise Conflict("This user was changed by someone else. Reload and try again.")
    locks_out = ("roles" in changes and Role.admin.value not in changes["roles"]) or changes.get("is_active") is False
    if actor is not None and actor.id == user.id and Role.admin.value in user.roles and locks_out:
        raise InvalidInput({"roles": [LOCKING_ONESELF_OUT]})
    if locks_out and user.is_active and Role.admin.value in user.roles:
        _keep_an_administrator(user, "is_active" if changes.get("is_active") is False else "roles")
    before = snapshot(user, USER_AUDIT_FIELDS)
    sight_changes = (
        ("roles" in changes and set(changes["roles"]) != set(user.roles))
        or ("agency" in changes and changes["agency"] is not user.agency)
        or ("is_active" in changes and changes["is_active"] != user.is_active)
    )
    signs_out = "password" in changes or sight_changes
    led_a_team, agency_before, manager_given = user.has_role(Role.manager), user.agency, "manager_email" in changes
    errors: dict[str, list[str]] = {}
    if "roles" in changes:
        user.roles = _validate_roles(changes.pop("roles"))
    if "manager_email" in changes:
        manager_email = changes.pop("manager_email")
        manager = find_user_by_email(manager_email) if manager_email else None
        if manager_email and manager is None:
            errors["manager_email"] = [f"No user with email address {manager_email}."]
        elif manager is not None and manager.id == user.id:
            errors["manager_email"] = ["A user cannot be their own manager."]
        else:
            user.manager = manager
    if "agency" in changes:
        user.agency = changes.pop("agency")
    if "password" in changes:
        password = changes.pop("password")
        if problem := password_problem(password, (user.email, changes.get("name", user.name))):
            errors["password"] = [problem]
        else:
            user.password_hash = hash_password(password)
    for key in ("name", "is_active"):
        if key in changes:
            setattr(user, key, changes.pop(key))
    if changes:
        errors.update({k: ["This field cannot be changed."] for k in changes})
    if errors:
        raise InvalidInput(errors)
    # Touching the row bumps its version even when only roles changed (they live in another table).
    user.updated_at = now()
    teams_left = _leave_teams_of_before(actor, user, led_a_team, agency_before, manager_given)
    if signs_out:
        end_sessions(user, actor)
    db.session.flush()
    record_change(actor, user, before, snapshot(user, USER_AUDIT_FIELDS), f"Updated user {user.email}")
    if teams_left:
        from casework.core import lifecycle

        for manager_id, member_id in teams_left:
            lifecycle.send(lifecycle.team_left, manager_id=manager_id, member_id=member_id, actor=actor)
    if sight_changes:
        # They may no longer see some cases: the work they held on those goes back to the cases' owners.
        from casework.core import lifecycle

        lifecycle.send(lifecycle.sight_narrowed, case_ids=None, user_ids=[user.id], actor=actor)
    return user


def _leave_teams_of_before(
    actor: User | None, user: User, led_a_team: bool, agency_before: Agency, manager_given: bool
) -> list[tuple[int, int | None]]:
    """Undo the team links that ``user``'s change of roles or agency took the ground from; answers the
    teams left, as ``(manager id, member id)`` (None: the whole team), for ``lifecycle.team_left``.

    A manager link outlives everything else about access: it is what sends a user's overdue work to
    their manager (escalations), lists it in the manager's team deadlines, digest, dashboard and
    caseload, and shares saved case views with the team. So a manager who loses the manager role
    leads nobody any more, and one moved to another agency leads nobody left at the old one; a user
    moved to another agency leaves the manager of the old one (unless the same change names their
    new manager). Those who lose their manager have none until an administrator sets one: their
    escalations go to the managers of their agency meanwhile (``reminders.escalation_recipients``).
    Each report taken out of the team has the change in their own audit trail."""
    left: list[tuple[int, int | None]] = []
    moved = user.agency is not agency_before
    if moved and not manager_given and user.manager is not None and user.manager.agency is not user.agency:
        left.append((user.manager.id, user.id))
        user.manager = None
    lost_the_role = led_a_team and not user.has_role(Role.manager)
    if not (lost_the_role or moved):
        return left
    reports = db.session.scalars(sa.select(User).where(User.manager_id == user.id).order_by(User.id)).all()
    for report in reports:
        if moved and not lost_the_role and report.agency is user.agency:
            continue  # already at the agency they moved to: still their team
        report_before = snapshot(report, USER_AUDIT_FIELDS)
        report.manager = None
        report.updated_at = now()
        db.session.flush()
        record_change(
            actor,
            report,
            report_before,
            snapshot(report, USER_AUDIT_FIELDS),
            f"Took {report.email} out of the team of {user.email}, who no longer manages at their agency",
        )
    left.append((user.id, None))
    return left


#: Why a change that would leave the service with no active administrator is refused.
LAST_ADMINISTRATOR = (
    "Casework needs at least one active administrator: make someone else an administrator before this change"
)


def _keep_an_administrator(user: User, field: str) -> None:
    """Refuse to take ``user``'s administrator role or account away when no other active administrator
    would be left (only the server's command line could make one again).

    Nobody may do it to themselves (``LOCKING_ONESELF_OUT``), but two administrators may each do it to
    the other at the same moment, each seeing the other still active. So the active administrators'
    rows are locked (in the order of their ids) before they are counted: on PostgreSQL the second change
    waits here for the first, then reads the first's result (its own row, no longer active) and is
    refused; on SQLite a write transaction holds the write lock already."""
    active_admins = db.session.scalars(
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.admin, User.is_active.is_(True))
        .order_by(User.id)
        .with_for_update(of=User)
    ).all()
    if not any(admin_id != user.id for admin_id in active_admins):
        raise InvalidInput({field: [LAST_ADMINISTRATOR]})


def end_sessions(user: User, actor: User | None = None) -> None:
    """Sign ``user`` out everywhere: their page sessions end, their API tokens are revoked, and every
    other secret that opens anything as them (the calendar feed's link) is revoked by its domain
    (``lifecycle.signed_out_everywhere``).

    The one place this happens, for every change to what the user may do or how they prove who they
    are (password, roles, agency, active status): ``update_user`` calls it.
    """
    from casework.accounts import sessions
    from casework.core import lifecycle

    user.session_stamp += 1  # a cookie carrying the old stamp no longer loads the user (User.get_id)
    sessions.end_all(user)
    db.session.execute(
        sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now())
    )
    lifecycle.send(lifecycle.signed_out_everywhere, user=user, actor=actor)


def reset_password(actor: User | None, user: User, password: str) -> User:
    """Set a new password (which signs the user out everywhere). The audit entry says it changed, never
    what it is. The account holder is emailed, as for their own change: an administrator's account used
    by someone else could otherwise take over any other account without its holder knowing."""
    update_user(actor, user, password=password)
    changes = {"password": ["(hidden)", "(changed)"]}
    record(actor, AuditAction.update, user, f"Reset the password of {user.email}", changes)
    if actor is not None and actor.id == user.id:  # an administrator's own, on the administration pages
        notices.password_changed(user)
        return user
    notices.password_reset(user)
    return user


def change_own_password(user: User, password: str) -> User:
    """The signed-in ``user`` set a new password (having given their current one: the view). It signs them
    out everywhere, as an administrator's reset does, and they are emailed in case it was not them."""

    update_user(user, user, password=password)
    record(user, AuditAction.update, user, "Changed their own password", {"password": ["(hidden)", "(changed)"]})
    notices.password_changed(user)
    return user


def check_password(email: str, password: str) -> User | None:
    """The active user with this email address and password, or None (the failure is audited). The user
    is not signed in yet: a second factor may be needed (``record_sign_in`` once it is done)."""
    user = find_user_by_email(email)
    password_hash = user.password_hash if user else None
    end_read_transaction()  # no lock held while the hash is checked
    ok = verify_password(password_hash, password)
    if not ok or user is None or not user.is_active:
        record(None, AuditAction.sign_in_failed, ("users", user.id if user else None), "Failed sign-in attempt")
        return None
    return user


def confirm_password(user: User, password: str) -> bool:
    """Whether ``password`` is the signed-in ``user``'s own: asked again before a change to how they
    prove who they are (turning the second factor off, new recovery codes). A wrong one is audited as a
    failed attempt, and the view counts it toward the sign-in limits."""
    password_hash = user.password_hash
    user_id = user.id
    end_read_transaction()  # no lock held while the hash is checked
    if verify_password(password_hash, password):
        return True
    record(None, AuditAction.sign_in_failed, ("users", user_id), "Wrong password given to change the second factor")
    return False


def record_failed_code(user: User) -> None:
    record(None, AuditAction.sign_in_failed, user, "Failed sign-in attempt: wrong second-factor code")


def record_sign_in(user: User, how: str = "Signed in") -> None:
    user.last_signed_in_at = now()
    record(user, AuditAction.sign_in, user, how)


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, signed in (audited), or None. For users without a
    second factor; the views ask for the code first when there is one."""
    user = check_password(email, password)
    if user is not None:
        record_sign_in(user)
    return user


def tell_account_locked(email: str, minutes: int) -> None:
    """Email the account holder that repeated failed attempts have locked their account for a while
    (sent after commit; nothing when no active account has this address, which the caller never says)."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    record(None, AuditAction.sign_in_failed, user, f"Sign-in locked for {minutes} minutes after repeated failures")
    notices.sign_in_locked(user, minutes)


# --- API tokens -------------------------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, hours: int) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=_hash_token(token), expires_at=now() + timedelta(hours=hours))
    db.session.add(row)
    db.session.flush()
    return token, row


def user_for_token(token: str) -> tuple[User, int] | None:
    """The active user of an unrevoked, unexpired token, and the token's id; None otherwise."""
    found = db.session.execute(prebuilt(_TOKEN), {"token_hash": _hash_token(token)}).unique().first()
    if found is None:
        return None
    user, token_id, revoked_at, expires_at = found
    if revoked_at is not None or expires_at <= now() or not user.is_active:
        return None
    return user, token_id


#: The token's user with their agency and roles, and the token's id and times, in one statement built
#: once (every API request runs it). The token is read as values, not loaded as an entity: only
#: revoking it needs the row (``revoke_token``).
_TOKEN = (
    sa.select(User, ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"))
    .options(sa.orm.joinedload(User.role_rows))
)


def record_sign_out(user: User, how: str = "Signed out") -> None:
    """The audit entry of signing out, from the pages or from the API (``revoke_token``)."""
    record(user, AuditAction.sign_out, user, how)


def revoke_token(token_id: int) -> None:
    """Revoke the token with this id (the one the request was made with: ``g.api_token_id``): the
    API's signing out, audited as the pages' is."""
    token = db.session.get_one(ApiToken, token_id)
    token.revoked_at = now()
    record_sign_out(token.user, "Signed out of the API (revoked its token)")


def alert_stuck_deletions() -> int:
    """``accounts.alert_stuck_deletions``: one email to each active administrator listing the stuck
    deletions not alerted yet, which are then marked as alerted. Never commits."""
    from casework.core.storage import StuckDeletion
    from casework.notifications.services import queue_email

    rows = list(
        db.session.scalars(
            sa.select(StuckDeletion).where(StuckDeletion.alerted_at.is_(None)).order_by(StuckDeletion.id)
        )
    )
    if not rows:
        return 0
    admins = db.session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.admin, User.is_active.is_(True))
        .order_by(User.id)
    ).all()
    lines = [f"- {row.backend}: {row.key} (tried {row.attempts} times; last error: {row.last_error})" for row in rows]
    text = (
        f"The file store refused to delete {len(rows)} stored file{'s' if len(rows) != 1 else ''} "
        "after every attempt. Their records are gone, but the files are still in the store: "
        "Casework tries again every few hours, and lists them on your home page until they go. "
        "Check the store (its address, credentials and permissions) - see docs/operations.md, "
        '"Files the store would not delete".\n\n' + "\n".join(lines) + "\n"
    )
    queued = 0
    for admin in admins:
        queue_email(
            to=admin,
            subject="Casework: files the store would not delete",
            text=text,
            key=f"stuck-deletions:{admin.id}:{rows[0].id}-{rows[-1].id}:{len(rows)}",
        )
        queued += 1
    moment = now()
    for row in rows:
        row.alerted_at = moment
    db.session.flush()
    return queued
