"""Bad input never gets a 5xx and never writes anything, whichever endpoint or page it is sent to.

Each test walks the URL map (or every input schema, or every form class), so an endpoint, schema or
form added later is covered without being listed: ids beyond the database's integer range, NUL
characters and lone surrogates in any string, JSON nested 100,000 deep, implausible dates, and the
same bad strings typed into every field of every page form.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from marshmallow import fields

from casework.core.fields import EventDate, EventDateTime, PlannedDate
from casework.core.openapi import INPUTS_ATTR
from casework.core.webargs import NO_BODY_MESSAGE, duplicate_key_message
from tests.support.walk import World, call, changed_tables, table_digest
from tests.test_permissions import endpoints

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
BIG_IDS = (2**31, 99_999_999_999)


def _api_endpoints(app: Flask) -> list[Any]:
    return [e for e in endpoints(app) if e.is_api and not e.access.public]


def _problems_of(label: str, response: Any, before: dict[str, str], after: dict[str, str]) -> list[str]:
    problems = []
    if response.status_code >= 500:
        problems.append(f"{label}: {response.status_code}")
    if changed := changed_tables(before, after):
        problems.append(f"{label}: wrote to {changed}")
    return problems


def test_ids_beyond_the_integer_range_are_404_everywhere(app: Flask, world: World) -> None:
    """``GET /api/v1/cases/99999999999`` and every other path with an id, for every method."""
    problems, checked = [], 0
    for endpoint in endpoints(app):
        int_args = [a for a in endpoint.rule.arguments if f"<int:{a}>" in endpoint.rule.rule]
        if not int_args or endpoint.access.public:
            continue
        for big in BIG_IDS:
            url = endpoint.url.replace("/999999", f"/{big}")
            for method in sorted(endpoint.rule.methods & {"GET", *WRITE_METHODS}):
                before = table_digest()
                response = call(app, world, url, method, None, endpoint.is_api)
                checked += 1
                if response.status_code != 404:
                    problems.append(f"{method} {url}: {response.status_code}, expected 404")
                problems += _problems_of(f"{method} {url}", response, before, table_digest())
    assert checked > 50
    assert not problems, "\n".join(problems)


def test_huge_page_numbers_are_refused_or_empty(app: Flask, world: World) -> None:
    problems = []
    for endpoint in endpoints(app):
        if "GET" not in endpoint.rule.methods or endpoint.access.public or "<" in endpoint.rule.rule:
            continue
        for page in ("99999999999", "2147483647"):
            response = call(app, world, f"{endpoint.url}?page={page}", "GET", None, endpoint.is_api)
            if response.status_code >= 500:
                problems.append(f"GET {endpoint.url}?page={page}: {response.status_code}")
    assert not problems, "\n".join(problems)


#: Beyond any integer the database, its driver or ``date()`` takes; and a digit ``int()`` refuses ("²").
HUGE = "99999999999999999999"
NOT_ASCII_DIGIT = "\u00b2"
#: Query parameters the pages read as numbers or ids (the API's come from its schemas).
PAGE_NUMBER_PARAMETERS = ("page", "job", "incident", "owner", "team", "case_ids", "per_page")


def _query_fields(app: Flask, endpoint: Any) -> list[str]:
    inputs = getattr(app.view_functions[endpoint.rule.endpoint], INPUTS_ATTR, ())
    return [name for schema, location in inputs if location == "query" for name in _schema_of(schema).fields]


def _schema_of(schema: Any) -> Any:
    return schema() if isinstance(schema, type) else schema


def _caller(app: Flask, world: World, make: Any) -> Any:
    """Calls a GET as ``world.me``, or as an administrator for the admin's endpoints."""
    from casework.accounts.services import issue_token
    from casework.core.permissions import Permission

    admin = make.user("admin")
    admin_token, _row = issue_token(admin, 1)

    def get(endpoint: Any, url: str) -> Any:
        if Permission.ADMINISTER not in endpoint.access.permissions:
            return call(app, world, url, "GET", None, endpoint.is_api)
        if endpoint.is_api:
            return app.test_client().get(url, headers={"Authorization": f"Bearer {admin_token}"})
        return app.test_client(user=admin).get(url)

    return get


