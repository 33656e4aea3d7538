"""Every endpoint declares who may use it, and every role gets exactly what its permissions allow.

The test walks the URL map, so the endpoints each domain adds are covered without being listed here.
Dummy values fill the URL converters (ids that do not exist): an allowed role may get 404, 422 or 400,
but never 401 or 403; a role without the permission gets 403; nobody signed in gets 401 from the API
and a redirect to the sign-in page from the pages.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from casework.core.permissions import Access, Role, access_of, permissions_for
from casework.extensions import db
from tests.conftest import csrf_headers

#: Served files; they carry no access declaration and are not views.
UNDECLARED_ALLOWED = {"static", "govuk_assets.static"}
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
ANONYMOUS = "anonymous"

#: Candidate values for each URL converter, tried in order until one routes back to the same rule.
CONVERTER_VALUES: dict[str, tuple[Any, ...]] = {
    "IntegerConverter": (999999,),
    "FloatConverter": (999999.0,),
    "UUIDConverter": (uuid.UUID(int=0),),
    "PathConverter": ("NOPE", "NOPE/NOPE"),
    "UnicodeConverter": ("NOPE", "NO", "N", "NOPE-NOPE"),
}
# casework.core.routing's converters (the app's ``int``, ``string`` and ``path``) take the same values.
CONVERTER_VALUES["DatabaseIntegerConverter"] = CONVERTER_VALUES["IntegerConverter"]
CONVERTER_VALUES["StorableStringConverter"] = CONVERTER_VALUES["UnicodeConverter"]
CONVERTER_VALUES["StorablePathConverter"] = CONVERTER_VALUES["PathConverter"]


@dataclass(frozen=True)
class Endpoint:
    rule: Rule
    url: str
    access: Access

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/")


def _candidates(converter: Any) -> tuple[Any, ...]:
    name = type(converter).__name__
    if name == "AnyConverter":
        # werkzeug keeps the choices only inside the regex: "(?:a|b|c)".
        return tuple(converter.regex.removeprefix("(?:").removesuffix(")").split("|"))
    return CONVERTER_VALUES.get(name, ("NOPE", 999999))


def build_url(app: Flask, rule: Rule) -> str:
    """A URL for ``rule`` with a dummy value for each argument, checked to route back to ``rule``."""
    adapter = app.url_map.bind("localhost")
    values: dict[str, Any] = {}
    for argument in sorted(rule.arguments - set(rule.defaults or {})):
        converter = rule._converters[argument]
        for candidate in _candidates(converter):
            try:
                text = converter.to_url(candidate)
            except (ValueError, TypeError):
                continue
            if re.fullmatch(converter.regex, text):
                values[argument] = candidate
                break
        else:
            raise AssertionError(f"no dummy value for <{argument}> of {rule.rule}: add one to CONVERTER_VALUES")
    _domain, path = rule.build(values, append_unknown=False)
    method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    matched, _args = adapter.match(path, method=method)
    assert matched == rule.endpoint, f"{path} routes to {matched}, not {rule.endpoint}"
    return path


def endpoints(app: Flask) -> list[Endpoint]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNDECLARED_ALLOWED:
            continue
        access = access_of(app.view_functions[rule.endpoint])
        assert access is not None, f"{rule.endpoint} declares no access"
        found.append(Endpoint(rule, build_url(app, rule), access))
    return found


def test_every_endpoint_declares_access(app: Flask) -> None:
    undeclared = [
        f"{rule.endpoint} ({rule.rule})"
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in UNDECLARED_ALLOWED and access_of(app.view_functions[rule.endpoint]) is None
    ]
    assert not undeclared, (
        "These endpoints declare no access (add @requires(...), @signed_in or @public_endpoint): "
        + ", ".join(undeclared)
    )


def test_the_walker_finds_the_foundation_endpoints(app: Flask) -> None:
    found = {e.rule.endpoint: e for e in endpoints(app)}
    assert {"staff.dashboard.index", "staff.accounts.sign_in", "api.accounts.get_user"} <= set(found)
    assert found["api.accounts.get_user"].url == "/api/v1/users/999999"
    assert found["api.accounts.get_area"].url == "/api/v1/areas/NOPE"


class _RoleCaller:
    """Calls endpoints as one role, with a fresh session or token for every request: a call may sign the
    user out (``POST /sign-out``), sign them out everywhere (``POST /account/sign-out-everywhere``: a new
    session stamp, read again before each call) or revoke its token (``DELETE /api/v1/auth/tokens/current``)."""

    def __init__(self, app: Flask, user: Any, page_client: Any) -> None:
        self.app = app
        self.user = user
        self.page_client = page_client

    def call(self, endpoint: Endpoint, method: str) -> Any:
        from casework.accounts.services import issue_token
        from casework.core.db import commit

        if endpoint.is_api:
            headers = {}
            if self.user is not None:
                token, _row = issue_token(self.user, 1)
                commit()
                headers["Authorization"] = f"Bearer {token}"
            body = {"json": {}} if method in {"POST", "PATCH", "PUT"} else {}
            return self.app.test_client().open(endpoint.url, method=method, headers=headers, **body)
        if self.user is not None:
            db.session.refresh(self.user)
            client = self.page_client(self.user)
        else:
            client = self.app.test_client()
            client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, self.app)["X-CSRFToken"]
        body = {"data": {}} if method in {"POST", "PATCH", "PUT"} else {}
        return client.open(endpoint.url, method=method, **body)


def _problem(endpoint: Endpoint, method: str, role: str, access: Access, response: Any) -> str | None:
    status = response.status_code
    label = f"{method} {endpoint.url} ({endpoint.rule.endpoint}) as {role}: {status}"
    if status >= 500:
        return f"{label}: server error"
    if role == ANONYMOUS:
        if endpoint.is_api:
            return None if status == 401 else f"{label}: expected 401"
        location = response.headers.get("Location", "")
        if status in (301, 302, 303, 307, 308) and location.split("?")[0].endswith("/sign-in"):
            return None
        return f"{label}: expected a redirect to /sign-in, got Location {location!r}"
    allowed = bool(access.permissions & permissions_for([role]))
    if allowed and status in (401, 403):
        return f"{label}: the role holds {sorted(access.permissions & permissions_for([role]))} but was refused"
    if not allowed and status != 403:
        return f"{label}: the role lacks {sorted(access.permissions)} and should get 403"
    return None


@pytest.mark.parametrize("role", [*(r.value for r in Role), ANONYMOUS])
def test_every_endpoint_answers_each_role_as_its_access_declares(
    app: Flask, make: Any, page_client: Any, role: str
) -> None:
    user = None
    if role != ANONYMOUS:
        area = make.area()
        user = make.user([role], agency=make.agency(areas=[area]))
    caller = _RoleCaller(app, user, page_client)

    problems = []
    checked = 0
    for endpoint in endpoints(app):
        if endpoint.access.public:
            continue
        for method in sorted(endpoint.rule.methods & set(METHODS)):
            try:
                response = caller.call(endpoint, method)
            except Exception as error:  # reported with the endpoint that raised it
                problems.append(f"{method} {endpoint.url} ({endpoint.rule.endpoint}) as {role}: raised {error!r}")
                continue
            checked += 1
            problem = _problem(endpoint, method, role, endpoint.access, response)
            if problem:
                problems.append(problem)
    assert checked > 0
    assert not problems, "\n".join(problems)


def test_an_undeclared_view_is_refused(
    app: Flask, make: Any, page_client: Any, api_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deny by default: a view that declares nothing is refused, even to a role that could use it."""

    def undeclared() -> str:
        return "should never be served"

    monkeypatch.setitem(app.view_functions, "staff.dashboard.index", undeclared)
    monkeypatch.setitem(app.view_functions, "api.accounts.me", undeclared)
    user = make.user(["officer", "admin"])
    assert page_client(user).get("/").status_code == 403
    assert api_client(user).get("/api/v1/me").status_code == 403
