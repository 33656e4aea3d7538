"""Submission keys: a page form sent twice saves once.

Every page form carries a one-time key in a hidden field (``submission_key``, added by the base form,
``casework.core.forms.FlaskForm``, and written out by ``form.hidden_tag()``). A second click with
JavaScript off, the browser sending a form again after a timeout, or the same form sent from two tabs
all send the same key:

- The first POST that commits records its key (``commit()`` adds the row in the same transaction as
  what the form saved, so the two are written together or not at all), then the address its answer
  redirected to (after the answer, in a small transaction of its own).
- A later POST with that key writes nothing: it answers "This was already saved" and redirects where the
  first did (``check_submission``, before the view).
- A POST sent while the first is still being saved finds no key yet, runs, and is refused by the
  key's unique index when it commits (``add_unless_taken``): its work is rolled back and it answers as
  above.
- A key recorded by another user (or by no user, for someone signed in) is not honoured: the form is
  handled as if it had no key, and the answer says nothing of what the other user saved. A visitor
  signed in to a domain's own pages, who is no staff user (the victim page's victim), is told apart
  the same way: their key is kept as a digest of who they are and the key (``register_sender``), so
  the same key from another victim, or from someone not signed in, is another key.
- Each form on a page has its own key: a key is written out once in an answer, never the key of a
  sending the request saved (``spent_here``), and a form writing out one already written writes a new
  one (``casework.core.forms.SubmissionKeyInput``): a form object written out more than once (a row's
  form in a loop, two forms built from one object), or the forms of a page answering a POST (each takes
  the sent form's key from the request's fields). One key between two forms would answer the second
  sent, after the first, as already saved.
- A first answer that was not a redirect (the form shown again with its errors) forgets the key, so
  the corrected form can be sent.
- A view whose answer shows what the sending made and nothing keeps (new recovery codes, a calendar
  link: a secret shown once) says so with ``@shows_once``. Its answer is a page, not a redirect, and its
  key is kept all the same, as though it had redirected to the page ``shows_once`` names: a second
  sending makes nothing (a second secret would replace the first while the user copies it down) and is
  sent there with the view's own notice, which says the secret was made when the form was first sent and
  that it is the one that works. The secret itself is never kept to be shown again, so the page named
  makes another in one step: with JavaScript off, a second press of the button sends the form again
  before the first answer shows, and the browser drops that answer, the only one showing the secret (new
  recovery codes: the old ones stopped working too). The notice says what to do if that page did not
  appear (tests/test_secrets_shown_once.py walks each such view).

The API's POSTs take the same from an optional ``Idempotency-Key`` request header (the shape of the
IETF draft draft-ietf-httpapi-idempotency-key-header, ``docs/api.md``): the key, the user and a digest of
the request (method, path, body) are recorded with the request's transaction, then its answer (status,
JSON body, ``Location``). The same key and request again answer the recorded answer and write nothing;
for a view marked ``@shows_once`` (a new API token) the answer holds the secret and is not kept: the
recorded answer is a ``409`` with the view's notice instead;
the same key with another request answers ``422``; the same key while the first is still being answered
answers ``409``. A request without the header is handled as it always was.

Keys are deleted after ``KEEP_FOR`` by the nightly sweep of sessions (``accounts.prune_sessions``).
A form without a CSRF token (``class Meta: csrf = False``: a search sent with GET) has no key either.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.db import UTCDateTime, add_unless_taken, rows_changed, writes_from_here
from casework.extensions import Model, db

#: The name of the hidden field.
FIELD = "submission_key"
#: How long a key is remembered: a form sent again after a day is a new sending.
KEEP_FOR = timedelta(days=1)
#: What the notice says on the page the second sending is sent to.
ALREADY_SAVED = "This was already saved. It was not saved a second time."

_PREFIXED = f"-{FIELD}"
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")
_PENDING = "casework_submission_pending"
_SENDERS = "casework_submission_senders"
_RECORDED = "casework_submission_recorded"
_REDIRECTS = {301, 302, 303, 307, 308}

#: The API's request header.
HEADER = "Idempotency-Key"
#: The longest key the API takes.
HEADER_MAX = 255
#: An answer larger than this is not kept (the API's answers to a POST are far smaller): sent again,
#: the request answers 409 rather than running twice.
ANSWER_MAX = 1_000_000
REUSED = f"This {HEADER} was sent with a different request. Use a new key for a new request."
IN_PROGRESS = f"A request with this {HEADER} is still being answered. Send it again in a moment."


class SubmissionKey(Model):
    """A form's key, once the form has saved something: who sent it and where its answer went."""

    __tablename__ = "submission_keys"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: Empty for a form sent by someone not signed in (the public Case Review application).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: The address the first answer redirected to; empty until that answer is known.
    location: Mapped[str | None] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), index=True)
    #: The API's: a digest of the request (method, path and query, body) the key came with.
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    #: The API's: the first answer's status and JSON body, once known (for a view marked ``@shows_once``,
    #: the ``409`` a second sending answers instead: never the secret).
    status: Mapped[int | None] = mapped_column(sa.Integer)
    answer: Mapped[str | None] = mapped_column(sa.Text)