def test_huge_numbers_in_any_query_parameter_are_not_a_server_error(app: Flask, world: World, make: Any) -> None:
    """Every list and page, with a number beyond any database integer (or a digit ``int()`` refuses) in
    each parameter it reads as a number or id: the API's are its query schema's fields, so a filter added
    later is walked too. An API page beyond ``MAX_PAGE`` is a 422 naming ``page``; a page view shows its
    last possible page (an empty one)."""
    get = _caller(app, world, make)
    problems, checked = [], 0
    for endpoint in endpoints(app):
        if "GET" not in endpoint.rule.methods or endpoint.access.public or "<" in endpoint.rule.rule:
            continue
        names = _query_fields(app, endpoint) if endpoint.is_api else list(PAGE_NUMBER_PARAMETERS)
        for name in names:
            for value in (HUGE, NOT_ASCII_DIGIT):
                url = f"{endpoint.url}?{name}={quote(value)}"
                response = get(endpoint, url)
                checked += 1
                if response.status_code >= 500:
                    problems.append(f"GET {url}: {response.status_code}")
                elif endpoint.is_api and name == "page" and response.status_code != 422:
                    problems.append(f"GET {url}: {response.status_code}, expected 422")
                elif endpoint.is_api and name == "page" and "page" not in response.json["errors"]:
                    problems.append(f"GET {url}: {response.json}, expected an error on page")
    assert checked > 200
    assert not problems, "\n".join(problems)


def test_huge_numbers_in_every_field_of_a_search_page_are_not_a_server_error(
    app: Flask, world: World, make: Any
) -> None:
    """Every page read with GET, sent back with a huge number in each of its inputs (the search forms
    read from the query string: the audit log's dates, the case list's filters): never a 5xx."""
    get = _caller(app, world, make)
    problems, pages = [], 0
    for endpoint in endpoints(app):
        if endpoint.is_api or "GET" not in endpoint.rule.methods or endpoint.access.public or "<" in endpoint.rule.rule:
            continue
        page = get(endpoint, endpoint.url)
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        names = _field_names(page.get_data(as_text=True))
        if not names:
            continue
        pages += 1
        url = f"{endpoint.url}?" + "&".join(f"{quote(name)}={HUGE}" for name in names)
        response = get(endpoint, url)
        if response.status_code >= 500:
            problems.append(f"GET {url}: {response.status_code}")
    assert pages > 10
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("what", "body"),
    [
        ("a NUL character", b'{"name": "a\\u0000@x.example", "email": "a\\u0000@x.example", "text": "\\u0000"}'),
        ("a lone surrogate", b'{"name": "\\ud800", "email": "a\\udfff@x.example", "text": "\\udc00"}'),
        ("a NUL in a key", b'{"na\\u0000me": "x"}'),
        ("JSON nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000),
        ("an integer of 5,000 digits", b'{"version": ' + b"9" * 5000 + b"}"),
        ("ids beyond the integer range", b'{"case_id": 99999999999, "person_id": 99999999999, "version": 2147483648}'),
        ("not JSON", b'{"name": '),
    ],
)
def test_bad_json_is_422_at_every_api_endpoint(app: Flask, world: World, what: str, body: bytes) -> None:
    """Every API endpoint that takes a body refuses it with 422 (or 404 for a missing record in its
    path), signed in and not: the sign-in endpoint included (``POST /api/v1/auth/tokens``)."""
    problems, checked = [], 0
    for endpoint in endpoints(app):
        inputs = getattr(app.view_functions[endpoint.rule.endpoint], INPUTS_ATTR, ())
        if not endpoint.is_api or not any(location == "json" for _schema, location in inputs):
            continue  # a view without a body schema never reads the body
        for method in sorted(endpoint.rule.methods & WRITE_METHODS):
            before = table_digest()
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {world.token}"}
            response = app.test_client().open(endpoint.url, method=method, data=body, headers=headers)
            checked += 1
            label = f"{method} {endpoint.url} with {what}"
            if response.status_code not in (401, 403, 404, 422):
                problems.append(f"{label}: {response.status_code} {response.get_data(as_text=True)[:200]}")
            problems += _problems_of(label, response, before, table_digest())
    assert checked > 40
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("what", "body", "message"),
    [
        ("a key given twice", b'{"name": "First", "name": "Second"}', duplicate_key_message("name")),
        (
            "a key given twice in a nested object",
            b'{"applicant": {"name": "First", "name": "Second"}}',
            duplicate_key_message("name"),
        ),
        ("an empty body declared as JSON", b"", NO_BODY_MESSAGE),
    ],
)
def test_a_body_read_two_ways_is_422_naming_why_at_every_api_endpoint(
    app: Flask, world: World, what: str, body: bytes, message: str
) -> None:
    """A key given twice (the standard parser keeps the last silently, so whatever checked the first
    was not what is written) and an empty body sent as JSON (webargs reads it as an empty object: a
    PATCH of nothing, which writes a new version) are refused by the one parser every API body goes
    through, at every endpoint that reads a body, before anything else about the body is checked. The
    signed-in user's own account is the path where one is needed, so the body is what is refused."""
    problems, checked, refused = [], 0, 0
    for endpoint in endpoints(app):
        inputs = getattr(app.view_functions[endpoint.rule.endpoint], INPUTS_ATTR, ())
        if not endpoint.is_api or not any(location == "json" for _schema, location in inputs):
            continue
        url = endpoint.url.replace("/users/999999", f"/users/{world.me.id}").replace(
            "/actions/999999", f"/actions/{world.action}"
        )
        for method in sorted(endpoint.rule.methods & WRITE_METHODS):
            before = table_digest()
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {world.token}"}
            response = app.test_client().open(url, method=method, data=body, headers=headers)
            checked += 1
            label = f"{method} {url} with {what}"
            if response.status_code == 422 and message in response.json["errors"].get("_rule", []):
                refused += 1
            elif response.status_code not in (401, 403, 404):
                problems.append(f"{label}: {response.status_code} {response.get_data(as_text=True)[:200]}")
            problems += _problems_of(label, response, before, table_digest())
    assert checked > 40
    assert refused > 40
    assert not problems, "\n".join(problems)


