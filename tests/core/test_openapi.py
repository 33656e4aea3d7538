"""The OpenAPI document is valid, built from the routes, and lists the docs/api.md contract that exists."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from openapi_spec_validator import validate

#: The paths docs/api.md fixes (a contract). Those whose endpoints exist must be in the document.
API_MD_PATHS = {
    ("post", "/api/v1/auth/tokens"),
    ("post", "/api/v1/areas"),
    ("patch", "/api/v1/areas/{code}"),
    ("post", "/api/v1/agencies"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/cases"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/cases/{id}"),
    ("post", "/api/v1/cases/{id}/incidents"),
    ("post", "/api/v1/cases/{id}/interventions"),
    ("post", "/api/v1/people"),
    ("get", "/api/v1/triggers"),
    ("post", "/api/v1/triggers"),
    ("get", "/api/v1/triggers/{id}"),
    ("post", "/api/v1/triggers/{id}/acknowledge"),
    ("post", "/api/v1/triggers/{id}/threshold-decision"),
    ("post", "/api/v1/triggers/{id}/meetings"),
    ("post", "/api/v1/triggers/{id}/meetings/{mid}/outcome"),
    ("post", "/api/v1/triggers/{id}/appeal"),
    ("post", "/api/v1/triggers/{id}/withdraw"),
    ("get", "/api/v1/statistics"),
    ("post", "/api/v1/statistics/compile"),
    ("post", "/api/v1/statistics/publish"),
    ("get", "/api/v1/openapi.json"),
}


def shape(path: str) -> str:
    """Parameter names may differ from docs/api.md's (``{user_id}`` for ``<id>``); compare the shapes."""
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    return response.get_json()


def test_the_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}


def test_it_lists_every_api_route_of_the_app(app: Flask, document: dict[str, Any]) -> None:
    listed = {(method, shape(path)) for path, item in document["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi.docs":
            continue
        path = shape(re.sub(r"<[^>]+>", "{x}", rule.rule))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method.lower(), path) in listed, f"{method} {rule.rule} is missing from the document"


def test_it_lists_the_api_md_paths_that_exist(app: Flask, document: dict[str, Any]) -> None:
    routes = {
        (method.lower(), shape(re.sub(r"<[^>]+>", "{x}", rule.rule)))
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(method, shape(path)) for path, item in document["paths"].items() for method in item}
    contract = {(method, shape(path)) for method, path in API_MD_PATHS}
    existing = contract & routes
    assert ("post", "/api/v1/auth/tokens") in existing
    assert existing <= listed


def test_operations_say_who_may_call_them(document: dict[str, Any]) -> None:
    tokens = document["paths"]["/api/v1/auth/tokens"]["post"]
    assert tokens["security"] == []
    assert tokens["summary"]
    users = document["paths"]["/api/v1/users/{user_id}"]
    assert users["get"]["security"] == [{"bearerAuth": []}]
    assert users["get"]["parameters"] == [
        {
            "name": "user_id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
        }
    ]
    assert {"401", "403", "404"} <= set(users["get"]["responses"])
    assert users["get"]["summary"] == "One user."  # the first line of the view's docstring
    revoke = document["paths"]["/api/v1/auth/tokens/current"]["delete"]
    assert set(revoke["responses"]) == {"204", "401", "403"}  # from @documented(status=204)


def test_request_schemas_come_from_use_args(document: dict[str, Any]) -> None:
    create_user = document["paths"]["/api/v1/users"]["post"]
    reference = create_user["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    assert {"email", "name", "password", "agency_code", "roles"} <= set(schema["properties"])
    assert "422" in create_user["responses"]
    list_users = document["paths"]["/api/v1/users"]["get"]
    assert {p["name"] for p in list_users["parameters"] if p["in"] == "query"} == {"page", "per_page"}


def test_documented_adds_the_response_schema() -> None:
    from marshmallow import Schema, fields

    from casework.core.openapi import Documentation, documented

    class Thing(Schema):
        id = fields.Integer()

    @documented(response=Thing, status=201)
    def view() -> None:
        """Create a thing."""

    assert view.casework_openapi == Documentation(response=Thing, status=201)


def test_every_operation_describes_its_answer(document: dict[str, Any]) -> None:
    """Each success answer has a body schema (a 204 has no body), and each error status the Error body."""
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status == "204":
                    continue
                if "content" not in response and "$ref" not in response:
                    missing.append(f"{method.upper()} {path} {status}")
    assert not missing, "No body described for: " + ", ".join(missing)


def test_a_405_names_the_allowed_methods(client: Any) -> None:
    for path in ("/api/v1/areas", "/sign-in"):
        response = client.put(path)
        assert response.status_code == 405
        assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_the_docs_page_lists_each_endpoint(client: Any) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert page.count("<h1") == 1
    assert "/api/v1/users/{user_id}" in page
    assert "/api/v1/auth/tokens" in page
    assert "Needs a token" in page


def test_another_status_must_describe_its_own_body() -> None:
    """``also=`` once took ``(202, "description")``, documenting the 202 with the usual answer's body:
    the compilation's job was described as its draft. Every other status now says what it answers."""
    from marshmallow import Schema, fields

    from casework.core.openapi import OtherAnswer, documented

    class Thing(Schema):
        id = fields.Integer()

    with pytest.raises(TypeError, match="OtherAnswer"):
        documented(response=Thing, also=((202, "Accepted: the job."),))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="usual answer"):
        documented(response=Thing, also=(OtherAnswer(200, "The same status.", Thing),))


def test_answers_allow_keys_they_do_not_describe(document: dict[str, Any]) -> None:
    """A body may grow (optional keys beyond docs/api.md): no answer's schema refuses a key it does not list."""
    schemas = document["components"]["schemas"]
    answers = [name for name in schemas if name.endswith(("Answer", "List"))]
    assert "StatisticsJobAnswer" in answers
    refusing = [name for name in answers if schemas[name].get("additionalProperties") is False]
    assert not refusing


def test_no_operation_lists_a_path_parameter_as_a_query_parameter_too(document: dict[str, Any]) -> None:
    """A nested list shares its query schema with the top-level list (``/cases/{case_id}/actions`` and
    ``/actions?case_id=``): the filter the path already fixes is not offered as a query parameter, which
    the path would override. Walks every operation of the document."""
    doubled = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            parameters = operation.get("parameters", [])
            in_path = {p["name"] for p in parameters if p["in"] == "path"}
            in_query = {p["name"] for p in parameters if p["in"] == "query"}
            if in_path & in_query:
                doubled[f"{method.upper()} {path}"] = sorted(in_path & in_query)
    assert doubled == {}
    # The walk sees the nested lists' query parameters (their other filters are still offered).
    actions = document["paths"]["/api/v1/cases/{case_id}/actions"]["get"]["parameters"]
    assert {"status", "page"} <= {p["name"] for p in actions if p["in"] == "query"}
    # The top-level list, which reads the same schema, still offers the filter.
    every_action = document["paths"]["/api/v1/actions"]["get"]["parameters"]
    assert "case_id" in {p["name"] for p in every_action if p["in"] == "query"}
