"""Work on a case is held only by people who may see the case, also when who may see it changes
(``lifecycle.sight_narrowed``): restricting a case, no longer sharing it with an agency, deactivating
a user, moving them to another agency or taking a role away give the open deadlines held by those who
lost sight of the case back to the case's owner, and leave their actions assigned to nobody (the owner
assigns them again to someone who may see the case). Work left from before (handed over before the
handover was checked) is given back by ``flask deadlines return-unseen``; what stays because the case's
owner may not see the case either follows the case to its next owner. Reopening gives handed-over work
back only to someone who may still see the case."""

from __future__ import annotations

from typing import Any

from casework.cases.models import Action, CaseAccess
from casework.extensions import db
from tests.lifecycle.test_closing_a_case import (
    _frozen_day,  # noqa: F401 (an autouse fixture: the day the test world lives on)
    action,
    close,
    deadline_of,
)
from tests.lifecycle.test_reopening_a_case import reopen
from tests.support.case_review import recommendation_on_the_case


def _police_action(world: Any, api_client: Any) -> int:
    response = api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/actions",
        json={"description": "Patrol", "agency_code": "POL", "assignee_id": world.partner.id, "due_on": "2027-03-04"},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _held(action_id: int) -> tuple[int | None, int | None]:
    """(the action's assignee, its deadline's owner)."""
    row = deadline_of("actions", action_id)
    return db.session.get(Action, action_id).assignee_id, row.owner_id


def test_restricting_a_case_gives_back_the_work_of_those_not_named(world, api_client):
    theirs = action(world, api_client, "Visit the neighbours", assignee=world.colleague)
    mine = action(world, api_client, "Write to the landlord")
    police = _police_action(world, api_client)
    response = api_client(world.officer).patch(
        f"/api/v1/cases/{world.case.id}", json={"version": world.case.version, "is_restricted": True}
    )
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    # The colleague and the police partner are not named on it: their work is the owner's to give again.
    assert _held(theirs) == (None, world.officer.id)
    assert _held(police) == (None, world.officer.id)
    assert _held(mine) == (world.officer.id, world.officer.id)
    # The owner gives it to someone who may see the case: one who may not is refused.
    refused = api_client(world.officer).patch(f"/api/v1/actions/{theirs}", json={"assignee_id": world.colleague.id})
    assert refused.status_code == 422


def test_no_longer_sharing_a_case_gives_back_the_agencys_work(world, api_client):
    police = _police_action(world, api_client)
    council = action(world, api_client, "Visit the neighbours", assignee=world.colleague)
    response = api_client(world.officer).post(f"/api/v1/cases/{world.case.id}/unshare", json={"agency_code": "POL"})
    assert response.status_code in (200, 204), response.get_json()
    db.session.expire_all()
    assert _held(police) == (None, world.officer.id)
    assert _held(council) == (world.colleague.id, world.colleague.id)


def test_a_user_deactivated_or_moved_hands_back_the_work_on_cases_they_no_longer_see(world, api_client):
    theirs = action(world, api_client, "Visit the neighbours", assignee=world.colleague)
    police = _police_action(world, api_client)
    admin = api_client(world.admin)
    moved = admin.patch(f"/api/v1/users/{world.colleague.id}", json={"agency_code": "NED"})
    assert moved.status_code == 200, moved.get_json()
    db.session.expire_all()
    assert _held(theirs) == (None, world.officer.id)
    assert _held(police) == (world.partner.id, world.partner.id)  # nothing changed for the partner
    deactivated = admin.patch(f"/api/v1/users/{world.partner.id}", json={"is_active": False})
    assert deactivated.status_code == 200, deactivated.get_json()
    db.session.expire_all()
    assert _held(police) == (None, world.officer.id)


def test_a_role_taken_away_hands_back_the_work(world, api_client):
    theirs = action(world, api_client, "Visit the neighbours", assignee=world.colleague)
    response = api_client(world.admin).patch(f"/api/v1/users/{world.colleague.id}", json={"roles": ["chair"]})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert _held(theirs) == (None, world.officer.id)


def test_the_command_gives_back_work_left_from_before_and_lists_what_stays(app, world, api_client):
    from casework.reminders.cli import deadlines

    theirs = action(world, api_client, "Visit the neighbours")
    # Handed to the unshared partner before handovers were checked.
    row = deadline_of("actions", theirs)
    row.owner_id = world.unshared_partner.id
    db.session.get(Action, theirs).assignee_id = world.unshared_partner.id
    # A restricted case whose owner is not named on it: its work has nobody to go back to.
    restricted = world.new_case(restricted=True, reference="BOL-2026-0002")
    db.session.add(CaseAccess(case_id=restricted.id, user_id=world.colleague.id))
    db.session.commit()
    response = api_client(world.colleague).post(
        f"/api/v1/cases/{restricted.id}/actions",
        json={"description": "Check", "agency_code": "BDC", "assignee_id": world.colleague.id, "due_on": "2027-03-05"},
    )
    assert response.status_code == 201, response.get_json()
    stays = response.get_json()["id"]
    db.session.execute(CaseAccess.__table__.delete().where(CaseAccess.case_id == restricted.id))
    db.session.commit()

    result = app.test_cli_runner().invoke(deadlines, ["return-unseen"])

    assert result.exit_code == 0, result.output
    assert "Gave 1 deadlines back" in result.output
    assert "BOL-2026-0002" in result.output
    db.session.expire_all()
    assert _held(theirs) == (None, world.officer.id)
    assert _held(stays) == (None, world.colleague.id)
    # The case's next owner (named on it as they take it) takes what stayed.
    db.session.add(CaseAccess(case_id=restricted.id, user_id=world.manager.id))
    db.session.commit()
    restricted = db.session.get(type(restricted), restricted.id)
    given = api_client(world.manager).patch(
        f"/api/v1/cases/{restricted.id}", json={"version": restricted.version, "owner_email": world.manager.email}
    )
    assert given.status_code == 200, given.get_json()
    db.session.expire_all()
    assert deadline_of("actions", stays).owner_id == world.manager.id


