"""The reminders' part in the lifecycle of a case (``casework.core.lifecycle``).

The sweep already skips a closed case's deadlines through their ``case_id`` (``live_clause``); these
receivers keep the rows themselves true to the case, so lists and dashboards agree with the sweep.
"""

from __future__ import annotations

from typing import Any

from casework.core.lifecycle import CaseHandover
from casework.reminders import services


def on_case_closed(_app: Any, *, case: Any, handover: CaseHandover, **_: Any) -> None:
    """Statutory deadlines are handed over to a named owner; every other one of the case is cancelled
    (domains that hand over ordinary work, such as actions, re-open their own rows)."""
    services.close_case_deadlines(case.id, handover)


def on_case_reopened(_app: Any, *, case: Any, **_: Any) -> None:
    services.reopen_case_deadlines(case.id)


def on_case_anonymised(_app: Any, *, case: Any, report: Any, **_: Any) -> None:
    """Deadline titles name people and quote actions: anonymised with the case."""
    services.anonymise_deadlines(report, case_id=case.id)


def on_records_anonymised(_app: Any, *, report: Any, **_: Any) -> None:
    """Titles quoting the name of a person the run anonymised stop naming them (their records and
    cases may live on): every person of the run at once, so a first run over thousands of people reads
    the titles once, not once per person."""
    if report.formers:
        services.forget_names_in_titles(report.formers)


def on_sight_narrowed(_app: Any, *, case_ids: Any = None, user_ids: Any = None, **_: Any) -> dict[str, int]:
    """Deadlines held by someone who may no longer see their case go back to the case's owner."""
    return services.return_unseen_work(case_ids, user_ids)


def on_signed_out_everywhere(_app: Any, *, user: Any, actor: Any = None, **_: Any) -> bool:
    """The user's private calendar link stops working, as their sessions and API tokens do: a link
    made before a password reset, a change of roles or agency, or the account's closing, must not
    open their deadlines after it. They make a new one when they want it (audited when one was on)."""
    from casework.audit.models import AuditAction
    from casework.audit.services import record
    from casework.reminders import calendar

    revoked = calendar.revoke_link(user)
    if revoked:
        record(actor, AuditAction.update, user, "Turned off their private calendar link: signed out everywhere")
    return revoked
