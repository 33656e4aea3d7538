"""A manager link after the access behind it changes (session 33's probe of long-lived access).

The link from a user to their manager is what sends the user's overdue work to the manager
(escalations) and lists it in the manager's team deadlines (``/api/v1/deadlines?owner=team`` and its
export), daily digest, dashboard ("my team's overdue work", the team's coming deadlines) and caseload,
and what shares saved case views with the team. It is long-lived: nothing renews it. So a change that
takes the ground from it (the manager moved to another agency or no longer a manager, the report
moved to another agency) undoes it (``accounts.services.update_user``), and every one of those
channels stops carrying the old team's work at once. Each change is made as an administrator makes
it, through the API; each channel is walked for each change.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from casework.accounts.models import User
from casework.cases import saved_views
from casework.cases.queries import caseload
from casework.core.time import now
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders import services as reminders
from casework.reminders.models import Deadline

#: The title of the report's overdue work: it names a victim and an address, as titles do.
TITLE = "Visit Jane Smith at 12 Quiet Road about the noise"


@pytest.fixture
def team(make: Any) -> SimpleNamespace:
    here, there = make.area(), make.area()
    council, elsewhere = make.agency(areas=[here]), make.agency(areas=[there])
    admin = make.user("admin", agency=council)
    manager = make.user("manager", agency=council)
    other_manager = make.user("manager", agency=council)
    report = make.user("officer", agency=council, manager=manager)
    manager_there = make.user("manager", agency=elsewhere)
    # Overdue work of the report's, on no case (a Case Review's own step): a title nobody's sight hides.
    due = now() - timedelta(days=2)
    work = Deadline(
        kind="trigger.probe",
        subject_type="probe_things",
        subject_id=1,
        title=TITLE,
        link="/case-reviews/1",
        owner_id=report.id,
        area_id=here.id,
        due_at=due,
        remind_at=due - timedelta(days=1),
    )
    db.session.add(work)
    view = saved_views.save_view(report, "Smith family, Quiet Road", {"q": "Quiet Road"}, share_with_team=True)
    db.session.commit()
    return SimpleNamespace(
        admin=admin,
        manager=manager,
        other_manager=other_manager,
        report=report,
        manager_there=manager_there,
        elsewhere=elsewhere,
        work=work,
        view=view,
    )


def _change(api_client: Any, world: SimpleNamespace, user: User, **body: Any) -> None:
    response = api_client(world.admin).patch(f"/api/v1/users/{user.id}", json={"version": user.version, **body})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()


def _manager_moved(api_client: Any, world: SimpleNamespace) -> None:
    _change(api_client, world, world.manager, agency_code=world.elsewhere.code)


def _manager_role_removed(api_client: Any, world: SimpleNamespace) -> None:
    _change(api_client, world, world.manager, roles=["officer"])


def _report_moved(api_client: Any, world: SimpleNamespace) -> None:
    _change(api_client, world, world.report, agency_code=world.elsewhere.code)


CHANGES = {
    "the manager moved to another agency": _manager_moved,
    "the manager role removed": _manager_role_removed,
    "the report moved to another agency": _report_moved,
}


def _what_the_former_manager_receives(api_client: Any, world: SimpleNamespace) -> dict[str, Any]:
    """Every channel by which a manager's team's work and shared things reach them."""
    manager = db.session.get(User, world.manager.id)
    report = db.session.get(User, world.report.id)
    work = db.session.get(Deadline, world.work.id)
    team_list = api_client(manager).get("/api/v1/deadlines?owner=team&per_page=100")
    assert team_list.status_code == 200
    reminders.queue_digest(manager)
    db.session.flush()
    digest = " ".join(
        row.body_text
        for row in db.session.query(OutboxEmail).filter(OutboxEmail.idempotency_key.startswith("digest:"))
        if row.to_address == manager.email
    )
    from casework.actions.case_sections import team_overdue
    from casework.reminders.spreadsheets import export_deadlines

    return {
        "team deadlines (API)": TITLE in team_list.get_data(as_text=True),
        "team deadlines export": TITLE in str(list(export_deadlines(manager, {"owner": "team"}).rows)),
        "digest": TITLE in digest,
        "dashboard: team's coming and overdue work": TITLE in str(reminders.team_dashboard_items(manager)),
        "dashboard: team's overdue work": TITLE in str(team_overdue(manager)),
        "escalation of the report's overdue work": manager in reminders.escalation_recipients(work),
        "caseload: in the team": any(row.user_id == report.id and row.in_team for row in caseload(manager)),
        "team's saved views": world.view.id in {view.id for view in saved_views.views_for(manager)},
    }


def test_before_any_change_every_channel_carries_the_teams_work(team, api_client):
    """The walk below can fail: before a change, each channel does carry the report's work."""
    received = _what_the_former_manager_receives(api_client, team)
    assert all(received.values()), received


@pytest.mark.parametrize("change", list(CHANGES.values()), ids=list(CHANGES))
def test_after_the_change_no_channel_carries_the_old_teams_work(team, api_client, change):
    change(api_client, team)
    received = _what_the_former_manager_receives(api_client, team)
    assert [channel for channel, carries in received.items() if carries] == []
    # The report's overdue work is escalated to a manager of the agency they work at now.
    report = db.session.get(User, team.report.id)
    work = db.session.get(Deadline, team.work.id)
    recipients = reminders.escalation_recipients(work)
    assert recipients
    assert all(manager.agency_id == report.agency_id for manager in recipients)


@pytest.mark.parametrize("change", [_manager_moved, _manager_role_removed], ids=["moved", "role removed"])
def test_a_team_led_later_does_not_inherit_what_the_old_team_shared(team, api_client, make, change):
    change(api_client, team)
    # Made a manager at the other agency (or again), with a team of their own there.
    manager = db.session.get(User, team.manager.id)
    _change(api_client, team, manager, roles=["manager"], agency_code=team.elsewhere.code)
    newcomer = make.user("officer", agency=team.elsewhere)
    _change(api_client, team, newcomer, manager_email=manager.email)
    for reader in (db.session.get(User, manager.id), db.session.get(User, newcomer.id)):
        assert team.view.id not in {view.id for view in saved_views.views_for(reader)}
    # The view stays with the person who saved it.
    assert team.view.id in {view.id for view in saved_views.views_for(db.session.get(User, team.report.id))}


def test_a_change_that_leaves_the_team_standing_keeps_it(team, api_client):
    """A change of name, or of a role beside the manager role, is no reason to take a team apart."""
    _change(api_client, team, team.manager, roles=["manager", "coordinator"])
    _change(api_client, team, db.session.get(User, team.report.id), name="Olive Renamed")
    assert db.session.get(User, team.report.id).manager_id == team.manager.id
    received = _what_the_former_manager_receives(api_client, team)
    assert all(received.values()), received