@dataclass(frozen=True)
class ShownOnce:
    """What ``@shows_once`` says of a view: what a second sending is told, and (a page) where it is sent."""

    notice: str
    then: str | None


#: The attribute ``@shows_once`` sets on a view.
_SHOWN_ONCE_ATTR = "casework_shown_once"
_View = TypeVar("_View", bound=Callable[..., Any])


def shows_once(notice: str, then: str | None = None) -> Callable[[_View], _View]:
    """Mark a view whose answer (2xx, not a redirect) shows a secret the sending made, kept nowhere but
    in that answer: new recovery codes, a calendar link, an API token. Its key is kept as though the
    answer had redirected to the endpoint ``then`` (a page; the API's needs none), and a second sending
    is told ``notice`` there (the API's: a ``409`` with it), having made nothing. ``then`` is a page that
    makes a new secret in one step, and ``notice`` says to make one there if the page answering the first
    sending did not appear (a second press with JavaScript off drops it). Put it just under the route, so
    the view the route registers carries it."""

    def mark(view: _View) -> _View:
        setattr(view, _SHOWN_ONCE_ATTR, ShownOnce(notice, then))
        return view

    return mark


def shown_once(endpoint: str | None = None) -> ShownOnce | None:
    """What ``@shows_once`` says of ``endpoint`` (the request's by default), or None when it is not so marked."""
    from flask import current_app, request

    view = current_app.view_functions.get(endpoint or request.endpoint or "")
    return getattr(view, _SHOWN_ONCE_ATTR, None)


