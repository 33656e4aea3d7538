"""The API described from its own routes: ``GET /api/v1/openapi.json`` (OpenAPI 3.0) and ``GET /api/v1/docs``.

Built at request time from the app's ``api.*`` URL rules, so every endpoint a domain adds appears with
its method, path, path parameters, summary (the first line of the view's docstring) and whether it
needs a token. Request bodies and query strings come from the schemas given to
``casework.core.webargs.use_args``. A view may say more with ``@documented(response=Schema, status=201)``;
nothing else is required.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, jsonify, render_template
from marshmallow import INCLUDE, Schema, fields
from werkzeug.routing import Rule

from casework.core.inputs import DB_INT_MAX
from casework.core.permissions import access_of, public_endpoint

bp = Blueprint("openapi", __name__)

F = TypeVar("F", bound=Callable[..., Any])
DOCUMENTED_ATTR = "casework_openapi"
#: Set by casework.core.webargs.use_args: [(schema, location), ...]
INPUTS_ATTR = "casework_openapi_inputs"
API_PREFIX = "/api/v1"
METHODS = ("get", "post", "put", "patch", "delete")
CONVERTER_TYPES = {"IntegerConverter": "integer", "FloatConverter": "number", "UUIDConverter": "string"}
ERROR_RESPONSES = {
    "401": "Not signed in: no token, or an expired or revoked one.",
    "403": "The token's user does not have the permission this endpoint needs.",
    "404": "Not found, or not visible to you.",
    "409": "The record changed since you read it; or, for a POST, the same change was being saved at the same "
    "moment, or a request with the same `Idempotency-Key` is still being answered.",
    "422": "Invalid input, or a rule that blocks the action (the field `_rule`); or an `Idempotency-Key` that is "
    "empty, too long, or was sent before with a different request (the field `Idempotency-Key`).",
    "429": "Too many attempts: wait (see `Retry-After`) and try again.",
    "500": "The work failed on the service's side (`message` says so): try again.",
}


#: The optional request header of every POST made with a token (``casework.core.submissions``).
IDEMPOTENCY_KEY = (
    "Idempotency-Key",
    "Optional: a value of your own, 1 to 255 characters, new for each new request. Sent again with the same "
    "request (method, path, query and body), it answers what the first answered and saves nothing; with a "
    "different request it answers `422`; while the first is still being answered, `409`.",
    "8e03978e-40d5-43e8-bc93-6894a57f9324",
)


def takes_idempotency_key(method: str, needs_token: bool) -> bool:
    """Whether an operation reads ``Idempotency-Key``: a POST by a signed-in user (a public POST, such as
    asking for a token, has no user to keep the key for)."""
    return method == "post" and needs_token


@dataclass(frozen=True)
class Header:
    """A header an answer carries, in the document (``Location``, ``Retry-After``)."""

    name: str
    description: str
    #: True: sent with every answer of its status; false: only in some states (say which).
    required: bool = True
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})

    def to_dict(self) -> dict[str, Any]:
        return {"description": self.description, "required": self.required, "schema": self.schema}


@dataclass(frozen=True)
class OtherAnswer:
    """A success answer besides the view's usual one, with its own body and headers: the job of
    ``Prefer: respond-async`` or of a compilation that continues later (a ``202``) where the endpoint
    otherwise answers the result."""

    status: int
    description: str
    response: type[Schema] | Schema | dict[str, Any]
    headers: tuple[Header, ...] = ()


@dataclass(frozen=True)
class Documentation:
    response: type[Schema] | Schema | dict[str, Any] | None = None
    status: int = 200
    many: bool = False
    description: str | None = None
    #: Error statuses beyond those every operation of its kind may answer (see ``_error_codes``).
    errors: tuple[int, ...] = ()
    #: Other success statuses, each with the body and headers it really has (a 202 for work that
    #: continues later answers a job, not the result).
    also: tuple[OtherAnswer, ...] = ()
    #: Optional request headers the view reads: (name, description, an example value).
    headers: tuple[tuple[str, str, str], ...] = ()
    #: Headers of the usual answer (``status``).
    response_headers: tuple[Header, ...] = ()


def documented(
    *,
    response: type[Schema] | Schema | dict[str, Any] | None = None,
    status: int = 200,
    many: bool = False,
    description: str | None = None,
    errors: tuple[int, ...] = (),
    also: tuple[OtherAnswer, ...] = (),
    headers: tuple[tuple[str, str, str], ...] = (),
    response_headers: tuple[Header, ...] = (),
) -> Callable[[F], F]:
    """Describe a view's answer in the OpenAPI document.

    ``many=True`` for a paginated list: the body is ``{"items": [...], "page", "per_page", "total"}``.
    ``errors`` adds error statuses the view answers beyond its kind's (``_error_codes``); ``also``
    adds other success statuses, each an ``OtherAnswer`` describing its own body and headers.
    ``headers`` names the optional request headers the view reads (``Prefer``); ``response_headers``
    the headers of the usual answer.
    """
    for other in also:
        # A status described by another's body was how a 202 came to promise the 200's draft: every
        # other status says what it answers (tests/core/test_openapi_answers.py checks it against the
        # real answer).
        if not isinstance(other, OtherAnswer):
            raise TypeError(f"also= takes OtherAnswer(status, description, response), not {other!r}")
        if other.status == status:
            raise ValueError(f"{status} is the usual answer; also= is for the other statuses")

    def decorate(view: F) -> F:
        setattr(
            view,
            DOCUMENTED_ATTR,
            Documentation(response, status, many, description, errors, also, headers, response_headers),
        )
        return view

    return decorate


def record_input(view: Callable[..., Any], schema: Any, location: str) -> None:
    """Called by ``use_args``: remember what the view reads, for the document."""
    inputs = list(getattr(view, INPUTS_ATTR, []))
    inputs.append((schema, location))
    setattr(view, INPUTS_ATTR, inputs)


class Answer(Schema):
    """Base of the schemas that describe what an endpoint answers (``@documented(response=...)``).

    They describe, they do not dump: the views build their bodies with the domains' ``dump_*``
    functions, and the schemathesis run (tests/core/test_api_fuzz.py) checks every answer against
    these descriptions. Keys not described are allowed (``additionalProperties``): a body may grow.
    """

    class Meta:
        ordered = True
        # How apispec says "keys not described are allowed" (``additionalProperties: true``); with
        # marshmallow's default (RAISE) it wrote ``false``, refusing the optional keys the bodies carry
        # (a case's ``opened_on``, the report's optional figures). These schemas never load anything.
        unknown = INCLUDE


def list_answer(item: type[Schema], name: str) -> type[Answer]:
    """The answer of an unpaginated list, ``{"items": [...]}``, named ``name`` in the document (a
    paginated list is ``@documented(response=Item, many=True)``)."""
    answer = Answer.from_dict({"items": fields.List(fields.Nested(item), required=True)}, name=name)
    return cast("type[Answer]", answer)


def nullable(field: Any) -> Any:
    """``field``, which may also be null."""
    field.allow_none = True
    return field


# --- building the document ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI style: /api/v1/users/{user_id}
    endpoint: str
    summary: str
    description: str
    needs_token: bool
    parameters: tuple[tuple[str, str], ...]  # (name, OpenAPI type)
    inputs: tuple[tuple[Any, str], ...]
    documentation: Documentation | None

    @property
    def tag(self) -> str:
        first = self.path.removeprefix(API_PREFIX).strip("/").split("/")[0]
        return first or "api"


def _openapi_path(rule: Rule) -> tuple[str, tuple[tuple[str, str], ...]]:
    parameters = []
    for name in re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule.rule):
        converter = rule._converters.get(name)
        kind = next((t for cls in type(converter).__mro__ if (t := CONVERTER_TYPES.get(cls.__name__))), "string")
        parameters.append((name, kind))
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), tuple(parameters)


def api_operations(app: Flask) -> list[Operation]:
    operations = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in {"api.openapi.docs"}:
            continue
        view = app.view_functions[rule.endpoint]
        access = access_of(view)
        doc = inspect.getdoc(view) or ""
        summary, _, description = doc.partition("\n")
        path, parameters = _openapi_path(rule)
        for method in sorted(m.lower() for m in rule.methods or ()):
            if method not in METHODS:
                continue
            operations.append(
                Operation(
                    method=method,
                    path=path,
                    endpoint=rule.endpoint,
                    summary=summary.strip() or rule.endpoint.rsplit(".", 1)[-1].replace("_", " ").capitalize(),
                    description=description.strip(),
                    needs_token=not (access is not None and access.public),
                    parameters=parameters,
                    inputs=tuple(getattr(view, INPUTS_ATTR, ())),
                    documentation=getattr(view, DOCUMENTED_ATTR, None),
                )
            )
    return sorted(operations, key=lambda op: (op.path, METHODS.index(op.method)))


def _schema_name(schema: Any) -> str:
    """Component names qualified by domain: two domains may both have a ``ComplaintArgs``."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema") or cls.__name__
    parts = cls.__module__.split(".")
    if len(parts) > 1 and parts[0] == "casework" and parts[1] != "core":
        domain = "".join(word.capitalize() for word in parts[1].split("_"))
        if not name.startswith(domain.rstrip("s")):
            name = f"{domain}{name}"
    return name


