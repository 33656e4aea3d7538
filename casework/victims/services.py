"""The victim page: switching it on and off, signing in by emailed link or texted code, what the
victim sees, and their ASB diary. Never commits.

What a victim is shown is chosen here, field by field, from their own records only: the cases on
which they are the victim or a complainant, the Case Reviews linked to them, the letters sent to them.
Never the perpetrator's details, planned enforcement, internal notes or anyone else's data: nothing
here reads parties other than the victim, interventions, notes, actions or the case summary.

Which of their cases a victim page covers, and who may see and change it (``victim_case_ids``,
``may_change``). The page is the person's, but whoever types the email address or mobile number it
sends to decides who reads it: an officer must not be able to show, through it, a case they may not
see themselves. So:

- It is switched on from a case by the staff of the case's lead agency (``can_manage_case``), and
  stays that agency's page.
- It covers the person's cases (as victim or complainant) that agency's officers see, now: its own and
  those shared with it. A restricted case is covered only while the officer who switched it on is
  named on it (so one switched on from a restricted case covers it): a refuge move held by one agency
  never shows on a page the council switched on with the victim's old address, and the council's
  officer never learns, from the page, which agency and officer hold it. A case that later moves to
  another agency, or is restricted without that officer, leaves the page.
- It never widens by a merge of people records: the case parties and diary entries that another
  record brought to the person by a merge made while the page was on stay off it (``move_person``,
  ``_withheld_by_merges``) until an officer switches it on again, having checked with the victim; the
  merged record's page ends, and undoing the merge gives both pages back as they were.
- The victim sees, and may add diary entries to, the cases it covers, and nothing else; what happens
  next only when it was written on one of them and that case is open.
- It shows the Case Reviews linked to the cases it covers or made with its email address only when
  the officer who switched it on may read them with their applicant (``victim_applications``): the
  address may be someone else's, and the letters emailed there are shown with them.
- A member of staff sees its contact details and next step, changes the next step, or switches it off
  only when they could have switched it on themselves for every case it covers: staff of that agency
  who may see every one of those cases, working from one of them. A page that covers none any more
  may be switched off (its details unseen) by that agency's staff from any of the person's cases it
  leads. Anyone else who may change one of the person's cases is told it is on and that they cannot
  change it, nothing more.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template

from casework.accounts.models import Agency, User
from casework.audit.models import AuditAction
from casework.audit.services import record, record_change, snapshot
from casework.cases import services as case_services
from casework.cases.models import Case, CaseParty, CaseStatus, PartyRole, Person
from casework.cases.policies import (
    can_edit_case,
    can_manage_case,
    refuse_anonymised,
    visible_cases_clause,
    visible_cases_template,
)
from casework.community_triggers import public_progress
from casework.community_triggers.models import Letter, LetterRecipient, TriggerApplication, application_cases
from casework.core.db import add_unless_taken, rows_changed
from casework.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from casework.core.keyed import keyed_digest
from casework.core.links import external_url
from casework.core.time import london_day, now, today
from casework.documents import services as documents
from casework.extensions import db
from casework.notifications.services import SECRET_WITHHELD, mobile_number, queue_email, queue_text
from casework.victims.models import ContactBy, DiaryEntry, DiaryStatus, SignInKind, VictimAccess, VictimSignIn

#: The parts a person plays on a case that make it theirs to follow.
VICTIM_ROLES = (PartyRole.victim, PartyRole.complainant)
#: In a merge's record of the victim pages it moved (``move_person``): the kept person's page live at
#: the merge, which leaves out what the merge brought, and the merged person's page the merge ended.
KEPT_PAGES = "kept_pages"
ENDED_PAGES = "ended_pages"
MERGE_ENDED_REASON = "The person's records were merged"
#: Links or codes sent to one victim in an hour: more asks send nothing more (and say nothing different).
SENDS_PER_HOUR = 3
#: Wrong codes before a code is spent.
CODE_ATTEMPTS = 5
ACCESS_FIELDS = (
    "person_id",
    "email",
    "mobile",
    "contact_by",
    "contact_checked_on",
    "next_step",
    "next_step_on",
    "next_step_case_id",
    "agency_id",
)


def digest(secret: str) -> str:
    """What is kept of a link's token: a SHA-256 is enough, the token having 256 random bits."""
    return hashlib.sha256(secret.encode()).hexdigest()


#: Keys ``code_digest``'s HMAC to this one use of the secret key.
_CODE_PURPOSE = b"victim-sign-in-code "


def code_digest(access_id: int, code: str) -> str:
    """What is kept of a texted code: an HMAC keyed with the service's secret key, never a plain hash.
    A code has six digits, a million values: whoever read ``victim_sign_ins`` (a replica, a dump) could
    try them all against a plain SHA-256 at once and sign in while the code still works, and a
    password-hashing function (argon2) would only slow that to minutes on a few computers. Keyed, the
    table alone gives nothing: the key is not in the database. A change of the secret key ends the
    codes waiting at that moment (the victim asks for another)."""
    return keyed_digest(_CODE_PURPOSE, f"{access_id}:{code}".encode()).hexdigest()


def normalise_mobile(value: str | None) -> str | None:
    """A UK mobile number as 11 digits starting 07 (``+44 7700 900123`` is ``07700900123``), or None
    when it is not one: as the outbox addresses text messages (and finds them to erase)."""
    return mobile_number(value)