def test_a_key_given_twice_changes_nothing_where_the_last_one_would_be_taken(api_client: Any, make: Any) -> None:
    admin = make.user("admin")
    officer = make.user("officer", name="Olive Original")
    before = api_client(admin).get(f"/api/v1/users/{officer.id}").json
    response = api_client(admin).patch(
        f"/api/v1/users/{officer.id}",
        data=b'{"name": "Olive Original", "name": "Someone Else"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json["errors"]["_rule"] == [duplicate_key_message("name")]
    empty = api_client(admin).patch(
        f"/api/v1/users/{officer.id}", data=b"", headers={"Content-Type": "application/json"}
    )
    assert empty.status_code == 422
    assert empty.json["errors"]["_rule"] == [NO_BODY_MESSAGE]
    assert api_client(admin).get(f"/api/v1/users/{officer.id}").json == before


def test_the_sign_in_endpoint_refuses_a_nul_as_input(client: Any) -> None:
    response = client.post("/api/v1/auth/tokens", json={"email": "a\u0000@x.example", "password": "x" * 12})
    assert response.status_code == 422
    assert response.json["errors"]["email"]


def test_bad_query_strings_are_refused(app: Flask, world: World) -> None:
    problems = []
    for endpoint in endpoints(app):
        if "GET" not in endpoint.rule.methods or endpoint.access.public:
            continue
        for query in ("q=%00", "area=%00", "status=%ED%A0%80", "page=-1", "per_page=99999999999"):
            response = call(app, world, f"{endpoint.url}?{query}", "GET", None, endpoint.is_api)
            if response.status_code >= 500:
                problems.append(f"GET {endpoint.url}?{query}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_a_nul_in_a_path_value_is_404(app: Flask, world: World) -> None:
    for url in ("/api/v1/areas/A%00B", "/admin/agencies/X%00"):
        assert call(app, world, url, "GET", None, url.startswith("/api/")).status_code in (403, 404)


# --- dates -----------------------------------------------------------------------------------------------


def _date_fields(schema: Any, prefix: str = "") -> list[tuple[str, Any]]:
    schema = schema() if isinstance(schema, type) else schema
    found = []
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            found += _date_fields(inner.schema, f"{prefix}{name}.")
        elif isinstance(inner, fields.Date):
            found.append((prefix + name, inner))
    return found


def test_every_date_in_an_api_body_is_an_event_or_a_planned_date(app: Flask) -> None:
    plain = []
    for endpoint in endpoints(app):
        for schema, _location in getattr(app.view_functions[endpoint.rule.endpoint], INPUTS_ATTR, ()):
            plain += [
                f"{endpoint.rule.endpoint}: {path}"
                for path, field in _date_fields(schema)
                if not isinstance(field, EventDate | PlannedDate)
            ]
    assert not plain, "Use casework.core.fields.EventDate or PlannedDate for: " + ", ".join(sorted(set(plain)))


@pytest.mark.parametrize(
    "value",
    # The last two are 5 January 2026 written otherwise than YYYY-MM-DD (docs/api.md), which
    # ``date.fromisoformat`` reads: the compact form and the ISO week date.
    ["9999-12-31", "0001-01-01", "1899-12-31", "2100-01-01", "20260105", "2026-W02-1"],
)
def test_implausible_dates_are_refused_by_every_api_schema(app: Flask, world: World, make: Any, value: str) -> None:
    """Each date field of each API body, sent alone with an implausible date, is named in the 422."""
    from casework.accounts.services import issue_token
    from casework.core.permissions import Permission

    admin_token, _row = issue_token(make.user("admin"), 1)
    problems = []
    for endpoint in endpoints(app):
        if not endpoint.is_api:
            continue
        for schema, location in getattr(app.view_functions[endpoint.rule.endpoint], INPUTS_ATTR, ()):
            for path, field in _date_fields(schema):
                if isinstance(field, EventDate) and value == "2100-01-01":
                    continue  # covered by "not in the future" below
                body: Any = value
                for part in reversed(path.split(".")):
                    body = {part: body} if not part.isdigit() else [body]
                method = sorted(endpoint.rule.methods & ({"GET"} if location == "query" else WRITE_METHODS))[0]
                url = endpoint.url
                if location == "query":
                    url, body = f"{url}?{path}={value}", None
                token = admin_token if Permission.ADMINISTER in endpoint.access.permissions else world.token
                headers = {"Authorization": f"Bearer {token}"}
                response = app.test_client().open(url, method=method, json=body, headers=headers)
                errors = (response.get_json(silent=True) or {}).get("errors", {})
                if response.status_code != 404 and not any(key.startswith(path.split(".")[0]) for key in errors):
                    problems.append(f"{method} {endpoint.url} {path}={value}: {response.status_code} {errors}")
    assert not problems, "\n".join(problems)


def _time_fields(schema: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for name, field in _schema_of(schema).fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            found += _time_fields(inner.schema, f"{prefix}{name}.")
        elif isinstance(inner, fields.DateTime) and not isinstance(inner, fields.Date):
            found.append((prefix + name, inner))
    return found


def test_every_time_in_an_api_body_is_an_event_time(app: Flask) -> None:
    plain, seen = [], 0
    for endpoint in endpoints(app):
        for schema, _location in getattr(app.view_functions[endpoint.rule.endpoint], INPUTS_ATTR, ()):
            for path, field in _time_fields(schema):
                seen += 1
                if not isinstance(field, EventDateTime):
                    plain.append(f"{endpoint.rule.endpoint}: {path}")
    assert seen >= 3  # issued_at, extended_at, reviewed_at
    assert not plain, "Use casework.core.fields.EventDateTime for: " + ", ".join(sorted(set(plain)))


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+00:00",
        "0001-01-01T00:30:00+01:00",
        "1899-12-31T23:59:59+00:00",
        "9999-12-31T23:59:59-01:00",
    ],
)
def test_implausible_times_are_refused_by_every_api_schema(app: Flask, world: World, make: Any, value: str) -> None:
    """Each time field of each API body, sent alone with an implausible time, is named in a 422 (the time
    in year 1 used to overflow turning it into a London day: a 500)."""
    from casework.accounts.services import issue_token
    from casework.core.permissions import Permission

    admin_token, _row = issue_token(make.user("admin"), 1)
    problems, checked = [], 0
    for endpoint in endpoints(app):
        if not endpoint.is_api:
            continue
        for schema, location in getattr(app.view_functions[endpoint.rule.endpoint], INPUTS_ATTR, ()):
            for path, _field in _time_fields(schema):
                body: Any = value
                for part in reversed(path.split(".")):
                    body = {part: body} if not part.isdigit() else [body]
                method = sorted(endpoint.rule.methods & ({"GET"} if location == "query" else WRITE_METHODS))[0]
                url = endpoint.url
                if location == "query":
                    url, body = f"{url}?{path}={quote(value)}", None
                token = admin_token if Permission.ADMINISTER in endpoint.access.permissions else world.token
                before = table_digest()
                response = app.test_client().open(
                    url, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
                )
                checked += 1
                errors = (response.get_json(silent=True) or {}).get("errors", {})
                if response.status_code != 404 and not any(key.startswith(path.split(".")[0]) for key in errors):
                    problems.append(f"{method} {endpoint.url} {path}={value}: {response.status_code} {errors}")
                problems += _problems_of(f"{method} {endpoint.url} {path}={value}", response, before, table_digest())
    assert checked >= 3
    assert not problems, "\n".join(problems)


def test_a_time_of_service_in_year_one_is_refused_on_a_real_case(api_client: Any, world: World) -> None:
    """The walk above may stop at a 404 for a path's record: this one reaches the field on a case."""
    response = api_client(world.me).post(
        f"/api/v1/cases/{world.my_case}/interventions",
        json={
            "kind": "warning_letter",
            "subject_person_id": world.my_person,
            "issued_on": "2025-01-06",
            "issued_at": "0001-01-01T00:00:00+00:00",
        },
    )
    assert response.status_code == 422
    assert response.json["errors"]["issued_at"] == ["Enter a time from 1 January 1900 onwards"]


def test_an_action_due_in_9999_is_refused(api_client: Any, world: World) -> None:
    for due in ("9999-12-31", "0001-01-01"):
        response = api_client(world.me).post(
            f"/api/v1/cases/{world.my_case}/actions", json={"description": "Visit", "due_on": due}
        )
        assert response.status_code == 422
        assert "due_on" in response.json["errors"]


def test_an_event_in_the_future_is_refused(api_client: Any, world: World) -> None:
    response = api_client(world.me).post(
        f"/api/v1/cases/{world.my_case}/incidents",
        json={"occurred_on": "2099-01-01", "description": "Not yet", "complaints": []},
    )
    assert response.status_code == 422
    assert "occurred_on" in response.json["errors"]


# --- page forms ------------------------------------------------------------------------------------------

#: Path arguments of pages, filled with records the user can see, so the form is there to post to.
VISIBLE_PATH_RECORDS = {
    "case_id": lambda w: w.my_case,
    "person_id": lambda w: w.my_person,
    "incident_id": lambda w: w.incident,
    "action_id": lambda w: w.action,
    "application_id": lambda w: w.visible.application,
    "intervention_id": lambda w: w.visible.intervention,
}
#: Form values as they arrive, URL-encoded, and whether the form must refuse them: a NUL cannot be
#: stored; the UTF-8 bytes of a lone surrogate are not valid UTF-8, so werkzeug never hands the form
#: a surrogate (it keeps the text as sent), which may be saved: it only must not fail.
#: A number beyond any integer (a date's day, month and year among them) may be saved as text; it
#: only must not fail (``date()`` raised OverflowError for a year of 20 digits).
BAD_STRINGS = {
    "a NUL character": ("x%00y", True),
    "a UTF-8 encoded surrogate": ("x%ED%A0%80y", False),
    "a number beyond any integer": (HUGE, False),
    # "²" passes str.isdigit() but int() refuses it: a form's version, hours or weight checked with
    # isdigit() then read with int() answered 500.
    "a digit int() refuses": ("%C2%B2", False),
}


def _page_url(endpoint: Any, world: World) -> str | None:
    url = endpoint.rule.rule
    for argument in endpoint.rule.arguments:
        if argument not in VISIBLE_PATH_RECORDS:
            return None
        url = re.sub(rf"<(?:int:)?{argument}>", str(VISIBLE_PATH_RECORDS[argument](world)), url)
    return url


def _field_names(html: str) -> list[str]:
    names = re.findall(r'<(?:input|textarea|select)[^>]*\bname="([^"]+)"', html)
    return [n for n in dict.fromkeys(names) if n != "csrf_token"]


@pytest.mark.parametrize("what", sorted(BAD_STRINGS))
def test_bad_strings_in_every_page_form_are_a_form_error(app: Flask, world: World, what: str) -> None:
    """Every staff page with a form, opened on a record the user can see, posted with the bad string
    in every one of its fields: a page (with the form's errors), never a 5xx, nothing written."""
    from tests.conftest import csrf_headers

    client = app.test_client(user=world.me)
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, app)["X-CSRFToken"]
    problems, forms_seen = [], 0
    for endpoint in endpoints(app):
        if endpoint.is_api or "POST" not in endpoint.rule.methods or "GET" not in endpoint.rule.methods:
            continue
        url = _page_url(endpoint, world)
        if url is None or endpoint.access.public:
            continue
        page = client.get(url)
        if page.status_code != 200:
            continue
        names = _field_names(page.get_data(as_text=True))
        if not names:
            continue
        forms_seen += 1
        before = table_digest()
        value, must_refuse = BAD_STRINGS[what]
        body = "&".join(f"{quote(name)}={value}" for name in names)
        response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        label = f"POST {url} ({endpoint.rule.endpoint}) with {what} in {len(names)} fields"
        if response.status_code >= 500:
            problems.append(f"{label}: {response.status_code}")
        if must_refuse:
            if response.status_code in (302, 303):
                problems.append(f"{label}: accepted ({response.status_code})")
            if changed := changed_tables(before, table_digest()):
                problems.append(f"{label}: wrote to {changed}")
            elif response.status_code in (200, 422) and not re.search(
                r"govuk-error-summary|govuk-notification-banner", response.get_data(as_text=True)
            ):
                problems.append(f"{label}: {response.status_code} without a message saying what is wrong")
    assert forms_seen > 15
    assert not problems, "\n".join(problems)


