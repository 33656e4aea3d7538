"""Who may change an intervention (``policies.can_change_intervention``): the staff of the agency that
issued it, and the case's lead agency (who records on its case what partners issued). Anyone else who
sees the case (a partner agency it is shared with) reads it but is refused 403 on every change, API and
page, nothing is written, and the page offers no control to change it.

Before, anyone who saw the case and could edit cases (a police partner on a shared council case) could
withdraw or mark complied the council's warning or order, which closes its statutory deadlines.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.interventions.models import Intervention, InterventionBreach, InterventionReview
from casework.reminders.models import Deadline, DeadlineStatus
from tests.interventions.world import World, world  # noqa: F401

TODAY = "2026-11-23T12:00:00+00:00"


def written(intervention_id: int) -> tuple[Any, ...]:
    """The intervention's status and version, the breach log, reviews and open deadlines (the audit log
    records reads too, so it is not counted)."""
    db.session.expire_all()
    intervention = db.session.get(Intervention, intervention_id)
    counts = [
        db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        for model in (InterventionBreach, InterventionReview)
    ]
    open_deadlines = db.session.scalar(
        sa.select(sa.func.count()).select_from(Deadline).where(Deadline.status == DeadlineStatus.open)
    )
    return (intervention.status.value, intervention.version, *counts, open_deadlines)


def council_order(api: Any, w: World) -> dict[str, Any]:
    """An Acceptable Behaviour Contract the council (the lead agency) made, with its review due."""
    made = api.post(
        f"/api/v1/cases/{w.case.id}/interventions",
        json={"kind": "abc", "subject_person_id": w.adult.id, "issued_on": "2026-08-01", "ends_on": "2027-02-01"},
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()


#: Staff of the police force the council's case is shared with, by role, and council staff whose role may
#: not change cases: each sees the case (or not, for the last) and is refused every change.
REFUSED = ["partner", "officer", "coordinator", "manager", "chair", "admin"]


@pytest.mark.parametrize("role", REFUSED)
def test_a_role_that_did_not_issue_it_and_does_not_lead_the_case_cannot_change_it(
    world,  # noqa: F811
    make,
    api_client,
    page_client,
    role,
):
    with time_machine.travel(TODAY, tick=False):
        order = council_order(api_client(world.officer), world)
        agency = world.council if role in ("chair", "admin") else world.police
        user = world.partner if role == "partner" else make.user(role, agency=agency, name=f"Rae {role.title()}")
        api = api_client(user)
        before = written(order["id"])
        version = order["version"]
        base = f"/api/v1/interventions/{order['id']}"
        answers = {
            "status": api.patch(base, json={"status": "withdrawn", "version": version}),
            "breach": api.post(f"{base}/breaches", json={"occurred_on": "2026-11-20", "description": "Shouting"}),
            "review": api.post(f"{base}/reviews", json={"reviewed_on": "2026-11-20", "outcome": "ended"}),
            "extend": api.post(f"{base}/extend", json={"ends_on": "2027-03-01"}),
        }
        assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 403)
        if role not in ("chair", "admin"):
            message = answers["status"].get_json()["message"]
            assert "lead agency of the case can change it" in message, message
            # They still read it.
            assert api.get(base).status_code == 200
        client = page_client(user)
        pages = {
            "status": client.post(f"/interventions/{order['id']}/status", data={"status": "withdrawn"}),
            "breach": client.get(f"/interventions/{order['id']}/breaches/new"),
            "review": client.post(f"/interventions/{order['id']}/reviews", data={"outcome": "ended"}),
        }
        assert {name: p.status_code for name, p in pages.items()} == dict.fromkeys(pages, 403)
        assert written(order["id"]) == before
        assert before[0] == "issued"
        if role not in ("chair", "admin"):
            html = client.get(f"/interventions/{order['id']}").get_data(as_text=True)
            assert "Record that the contract was not kept" not in html
            assert "Change status" not in html
            assert "Record the review" not in html


def test_the_issuing_agency_and_the_lead_agency_may_change_it(world, api_client, page_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        # A police direction recorded by the police on the council's case: the police change it ...
        police = api_client(world.partner)
        made = police.post(
            f"/api/v1/cases/{world.case.id}/interventions",
            json={"kind": "verbal_warning", "subject_person_id": world.adult.id, "issued_on": "2026-11-20"},
        )
        assert made.status_code == 201, made.get_json()
        theirs = made.get_json()
        assert theirs["issuing_agency_code"] == "POL"
        changed = police.patch(
            f"/api/v1/interventions/{theirs['id']}", json={"status": "complied", "version": theirs["version"]}
        )
        assert changed.status_code == 200, changed.get_json()
        # ... and so does the council, which leads the case (it records what partners issued).
        council = api_client(world.colleague)
        back = council.patch(
            f"/api/v1/interventions/{theirs['id']}",
            json={"status": "issued", "version": changed.get_json()["version"]},
        )
        assert back.status_code == 200, back.get_json()
        # A council order: its own staff see the controls, the police do not.
        order = council_order(api_client(world.officer), world)
        assert "Change status" in page_client(world.manager).get(f"/interventions/{order['id']}").get_data(as_text=True)
        assert "Change status" not in page_client(world.partner).get(f"/interventions/{order['id']}").get_data(
            as_text=True
        )
