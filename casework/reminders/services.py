"""Deadline rows: creating, moving and closing them, claiming the ones due a reminder or an
escalation, composing those emails and the daily digest, and the lists the dashboard and the API show.

Never commits. The sweep (``casework.reminders.tasks``) claims a batch, queues its emails and commits,
batch after batch, so a claim and the emails it causes are one transaction: a sweep that dies
half-way leaves the rows it did not commit unclaimed for the next sweep.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, get_args

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import joinedload

from casework.accounts.models import Agency, User, UserRole, agency_areas
from casework.audit.services import record_change
from casework.core.dates import add_working_days
from casework.core.db import rows_changed, shared_alias
from casework.core.permissions import Role
from casework.core.registry import registry
from casework.core.time import LONDON, london_day, now
from casework.extensions import db
from casework.notifications.services import (
    original_key,
    queue_email,
    replacement_key,
    reword_unsent,
    reword_unsent_many,
)
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.settings import LEAD_WORKING_DAYS
from casework.reminders.titles import DeadlineTitles

#: Reminders go out at this London time on the reminder day, not at midnight.
REMIND_AT_TIME = time(7, 0)
#: "Due this week" is the next seven days, today included, so Friday's list still shows next Tuesday.
WEEK_DAYS = 7


def end_of_day(day: date) -> datetime:
    """The moment a date deadline becomes overdue: midnight at the end of ``day`` in London."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LONDON)


def done_by(done_on: date | None) -> datetime:
    """When work the record says was done on ``done_on`` counts as done: the last moment of that day in
    London, or now when that is earlier (done today). A step entered after the day it was done (a letter
    sent on Friday and recorded on Monday, or at 00:30 the next morning) was still done on its day, and
    the partnership report's "deadlines met" compares this with the deadline. None: now."""
    moment = now()
    if done_on is None:
        return moment
    return min(moment, end_of_day(done_on) - timedelta(microseconds=1))


def reminder_time(due_at: datetime, due_on: date | None, lead_working_days: int) -> datetime:
    """07:00 London on the day ``lead_working_days`` working days before the due day, and never
    after the deadline itself (a deadline in hours may fall before 07:00)."""
    due_day = due_on or london_day(due_at)
    remind_on = add_working_days(due_day, -lead_working_days)
    return min(datetime.combine(remind_on, REMIND_AT_TIME, tzinfo=LONDON), due_at)


def _lead_working_days(area_id: int | None) -> int:
    from casework.accounts.models import Area
    from casework.accounts.services import area_settings

    area = db.session.get(Area, area_id) if area_id is not None else None
    return int(area_settings(area)[LEAD_WORKING_DAYS])


def set_deadline(
    *,
    subject_type: str,
    subject_id: int,
    kind: str,
    title: str,
    due: date | datetime,
    owner_id: int | None,
    case_id: int | None,
    is_statutory: bool = False,
    area_id: int | None = None,
    link: str | None = None,
    remind_at: datetime | None = None,
) -> Deadline:
    """Create the deadline or move it (when its start event changed). Moving it re-arms the reminder.

    ``case_id`` is required (None for work that belongs to no case): the sweep skips the work of a
    closed case through it. ``is_statutory`` marks what a closure hands over instead of cancelling.
    ``remind_at`` defaults to the area's ``reminder_lead_working_days`` (2) working days before the
    due day, fixed now so the sweep reads one indexed column.

    Work goes only to people who may see its case: given to someone new, moved to another case or
    opened again, a deadline whose ``owner_id`` may not see ``case_id`` goes to the case's owner
    instead, or stays with its current holder when the case's owner may not see it either
    (``_holder_for``; as ``return_unseen_work`` does), so updating a record does not give its deadline
    back to someone it was taken from. An open row keeping its owner costs no query.
    """
    _check_subject_type(subject_type)
    if isinstance(due, datetime):
        due_on, due_at = None, due
    else:
        due_on, due_at = due, end_of_day(due)
    if remind_at is None:
        remind_at = reminder_time(due_at, due_on, _lead_working_days(area_id))
    row = db.session.scalar(
        sa.select(Deadline).where(
            Deadline.subject_type == subject_type, Deadline.subject_id == subject_id, Deadline.kind == kind
        )
    )
    if (
        owner_id is not None
        and case_id is not None
        and (row is None or (row.owner_id, row.case_id, row.status) != (owner_id, case_id, DeadlineStatus.open))
    ):
        # Given to someone new, moved to another case or opened again: only someone who may see the
        # case holds it. An open row kept by its holder was seen to when sight narrowed.
        current = row.owner_id if row is not None and row.case_id == case_id else None
        owner_id = _holder_for(case_id, owner_id, current)
    if row is None:
        row = Deadline(subject_type=subject_type, subject_id=subject_id, kind=kind)
        db.session.add(row)
    else:
        if row.due_at != due_at or row.status != DeadlineStatus.open or row.owner_id != owner_id:
            # Moved, re-armed or given to someone else: its (new) owner is reminded of it. Reminders
            # are keyed by owner (``queue_reminders``), so each owner still hears of it once.
            row.reminder_sent_at = None
            row.escalation_sent_at = None
        if row.handed_over_at is not None:
            # Its record changed after it was handed over: the stand-in has taken it up, and reopening
            # the case leaves it with its owner (``reopen_case_deadlines``).
            row.handed_over_from_id = None
    row.title = title
    row.link = link
    row.case_id = case_id
    row.is_statutory = is_statutory
    row.area_id = area_id
    row.owner_id = owner_id
    row.due_on = due_on
    row.due_at = due_at
    row.remind_at = remind_at
    row.status = DeadlineStatus.open
    row.completed_at = None
    db.session.flush()
    return row


def _unseen_holders(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int | None]:
    """Of these (case id, user id) pairs, those whose user may not see the case (work goes only to
    people who may see its case: ``casework.cases.policies.sees_case_clause``), each with whom the
    work goes to instead: the case's owner, as ``return_unseen_work`` gives it back, or None when the
    case's owner may not see it either. One statement per thousand pairs."""
    from casework.cases.models import Case
    from casework.cases.policies import sees_case_clause

    wanted = sorted(set(pairs))
    holder = shared_alias(User, "holder")
    case_owner = shared_alias(User, "case_owner")
    unseen: dict[tuple[int, int], int | None] = {}
    for start in range(0, len(wanted), 1000):
        rows = db.session.execute(
            sa.select(
                Case.id,
                holder.id,
                Case.owner_id,
                sa.and_(case_owner.id.is_not(None), sees_case_clause(case_owner, Case)).label("owner_sees"),
            )
            .select_from(Case)
            .join(holder, sa.true())
            .outerjoin(case_owner, case_owner.id == Case.owner_id)
            .where(
                sa.tuple_(Case.id, holder.id).in_(wanted[start : start + 1000]),
                sa.not_(sees_case_clause(holder, Case)),
            )
        ).tuples()
        for case_id, user_id, case_owner_id, owner_sees in rows:
            unseen[(case_id, user_id)] = case_owner_id if owner_sees else None
    return unseen