def _path_schema(kind: str) -> dict[str, Any]:
    if kind == "integer":
        # An id: the database's INTEGER range; beyond it the answer is 404.
        return {"type": "integer", "minimum": 0, "maximum": DB_INT_MAX}
    return {"type": kind}


def _operation_object(spec: APISpec, op: Operation) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": op.endpoint.removeprefix("api.").replace(".", "_") + f"_{op.method}",
        "summary": op.summary,
        "tags": [op.tag],
        "security": [{"bearerAuth": []}] if op.needs_token else [],
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": _path_schema(kind)} for name, kind in op.parameters
        ],
    }
    if op.description:
        operation["description"] = op.description
    headers = list(op.documentation.headers) if op.documentation else []
    if takes_idempotency_key(op.method, op.needs_token):
        headers.append(IDEMPOTENCY_KEY)
    for name, description, example in headers:
        operation["parameters"].append(
            {
                "name": name,
                "in": "header",
                "required": False,
                "description": description,
                # Any value: a preference the server does not know is ignored (RFC 7240), never refused;
                # an Idempotency-Key it cannot take is a 422, which every POST may answer. A length in the
                # schema would make a fuzzer's key of 256 characters, quotes included, "invalid" input the
                # service rightly takes.
                "schema": {"type": "string"},
                "example": example,
            }
        )
    for schema, location in op.inputs:
        if location in {"json", "json_or_form", "form"}:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        elif location == "query":
            operation["parameters"].append({"in": "query", "schema": _without_path_parameters(schema, op)})

    responses: dict[str, Any] = {}
    doc = op.documentation
    # Without a declaration: a POST to a collection creates (201), any other call answers 200.
    status = str(doc.status if doc else (201 if op.method == "post" and not op.parameters else 200))
    success: dict[str, Any] = {"description": (doc.description if doc and doc.description else "Success.")}
    if doc and doc.response is not None:
        body: Any = doc.response
        if doc.many:
            body = {
                "type": "object",
                "required": ["items", "page", "per_page", "total"],
                "properties": {
                    "items": {"type": "array", "items": doc.response},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "total": {"type": "integer"},
                },
            }
        success["content"] = {"application/json": {"schema": body}}
    if doc and doc.response_headers:
        success["headers"] = {header.name: header.to_dict() for header in doc.response_headers}
    responses[status] = success
    for other in doc.also if doc else ():
        responses[str(other.status)] = {
            "description": other.description,
            "headers": {header.name: header.to_dict() for header in other.headers},
            "content": {"application/json": {"schema": other.response}},
        }
    for code in sorted(_error_codes(op)):
        responses[code] = {"$ref": f"#/components/responses/Error{code}"}
    operation["responses"] = responses
    return operation


