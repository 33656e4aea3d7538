"""The threshold decision and acknowledgement ."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from casework.accounts.services import update_area_settings
from casework.community_triggers.models import ThresholdDecision
from casework.extensions import db

TWO = [
    {"occurred_on": "2026-02-01", "reported_on": "2026-02-02", "agency_code": "BDC"},
    {"occurred_on": "2026-02-10", "reported_on": "2026-02-10", "agency_code": "BDC"},
]


@pytest.fixture
def met_app(ct, api_client):
    return api_client(ct.coordinator).post("/api/v1/triggers", json=ct.body()).json


@pytest.fixture
def below(ct, api_client):
    return api_client(ct.coordinator).post("/api/v1/triggers", json=ct.body(complaints=TWO)).json


def decide(api, application, **body):
    return api.post(f"/api/v1/triggers/{application['id']}/threshold-decision", json=body)


def decisions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ThresholdDecision))


def test_met_on_the_automatic_basis_answers_the_whole_application_with_the_review_meeting_deadline(
    ct, api_client, met_app
):
    response = decide(
        api_client(ct.coordinator),
        met_app,
        met=True,
        basis="automatic",
        reasons="Three complaints.",
        decided_on="2026-03-09",
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "threshold_met"
    assert body["decision"]["met"] is True
    assert body["decision"]["basis"] == "automatic"
    # 20 working days after Mon 9 March 2026, over Good Friday (3 April) and Easter Monday (6 April).
    assert body["deadlines"]["review_meeting"] == "2026-04-08"


def test_not_met_is_refused_when_the_evaluation_meets_the_threshold(ct, api_client, met_app):
    response = decide(api_client(ct.coordinator), met_app, met=False, reasons="No.", decided_on="2026-03-09")
    assert response.status_code == 422
    assert "s.104(4)" in response.json["errors"]["_rule"][0]
    assert decisions() == 0


def test_not_met_below_the_threshold_needs_reasons_and_no_basis(ct, api_client, below):
    api = api_client(ct.coordinator)
    assert decide(api, below, met=False, decided_on="2026-03-09").json["errors"]["reasons"]
    assert decide(api, below, met=False, basis="automatic", reasons="r", decided_on="2026-03-09").status_code == 422
    ok = decide(
        api,
        below,
        met=False,
        reasons="Two qualifying complaints.",
        decided_on="2026-03-09",
        persistence="Not persistent",
        harm="Low",
        adequacy="Adequate",
    )
    assert ok.status_code == 200, ok.json
    assert ok.json["status"] == "threshold_not_met"
    assert ok.json["decision"]["persistence"] == "Not persistent"
    assert "review_meeting" not in ok.json["deadlines"]
    assert ok.json["deadlines"]["appeal_window_closes"] == "2026-04-08"  # 20th working day, over Easter


@pytest.mark.parametrize("basis", ["automatic", "community", "hate"])
def test_a_basis_the_evaluation_does_not_support_is_refused(ct, api_client, below, basis):
    response = decide(api_client(ct.coordinator), below, met=True, basis=basis, reasons="r", decided_on="2026-03-09")
    assert response.status_code == 422
    assert response.json["errors"]["basis"]
    assert decisions() == 0


def test_discretionary_needs_reasons(ct, api_client, below):
    api = api_client(ct.coordinator)
    refused = decide(api, below, met=True, basis="discretionary", decided_on="2026-03-09")
    assert refused.status_code == 422
    assert refused.json["errors"]["reasons"]
    accepted = decide(
        api,
        below,
        met=True,
        basis="discretionary",
        reasons="Persistent and harmful.",
        decided_on="2026-03-09",
        persistence="Weekly",
        harm="Anxiety",
        adequacy="No action taken",
    )
    assert accepted.status_code == 200
    assert accepted.json["decision"]["basis"] == "discretionary"


def test_vulnerable_override_is_a_managers_decision_with_reasons(ct, api_client, below):
    coordinator = decide(
        api_client(ct.coordinator), below, met=True, basis="vulnerable_override", reasons="r", decided_on="2026-03-09"
    )
    assert coordinator.status_code == 422
    assert "manager" in coordinator.json["errors"]["_rule"][0]
    no_reasons = decide(api_client(ct.manager), below, met=True, basis="vulnerable_override", decided_on="2026-03-09")
    assert no_reasons.status_code == 422
    assert no_reasons.json["errors"]["reasons"]
    manager = decide(
        api_client(ct.manager),
        below,
        met=True,
        basis="vulnerable_override",
        reasons="The victim is vulnerable.",
        decided_on="2026-03-09",
    )
    assert manager.status_code == 200


def test_vulnerable_override_is_refused_where_the_area_turned_it_off(ct, api_client):
    update_area_settings(ct.admin, ct.area, {"vulnerable_override_enabled": False}, effective_from=date(2026, 1, 1))
    db.session.commit()
    application = api_client(ct.coordinator).post("/api/v1/triggers", json=ct.body(complaints=TWO)).json
    response = decide(
        api_client(ct.manager), application, met=True, basis="vulnerable_override", reasons="r", decided_on="2026-03-09"
    )
    assert response.status_code == 422
    assert "not in use" in response.json["errors"]["_rule"][0]


@pytest.mark.parametrize(
    ("decided_on", "status"),
    [("2026-03-01", 422), ("2026-03-02", 200), ("2026-03-10", 200), ("2026-03-11", 422)],
)
def test_decided_on_is_not_before_receipt_nor_in_the_future(ct, api_client, met_app, decided_on, status):
    response = decide(api_client(ct.coordinator), met_app, met=True, basis="automatic", decided_on=decided_on)
    assert response.status_code == status, response.json
    if status == 422:
        assert response.json["errors"]["decided_on"]


def test_a_decision_is_made_once(ct, api_client, met_app):
    api = api_client(ct.coordinator)
    assert decide(api, met_app, met=True, basis="automatic", decided_on="2026-03-09").status_code == 200
    assert decide(api, met_app, met=True, basis="automatic", decided_on="2026-03-09").status_code == 422


@pytest.mark.parametrize("who", ["officer", "chair", "partner", "admin", "outsider"])
def test_only_coordinators_and_managers_covering_the_area_decide(ct, api_client, met_app, who):
    response = decide(api_client(getattr(ct, who)), met_app, met=True, basis="automatic", decided_on="2026-03-09")
    assert response.status_code in {403, 404}
    assert decisions() == 0


def test_acknowledgement_is_recorded_and_does_not_gate_the_decision(ct, api_client, met_app):
    api = api_client(ct.coordinator)
    assert decide(api, met_app, met=True, basis="automatic", decided_on="2026-03-09").status_code == 200
    response = api.post(f"/api/v1/triggers/{met_app['id']}/acknowledge", json={"acknowledged_on": "2026-03-03"})
    assert response.status_code == 200
    assert response.json["acknowledged_on"] == "2026-03-03"
    again = api.post(f"/api/v1/triggers/{met_app['id']}/acknowledge", json={"acknowledged_on": "2026-03-04"})
    assert again.status_code == 422


@pytest.mark.parametrize(("day", "status"), [("2026-03-01", 422), ("2026-03-02", 200), ("2026-03-11", 422)])
def test_acknowledged_on_boundaries(ct, api_client, met_app, day, status):
    response = api_client(ct.coordinator).post(
        f"/api/v1/triggers/{met_app['id']}/acknowledge", json={"acknowledged_on": day}
    )
    assert response.status_code == status


def test_a_stale_version_answers_409(ct, api_client, met_app):
    api = api_client(ct.coordinator)
    decided = decide(api, met_app, met=True, basis="automatic", decided_on="2026-03-09")
    assert decided.json["version"] > met_app["version"]
    response = api.post(
        f"/api/v1/triggers/{met_app['id']}/acknowledge",
        json={"acknowledged_on": "2026-03-03", "version": met_app["version"]},
    )
    assert response.status_code == 409
    current = api.post(
        f"/api/v1/triggers/{met_app['id']}/acknowledge",
        json={"acknowledged_on": "2026-03-03", "version": decided.json["version"]},
    )
    assert current.status_code == 200


def test_a_meeting_can_be_arranged_only_after_a_met_decision(ct, api_client, below):
    api = api_client(ct.coordinator)
    body = {"scheduled_on": "2026-03-20", "chair_email": ct.chair.email}
    assert api.post(f"/api/v1/triggers/{below['id']}/meetings", json=body).status_code == 422
    decide(api, below, met=False, reasons="Below the threshold.", decided_on="2026-03-09")
    refused = api.post(f"/api/v1/triggers/{below['id']}/meetings", json=body)
    assert refused.status_code == 422
    assert refused.json["errors"]["_rule"]
