"""Queueing email. The message, and the task message that sends it, are stored with the change that
caused it; the send is handed to the broker after the commit (``casework.core.tasks_outbox``)."""

from __future__ import annotations

import re
from typing import Any, Protocol

import sqlalchemy as sa
from markupsafe import escape
from sqlalchemy.exc import IntegrityError

from casework.core.tasks_outbox import enqueue
from casework.core.time import now
from casework.extensions import db
from casework.notifications.models import OutboxEmail

#: What joins the key of a message queued in place of a withdrawn one to the key it stands for.
REPLACES = "#replaces-"

#: What a message's stored body holds where its secret (a sign-in link or code) goes: the secret itself
#: is kept sealed beside it until the message goes (``OutboxEmail.sealed_secret``), and put in its place
#: only in what is handed to the mail server or Notify (``delivered``).
SECRET_WITHHELD = "[withheld here: sent only to the recipient]"  # noqa: S105 - a placeholder, not a secret


class StaffAccount(Protocol):
    """A member of staff a message is written to (``accounts.models.User``): the outbox records the
    account, not only its address, and asks just before sending whether it may still receive it."""

    id: int
    email: str


def _recipient(to: str | StaffAccount) -> tuple[str, int | None]:
    """The address and, for a member of staff, the account of a message's recipient."""
    if isinstance(to, str):
        return to, None
    return to.email, to.id


def _sealed(secret: str | None, *bodies: str | None) -> str | None:
    if secret is None:
        return None
    if not any(body and SECRET_WITHHELD in body for body in bodies):
        raise ValueError("a message with a secret must say where it goes (SECRET_WITHHELD)")
    from casework.core import data_keys

    # A development process with no CASEWORK_DATA_KEY seals with a key of its own, which the worker
    # (another process) could not open: there the secret is kept plain, and still blanked once sent.
    return secret if data_keys.temporary_key_in_use() else data_keys.seal(secret)


def delivered(row: OutboxEmail) -> tuple[str, str | None]:
    """The text and HTML bodies as the recipient gets them: the sealed secret, if any, in its place.
    Raises ``DataKeyError`` when no key of CASEWORK_DATA_KEY opens it."""
    if row.sealed_secret is None:
        return row.body_text, row.body_html
    from casework.core import data_keys

    secret = data_keys.open_sealed(row.sealed_secret).value
    html = None if row.body_html is None else row.body_html.replace(SECRET_WITHHELD, str(escape(secret)))
    return row.body_text.replace(SECRET_WITHHELD, secret), html


def original_key(key: str) -> str:
    """The key of the message a replacement stands for (a key that is no replacement: itself), which
    says what it was queued for, as the domain wrote it."""
    return key.split(REPLACES, 1)[0]


def replacement_key(withdrawn: OutboxEmail) -> str:
    """The key of the message queued in place of ``withdrawn`` (``notifications.tasks``): the key it
    stands for, and the id of the message withdrawn, so each withdrawal is replaced once at most, and a
    replacement withdrawn in its turn can be replaced too."""
    return f"{original_key(withdrawn.idempotency_key)}{REPLACES}{withdrawn.id}"


def queue_email(
    *,
    to: str | StaffAccount,
    subject: str,
    text: str,
    html: str | None = None,
    key: str,
    related: tuple[str, int] | None = None,
    secret: str | None = None,
) -> OutboxEmail:
    """Store an email and send it once the transaction commits.

    ``to``: an address (someone outside the service: an applicant, a victim), or a member of staff's
    account, whose message is sent only if the account is still open and still has that address when
    it goes (``notifications.tasks``): every message to staff passes the account, never its address.

    ``secret`` (a sign-in link) is never stored in the bodies: they say ``SECRET_WITHHELD`` where it
    goes, and it is kept sealed until the message is sent (``delivered``).

    ``key`` identifies the message (e.g. ``reminder:42:2026-03-09T00:00:00+00:00``): queueing the same
    key again returns the existing row and sends nothing more. Two transactions queueing the same key
    at once are settled by the unique index: the second one's insert fails inside a SAVEPOINT and it
    returns the first one's row.
    """
    existing = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == key))
    if existing is not None:
        return existing
    address, user_id = _recipient(to)
    row = OutboxEmail(
        idempotency_key=key,
        to_address=address,
        to_user_id=user_id,
        # A subject is one line (a header): a title with a line break in it (an action's description)
        # would be refused by the mail library at every attempt.
        subject=" ".join(subject.split())[:300],
        body_text=text,
        body_html=html,
        sealed_secret=_sealed(secret, text, html),
        related_type=related[0] if related else None,
        related_id=related[1] if related else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        existing = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == key))
        if existing is None:
            raise
        return existing
    # The send is a task message written in this transaction, handed to the broker after the commit.
    enqueue("notifications.send_email", row.id)
    return row


