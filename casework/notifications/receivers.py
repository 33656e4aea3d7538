"""The outbox's part in the lifecycle of a person's records (``casework.core.lifecycle``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from casework.core.lifecycle import FormerIdentity, RetentionReport
from casework.core.time import now
from casework.notifications import services

#: A message sent or given up (withdrawn, refused for good) is a queue's leftovers, not a record
#: (letters are kept on their application): its copy is erased this long after it went or was given up.
KEEP_SENT_EMAIL = timedelta(days=90)


def on_retention_run(_app: Any, *, on: date, report: RetentionReport, **_: Any) -> None:
    services.erase_old_emails(now() - KEEP_SENT_EMAIL, report)


def on_person_anonymised(_app: Any, *, former: FormerIdentity, report: RetentionReport, **_: Any) -> None:
    """The copies of messages sent to the person: email to their address, text messages to their number."""
    if former.email:
        services.erase_emails_to(former.email, report)
    if former.phone:
        services.erase_texts_to(former.phone, report)


def on_records_anonymised(_app: Any, *, report: RetentionReport, **_: Any) -> None:
    """Emails about any record anonymised in this run (letters, reminders, notices)."""
    services.erase_emails_about(report.items, report)


def on_person_exported(_app: Any, *, person: Any, export: Any, **_: Any) -> dict[str, Any]:
    return {"emails": services.export_section(person, export)}