class AlreadySaved(Exception):
    """The same form was saved by another request at the same moment: this one's work is undone."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def new_key() -> str:
    """A fresh key for a rendered form (the only work done on GET)."""
    return secrets.token_urlsafe(24)


def _posted_key() -> str | None:
    from flask import request

    if (
        request.method != "POST"
        or request.path.startswith("/api/")
        or request.mimetype
        not in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
    ):
        return None
    # A form with a prefix (two forms of one page) names it ``<prefix>-submission_key``.
    key = next((value for name, value in request.form.items() if name == FIELD or name.endswith(_PREFIXED)), None)
    return key if key and _KEY_SHAPE.fullmatch(key) else None


def submission_key_field() -> Markup:
    """The hidden field, for a form written out in a template without a form object (a template global,
    beside ``csrf_token()``)."""
    return Markup('<input type="hidden" name="{}" value="{}" autocomplete="off">').format(FIELD, new_key())


def spent_here(key: str | None) -> bool:
    """Whether ``key`` is the one this request's form was sent with and has saved (its row is written):
    a form written out in this request's answer must not carry it. A page shown after a saving (the
    answer of a view marked ``@shows_once``, whose key is kept, with the page's other forms beside the
    secret) would otherwise hand each of its forms a key already spent, and every one of them, sent, would
    be answered as the first sending and do nothing."""
    from flask import g, has_request_context

    return bool(key) and has_request_context() and g.get(_RECORDED) is not None and key == _posted_key()


def _user_id() -> int | None:
    from flask_login import current_user

    return current_user.id if current_user.is_authenticated else None


def register_sender(app: Any, sender: Any) -> None:
    """Called by a domain's ``init_app``: ``sender()`` names the visitor signed in to its pages who is no
    staff user (the victim page's victim), or None."""
    app.extensions.setdefault(_SENDERS, []).append(sender)


def _sender() -> str:
    """Who sends the request: a staff user, a visitor a domain signed in, or (empty) no one."""
    from flask import current_app

    user_id = _user_id()
    if user_id is not None:
        return f"user {user_id}"
    for sender in current_app.extensions.get(_SENDERS, ()):
        if (name := sender()) is not None:
            return str(name)
    return ""


def _form_row_key(key: str, sender: str) -> str:
    """The row a form's key is kept in. A visitor who is no staff user has no user id for the row to
    name: their key is kept as a digest of who they are and the key, so that the same key from anyone
    else finds no row (a key of 64 characters, as long as the longest a form sends)."""
    if not sender or sender.startswith("user "):
        return key
    return hashlib.sha256(f"form\0{sender}\0{key}".encode()).hexdigest()


def _answer_as_before(location: str | None) -> Any:
    from flask import flash, redirect, request, url_for

    shown = shown_once()
    if shown is not None:
        # Said apart from "already saved": the user must know the secret they were shown is the one
        # that works, and that none was shown here.
        flash(shown.notice, "important")
        if location is None and shown.then is not None:
            location = url_for(shown.then)
    else:
        flash(ALREADY_SAVED, "success")
    # Without a recorded address (the first answer is still being written), the page the form is on.
    return redirect(location or request.full_path.rstrip("?"), 303)


def _api_key() -> tuple[str, str] | Any | None:
    """The row key and request digest of an API POST with an ``Idempotency-Key``, None without one, or
    the 422 answer to a key the API cannot take."""
    from flask import request

    from casework.core.errors import json_error
    from casework.core.inputs import has_unstorable

    header = request.headers.get(HEADER)
    if request.method != "POST" or header is None or _user_id() is None:
        return None
    # A structured-field string ("...") or the bare value.
    value = header.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value or len(value) > HEADER_MAX or has_unstorable(value):
        return json_error(422, {HEADER: [f"Send a key of 1 to {HEADER_MAX} characters, or no {HEADER}."]})
    row_key = hashlib.sha256(f"api\0{_user_id()}\0{value}".encode()).hexdigest()
    digest = hashlib.sha256(f"{request.method} {request.full_path}\n".encode() + request.get_data()).hexdigest()
    return row_key, digest


def _api_answer(found: Any, digest: str) -> Any:
    """The answer to an API request whose key is recorded: the recorded answer, or why there is none."""
    from flask import Response

    from casework.core.errors import json_error

    if found.fingerprint != digest:
        return json_error(422, {HEADER: [REUSED]})
    if found.status is None:
        return json_error(409, {HEADER: [IN_PROGRESS]})
    answer = Response(found.answer or "", status=found.status, mimetype="application/json")
    if found.location:
        answer.headers["Location"] = found.location
    return answer


def _found(key: str) -> Any:
    return db.session.execute(
        sa.select(
            SubmissionKey.user_id,
            SubmissionKey.location,
            SubmissionKey.fingerprint,
            SubmissionKey.status,
            SubmissionKey.answer,
        ).where(SubmissionKey.key == key)
    ).first()


def check_submission() -> Any:
    """``before_request``: a form whose key was already used by this user answers as the first did; so
    does an API request whose ``Idempotency-Key`` was."""
    from flask import g, request

    if request.path.startswith("/api/"):
        api = _api_key()
        if not isinstance(api, tuple):
            return api
        row_key, digest = api
        found = _found(row_key)
        if found is None:
            g.setdefault(_PENDING, (row_key, _user_id(), digest, _sender()))
            return None
        return _api_answer(found, digest)
    key = _posted_key()
    if key is None:
        return None
    user_id, sender = _user_id(), _sender()
    key = _form_row_key(key, sender)
    found = db.session.execute(
        sa.select(SubmissionKey.user_id, SubmissionKey.location).where(SubmissionKey.key == key)
    ).first()
    if found is None:
        g.setdefault(_PENDING, (key, user_id, None, sender))
        return None
    if found.user_id != user_id:
        return None  # another user's key: handled as a form without one
    return _answer_as_before(found.location)


def record_before_commit() -> None:
    """Called by ``casework.core.db.commit()``: the request's form key joins the transaction.

    Raises ``AlreadySaved`` (after rolling back) when another request committed the same key since this
    one checked it."""
    from flask import g, has_request_context

    if not has_request_context():
        return
    pending = g.pop(_PENDING, None)
    if pending is None:
        return
    key, user_id, digest, sender = pending
    if sender != _sender():
        return  # the view signed someone in or out: the key no longer belongs to the sender
    if not add_unless_taken(SubmissionKey(key=key, user_id=user_id, fingerprint=digest)):
        db.session.rollback()
        raise AlreadySaved(key)
    setattr(g, _RECORDED, key)


def answer_already_saved(error: AlreadySaved) -> Any:
    """The error handler of ``AlreadySaved``: answer as the first sending did."""
    from flask import abort, request

    db.session.rollback()
    found = _found(error.key)
    if found is None or found.user_id != _user_id():
        abort(409)
    if request.path.startswith("/api/"):
        api = _api_key()
        return _api_answer(found, api[1] if isinstance(api, tuple) else "")
    return _answer_as_before(found.location)


def remember_answer(response: Any) -> Any:
    """``after_request``: where the first sending's answer went, or forget its key when it was a page;
    the API's answer itself. A view marked ``@shows_once`` keeps its key, without its secret."""
    from flask import g, request, url_for

    from casework.core.errors import json_error

    key = g.pop(_RECORDED, None)
    if key is None:
        return response
    db.session.rollback()  # whatever the view left uncommitted must not ride on this commit
    writes_from_here()
    where = SubmissionKey.key == key
    shown = shown_once() if 200 <= response.status_code < 300 else None
    if request.path.startswith("/api/") and shown is not None:
        # The answer holds the secret: kept, it would be readable in the table for a day. What a second
        # sending answers instead.
        refusal = json_error(409, {HEADER: [shown.notice]})
        db.session.execute(
            sa.update(SubmissionKey)
            .where(where)
            .values(status=refusal.status_code, answer=refusal.get_data(as_text=True))
        )
    elif request.path.startswith("/api/"):
        body = None if response.direct_passthrough or not response.is_json else response.get_data(as_text=True)
        if body is not None and len(body) > ANSWER_MAX:
            body = None
        values: dict[str, Any] = {"location": (response.location or "")[:2000] or None}
        if body is not None:
            values |= {"status": response.status_code, "answer": body}
        db.session.execute(sa.update(SubmissionKey).where(where).values(**values))
    elif response.status_code in _REDIRECTS and response.location:
        db.session.execute(sa.update(SubmissionKey).where(where).values(location=response.location[:2000]))
    elif shown is not None and shown.then is not None:
        db.session.execute(sa.update(SubmissionKey).where(where).values(location=url_for(shown.then)))
    else:
        db.session.execute(sa.delete(SubmissionKey).where(where))
    db.session.commit()
    return response


def prune(moment: datetime | None = None) -> int:
    """Delete keys older than ``KEEP_FOR``. Returns how many."""
    from casework.core.time import now

    result = db.session.execute(sa.delete(SubmissionKey).where(SubmissionKey.created_at < (moment or now()) - KEEP_FOR))
    return rows_changed(result) or 0


def init_app(app: Any) -> None:
    app.add_template_global(submission_key_field)
    app.before_request(check_submission)
    app.after_request(remember_answer)
    app.register_error_handler(AlreadySaved, answer_already_saved)