def queue_text(
    *, to: str | StaffAccount, text: str, key: str, related: tuple[str, int] | None = None, secret: str | None = None
) -> OutboxEmail:
    """Store a text message to a mobile number and send it once the transaction commits: through GOV.UK
    Notify when it is configured, otherwise written to the mail folder (there is no SMS without Notify).
    The same outbox, keys and exactly-once send as email."""
    existing = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == key))
    if existing is not None:
        return existing
    address, user_id = _recipient(to)
    row = OutboxEmail(
        idempotency_key=key,
        channel="text",
        to_address=address,
        to_user_id=user_id,
        subject="Text message",
        body_text=text,
        sealed_secret=_sealed(secret, text),
        related_type=related[0] if related else None,
        related_id=related[1] if related else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        existing = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == key))
        if existing is None:
            raise
        return existing
    enqueue("notifications.send_email", row.id)
    return row


def reword_unsent(old: str, new: str) -> int:
    """Put ``new`` in place of ``old`` in the subject and bodies of the messages not sent yet (the HTML
    body quotes it escaped): words a message was written with that must no longer go out. What was sent
    is left as it went. Returns how many messages changed."""
    html_old, html_new = str(escape(old)), str(escape(new))
    rows = db.session.scalars(
        sa.select(OutboxEmail).where(
            OutboxEmail.sent_at.is_(None),
            sa.or_(
                OutboxEmail.subject.contains(old, autoescape=True),
                OutboxEmail.body_text.contains(old, autoescape=True),
                OutboxEmail.body_html.contains(html_old, autoescape=True),
            ),
        )
    ).all()
    for row in rows:
        row.subject = " ".join(row.subject.replace(old, new).split())[:300]
        row.body_text = row.body_text.replace(old, new)
        if row.body_html is not None:
            row.body_html = row.body_html.replace(html_old, html_new)
    db.session.flush()
    return len(rows)


def reword_unsent_many(replacements: dict[str, str]) -> int:
    """``reword_unsent`` for many words at once: every message not sent yet is read once, and each
    ``old`` it quotes becomes its ``new``. Returns how many messages changed."""
    pairs = [(old, new, str(escape(old)), str(escape(new))) for old, new in replacements.items() if old and old != new]
    if not pairs:
        return 0
    changed = 0
    for row in db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.sent_at.is_(None))):
        subject, body_text, body_html = row.subject, row.body_text, row.body_html
        for old, new, html_old, html_new in pairs:
            if old in subject:
                subject = subject.replace(old, new)
            if old in body_text:
                body_text = body_text.replace(old, new)
            if body_html is not None and html_old in body_html:
                body_html = body_html.replace(html_old, html_new)
        if (subject, body_text, body_html) != (row.subject, row.body_text, row.body_html):
            row.subject = " ".join(subject.split())[:300]
            row.body_text = body_text
            row.body_html = body_html
            changed += 1
    db.session.flush()
    return changed


# --- retention ---------------------------------------------------------------------------------------

#: What replaces the subject and body of an email removed under the retention policy.
REMOVED_EMAIL = "[removed under the retention policy]"


def erase_emails(query_filter: sa.ColumnElement[bool], report: Any) -> int:
    """Blank the address, subject and bodies of the outbox rows matching ``query_filter`` (the rows
    stay, so an idempotency key is never reused to send the message again). One not sent yet is never
    sent: it is recorded as failed, so the sender does not try its blank address."""
    rows = list(db.session.scalars(sa.select(OutboxEmail).where(query_filter, OutboxEmail.body_text != REMOVED_EMAIL)))
    moment = now()
    for row in rows:
        if row.sent_at is None and row.failed_at is None:
            row.failed_at = moment
        row.to_address = "removed"
        row.subject = REMOVED_EMAIL
        row.body_text = REMOVED_EMAIL
        row.body_html = None
        row.sealed_secret = None
        row.last_error = None
    db.session.flush()
    report.add(OutboxEmail.__tablename__, [r.id for r in rows])
    return len(rows)