def test_every_page_form_uses_the_core_base_form() -> None:
    """Its ``validate`` is what refuses unstorable characters in every field."""
    import flask_wtf

    from casework import create_app
    from casework.core.forms import FlaskForm

    create_app({"ENV": "testing", "DATABASE_URL": "sqlite://", "SECRET_KEY": "x" * 40, "BROKER_URL": "memory://"})

    def subclasses(cls: type) -> list[type]:
        return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]

    stray = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in subclasses(flask_wtf.FlaskForm)
        if cls.__module__.startswith("casework.") and not issubclass(cls, FlaskForm)
    ]
    assert not stray, "Derive these from casework.core.forms.FlaskForm: " + ", ".join(stray)


#: Forms that end the session or the account's second factor: posting them would sign the walker out.
_FORMS_NOT_WALKED = re.compile(r"/sign-out|/second-factor|/recovery-codes|/password")


def _forms_posting_elsewhere(html: str, url: str) -> list[tuple[str, list[str]]]:
    """(action, field names) of every POST form on a page whose action is another URL of the service
    (the form on the page's own URL is walked by the test above)."""
    found = []
    for attributes, inner in re.findall(r"<form\b([^>]*)>(.*?)</form>", html, flags=re.DOTALL):
        method = re.search(r'\bmethod="([^"]+)"', attributes)
        action = re.search(r'\baction="([^"]+)"', attributes)
        if not method or method.group(1).lower() != "post" or not action:
            continue
        target = action.group(1).replace("&amp;", "&")
        if not target.startswith("/") or target.split("?")[0] == url or _FORMS_NOT_WALKED.search(target):
            continue
        names = _field_names(inner)
        if names:
            found.append((target, names))
    return found