def _holder_for(case_id: int, owner_id: int, holder_id: int | None) -> int:
    """Who holds a deadline of case ``case_id`` that its record gives to ``owner_id`` (an
    intervention's issuing officer, a risk review's case owner, an action's assignee): ``owner_id``
    when they may see the case; otherwise the case's owner (they do not get it back from their record
    after ``return_unseen_work`` gave it to the case's owner), or, when the case's owner may not see it
    either, its current holder ``holder_id`` on the same case (as ``return_unseen_work`` keeps it), or
    else ``owner_id`` (``unseen_work`` lists it for a manager)."""
    unseen = _unseen_holders([(case_id, owner_id)])
    if (case_id, owner_id) not in unseen:
        return owner_id
    instead = unseen[(case_id, owner_id)]
    if instead is not None:
        return instead
    return holder_id if holder_id is not None else owner_id


def open_deadlines(items: Sequence[dict[str, Any]]) -> int:
    """Open many date deadlines at once (a nightly pass raising hundreds of tasks): those whose
    (subject, kind) already has a row are set one by one by ``set_deadline``; the rest are inserted in
    one statement per thousand, each given (as ``set_deadline`` does) only to someone who may see its
    case. Each item has ``set_deadline``'s keywords, ``due`` a date, and ``lead_working_days`` (the
    area's reminder setting, read once by the caller)."""
    if not items:
        return 0
    for subject_type in {i["subject_type"] for i in items}:
        _check_subject_type(subject_type)
    keys = {(i["subject_type"], i["subject_id"], i["kind"]) for i in items}
    existing: set[tuple[str, int, str]] = set()
    by_type: dict[tuple[str, str], list[int]] = {}
    for subject_type, subject_id, kind in keys:
        by_type.setdefault((subject_type, kind), []).append(subject_id)
    for (subject_type, kind), ids in by_type.items():
        for start in range(0, len(ids), 5000):
            existing.update(
                db.session.execute(
                    sa.select(Deadline.subject_type, Deadline.subject_id, Deadline.kind).where(
                        Deadline.subject_type == subject_type,
                        Deadline.kind == kind,
                        Deadline.subject_id.in_(ids[start : start + 5000]),
                    )
                ).tuples()
            )
    rows = []
    for item in items:
        values = {k: v for k, v in item.items() if k != "lead_working_days"}
        if (item["subject_type"], item["subject_id"], item["kind"]) in existing:
            set_deadline(**values)
            continue
        due_on = values.pop("due")
        due_at = end_of_day(due_on)
        rows.append(
            {
                **values,
                "due_on": due_on,
                "due_at": due_at,
                "remind_at": reminder_time(due_at, due_on, item["lead_working_days"]),
                "status": DeadlineStatus.open,
                "is_statutory": False,
            }
        )
    # Work goes only to people who may see its case (``set_deadline``): checked for all of them at once.
    unseen = _unseen_holders((r["case_id"], r["owner_id"]) for r in rows if r["case_id"] and r["owner_id"])
    for row in rows:
        instead = unseen.get((row["case_id"], row["owner_id"]))
        if instead is not None:
            row["owner_id"] = instead
    for start in range(0, len(rows), 1000):
        db.session.execute(sa.insert(Deadline), rows[start : start + 1000])
    return len(items)


def close_deadline(
    subject_type: str, subject_id: int, kind: str | None = None, *, cancelled: bool = False, done_on: date | None = None
) -> int:
    """Mark matching open deadlines done (or cancelled); nothing more is sent for them. ``done_on``: the
    day the record says the work was done (``done_by``), when it says."""
    rows = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.subject_type == subject_type,
            Deadline.subject_id == subject_id,
            Deadline.status == DeadlineStatus.open,
            *([Deadline.kind == kind] if kind else []),
        )
    ).all()
    for row in rows:
        row.status = DeadlineStatus.cancelled if cancelled else DeadlineStatus.done
        row.completed_at = now() if cancelled else done_by(done_on)
    db.session.flush()
    return len(rows)


def delete_deadlines_of(subject_type: str, subject_ids: Any) -> int:
    """Delete the deadlines of records that are themselves being deleted (an import undone): ids as a
    list or a SELECT of them. Their rows go, rather than stay behind as cancelled work about nothing."""
    result = db.session.execute(
        sa.delete(Deadline).where(Deadline.subject_type == subject_type, Deadline.subject_id.in_(subject_ids))
    )
    return rows_changed(result) or 0


def delete_orphaned_deadlines() -> dict[str, int]:
    """Delete the deadlines (open or not) whose record is gone: left behind by a deletion that did not
    take them with it (retention runs before they deleted the deadlines of the rows they deleted).

    A deadline names its record by table and id (``subject_type``, ``subject_id``), so every kind of
    record is checked whatever domain made it, without a list to keep: one DELETE per kind of record
    among the deadlines, each an anti-join on the record's primary key (never a query per deadline).
    A ``subject_type`` that is no table with a one-column key is left alone (it cannot be checked).
    Answers subject type -> deadlines deleted, for the kinds that had any."""
    deleted: dict[str, int] = {}
    for subject_type in db.session.scalars(sa.select(Deadline.subject_type).distinct().order_by(Deadline.subject_type)):
        table = db.metadata.tables.get(subject_type)
        if table is None or len(table.primary_key.columns) != 1:
            continue
        (key,) = table.primary_key.columns
        result = db.session.execute(
            sa.delete(Deadline)
            .where(Deadline.subject_type == subject_type, ~sa.exists().where(key == Deadline.subject_id))
            .execution_options(synchronize_session="fetch")
        )
        count = rows_changed(result) or 0
        if count:
            deleted[subject_type] = count
    return deleted


# --- which deadlines are listed ------------------------------------------------------------------------


def _check_subject_type(subject_type: str) -> None:
    """A deadline on a table's records needs that table registered (``domain.deadline_subjects``), so
    that the lists can check its record is still there (``subject_exists``). A ``subject_type`` that
    is no table (a test's made-up kind) cannot be checked and is listed as it is."""
    if subject_type in db.metadata.tables and subject_type not in registry().deadline_subjects:
        raise ValueError(
            f"deadlines on {subject_type!r}: register the model with domain.deadline_subjects(...) in its "
            "domain's init_app, so the lists of deadlines can leave out those whose record is gone"
        )


def subject_exists() -> sa.ColumnElement[bool]:
    """Deadlines whose record is still there: the clause every list of deadlines passes through (the
    API and its export, the calendar page and feed, the dashboards, the digest, the caseload, the
    page closing a case, the case list's overdue filter and the sweep, through ``live_clause``), so a
    deadline left behind by a deletion that did not take it with it (retention runs before they
    deleted deadlines; see ``delete_orphaned_deadlines``, which deletes them) is listed nowhere,
    reminded of never, whenever it was left.

    One branch per registered kind of record (``domain.deadline_subjects``): a lookup of the record's
    primary key, made only for the deadline's own kind. The lookup is a correlated scalar subquery (the
    key it finds, or null), not an ``EXISTS``: PostgreSQL plans an ``EXISTS`` as a hash of every key of
    the table, built by each statement that reaches it (the sweep's claim read all 20,000 cases for
    800 candidates, bench/reminders_sweep.py), where a scalar subquery is one index probe per deadline
    of that kind, whatever the size of the table (as ``live_clause`` looks up the case). The tables are
    aliased, so a statement that also selects from one (the calendar feed joins the Case Review's
    applications) is not correlated with it. A kind that is no registered table is listed (it cannot be
    checked). Built once per set of registered kinds: every list of deadlines, the sweep's among them,
    names it."""
    return _subject_exists(tuple(sorted(registry().deadline_subjects.items())))


