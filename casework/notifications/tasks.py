"""Sending the outbox, exactly once per message.

Two live senders never send the same message. On PostgreSQL a send claims its row with a row lock
(``FOR UPDATE SKIP LOCKED``: a second worker given the same message skips it), held until ``sent_at``
is committed; it blocks no other writer. On SQLite a row lock would be the whole database's write
lock, which every request that writes would wait for while a slow mail server answers (SMTP's
``MAIL_TIMEOUT`` per step, GOV.UK Notify's 30 seconds). There a sender first takes the message's
sending lock (``casework.notifications.sending_lock``: one byte of a file beside the database; a second
sender of the same message gives up at once), then claims the row in a short transaction that it
commits (counting the attempt), talks to the mail server outside any transaction, and records the
result in another short one.

If the worker dies mid-send its lock dies with its connection (PostgreSQL) or process (SQLite) and the
message, acknowledged late, is delivered again; the stable Message-ID lets a mail server drop the copy
in the one window no database can close (the server accepted the message but the worker died before
committing ``sent_at``).

SMTP failures are retried with exponential backoff (``CASEWORK_EMAIL_RETRY_SECONDS`` doubling, at
most ten minutes apart). ``notifications.resend_unsent`` re-queues messages whose retry chain was
lost (a broker restart, a whole worker killed on the embedded broker).
"""

from __future__ import annotations

import hashlib
import random
import smtplib
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from celery import shared_task
from celery.schedules import crontab
from flask import current_app
from flask_mailman import EmailMultiAlternatives

from casework.core.data_keys import DataKeyError
from casework.core.db import commit, rows_changed
from casework.core.registry import registry
from casework.core.time import now
from casework.extensions import db
from casework.notifications import notify, sending_lock
from casework.notifications.models import OutboxEmail
from casework.notifications.services import delivered

#: Worth trying again: the server is down, busy, or answered 4xx.
TRANSIENT = (smtplib.SMTPException, OSError)
#: Retries are at most this far apart, well inside the broker's visibility timeout.
RETRY_MAX_SECONDS = 600
#: A row is re-queued when it is older than this and nothing has tried it for RESEND_QUIET.
RESEND_AFTER = timedelta(minutes=10)
RESEND_QUIET = timedelta(seconds=RETRY_MAX_SECONDS + 300)
#: After this many attempts a message is left for an administrator (last_error says why).
MAX_ATTEMPTS = 200


def is_permanent(error: BaseException) -> bool:
    """A 5xx answer or refused recipients: sending again will not help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


def retry_countdown(retries: int) -> float:
    """Full-jitter exponential backoff: base * 2**retries, capped, randomised so that a recovered
    server is not hit by every waiting message at the same moment."""
    base = float(current_app.config["CASEWORK"].get("EMAIL_RETRY_SECONDS", 5))
    ceiling = min(RETRY_MAX_SECONDS, base * (2 ** min(retries, 20)))
    return max(base / 2, random.uniform(0, ceiling))  # noqa: S311 - jitter, not security


def _on_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _claim(email_id: int) -> OutboxEmail | None:
    """Claim the row for this send, counting the attempt, or None when it is sent or failed (or, on
    PostgreSQL, being sent by someone else). On PostgreSQL the row stays locked until the
    transaction ends; on SQLite the caller holds the message's sending lock."""
    db.session.rollback()  # the claim must be the first statement of its transaction
    unsent = sa.and_(OutboxEmail.id == email_id, OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None))
    if _on_sqlite():
        # The WHERE re-checks sent_at under the write lock that the UPDATE takes.
        claimed = rows_changed(
            db.session.execute(
                sa.update(OutboxEmail)
                .where(unsent)
                .values(attempts=OutboxEmail.attempts + 1, last_attempt_at=now())
                .execution_options(synchronize_session=False)
            )
        )
        if not claimed:
            db.session.rollback()
            return None
        return db.session.scalar(
            sa.select(OutboxEmail).where(OutboxEmail.id == email_id).execution_options(populate_existing=True)
        )
    row = db.session.scalar(sa.select(OutboxEmail).where(unsent).with_for_update(skip_locked=True))
    if row is None:
        db.session.rollback()
        return None
    row.attempts += 1
    row.last_attempt_at = now()
    return row


