"""Every read is in the log: a person, case, application, intervention, risk assessment or action that a
request loads from the database is a record that request shows, and gets a view entry. So is the
record a deadline names (a dashboard's list of what is due).

One mechanism for every endpoint, page and API alike, instead of a ``record_view`` call each endpoint
must remember: an SQLAlchemy ``load`` listener notes each such record as the request loads it (from a
detail query, a list or search, a relationship, a form), and when a read (GET) answers with something
that shows records (a success, or a page shown with errors) one view entry per record is written and
committed before the answer leaves. A search or list therefore logs every record it showed, each entry saying
which request showed it (with its query string: the search). A refused or missing record (403, 404) and
a redirect show nothing and log nothing. If the entries cannot be written the answer is an error, never
an unlogged read.

Only the first load of a record in a request fires the listener, and records the request created
itself are not loaded, so a create is logged as a change, not also as a view. An explicit
``record_view`` in a view (a letter, a download) replaces the automatic entry for that record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from casework.audit.group_commit import group_commit
from casework.audit.models import AuditAction, audit_entries
from casework.audit.services import entries_to_write, viewed_in_this_request
from casework.core.db import bind_for_writes, holds_nothing, writes_from_here
from casework.extensions import db

#: The records whose every view is logged, by table, with what people call them.
VIEWED_RECORDS: dict[str, str] = {
    "people": "person",
    "cases": "case",
    "trigger_applications": "Case Review application",
    "interventions": "intervention",
    "risk_assessments": "risk assessment",
    "actions": "action",
}

#: Reads. A write loads the records it changes and is logged as a change (record_change), so logging
#: what it loaded as views too would only repeat it.
READS = frozenset({"GET", "HEAD"})

#: Answers that show what the request loaded: successes with a body, and forms shown again with errors.
SHOWING_ERRORS = frozenset({400, 409, 422})


def shows_records(status: int) -> bool:
    return (200 <= status < 300 and status != 204) or status in SHOWING_ERRORS


def init_app(app: Flask) -> None:
    if not sa.event.contains(db.Model, "load", _noted_on_load):
        sa.event.listen(db.Model, "load", _noted_on_load, propagate=True)
    app.after_request(record_views)


def _noted_on_load(instance: Any, _context: Any) -> None:
    if not has_request_context():
        return  # a task or a command: nobody is shown anything
    table = getattr(type(instance), "__tablename__", None)
    if table in VIEWED_RECORDS:
        _note(table, instance.id)
    elif table in SHOWN_THROUGH:
        for record_type, record_id in SHOWN_THROUGH[table](instance):
            _note(record_type, record_id)


def _deadline_shows(deadline: Any) -> Iterator[tuple[str, Any]]:
    """A deadline on a dashboard names its record and links to it (an explanation task links to its
    case): it shows the record it is about and the one its link opens."""
    if deadline.subject_type in VIEWED_RECORDS:
        yield deadline.subject_type, deadline.subject_id
    if deadline.link:
        yield from records_linked(deadline.link)


#: Rows that show other records: table -> the records a row shows.
SHOWN_THROUGH: dict[str, Callable[[Any], Iterator[tuple[str, Any]]]] = {"deadlines": _deadline_shows}

#: URL arguments that name a record whose views are logged.
LINK_ARGUMENTS = {
    "person_id": "people",
    "case_id": "cases",
    "application_id": "trigger_applications",
    "intervention_id": "interventions",
    "action_id": "actions",
}


#: How many links' records each app keeps worked out (``records_linked``): more than a page of
#: deadlines holds, few enough to be small.
LINKS_KEPT = 4096


def records_linked(path: str) -> tuple[tuple[str, Any], ...]:
    """The records a link to one of the service's pages opens (``/cases/7/risk-assessments``: case 7).

    Kept per app once worked out: it depends on the path and the app's routes alone, and a list of Case
    Review applications loads some twenty deadlines for each, every one with its link, whose routing
    took a sixth of the list's time."""
    path = urlsplit(path).path
    kept: dict[str, tuple[tuple[str, Any], ...]] = current_app.extensions.setdefault("audit.records_linked", {})
    found = kept.get(path)
    if found is None:
        if len(kept) >= LINKS_KEPT:
            kept.clear()
        found = kept[path] = _records_linked(path)
    return found


def _records_linked(path: str) -> tuple[tuple[str, Any], ...]:
    try:
        _endpoint, arguments = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return ()
    return tuple((LINK_ARGUMENTS[name], value) for name, value in arguments.items() if name in LINK_ARGUMENTS)


def note_shown(table: str, ident: Any) -> None:
    """A record a read shows without loading it as an entity (a row of a hand-built statement, such as
    a linked case's reference on the case page): logged like one that was loaded."""
    # The table first: the cheaper question, and most records a case page reads as values (users,
    # agencies, complaints) are not logged.
    if table in VIEWED_RECORDS and has_request_context():
        _note(table, ident)