@functools.cache
def _subject_exists(subjects: tuple[tuple[str, sa.Table], ...]) -> sa.ColumnElement[bool]:
    branches = []
    for name, table in subjects:
        (primary_key,) = table.primary_key.columns
        record = table.alias(f"deadline_subject_{name}")
        key = record.c[primary_key.key]
        branches.append(
            (
                Deadline.subject_type == name,
                sa.select(key)
                .where(key == Deadline.subject_id)
                .correlate_except(record)
                .scalar_subquery()
                .is_not(None),
            )
        )
    if not branches:
        return sa.true()
    return sa.case(*branches, else_=sa.true())


# --- work that is still owed -------------------------------------------------------------------------


def live_clause() -> sa.ColumnElement[bool]:
    """Open deadlines that are still owed: not a closed case's work, unless statutory or handed over,
    and never work on a record that is gone (``subject_exists``).

    Every deadline names its case (``set_deadline`` requires ``case_id``), so this needs no registry a
    domain could forget to fill: it looks up the case whatever the kind. The lookup is a correlated
    subquery on the case's primary key, so it costs one index probe per candidate row; an EXISTS here
    is planned as a hash of every open case, read on each claim (bench/reminders_sweep.py).
    """
    from casework.cases.models import Case, CaseStatus

    open_case = sa.select(Case.status).where(Case.id == Deadline.case_id).scalar_subquery() == CaseStatus.open
    return sa.and_(
        Deadline.status == DeadlineStatus.open,
        sa.or_(
            Deadline.case_id.is_(None),
            Deadline.is_statutory.is_(True),
            Deadline.handed_over_at.is_not(None),
            open_case,
        ),
        subject_exists(),
    )


def settle(row: Deadline, status: DeadlineStatus, moment: datetime | None = None) -> Deadline:
    """Mark an open deadline done or cancelled: nothing more is sent about it."""
    row.status = status
    row.completed_at = moment or now()
    return row


def correct_due_day(row: Deadline, due_on: date) -> Deadline:
    """Keep a settled deadline's day true to its record (it is not re-armed)."""
    row.due_on = due_on
    return row


def reassign_open(subject_type: str, subject_ids: Any, owner_id: int | None) -> None:
    """Give the open deadlines of these records (ids, or a select of ids) to another owner, who is
    reminded and escalated afresh (as after ``hand_over``: the reminders already sent were not theirs)."""
    db.session.execute(
        sa.update(Deadline)
        .where(
            Deadline.subject_type == subject_type,
            Deadline.subject_id.in_(subject_ids),
            Deadline.status == DeadlineStatus.open,
            Deadline.owner_id.is_distinct_from(owner_id),
        )
        .values(owner_id=owner_id, reminder_sent_at=None, escalation_sent_at=None)
        .execution_options(synchronize_session=False)
    )


def unseen_clause(case_ids: Any = None, owner_ids: Any = None) -> tuple[Any, Any, sa.ColumnElement[bool]]:
    """(holder, case, clause): the open deadlines held by someone who may not see their case, among
    those of ``case_ids`` and/or held by ``owner_ids`` (ids, or a select of ids; None: any). For a
    statement selecting from ``Deadline`` joined to ``case`` on its case and to ``holder`` (an alias of
    users) on its owner (``unseen_work``)."""
    from casework.cases.models import Case
    from casework.cases.policies import sees_case_clause

    holder = shared_alias(User, "holder")
    clause = sa.and_(Deadline.status == DeadlineStatus.open, subject_exists(), sa.not_(sees_case_clause(holder, Case)))
    if case_ids is not None:
        clause = sa.and_(clause, Deadline.case_id.in_(case_ids))
    if owner_ids is not None:
        clause = sa.and_(clause, Deadline.owner_id.in_(owner_ids))
    return holder, Case, clause


def unseen_work(case_ids: Any = None, owner_ids: Any = None) -> list[Any]:
    """The open deadlines held by someone who may not (or no longer) see their case: handed over
    before a closure's handover was checked, or their case restricted or no longer shared with the
    holder's agency since, or the holder deactivated, moved or given other roles. One statement: each
    row is (deadline, case reference, case owner id, whether the case's owner may see it)."""
    from casework.cases.policies import sees_case_clause

    holder, case, clause = unseen_clause(case_ids, owner_ids)
    case_owner = shared_alias(User, "case_owner")
    return list(
        db.session.execute(
            sa.select(
                Deadline,
                case.reference,
                case.owner_id,
                sa.and_(case_owner.id.is_not(None), sees_case_clause(case_owner, case)).label("owner_sees"),
            )
            .join(case, case.id == Deadline.case_id)
            .join(holder, holder.id == Deadline.owner_id)
            .outerjoin(case_owner, case_owner.id == case.owner_id)
            .where(clause)
            .options(joinedload(Deadline.owner))
            .order_by(Deadline.due_at, Deadline.id)
        ).all()
    )


def return_unseen_work(case_ids: Any = None, owner_ids: Any = None) -> dict[str, int]:
    """Give back to its case's owner every open deadline (of ``case_ids``, or held by ``owner_ids``;
    None: any) whose holder may not see its case, as reopening a case gives work back
    (``reopen_case_deadlines``): the holder cannot read its title or open its page, so it is no use to
    them. The case's owner is reminded and escalated afresh. A deadline whose case's owner may not see
    the case either (a restricted case's owner deactivated) stays where it is, counted as ``kept``:
    a manager of the lead agency gives the case a new owner, then the work (``unseen_work`` lists it).
    Answers the counts ``{"returned": n, "kept": n}``. One statement finds them all."""
    counts = {"returned": 0, "kept": 0}
    returned: list[Deadline] = []
    for row, _reference, owner_id, owner_sees in unseen_work(case_ids, owner_ids):
        if not owner_sees:
            counts["kept"] += 1
            continue
        row.owner_id = owner_id
        row.reminder_sent_at = None
        row.escalation_sent_at = None
        returned.append(row)
        counts["returned"] += 1
    db.session.flush()
    for row in returned:
        db.session.expire(row, ["owner"])
    return counts


def case_deadlines(case_id: int) -> list[Deadline]:
    """The open deadlines of a case, statutory ones first, then by due time, as the page closing it
    lists them (``subject_exists``: not one whose record is gone; the closure itself settles those
    too)."""
    return _open_of_case(case_id, subject_exists())


def _open_of_case(case_id: int, *where: sa.ColumnElement[bool]) -> list[Deadline]:
    return list(
        db.session.scalars(
            sa.select(Deadline)
            .where(Deadline.case_id == case_id, Deadline.status == DeadlineStatus.open, *where)
            .options(joinedload(Deadline.owner))
            .order_by(Deadline.is_statutory.desc(), Deadline.due_at, Deadline.id)
        )
    )


def hand_over(row: Deadline, owner_id: int | None, moment: datetime | None = None) -> Deadline:
    """Give an open deadline to ``owner_id`` when its case closes: it stays due (and is reminded and
    escalated) although the case is closed. Who had it before is remembered (the first handover of a
    closure: a second receiver handing it over again keeps that), for the case's reopening. A new owner
    is reminded and escalated afresh: the reminders sent to the previous owner were not theirs."""
    if row.handed_over_at is None:
        row.handed_over_from_id = row.owner_id
    if row.owner_id != owner_id:
        row.reminder_sent_at = None
        row.escalation_sent_at = None
    row.owner_id = owner_id
    row.handed_over_at = moment or now()
    if row.status != DeadlineStatus.open:
        row.status = DeadlineStatus.open
        row.completed_at = None
    db.session.flush()
    return row


