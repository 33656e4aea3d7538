"""Tasking meetings: series, meetings, the agenda, the record of the meeting and its minutes. Never
commits; emails are queued in the transaction and leave after the commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency, User
from casework.accounts.policies import AGENCIES_BY_ID, USERS
from casework.actions import services as actions
from casework.audit.services import record_change, snapshot
from casework.cases.models import Action, Case, CaseStatus
from casework.cases.policies import (
    CASES,
    SeenCases,
    can_edit_case,
    references_in,
    refuse_anonymised_named,
    visible_cases_clause,
)
from casework.core.db import utcnow
from casework.core.errors import InvalidInput, RuleViolation
from casework.core.time import today
from casework.extensions import db
from casework.tasking import agenda
from casework.tasking.models import (
    AgendaReason,
    AttendanceStatus,
    MeetingStatus,
    TaskingAction,
    TaskingAgendaItem,
    TaskingAttendance,
    TaskingMeeting,
    TaskingSeries,
    tasking_series_agencies,
)

MAX_INTERVAL_DAYS = 92


# --- series and meetings -------------------------------------------------------------------------------


def create_series(actor: Any, *, area: Any, name: str, interval_days: int, agencies: list[Agency]) -> TaskingSeries:
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = ["Enter a name for the meeting"]
    if not 1 <= interval_days <= MAX_INTERVAL_DAYS:
        errors["interval_days"] = [f"Meet at least every {MAX_INTERVAL_DAYS} days"]
    if actor.agency_id not in {a.id for a in agencies}:
        errors["agency_ids"] = ["Your own agency must attend the meetings you run"]
    outside = [a.name for a in agencies if area.id not in {x.id for x in a.areas}]
    if outside:
        errors["agency_ids"] = [f"{', '.join(outside)} does not work in {area.name}"]
    if errors:
        raise InvalidInput(errors)
    series = TaskingSeries(
        area_id=area.id, name=name.strip(), interval_days=interval_days, agencies=agencies, created_by_id=actor.id
    )
    db.session.add(series)
    db.session.flush()
    record_change(
        actor, series, None, snapshot(series, ("area_id", "name", "interval_days")), "Set up a tasking meeting"
    )
    return series


def schedule_meeting(actor: Any, series: TaskingSeries, held_on: date | None) -> TaskingMeeting:
    """A meeting of ``series`` on ``held_on``, its agenda built and the attendance list ready."""
    if held_on is None:
        raise InvalidInput({"held_on": ["Enter the date of the meeting"]})
    taken = db.session.scalar(
        sa.select(TaskingMeeting.id).where(TaskingMeeting.series_id == series.id, TaskingMeeting.held_on == held_on)
    )
    if taken is not None:
        raise InvalidInput({"held_on": [f"There is already a meeting on {held_on:%-d %B %Y}"]})
    meeting = TaskingMeeting(series=series, held_on=held_on, status=MeetingStatus.planned, chair_id=actor.id)
    meeting.attendance = [TaskingAttendance(agency_id=a.id, status=AttendanceStatus.absent) for a in series.agencies]
    db.session.add(meeting)
    db.session.flush()
    record_change(actor, meeting, None, snapshot(meeting, ("series_id", "held_on")), f"Scheduled {series.name}")
    build_agenda(meeting)
    return meeting


def previous_meeting(meeting: TaskingMeeting) -> TaskingMeeting | None:
    return db.session.scalar(
        sa.select(TaskingMeeting)
        .where(TaskingMeeting.series_id == meeting.series_id, TaskingMeeting.held_on < meeting.held_on)
        .order_by(TaskingMeeting.held_on.desc())
        .limit(1)
    )


def _lock_agenda(meeting: TaskingMeeting) -> None:
    """Lock the meeting's row until the transaction ends and read it and its agenda afresh.

    Every change to an agenda takes this lock first, so two requests adding to one agenda at the same
    moment take turns: the second reads the first's items once it has committed, and gives the next
    case the next position (rather than the same one), or finds the case already there and adds its
    reason. On SQLite, whose writers take turns anyway, it only reads afresh."""
    db.session.refresh(meeting, with_for_update=True)
    db.session.expire(meeting, ["items"])


def _require_planned(meeting: TaskingMeeting) -> None:
    if meeting.status is not MeetingStatus.planned:
        raise RuleViolation("The minutes of this meeting are published: its record is closed.")


# --- the agenda ------------------------------------------------------------------------------------------


def _add_reason(
    meeting: TaskingMeeting, items: dict[int, TaskingAgendaItem], case_id: int, reason: AgendaReason
) -> TaskingAgendaItem:
    item = items.get(case_id)
    if item is None:
        position = max((i.position for i in meeting.items), default=0) + 1
        item = TaskingAgendaItem(case_id=case_id, position=position, reasons=[reason.value])
        meeting.items.append(item)
        items[case_id] = item
    elif reason.value not in item.reasons:
        item.reasons = [*item.reasons, reason.value]
    return item


def build_agenda(meeting: TaskingMeeting) -> int:
    """Add the cases the sources name, and the open actions of earlier meetings (carried forward, with
    their cases). Cases already on the agenda keep their place and gain the reason; nothing is removed.
    Returns how many cases were added."""
    _lock_agenda(meeting)
    _require_planned(meeting)
    series = meeting.series
    before = previous_meeting(meeting)
    since = before.held_on if before is not None else meeting.held_on - timedelta(days=series.interval_days)
    items = {item.case_id: item for item in meeting.items}
    count = len(items)
    for case_id, reason in agenda.cases_by_reason(series.area_id, since, meeting.held_on):
        _add_reason(meeting, items, case_id, reason)
    # Actions given out at earlier meetings of the series and still open come back until they end.
    logged = sa.select(TaskingAction.action_id).where(TaskingAction.meeting_id == meeting.id)
    open_actions = db.session.execute(
        sa.select(Action.id, Action.case_id)
        .join(TaskingAction, TaskingAction.action_id == Action.id)
        .join(TaskingMeeting, TaskingMeeting.id == TaskingAction.meeting_id)
        .join(Case, Case.id == Action.case_id)
        .where(
            TaskingMeeting.series_id == series.id,
            TaskingMeeting.held_on < meeting.held_on,
            Action.status.in_(actions.OPEN_STATUSES),
            Case.status == CaseStatus.open,
            Action.id.not_in(logged),
        )
        .distinct()
        .order_by(Action.id)
    ).all()
    for action_id, case_id in open_actions:
        _add_reason(meeting, items, case_id, AgendaReason.carried_forward)
        db.session.add(TaskingAction(meeting_id=meeting.id, action_id=action_id, is_carried_forward=True))
    db.session.flush()
    return len(items) - count


def nominate(actor: Any, case: Case, note: str | None) -> TaskingAgendaItem:
    """Put ``case`` on the next planned meeting that ``actor``'s agency and the case's lead agency
    attend (``next_meeting_for_case``); when there is none, RuleViolation and nothing is written. A case
    anonymised under the retention policy is refused (``refuse_anonymised_named``)."""
    refuse_anonymised_named([case], "case_id")
    if not can_edit_case(actor, case):
        raise InvalidInput({"case_id": [CASES.missing_message]})
    if case.status is not CaseStatus.open:
        raise RuleViolation("Only open cases can go on a tasking agenda.")
    meeting = next_meeting_for_case(actor, case)
    if meeting is None:
        raise RuleViolation(no_meeting_message(actor, case))
    _lock_agenda(meeting)
    _require_planned(meeting)  # its minutes may have been published since it was found
    items = {item.case_id: item for item in meeting.items}
    item = _add_reason(meeting, items, case.id, AgendaReason.nominated)
    item.nominated_by_id = actor.id
    item.nomination_note = (note or "").strip()[:500] or None
    db.session.flush()
    record_change(
        actor,
        item,
        None,
        {"meeting_id": meeting.id, "case_id": case.id},
        f"Nominated case {case.reference} for tasking",
    )
    return item


def next_meeting_for_case(actor: Any, case: Case) -> TaskingMeeting | None:
    """The next planned meeting, in the case's area, of a series attended by both ``actor``'s agency
    and the case's lead agency (the same one when the nominator works for the lead); None when none is.

    The nominator's agency must attend: it presents the case, and a meeting it does not attend is one
    its staff may not open (``policies.visible_meetings_clause``). The lead agency must attend too: it
    holds the case and answers for it, most actions given out fall to it, and it reads the meeting's
    discussion and decisions only in the minutes of a series it attends. A partner on a shared case may
    nominate it only to a meeting the lead agency comes to; sharing the case does not stand in for the
    agency that holds it. Other series of the area are never named to the nominator."""
    attends = sa.select(tasking_series_agencies.c.series_id)
    return db.session.scalar(
        sa.select(TaskingMeeting)
        .join(TaskingSeries)
        .where(
            TaskingSeries.area_id == case.area_id,
            TaskingSeries.id.in_(attends.where(tasking_series_agencies.c.agency_id == actor.agency_id)),
            TaskingSeries.id.in_(attends.where(tasking_series_agencies.c.agency_id == case.lead_agency_id)),
            TaskingMeeting.status == MeetingStatus.planned,
            TaskingMeeting.held_on >= today(),
        )
        .order_by(TaskingMeeting.held_on, TaskingMeeting.id)
        .limit(1)
    )


def no_meeting_message(actor: Any, case: Case) -> str:
    """Why a case cannot be nominated when ``next_meeting_for_case`` finds no meeting."""
    if actor.agency_id == case.lead_agency_id:
        return (
            f"No tasking meeting that your agency attends is planned in {case.area.name}: "
            "ask your coordinator to schedule one."
        )
    return (
        f"No tasking meeting that both your agency and {case.lead_agency.name}, which holds the case, attend "
        f"is planned in {case.area.name}: ask your coordinator, or {case.lead_agency.name}, to schedule one."
    )


def add_case(actor: Any, meeting: TaskingMeeting, reference: str | None) -> TaskingAgendaItem:
    """The chair adds a case by its reference (one they may see, in the series' area)."""
    _lock_agenda(meeting)
    _require_planned(meeting)
    case = db.session.scalar(
        sa.select(Case).where(Case.reference == (reference or "").strip().upper(), visible_cases_clause(actor))
    )
    if case is None:
        raise InvalidInput({"reference": ["Enter the reference of a case you can see, like BOL-2026-0042"]})
    if case.area_id != meeting.series.area_id:
        raise InvalidInput({"reference": [f"Case {case.reference} is not in {meeting.series.area.name}"]})
    items = {item.case_id: item for item in meeting.items}
    item = _add_reason(meeting, items, case.id, AgendaReason.added_by_chair)
    db.session.flush()
    record_change(
        actor,
        item,
        None,
        {"meeting_id": meeting.id, "case_id": case.id},
        f"Added case {case.reference} to the tasking agenda",
    )
    return item


def move_item(actor: Any, meeting: TaskingMeeting, item: TaskingAgendaItem, direction: str) -> None:
    """Swap the item with its neighbour (``up`` or ``down``)."""
    _lock_agenda(meeting)
    _require_planned(meeting)
    if direction not in ("up", "down"):
        raise InvalidInput({"direction": ["Choose up or down"]})
    ordered = sorted(meeting.items, key=lambda i: i.position)
    index = ordered.index(item)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return
    item.position, ordered[other].position = ordered[other].position, item.position
    db.session.flush()


# --- during the meeting ------------------------------------------------------------------------------------


#: What the meeting wrote about a case, read by every agency that may see the case: a case it names
#: that a reader may not see reads "a case you cannot see, held by <agency>" (``MeetingView.words``).
WRITTEN = ("discussion", "decisions", "nomination_note")


def record_item(
    actor: Any, meeting: TaskingMeeting, item: TaskingAgendaItem, *, discussion: str | None, decisions: str | None
) -> None:
    """Save the discussion and decisions. The chair's form shows them as the chair may read them
    (``item_words``): a text sent back as it was shown is left as it was written, so a case quoted in it
    that the chair may not see keeps its reference; a text they changed is saved as they wrote it."""
    _require_planned(meeting)
    before = snapshot(item, ("discussion", "decisions"))
    shown = item_words(actor, item)
    for name, value in (("discussion", discussion), ("decisions", decisions)):
        text = (value or "").strip() or None
        if text != ((shown[name] or "").strip() or None):
            setattr(item, name, text)
    db.session.flush()
    record_change(actor, item, before, snapshot(item, ("discussion", "decisions")), "Recorded a tasking discussion")


def allocate_action(
    actor: Any,
    meeting: TaskingMeeting,
    item: TaskingAgendaItem,
    case: Case,
    *,
    description: str,
    agency_id: str | int | None,
    assignee_id: int | None,
    due_on: date | None,
) -> Action:
    """An ordinary action on the case (deadline and reminders as any other), on this meeting's log.

    The agency must work on the case (its lead or one it is shared with): the actions service's rule
    (``create_action``), whose message is on ``agency_code``, the API's name for the agency."""
    _require_planned(meeting)
    agency = AGENCIES_BY_ID.find(actor, agency_id)
    errors: dict[str, list[str]] = {}
    if agency is None:
        errors["agency_id"] = [AGENCIES_BY_ID.missing_message]
    if due_on is None:
        errors["due_on"] = ["Enter the date the action is due"]
    if errors:
        raise InvalidInput(errors)
    action = actions.create_action(
        actor, case, description=description or "", agency=agency, assignee_id=assignee_id, due_on=due_on
    )
    db.session.add(TaskingAction(meeting_id=meeting.id, item_id=item.id, action_id=action.id))
    db.session.flush()
    return action


def record_attendance(actor: Any, meeting: TaskingMeeting, choices: dict[int, tuple[str, int | None]]) -> None:
    """``choices``: agency id -> (status, representative's user id or None)."""
    _require_planned(meeting)
    before = {str(r.agency_id): r.status.value for r in meeting.attendance}
    errors: dict[str, list[str]] = {}
    for row in meeting.attendance:
        status, representative_id = choices.get(row.agency_id, (row.status.value, row.representative_id))
        try:
            row.status = AttendanceStatus(status)
        except ValueError:
            errors[f"status-{row.agency_id}"] = [f"Choose whether {row.agency.name} attended"]
            continue
        if representative_id is not None:
            user = USERS.find(actor, representative_id)
            if user is None or user.agency_id != row.agency_id:
                errors[f"representative-{row.agency_id}"] = [f"Choose someone who works for {row.agency.name}"]
                continue
        row.representative_id = representative_id
    if errors:
        raise InvalidInput(errors)
    db.session.flush()
    record_change(
        actor,
        meeting,
        before,
        {str(r.agency_id): r.status.value for r in meeting.attendance},
        "Recorded attendance at a tasking meeting",
    )


# --- afterwards ---------------------------------------------------------------------------------------------


def publish_minutes(actor: Any, meeting: TaskingMeeting) -> list[Any]:
    """Close the record and email a link to the minutes (never their contents) to the chair and to
    whoever attended or sent apologies for each agency. Returns the queued emails."""
    from flask import render_template

    from casework.core.links import external_url
    from casework.notifications.services import queue_email

    _lock_agenda(meeting)  # a nomination at the same moment goes in before, or is refused after
    _require_planned(meeting)
    meeting.status = MeetingStatus.held
    meeting.minutes_published_at = utcnow()
    db.session.flush()
    record_change(actor, meeting, {"status": "planned"}, {"status": "held"}, "Published tasking minutes")
    recipients: dict[int, User] = {}
    for row in meeting.attendance:
        if row.status is not AttendanceStatus.absent and row.representative is not None:
            recipients[row.representative.id] = row.representative
    if meeting.chair is not None:
        recipients.setdefault(meeting.chair.id, meeting.chair)
    url = external_url("staff.tasking.minutes", tasking_meeting_id=meeting.id)
    emails = []
    for user in recipients.values():
        if not user.is_active:
            continue
        context = {"recipient": user, "meeting": meeting, "url": url}
        emails.append(
            queue_email(
                to=user,
                subject=f"Minutes: {meeting.series.name}, {meeting.held_on:%-d %B %Y}",
                text=render_template("emails/tasking_minutes.txt", **context),
                html=render_template("emails/tasking_minutes.html", **context),
                key=f"tasking-minutes:{meeting.id}:{user.id}",
                related=("tasking_meetings", meeting.id),
            )
        )
    return emails


def schedule_next(actor: Any, meeting: TaskingMeeting) -> TaskingMeeting:
    """The series' next meeting, one interval after this one (its agenda carries the open actions)."""
    held_on = meeting.held_on + timedelta(days=meeting.series.interval_days)
    existing = db.session.scalar(
        sa.select(TaskingMeeting).where(
            TaskingMeeting.series_id == meeting.series_id, TaskingMeeting.held_on == held_on
        )
    )
    return existing or schedule_meeting(actor, meeting.series, held_on)


# --- what a user sees of a meeting ------------------------------------------------------------------------


@dataclass
class HiddenCases:
    agency: str
    count: int


@dataclass
class MeetingView:
    """The agenda as ``user`` may see it: the items of visible cases (with their case and actions), and
    a count per holding agency of the others; ``words`` gives what was written about an item as the
    user may read it."""

    items: list[tuple[TaskingAgendaItem, Case, list[TaskingAction]]]
    hidden: list[HiddenCases]
    carried_forward: list[TaskingAction] = field(default_factory=list)
    seen: SeenCases | None = None

    def words(self, text: str | None) -> str | None:
        """``text`` (an item's discussion, decisions or nomination note) with each case it names that
        the user may not see read as "a case you cannot see, held by <agency>"."""
        return self.seen.words(text) if self.seen is not None else text


def item_words(user: Any, item: TaskingAgendaItem) -> dict[str, str | None]:
    """What was written about one item (``WRITTEN``) as ``user`` may read it (one statement at most)."""
    texts = {name: getattr(item, name) for name in WRITTEN}
    seen = SeenCases(user, references=references_in(texts.values()))
    return {name: seen.words(text) for name, text in texts.items()}


def meeting_view(user: Any, meeting: TaskingMeeting) -> MeetingView:
    visible_ids = sa.select(Case.id).where(visible_cases_clause(user))
    cases = {
        case.id: case
        for case in db.session.scalars(
            sa.select(Case)
            .join(TaskingAgendaItem, TaskingAgendaItem.case_id == Case.id)
            .where(TaskingAgendaItem.meeting_id == meeting.id, Case.id.in_(visible_ids))
        )
    }
    # The others by their holding agency only: no case row is loaded (nor shown, nor logged as seen).
    hidden = [
        HiddenCases(agency=row.name, count=row.hidden_count)
        for row in db.session.execute(
            sa.select(Agency.name, sa.func.count().label("hidden_count"))
            .select_from(TaskingAgendaItem)
            .join(Case, Case.id == TaskingAgendaItem.case_id)
            .join(Agency, Agency.id == Case.lead_agency_id)
            .where(TaskingAgendaItem.meeting_id == meeting.id, Case.id.not_in(visible_ids))
            .group_by(Agency.name)
            .order_by(Agency.name)
        )
    ]
    logged = list(
        db.session.scalars(
            sa.select(TaskingAction)
            .join(Action, Action.id == TaskingAction.action_id)
            .where(TaskingAction.meeting_id == meeting.id, Action.case_id.in_(visible_ids))
            .options(
                sa.orm.joinedload(TaskingAction.action).joinedload(Action.agency),
                sa.orm.joinedload(TaskingAction.action).joinedload(Action.assignee),
            )
            .order_by(TaskingAction.id)
        ).unique()
    )
    by_case: dict[int, list[TaskingAction]] = {}
    for entry in logged:
        by_case.setdefault(entry.action.case_id, []).append(entry)
    items = [
        (item, cases[item.case_id], by_case.get(item.case_id, [])) for item in meeting.items if item.case_id in cases
    ]
    # The cases named in what was written about the items shown: which of them the user may see.
    seen = SeenCases(user, references=references_in(getattr(item, name) for item, _c, _e in items for name in WRITTEN))
    return MeetingView(
        items=items, hidden=hidden, carried_forward=[e for e in logged if e.is_carried_forward], seen=seen
    )
