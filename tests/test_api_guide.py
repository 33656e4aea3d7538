"""docs/api.md, the API guide for partner systems, kept true: every endpoint it names exists with that
method, and its authentication steps, list envelope, error bodies and example work as written."""

from __future__ import annotations

import re

from casework.app import PROJECT_ROOT
from tests.conftest import TEST_PASSWORD

GUIDE = (PROJECT_ROOT / "docs" / "api.md").read_text()


def _rule_pattern(path: str) -> str:
    return re.sub(r"<[^>]+>", "<>", path)


def test_every_endpoint_the_guide_names_exists(app) -> None:
    routes = {(method, _rule_pattern(rule.rule)) for rule in app.url_map.iter_rules() for method in rule.methods or ()}
    named = re.findall(r"`(GET|POST|PATCH|DELETE) (/api/v1/[^`?]*)`", GUIDE)
    named += re.findall(r"-X (POST|PATCH|DELETE) http://127\.0\.0\.1:5000(/api/v1/\S+)", GUIDE)
    assert len(named) > 20
    for method, path in named:
        assert (method, _rule_pattern(re.sub(r"/\d+", "/<id>", path))) in routes, f"{method} {path}"
    assert "/api/v1/docs" in GUIDE


def test_the_authentication_steps_work_as_written(app, db_session, make) -> None:
    user = make.user("officer")
    client = app.test_client()

    answer = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": TEST_PASSWORD})
    assert answer.status_code == 201
    assert set(answer.json) == {"token", "expires_at"}
    headers = {"Authorization": f"Bearer {answer.json['token']}"}

    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json["email"] == user.email
    assert "officer" in me.json["roles"]

    assert client.post("/api/v1/auth/tokens", json={"email": user.email, "password": "wrong"}).status_code == 401

    assert client.delete("/api/v1/auth/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_lists_errors_and_the_example_behave_as_the_guide_says(app, db_session, make, api_client) -> None:

    area = make.area("BOL", "Bolsover")
    user = make.user("officer", agency=make.agency("BDC", areas=[area]))
    api = api_client(user)

    listed = api.get("/api/v1/cases").json
    assert {"items", "page", "per_page", "total"} <= set(listed)
    for extra in set(listed) - {"items", "page", "per_page", "total"}:
        assert f"`{extra}`" in GUIDE, f"the guide does not explain {extra}"
    assert '"per_page": 25' in GUIDE
    assert listed["per_page"] == 25

    refused = api.post("/api/v1/cases", json={"area_code": "BOL", "category": "nuisance"})
    assert refused.status_code == 422
    assert refused.json["errors"]["summary"] == ["Missing data for required field."]
    assert '{"errors": {"summary": ["Missing data for required field."]}}' in GUIDE

    example = re.search(r"-d '(\{\"area_code\".*?\})'", GUIDE).group(1)
    created = api.post("/api/v1/cases", data=example, headers={"Content-Type": "application/json"})
    assert created.status_code == 201, created.json
    assert {"id", "reference", "version"} <= set(created.json)
    case_id, version = created.json["id"], created.json["version"]

    changed = api.patch(f"/api/v1/cases/{case_id}", json={"version": version, "summary": "Now quieter."})
    assert changed.status_code == 200
    stale = api.patch(f"/api/v1/cases/{case_id}", json={"version": version, "summary": "Again."})
    assert stale.status_code == 409
    assert stale.json["message"] in GUIDE

    assert api.get("/api/v1/cases/999999").status_code == 404