def normalise_email(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


# --- the officer's side ----------------------------------------------------------------------------


def victims_of(case: Case) -> list[Person]:
    """The people a victim page can be switched on for: the case's victims and complainants. Read from
    the case's parties, which the case page has already loaded with their people (no query of its own)."""
    people = {
        party.person.id: party.person
        for party in case.parties
        if party.role in VICTIM_ROLES and party.person.anonymised_at is None
    }
    return sorted(people.values(), key=lambda person: (person.name, person.id))


def victim_on_case(case: Case, person_id: int) -> Person:
    for person in victims_of(case):
        if person.id == person_id:
            return person
    raise NotFound("Person not found.")


def live_access(person_id: int) -> VictimAccess | None:
    return db.session.scalar(
        sa.select(VictimAccess).where(VictimAccess.person_id == person_id, VictimAccess.ended_at.is_(None))
    )


def _checked_contact(
    email: str | None,
    mobile: str | None,
    contact_checked: bool,
    contact_by: str | None,
    next_step: str | None = None,
    next_step_on: date | None = None,
) -> tuple[str | None, str | None, str | None, ContactBy]:
    """The contact details as stored, the next step, and how they want reminders; InvalidInput with
    every problem at once otherwise."""
    errors: dict[str, list[str]] = {}
    if not contact_checked:
        errors["contact_checked"] = ["Confirm that you have checked the contact details with them"]
    normal_email = normalise_email(email)
    if (email or "").strip() and normal_email is None:
        errors["email"] = ["Enter an email address in the correct format, like name@example.com"]
    normal_mobile = normalise_mobile(mobile)
    if (mobile or "").strip() and normal_mobile is None:
        errors["mobile"] = ["Enter a UK mobile number, like 07700 900 982"]
    if not (email or "").strip() and not (mobile or "").strip():
        errors["email"] = ["Enter an email address or a mobile number (or both)"]
    if contact_by not in (None, "", *ContactBy):
        errors["contact_by"] = ["Choose email or text message"]
    elif contact_by == ContactBy.text and not (mobile or "").strip():
        errors["mobile"] = ["Enter a UK mobile number to send them text messages"]
    elif contact_by == ContactBy.email and not (email or "").strip():
        errors["email"] = ["Enter an email address to send them emails"]
    next_step = (next_step or "").strip() or None
    if next_step_on is not None and next_step is None:
        errors["next_step"] = ["Enter what happens next, or leave the date blank"]
    if errors:
        raise InvalidInput(errors)
    chosen = ContactBy(contact_by) if contact_by else (ContactBy.email if normal_email else ContactBy.text)
    return normal_email, normal_mobile, next_step, chosen


def _welcome(access: VictimAccess) -> None:
    """Tell them how to sign in, by every channel they gave."""
    start = external_url("public.victims.sign_in")
    text = render_template("victims/welcome.txt", start=start)
    if access.email:
        queue_email(
            to=access.email,
            subject="You can now follow your case online",
            text=text,
            key=f"victim-welcome:{access.id}",
            related=("victim_accesses", access.id),
        )
    if access.mobile:
        queue_text(
            to=access.mobile, text=text, key=f"victim-welcome-text:{access.id}", related=("victim_accesses", access.id)
        )


ON_ALREADY = "The victim page is already switched on for them."
APPLICANT_ON_ALREADY = "The victim page is already switched on for the applicant."


def switch_on(
    actor: Any,
    case: Case,
    person: Person,
    *,
    email: str | None,
    mobile: str | None,
    contact_checked: bool,
    next_step: str | None = None,
    next_step_on: date | None = None,
    contact_by: str | None = None,
) -> VictimAccess:
    """Let ``person`` use the victim page, once the officer has checked their contact details with them,
    and tell them how to sign in. ``person`` must be a victim or complainant on ``case``: their page
    follows only such cases, so a page switched on from any other would show them nothing of it. Only
    the staff of the case's lead agency switch it on; the page covers the person's cases that agency
    sees (the module's docstring)."""
    refuse_anonymised(case)
    if not can_edit_case(actor, case):
        raise NotFound("Case not found.")
    if not can_manage_case(actor, case):
        raise Forbidden("Only the staff of the case's lead agency can switch on the victim page.")
    victim_on_case(case, person.id)
    normal_email, normal_mobile, next_step, chosen = _checked_contact(
        email, mobile, contact_checked, contact_by, next_step, next_step_on
    )
    if live_access(person.id) is not None:
        raise Conflict(ON_ALREADY)
    access = VictimAccess(
        person_id=person.id,
        email=normal_email,
        mobile=normal_mobile,
        contact_checked_on=today(),
        switched_on_by_id=actor.id,
        agency_id=case.lead_agency_id,
        next_step=next_step,
        next_step_on=next_step_on,
        next_step_case_id=case.id if next_step else None,
        contact_by=chosen,
    )
    # Switched on by someone else at the same moment: one live page per person (a unique index).
    if not add_unless_taken(access):
        raise Conflict(ON_ALREADY)
    record_change(
        actor, access, None, snapshot(access, ACCESS_FIELDS), f"Victim page switched on (case {case.reference})"
    )
    _welcome(access)
    return access


def may_change(user: Any, access: VictimAccess, case: Case) -> bool:
    """Whether ``user``, working on ``case``, may see the page's contact details and next step, change
    it and switch it off: they could have switched it on themselves for every case it covers. So
    ``user`` belongs to the agency the page was switched on for, may manage ``case`` (staff of its lead
    agency), which is one the page covers, and may see every case the page covers (restricted ones
    included). Whoever may not is shown that it is on, nothing else (the module's docstring)."""
    if not _of_the_agency(user, access, case):
        return False
    covered = victim_case_ids(access)
    return case.id in covered and _sees_every_case(user, covered)


def contact_seen_by(user: Any, access: VictimAccess) -> bool:
    """Whether ``user`` may read the page's contact details and next step away from its cases (a
    subject access export): as ``may_change`` asks, less a case they work on, they are of the agency the
    page was switched on for and may see every case it covers. A page switched on by another agency, or
    from a restricted case they are not named on, holds an address or number they must not read (a
    victim's new one, in a refuge)."""
    if access.person_id is None or access.agency_id is None or access.agency_id != getattr(user, "agency_id", None):
        return False
    return _sees_every_case(user, victim_case_ids(access))


def _sees_every_case(user: Any, case_ids: list[int]) -> bool:
    hidden = db.session.scalar(
        sa.select(Case.id).where(Case.id.in_(case_ids), sa.not_(visible_cases_clause(user))).limit(1)
    )
    return hidden is None


def may_switch_off(user: Any, access: VictimAccess, case: Case) -> bool:
    """``may_change``, or the page covers no case any more (its details stay unseen) and ``user`` is
    staff of its agency managing ``case``: the person may have a page again."""
    if may_change(user, access, case):
        return True
    return _of_the_agency(user, access, case) and not victim_case_ids(access)


def _of_the_agency(user: Any, access: VictimAccess, case: Case) -> bool:
    if access.person_id is None or access.agency_id is None or access.agency_id != user.agency_id:
        return False
    return can_manage_case(user, case)


def _require(allowed: bool, actor: Any, case: Case) -> None:
    refuse_anonymised(case)
    if not can_edit_case(actor, case):
        raise NotFound("Case not found.")
    if not allowed:
        raise Forbidden("The victim page was switched on by someone who may see cases you may not see.")


def update_next_step(
    actor: Any, case: Case, access: VictimAccess, *, next_step: str | None, next_step_on: date | None
) -> None:
    _require(may_change(actor, access, case), actor, case)
    before = snapshot(access, ACCESS_FIELDS)
    access.next_step = (next_step or "").strip() or None
    access.next_step_on = next_step_on if access.next_step else None
    access.next_step_case_id = case.id if access.next_step else None
    db.session.flush()
    record_change(
        actor, access, before, snapshot(access, ACCESS_FIELDS), f"Victim page next step changed (case {case.reference})"
    )


def switch_off(actor: Any, case: Case, access: VictimAccess) -> None:
    _require(may_switch_off(actor, access, case), actor, case)
    _end(actor, access, "Switched off by an officer")


# --- the applicant for a Case Review with no person record ------------------------------------------


def live_applicant_access(application_id: int) -> VictimAccess | None:
    return db.session.scalar(
        sa.select(VictimAccess).where(VictimAccess.application_id == application_id, VictimAccess.ended_at.is_(None))
    )


def switch_on_for_applicant(
    actor: Any,
    application: TriggerApplication,
    *,
    email: str | None,
    mobile: str | None,
    contact_checked: bool,
    contact_by: str | None = None,
) -> VictimAccess:
    """Let the applicant for a Case Review follow that application (its stages, dates and letters, nothing
    else) once the officer has checked their contact details with them, and tell them how to sign in.
    For an applicant who is on the case records, switch it on from their case instead."""
    from casework.community_triggers.policies import can_manage

    if not can_manage(actor, application):
        raise NotFound("Application not found.")
    if application.anonymised_at is not None:
        raise RuleViolation("This application's details were removed under the retention policy.")
    normal_email, normal_mobile, _step, chosen = _checked_contact(email, mobile, contact_checked, contact_by)
    if live_applicant_access(application.id) is not None:
        raise Conflict(APPLICANT_ON_ALREADY)
    access = VictimAccess(
        application_id=application.id,
        email=normal_email,
        mobile=normal_mobile,
        contact_checked_on=today(),
        switched_on_by_id=actor.id,
        contact_by=chosen,
    )
    # Switched on by someone else at the same moment: one live page per application (a unique index).
    if not add_unless_taken(access):
        raise Conflict(APPLICANT_ON_ALREADY)
    record_change(
        actor,
        access,
        None,
        snapshot(access, (*ACCESS_FIELDS, "application_id")),
        f"Victim page switched on for the applicant (application {application.reference})",
    )
    _welcome(access)
    return access


def switch_off_for_applicant(actor: Any, application: TriggerApplication, access: VictimAccess) -> None:
    from casework.community_triggers.policies import can_manage

    if not can_manage(actor, application) or access.application_id != application.id:
        raise NotFound("Application not found.")
    _end(actor, access, "Switched off by an officer")


def anonymise_application_accesses(application_ids: Any, report: Any) -> None:
    """Applications anonymised by a retention run: their applicants' pages end, their contact details
    go, and their sign-in secrets with them."""
    from casework.core.retention import anonymise

    ids = sorted(int(i) for i in application_ids)
    if not ids:
        return
    rows = list(db.session.scalars(sa.select(VictimAccess).where(VictimAccess.application_id.in_(ids))))
    for row in rows:
        if row.ended_at is None:
            row.ended_at = now()
        anonymise(row)
        row.ended_reason = "Anonymised under the retention policy"
    db.session.execute(
        sa.delete(VictimSignIn)
        .where(VictimSignIn.access_id.in_([r.id for r in rows]))
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    report.add(VictimAccess.__tablename__, [r.id for r in rows])


def stop(access: VictimAccess) -> None:
    """The victim asked to stop using the page: it ends now, and every link and code with it."""
    _end(None, access, "The victim asked to stop using it")


def _end(actor: Any, access: VictimAccess, reason: str) -> None:
    if access.ended_at is not None:
        return
    access.ended_at = now()
    access.ended_by_id = getattr(actor, "id", None)
    access.ended_reason = reason
    db.session.execute(
        sa.update(VictimSignIn)
        .where(VictimSignIn.access_id == access.id, VictimSignIn.used_at.is_(None))
        .values(used_at=now())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    record(actor, AuditAction.update, access, f"Victim page ended: {reason}", {"ended_reason": reason})


# --- signing in ------------------------------------------------------------------------------------


def _sent_recently(access: VictimAccess) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(VictimSignIn.id)).where(
                VictimSignIn.access_id == access.id, VictimSignIn.created_at >= now() - timedelta(hours=1)
            )
        )
        or 0
    )