def hand_over_subject(subject_type: str, subject_id: int, owner_id: int | None) -> int:
    """Hand over the open deadlines of one record (an action handed over on closure)."""
    rows = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.subject_type == subject_type,
            Deadline.subject_id == subject_id,
            Deadline.status == DeadlineStatus.open,
        )
    ).all()
    moment = now()
    for row in rows:
        hand_over(row, owner_id, moment)
    return len(rows)


def close_case_deadlines(case_id: int, handover: Any) -> dict[str, int]:
    """On a case's closure: hand over its statutory deadlines (and any already handed over) to the
    owner the ``handover`` names for them, and cancel the rest. Domains that hand over ordinary work
    (actions) re-open their rows afterwards with ``hand_over_subject``. Answers the counts."""
    moment = now()
    counts = {"handed_over": 0, "cancelled": 0}
    for row in _open_of_case(case_id):  # every one, whether its record is there or not
        if row.is_statutory or row.handed_over_at is not None:
            owner = handover.owner_for(row.owner)
            hand_over(row, getattr(owner, "id", None), moment)
            counts["handed_over"] += 1
        else:
            row.status = DeadlineStatus.cancelled
            row.completed_at = moment
            counts["cancelled"] += 1
    db.session.flush()
    return counts


def deadline_states(subject_type: str, subject_id: int) -> dict[str, DeadlineStatus]:
    """kind -> status of a record's deadlines."""
    rows = db.session.execute(
        sa.select(Deadline.kind, Deadline.status).where(
            Deadline.subject_type == subject_type, Deadline.subject_id == subject_id
        )
    )
    return dict(rows.tuples().all())


def retitle(subject_type: str, subject_ids: Iterable[int], title_of: Callable[[Deadline], str | None]) -> int:
    """Give some records' deadlines, whatever their status, the titles ``title_of`` returns (None keeps a
    title), and the emails quoting an old title that are still to be sent (a reminder, an escalation, a
    digest) the new one: for words a title must no longer say that were written into it when it was
    set. Returns how many deadlines changed."""
    ids = sorted(set(subject_ids))
    if not ids:
        return 0
    rows = db.session.scalars(
        sa.select(Deadline)
        .where(Deadline.subject_type == subject_type, Deadline.subject_id.in_(ids))
        .order_by(Deadline.id)
    ).all()
    changed = 0
    for row in rows:
        title = title_of(row)
        if title is None or title == row.title:
            continue
        reword_unsent(row.title, title)
        row.title = title
        changed += 1
    db.session.flush()
    return changed


def forget_name_in_titles(former: Any) -> int:
    """``forget_names_in_titles`` for one person."""
    return forget_names_in_titles([former])


#: How many deadlines' titles are read, and rewritten, at a time.
TITLE_BATCH = 1000
#: How many names are asked about in one statement.
NAME_BATCH = 500
_WORD = re.compile(r"\w+")


def forget_names_in_titles(formers: Iterable[Any]) -> int:
    """People anonymised (``lifecycle.person_anonymised``; a retention run hands over all of its
    ``report.formers`` at once) are no longer named by any deadline's title. A title quotes the name
    its record's person had when it was set ("Explain the Case Review to <name>", "... Community
    Protection Warning for <name> (BOL-2026-0001)"), and the record, its case and the deadline can live
    on after the person: a record merged into another whose undo window passed, its warning and
    second-report task now the kept record's; a person kept for a shorter period than their case.
    Each title, whatever its status, says the person's ``anonymised_name`` in place of their name, as
    a whole name only ("Ann" is not in "Annabel Smith", nor "Lee" in "Ann Leeson"; of two names, the
    longer one where both start), and the emails quoting it still to be sent say it too
    (``reword_unsent_many``). A name another person not anonymised still has is left: it names them as
    much. Of several people with one name, the last given stands for it.

    However many people, one pass over the titles, a statement per ``NAME_BATCH`` names to find who
    else holds them, and a few statements per ``TITLE_BATCH`` titles changed. Returns how many titles
    changed."""
    from casework.cases.models import Person

    replacement: dict[str, str] = {}
    person_ids: set[int] = set()
    for former in formers:
        name = (former.name or "").strip()
        person_ids.add(former.person_id)
        if name:
            replacement[name] = former.anonymised_name
    names = sorted(replacement)
    for start in range(0, len(names), NAME_BATCH):
        held = db.session.scalars(
            sa.select(Person.name)
            .where(
                Person.name.in_(names[start : start + NAME_BATCH]),
                Person.id.not_in(person_ids),
                Person.anonymised_at.is_(None),
            )
            .distinct()
        )
        for name in held:
            replacement.pop(name, None)
    if not replacement:
        return 0
    # The names by their first word, longest first: each title is read once, a word at a time.
    by_first_word: dict[str, list[str]] = {}
    unworded: list[str] = []
    for name in sorted(replacement, key=len, reverse=True):
        first = _WORD.search(name)
        if first is None or first.start() != 0:
            unworded.append(name)
        else:
            by_first_word.setdefault(first.group(), []).append(name)
    unworded_pattern = (
        re.compile("|".join(rf"(?<!\w){re.escape(name)}(?!\w)" for name in unworded)) if unworded else None
    )

    def renamed(title: str) -> str:
        if unworded_pattern is not None:
            title = unworded_pattern.sub(lambda match: replacement[match.group()], title)
        parts: list[str] = []
        position = 0
        for word in _WORD.finditer(title):
            start = word.start()
            if start < position:
                continue
            for name in by_first_word.get(word.group(), ()):
                end = start + len(name)
                if title.startswith(name, start) and (end == len(title) or not _is_word(title[end])):
                    parts.append(title[position:start])
                    parts.append(replacement[name])
                    position = end
                    break
        return "".join(parts) + title[position:] if parts else title

    changes: dict[int, str] = {}
    for deadline_id, title in db.session.execute(
        sa.select(Deadline.id, Deadline.title).order_by(Deadline.id).execution_options(yield_per=TITLE_BATCH)
    ):
        new_title = renamed(title)
        if new_title != title:
            changes[deadline_id] = new_title
    length = getattr(Deadline.__table__.c.title.type, "length", None)
    reworded: dict[str, str] = {}
    ids = sorted(changes)
    for start in range(0, len(ids), TITLE_BATCH):
        for row in db.session.scalars(sa.select(Deadline).where(Deadline.id.in_(ids[start : start + TITLE_BATCH]))):
            title = changes[row.id][:length]
            reworded[row.title] = title
            row.title = title
        db.session.flush()
    reword_unsent_many(reworded)
    return len(changes)


def _is_word(character: str) -> bool:
    return _WORD.match(character) is not None


def anonymise_deadlines(
    report: Any, *, case_id: int | None = None, subject_type: str | None = None, subject_ids: Iterable[int] = ()
) -> list[int]:
    """Replace the titles (which name people and quote text) of a case's deadlines, or of some
    records' deadlines, and list them in the retention ``report``. One still open is cancelled: its
    record, anonymised, can no longer be changed, so the work could never be done, and the reminders,
    the digest, the calendar feeds and the home pages would list it as overdue for ever."""
    query = sa.select(Deadline)
    if case_id is not None:
        query = query.where(Deadline.case_id == case_id)
    else:
        ids = list(subject_ids)
        if not ids:
            return []
        query = query.where(Deadline.subject_type == subject_type, Deadline.subject_id.in_(ids))
    from casework.core.retention import anonymise

    rows = list(db.session.scalars(query))
    moment = now()
    for row in rows:
        anonymise(row)
        row.title = f"{row.kind} (details removed under the retention policy)"
        if row.status == DeadlineStatus.open:
            row.status = DeadlineStatus.cancelled
            row.completed_at = moment
    db.session.flush()
    report.add("deadlines", [r.id for r in rows])
    return [r.id for r in rows]


