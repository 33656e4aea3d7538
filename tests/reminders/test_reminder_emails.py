"""The emails as a real SMTP server receives them: recipients, subject, plain text and HTML parts."""

from __future__ import annotations

from datetime import date

from casework.reminders import tasks

DUE = date(2026, 4, 7)


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_reminder_email(make, deadline, at, mail_to_smtp):
    owner = make.user("officer", email="owner@example.org", name="Olu Officer")
    row = deadline(owner, DUE, title="Acknowledge application BOL-CT-2026-0003 & reply", link="/triggers/3")
    with at(2026, 4, 1, 6, 0):
        tasks.sweep.run()
    [message] = mail_to_smtp.wait_for(1)
    assert mail_to_smtp.envelopes[0][1] == ["owner@example.org"]
    assert message["To"] == "owner@example.org"
    assert message["Subject"] == "Due by 7 April 2026: Deadline"  # its kind, never its title
    assert message["Message-ID"].endswith("@casework>")
    text, html = parts(message)
    assert text.splitlines()[:5] == [
        "Dear Olu Officer,",
        "",
        "This is due by 7 April 2026:",
        "",
        "Acknowledge application BOL-CT-2026-0003 & reply",
    ]
    assert "Do the work here: http://127.0.0.1:5000/triggers/3" in text
    assert '<a href="http://127.0.0.1:5000/triggers/3"' in html
    assert "Acknowledge application BOL-CT-2026-0003 &amp; reply" in html  # escaped in HTML only
    assert row.id


def test_escalation_email(make, deadline, at, mail_to_smtp):
    manager = make.user("manager", email="boss@example.org", name="Lee Manager")
    owner = make.user("officer", manager=manager, name="Olu Officer")
    owner.is_digest_only = True  # escalations still go to the manager
    deadline(owner, DUE, title="Decide the threshold for BOL-CT-2026-0003", link="/triggers/3")
    with at(2026, 4, 8, 9, 0):
        tasks.sweep.run()
    [message] = mail_to_smtp.wait_for(1)
    assert mail_to_smtp.envelopes[0][1] == ["boss@example.org"]
    assert message["Subject"] == "Overdue: Deadline"
    text, html = parts(message)
    assert "This work is overdue. It was due by 7 April 2026:" in text
    assert "Assigned to: Olu Officer" in text
    assert "See it here: http://127.0.0.1:5000/triggers/3" in text
    assert "Assigned to: Olu Officer" in html


def test_digest_email(make, deadline, at, mail_to_smtp):
    manager = make.user("manager", email="boss@example.org", name="Lee Manager")
    officer = make.user("officer", manager=manager, name="Olu Officer")
    deadline(officer, date(2026, 4, 8), title="Review the risk assessment", link="/cases/9")
    with at(2026, 4, 8, 6, 0):
        tasks.digest.run()
    [message] = mail_to_smtp.wait_for(1)
    assert message["Subject"] == "Work due and overdue: Wednesday 8 April 2026"
    text, html = parts(message)
    assert "Work due and overdue for you and your team on 8 April 2026." in text
    assert "Overdue (0)\n- Nothing." in text
    assert "Due today (1)\n- Review the risk assessment: due by 8 April 2026, Olu Officer\n" in text
    assert "  http://127.0.0.1:5000/cases/9" in text
    assert '<a href="http://127.0.0.1:5000/cases/9" style="color:#1d70b8;">Review the risk assessment</a>' in html