def _issue(access: VictimAccess, kind: SignInKind, secret_digest: str, lifetime: timedelta) -> VictimSignIn:
    sign_in = VictimSignIn(
        access_id=access.id, kind=kind, secret_digest=secret_digest, created_at=now(), expires_at=now() + lifetime
    )
    db.session.add(sign_in)
    db.session.flush()
    return sign_in


def link_minutes() -> int:
    """How long an emailed sign-in link works, once: ``CASEWORK_VICTIM_SIGN_IN_LINK_MINUTES`` (20)."""
    return int(current_app.config["CASEWORK"]["VICTIM_SIGN_IN_LINK_MINUTES"])


def code_minutes() -> int:
    """How long a texted sign-in code works, once: ``CASEWORK_VICTIM_SIGN_IN_CODE_MINUTES`` (10)."""
    return int(current_app.config["CASEWORK"]["VICTIM_SIGN_IN_CODE_MINUTES"])


def minutes_phrase(minutes: int) -> str:
    """ "20 minutes", "1 minute": how long a link or code works, in the messages and on the pages."""
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


#: What each kind of sign-in's digest is keyed with (``_reference``), so an address's and a number's differ.
_PURPOSES = {SignInKind.link: b"victim-email ", SignInKind.code: b"victim-mobile "}


def _reference(purpose: bytes, value: str) -> str:
    return keyed_digest(purpose, value.encode()).hexdigest()


def mobile_reference(mobile: str | None) -> str:
    """A keyed digest of a mobile number: what the session keeps between asking for a code and entering
    it, and what the task that sends the code is given, in place of the number (the cookie is signed,
    not encrypted, task messages are kept a week, and a phone number is personal data)."""
    return _reference(_PURPOSES[SignInKind.code], normalise_mobile(mobile) or (mobile or "").strip())


