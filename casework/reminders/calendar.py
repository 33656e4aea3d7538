"""The private deadline calendar: a user's open deadlines as an iCalendar feed behind a secret,
revocable link, for the calendar they already use.

Calendar services keep copies of what they fetch, so an event says only what kind of deadline it is
and the reference of the case or application it is on, never a name, an address or a title (titles
name people: "Explain the Case Review to ...").
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from casework.cases.models import Case
from casework.community_triggers.models import TriggerApplication
from casework.core.db import rows_changed, shared_alias
from casework.core.time import now
from casework.extensions import db
from casework.reminders.models import CalendarFeed, Deadline
from casework.reminders.services import live_clause
from casework.reminders.titles import DeadlineTitles, kind_label

#: How far back overdue deadlines are still listed.
OVERDUE_DAYS = 90


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(user: Any) -> str:
    """A new secret for the user's feed, replacing any earlier one (which stops working). Returns
    the secret: it is shown once and never stored."""
    token = secrets.token_urlsafe(32)
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.token_hash = _hash(token)
    db.session.flush()
    return token


def revoke_link(user: Any) -> bool:
    deleted = rows_changed(db.session.execute(sa.delete(CalendarFeed).where(CalendarFeed.user_id == user.id)))
    db.session.flush()
    return bool(deleted)


def has_link(user: Any) -> bool:
    return db.session.scalar(sa.select(CalendarFeed.id).where(CalendarFeed.user_id == user.id)) is not None


def user_for_token(token: str) -> Any | None:
    """The active user whose feed this secret opens, or None."""
    if not token or len(token) > 100:
        return None
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def feed_for(user: Any, base_url: str) -> bytes:
    """The user's open deadlines still owed (overdue in the last 90 days, and all to come) as iCalendar,
    as the calendar page, the dashboard and the reminders list them (``services.live_clause``: a closed
    case's work only when statutory or handed over). One query."""
    # Imported here: only the feed's own requests (a calendar service's, every few hours) use it.
    from icalendar import Calendar, Event

    moment = now()
    # An alias: ``live_clause`` looks up the deadline's case itself, correlated on ``cases``.
    case = shared_alias(Case)
    rows = db.session.execute(
        sa.select(Deadline, case.reference, TriggerApplication.reference)
        .outerjoin(case, case.id == Deadline.case_id)
        .outerjoin(
            TriggerApplication,
            sa.and_(Deadline.subject_type == "trigger_applications", TriggerApplication.id == Deadline.subject_id),
        )
        .where(
            Deadline.owner_id == user.id,
            live_clause(),
            Deadline.due_at >= moment - timedelta(days=OVERDUE_DAYS),
        )
        .order_by(Deadline.due_at)
        .limit(1000)
    ).all()
    calendar = Calendar()
    calendar.add("prodid", "-//Casework//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Casework deadlines")
    # A deadline on a case the user may not see names neither the case nor the work (one statement).
    titles = DeadlineTitles(user, [deadline for deadline, _case, _application in rows])
    for deadline, case_reference, application_reference in rows:
        reference = titles.case_reference(deadline, case_reference) or application_reference
        event = Event()
        event.add("uid", f"deadline-{deadline.id}@casework")
        event.add("dtstamp", moment)
        if titles.shows(deadline):
            summary = kind_label(deadline.kind) + (f": {reference}" if reference else "")
        else:
            summary = "Deadline on a case you cannot see"
        if deadline.due_at < moment:
            summary = f"Overdue: {summary}"
        event.add("summary", summary)
        if deadline.due_on is not None:
            event.add("dtstart", deadline.due_on)
            event.add("dtend", deadline.due_on + timedelta(days=1))
        else:
            event.add("dtstart", deadline.due_at)
            event.add("dtend", deadline.due_at)
        if titles.link(deadline):
            event.add("url", base_url.rstrip("/") + titles.link(deadline))
        calendar.add_component(event)
    return calendar.to_ical()
