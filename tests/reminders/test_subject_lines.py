"""An email's subject is read beyond its recipient: on a phone's lock screen, in every list of messages,
in a notification's preview. A deadline's title names people ("Tell Vera Victim of their right to a
Case Review", an action's "check on ... at 12 Quiet Road"), so the subject of a reminder or an
escalation never quotes it: it says what kind of work is due and the reference of its case (or Case
Review application), and the title is in the body, for the recipient who opens it
(``casework.reminders.titles.DeadlineTitles.summary``)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders import tasks

DUE = date(2026, 4, 9)
#: What the titles quote that must not be on a lock screen: people's names and an address.
NAMED = ("Vera Victim", "Adam Adult", "Quiet Road")


def _kinds(world, deadline) -> None:
    case = world.case
    link = f"/cases/{case.id}"
    deadline(
        world.officer,
        DUE,
        title=f"Tell Vera Victim of their right to a Case Review (Community Trigger) ({case.reference})",
        kind="threshold_watch.tell_victim",
        case_id=case.id,
        link=link,
    )
    deadline(
        world.officer,
        DUE,
        title=f"Explain the Case Review (Community Trigger) to Vera Victim ({case.reference})",
        kind="case.explain_case_review",
        case_id=case.id,
        link=link,
    )
    deadline(
        world.officer,
        DUE,
        title=f"Action due on case {case.reference}: check on Adam Adult at 12 Quiet Road",
        kind="action.due",
        case_id=case.id,
        link=link,
    )
    deadline(
        world.officer,
        DUE,
        title=f"Compliance period ends: Community Protection Warning for Adam Adult ({case.reference})",
        kind="intervention.compliance_ends",
        case_id=case.id,
        link=link,
    )


def test_no_reminder_or_escalation_subject_names_a_person(world, deadline, at) -> None:
    _kinds(world, deadline)
    with at(2026, 4, 7, 6, 30):  # the reminders, two working days before
        tasks.sweep.run()
    with at(2026, 4, 10, 6, 0):  # the digest, then the escalations to the officer's manager
        tasks.digest.run()
        tasks.sweep.run()
    emails = list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))
    sent = {(email.idempotency_key.split(":")[0], email.to_address) for email in emails}
    assert sent >= {
        ("reminder", world.officer.email),
        ("escalation", world.manager.email),
        ("digest", world.manager.email),
    }
    named = [(email.idempotency_key, name) for email in emails for name in NAMED if name in email.subject]
    assert named == []
    for email in emails:
        if email.idempotency_key.startswith(("reminder:", "escalation:")):
            # Which case it is, for the recipient who may see it; the title itself in the body.
            assert "on case BOL-2026-0001" in email.subject, email.subject
            assert any(name in email.body_text for name in NAMED), email.body_text
    subjects = sorted({email.subject for email in emails if email.idempotency_key.startswith("reminder:")})
    assert subjects == [
        "Due by 9 April 2026: Action due on case BOL-2026-0001",
        "Due by 9 April 2026: Case deadline on case BOL-2026-0001",
        "Due by 9 April 2026: Intervention date on case BOL-2026-0001",
        "Due by 9 April 2026: Tell a victim of their right to a Case Review on case BOL-2026-0001",
    ]
