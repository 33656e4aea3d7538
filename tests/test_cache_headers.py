"""Every answer of the service carries its security headers. A walk over every GET endpoint, as a demo
user of each role (and nobody signed in, for the public pages), with real ids and real export, report and
import names, checks every answer; downloads included. Above all ``Cache-Control: no-store``: pages, API
answers and files alike carry personal data, and Flask's ``send_file`` marks downloads ``no-cache``
(stored, only checked again before reuse) unless the service says otherwise; and error answers too, those
of a URL that matched no endpoint included (``casework/core/security.py``).
"""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from casework.accounts.models import User
from casework.core.permissions import access_of
from casework.extensions import db
from casework.spreadsheets.kinds import export_lists, import_kinds
from tests.audit.test_every_read_is_logged import ARGUMENT_TABLES, NOT_WALKED, read

#: Files only: their answers keep a far-future cache on purpose (fingerprinted names).
STATIC = {"static", "govuk_assets.static"}
#: The one answer other websites may frame: an area's published figures (docs/api.md).
FRAMABLE = {"public.statistics.area_embed"}
#: Referrer policies that never send a page's path (which may hold a case id or a search) to another site.
PRIVATE_REFERRERS = {"no-referrer", "same-origin", "strict-origin"}


def header_problems(response: Any, endpoint: str | None) -> list[str]:
    """What is wrong with the security headers of ``response`` (empty when nothing is)."""
    headers = response.headers
    problems = []
    policy = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}
    if "default-src" not in directives:
        problems.append(f"Content-Security-Policy {policy!r}")
    script = directives.get("script-src", directives.get("default-src", ""))
    if "'unsafe-inline'" in script or "'unsafe-eval'" in script or "*" in script.split():
        problems.append(f"scripts allowed: {script!r}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    framing = directives.get("frame-ancestors")
    if endpoint in FRAMABLE:
        if framing in (None, "frame-ancestors 'none'") or "X-Frame-Options" in headers:
            problems.append(f"the embeddable page cannot be framed: {framing!r}")
    elif framing != "frame-ancestors 'none'" or headers.get("X-Frame-Options") != "DENY":
        problems.append(f"may be framed: {framing!r}, X-Frame-Options {headers.get('X-Frame-Options')!r}")
    if headers.get("Referrer-Policy") not in PRIVATE_REFERRERS:
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    if "camera=()" not in headers.get("Permissions-Policy", ""):
        problems.append(f"Permissions-Policy {headers.get('Permissions-Policy')!r}")
    if "no-store" not in headers.get("Cache-Control", ""):
        problems.append(f"Cache-Control {headers.get('Cache-Control')!r}")
    return problems


ROWS_PER_ARGUMENT = 2
#: Downloads the walk must have received (200, an attachment), or it proves nothing about files: the
#: lists' exports and the import templates (``send_file``), the partnership report's files
#: (``casework.core.downloads.file_response``).
DOWNLOADS = {
    "staff.spreadsheets.export",
    "staff.spreadsheets.template",
    "staff.reports.table_csv",
    "staff.reports.workbook",
}


def named_values(app: Flask) -> dict[str, list[str]]:
    """Values for the URL arguments that are names, not ids (the report's first table is always there)."""
    return {
        "key": sorted(export_lists(app)),
        "kind": sorted(import_kinds(app)),
        "file_format": ["csv", "xlsx"],
        "name": ["casework"],
        "code": sorted(db.session.scalars(sa.text("SELECT code FROM areas ORDER BY id LIMIT 2"))),
    }


def urls_for(app: Flask, rule: Any, names: dict[str, list[str]]) -> list[str]:
    """URLs for ``rule``: its ids from the first rows of the table of its last id (the other ids from the
    same row), its names from ``names``; none when an argument has no known values."""
    arguments = sorted(rule.arguments - set(rule.defaults or {}))
    ids = [a for a in arguments if a in ARGUMENT_TABLES]
    others = [a for a in arguments if a not in ARGUMENT_TABLES]
    if any(a not in names for a in others):
        return []
    choices: list[list[dict[str, Any]]] = [[{a: v} for v in names[a]] for a in others]
    if ids:
        primary = max(ids, key=lambda a: rule.rule.index(f"<int:{a}>"))
        table = sa.table(ARGUMENT_TABLES[primary], sa.column("id"))
        columns = {c["name"] for c in sa.inspect(db.session.connection()).get_columns(ARGUMENT_TABLES[primary])}
        rest = [a for a in ids if a != primary]
        if any(a not in columns for a in rest):
            return []
        query = sa.select(table.c.id, *(sa.column(a) for a in rest)).select_from(table).order_by(table.c.id)
        choices.append(
            [
                {primary: row.id, **{a: getattr(row, a) for a in rest}}
                for row in db.session.execute(query.limit(ROWS_PER_ARGUMENT))
            ]
        )
    urls = []
    for combination in product(*choices):
        values = {key: value for part in combination for key, value in part.items()}
        if all(value is not None for value in values.values()):
            urls.append(rule.build(values, append_unknown=False)[1])
    return urls


@pytest.fixture
def demo_users(app: Flask, db_session: Any) -> list[Any]:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    users = db_session.scalars(sa.select(User).where(User.email.like("%@casework.example")).order_by(User.id)).all()
    one_per_role: dict[str, Any] = {}
    for user in users:
        for role in user.roles:
            one_per_role.setdefault(role, user)
    return list({u.id: u for u in one_per_role.values()}.values())


def test_every_answer_sends_the_security_headers(app: Flask, demo_users: list[Any], page_client: Any) -> None:
    names = named_values(app)
    problems: list[str] = []
    downloaded: set[str] = set()
    answered = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in STATIC or rule.endpoint in NOT_WALKED:
            continue
        access = access_of(app.view_functions[rule.endpoint])
        urls = urls_for(app, rule, names)
        if access.public:
            # Nobody signed in: the public pages, the published figures and the page to embed.
            answers = [(url, "nobody", app.test_client().get(url)) for url in urls]
        else:
            answers = [
                (url, user.email, read(app, user, url, page_client))
                for user in demo_users
                if access.allows(user)
                for url in urls
            ]
        for url, who, response in answers:
            answered += 1
            problems.extend(
                f"GET {url} ({rule.endpoint}) as {who}: {response.status_code}, {problem}"
                for problem in header_problems(response, rule.endpoint)
            )
            if response.status_code == 200 and "attachment" in response.headers.get("Content-Disposition", ""):
                downloaded.add(rule.endpoint)
    assert not problems, f"{len(problems)} answers lack a security header:\n" + "\n".join(sorted(set(problems)))
    # The walk must have fetched the files it is about.
    expected = DOWNLOADS | {"public.statistics.as_csv", "public.statistics.area_csv"}
    assert downloaded >= expected, expected - downloaded
    assert answered > 500


def test_error_answers_send_the_security_headers(app: Flask, make: Any, page_client: Any, api_client: Any) -> None:
    """An error page shows the signed-in user's name and menu: it is not kept, framed or sniffed either,
    whether or not the URL matched an endpoint."""
    user = make.user("officer", name="Olive Officer")
    pages = page_client(user)
    not_found = pages.get("/no-such-page")
    assert not_found.status_code == 404
    assert "Olive Officer" in not_found.get_data(as_text=True)
    answers = {
        "a page that does not exist": not_found,
        "a page that does not exist, signed out": app.test_client().get("/no-such-page"),
        "a method a page does not take": pages.delete("/"),
        "a record that does not exist": pages.get("/cases/999999"),
        "an API path that does not exist": api_client(user).get("/api/v1/no-such-thing"),
        "a method the API does not take": app.test_client().delete("/api/v1/me"),
        "the API signed out": app.test_client().get("/api/v1/me"),
        "a form sent without its CSRF token": app.test_client().post("/sign-in", data={}),
    }
    problems = [
        f"{what}: {response.status_code}, {problem}"
        for what, response in answers.items()
        for problem in header_problems(response, None)
    ]
    assert [response.status_code for response in answers.values()] == [404, 404, 405, 404, 404, 405, 401, 400]
    assert not problems, "\n".join(problems)


def test_a_public_download_is_marked_no_store_too(client: Any) -> None:
    """The published figures hold no personal data, but nothing is kept: one rule, no exceptions to miss."""
    response = client.get("/statistics.csv")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
