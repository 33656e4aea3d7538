"""Check a real answer of the API against what the OpenAPI document says of its operation and status:
the status is documented, the body matches the status's schema, the headers it requires are sent and
every documented header that is sent matches its schema."""

from __future__ import annotations

from typing import Any

from flask import Flask
from openapi_schema_validator import OAS30Validator
from werkzeug.test import TestResponse

from casework.core.openapi import _openapi_path, build_spec


class DocumentedAnswers:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.document = build_spec(app)
        # Each answer's schema is validated with the components beside it, so its $refs resolve.
        self._components = {"components": self.document["components"]}

    def operation_of(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        """The document's path (``/api/v1/statistics/jobs/{job_id}``) and operation a request reaches."""
        adapter = self.app.url_map.bind("localhost")
        rule, _arguments = adapter.match(path.split("?", 1)[0], method.upper(), return_rule=True)
        documented_path, _parameters = _openapi_path(rule)
        return documented_path, self.document["paths"][documented_path][method.lower()]

    def problems(self, method: str, path: str, response: TestResponse) -> list[str]:
        documented_path, operation = self.operation_of(method, path)
        where = f"{method.upper()} {documented_path} {response.status_code}"
        answer = operation["responses"].get(str(response.status_code))
        if answer is None:
            return [f"{where}: the status is not documented"]
        if "$ref" in answer:
            answer = self._resolve(answer["$ref"])
        problems = []
        for name, header in answer.get("headers", {}).items():
            value = response.headers.get(name)
            if value is None:
                if header.get("required"):
                    problems.append(f"{where}: the required header {name} is missing")
                continue
            if header["schema"].get("type") == "integer":
                if not value.isdigit():
                    problems.append(f"{where}: header {name} is {value!r}, not a whole number")
                    continue
                value = int(value)
            problems += [f"{where}: header {name}: {e.message}" for e in self._errors(header["schema"], value)]
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            body = response.get_json(silent=True)
            problems += [
                f"{where}: body at {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                for e in self._errors(schema, body)
            ]
        return problems

    def _errors(self, schema: dict[str, Any], value: Any) -> list[Any]:
        return list(OAS30Validator({**schema, **self._components}).iter_errors(value))

    def _resolve(self, reference: str) -> dict[str, Any]:
        found: Any = self.document
        for part in reference.removeprefix("#/").split("/"):
            found = found[part]
        return found
