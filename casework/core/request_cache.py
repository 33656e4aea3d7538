"""Results worked out once per request (or task): what a user may do with a record, a section's rows.

A page is assembled from parts that ask the same questions (can this user change this case? which
actions does it have?) and would otherwise each ask the database. ``@request_cached`` keeps a
function's answer on ``flask.g`` for the rest of the app context, keyed by its arguments (which must be
hashable: ids, not objects). The answers are forgotten as soon as the session writes anything, commits
or rolls back, so a change is never answered from before it was made.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "casework_request_cache"

F = TypeVar("F", bound=Callable[..., Any])


def request_cached(fn: F) -> F:
    """Remember ``fn(*args)`` for the current request; outside an app context, always call it."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        if not has_app_context():
            return fn(*args)
        cache = g.setdefault(_KEY, {})
        key = (fn, args)
        if key not in cache:
            cache[key] = fn(*args)
        return cache[key]

    return wrapper  # type: ignore[return-value]


def remember(fn: Callable[..., Any], args: tuple[Any, ...], value: Any) -> None:
    """Record an answer already known (a query that loaded a case through the visibility rules has
    also shown that the user may see it)."""
    if has_app_context():
        g.setdefault(_KEY, {})[(getattr(fn, "__wrapped__", fn), args)] = value


def forget() -> None:
    if has_app_context():
        g.pop(_KEY, None)


def _forget_after_writing(session: Session, _context: Any) -> None:
    if session.new or session.dirty or session.deleted:
        forget()


def _forget_at_end(*_args: Any) -> None:
    forget()


def configure_session_events() -> None:
    if not event.contains(Session, "after_flush", _forget_after_writing):
        event.listen(Session, "after_flush", _forget_after_writing)
        event.listen(Session, "after_commit", _forget_at_end)
        event.listen(Session, "after_soft_rollback", _forget_at_end)