def email_reference(email: str | None) -> str:
    """A keyed digest of an email address, given to the task that sends the link in its place."""
    return _reference(_PURPOSES[SignInKind.link], normalise_email(email) or (email or "").strip().lower())


def reference_key_id() -> str:
    """Which key the references are made with (a digest of it, never the key): the stored ones made
    with another (the secret key was changed) are made again before a sign-in looks them up."""
    return hashlib.sha256(b"victim-reference-key " + str(current_app.secret_key).encode()).hexdigest()[:16]


def set_references(access: VictimAccess) -> None:
    """Write the access's lookup digests of its address and number with the current key."""
    access.email_reference = email_reference(access.email) if access.email else None
    access.mobile_reference = mobile_reference(access.mobile) if access.mobile else None
    access.reference_key = reference_key_id()


@sa.event.listens_for(VictimAccess, "before_insert")
@sa.event.listens_for(VictimAccess, "before_update")
def keep_references(_mapper: Any, _connection: Any, access: VictimAccess) -> None:
    """Every write of an access through the ORM keeps its lookup digests in step with its address and
    number."""
    set_references(access)


def refresh_references() -> int:
    """Make again the lookup digests of the accesses that have none, or were made with another key (the
    secret key was changed; rows from before the digests were kept, ended ones too, once): none, as a
    rule, found through the index on ``reference_key`` (three searches of it, not a scan). Returns how
    many were made again."""
    current = reference_key_id()
    stale_ids = sa.union(
        sa.select(VictimAccess.id).where(VictimAccess.reference_key.is_(None)),
        sa.select(VictimAccess.id).where(VictimAccess.reference_key < current),
        sa.select(VictimAccess.id).where(VictimAccess.reference_key > current),
    )
    stale = db.session.scalars(sa.select(VictimAccess).where(VictimAccess.id.in_(stale_ids))).all()
    for access in stale:
        set_references(access)
    if stale:
        db.session.flush()
    return len(stale)


def ask_for_link(email: str) -> None:
    """A sign-in link was asked for. The page answers the same whatever happens, and the request does
    the same work whether or not the address is a live victim page's (so its time cannot tell either):
    it only hands a task (``victims.send_sign_in``) a keyed digest of the address; the task looks it up
    and sends the link."""
    from casework.core.tasks_outbox import enqueue

    enqueue("victims.send_sign_in", SignInKind.link.value, email_reference(email), secrets.token_hex(8))


def ask_for_code(mobile: str) -> None:
    """A sign-in code was asked for: as ``ask_for_link``, for a mobile number."""
    from casework.core.tasks_outbox import enqueue

    enqueue("victims.send_sign_in", SignInKind.code.value, mobile_reference(mobile), secrets.token_hex(8))


def send_sign_in(kind: str, reference: str, asked: str | None = None) -> int:
    """Send a sign-in link (``kind`` "link": ``reference`` is an ``email_reference``) or code ("code": a
    ``mobile_reference``) to every live victim page with that address or number, at most
    ``SENDS_PER_HOUR`` an hour to each. ``asked`` names the request: sending for it again (its task
    message relayed twice) sends nothing more. Returns how many were sent."""
    from casework.notifications.models import OutboxEmail

    asked = asked or secrets.token_hex(8)
    sign_in_kind = SignInKind(kind)
    column = VictimAccess.email_reference if sign_in_kind is SignInKind.link else VictimAccess.mobile_reference
    refresh_references()
    # Looked up by the stored digest, through its index: no digest made for every live page.
    matching = list(
        db.session.scalars(
            sa.select(VictimAccess.id)
            .where(column == reference, VictimAccess.ended_at.is_(None))
            .order_by(VictimAccess.id)
        )
    )
    sent = 0
    for access_id in matching:
        # One sender at a time per page, so that the hourly cap holds when several sends run at once
        # (asked for together, or one message relayed twice): each counts what was sent, then sends,
        # and two that counted before either sent would both send. On PostgreSQL the page's row is
        # locked (FOR UPDATE) until this transaction ends, and a concurrent send waits here; its count
        # and its key check then see what this one sent. On SQLite a task's transaction begins with
        # BEGIN IMMEDIATE (``casework.core.db``): it holds the write lock already, and no lock is needed.
        access = db.session.get_one(VictimAccess, access_id, with_for_update=True, populate_existing=True)
        if access.ended_at is not None:  # ended while this one waited
            continue
        key = (
            f"victim-link:{asked}:{access_id}"
            if sign_in_kind is SignInKind.link
            else f"victim-code:{asked}:{access_id}"
        )
        if db.session.scalar(sa.select(OutboxEmail.id).where(OutboxEmail.idempotency_key == key)) is not None:
            continue
        if _sent_recently(access) >= SENDS_PER_HOUR:
            continue
        if sign_in_kind is SignInKind.link:
            _send_link(access, key)
        else:
            _send_code(access, key)
        sent += 1
    return sent


def send_link(email: str) -> None:
    """Email a sign-in link when ``email`` is a live victim page's address; nothing otherwise."""
    send_sign_in(SignInKind.link.value, email_reference(email))


def send_code(mobile: str) -> None:
    """Text a six-digit code when ``mobile`` is a live victim page's number; nothing otherwise."""
    send_sign_in(SignInKind.code.value, mobile_reference(mobile))


def _send_link(access: VictimAccess, key: str) -> None:
    assert access.email is not None
    token = secrets.token_urlsafe(32)
    minutes = link_minutes()
    _issue(access, SignInKind.link, digest(token), timedelta(minutes=minutes))
    queue_email(
        to=access.email,
        subject="Your link to sign in",
        text=render_template("victims/link_email.txt", link=SECRET_WITHHELD, lasts=minutes_phrase(minutes)),
        key=key,
        related=("victim_accesses", access.id),
        secret=external_url("public.victims.use_link", token=token),
    )


def _send_code(access: VictimAccess, key: str) -> None:
    assert access.mobile is not None
    code = f"{secrets.randbelow(1_000_000):06d}"
    minutes = code_minutes()
    _issue(access, SignInKind.code, code_digest(access.id, code), timedelta(minutes=minutes))
    queue_text(
        to=access.mobile,
        text=f"Your code to sign in to follow your case is {SECRET_WITHHELD}. It works once, for "
        f"{minutes_phrase(minutes)}. Do not share it.",
        key=key,
        related=("victim_accesses", access.id),
        secret=code,
    )


