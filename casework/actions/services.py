"""Multi-agency actions: create, change, close, and who may see them. Never commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency, User
from casework.accounts.policies import USERS
from casework.actions import sight
from casework.actions.queries import agencies_working_on
from casework.audit.services import record_change, snapshot
from casework.cases.models import Action, ActionStatus, Case
from casework.cases.policies import can_edit_case, get_on_case_for, may_take_work_on, visible_cases_clause
from casework.core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from casework.core.permissions import Permission
from casework.core.time import today
from casework.extensions import db
from casework.reminders.models import Deadline
from casework.reminders.services import close_deadline, set_deadline

SUBJECT_TYPE = "actions"
DUE_KIND = "action.due"
OPEN_STATUSES = (ActionStatus.open, ActionStatus.in_progress)
#: Refused on ``outcome`` to an actor a Case Review recommendation's texts are withheld from (``sight``).
WITHHELD_OUTCOME = "The outcome is withheld from you: the agency the recommendation is addressed to records it."
AUDIT_FIELDS = ("case_id", "description", "agency_id", "assignee_id", "due_on", "status", "outcome", "completed_on")


def is_overdue(action: Action, on: date | None = None) -> bool:
    return action.status in OPEN_STATUSES and action.due_on is not None and action.due_on < (on or today())


def overdue_clause(on: date | None = None) -> sa.ColumnElement[bool]:
    return sa.and_(Action.status.in_(OPEN_STATUSES), Action.due_on < (on or today()))


def visible_actions_clause(user: Any) -> sa.ColumnElement[bool]:
    """Actions on cases the user may see, and Case Review actions with no case addressed to them or
    their agency. The query must outer-join ``Case`` on ``Action.case_id``."""
    own_review_actions = sa.and_(
        Action.case_id.is_(None),
        sa.or_(Action.assignee_id == user.id, Action.agency_id == user.agency_id)
        if user.can(Permission.VIEW_CASES)
        else Action.assignee_id == user.id,
    )
    return sa.or_(sa.and_(Action.case_id.is_not(None), visible_cases_clause(user)), own_review_actions)


def visible_actions(user: Any) -> sa.Select:
    return (
        sa.select(Action)
        .outerjoin(Case, Action.case_id == Case.id)
        .where(visible_actions_clause(user))
        .options(
            sa.orm.contains_eager(Action.case),
            sa.orm.joinedload(Action.agency),
            sa.orm.joinedload(Action.assignee),
        )
    )


def get_action_for(user: Any, action_id: int, *, edit: bool = False) -> Action:
    action = db.session.get(Action, action_id)
    if action is None:
        raise NotFound("Action not found.")
    if action.case_id is not None:
        return get_on_case_for(user, action, "Action", edit=edit)
    # A Case Review action with no case: the same rule as visible_actions_clause, on one row.
    visible = action.assignee_id == user.id or (user.can(Permission.VIEW_CASES) and action.agency_id == user.agency_id)
    if not visible or (edit and not user.can(Permission.EDIT_CASES) and action.assignee_id != user.id):
        raise NotFound("Action not found.")
    if edit and action.recommendation_id is not None:
        _refuse_anonymised_review(action.recommendation_id)
    return action


def can_update_action(user: Any, action: Action) -> bool:
    """Whether the action's page offers ``user`` its form: exactly when ``get_action_for(..., edit=True)``
    would load it for the POST (a case that takes writes, ``can_edit_case``; with no case, the assignee
    or staff who change cases, while its Case Review was not anonymised)."""
    if action.case_id is not None:
        return can_edit_case(user, action.case)
    if not user.can(Permission.EDIT_CASES) and action.assignee_id != user.id:
        return False
    return action.recommendation_id is None or not _review_anonymised(action.recommendation_id)


def _review_anonymised(recommendation_id: int) -> bool:
    from casework.community_triggers.models import Recommendation, ReviewMeeting, TriggerApplication

    return bool(
        db.session.scalar(
            sa.select(TriggerApplication.anonymised_at.is_not(None))
            .join(ReviewMeeting, ReviewMeeting.application_id == TriggerApplication.id)
            .join(Recommendation, Recommendation.meeting_id == ReviewMeeting.id)
            .where(Recommendation.id == recommendation_id)
        )
    )


def _refuse_anonymised_review(recommendation_id: int) -> None:
    """An action with no case has only its Case Review's anonymisation to stop a write (the case's
    refusal, ``get_on_case_for``, reaches the others): the retention run removed its text with the
    review's and never looks at it again, so anything written to it afterwards would be kept for ever."""
    from casework.community_triggers.policies import ANONYMISED_APPLICATION

    if _review_anonymised(recommendation_id):
        raise RuleViolation(ANONYMISED_APPLICATION)


