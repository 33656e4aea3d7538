"""The tell-the-victim task is owed to the victim, not to one case: when the case it is on closes and the
victim has another open case the watch entry concerns, it moves there (the first of the entry's cases,
newest complaint first, that is open: the pass's own rule), owned by that case's officer and due on its
day; a victim already told, or with no other open case, is left as the closure leaves them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from casework.cases.models import CaseParty, CaseStatus, PartyRole
from casework.core.lifecycle import CaseHandover
from casework.extensions import db
from casework.reminders import receivers as reminder_receivers
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.services import deadlines_query
from casework.threshold_watch import receivers as watch_receivers
from casework.threshold_watch.models import WatchEntry
from casework.threshold_watch.services import TELL_KIND
from tests.threshold_watch.test_watch import _frozen_day, entry_of, report  # noqa: F401 (the frozen day, autouse)

TELL_TITLE = "Tell Vera Victim of their right to a Case Review (Community Trigger)"


def tell_tasks(entry: WatchEntry) -> list[Deadline]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Deadline).where(
                Deadline.subject_type == WatchEntry.__tablename__,
                Deadline.subject_id == entry.id,
                Deadline.kind == TELL_KIND,
            )
        )
    )


def open_tasks_of(user: Any) -> list[str]:
    """The titles of the user's open tell-the-victim tasks, as their list of deadlines has them."""
    return [row.title for row in db.session.scalars(deadlines_query([user.id], "open", None)) if row.kind == TELL_KIND]


def victim_case(world: Any, owner: Any, reference: str) -> Any:
    """Another council case in the area on which Vera is a victim, owned by ``owner``."""
    case = world.new_case(owner=owner, reference=reference)
    db.session.add(CaseParty(case_id=case.id, person_id=world.victim.id, role=PartyRole.victim))
    db.session.commit()
    return case


def meets_the_threshold_on_two_cases(world: Any) -> tuple[Any, WatchEntry, Deadline]:
    """Vera reports on her second case (the colleague's), then twice on the first (the officer's): she
    meets the threshold and the task is the officer's, on the case with the latest complaint."""
    second = victim_case(world, world.colleague, "BOL-2026-0002")
    report(world, second, world.victim, date(2026, 10, 1), world.council)
    report(world, world.case, world.victim, date(2026, 10, 8), world.council)
    report(world, world.case, world.victim, date(2026, 11, 2), world.council)
    entry = entry_of(world.victim)
    assert entry is not None
    assert entry.short_by == 0
    [task] = tell_tasks(entry)
    assert (task.status, task.case_id, task.owner_id) == (DeadlineStatus.open, world.case.id, world.officer.id)
    return second, entry, task


def close_case(world: Any, api_client: Any, case: Any, user: Any = None) -> None:
    response = api_client(user or world.officer).post(f"/api/v1/cases/{case.id}/close", json={"reason": "Moved away"})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()


def reopen_case(world: Any, api_client: Any, case: Any) -> None:
    response = api_client(world.officer).post(f"/api/v1/cases/{case.id}/reopen", json={"reason": "Back again"})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()


def test_closing_one_of_two_open_cases_moves_the_task_to_the_other(world, api_client):
    second, entry, task = meets_the_threshold_on_two_cases(world)
    due_on = task.due_on

    close_case(world, api_client, world.case)

    [moved] = tell_tasks(entry)
    assert (moved.status, moved.case_id, moved.owner_id) == (DeadlineStatus.open, second.id, world.colleague.id)
    # The victim has been owed the telling since they met the threshold: the day does not move.
    assert moved.due_on == due_on
    assert moved.title == TELL_TITLE
    assert entry_of(world.victim).task_case_id == second.id
    assert open_tasks_of(world.colleague) == [TELL_TITLE]
    assert open_tasks_of(world.officer) == []


def test_reopening_the_closed_case_leaves_the_one_task_where_it_moved(world, api_client):
    second, entry, _task = meets_the_threshold_on_two_cases(world)
    close_case(world, api_client, world.case)

    reopen_case(world, api_client, world.case)

    tasks = tell_tasks(entry)
    assert [(t.status, t.case_id, t.owner_id) for t in tasks] == [(DeadlineStatus.open, second.id, world.colleague.id)]
    assert (open_tasks_of(world.officer), open_tasks_of(world.colleague)) == ([], [TELL_TITLE])