def _readers_among(case_id: int | None, ids: Iterable[int | None]) -> set[int]:
    """Those of ``ids`` who may take work on the case (active, and able to see it: work goes only to
    people who may see its case, ``casework.cases.policies.case_readers_clause``)."""
    from casework.cases.models import Case
    from casework.cases.policies import sees_case_clause

    wanted = {i for i in ids if i is not None}
    if not wanted or case_id is None:
        return set()
    return set(
        db.session.scalars(
            sa.select(User.id).join(Case, Case.id == case_id).where(User.id.in_(wanted), sees_case_clause(User, Case))
        )
    )


def reopen_case_deadlines(case_id: int) -> dict[str, int]:
    """On a case's reopening: what was handed over belongs to the open case again.

    A statutory deadline handed to a stand-in only because the case closed goes back to whoever had it
    before (``handed_over_from_id``), reminded afresh, unless the stand-in has taken it up since (its
    record changed: ``set_deadline`` forgot the previous owner) or that user is no longer active or may
    no longer see the case; then it stays with the stand-in. Ordinary work the officer chose to hand
    over stays with the person it was given to. ``handed_over_from_id`` is kept (see
    ``given_back_to``). Answers the counts."""
    rows = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.case_id == case_id,
            Deadline.status == DeadlineStatus.open,
            Deadline.handed_over_at.is_not(None),
        )
    ).all()
    active = _readers_among(case_id, (r.handed_over_from_id for r in rows if r.is_statutory))
    counts = {"given_back": 0, "kept": 0}
    for row in rows:
        back = row.handed_over_from_id if row.is_statutory and row.handed_over_from_id in active else None
        if back is not None and row.owner_id != back:
            row.owner_id = back
            row.reminder_sent_at = None
            row.escalation_sent_at = None
            counts["given_back"] += 1
        elif back is None:
            counts["kept"] += 1
        row.handed_over_at = None
    # Settled rows too: nothing of the open case is handed over any more.
    db.session.execute(
        sa.update(Deadline)
        .where(Deadline.case_id == case_id, Deadline.handed_over_at.is_not(None))
        .values(handed_over_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return counts


def given_back_to(row: Deadline) -> int | None:
    """The user a reopened case's deadline goes (or went) back to, for the domain whose record it is
    (an action's assignee follows its deadline): the same answer before ``reopen_case_deadlines`` ran
    on the row and after, since receivers run in no fixed order. None: it stays where it is."""
    if not row.is_statutory or row.handed_over_from_id is None or row.status != DeadlineStatus.open:
        return None
    if row.handed_over_at is None:
        # Already given back (or never handed over since it was last given back).
        return row.handed_over_from_id if row.owner_id == row.handed_over_from_id else None
    back = row.handed_over_from_id
    return back if back in _readers_among(row.case_id, [back]) else None


def cancelled_deadlines(subject_type: str, subject_ids: Any, kind: str, case_id: int) -> list[Deadline]:
    """The cancelled deadlines of ``kind`` of these records (ids, or a select of ids) on a case."""
    return list(
        db.session.scalars(
            sa.select(Deadline).where(
                Deadline.subject_type == subject_type,
                Deadline.subject_id.in_(subject_ids),
                Deadline.kind == kind,
                Deadline.case_id == case_id,
                Deadline.status == DeadlineStatus.cancelled,
            )
        )
    )


def stranded_deadlines(subject_type: str, subject_ids: Any, kind: str, case_id: int | None = None) -> list[Deadline]:
    """The deadlines of ``kind`` of these records (ids, or a select of ids) left on a closed case (on
    ``case_id`` only, when given) and not done: cancelled by the case's closure, or still open while the
    closure is being received (receivers run in no fixed order). Work owed to a person rather than to
    the case, which another of their open cases can take (``rearm(row, owner_id, case_id=...)``)."""
    from casework.cases.models import Case, CaseStatus

    return list(
        db.session.scalars(
            sa.select(Deadline)
            .join(Case, Case.id == Deadline.case_id)
            .where(
                Deadline.subject_type == subject_type,
                Deadline.subject_id.in_(subject_ids),
                Deadline.kind == kind,
                Deadline.status.in_((DeadlineStatus.open, DeadlineStatus.cancelled)),
                Case.status == CaseStatus.closed,
                *([Deadline.case_id == case_id] if case_id is not None else []),
            )
            .order_by(Deadline.id)
        )
    )


def rearm(
    row: Deadline, owner_id: int | None, *, case_id: int | None = None, due: date | datetime | None = None
) -> Deadline:
    """Open a cancelled deadline again as it was (its day, title and link), owned by ``owner_id`` and
    reminded afresh: work a case's closure cancelled that is still owed when it is reopened, or (with
    ``case_id``) that moves to another open case when its own closes. ``due``: due then instead (a
    paused deadline resumed later than it was due, ``interventions.services``)."""
    if due is None:
        due = row.due_on if row.due_on is not None else row.due_at
    return set_deadline(
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        kind=row.kind,
        title=row.title,
        due=due,
        owner_id=owner_id,
        case_id=row.case_id if case_id is None else case_id,
        is_statutory=row.is_statutory,
        area_id=row.area_id,
        link=row.link,
    )


# --- claiming due rows exactly once --------------------------------------------------------------------


def _claim(
    condition: sa.ColumnElement[bool], order_by: Any, stamp: Any, moment: datetime, limit: int
) -> list[Deadline]:
    """Claim up to ``limit`` rows matching ``condition`` by setting ``stamp`` to ``moment``.

    Must be the first statement of its transaction, and the caller commits the claim together with
    the emails it queues. PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` so concurrent sweeps take
    disjoint batches without waiting. SQLite has no row locks: one ``UPDATE ... WHERE stamp IS NULL
    RETURNING id`` takes the database write lock first (a second sweep waits for it on busy_timeout)
    and re-checks the condition under it, so a row already claimed by a committed sweep is skipped.
    """
    options = (joinedload(Deadline.owner).joinedload(User.manager),)
    if db.session.get_bind().dialect.name == "postgresql":
        rows = list(
            db.session.scalars(
                sa.select(Deadline)
                .where(condition)
                .order_by(order_by)
                .limit(limit)
                .with_for_update(skip_locked=True, of=Deadline)
            )
        )
        for row in rows:
            setattr(row, stamp.key, moment)
        if rows:
            # Owners and managers in one query rather than one per row.
            db.session.scalars(sa.select(Deadline).where(Deadline.id.in_([r.id for r in rows])).options(*options)).all()
        return rows
    candidates = sa.select(Deadline.id).where(condition).order_by(order_by).limit(limit).scalar_subquery()
    ids = db.session.scalars(
        sa.update(Deadline)
        .where(Deadline.id.in_(candidates), stamp.is_(None))
        .values({stamp.key: moment})
        .returning(Deadline.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Deadline)
            .where(Deadline.id.in_(ids))
            .options(*options)
            .order_by(Deadline.id)
            .execution_options(populate_existing=True)
        ).unique()
    )


def claim_due_reminders(moment: datetime, limit: int = 500) -> list[Deadline]:
    """Open rows whose reminder time has passed and which have not been reminded."""
    condition = sa.and_(
        Deadline.status == DeadlineStatus.open,
        Deadline.reminder_sent_at.is_(None),
        Deadline.remind_at <= moment,
        live_clause(),
    )
    return _claim(condition, Deadline.remind_at, Deadline.reminder_sent_at, moment, limit)


def claim_due_escalations(moment: datetime, limit: int = 500) -> list[Deadline]:
    """Open rows past their due time that have not been escalated (uses ix_deadlines_open_due)."""
    condition = sa.and_(
        Deadline.status == DeadlineStatus.open,
        Deadline.due_at <= moment,
        Deadline.escalation_sent_at.is_(None),
        live_clause(),
    )
    return _claim(condition, Deadline.due_at, Deadline.escalation_sent_at, moment, limit)


# --- emails --------------------------------------------------------------------------------------------


def _render(template: str, **context: Any) -> tuple[str, str]:
    from casework.core.templating import format_date

    context.update(due_phrase=_due_phrase, format_date=format_date)
    return (
        render_template(f"emails/{template}.txt", **context),
        render_template(f"emails/{template}.html", **context),
    )


def queue_reminders(rows: Iterable[Deadline], moment: datetime) -> int:
    """Email each claimed row's owner, unless they chose the digest only. Returns emails queued."""
    queued = 0
    # The digest (or, once overdue, the escalation) covers the others (``emailed_to``, asked again as
    # each is queued). Each owner reads the titles of their own rows only as far as they may see the
    # rows' cases: one statement per owner.
    to_remind = [r for r in rows if r.owner is not None and emailed_to("reminder", r.owner)]
    titles = _titles_by_reader((row.owner, row) for row in to_remind)
    for row in to_remind:
        if _queue_deadline_email("reminder", row, row.owner, titles[row.owner.id]) is not None:
            queued += 1
    return queued


#: The two emails about one deadline: a reminder to its owner before it is due, an escalation to a
#: manager once it is overdue (each also the name of its templates and the first part of its key).
DeadlineEmail = Literal["reminder", "escalation"]
#: Every kind, as the list the email scenario's test reads (``tests/test_email_links.py``): the keys are
#: built from the kind (``deadline_email_key``), so no literal in the source spells them out.
DEADLINE_EMAILS: tuple[DeadlineEmail, ...] = get_args(DeadlineEmail)


def deadline_email_key(kind: DeadlineEmail, row: Deadline, recipient: User) -> str:
    """``<kind>:<deadline id>:<due moment>:<recipient id>``: what ``_still_owed`` reads back. The
    outbox holds rows under these keys (a key queued again is the same message): never change its form."""
    return f"{kind}:{row.id}:{row.due_at.isoformat()}:{recipient.id}"


def _deadline_email_kind(key: str) -> DeadlineEmail | None:
    """The kind of a reminder's or escalation's key (a replacement's too), None for any other key."""
    first = original_key(key).partition(":")[0]
    return next((kind for kind in DEADLINE_EMAILS if kind == first), None)


def emailed_to(kind: DeadlineEmail, recipient: User) -> bool:
    """Whether ``recipient`` is sent this kind of email about a deadline at all, as they stand now: an
    active account, and for a reminder one that has not chosen the daily digest only
    (``set_digest_only``; the digest lists the work instead). An escalation goes to a manager whatever
    they chose: it is not the reminder the digest replaces. Asked as every such email is queued (the
    sweep's, and one queued in place of one withdrawn) and again just before it is sent
    (``unsent_still_due``): a choice made meanwhile holds."""
    if not recipient.is_active:
        return False
    return kind != "reminder" or not recipient.is_digest_only


def _queue_deadline_email(
    kind: DeadlineEmail, row: Deadline, recipient: User, titles: DeadlineTitles, key: str | None = None
) -> Any:
    """Queue the reminder or escalation (``kind``) of ``row`` to ``recipient``, quoting what they may
    read (``titles``). Its key is ``deadline_email_key`` (what ``unsent_still_due`` reads back), unless
    ``key`` is given (a replacement's). Every such email
    passes here: nothing is queued (None) to a recipient not sent this kind (``emailed_to``)."""
    if not emailed_to(kind, recipient):
        return None
    text, html = _render(kind, deadline=row, title=titles.title(row), recipient=recipient, url=titles.url(row))
    # The subject shows on a lock screen and in every list of messages: no title (it names people),
    # only what kind of work it is and its case's reference.
    when = f"Due {_due_phrase(row)}" if kind == "reminder" else "Overdue"
    return queue_email(
        to=recipient,
        subject=f"{when}: {titles.summary(row)}",
        text=text,
        html=html,
        key=key or deadline_email_key(kind, row, recipient),
        related=("deadlines", row.id),
    )


def _titles_by_reader(pairs: Iterable[tuple[User, Deadline]]) -> dict[int, DeadlineTitles]:
    """reader id -> the titles of the rows they receive (one statement per reader, not per row)."""
    readers: dict[int, tuple[User, list[Deadline]]] = {}
    for reader, row in pairs:
        readers.setdefault(reader.id, (reader, []))[1].append(row)
    return {reader_id: DeadlineTitles(reader, rows) for reader_id, (reader, rows) in readers.items()}


def escalation_recipients(row: Deadline) -> list[User]:
    """The owner's manager; without one, the managers of the owner's agency; for a row with no
    owner, the managers of the agencies covering the row's area. Inactive users are skipped."""
    owner = row.owner
    if owner is not None and owner.manager is not None and owner.manager.is_active:
        return [owner.manager]
    managers = (
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.manager, User.is_active.is_(True))
        .order_by(User.id)
    )
    if owner is not None:
        managers = managers.where(User.agency_id == owner.agency_id, User.id != owner.id)
    elif row.area_id is not None:
        managers = managers.join(Agency, Agency.id == User.agency_id).where(
            Agency.id.in_(sa.select(agency_areas.c.agency_id).where(agency_areas.c.area_id == row.area_id))
        )
    else:
        return []
    return list(db.session.scalars(managers).unique())