def test_reopening_gives_work_back_only_to_someone_who_may_still_see_the_case(world, api_client):
    statutory = recommendation_on_the_case(world, agency=world.council, assignee=world.officer)
    assert close(world, api_client, handover_to_email=world.colleague.email).status_code == 200
    # While closed, the case was restricted to the stand-in (as old data may be: no lifecycle event).
    db.session.refresh(world.case)
    world.case.is_restricted = True
    db.session.add(CaseAccess(case_id=world.case.id, user_id=world.colleague.id))
    db.session.commit()

    reopen(world, api_client, user=world.colleague)

    # The officer who had it is not named on the case: it stays with the stand-in.
    assert _held(statutory.id) == (world.colleague.id, world.colleague.id)


# --- a record's update gives its deadline only to someone who may see the case ----------------------------


def _closure_order_by(world: Any, api_client: Any, user: Any) -> int:
    response = api_client(user).post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={"kind": "closure_order", "issued_on": "2027-02-20", "ends_on": "2027-05-19", "location": "12 High St"},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_updating_an_intervention_does_not_give_its_deadline_back_to_an_issuer_who_lost_sight(world, api_client):
    order = _closure_order_by(world, api_client, world.colleague)
    assert deadline_of("interventions", order, "intervention.ends_on").owner_id == world.colleague.id
    moved = api_client(world.admin).patch(f"/api/v1/users/{world.colleague.id}", json={"agency_code": "NED"})
    assert moved.status_code == 200, moved.get_json()
    assert deadline_of("interventions", order, "intervention.ends_on").owner_id == world.officer.id

    extended = api_client(world.officer).post(f"/api/v1/interventions/{order}/extend", json={"ends_on": "2027-06-30"})

    assert extended.status_code == 200, extended.get_json()
    row = deadline_of("interventions", order, "intervention.ends_on")
    # Moved to its new day, still with the case's owner: the issuing officer may not see the case.
    assert (row.due_on.isoformat(), row.owner_id) == ("2027-06-30", world.officer.id)


def test_reopening_a_case_rearms_an_intervention_for_the_case_owner_when_its_issuer_lost_sight(world, api_client):
    response = api_client(world.colleague).post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={"kind": "cpw", "subject_person_id": world.adult.id, "issued_on": "2027-02-25", "comply_by": "2027-03-10"},
    )
    assert response.status_code == 201, response.get_json()
    warning = response.get_json()["id"]
    assert close(world, api_client).status_code == 200  # cancels the warning's deadline
    deactivated = api_client(world.admin).patch(f"/api/v1/users/{world.colleague.id}", json={"is_active": False})
    assert deactivated.status_code == 200, deactivated.get_json()

    reopen(world, api_client)

    row = deadline_of("interventions", warning, "intervention.comply_by")
    assert (row.status.value, row.owner_id) == ("open", world.officer.id)


def test_a_new_risk_assessment_does_not_give_its_review_to_a_case_owner_who_may_not_see_the_case(world, api_client):
    from casework.risk.services import REVIEW_KIND
    from tests.support.risk_answers import ALL_NO

    def assess() -> None:
        response = api_client(world.officer).post(
            f"/api/v1/cases/{world.case.id}/risk-assessments",
            json={"answers": {**ALL_NO, "threats_of_violence": "yes"}},
        )
        assert response.status_code == 201, response.get_json()

    assess()
    assert deadline_of("cases", world.case.id, REVIEW_KIND).owner_id == world.officer.id
    # The case goes to the colleague (its review stays with the officer), who then leaves.
    db.session.refresh(world.case)
    given = api_client(world.manager).patch(
        f"/api/v1/cases/{world.case.id}", json={"version": world.case.version, "owner_email": world.colleague.email}
    )
    assert given.status_code == 200, given.get_json()
    gone = api_client(world.admin).patch(f"/api/v1/users/{world.colleague.id}", json={"is_active": False})
    assert gone.status_code == 200, gone.get_json()

    assess()

    # The review moves to the new assessment's day; the case's owner may not see the case, so the
    # officer who held it keeps it, rather than a deactivated user.
    assert deadline_of("cases", world.case.id, REVIEW_KIND).owner_id == world.officer.id


def test_an_assignee_moved_to_an_agency_that_still_sees_the_case_leaves_the_other_agencys_action(world, api_client):
    """An action is addressed to an agency and assigned only to someone of it (``_assignee``): its
    assignee moved to another agency as an officer, one that still sees the case (its lead), no longer
    holds it. It is assigned to nobody and its deadline goes to the case's owner, who assigns it again."""
    police = _police_action(world, api_client)
    moved = api_client(world.admin).patch(
        f"/api/v1/users/{world.partner.id}", json={"agency_code": "BDC", "roles": ["officer"]}
    )
    assert moved.status_code == 200, moved.get_json()
    db.session.expire_all()
    assert _held(police) == (None, world.officer.id)