def _message(row: OutboxEmail) -> EmailMultiAlternatives:
    text, html = delivered(row)
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[row.to_address],
        # A stable Message-ID from the idempotency key lets mail servers drop a duplicate if a
        # worker dies between handing the message over and recording that it did.
        headers={"Message-ID": f"<{hashlib.sha256(row.idempotency_key.encode()).hexdigest()[:40]}@casework>"},
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def _record_failure(email_id: int, error: BaseException, *, permanent: bool, counted: bool) -> int:
    """Record a failed attempt in its own transaction. ``counted``: the claim that counted the attempt
    was committed (SQLite), rather than rolled back with the row lock (PostgreSQL). Returns attempts."""
    values: dict = {
        "attempts": OutboxEmail.attempts + (0 if counted else 1),
        "last_attempt_at": now(),
        "last_error": f"{type(error).__name__}: {error}"[:500],
    }
    if permanent:
        values["failed_at"] = now()
        values["sealed_secret"] = None  # never sent: nothing is owed the secret
    db.session.execute(
        sa.update(OutboxEmail)
        .where(OutboxEmail.id == email_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    attempts = db.session.scalar(sa.select(OutboxEmail.attempts).where(OutboxEmail.id == email_id)) or 0
    commit()
    return attempts


def _deliver(row: OutboxEmail) -> None:
    """Through GOV.UK Notify when it is configured; otherwise email by SMTP (or the mail folder), and a
    text message to the mail folder (development: there is no other way to send one)."""
    if notify.is_configured():
        notify.send(row)
    elif row.channel == "text":
        folder = Path(current_app.config["MAIL_FILE_PATH"])
        folder.mkdir(parents=True, exist_ok=True)
        text, _html = delivered(row)
        (folder / f"text-{notify.reference(row)}.txt").write_text(f"To: {row.to_address}\n\n{text}\n")
    else:
        _message(row).send()


#: What a withdrawn message's ``last_error`` starts with (it is also ``failed_at``: never sent, not retried).
WITHDRAWN = "Withdrawn before sending"


def _no_longer_wanted(row: OutboxEmail) -> str | None:
    """Why the message should not go after all, asked of the domain its record belongs to (a message
    may wait hours for a mail server that is down: its deadline may be settled or handed over by then).
    A message written to a staff account is first asked of its recipient, whatever it is about: an
    account closed since it was queued is sent nothing (``Registry.recipient_checks``)."""
    if row.to_user_id is not None:
        for recipient_check in registry().recipient_checks:
            reason = recipient_check(row)
            if reason is not None:
                return reason
    check = registry().unsent_checks.get(row.related_type or "")
    return None if check is None else check(row)


def _replace_withdrawn(row: OutboxEmail) -> None:
    """Queue, in the withdrawal's transaction, what the withdrawn message's recipient is still owed as
    they may read it now (``domain.unsent_check(..., replace=...)``): a reminder of a deadline they
    still hold on a case restricted without them is sent again without what it may no longer quote.
    The domain decides; a message whose reason has gone (its deadline done, handed over) has none.

    The withdrawal stands whatever the replacement does: one that fails (a template, a query) is undone
    on its own (a SAVEPOINT), logged and noted on the withdrawn message, rather than rolling the
    withdrawal back with it and leaving the message to be claimed, and fail again, at every resend."""
    replace = registry().unsent_replacements.get(row.related_type or "")
    if replace is None:
        return
    try:
        with db.session.begin_nested():
            replace(row)
    except Exception as error:
        current_app.logger.exception("message %s withdrawn, but what replaces it could not be queued", row.id)
        row.last_error = f"{row.last_error}; not replaced: {type(error).__name__}: {error}"[:500]


@shared_task(bind=True, name="notifications.send_email", max_retries=None)
def send_email(self, email_id: int) -> bool:
    """Send one outbox message unless it is already sent or no longer wanted. Returns whether this
    call sent it."""
    if not _on_sqlite():
        return _send(self, email_id, lease=False)
    db.session.rollback()  # nothing of an earlier transaction is held while the mail server answers
    with sending_lock.sending(db.session.get_bind().engine.url, email_id) as held:
        if not held:
            return False  # another live sender is sending it right now
        return _send(self, email_id, lease=True)


def _send(task, email_id: int, *, lease: bool) -> bool:
    """``lease``: the caller holds the message's sending lock (SQLite), so the claim is committed
    before the mail server is spoken to, and the result recorded in a transaction of its own."""
    row = _claim(email_id)
    if row is None:
        return False  # already sent, refused for good, or another worker is sending it right now
    reason = _no_longer_wanted(row)  # just before sending, after the claim
    if reason is not None:
        row.failed_at = now()
        row.last_error = f"{WITHDRAWN}: {reason}"[:500]
        row.sealed_secret = None
        _replace_withdrawn(row)
        commit()
        return False
    if lease:
        # Keep what was loaded (a commit would expire it, and reading it again would begin a
        # transaction), then let the write lock go before talking to the mail server.
        db.session.expunge(row)
        db.session.commit()
    try:
        _deliver(row)
    except notify.NotifyRefused as error:
        db.session.rollback()
        _record_failure(email_id, error, permanent=True, counted=lease)
        current_app.logger.warning("message %s refused for good by Notify: %s", email_id, error)
        return False
    except TRANSIENT as error:
        db.session.rollback()
        permanent = is_permanent(error)
        attempts = _record_failure(email_id, error, permanent=permanent, counted=lease)
        if permanent:
            current_app.logger.warning("email %s refused for good: %s", email_id, error)
            return False
        if attempts >= MAX_ATTEMPTS:
            current_app.logger.error("email %s not sent after %s attempts: %s", email_id, attempts, error)
            return False
        if task.request.is_eager:
            # Eager mode (development without a worker) would retry at once, recursively; leave the
            # message to notifications.resend_unsent instead.
            return False
        raise task.retry(exc=error, countdown=retry_countdown(task.request.retries)) from error
    except DataKeyError as error:
        # No key of CASEWORK_DATA_KEY opens the message's secret (a key removed while it waited): it
        # never will, and a new link or code is one request away on the victim's sign-in page.
        db.session.rollback()
        _record_failure(email_id, error, permanent=True, counted=lease)
        current_app.logger.error("message %s cannot be sent: %s", email_id, error)
        return False
    except ValueError as error:
        # The message itself is refused (a header the mail library will not write): it will be refused
        # at every attempt, so it is recorded as failed for good rather than re-queued for ever.
        db.session.rollback()
        _record_failure(email_id, error, permanent=True, counted=lease)
        current_app.logger.error("email %s cannot be sent: %s", email_id, error)
        return False
    if lease:
        db.session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id == email_id)
            .values(sent_at=now(), last_error=None, sealed_secret=None)
            .execution_options(synchronize_session=False)
        )
    else:
        row.sent_at = now()
        row.last_error = None
        row.sealed_secret = None  # it has gone: no copy is kept
    commit()
    return True