def _assignee(actor: Any, agency: Agency, assignee_id: int | None, case: Case | None) -> User | None:
    """The user named to do an action: one ``actor`` may name (``USERS``), of the action's agency, and,
    for an action on a case, able to see that case (``case_readers_clause``: the action's deadline
    quotes the case). One who may not see it is refused exactly as a user who does not exist."""
    if assignee_id is None:
        return None
    user = USERS.get(actor, assignee_id, "assignee_id")
    if case is not None and not may_take_work_on(user, case):
        raise InvalidInput({"assignee_id": [USERS.missing_message]})
    if user.agency_id != agency.id:
        raise InvalidInput({"assignee_id": [f"{user.name} does not work for {agency.name}."]})
    return user


def _title(action: Action) -> str:
    where = f" on case {action.case.reference}" if action.case is not None else " (Case Review recommendation)"
    text = action.description if len(action.description) <= 120 else action.description[:117] + "..."
    return f"Action due{where}: {text}"


def _link(action: Action) -> str:
    return f"/actions/{action.id}"


def _require_working_on(case: Case | None, agency: Agency) -> None:
    """An action on a case goes to an agency working on it: its lead or one it is shared with
    (``queries.agencies_working_on``). An action does not share the case: one for another agency would
    be work nobody there may see. Every way in (pages, API, tasking, imports, the closing handover)
    passes here; a Case Review recommendation is addressed to any agency and does not."""
    if case is not None and agency.id not in {a.id for a in agencies_working_on(case)}:
        raise InvalidInput(
            {
                "agency_code": [
                    f"{agency.name} does not work on case {case.reference}: choose its lead agency or an agency "
                    "it is shared with (an action does not share the case)."
                ]
            }
        )


def _sync_deadline(
    action: Action, *, default_owner_id: int | None = None, title: str | None = None, link: str | None = None
) -> None:
    """One Deadline row per action with a due date, owned by the assignee; closed when it ends."""
    if action.status in OPEN_STATUSES and action.due_on is not None:
        owner_id = action.assignee_id or default_owner_id
        if owner_id is None:
            # Unassigned Case Review actions are owned by whoever their deadline was given to (the
            # area's coordinator): keep that owner rather than leave the deadline with nobody.
            row = deadline_of(action)
            owner_id = row.owner_id if row is not None else None
        set_deadline(
            subject_type=SUBJECT_TYPE,
            subject_id=action.id,
            kind=DUE_KIND,
            title=title or _title(action),
            due=action.due_on,
            owner_id=owner_id,
            case_id=action.case_id,
            # A Case Review's recommendation outlives the case it was filed on.
            is_statutory=action.recommendation_id is not None,
            area_id=action.case.area_id if action.case is not None else None,
            link=link or _link(action),
        )
    else:
        close_deadline(SUBJECT_TYPE, action.id, DUE_KIND, cancelled=action.status != ActionStatus.done)


