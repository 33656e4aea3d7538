"""The sweep: reminders before, escalations after, each once; nothing for closed work; digests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders import services, tasks
from casework.reminders.models import Deadline

DUE = date(2026, 4, 7)  # Tuesday after Easter Monday 2026
#: Two working days before 7 April 2026 is Wednesday 1 April (Good Friday and Easter Monday skipped),
#: at 07:00 London (BST), which is 06:00 UTC.
REMIND_AT = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)
#: The end of 7 April in London.
DUE_AT = datetime(2026, 4, 7, 23, 0, tzinfo=UTC)


def outbox(prefix: str = "") -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxEmail).where(OutboxEmail.idempotency_key.startswith(prefix)).order_by(OutboxEmail.id)
        )
    )


def test_reminder_time_is_two_working_days_before_at_seven_london(make, deadline):
    owner = make.user("officer")
    row = deadline(owner, DUE)
    assert row.due_at == DUE_AT
    assert row.remind_at == REMIND_AT


def test_area_setting_moves_the_reminder(make, deadline):
    from casework.accounts.services import update_area_settings

    owner = make.user("officer")
    area = owner.agency.areas[0]
    update_area_settings(None, area, {"reminder_lead_working_days": 0}, date(2026, 1, 1))
    db.session.commit()
    with_setting = deadline(owner, DUE, area_id=area.id)
    assert with_setting.remind_at == datetime(2026, 4, 7, 6, 0, tzinfo=UTC)  # 07:00 on the day itself


def test_reminder_is_sent_once_when_its_time_comes(make, deadline, at):
    owner = make.user("officer", email="owner@example.org")
    row = deadline(owner, DUE)
    with at(2026, 4, 1, 5, 59, 59):
        assert tasks.sweep.run()["reminders_queued"] == 0
    assert outbox("reminder:") == []
    with at(2026, 4, 1, 6, 0):
        assert tasks.sweep.run()["reminders_queued"] == 1
    with at(2026, 4, 1, 6, 5):
        assert tasks.sweep.run()["reminders_queued"] == 0
    [email] = outbox("reminder:")
    assert email.to_address == "owner@example.org"
    # One reminder per owner: a deadline handed to someone else is reminded to them too.
    assert email.idempotency_key == f"reminder:{row.id}:{DUE_AT.isoformat()}:{owner.id}"
    assert email.sent_at is not None  # sent by the (eager) send task after the sweep committed
    assert db.session.get(Deadline, row.id).reminder_sent_at == datetime(2026, 4, 1, 6, 0, tzinfo=UTC)


def test_digest_only_owner_gets_no_individual_reminder(make, deadline, at):
    owner = make.user("officer")
    owner.is_digest_only = True
    db.session.commit()
    row = deadline(owner, DUE)
    with at(2026, 4, 1, 6, 0):
        result = tasks.sweep.run()
    assert result == {"reminded": 1, "reminders_queued": 0, "escalated": 0, "escalations_queued": 0}
    assert outbox("reminder:") == []
    assert db.session.get(Deadline, row.id).reminder_sent_at is not None


def test_nothing_is_sent_for_done_or_cancelled_work(make, deadline, at):
    manager = make.user("manager")
    owner = make.user("officer", manager=manager)
    done = deadline(owner, DUE, subject_id=501)
    cancelled = deadline(owner, DUE, subject_id=502)
    services.close_deadline("test_subjects", done.subject_id)
    services.close_deadline("test_subjects", cancelled.subject_id, cancelled=True)
    db.session.commit()
    with at(2026, 4, 20, 9, 0):
        assert tasks.sweep.run() == {"reminded": 0, "reminders_queued": 0, "escalated": 0, "escalations_queued": 0}
    assert outbox() == []


def test_nothing_is_sent_for_a_closed_cases_deadline_left_open(make, deadline, at):
    """Every deadline names its case; the sweep joins it, so a closed case's work is never reminded
    or escalated even when its row was left open (no registry a domain could forget to fill)."""
    from casework.cases.models import Case, CaseStatus

    manager = make.user("manager")
    owner = make.user("officer", manager=manager)
    cases = []
    for n, status in enumerate((CaseStatus.closed, CaseStatus.open), start=1):
        case = Case(
            reference=f"SWP-2026-{n:04d}",
            area_id=owner.agency.areas[0].id,
            year=2026,
            sequence=n,
            category="personal",
            summary="Noise",
            lead_agency_id=owner.agency_id,
            status=status,
        )
        db.session.add(case)
        cases.append(case)
    db.session.commit()
    closed = deadline(owner, DUE, subject_type="things", subject_id=1, case_id=cases[0].id)
    live = deadline(owner, DUE, subject_type="things", subject_id=2, case_id=cases[1].id)
    with at(2026, 4, 20, 9, 0):
        tasks.sweep.run()
    assert {e.related_id for e in outbox()} == {live.id}
    assert db.session.get(Deadline, closed.id).reminder_sent_at is None


def test_overdue_work_is_escalated_to_the_manager_once(make, deadline, at):
    manager = make.user("manager", email="boss@example.org")
    owner = make.user("officer", manager=manager)
    row = deadline(owner, DUE)
    with at(2026, 4, 7, 22, 59, 59):  # the last second of 7 April in London: not yet overdue
        assert tasks.sweep.run()["escalations_queued"] == 0
    with at(2026, 4, 7, 23, 0):
        assert tasks.sweep.run()["escalations_queued"] == 1
    with at(2026, 4, 8, 9, 0):
        assert tasks.sweep.run()["escalations_queued"] == 0
    [email] = outbox("escalation:")
    assert email.to_address == "boss@example.org"
    assert email.subject == "Overdue: Deadline"  # its kind, never its title (which names people)
    assert row.title in email.body_text
    assert email.idempotency_key == f"escalation:{row.id}:{DUE_AT.isoformat()}:{manager.id}"


def test_escalation_without_a_manager_goes_to_the_agencys_managers(make, deadline, at):
    agency = make.agency(areas=[make.area()])
    manager = make.user("manager", agency=agency, email="agency-manager@example.org")
    make.user("manager", email="other-agency@example.org")  # another agency: not told
    owner = make.user("officer", agency=agency)
    deadline(owner, DUE)
    with at(2026, 4, 8, 9, 0):
        tasks.sweep.run()
    assert [e.to_address for e in outbox("escalation:")] == [manager.email]


def test_escalation_of_unowned_work_goes_to_the_areas_managers(make, deadline, at):
    area = make.area()
    agency = make.agency(areas=[area])
    make.user("manager", agency=agency, email="area-manager@example.org")
    deadline(None, DUE, area_id=area.id)
    with at(2026, 4, 8, 9, 0):
        result = tasks.sweep.run()
    assert result["reminders_queued"] == 0  # nobody to remind
    assert [e.to_address for e in outbox("escalation:")] == ["area-manager@example.org"]


def test_moving_a_deadline_arms_its_reminder_again(make, deadline, at):
    owner = make.user("officer")
    row = deadline(owner, DUE, subject_id=900)
    with at(2026, 4, 1, 6, 0):
        tasks.sweep.run()
    moved = deadline(owner, date(2026, 4, 21), subject_id=900)
    assert moved.id == row.id
    assert moved.reminder_sent_at is None
    with at(2026, 4, 17, 6, 0):
        tasks.sweep.run()
    assert len(outbox("reminder:")) == 2


def test_manager_gets_one_digest_a_day_of_their_teams_work(make, deadline, at):
    manager = make.user("manager", email="lead@example.org", name="Lee Manager")
    officer = make.user("officer", manager=manager, name="Olu Officer")
    outsider = make.user("officer", name="Not In Team")
    deadline(officer, date(2026, 4, 1), title="Overdue thing")
    deadline(officer, date(2026, 4, 8), title="Due today thing")
    deadline(manager, date(2026, 4, 14), title="Due this week thing")
    deadline(officer, date(2026, 4, 15), title="Next week thing")
    deadline(outsider, date(2026, 4, 8), title="Someone else's thing")
    with at(2026, 4, 8, 6, 0):
        assert tasks.digest.run() == 1
        assert tasks.digest.run() == 0  # beat ran it twice: still one email
    [email] = outbox("digest:")
    assert email.to_address == "lead@example.org"
    assert email.idempotency_key == f"digest:{manager.id}:2026-04-08"
    text = email.body_text
    assert "Overdue (1)\n- Overdue thing: due by 1 April 2026, Olu Officer" in text
    assert "Due today (1)\n- Due today thing: due by 8 April 2026, Olu Officer" in text
    assert "Due in the next 7 days (1)\n- Due this week thing: due by 14 April 2026, Lee Manager" in text
    assert "Next week thing" not in text
    assert "Someone else" not in text
    with at(2026, 4, 9, 6, 0):
        assert tasks.digest.run() == 1  # a new day, a new digest


def test_digest_only_user_gets_their_own_digest(make, deadline, at):
    officer = make.user("officer", email="quiet@example.org")
    officer.is_digest_only = True
    db.session.commit()
    deadline(officer, date(2026, 4, 8), title="My thing")
    with at(2026, 4, 8, 6, 0):
        assert tasks.digest.run() == 1
    [email] = outbox("digest:")
    assert email.to_address == "quiet@example.org"
    assert "and your team" not in email.body_text


def test_no_digest_when_nothing_is_due(make, at):
    make.user("manager")
    with at(2026, 4, 8, 6, 0):
        assert tasks.digest.run() == 0
    assert outbox("digest:") == []