def queue_escalations(rows: Iterable[Deadline], moment: datetime) -> int:
    queued = 0
    sent = [(manager, row) for row in rows for manager in escalation_recipients(row)]
    # A manager not able to see a row's case (a restricted case they are not named on) is told that
    # work is overdue, and by whom, but not what it is.
    titles = _titles_by_reader(sent)
    for manager, row in sent:
        _queue_deadline_email("escalation", row, manager, titles[manager.id])
        queued += 1
    return queued


def unsent_still_due(message: Any) -> str | None:
    """Why a reminder or escalation not sent yet should no longer go (``None``: it should). Its key
    (``reminder:<deadline id>:<due moment>:<recipient id>``, as ``queue_reminders`` and
    ``queue_escalations`` write it) names what it was queued for; since then its deadline may have been
    settled (done, or cancelled by the case's closure), deleted, left no longer owed as the sweep judges
    it (``live_clause``: a closed case's work), moved to another day, handed to someone else (or its
    owner's account closed), its owner may have chosen the daily digest only (``emailed_to``), or
    what it quotes withheld from its recipient (``DeadlineTitles``: its case restricted without them,
    its recommendation's text withheld). Asked just before sending
    (``notifications.tasks``); other messages about deadlines are left to go."""
    owed = _still_owed(message)
    if owed is None:
        return None
    reason, row, recipient = owed
    if reason is not None:
        return reason
    # It quotes the title (and names the case) as its recipient could read it when it was written; since
    # then the case may have been restricted without them, or the recommendation it quotes withheld from
    # them: it names nothing they may no longer read.
    if (
        recipient is not None
        and row.title in message.body_text
        and DeadlineTitles(recipient, [row]).title(row) != row.title
    ):
        return "what it quotes is withheld from its recipient now (its case or its text)"
    return None