def create_action(
    actor: Any,
    case: Case | None,
    *,
    description: str,
    agency: Agency,
    assignee_id: int | None = None,
    due_on: date | None = None,
    recommendation_id: int | None = None,
) -> Action:
    if not description.strip():
        raise InvalidInput({"description": ["Describe the action."]})
    assignee = _assignee(actor, agency, assignee_id, case)
    if recommendation_id is None:
        _require_working_on(case, agency)
    action = Action(
        case=case,
        recommendation_id=recommendation_id,
        description=description.strip(),
        agency=agency,
        assignee=assignee,
        due_on=due_on,
        status=ActionStatus.open,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(action)
    db.session.flush()
    _sync_deadline(action)
    where = f"case {case.reference}" if case is not None else "a Case Review recommendation"
    record_change(actor, action, None, snapshot(action, AUDIT_FIELDS), f"Added an action on {where}")
    return action


def create_recommendation_action(
    actor: Any,
    case: Case | None,
    *,
    recommendation_id: int,
    description: str,
    agency_id: int,
    assignee_id: int | None,
    due_on: date,
    default_owner_id: int | None,
    title: str,
    link: str | None = None,
) -> Action:
    """The tracked action a Case Review recommendation becomes. The chair may name its
    owner, whom the Case Review's service has checked as ``_assignee`` checks an assignee (of the
    agency it is addressed to, able to see ``case``: ``recommendation_owner``); without one,
    its deadline goes to ``default_owner_id`` (the area's coordinator, or the case's owner when the
    coordinator may not see ``case``). Filed on ``case`` (the first linked case) when there is one; a
    statutory deadline either way."""
    action = Action(
        case=case,
        recommendation_id=recommendation_id,
        description=description,
        agency_id=agency_id,
        assignee_id=assignee_id,
        due_on=due_on,
        status=ActionStatus.open,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(action)
    db.session.flush()
    _sync_deadline(action, default_owner_id=default_owner_id, title=title, link=link)
    record_change(
        actor,
        action,
        None,
        snapshot(action, ("case_id", "recommendation_id", "description", "agency_id", "assignee_id", "due_on")),
        title,
    )
    return action


def update_action(
    actor: Any, action: Action, changes: Mapping[str, Any], expected_version: int | None = None
) -> Action:
    """Change what, who, when or the status. Closing as done needs an outcome."""
    if expected_version is not None and expected_version != action.version:
        raise Conflict("This action was changed by someone else. Reload and try again.")
    before = snapshot(action, AUDIT_FIELDS)
    changes = dict(changes)
    agency = changes.pop("agency", None) or action.agency
    if agency.id != action.agency_id and not is_statutory(action):
        _require_working_on(action.case, agency)
    status = ActionStatus(changes.pop("status", action.status))
    # A Case Review recommendation's texts withheld from the actor (``sight``): theirs neither to read
    # nor to write, as they would write them blind (or save back the "Withheld" they read).
    withheld = action.recommendation_id is not None and action.id in sight.withheld_ids(actor, [action.id])
    if withheld and "outcome" in changes:
        raise InvalidInput({"outcome": [WITHHELD_OUTCOME]})
    if withheld and agency.id != action.agency_id:
        # Addressed to their own agency, it would be theirs to act on, its texts theirs to read.
        raise InvalidInput(
            {"agency_code": ["The recommendation is withheld from you: ask the agency it is addressed to."]}
        )
    outcome = changes.pop("outcome", action.outcome)
    if "description" in changes:
        if withheld:
            raise InvalidInput(
                {"description": ["The recommendation's text is withheld from you: ask the agency it is addressed to."]}
            )
        if not (changes["description"] or "").strip():
            raise InvalidInput({"description": ["Describe the action."]})
        action.description = changes.pop("description").strip()
    assignee_id = changes.pop("assignee_id", action.assignee_id)
    if agency is not action.agency or assignee_id != action.assignee_id:
        action.assignee = _assignee(actor, agency, assignee_id, action.case)
        action.agency = agency
    if "due_on" in changes:
        action.due_on = changes.pop("due_on")
    completed_on = changes.pop("completed_on", None)
    if status == ActionStatus.done and not (outcome or "").strip():
        raise InvalidInput(
            {"outcome": [WITHHELD_OUTCOME if withheld else "Record the outcome before closing the action as done."]}
        )
    finished = status in (ActionStatus.done, ActionStatus.cancelled)
    if completed_on is not None:
        # The day it was done is an input (work entered late or imported); today is only the default.
        if not finished:
            raise InvalidInput({"completed_on": ["Give the date done only for an action that is done or cancelled."]})
        if completed_on > today():
            raise InvalidInput({"completed_on": ["The date it was done cannot be in the future."]})
        if completed_on.year < 1900:
            raise InvalidInput({"completed_on": ["The date it was done must be in 1900 or later."]})
        opened_on = action.case.opened_on if action.case is not None else None
        if opened_on is not None and completed_on < opened_on:
            raise InvalidInput({"completed_on": ["The date it was done cannot be before the case was opened."]})
    action.outcome = (outcome or "").strip() or None
    if status != action.status or (completed_on is not None and completed_on != action.completed_on):
        action.completed_on = (completed_on or today()) if finished else None
        action.status = status
    db.session.flush()
    _sync_deadline(action)
    record_change(
        actor, action, before, snapshot(action, AUDIT_FIELDS), f"Changed action {action.id}", event_on=completed_on
    )
    return action


# --- when the case closes ------------------------------------------------------------------------------


def open_case_actions(case_id: int) -> list[Action]:
    return list(
        db.session.scalars(
            sa.select(Action)
            .where(Action.case_id == case_id, Action.status.in_(OPEN_STATUSES))
            .options(sa.orm.joinedload(Action.agency), sa.orm.joinedload(Action.assignee))
            .order_by(Action.due_on.is_(None), Action.due_on, Action.id)
        ).unique()
    )


def is_statutory(action: Action) -> bool:
    """A Case Review's recommendation: handed over when its case closes, never cancelled."""
    return action.recommendation_id is not None


def deadline_of(action: Action) -> Deadline | None:
    """The action's own deadline row (None for an action with no due date)."""
    return db.session.scalar(
        sa.select(Deadline).where(
            Deadline.subject_type == SUBJECT_TYPE, Deadline.subject_id == action.id, Deadline.kind == DUE_KIND
        )
    )


def current_owner(action: Action) -> User | None:
    """Who has the action's work now: its deadline's owner (an unassigned Case Review recommendation's
    is the coordinator's), else its assignee. ``CaseHandover.owner_for`` keeps it with them while they
    are active, as the reminders' receiver does with the same deadline."""
    row = deadline_of(action)
    if row is not None and row.owner is not None:
        return row.owner
    return action.assignee


def hand_over_action(actor: Any, action: Action, owner: User, reason: str) -> Action:
    """The closing case's action goes on, now owned by ``owner``.

    A Case Review recommendation keeps the agency it is addressed to, and its title: its deadline goes
    to ``owner``, and so does the action itself only when it had an assignee and ``owner`` works for
    that agency (an action is never assigned to another agency's user). An ordinary action the officer
    chose to hand over moves to the new owner and their agency."""
    from casework.reminders.services import hand_over_subject

    before = snapshot(action, AUDIT_FIELDS)
    if is_statutory(action):
        if action.assignee_id is not None and owner.agency_id == action.agency_id:
            action.assignee = owner
        db.session.flush()
    else:
        _require_working_on(action.case, owner.agency)
        action.agency = owner.agency
        action.assignee = owner
        db.session.flush()
        _sync_deadline(action)
    hand_over_subject(SUBJECT_TYPE, action.id, owner.id)
    record_change(
        actor,
        action,
        before,
        snapshot(action, AUDIT_FIELDS) | {"handed_over_because": reason},
        f"Handed over action {action.id} to {owner.name} when the case closed",
    )
    return action


def give_back_action(actor: Any, action: Action) -> Action | None:
    """On the case's reopening: a Case Review recommendation handed to a stand-in when the case closed
    goes back to whoever had it, as its deadline does (``reminders.services.given_back_to``), unless
    the stand-in took it up since. Its assignee follows when it was assigned to the stand-in."""
    from casework.reminders.services import given_back_to

    if not is_statutory(action):
        return None  # an ordinary action handed over was given away on purpose: it stays
    row = deadline_of(action)
    back_id = given_back_to(row) if row is not None else None
    if back_id is None or action.assignee_id in (None, back_id):
        return None
    back = db.session.get(User, back_id)
    if back is None or back.agency_id != action.agency_id:
        return None
    before = snapshot(action, AUDIT_FIELDS)
    action.assignee = back
    db.session.flush()
    _sync_deadline(action, title=row.title, link=row.link)
    record_change(
        actor,
        action,
        before,
        snapshot(action, AUDIT_FIELDS),
        f"Gave action {action.id} back to {back.name} when the case was reopened",
    )
    return action


def unassign_unseen(actor: Any, case_ids: Any = None, user_ids: Any = None) -> list[Action]:
    """Open actions (on ``case_ids``, or assigned to ``user_ids``; None: any) whose assignee may no
    longer see the action's case (``lifecycle.sight_narrowed``): assigned to nobody, as they could
    neither read nor do them. Their deadlines go back to the case's owner through the reminders'
    receiver (an unassigned action's deadline keeps the owner it has: ``_sync_deadline``), who
    assigns them again to someone who may see the case. One statement finds them all.

    With ``user_ids``, also the open actions assigned to them, on a case or on none (a Case Review
    recommendation's), that they no longer hold by the rule of assigning (``_assignee``: someone of
    the agency the action is addressed to): moved to another agency, or their account closed. A
    recommendation's deadline on no case goes back with the rest of the review's work
    (``community_triggers.deadlines.return_unseen_review_work``)."""
    actions = _unassign_unseen_cases(actor, case_ids, user_ids)
    if user_ids is not None:
        actions += _unassign_elsewhere(actor, user_ids, {action.id for action in actions})
    return actions


def _unassign_elsewhere(actor: Any, user_ids: Any, done: set[int]) -> list[Action]:
    """Open actions assigned to ``user_ids`` who are no longer of the agency each is addressed to, or
    whose account is closed: assigned to nobody."""
    query = (
        sa.select(Action)
        .join(User, User.id == Action.assignee_id)
        .where(
            Action.status.in_(OPEN_STATUSES),
            Action.assignee_id.in_(user_ids),
            sa.or_(User.is_active.is_(False), User.agency_id != Action.agency_id),
        )
        .order_by(Action.id)
    )
    actions = [action for action in db.session.scalars(query) if action.id not in done]
    for action in actions:
        _unassign(actor, action, f"{action.assignee.name} no longer works for the agency it is addressed to")
        owner = action.case.owner if action.case is not None else None
        if owner is not None and owner.is_active and owner.id not in user_ids:
            # The case's owner assigns it again, as when its assignee may no longer see the case.
            from casework.reminders.services import hand_over_subject

            hand_over_subject(SUBJECT_TYPE, action.id, owner.id)
    return actions


def _unassign_unseen_cases(actor: Any, case_ids: Any = None, user_ids: Any = None) -> list[Action]:
    """Open actions on a case whose assignee may no longer see it: assigned to nobody."""
    from casework.cases.policies import sees_case_clause
    from casework.core.db import shared_alias

    assignee = shared_alias(User, "assignee")
    query = (
        sa.select(Action)
        .join(Case, Case.id == Action.case_id)
        .join(assignee, assignee.id == Action.assignee_id)
        .where(Action.status.in_(OPEN_STATUSES), sa.not_(sees_case_clause(assignee, Case)))
        .options(sa.orm.contains_eager(Action.case), sa.orm.contains_eager(Action.assignee.of_type(assignee)))
        .order_by(Action.id)
    )
    if case_ids is not None:
        query = query.where(Action.case_id.in_(case_ids))
    if user_ids is not None:
        query = query.where(Action.assignee_id.in_(user_ids))
    actions = list(db.session.scalars(query).unique())
    for action in actions:
        _unassign(actor, action, f"{action.assignee.name} may no longer see case {action.case.reference}")
    return actions


def _unassign(actor: Any, action: Action, why: str) -> None:
    """Assign ``action`` to nobody, audited with ``why`` its assignee no longer holds it."""
    before = snapshot(action, AUDIT_FIELDS)
    action.assignee = None
    db.session.flush()
    record_change(actor, action, before, snapshot(action, AUDIT_FIELDS), f"Unassigned action {action.id}: {why}")


def cancel_action(actor: Any, action: Action, reason: str) -> Action:
    """Cancel an open action with the reason recorded as its outcome (its deadline is cancelled)."""
    if is_statutory(action):
        raise RuleViolation("A Case Review recommendation is handed over, never cancelled.")
    before = snapshot(action, AUDIT_FIELDS)
    action.status = ActionStatus.cancelled
    action.outcome = reason
    action.completed_on = today()
    db.session.flush()
    _sync_deadline(action)
    record_change(actor, action, before, snapshot(action, AUDIT_FIELDS), f"Cancelled action {action.id}")
    return action


# --- retention ---------------------------------------------------------------------------------------


def anonymise_actions(actions: list[Action], report: Any) -> None:
    """Remove the text of ``actions`` (what and how it ended) and of their deadlines. One still open
    (handed over at its case's closure, a Case Review's recommendation) is cancelled on the run's day,
    as its deadline is: anonymised, it takes no writes, so its assignee could neither do nor close it,
    and My actions, the overdue counts, the export and the API's lists would show it for ever.
    The partnership report counts a cancellation on its day, so a past period's figures stay as they
    were (``reports.queries``)."""
    from casework.core.retention import anonymise
    from casework.reminders.services import anonymise_deadlines

    on = today()
    for action in actions:
        anonymise(action)
        if action.status in OPEN_STATUSES:
            action.status = ActionStatus.cancelled
            action.completed_on = on
    db.session.flush()
    ids = [a.id for a in actions]
    report.add(SUBJECT_TYPE, ids)
    anonymise_deadlines(report, subject_type=SUBJECT_TYPE, subject_ids=ids)


def case_actions_for_retention(case_id: int) -> list[Action]:
    return list(db.session.scalars(sa.select(Action).where(Action.case_id == case_id)))


def recommendation_actions(recommendation_ids: list[int]) -> list[Action]:
    if not recommendation_ids:
        return []
    return list(db.session.scalars(sa.select(Action).where(Action.recommendation_id.in_(recommendation_ids))))


# --- subject access -------------------------------------------------------------------------------------


def export_section(access: Any) -> list[dict[str, Any]]:
    """The actions of the cases the export shows (text redacted for third parties)."""
    if not access.shown_case_ids:
        return []
    rows = db.session.scalars(
        sa.select(Action)
        .where(Action.case_id.in_(access.shown_case_ids))
        .options(sa.orm.joinedload(Action.agency), sa.orm.joinedload(Action.case))
        .order_by(Action.case_id, Action.id)
    ).unique()
    return [
        {
            "case": a.case.reference,
            "description": access.redact(a.description),
            "agency": a.agency.name,
            "status": a.status.value,
            "due_on": a.due_on.isoformat() if a.due_on else None,
            "outcome": access.redact(a.outcome),
            "from_case_review": a.recommendation_id is not None,
        }
        for a in rows
    ]