def _spend(sign_in_id: int) -> bool:
    """Spend a sign-in secret: True for the one request that does, False when it was used (or ran
    out of attempts, or expired) meanwhile. A conditional UPDATE, not a read and a write: two requests
    with the same link or code at the same moment cannot both sign in with it."""
    result = db.session.execute(
        sa.update(VictimSignIn)
        .where(VictimSignIn.id == sign_in_id, VictimSignIn.used_at.is_(None), VictimSignIn.expires_at > now())
        .values(used_at=now())
        .execution_options(synchronize_session=False)
    )
    return bool(rows_changed(result))


def _lock_accesses(access_ids: Any) -> dict[int, VictimAccess]:
    """The victim pages with these ids, locked (``FOR UPDATE``, in order of id) and read afresh, before
    any of their sign-in rows is written.

    A sign-in spends the page's other sign-in secrets (``_signed_in``), so it writes rows that another
    sign-in at the same moment (a second link, a code typed) may hold: each holding its own secret's
    row and waiting for the other's, PostgreSQL would end one of them with a deadlock. With the page
    locked first, the second waits for the first to finish and then finds its secret spent. On SQLite
    one writer runs at a time already and no lock is taken."""
    return {
        access.id: access
        for access in db.session.scalars(
            sa.select(VictimAccess)
            .where(VictimAccess.id.in_(sorted(set(access_ids))))
            .order_by(VictimAccess.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }


def _signed_in(sign_in: VictimSignIn) -> VictimAccess | None:
    """Sign in with ``sign_in`` (its page locked by ``_lock_accesses``): spend it, and every other
    unused link and code of the page with it, so that a link left in a shared inbox, or a code on a
    phone, signs nobody in afterwards. Sending a newer one ends no older one: an email that arrives
    late is the one people click."""
    if not _spend(sign_in.id):
        return None
    db.session.execute(
        sa.update(VictimSignIn)
        .where(
            VictimSignIn.access_id == sign_in.access_id,
            VictimSignIn.id != sign_in.id,
            VictimSignIn.used_at.is_(None),
        )
        .values(used_at=now())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(sign_in, ["used_at", "failed_attempts"])
    access = sign_in.access
    access.last_signed_in_at = now()
    db.session.flush()
    record(None, AuditAction.update, access, f"Victim signed in to the victim page ({sign_in.kind.value})")
    return access


def use_link(token: str) -> VictimAccess | None:
    """The access the link signs in to, spending it; None when it is unknown, used, expired or ended."""
    sign_in = db.session.scalar(
        sa.select(VictimSignIn).where(
            VictimSignIn.secret_digest == digest(token),
            VictimSignIn.kind == SignInKind.link,
            VictimSignIn.used_at.is_(None),
            VictimSignIn.expires_at > now(),
        )
    )
    if sign_in is None:
        return None
    access = _lock_accesses([sign_in.access_id]).get(sign_in.access_id)
    if access is None or access.ended_at is not None:
        return None
    return _signed_in(sign_in)


def use_code(reference: str, code: str) -> VictimAccess | None:
    """The access the texted code signs in to, spending it; None otherwise. ``reference`` is the
    number's ``mobile_reference``. A wrong code counts against every code waiting for that number."""
    if not isinstance(reference, str) or not reference:
        return None
    refresh_references()
    # The codes waiting for the number with this reference, found through the index of the digests.
    waiting = list(
        db.session.scalars(
            sa.select(VictimSignIn)
            .join(VictimAccess, VictimAccess.id == VictimSignIn.access_id)
            .where(
                VictimAccess.mobile_reference == reference,
                VictimAccess.ended_at.is_(None),
                VictimSignIn.kind == SignInKind.code,
                VictimSignIn.used_at.is_(None),
                VictimSignIn.expires_at > now(),
            )
        )
    )
    if not waiting:
        return None
    _lock_accesses(sign_in.access_id for sign_in in waiting)
    # Each guess first takes one of the attempts of every code waiting for the number, in the database
    # (one UPDATE, which locks the rows): guesses sent at the same moment cannot all read the same
    # count and each write it back plus one, so a code is guessed at most CODE_ATTEMPTS times however
    # many requests race. Only the codes this guess took an attempt of are compared with it.
    taken = db.session.execute(
        sa.update(VictimSignIn)
        .where(
            VictimSignIn.id.in_([sign_in.id for sign_in in waiting]),
            VictimSignIn.used_at.is_(None),
            VictimSignIn.failed_attempts < CODE_ATTEMPTS,
        )
        .values(failed_attempts=VictimSignIn.failed_attempts + 1)
        .returning(VictimSignIn.id, VictimSignIn.failed_attempts)
        .execution_options(synchronize_session=False)
    ).all()
    attempts: dict[int, int] = {row[0]: row[1] for row in taken}
    given = re.sub(r"\s", "", code or "")
    for sign_in in waiting:
        if sign_in.id in attempts and secrets.compare_digest(
            sign_in.secret_digest, code_digest(sign_in.access_id, given)
        ):
            access = _signed_in(sign_in)
            if access is not None:
                return access
    spent = [row_id for row_id, count in attempts.items() if count >= CODE_ATTEMPTS]
    if spent:
        db.session.execute(
            sa.update(VictimSignIn)
            .where(VictimSignIn.id.in_(spent), VictimSignIn.used_at.is_(None))
            .values(used_at=now())
            .execution_options(synchronize_session=False)
        )
    for sign_in in waiting:
        db.session.expire(sign_in, ["used_at", "failed_attempts"])
    db.session.flush()
    return None


def signed_in_access(access_id: Any, sign_outs: Any) -> VictimAccess | None:
    """The live access a victim's session names, or None: the access ended, or the victim signed out
    since the session began (``sign_outs`` is the access's count of sign-outs when it began)."""
    if not isinstance(access_id, int) or not isinstance(sign_outs, int):
        return None
    return db.session.scalar(
        sa.select(VictimAccess).where(
            VictimAccess.id == access_id, VictimAccess.ended_at.is_(None), VictimAccess.sign_outs == sign_outs
        )
    )


def sign_out(access_id: Any, sign_outs: Any) -> None:
    """The victim signed out: every session of the access that began before ends, on every device and
    in every copy of its cookie. Nothing when the session had ended already."""
    if not isinstance(access_id, int) or not isinstance(sign_outs, int):
        return
    result = db.session.execute(
        sa.update(VictimAccess)
        .where(VictimAccess.id == access_id, VictimAccess.sign_outs == sign_outs)
        .values(sign_outs=VictimAccess.sign_outs + 1)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result):
        record(None, AuditAction.update, ("victim_accesses", access_id), "Victim signed out of the victim page")


# --- what the victim sees ----------------------------------------------------------------------------


@dataclass
class VictimCase:
    id: int
    reference: str
    status: str
    opened_on: date
    officer_name: str | None
    officer_email: str | None
    agency_name: str | None


@dataclass
class VictimApplication:
    id: int
    reference: str
    steps: list[public_progress.Step]
    letters: list[Letter] = field(default_factory=list)


@dataclass
class VictimView:
    access: VictimAccess
    cases: list[VictimCase]
    applications: list[VictimApplication]
    diary: list[DiaryEntry]
    #: What happens next, when it was written on a case the page covers.
    next_step: str | None = None
    next_step_on: date | None = None


def _withheld_by_merges(access: VictimAccess) -> tuple[list[int], list[int]]:
    """The case parties and diary entries another person's record brought to this page's person by a
    merge made while this page was on (``move_person`` names the page in the merge), not undone: the
    officer checked with the victim what the page shows before those came, so the page leaves them out
    until an officer switches it on again (checking it with the victim). Undoing the merge takes them
    back to the other record anyway."""
    from casework.data_protection.models import PersonMerge

    parties: list[int] = []
    diary: list[int] = []
    for moved in db.session.scalars(
        sa.select(PersonMerge.moved).where(
            PersonMerge.kept_person_id == access.person_id, PersonMerge.undone_at.is_(None)
        )
    ):
        moved = moved or {}
        if access.id not in moved.get(VictimAccess.__tablename__, {}).get(KEPT_PAGES, []):
            continue
        parties.extend(int(i) for i in moved.get("case_parties", {}).get("ids", []))
        diary.extend(int(i) for i in moved.get(DiaryEntry.__tablename__, {}).get("ids", []))
    return parties, diary


def victim_case_ids(access: VictimAccess, withheld: list[int] | None = None) -> list[int]:
    """The cases the victim follows: those on which they are the victim or a complainant that the
    agency the page was switched on for sees (its own and those shared with it), a restricted one only
    while the officer who switched it on is named on it (the module's docstring); never one that came
    to the person by merging another record into theirs after the page was switched on
    (``_withheld_by_merges``; ``withheld``: its case parties, when the caller has them already). None
    for a Case Review applicant with no person record, or a page of no agency."""
    if access.person_id is None or access.agency_id is None:
        return []
    if withheld is None:
        withheld, _ = _withheld_by_merges(access)
    return list(
        db.session.scalars(
            sa.select(CaseParty.case_id)
            .join(Case, Case.id == CaseParty.case_id)
            .where(
                CaseParty.person_id == access.person_id,
                CaseParty.role.in_(VICTIM_ROLES),
                CaseParty.id.not_in(withheld),
                Case.anonymised_at.is_(None),
                # As the officers of that agency see cases, named on the restricted ones the officer
                # who switched it on is named on (none once their account is gone).
                visible_cases_template(True),
            )
            .distinct(),
            {"viewer_agency_id": access.agency_id, "viewer_id": access.switched_on_by_id},
        )
    )


def next_step_shown(access: VictimAccess, case_ids: list[int] | None = None) -> bool:
    """Whether the victim is shown (and reminded of) the page's next step: there is one, written on a
    case the page covers that is still open (a closed case shows as closed, with nothing next)."""
    if not access.next_step:
        return False
    if access.next_step_case_id is None:
        return True
    if access.next_step_case_id not in (victim_case_ids(access) if case_ids is None else case_ids):
        return False
    return db.session.scalar(sa.select(Case.status).where(Case.id == access.next_step_case_id)) == CaseStatus.open


def victim_case(access: VictimAccess, case_id: int) -> Case:
    if case_id not in victim_case_ids(access):
        raise NotFound("Case not found.")
    case = db.session.get(Case, case_id)
    assert case is not None
    return case


def victim_applications(access: VictimAccess, case_ids: list[int]) -> list[TriggerApplication]:
    """The Case Reviews the page shows, newest first: for the applicant with no person record, their
    application; otherwise those linked to the cases it covers (``case_ids``) and those whose applicant
    gave the page's email address, of the areas its agency covers and whose applicant is not withheld
    from the officer who switched it on (``community_triggers.applicants``: none linked to a restricted
    case they are not named on, nor naming a person hidden from them; none once their account is gone).
    The address and number were typed by that officer: the page shows, by them, nothing that the
    officer may not read themselves, not another applicant's reviews and the letters emailed to them."""
    from casework.community_triggers.applicants import withheld_template
    from casework.community_triggers.policies import visible_applications_template

    if access.application_id is not None:
        # Switched on from the application by those who run its review: that application only.
        where: sa.ColumnElement[bool] = TriggerApplication.id == access.application_id
        params: dict[str, Any] = {}
    else:
        linked = sa.select(application_cases.c.application_id).where(application_cases.c.case_id.in_(case_ids))
        found: list[sa.ColumnElement[bool]] = [TriggerApplication.id.in_(linked)]
        if access.email:
            found.append(sa.func.lower(TriggerApplication.applicant_email) == access.email)
        where = sa.and_(
            sa.or_(*found),
            sa.true() if access.switched_on_by_id is not None else sa.false(),
            visible_applications_template(),
            sa.not_(withheld_template()),
        )
        params = {"viewer_agency_id": access.agency_id, "viewer_id": access.switched_on_by_id}
    return list(
        db.session.scalars(
            sa.select(TriggerApplication)
            .where(where, TriggerApplication.anonymised_at.is_(None))
            .order_by(TriggerApplication.received_on.desc()),
            params,
        )
    )


def victim_view(access: VictimAccess) -> VictimView:
    """Everything the victim page shows, for this victim only, chosen field by field."""
    withheld_parties, withheld_diary = _withheld_by_merges(access)
    case_ids = victim_case_ids(access, withheld_parties)
    rows = db.session.execute(
        sa.select(Case.id, Case.reference, Case.status, Case.opened_on, User.name, User.email, Agency.name)
        .outerjoin(User, User.id == Case.owner_id)
        .outerjoin(Agency, Agency.id == Case.lead_agency_id)
        .where(Case.id.in_(case_ids))
        .order_by(Case.opened_on.desc(), Case.id)
    ).all()
    cases = [VictimCase(r[0], r[1], str(r[2]), r[3], r[4], r[5], r[6]) for r in rows]
    applications = victim_applications(access, case_ids)
    shown = []
    for application in applications:
        letters: list[Letter] = []
        if access.application_id is not None:
            letters = list(
                db.session.scalars(
                    sa.select(Letter)
                    .where(
                        Letter.application_id == application.id,
                        Letter.sent_on.is_not(None),
                        Letter.recipient == LetterRecipient.applicant,
                    )
                    .order_by(Letter.sent_on, Letter.id)
                )
            )
        elif access.email:
            letters = list(
                db.session.scalars(
                    sa.select(Letter)
                    .where(
                        Letter.application_id == application.id,
                        Letter.sent_on.is_not(None),
                        sa.func.lower(Letter.emailed_to) == access.email,
                    )
                    .order_by(Letter.sent_on, Letter.id)
                )
            )
        shown.append(
            VictimApplication(application.id, application.reference, public_progress.steps(application), letters)
        )
    diary = list(
        db.session.scalars(
            sa.select(DiaryEntry)
            .where(
                DiaryEntry.person_id == access.person_id,
                DiaryEntry.person_id.is_not(None),
                DiaryEntry.case_id.in_(case_ids),
                DiaryEntry.id.not_in(withheld_diary),
            )
            .order_by(DiaryEntry.happened_on.desc(), DiaryEntry.id.desc())
        )
    )
    view = VictimView(access, cases, shown, diary)
    if next_step_shown(access, case_ids):
        view.next_step, view.next_step_on = access.next_step, access.next_step_on
    return view


# --- the diary ------------------------------------------------------------------------------------


def add_diary_entry(
    access: VictimAccess,
    case: Case,
    *,
    happened_on: date,
    happened_at_time: str | None,
    location: str | None,
    what_happened: str,
    who_was_involved: str | None,
    how_it_affected: str | None,
    filename: str | None = None,
    content: bytes | None = None,
) -> DiaryEntry:
    """Keep a diary entry (self-reported: unverified until the officer accepts it), with its photo or
    recording as a document on the case, its location removed."""
    if case.id not in victim_case_ids(access):
        raise NotFound("Case not found.")
    if happened_on > today():
        raise InvalidInput({"happened_on": ["The date it happened must be today or in the past"]})
    document = None
    if content:
        document = documents.upload(
            None,
            case,
            kind="photo",
            filename=filename or "upload",
            content=content,
            description=f"Added by the victim with their diary entry of {happened_on:%-d %B %Y}",
        )
    entry = DiaryEntry(
        access_id=access.id,
        person_id=access.person_id,
        case_id=case.id,
        happened_on=happened_on,
        happened_at_time=(happened_at_time or "").strip() or None,
        location=(location or "").strip() or None,
        what_happened=what_happened.strip(),
        who_was_involved=(who_was_involved or "").strip() or None,
        how_it_affected=(how_it_affected or "").strip() or None,
        document_id=document.id if document else None,
    )
    db.session.add(entry)
    db.session.flush()
    record_change(
        None,
        entry,
        None,
        snapshot(entry, ("case_id", "happened_on", "document_id")),
        f"Diary entry added by the victim on case {case.reference}",
    )
    return entry


def get_entry(case: Case, entry_id: int) -> DiaryEntry:
    entry = db.session.scalar(sa.select(DiaryEntry).where(DiaryEntry.id == entry_id, DiaryEntry.case_id == case.id))
    if entry is None:
        raise NotFound("Diary entry not found.")
    return entry


def accept_entry(actor: Any, case: Case, entry: DiaryEntry) -> DiaryEntry:
    """Take a diary entry into the ledger: an incident on its day, reported by the victim to the
    officer's agency on the day they wrote it, through the same service as any staff complaint (so
    it counts towards the threshold like any complaint)."""
    refuse_anonymised(case)
    if not can_edit_case(actor, case):
        raise NotFound("Case not found.")
    # Accepted at the same moment by someone else (or a second click): the second waits here for the
    # first, then finds it on the ledger; otherwise both would record the incident and its complaint.
    # (On SQLite the write transaction holds the write lock already: BEGIN IMMEDIATE.)
    db.session.refresh(entry, with_for_update=True)
    if entry.status is DiaryStatus.accepted:
        raise RuleViolation("This diary entry is already on the ledger.")
    agency_code = db.session.scalar(sa.select(Agency.code).where(Agency.id == actor.agency_id))
    # The London day it was written: just after midnight in summer, the UTC day is the day before.
    reported_on = max(entry.happened_on, min(london_day(entry.created_at) if entry.created_at else today(), today()))
    description = entry.what_happened
    if entry.location:
        description += f"\nWhere: {entry.location}"
    incident = case_services.record_incident(
        actor,
        case,
        occurred_on=entry.happened_on,
        description=f"From the victim's diary: {description}"[:10000],
        complaints=[{"reported_on": reported_on, "agency_code": agency_code, "complainant_person_id": entry.person_id}],
    )
    if entry.document_id is not None and entry.document is not None and entry.document.incident_id is None:
        entry.document.incident_id = incident.id
    entry.status = DiaryStatus.accepted
    entry.incident_id = incident.id
    entry.accepted_by_id = actor.id
    entry.accepted_at = now()
    db.session.flush()
    record_change(
        actor,
        entry,
        {"status": DiaryStatus.unverified.value},
        {"status": entry.status.value, "incident_id": incident.id},
        f"Diary entry accepted into the ledger of case {case.reference}",
    )
    return entry


# --- lifecycle --------------------------------------------------------------------------------------


def anonymise_case_diary(case_id: int, report: Any) -> None:
    """The case's diary entries lose what they say, and a victim's page loses the next step written
    on the case. (A victim who lives on in another case loses the entries themselves, with every other
    link from the case to them: ``data_protection.retention.unlink_living_people``.)"""
    from casework.core.retention import anonymise

    rows = list(db.session.scalars(sa.select(DiaryEntry).where(DiaryEntry.case_id == case_id)))
    for row in rows:
        anonymise(row)
    # The next step an officer wrote on the case is about the case: it goes with it, from the page of
    # a victim who lives on in another case as from anyone's.
    accesses = list(db.session.scalars(sa.select(VictimAccess).where(VictimAccess.next_step_case_id == case_id)))
    for access in accesses:
        access.next_step = None
        access.next_step_on = None
        access.next_step_case_id = None
    db.session.flush()
    report.add(DiaryEntry.__tablename__, [r.id for r in rows])


def anonymise_person_access(person_id: int, report: Any) -> None:
    from casework.core.retention import anonymise

    rows = list(db.session.scalars(sa.select(VictimAccess).where(VictimAccess.person_id == person_id)))
    for row in rows:
        if row.ended_at is None:
            row.ended_at = now()
        anonymise(row)
        row.ended_reason = "Anonymised under the retention policy"
    # Spent or not, the sign-in secrets of an anonymised person are of no use to anyone.
    db.session.execute(
        sa.delete(VictimSignIn)
        .where(VictimSignIn.access_id.in_([r.id for r in rows]))
        .execution_options(synchronize_session=False)
    )
    diary = list(db.session.scalars(sa.select(DiaryEntry).where(DiaryEntry.person_id == person_id)))
    for entry in diary:
        anonymise(entry)
    db.session.flush()
    report.add(VictimAccess.__tablename__, [r.id for r in rows])
    report.add(DiaryEntry.__tablename__, [r.id for r in diary])


def exported_email_accesses(export: Any, ids: set[int]) -> set[int]:
    """The victim pages whose email (welcome, sign-in links, reminders) a subject access export may
    hold: a page of the exported person (or a record shown with them) whose contact details the
    exporter may read (``contact_seen_by``), or an applicant's page of a Case Review the export may
    hold. Another person's page, found by an address typed into this record, is not theirs: its
    sign-in links would open it."""
    identities = {record.id for record in export.identities}
    accesses = list(db.session.scalars(sa.select(VictimAccess).where(VictimAccess.id.in_(sorted(ids)))))
    applications = export.readable_applications({row.application_id for row in accesses if row.application_id})
    return {
        row.id
        for row in accesses
        if (row.person_id in identities and contact_seen_by(export.actor, row)) or row.application_id in applications
    }


def export_section(person: Any, export: Any) -> list[dict[str, Any]]:
    accesses = db.session.scalars(sa.select(VictimAccess).where(VictimAccess.person_id == person.id))
    entries = db.session.scalars(sa.select(DiaryEntry).where(DiaryEntry.person_id == person.id))
    found: list[dict[str, Any]] = []
    for access in accesses:
        # Its contact details and next step as its case page shows them: to the data protection officer,
        # or to staff of its agency who see every case it covers (``contact_seen_by``); to anyone else,
        # that it is on, nothing more.
        readable = export.answers_for_everyone or contact_seen_by(export.actor, access)
        found.append(
            {
                "victim_page": True,
                "email": access.email if readable else None,
                "mobile": access.mobile if readable else None,
                "switched_on": access.created_at.isoformat() if access.created_at else None,
                "ended": access.ended_at.isoformat() if access.ended_at else None,
                # The next step is about one case: shown only with it, and, like all free text, with
                # other people's details redacted.
                "next_step": export.redact(access.next_step)
                if readable and (access.next_step_case_id is None or export.shows(access.next_step_case_id))
                else None,
            }
        )
    for entry in entries:
        if not export.shows(entry.case_id):
            continue
        found.append(
            {
                "diary_entry_on": entry.happened_on.isoformat(),
                "time": entry.happened_at_time,
                "location": export.redact(entry.location),
                "what_happened": export.redact(entry.what_happened),
                "who_was_involved": export.redact(entry.who_was_involved),
                "how_it_affected": export.redact(entry.how_it_affected),
                "status": entry.status.value,
            }
        )
    return found


def move_person(merge: Any) -> None:
    """Move the merged person's diary and victim page history to the kept person. A live victim page
    of the merged person ends first: after a merge it would show another record's cases, which the
    officer has not checked with the victim. The kept person's live page stays as it was: the merge
    names it (``KEPT_PAGES``), and it leaves out what the merge brought (``victim_case_ids``) until an
    officer switches it on again. Undoing the merge (``restore_person``) gives the merged person their
    page back."""
    live = live_access(merge.merged_id)
    if live is not None:
        _end(None, live, MERGE_ENDED_REASON)
    kept = live_access(merge.kept_id)
    for model in (VictimAccess, DiaryEntry):
        ids = list(db.session.scalars(sa.select(model.id).where(model.person_id == merge.merged_id)))
        db.session.execute(
            sa.update(model)
            .where(model.id.in_(ids))
            .values(person_id=merge.kept_id)
            .execution_options(synchronize_session=False)
        )
        if model is VictimAccess:
            merge.record(
                model.__tablename__,
                ids,
                **{KEPT_PAGES: [kept.id] if kept is not None else [], ENDED_PAGES: [live.id] if live else []},
            )
        else:
            merge.record(model.__tablename__, ids)
    db.session.flush()


def restore_person(merge: Any) -> None:
    """Undo ``move_person``: the rows it moved go back, and the merged person's page it ended is on
    again, as it was (its old sign-in links and codes stay spent: the victim asks for a new one)."""
    for model in (VictimAccess, DiaryEntry):
        db.session.execute(
            sa.update(model)
            .where(model.id.in_(merge.ids(model.__tablename__)))
            .values(person_id=merge.merged_id)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    ended = merge.moved.get(VictimAccess.__tablename__, {}).get(ENDED_PAGES, [])
    if ended and live_access(merge.merged_id) is None:
        access = db.session.scalar(
            sa.select(VictimAccess).where(
                VictimAccess.id.in_(ended),
                VictimAccess.person_id == merge.merged_id,
                VictimAccess.ended_reason == MERGE_ENDED_REASON,
            )
        )
        if access is not None:
            access.ended_at = None
            access.ended_by_id = None
            access.ended_reason = None
            db.session.flush()
            record(
                None, AuditAction.update, access, "Victim page on again: the merge of the person's records was undone"
            )
