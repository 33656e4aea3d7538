"""Emails to an account holder about their own account: a change to how they prove who they are (their
password changed or reset, their second factor turned off, new recovery codes) and a sign-in locked
after repeated failures. Each says what happened and when, and what to do if it was not them.

Queued in the transaction (``notifications.services.queue_email``) and sent after the commit; these
functions never commit. Both ``accounts.services`` and ``accounts.second_factor`` send them, so they
live here, importing neither.
"""

from __future__ import annotations

from typing import Any

from casework.accounts.models import User
from casework.core.links import external_url
from casework.core.time import LONDON, now
from casework.notifications.services import queue_email

#: What to do when the change was not the account holder's.
IF_NOT_YOU = (
    "If it was not you, tell your Casework administrator at once. Someone else may know your password and "
    "have signed in as you: your administrator can reset your password, which signs everyone out of your account."
)


#: Every change to the password or the second factor signs the account out everywhere
#: (``accounts.services.end_sessions``).
SIGNED_OUT = (
    "Your account was signed out on every other computer and phone, and its API tokens and private calendar "
    "link stopped working: sign in again where you need to."
)


def tell_account_holder(
    user: User, key: str, *, subject: str, what: str, if_you: str, if_not_you: str = IF_NOT_YOU
) -> None:
    """Email the account holder about a change to how they sign in (their second factor, their password:
    queued in the transaction, sent after commit), with what to do if it was not them."""
    moment = now()
    local = moment.astimezone(LONDON)
    queue_email(
        to=user,
        subject=subject,
        text=(
            f"Dear {user.name},\n\n"
            f"On {local:%-d %B %Y} at {local:%H:%M}, {what}\n\n"
            f"{SIGNED_OUT}\n\n"
            f"{if_you}\n\n"
            f"{if_not_you}\n\n"
            f"Your account: {external_url('staff.accounts.account')}\n"
        ),
        key=key,
        related=("users", user.id),
    )


def password_changed(user: User) -> None:
    """The password of ``user``'s account was changed by its holder (or by an administrator, their own)."""
    tell_account_holder(
        user,
        f"password-changed:{user.id}:{now():%Y-%m-%dT%H:%M:%S.%f}",
        subject="Your Casework password was changed",
        what="the password of your Casework account was changed.",
        if_you="If that was you, there is nothing more to do.",
    )


def password_reset(user: User) -> None:
    """An administrator reset the password of ``user``'s account."""
    tell_account_holder(
        user,
        f"password-reset:{user.id}:{now():%Y-%m-%dT%H:%M:%S.%f}",
        subject="Your Casework password was reset",
        what="your Casework administrator reset the password of your account.",
        if_you="If you asked for this, sign in with the new password your administrator gives you.",
        if_not_you=(
            "If you did not ask for it, tell your manager or another Casework administrator at once: someone "
            "may be trying to take over your account."
        ),
    )


def second_factor_turned_off(user: User, *, by_someone_else: bool) -> None:
    """The second factor of ``user``'s account was turned off: by its holder, or removed by an
    administrator (``by_someone_else``)."""
    who = "your Casework administrator removed" if by_someone_else else "someone signed in to your account turned off"
    tell_account_holder(
        user,
        f"second-factor-off:{user.id}:{now():%Y-%m-%dT%H:%M:%S.%f}",
        subject="The second factor of your Casework account was turned off",
        what=f"{who} the second factor of your Casework account (the code from your authenticator app). "
        "You now sign in with your password only, and your recovery codes no longer work.",
        if_you="If that was you, you can set up a second factor again on your account page."
        if not by_someone_else
        else "If you asked for this (a lost or new phone), set up a second factor again on your account page.",
        if_not_you=IF_NOT_YOU
        if not by_someone_else
        else "If you did not ask for it, tell your Casework administrator and your manager at once.",
    )


def new_recovery_codes(user: User) -> None:
    """New recovery codes were made for ``user``'s account (the old ones no longer work)."""
    tell_account_holder(
        user,
        f"new-recovery-codes:{user.id}:{now():%Y-%m-%dT%H:%M:%S.%f}",
        subject="New recovery codes were made for your Casework account",
        what="new recovery codes were made for your Casework account. The recovery codes you had before "
        "no longer work.",
        if_you="If that was you, there is nothing more to do: keep the new codes somewhere safe.",
    )


def sign_in_locked(user: User, minutes: int) -> None:
    """Repeated failed attempts have locked ``user``'s account for up to ``minutes``."""
    moment = now()
    queue_email(
        to=user,
        subject="Your Casework account is locked for a while",
        text=(
            f"Dear {user.name},\n\n"
            "Someone has tried to sign in to your Casework account with the wrong password or code too many "
            f"times, so signing in to it is stopped for up to {minutes} minutes.\n\n"
            "If that was you, wait and then sign in again: "
            f"{external_url('staff.accounts.sign_in')}\n\n"
            "If it was not you, tell your Casework administrator. Someone may be trying to guess your "
            "password.\n"
        ),
        key=f"sign-in-locked:{user.id}:{moment:%Y-%m-%dT%H:%M:%S}",
        related=("users", user.id),
    )


def unsent_recipient_gone(message: Any) -> str | None:
    """Why a message written to a staff account (``OutboxEmail.to_user_id``) may no longer go to it
    (None: it may), asked just before it is sent, whatever it is about (``notifications.tasks``): a
    reminder, an escalation, the minutes of a meeting or an application's notice waits hours for a mail
    server that is down, and meanwhile the account may be closed (someone who has left, whose mailbox
    may be read by whoever has it now) or given another address (the old one is no longer theirs)."""
    from casework.extensions import db

    user = db.session.get(User, message.to_user_id)
    if user is None or not user.is_active:
        return "its recipient's account is closed"
    if user.email.strip().lower() != message.to_address.strip().lower():
        return "its recipient's account has another email address now"
    return None
