"""Signed-in sessions on the pages, recorded on the server (``UserSession``).

Flask keeps the session in a signed cookie, so without a record on the server a copy of the cookie
would keep working after the user signed out, until the idle timeout. Here the cookie carries a random
key; the session is open only while its row has no ``ended_at``. Signing out, the idle timeout, and any
change that ends a user's sessions everywhere (``end_all``: password, roles, agency, active status)
close the rows, and ``current_user`` is loaded only through an open row (``casework.app.init_login``).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, Request, Response, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import login_user
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import joinedload

from casework.accounts.models import User, UserSession
from casework.core.db import prebuilt, rows_changed, writes_from_here
from casework.core.time import now
from casework.extensions import db

#: The session cookie's entry holding the raw key.
SESSION_KEY = "session_key"
#: ``last_seen_at`` is written at most this often: one write per user every few minutes, not per page.
SEEN_GRANULARITY = timedelta(minutes=5)
#: Rows are deleted this long after they ended or were last used (see ``prune``).
KEEP_FOR = timedelta(days=30)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User) -> str:
    """Record a new session for ``user`` and return the key for the cookie (flushes, never commits)."""
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=_hash(key), last_seen_at=now()))
    db.session.flush()
    return key


def sign_in(user: User) -> None:
    """Sign ``user`` in to the pages in a fresh session, recorded on the server."""
    # A new session on sign-in, so a session id planted before sign-in is worthless.
    session.clear()
    login_user(user)
    session[SESSION_KEY] = start(user)
    # When the session began, for its absolute lifetime (casework.core.security): signed in the cookie.
    session["signed_in_at"] = int(time.time())
    session.permanent = True


def stay_signed_in(user: User) -> None:
    """After a committed change that signed ``user`` out everywhere (``accounts.services.end_sessions``:
    their password, roles or second factor), a fresh session for the browser that made the change, when
    that is the user's own: the change was theirs, and they go on. Nothing for anyone else's change.

    The change has committed; this writes once more, in a transaction that may write (casework.core.db):
    the read that followed the commit ends first."""
    from flask_login import current_user

    from casework.core.db import commit

    if not current_user.is_authenticated or current_user.id != user.id:
        return
    if session.get("_user_id") == user.get_id():
        return  # the change did not sign them out (a name, a manager)
    writes_from_here()
    db.session.rollback()
    # The forms this browser has open stay good: a second press of the button that made the change is
    # then answered by its form key, "already saved", not refused as a forged form. The CSRF secret is
    # this browser's own and the user is the same, so nothing is gained by changing it here.
    form_secret_key = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")  # Flask-WTF's session key
    form_secret = session.get(form_secret_key)
    sign_in(user)
    if form_secret is not None:
        session[form_secret_key] = form_secret
    commit()


def user_for(user_id: int, key: str | None) -> User | None:
    """The user of an open session with this key (one query); None when it ended or never existed."""
    if not key:
        return None
    params = {"user_id": user_id, "key_hash": _hash(key)}
    found = db.session.execute(prebuilt(_USER_OF_SESSION), params).unique().first()
    if found is None:
        return None
    user, session_id, last_seen_at = found
    moment = now()
    if last_seen_at is None or moment - last_seen_at >= SEEN_GRANULARITY:
        # Only ``prune`` reads it, a month later.
        _later(sa.update(UserSession).where(UserSession.id == session_id).values(last_seen_at=moment))
    return user


#: The user with their roles, and the open session's id and when it was last seen, in one statement,
#: built once with bind parameters (every page runs it: building and keying the statement cost more
#: than running it). The session is read as values, not loaded as an entity: nothing changes it here.
_USER_OF_SESSION = (
    sa.select(User, UserSession.id, UserSession.last_seen_at)
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        User.id == sa.bindparam("user_id"),
        UserSession.key_hash == sa.bindparam("key_hash"),
        UserSession.ended_at.is_(None),
    )
    .options(joinedload(User.role_rows))
)

_PENDING_KEY = "casework_session_writes"


def _later(statement: sa.Update) -> None:
    """Write ``statement`` after the view (``write_pending``): a GET's transactions only read
    (casework.core.db), and the bookkeeping of a session must not ride on a refused change."""
    g.setdefault(_PENDING_KEY, []).append(statement)


def write_pending(response):
    """``after_request``: the session writes of this request, in a transaction of their own."""
    statements = g.pop(_PENDING_KEY, None)
    if statements:
        db.session.rollback()  # whatever the view left uncommitted must not ride on this commit
        writes_from_here()
        for statement in statements:
            db.session.execute(statement)
        db.session.commit()
    return response


def end_current() -> None:
    """End the session of this request on the server (signing out, the idle timeout)."""
    key = session.get(SESSION_KEY)
    if key:
        _later(
            sa.update(UserSession)
            .where(UserSession.key_hash == _hash(key), UserSession.ended_at.is_(None))
            .values(ended_at=now())
        )


def end_all(user: User) -> None:
    """End every open session of ``user`` (their password, roles, agency or active status changed)."""
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now())
    )


def prune(moment: datetime | None = None) -> int:
    """Delete rows that ended, or were last used, more than ``KEEP_FOR`` ago. Returns how many."""
    cutoff = (moment or now()) - KEEP_FOR
    result = db.session.execute(
        sa.delete(UserSession).where(sa.or_(UserSession.ended_at < cutoff, UserSession.last_seen_at < cutoff))
    )
    return rows_changed(result) or 0


class PagesSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, for the pages only.

    A session cookie never authenticates the API (bearer tokens do: ``casework.app.init_login``), so
    an API request neither reads the cookie a browser may send with it (verifying its signature)
    nor sends it back re-signed: it gets an empty session that is never saved.
    """

    #: The signing serializer and the secret keys it was built with (see get_signing_serializer).
    _signing: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] = ((), None)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, built once per set of secret keys rather than twice a request (to
        open the cookie and to sign it again): building one tests its JSON serializer on ``{}``. It
        keeps nothing between calls, so threads share it."""
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        built_for, serializer = self._signing
        if built_for != keys:
            serializer = super().get_signing_serializer(app)
            self._signing = (keys, serializer)
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/api/"):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SecureCookieSession, response: Response) -> None:  # type: ignore[override]
        if request.path.startswith("/api/"):
            return
        super().save_session(app, session, response)
