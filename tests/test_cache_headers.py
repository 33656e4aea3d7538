"""No answer of the service is kept in a browser's or a proxy's cache (``Cache-Control: no-store``):
pages, API answers and files alike carry personal data. A walk over every GET endpoint, as a demo user of
each role, with real ids and real export, report and import names, checks every answer's header;
downloads included, which Flask's ``send_file`` marks ``no-cache`` (stored, only checked again before
reuse) unless the service says otherwise (``casework/core/security.py``).
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


def test_every_answer_is_marked_no_store(app: Flask, demo_users: list[Any], page_client: Any) -> None:
    names = named_values(app)
    problems: list[str] = []
    downloaded: set[str] = set()
    answered = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in STATIC or rule.endpoint in NOT_WALKED:
            continue
        access = access_of(app.view_functions[rule.endpoint])
        if access.public:
            continue
        urls = urls_for(app, rule, names)
        for user in demo_users:
            if not access.allows(user):
                continue
            for url in urls:
                response = read(app, user, url, page_client)
                answered += 1
                cache = response.headers.get("Cache-Control", "")
                if "no-store" not in cache:
                    problems.append(f"GET {url} ({rule.endpoint}) as {user.email}: {response.status_code}, {cache!r}")
                if response.status_code == 200 and "attachment" in response.headers.get("Content-Disposition", ""):
                    downloaded.add(rule.endpoint)
    assert not problems, f"{len(problems)} answers may be cached:\n" + "\n".join(sorted(set(problems)))
    # The walk must have fetched the files it is about.
    assert downloaded >= DOWNLOADS, DOWNLOADS - downloaded
    assert answered > 500


def test_a_public_download_is_marked_no_store_too(client: Any) -> None:
    """The published figures hold no personal data, but nothing is kept: one rule, no exceptions to miss."""
    response = client.get("/statistics.csv")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