def _still_owed(message: Any) -> tuple[str | None, Deadline, User | None] | None:
    """For a reminder or escalation (None for another message about a deadline): why its recipient is
    no longer owed it (None: they are), its deadline and its recipient. What it quotes is not looked at."""
    kind = _deadline_email_kind(message.idempotency_key)
    if kind is None:
        return None
    _kind, _, rest = original_key(message.idempotency_key).partition(":")
    _row_id, _, rest = rest.partition(":")
    queued_due_at, _, recipient_id = rest.rpartition(":")
    row = db.session.get(Deadline, message.related_id)
    if row is None:
        return "its deadline is gone", row, None
    if row.status is not DeadlineStatus.open:
        return f"its deadline is {row.status.value}", row, None
    if not db.session.scalar(sa.select(live_clause()).where(Deadline.id == row.id)):
        return "its deadline is no longer owed (its case is closed, or its record is gone)", row, None
    if row.due_at != datetime.fromisoformat(queued_due_at):
        return "its deadline has moved", row, None
    if kind == "reminder":
        still = row.owner is not None and row.owner.is_active and str(row.owner.id) == recipient_id
    else:
        still = recipient_id in {str(manager.id) for manager in escalation_recipients(row)}
    if not still:
        return "its deadline is someone else's now", row, None
    recipient = db.session.get(User, int(recipient_id))
    if recipient is None:
        return "its recipient is gone", row, None
    if not emailed_to(kind, recipient):
        return "its recipient chose the daily digest only", row, None
    return None, row, recipient


def replace_unsent_reminder(message: Any) -> Any:
    """In place of a reminder or escalation just withdrawn (``notifications.tasks``): the same reminder,
    as its recipient may read it now, when the deadline is still theirs, still owed and due when it
    was (the only reason left is what it quoted: its case restricted without them, or its
    recommendation's text withheld). They still hold the work, so they are told of it as they would
    be told today ("a deadline on a case you cannot see, held by ..."), not left without a word. A
    deadline settled, moved or handed over is owed nothing here: the sweep reminds whoever holds it
    now, of the day it is due now. Answers the message queued, or None."""
    owed = _still_owed(message)
    if owed is None:
        return None
    reason, row, recipient = owed
    kind = _deadline_email_kind(message.idempotency_key)
    if reason is not None or recipient is None or kind is None:
        return None
    return _queue_deadline_email(kind, row, recipient, DeadlineTitles(recipient, [row]), replacement_key(message))


def unsent_digest_still_readable(message: Any) -> str | None:
    """Why a digest not sent yet should no longer go (``None``: it should): it quotes the titles of its
    recipient's and their team's deadlines as the recipient could read them when it was written
    (``queue_digest``), and while it waits for a mail server that is down a case it names may be
    restricted without them, or a recommendation it quotes withheld. Other messages about a user
    (``related`` ``users``: their account's) are left to go."""
    if not original_key(message.idempotency_key).startswith("digest:"):
        return None
    user = db.session.get(User, message.related_id)
    if user is None:
        return None
    # Written for a manager (or someone who chose the digest): one whose manager role was taken away or
    # whose account was closed since is owed none, and it lists a team they no longer lead.
    if not (user.is_active and (user.is_digest_only or user.has_role(Role.manager))):  # as ``digest_recipients``
        return "its recipient no longer receives the digest (their manager role or their account ended)"
    # It lists the work of the team they led when it was written; since then they may lead another (moved
    # to another agency, still a manager there): it names nobody's work who is not in their team now.
    team = team_members(user)
    if not digest_lists_only_work_of(message.body_text, team):
        return "it lists the work of people no longer in its recipient's team"
    # The rows it may have listed: the team's, due by the end of the week it was written in.
    day = london_day(message.created_at)
    rows = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.owner_id.in_([member.id for member in team]),
            Deadline.due_at <= end_of_day(day + timedelta(days=WEEK_DAYS - 1)),
        )
    ).all()
    quoted = [row for row in rows if row.title in message.body_text]
    titles = DeadlineTitles(user, quoted)
    if any(titles.title(row) != row.title for row in quoted):
        return "what it quotes is withheld from its recipient now (a case or a text it names)"
    return None


def replace_unsent_digest(message: Any) -> Any:
    """In place of a digest just withdrawn because it quoted what its recipient may no longer read
    (``unsent_digest_still_readable``): the day's digest as they may read it now (a case restricted
    without them listed as "a deadline on a case you cannot see"), listing the work due as it stands
    now, so a manager is not left without the day's list. Only on the day it was written for: the
    next day's digest lists that day's work. Answers the message queued, or None."""
    from casework.notifications.models import OutboxEmail

    if not original_key(message.idempotency_key).startswith("digest:"):
        return None
    user = db.session.get(User, message.related_id)
    moment = now()
    if (
        user is None
        # The day it was written for is the last part of its key (``digest_key``).
        or original_key(message.idempotency_key) != digest_key(user, london_day(moment))
        or user.id not in {recipient.id for recipient in digest_recipients()}
    ):
        return None
    key = replacement_key(message)
    if not queue_digest(user, moment, key=key):
        return None
    return db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == key))


def _due_phrase(row: Deadline) -> str:
    from casework.core.templating import format_date, format_datetime

    if row.due_on is not None:
        return f"by {format_date(row.due_on)}"
    return f"by {format_datetime(row.due_at)}"


# --- what is due for a person and a team ---------------------------------------------------------------


@dataclass(frozen=True)
class DueLists:
    overdue: list[Deadline]
    today: list[Deadline]
    week: list[Deadline]

    def __bool__(self) -> bool:
        return bool(self.overdue or self.today or self.week)


def due_filter(due: str, moment: datetime | None = None) -> sa.ColumnElement[bool]:
    """``overdue``: past due; ``today``: due by the end of today (London), not yet overdue;
    ``week``: due by the end of the sixth day after today, not yet overdue."""
    moment = moment or now()
    day = london_day(moment)
    if due == "overdue":
        return Deadline.due_at <= moment
    if due == "today":
        return sa.and_(Deadline.due_at > moment, Deadline.due_at <= end_of_day(day))
    if due == "week":
        return sa.and_(Deadline.due_at > moment, Deadline.due_at <= end_of_day(day + timedelta(days=WEEK_DAYS - 1)))
    raise ValueError(due)


def due_for_owners(owner_ids: Sequence[int], moment: datetime | None = None) -> DueLists:
    """Open deadlines of these owners that are overdue or due within the week, in one query."""
    moment = moment or now()
    day = london_day(moment)
    rows = db.session.scalars(
        sa.select(Deadline)
        .where(
            Deadline.owner_id.in_(owner_ids),
            live_clause(),
            Deadline.due_at <= end_of_day(day + timedelta(days=WEEK_DAYS - 1)),
        )
        .options(joinedload(Deadline.owner))
        .order_by(Deadline.due_at, Deadline.id)
    ).all()
    end_today = end_of_day(day)
    return DueLists(
        overdue=[r for r in rows if r.due_at <= moment],
        today=[r for r in rows if moment < r.due_at <= end_today],
        week=[r for r in rows if r.due_at > end_today],
    )