def note_viewed(table: str, ident: Any, summary: str) -> None:
    """The record a page is about, with what its view entry says ("Viewed case BOL-2026-0001"): written
    with the request's other view entries, in the same statements, when the answer shows it."""
    if has_request_context() and table in VIEWED_RECORDS:
        _note(table, ident, summary)


def forget_shown(table: str, *, keep: Iterable[Any]) -> None:
    """The records of ``table`` this request loaded but did not show, all but ``keep``: no view entry
    for them (a redacted subject access export reads other people to redact them, and shows only
    "[third party]")."""
    shown = g.get("audit_shown") if has_request_context() else None
    if not shown:
        return
    kept = {str(ident) for ident in keep}
    for key in [key for key in shown if key[0] == table and key[1] not in kept]:
        del shown[key]


def _note(table: str, ident: Any, summary: str | None = None) -> None:
    shown = g.setdefault("audit_shown", {})
    key = (table, str(ident))
    # A dict keeps the order they were shown in; a summary of its own, once given, stays.
    if summary is not None or shown.get(key) is None:
        shown[key] = summary


def record_views(response: Response) -> Response:
    """Write the view entries for what this request showed (an ``after_request`` function)."""
    shown = g.pop("audit_shown", None)
    if not shown or request.method not in READS or not shows_records(response.status_code):
        return response
    already = viewed_in_this_request()
    pending = [key for key in shown if key not in already]
    if not pending:
        return response
    actor_id = _user_id()
    # The read ends here, with whatever the view left uncommitted (a form that failed half-way): it
    # never rides on the entries' commit, and holds no lock or snapshot they would wait for. A read
    # that holds nothing (a read engine's, in autocommit) is left for the session's close at the end of
    # the request: a rollback would first expire everything it loaded, for nothing.
    if not holds_nothing(db.session()):
        db.session.rollback()
    path = request.full_path.rstrip("?") if request.query_string else request.path
    summary = f"Shown by {request.method} {path}"
    actor = _Actor(actor_id) if actor_id is not None else None
    own = {key: shown[key] for key in pending if shown[key] is not None}
    # A read request's transactions are read-only (casework.core.db): the entries take the write lock
    # in a transaction of their own. On SQLite the other writers, the other web worker's included,
    # queue for that lock: the entries are built in full first, and it is held only while they are
    # written.
    writes_from_here()
    bind = bind_for_writes(db.session(), audit_entries)
    entries = entries_to_write(actor, AuditAction.view, pending, summary, summaries=own, dialect=bind.dialect)
    if entries is None:
        return response
    if isinstance(bind, sa.Engine) and bind.dialect.name == "sqlite":
        # The other threads of this worker that are writing theirs at the same time share the write
        # lock's transaction (casework.audit.group_commit). Not on PostgreSQL, where the entries are one
        # statement in autocommit: a shared transaction would add a BEGIN and a COMMIT.
        group_commit(bind).write(bind, entries)
        entries.note_written()
    else:
        with _transaction_of_its_own(bind) as connection:
            entries.write(connection)
    return response


@contextmanager
def _transaction_of_its_own(bind: sa.Engine | sa.Connection) -> Iterator[sa.Connection]:
    """A connection of ``bind`` in a transaction of its own for the entries, committed when the
    block ends (on PostgreSQL, and in the tests' outer connection; SQLite's engine commits the
    entries of its writers together, casework.audit.group_commit).

    Core only, not the session: the entries are two plain inserts (one on PostgreSQL), and the
    session's transaction, with its events, flush and expiry of what the read loaded, cost more than
    writing them.
    """
    if isinstance(bind, sa.Connection):
        # The session works inside a transaction its caller began on a connection (the tests): the
        # entries go in a SAVEPOINT of it, as the session's own transactions do.
        with bind.begin_nested():
            yield bind
        return
    with bind.connect() as connection:
        if connection.dialect.name == "postgresql":
            # On PostgreSQL the entries are written in one statement, which is a transaction by itself:
            # committed when it returns, without a BEGIN and a COMMIT of their own (two round trips).
            connection.execution_options(isolation_level="AUTOCOMMIT")
        with connection.begin():
            yield connection


def _user_id() -> int | None:
    """The signed-in user's id without loading the user again: a view that committed expired it, and
    reading ``current_user.id`` would cost a SELECT for a number the session already knows."""
    if not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    state = sa.inspect(user, raiseerr=False)
    if state is not None and state.identity is not None:
        return state.identity[0]
    return user.id


class _Actor:
    """Just the id: the signed-in user's row may have been expired by the rollback above."""

    def __init__(self, user_id: int) -> None:
        self.id = user_id