@pytest.mark.parametrize("what", ["a number beyond any integer", "a digit int() refuses"])
def test_bad_numbers_in_every_form_a_page_shows_are_not_a_server_error(app: Flask, world: World, what: str) -> None:
    """The forms a page shows that post to an endpoint of their own (an intervention's status, its
    review, its extension; a case's close form...), each posted with the bad number in every field:
    never a 5xx. Their hidden ``version`` was read with ``isdigit()`` then ``int()``, which a "²"
    passes and then fails."""
    from tests.conftest import csrf_headers

    client = app.test_client(user=world.me)
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, app)["X-CSRFToken"]
    value, _ = BAD_STRINGS[what]
    problems, posted = [], set()
    for endpoint in endpoints(app):
        if endpoint.is_api or "GET" not in endpoint.rule.methods or endpoint.access.public:
            continue
        url = _page_url(endpoint, world)
        if url is None:
            continue
        page = client.get(url)
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        for target, names in _forms_posting_elsewhere(page.get_data(as_text=True), url):
            if target in posted:
                continue
            posted.add(target)
            body = "&".join(f"{quote(name)}={value}" for name in names)
            response = client.post(target, data=body, content_type="application/x-www-form-urlencoded")
            if response.status_code >= 500:
                problems.append(f"POST {target} (a form on {url}) with {what} in {len(names)} fields: 5xx")
    assert len(posted) >= 6
    assert not problems, "\n".join(problems)


def test_no_module_reads_digits_with_str_isdigit() -> None:
    """``str.isdigit`` accepts digits ``int`` refuses ("²"): a value is checked with
    ``casework.core.inputs.is_digits`` (or read with ``whole_number``, ``query_id``) instead."""
    from pathlib import Path

    import casework

    root = Path(casework.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        if path != root / "core" / "inputs.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ".isdigit()" in line
    ]
    assert not offenders, offenders