def team_ids(user: User) -> list[int]:
    """The user and the people they manage."""
    reports = db.session.scalars(sa.select(User.id).where(User.manager_id == user.id, User.is_active.is_(True)))
    return [user.id, *reports]


def team_members(user: User) -> list[User]:
    """The user and the people they manage (``team_ids``), as accounts: one statement."""
    reports = sa.and_(User.manager_id == user.id, User.is_active.is_(True))
    return list(db.session.scalars(sa.select(User).where(sa.or_(User.id == user.id, reports))))


#: A row of a digest's plain text (``templates/emails/digest.txt``): "- <title>: due <when>, <owner's name>".
_DIGEST_ROW = re.compile(r"^- .*: due .*, .+$", re.MULTILINE)


def digest_lists_only_work_of(body_text: str, people: Iterable[User]) -> bool:
    """Whether every row a digest's plain text lists is the work of one of ``people`` (by the owner's
    name that ends the row: a name may hold a comma)."""
    endings = tuple(f", {person.name}" for person in people)
    return all(row.rstrip().endswith(endings) for row in _DIGEST_ROW.findall(body_text))


def digest_recipients() -> list[User]:
    """Managers, and anyone who chose the digest instead of individual reminders."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.is_active.is_(True),
                sa.or_(
                    User.is_digest_only.is_(True),
                    User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == Role.manager)),
                ),
            )
            .options(sa.orm.selectinload(User.role_rows))  # each digest says whether it is a manager's
            .order_by(User.id)
        ).unique()
    )


def digest_key(user: User, day: date) -> str:
    return f"digest:{user.id}:{day.isoformat()}"


def queue_digest(user: User, moment: datetime | None = None, *, key: str | None = None) -> bool:
    """Queue today's digest for ``user`` (their own work and their team's) if there is anything in
    it and it has not been queued today. Returns whether one was queued. ``key``: another key than
    today's (a digest queued in place of one withdrawn, ``replace_unsent_digest``)."""
    from casework.notifications.models import OutboxEmail

    moment = moment or now()
    day = london_day(moment)
    key = key or digest_key(user, day)
    if db.session.scalar(sa.select(OutboxEmail.id).where(OutboxEmail.idempotency_key == key)):
        return False
    lists = due_for_owners(team_ids(user), moment)
    if not lists:
        return False
    titles = DeadlineTitles(user, [*lists.overdue, *lists.today, *lists.week])
    text, html = _render(
        "digest",
        recipient=user,
        lists=lists,
        day=day,
        title_of=titles.title,
        url_for_row=titles.url,
        is_manager=user.has_role(Role.manager),
    )
    queue_email(
        to=user,
        subject=f"Work due and overdue: {_format_day(day)}",
        text=text,
        html=html,
        key=key,
        related=("users", user.id),
    )
    return True


def _format_day(day: date) -> str:
    from casework.core.templating import format_date

    return f"{day:%A} {format_date(day)}"


# --- the dashboard and the preference ------------------------------------------------------------------


def dashboard_items(user: User, moment: datetime | None = None) -> list[dict[str, Any]]:
    """The user's overdue and coming deadlines, as the dashboard partials render them."""
    moment = moment or now()
    lists = due_for_owners([user.id], moment)
    return _items(user, [*lists.overdue, *lists.today, *lists.week], moment)


def set_digest_only(actor: User, user: User, is_digest_only: bool) -> User:
    """Choose the daily digest instead of individual reminders (or back)."""
    before = {"is_digest_only": user.is_digest_only}
    user.is_digest_only = is_digest_only
    db.session.flush()
    record_change(actor, user, before, {"is_digest_only": is_digest_only}, "Changed notification settings")
    return user


def deadlines_query(owner_ids: Sequence[int] | None, status: str | None, due: str | None) -> sa.Select:
    """The deadlines ``GET /api/v1/deadlines`` and its export list: of these owners (None: anyone's),
    with this status and due filter, whose record is still there (``subject_exists``)."""
    query = (
        sa.select(Deadline)
        .where(subject_exists())
        .options(joinedload(Deadline.owner))
        .order_by(Deadline.due_at, Deadline.id)
    )
    if owner_ids is not None:
        query = query.where(Deadline.owner_id.in_(owner_ids))
    if status:
        query = query.where(Deadline.status == DeadlineStatus(status))
    if due:
        query = query.where(due_filter(due))
    return query


def team_dashboard_items(manager: User, moment: datetime | None = None) -> list[dict[str, Any]]:
    """The manager's reports' overdue and coming deadlines (not the manager's own)."""
    moment = moment or now()
    reports = [i for i in team_ids(manager) if i != manager.id]
    if not reports:
        return []
    lists = due_for_owners(reports, moment)
    return _items(manager, [*lists.overdue, *lists.today, *lists.week], moment)


def _items(reader: User, rows: Sequence[Deadline], moment: datetime) -> list[dict[str, Any]]:
    titles = DeadlineTitles(reader, rows)
    return [_item(row, moment, titles) for row in rows]


def _item(row: Deadline, moment: datetime, titles: DeadlineTitles) -> dict[str, Any]:
    """A deadline as the dashboard and the calendar page show it to the reader of ``titles``."""
    title = titles.title(row)
    return {
        "description": title,
        "reference": title,
        "href": titles.link(row) or "#",
        "due_on": row.due_on or london_day(row.due_at),
        "due_at": row.due_at,
        "is_overdue": row.due_at <= moment,
        "owner": row.owner.name if row.owner else None,
    }


# --- the deadline calendar page ------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarMonth:
    first_day: date
    #: ``(day, [deadline items])`` for each day of the month with something due, in order.
    days: list[tuple[date, list[dict[str, Any]]]]
    #: Open deadlines due before the month (still owed).
    overdue_before: int


def calendar_month(user: User, month: date, moment: datetime | None = None) -> CalendarMonth:
    """The user's open, still-owed deadlines due in ``month`` (its first day), by day, and how many
    earlier ones are overdue. Two queries, whatever the number of deadlines."""
    from casework.cases.models import Case

    moment = moment or now()
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    start, end = end_of_day(first - timedelta(days=1)), end_of_day(following - timedelta(days=1))
    # An alias: ``live_clause`` looks up the deadline's case itself, correlated on ``cases``.
    case = shared_alias(Case)
    rows = db.session.execute(
        sa.select(Deadline, case.reference)
        .outerjoin(case, case.id == Deadline.case_id)
        .where(Deadline.owner_id == user.id, live_clause(), Deadline.due_at > start, Deadline.due_at <= end)
        .order_by(Deadline.due_at, Deadline.id)
    ).all()
    days: dict[date, list[dict[str, Any]]] = {}
    titles = DeadlineTitles(user, [row for row, _reference in rows])
    for row, reference in rows:
        item = _item(row, moment, titles)
        item["case_reference"] = titles.case_reference(row, reference)
        days.setdefault(item["due_on"], []).append(item)
    overdue_before = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Deadline)
        .where(Deadline.owner_id == user.id, live_clause(), Deadline.due_at <= min(start, moment))
    )
    return CalendarMonth(first, sorted(days.items()), overdue_before or 0)