def test_a_victim_already_told_is_not_asked_about_again(world, api_client):
    _second, entry, _task = meets_the_threshold_on_two_cases(world)
    answer = api_client(world.officer).post(
        f"/api/v1/threshold-watch/{world.victim.id}/told", json={"told_on": "2026-11-20", "method": "letter"}
    )
    assert answer.status_code == 200, answer.get_json()

    close_case(world, api_client, world.case)

    [task] = tell_tasks(entry)
    assert (task.status, task.case_id) == (DeadlineStatus.done, world.case.id)
    assert open_tasks_of(world.colleague) == []


def test_with_no_other_open_case_the_closure_cancels_the_task_and_reopening_rearms_it(world, api_client):
    second, entry, _task = meets_the_threshold_on_two_cases(world)
    close_case(world, api_client, second, user=world.colleague)
    [task] = tell_tasks(entry)
    assert (task.status, task.case_id) == (DeadlineStatus.open, world.case.id)

    close_case(world, api_client, world.case)

    [task] = tell_tasks(entry)
    assert (task.status, task.case_id) == (DeadlineStatus.cancelled, world.case.id)
    reopen_case(world, api_client, world.case)
    [task] = tell_tasks(entry)
    assert (task.status, task.case_id, task.owner_id) == (DeadlineStatus.open, world.case.id, world.officer.id)


def test_a_case_where_they_are_no_longer_a_victim_does_not_take_the_task(world, api_client):
    second, entry, _task = meets_the_threshold_on_two_cases(world)
    db.session.execute(
        sa.delete(CaseParty).where(CaseParty.case_id == second.id, CaseParty.person_id == world.victim.id)
    )
    db.session.commit()

    close_case(world, api_client, world.case)

    [task] = tell_tasks(entry)
    assert (task.status, task.case_id) == (DeadlineStatus.cancelled, world.case.id)


def test_a_victim_who_reports_on_a_new_case_after_their_only_case_closed_is_told_there(world, api_client):
    report(world, world.case, world.victim, date(2026, 10, 1), world.council)
    report(world, world.case, world.victim, date(2026, 10, 8), world.council)
    report(world, world.case, world.victim, date(2026, 11, 2), world.council)
    entry = entry_of(world.victim)
    [task] = tell_tasks(entry)
    due_on = task.due_on
    close_case(world, api_client, world.case)
    assert tell_tasks(entry)[0].status == DeadlineStatus.cancelled

    new = victim_case(world, world.colleague, "BOL-2026-0003")
    report(world, new, world.victim, date(2026, 11, 20), world.council)

    [task] = tell_tasks(entry)
    assert (task.status, task.case_id, task.owner_id, task.due_on) == (
        DeadlineStatus.open,
        new.id,
        world.colleague.id,
        due_on,
    )


@pytest.mark.parametrize("watch_first", [True, False], ids=["watch-first", "reminders-first"])
def test_the_task_moves_whichever_receiver_of_the_closure_runs_first(world, watch_first):
    """Receivers of ``case_closed`` run in no fixed order (``casework.core.lifecycle``)."""
    second, entry, _task = meets_the_threshold_on_two_cases(world)
    case = world.case
    case.status = CaseStatus.closed
    db.session.flush()
    handover = CaseHandover(reason="Moved away", actor=world.officer)
    receivers = [
        lambda: watch_receivers.on_case_closed(None, case=case, actor=world.officer, handover=handover),
        lambda: reminder_receivers.on_case_closed(None, case=case, actor=world.officer, handover=handover),
    ]
    for receive in receivers if watch_first else reversed(receivers):
        receive()
    db.session.commit()

    [task] = tell_tasks(entry)
    assert (task.status, task.case_id, task.owner_id) == (DeadlineStatus.open, second.id, world.colleague.id)


def test_a_forgotten_entry_leaves_no_task_behind(world):
    """Retention anonymising the victim (or her record merged into another) removes her entry: its task
    goes with it, rather than stay behind about an entry that no longer exists."""
    from datetime import datetime

    from casework.core.lifecycle import RetentionReport

    _second, entry, _task = meets_the_threshold_on_two_cases(world)
    report = RetentionReport(on=date(2026, 11, 23), started_at=datetime(2026, 11, 23, 12, 0))

    watch_receivers.on_person_anonymised(None, person=world.victim, report=report)
    db.session.commit()

    assert entry_of(world.victim) is None
    assert tell_tasks(entry) == []