@shared_task(name="notifications.resend_unsent")
def resend_unsent() -> int:
    """Queue a send for every message that is older than ten minutes, still unsent, and that nothing
    has tried for longer than the longest retry interval: its task message was lost. Safe against
    duplicates because ``send_email`` claims the row and checks ``sent_at``."""
    moment = now()
    ids = db.session.scalars(
        sa.select(OutboxEmail.id)
        .where(
            OutboxEmail.sent_at.is_(None),
            OutboxEmail.failed_at.is_(None),
            OutboxEmail.created_at <= moment - RESEND_AFTER,
            OutboxEmail.attempts < MAX_ATTEMPTS,
            sa.or_(OutboxEmail.last_attempt_at.is_(None), OutboxEmail.last_attempt_at <= moment - RESEND_QUIET),
        )
        .order_by(OutboxEmail.created_at)
        .limit(1000)
    ).all()
    db.session.rollback()
    from casework.core.tasks_outbox import enqueue

    for email_id in ids:
        enqueue("notifications.send_email", email_id)
    commit()
    return len(ids)


#: The files the mail folder's writers make: Flask-Mailman's file backend (``*.log``, one per message)
#: and ``_deliver``'s text messages. Nothing else in the folder is deleted.
MAIL_FOLDER_PATTERNS = ("*.log", "text-*.txt")


@shared_task(name="notifications.clean_mail_folder")
def clean_mail_folder() -> int:
    """Delete the messages written to the mail folder (``CASEWORK_MAIL_DIR``: the embedded default's
    sink when there is no SMTP host, and text messages without GOV.UK Notify) over
    ``CASEWORK_MAIL_DIR_KEEP_DAYS`` ago: they name people, and retention anonymises only the outbox's
    copies. Returns how many files were deleted; safe to run twice."""
    folder = Path(current_app.config["MAIL_FILE_PATH"])
    if not folder.is_dir():
        return 0
    days = int(current_app.config["CASEWORK"]["MAIL_DIR_KEEP_DAYS"])
    cutoff = (now() - timedelta(days=days)).timestamp()
    deleted = 0
    for pattern in MAIL_FOLDER_PATTERNS:
        for path in folder.glob(pattern):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:  # deleted meanwhile by another run
                continue
    return deleted


#: Beat entries (task name -> schedule), registered with the tasks by the domain's ``init_app``.
BEAT = {
    "notifications.resend_unsent": 300.0,
    # Daily, in the small hours (London time), like the retention run.
    "notifications.clean_mail_folder": crontab(hour=2, minute=45),
}
