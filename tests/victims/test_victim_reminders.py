"""Reminders to victims of their next step: by text message through GOV.UK Notify when they asked for
text messages and Notify is configured, by email otherwise (or written to the mail folder); queued in
the transaction and sent after the commit, once; never for a closed case or an ended victim page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework.cases.models import CaseStatus
from casework.core.time import today
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.victims import reminders, tasks
from casework.victims.models import ContactBy, VictimAccess
from tests.support.notify import EMAIL_TEMPLATE, SMS_TEMPLATE

EMAIL = "vera@example.net"
MOBILE = "07700 900123"
STEP = "We will visit you at home"


def _switch_on(client, world, *, when=None, **fields):
    when = when or today() + timedelta(days=1)
    data = {
        "email": EMAIL,
        "mobile": MOBILE,
        "contact_checked": "y",
        "next_step": STEP,
        "next_step_on-day": str(when.day),
        "next_step_on-month": str(when.month),
        "next_step_on-year": str(when.year),
        **fields,
    }
    answer = client.post(f"/cases/{world.case.id}/victim-page/{world.victim.id}", data=data)
    assert answer.status_code == 302, answer.text
    db.session.expire_all()
    return db.session.scalar(sa.select(VictimAccess))


def _reminder_requests(notify):
    return [r for r in notify.requests if "A reminder about your" in r["body"]["personalisation"]["body"]]


def _reminder_rows():
    db.session.expire_all()
    return db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.idempotency_key.like("victim-next-step:%")).order_by(OutboxEmail.id)
    ).all()


def test_a_victim_who_asked_for_texts_gets_the_reminder_by_notify_text_once(page_client, world, notify):
    access = _switch_on(page_client(world.officer), world, contact_by="text")
    assert access.contact_by is ContactBy.text
    assert access.next_step_case_id == world.case.id
    assert tasks.remind_next_steps.run() == 1
    [request] = _reminder_requests(notify)
    assert notify.problems == []
    assert request["path"] == "/v2/notifications/sms"
    assert request["body"]["template_id"] == SMS_TEMPLATE
    assert request["body"]["phone_number"] == "07700900123"
    body = request["body"]["personalisation"]["body"]
    assert set(request["body"]["personalisation"]) == {"body"}
    assert STEP in body
    assert "/my-case/sign-in" in body
    assert [row.sent_at is not None for row in _reminder_rows()] == [True]
    # The task runs again (another worker, the next hour): nothing more is queued or sent.
    assert tasks.remind_next_steps.run() == 0
    assert len(_reminder_requests(notify)) == 1


def test_a_victim_who_asked_for_email_gets_it_by_notify_email(page_client, world, notify):
    _switch_on(page_client(world.officer), world, contact_by="email")
    assert tasks.remind_next_steps.run() == 1
    [request] = _reminder_requests(notify)
    assert request["path"] == "/v2/notifications/email"
    assert request["body"]["template_id"] == EMAIL_TEMPLATE
    assert request["body"]["email_address"] == EMAIL
    assert request["body"]["personalisation"]["subject"] == "A reminder about your case"
    assert STEP in request["body"]["personalisation"]["body"]


def test_without_notify_a_text_preference_falls_back_to_email(page_client, world):
    _switch_on(page_client(world.officer), world, contact_by="text")
    assert tasks.remind_next_steps.run() == 1
    [row] = _reminder_rows()
    assert (row.channel, row.to_address, row.sent_at is not None) == ("email", EMAIL, True)


def test_without_notify_or_email_a_text_is_written_to_the_mail_folder(app, page_client, world):
    _switch_on(page_client(world.officer), world, email="", contact_by="text")
    assert tasks.remind_next_steps.run() == 1
    [row] = _reminder_rows()
    assert (row.channel, row.to_address) == ("text", "07700900123")
    written = list(Path(app.config["MAIL_FILE_PATH"]).glob("text-*.txt"))
    assert any(STEP in path.read_text() for path in written)


def test_a_new_date_for_the_next_step_is_reminded_again(page_client, world, notify):
    client = page_client(world.officer)
    access = _switch_on(client, world, contact_by="text")
    tasks.remind_next_steps.run()
    when = today()
    answer = client.post(
        f"/cases/{world.case.id}/victim-page/{world.victim.id}",
        data={
            "next_step": "We will call you",
            "next_step_on-day": str(when.day),
            "next_step_on-month": str(when.month),
            "next_step_on-year": str(when.year),
        },
    )
    assert answer.status_code == 302
    assert tasks.remind_next_steps.run() == 1
    assert [r.idempotency_key.rsplit(":", 1)[1] for r in _reminder_rows()] == [
        (today() + timedelta(days=1)).isoformat(),
        today().isoformat(),
    ]
    assert len(_reminder_requests(notify)) == 2
    assert access.id


@pytest.mark.parametrize("days", [2, -1])
def test_no_reminder_for_a_step_not_yet_near_or_already_past(page_client, world, notify, days):
    _switch_on(page_client(world.officer), world, when=today() + timedelta(days=days), contact_by="text")
    assert tasks.remind_next_steps.run() == 0
    assert _reminder_requests(notify) == []
    assert _reminder_rows() == []


def test_no_reminder_for_a_closed_case(page_client, world, notify):
    _switch_on(page_client(world.officer), world, contact_by="text")
    world.case.status = CaseStatus.closed
    db.session.commit()
    assert tasks.remind_next_steps.run() == 0
    assert _reminder_requests(notify) == []
    assert _reminder_rows() == []


def test_no_reminder_once_the_victim_page_is_switched_off_or_stopped(page_client, world, notify):
    client = page_client(world.officer)
    _switch_on(client, world, contact_by="text")
    answer = client.post(f"/cases/{world.case.id}/victim-page/{world.victim.id}/off", data={})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(VictimAccess)).ended_at is not None
    assert tasks.remind_next_steps.run() == 0
    assert _reminder_requests(notify) == []
    assert _reminder_rows() == []


def test_text_preference_without_a_mobile_is_refused_and_writes_nothing(page_client, world):
    answer = page_client(world.officer).post(
        f"/cases/{world.case.id}/victim-page/{world.victim.id}",
        data={"email": EMAIL, "contact_checked": "y", "contact_by": "text"},
    )
    assert answer.status_code == 422
    assert "Enter a UK mobile number to send them text messages" in answer.text
    assert db.session.scalar(sa.select(sa.func.count(VictimAccess.id))) == 0


def test_the_channel_follows_the_preference_and_what_is_there(app, world):
    access = VictimAccess(email=EMAIL, mobile="07700900123", contact_by=ContactBy.text)
    assert reminders.channel_for(access) == "email"  # no Notify: no text message while there is email
    access.email = None
    assert reminders.channel_for(access) == "text"
    access.mobile = None
    assert reminders.channel_for(access) is None