def erase_emails_about(items: dict[str, set[int]], report: Any) -> int:
    """Emails about any record listed in ``items`` (table -> ids): letters, reminders, notices."""
    erased = 0
    for table, ids in list(items.items()):
        if table == OutboxEmail.__tablename__ or not ids:
            continue
        erased += erase_emails(
            sa.and_(OutboxEmail.related_type == table, OutboxEmail.related_id.in_(sorted(ids))), report
        )
    return erased


def erase_emails_to(address: str, report: Any) -> int:
    return erase_emails(sa.func.lower(OutboxEmail.to_address) == address.strip().lower(), report)


def mobile_number(value: str | None) -> str | None:
    """A UK mobile number as text messages are addressed (11 digits starting 07: ``+44 7700 900123``
    is ``07700900123``), or None when ``value`` is not one."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits if re.fullmatch(r"07\d{9}", digits) else None


def erase_texts_to(phone: str, report: Any) -> int:
    """Text messages to ``phone`` (however it was typed): a person's number goes as their address does."""
    number = mobile_number(phone)
    if number is None:
        return 0
    return erase_emails(sa.and_(OutboxEmail.channel == "text", OutboxEmail.to_address == number), report)


def erase_old_emails(before: Any, report: Any) -> int:
    """Copies of messages done with long ago: sent (a digest lists many cases' work), or given up
    (withdrawn before sending, or refused for good: never to be sent, they say as much as a sent one).
    The outbox is a queue, not a record; letters are kept on their application."""
    done = sa.or_(
        sa.and_(OutboxEmail.sent_at.is_not(None), OutboxEmail.sent_at < before),
        sa.and_(OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_not(None), OutboxEmail.failed_at < before),
    )
    return erase_emails(done, report)


# --- subject access -------------------------------------------------------------------------------------


def export_section(person: Any, access: Any) -> list[dict[str, Any]]:
    """Email sent to the person's address (their copies of letters, confirmations): when and what
    about (the letters themselves are in their Case Review's part). Email about a withheld record is
    withheld with it. The addresses of records merged into the person's and shown with it are theirs too.

    An address is what anyone may type into a person's record: to an exporter other than the data
    protection officer, the export holds only the email about records they may read, as the domain of
    each record says (``exported_email_check``); email about anything else (another area's Case
    Review, another person's victim page and its sign-in links, a staff user's notices) is left out."""
    addresses = sorted({p.email.lower() for p in access.identities if p.email})
    if not addresses:
        return []
    rows = [
        row
        for row in db.session.scalars(
            sa.select(OutboxEmail)
            .where(sa.func.lower(OutboxEmail.to_address).in_(addresses), OutboxEmail.body_text != REMOVED_EMAIL)
            .order_by(OutboxEmail.created_at, OutboxEmail.id)
        )
        if (row.related_type, row.related_id) not in access.withheld_records
    ]
    if not access.answers_for_everyone:
        readable = _readable_related(access, rows)
        rows = [row for row in rows if (row.related_type, row.related_id) in readable]
    return [
        {
            "queued_at": row.created_at.isoformat() if row.created_at else None,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "subject": access.redact(row.subject),
            "body": access.redact(row.body_text),
        }
        for row in rows
    ]


def _readable_related(access: Any, rows: list[OutboxEmail]) -> set[tuple[Any, Any]]:
    """The records these emails are about whose email ``access``'s exporter may read: asked of the
    domain each record's table belongs to (``exported_email_check``), one call a table."""
    from casework.core.registry import registry

    by_table: dict[str, set[int]] = {}
    for row in rows:
        if row.related_type is not None and row.related_id is not None:
            by_table.setdefault(row.related_type, set()).add(row.related_id)
    readable: set[tuple[Any, Any]] = set()
    checks = registry().exported_email_checks
    for table, ids in by_table.items():
        if (check := checks.get(table)) is not None:
            readable |= {(table, record_id) for record_id in check(access, ids)}
    return readable