def _without_path_parameters(schema: Any, op: Operation) -> Any:
    """A query schema without the fields the path already names: a nested list shares the query schema
    of its top-level list (``/cases/{case_id}/actions`` reads ``/actions``'s, with its ``case_id``
    filter), and the id in the path overrides such a filter, so offering it would be a parameter that
    does nothing (and the same name twice in one operation)."""
    instance = schema() if isinstance(schema, type) else schema
    in_path = {name for name, _kind in op.parameters}
    doubled = tuple(name for name, item in instance.fields.items() if (item.data_key or name) in in_path)
    if not doubled:
        return schema
    return type(instance)(exclude=(*instance.exclude, *doubled), only=instance.only, partial=instance.partial)


def _has_field(schema: Any, name: str) -> bool:
    instance = schema() if isinstance(schema, type) else schema
    return name in getattr(instance, "fields", {})


def _error_codes(op: Operation) -> set[str]:
    """Every error status the operation can answer.

    - 401 and 403 for anything that needs a token: no or a bad token; a role without the permission,
      or a record the role may see but not change.
    - 404 for a record in the path that is missing or hidden, or one named by a body or a filter.
    - 422 for any input (a body, a query string, a value in the path), or a rule that blocks a change.
    - 409 for a change that carries the ``version`` it was based on, and for a POST with a token (the
      same change saved at the same moment; its ``Idempotency-Key`` still being answered).
    - whatever the view declares with ``@documented(errors=...)`` (429 for sign-in attempts).
    """
    codes: set[int] = set(op.documentation.errors) if op.documentation else set()
    if op.needs_token:
        codes |= {401, 403}
    if op.parameters or (op.needs_token and op.inputs):
        codes.add(404)
    if op.inputs or op.parameters or op.method in {"post", "patch", "put"}:
        codes.add(422)
    if (
        op.method in {"patch", "put"}
        or takes_idempotency_key(op.method, op.needs_token)
        or any(_has_field(schema, "version") for schema, _ in op.inputs)
    ):
        codes.add(409)
    return {str(code) for code in codes}


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="Casework API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={
            "description": "Cases, Community Trigger (ASB Case Review) applications and statistics for partner "
            "systems. Send `Authorization: Bearer <token>`; get a token from `POST /api/v1/auth/tokens`."
        },
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "properties": {
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Messages by field; `_rule` for a rule that blocks the action.",
                },
                "message": {"type": "string"},
            },
        },
    )
    for code, description in ERROR_RESPONSES.items():
        spec.components.response(
            f"Error{code}", {"description": description, "content": {"application/json": {"schema": "Error"}}}
        )
    by_path: dict[str, dict[str, Any]] = {}
    for op in api_operations(app):
        by_path.setdefault(op.path, {})[op.method] = _operation_object(spec, op)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _cached(app: Flask) -> dict[str, Any]:
    # The URL map does not change once the app serves requests; build the document once per app.
    if "casework_openapi" not in app.extensions:
        app.extensions["casework_openapi"] = build_spec(app)
    spec: dict[str, Any] = app.extensions["casework_openapi"]
    return spec


@bp.get("/openapi.json")
@public_endpoint
@documented(response={"type": "object", "required": ["openapi", "info", "paths"]})
def openapi_json() -> Response:
    """The OpenAPI 3 document of this API."""
    return jsonify(_cached(current_app._get_current_object()))  # type: ignore[attr-defined]


@bp.get("/docs")
@public_endpoint
def docs() -> str:
    """A page listing every endpoint of this API."""
    operations = api_operations(current_app)
    groups: dict[str, list[Operation]] = {}
    for op in operations:
        groups.setdefault(op.tag, []).append(op)
    return render_template("api/docs.html", groups=groups, api_prefix=API_PREFIX)
