"""Work on a case goes only to people who may see the case: its deadlines' titles quote the case.
Closing a case hands its continuing work to someone who may see it, and an action on a case is
assigned to someone who may see it. Anyone else is refused exactly as a user who does not exist (422
on the field, nothing written), and the pages offer only those who may take the work
(``casework.cases.policies.case_readers_clause``, the one rule for both)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from casework.cases.models import Action, Case, CaseAccess, CaseStatus
from casework.cases.policies import can_view_case, case_readers_clause, sees_case_clause
from casework.extensions import db


@pytest.fixture
def restricted(world):
    """A restricted council case named to its officer only."""
    case = world.new_case(restricted=True, reference="BOL-2026-0006")
    db.session.add(CaseAccess(case_id=case.id, user_id=world.officer.id))
    db.session.commit()
    return case


@pytest.fixture
def unshared(world):
    """A council case not shared with anyone."""
    return world.new_case(reference="BOL-2026-0007")


def _select(html: str, name: str) -> set[str]:
    """The values a page's select offers (without the blank choice)."""
    match = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    assert match is not None, f"no select {name}"
    return {v for v in re.findall(r'<option value="([^"]*)"', match.group(0)) if v}


def _status(case: Case) -> CaseStatus:
    db.session.expire_all()
    return db.session.get(Case, case.id).status


# --- the rule, read both ways ----------------------------------------------------------------------------


def test_the_readers_of_a_case_are_those_it_is_visible_to(world, restricted, unshared, make):
    """``case_readers_clause`` (who may see this case) agrees with ``visible_cases_clause`` (which
    cases may this user see) for every user and case, whatever their roles."""
    from casework.accounts.models import User

    make.user(["partner", "officer"], agency=world.police, name="Two Roles")
    make.user(["chair", "manager"], agency=world.council, name="Chair And Manager")
    inactive = make.user("officer", agency=world.council, name="Gone")
    inactive.is_active = False
    db.session.add(CaseAccess(case_id=restricted.id, user_id=world.partner.id))  # named, but not shared with
    db.session.commit()
    users = list(db.session.scalars(sa.select(User)))
    for case in (world.case, restricted, unshared):
        readers = set(db.session.scalars(sa.select(User.id).where(case_readers_clause(case))))
        expected = {u.id for u in users if u.is_active and can_view_case(u, case)}
        assert readers == expected, case.reference
    # The same rule for rows pairing users and cases in one statement (``sees_case_clause``).
    cases = (world.case, restricted, unshared)
    pairs = set(
        db.session.execute(
            sa.select(User.id, Case.id).where(Case.id.in_([c.id for c in cases]), sees_case_clause(User, Case))
        ).all()
    )
    assert pairs == {(u.id, c.id) for c in cases for u in users if u.is_active and can_view_case(u, c)}


# --- closing a case: who takes over -------------------------------------------------------------------


def test_the_api_refuses_a_handover_to_someone_who_cannot_see_the_case(world, restricted, unshared, api_client):
    client = api_client(world.officer)
    unknown = client.post(
        f"/api/v1/cases/{unshared.id}/close", json={"reason": "Resolved", "handover_to_email": "nobody@example.org"}
    )
    assert unknown.status_code == 422
    for case, user in (
        (unshared, world.unshared_partner),  # another agency's, the case not shared with it
        (unshared, world.partner),  # the police partner: this case is not shared with the police
        (restricted, world.coordinator),  # the lead agency's, not named on the restricted case
        (restricted, world.manager),
        (unshared, world.admin),  # no casework at all
    ):
        refused = client.post(
            f"/api/v1/cases/{case.id}/close", json={"reason": "Resolved", "handover_to_email": user.email}
        )
        assert refused.status_code == 422, (case.reference, user.name)
        # Exactly as for an address nobody has: nothing about the user or the case is revealed.
        assert refused.get_json() == unknown.get_json()
        assert _status(case) is CaseStatus.open
    accepted = client.post(
        f"/api/v1/cases/{restricted.id}/close", json={"reason": "Resolved", "handover_to_email": world.officer.email}
    )
    assert accepted.status_code == 200, accepted.get_json()
    shared = client.post(
        f"/api/v1/cases/{world.case.id}/close", json={"reason": "Resolved", "handover_to_email": world.partner.email}
    )
    assert shared.status_code == 200, shared.get_json()  # shared with the police: the partner sees it


def test_the_close_page_offers_and_accepts_only_those_who_see_the_case(world, restricted, page_client):
    client = page_client(world.officer)
    page = client.get(f"/cases/{restricted.id}/close")
    assert page.status_code == 200
    assert _select(page.text, "handover_to") == {str(world.officer.id)}
    refused = client.post(
        f"/cases/{restricted.id}/close",
        data={"reason": "Resolved", "version": str(restricted.version), "handover_to": str(world.coordinator.id)},
    )
    assert refused.status_code == 422
    assert _status(restricted) is CaseStatus.open


# --- assigning an action --------------------------------------------------------------------------------


def test_the_api_refuses_an_assignee_who_cannot_see_the_case(world, restricted, unshared, api_client):
    client = api_client(world.officer)

    def add(case: Any, agency: str, assignee_id: int) -> Any:
        body = {"description": "Check on the victim", "agency_code": agency, "assignee_id": assignee_id}
        return client.post(f"/api/v1/cases/{case.id}/actions", json=body)

    unknown = add(unshared, "BDC", 999_999)
    assert unknown.status_code == 422
    for case, agency, user in (
        (unshared, "POL", world.partner),  # the police: this case is not shared with them
        (unshared, "BDC", world.admin),  # the lead agency's admin and chair see no cases
        (unshared, "BDC", world.chair),
        (restricted, "BDC", world.colleague),  # not named on the restricted case
        (restricted, "BDC", world.manager),
    ):
        refused = add(case, agency, user.id)
        assert refused.status_code == 422, (case.reference, user.name)
        assert refused.get_json() == unknown.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 0
    assert add(restricted, "BDC", world.officer.id).status_code == 201
    assert add(world.case, "POL", world.partner.id).status_code == 201  # shared with the police
    # Nor may an action be given to such a user afterwards.
    action = client.post(
        f"/api/v1/cases/{unshared.id}/actions", json={"description": "Visit", "agency_code": "BDC"}
    ).get_json()
    moved = client.patch(
        f"/api/v1/actions/{action['id']}", json={"assignee_id": world.admin.id, "version": action["version"]}
    )
    assert moved.status_code == 422
    assert "assignee_id" in moved.get_json()["errors"]


def test_the_action_page_offers_and_accepts_only_those_who_see_the_case(world, restricted, page_client):
    client = page_client(world.officer)
    page = client.get(f"/cases/{restricted.id}/actions/new")
    assert page.status_code == 200
    assert _select(page.text, "assignee_id") == {str(world.officer.id)}
    page = client.get(f"/cases/{world.case.id}/actions/new")
    offered = _select(page.text, "assignee_id")
    assert str(world.partner.id) in offered  # shared with the police
    for user in (world.admin, world.chair, world.unshared_partner):
        assert str(user.id) not in offered, user.name
    refused = client.post(
        f"/cases/{world.case.id}/actions/new",
        data={
            "description": "Check on the victim",
            "agency_id": str(world.council.id),
            "assignee_id": str(world.admin.id),
        },
    )
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 0
