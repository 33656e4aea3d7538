"""Appeals against warnings, notices and orders (2014 Act s.46 for a CPN, s.84 for a closure order, s.66
for a PSPO; a court's orders through the courts).

Only a power the law lets be appealed or challenged may be marked ``appealed``: there is no appeal
against a Community Protection Warning, a warning letter, an ABC, a fixed penalty, a closure notice, a
dispersal direction or a Community Remedy. The refusal is ``interventions.services.status_refusal``,
through which the page, the API and the spreadsheet import all pass.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.interventions import powers
from casework.interventions.models import Intervention, InterventionKind, InterventionStatus
from casework.interventions.services import status_choices, status_refusal
from tests.interventions.world import world  # noqa: F401
from tests.spreadsheets.conftest import Importer, problems_of

TODAY = "2026-11-23T12:00:00+00:00"


def set_status(api: Any, intervention_id: int, status: str) -> Any:
    db.session.expire_all()
    version = db.session.get(Intervention, intervention_id).version
    return api.patch(f"/api/v1/interventions/{intervention_id}", json={"status": status, "version": version})


def imported_case(page_client: Any, world: Any, number: str) -> Importer:  # noqa: F811
    """A person P-<number> and a case C-<number> they are the perpetrator on, imported by the coordinator."""
    importer = Importer(page_client, world.coordinator)
    importer.run("people", [["reference", "name", "date_of_birth"], [f"P-{number}", "Dean Lowe", "1990-01-02"]])
    importer.run(
        "cases",
        [
            ["reference", "area_code", "category", "summary", "opened_on", "perpetrators"],
            [f"C-{number}", "BOL", "personal", "Noise", "2025-09-03", f"P-{number}"],
        ],
    )
    return importer


def test_every_power_either_has_an_appeal_or_says_why_not():
    kinds = {k.value for k in InterventionKind}
    assert set(powers.APPEALS) | set(powers.NO_APPEAL) == kinds
    assert not set(powers.APPEALS) & set(powers.NO_APPEAL)
    assert powers.appeal_of("cpw") is None
    assert powers.appeal_of("cpn") is not None
    assert powers.appeal_of("cpn").suspends == {"comply_by"}


def test_appealed_is_offered_and_allowed_only_for_powers_with_an_appeal():
    for kind in InterventionKind:
        intervention = Intervention(kind=kind, status=InterventionStatus.issued)
        offered = InterventionStatus.appealed in status_choices(intervention)
        refusal = status_refusal(intervention, InterventionStatus.appealed)
        if kind.value in powers.NO_APPEAL:
            assert not offered, kind
            assert refusal is not None, kind
            assert "cannot be marked appealed" in refusal, kind
        else:
            assert offered, kind
            assert refusal is None, kind
    # A record marked appealed before this rule keeps its status and may leave it.
    legacy = Intervention(kind=InterventionKind.cpw, status=InterventionStatus.appealed)
    assert status_refusal(legacy, InterventionStatus.appealed) is None
    assert status_refusal(legacy, InterventionStatus.issued) is None


def test_appealed_is_refused_for_a_warning_on_every_path(world, api_client, page_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        made = api.post(
            f"/api/v1/cases/{world.case.id}/interventions",
            json={
                "kind": "cpw",
                "subject_person_id": world.adult.id,
                "issued_on": "2026-11-20",
                "comply_by": "2026-12-20",
            },
        )
        warning = made.get_json()
        # The API: 422 with _rule and the field, nothing written.
        refused = set_status(api, warning["id"], "appealed")
        assert refused.status_code == 422, refused.get_json()
        errors = refused.get_json()["errors"]
        assert "there is no appeal against a Community Protection Warning" in errors["_rule"][0]
        assert errors["status"] == errors["_rule"]
        db.session.expire_all()
        intervention = db.session.get(Intervention, warning["id"])
        assert (intervention.status, intervention.version) == (InterventionStatus.issued, warning["version"])
        # The page: not offered, and refused as a form error when posted anyway.
        client = page_client(world.officer)
        html = client.get(f"/interventions/{warning['id']}").get_data(as_text=True)
        offered = set(re.findall(r'name="status"[^>]*value="(\w+)"', html))
        assert offered == {s.value for s in InterventionStatus} - {"appealed"}
        posted = client.post(
            f"/interventions/{warning['id']}/status", data={"status": "appealed", "version": warning["version"]}
        )
        assert posted.status_code == 422
        assert "there is no appeal against a Community Protection Warning" in posted.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Intervention, warning["id"]).status == InterventionStatus.issued
        # The spreadsheet import: the row's problem is on its status column, and the row is not imported.
        importer = imported_case(page_client, world, "9")
        job = importer.upload(
            "interventions",
            [
                ["reference", "case_reference", "kind", "subject", "issued_on", "comply_by", "status"],
                ["W-9", "C-9", "verbal_warning", "P-9", "2026-11-02", "", "appealed"],
            ],
        )
        [(row, column, message)] = problems_of(job)
        assert (row, column) == (2, "status")
        assert "cannot be marked appealed" in message
        assert "verbal warning is not an order" in message
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Intervention)) == 1
