"""Every read is in the log (issue 8 item 6): a walk over every page and API endpoint that
can be read (GET), as every demo role, with real ids, finds each person, case, Case Review application,
intervention, risk assessment and action the answer shows, and checks that this very request wrote a
view entry about it.

What an answer shows is found in the answer itself, not from the mechanism under test
(casework/audit/reads.py): before the walk, each record is given a mark that appears wherever it is
shown (a token in a person's name, an action's description, an intervention's notes; a risk assessment's
score), a page that links to a record's own page shows it, and so does an API answer with an object
carrying a case's or application's ``reference``. So an endpoint added tomorrow that shows a person
through some other route fails here. (A reference merely mentioned in a sentence, "Linked case
BOL-2026-0002", is not a view of that case.)
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from casework.audit.models import AuditAction, audit_entries
from casework.audit.reads import VIEWED_RECORDS
from casework.core.permissions import access_of
from casework.extensions import db
from tests.conftest import csrf_headers

#: Endpoints that are not walked, and why.
NOT_WALKED = {
    "static": "files",
    "govuk_assets.static": "files",
    "admin.audit.index": "the audit log itself: it shows what entries say, not records",
    "staff.accounts.sign_out": "ends the session",
    "staff.accounts.sign_out_everywhere": "ends every session of the user",
}

#: Extra reads: searches, so their results are walked too.
SEARCHES = [
    "/cases/?q={case_reference}",
    "/api/v1/cases?q={case_reference}",
    "/people/?name={person_name}",
    "/api/v1/people?name={person_name}",
]

#: URL argument -> the table its ids come from.
ARGUMENT_TABLES = {
    "case_id": "cases",
    "person_id": "people",
    "application_id": "trigger_applications",
    "action_id": "actions",
    "intervention_id": "interventions",
    "meeting_id": "trigger_meetings",
    "letter_id": "trigger_letters",
    "document_id": "trigger_documents",
    "incident_id": "incidents",
    "explanation_id": "case_review_explanations",
    "appeal_id": "trigger_appeals",
    "request_id": "trigger_information_requests",
    "job_id": "statistics_jobs",
    "user_id": "users",
    "tasking_meeting_id": "tasking_meetings",
    "tasking_item_id": "tasking_agenda_items",
    "series_id": "tasking_series",
}
#: How many rows of a table to try for an argument (the first ones a role can see are enough).
ROWS_PER_ARGUMENT = 4

#: The marks put on each record before the walk: (kind, pattern finding its id in an answer).
#: A mark is written with "~", which no signed token or encoded value on a page can contain (base64,
#: URL-safe or not, and hex have no "~"; HTML, JSON and CSV leave it as it is). Marks of letters and
#: digits alone were once found inside a CSRF token (the token changes every second: the one signed at
#: 23:02:39 UTC on 3 December 2026 ended "MPz7zbVo7E"), so every page rendered in that second seemed to
#: show person 7. A risk score can only be digits: seven of them between non-word characters.
MARK = "~"
RISK_SCORE_BASE = 7770000
#: A link to a record's page shows it; the request path an audit entry names ("Shown by GET
#: /case-reviews/2", in a record's history) is text about another request, not a link, so it is skipped.
NOT_AFTER_A_METHOD = r"(?<!GET )"
MARKS = {
    "people": [r"P~(\d+)~", NOT_AFTER_A_METHOD + r"/people/(\d+)\b"],
    "actions": [r"A~(\d+)~", NOT_AFTER_A_METHOD + r"/actions/(\d+)\b"],
    "interventions": [r"I~(\d+)~", NOT_AFTER_A_METHOD + r"/interventions/(\d+)\b"],
    "risk_assessments": [r"\b777(\d{4})\b"],
    "cases": [NOT_AFTER_A_METHOD + r"/cases/(\d+)\b"],
    "trigger_applications": [NOT_AFTER_A_METHOD + r"/case-reviews/(\d+)\b"],
}


@dataclass
class Walk:
    references: dict[str, tuple[str, int]]  # "BOL-2026-0001" -> ("cases", 1)
    problems: list[str]
    shown: dict[str, set[str]]  # kind -> endpoints where it was shown (and logged)
    requests: int = 0


def mark_every_record() -> dict[str, tuple[str, int]]:
    """Give each record a mark that shows wherever it is shown; returns references -> records."""
    session = db.session
    concat = sa.func.concat if session.get_bind().dialect.name == "postgresql" else None
    for table, column, prefix in (("people", "name", "P" + MARK), ("actions", "description", "A" + MARK)):
        t = sa.table(table, sa.column("id"), sa.column(column))
        mark = (
            concat(t.c[column], " ", prefix, t.c.id, MARK)
            if concat is not None
            else t.c[column] + " " + prefix + sa.cast(t.c.id, sa.String) + MARK
        )
        session.execute(sa.update(t).values({column: mark}))
    interventions = sa.table("interventions", sa.column("id"), sa.column("notes"))
    notes = (
        concat("I" + MARK, interventions.c.id, MARK)
        if concat is not None
        else "I" + MARK + sa.cast(interventions.c.id, sa.String) + MARK
    )
    session.execute(sa.update(interventions).values(notes=notes))
    risk = sa.table("risk_assessments", sa.column("id"), sa.column("score"))
    session.execute(sa.update(risk).values(score=RISK_SCORE_BASE + risk.c.id))
    assert session.scalar(sa.select(sa.func.max(risk.c.id))) or 0 < 10000
    references: dict[str, tuple[str, int]] = {}
    for table in ("cases", "trigger_applications"):
        t = sa.table(table, sa.column("id"), sa.column("reference"))
        for row in session.execute(sa.select(t.c.id, t.c.reference)):
            references[row.reference] = (table, row.id)
    session.commit()
    return references


def shown_in(body: str, references: dict[str, tuple[str, int]], data: Any = None) -> dict[tuple[str, str], str]:
    """{(kind, id): where the answer shows it (the text around the first mark, or the JSON object)}."""
    found: dict[tuple[str, str], str] = {}
    for kind, patterns in MARKS.items():
        for pattern in patterns:
            for match in re.finditer(pattern, body):
                around = body[max(0, match.start() - 160) : match.end() + 80]
                found.setdefault((kind, str(int(match.group(1)))), " ".join(around.split()))

    def walk_json(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("reference") in references:
                kind, ident = references[value["reference"]]
                found.setdefault((kind, str(ident)), f"an object with reference {value['reference']}")
            for item in value.values():
                walk_json(item)
        elif isinstance(value, list):
            for item in value:
                walk_json(item)

    walk_json(data)
    return found


def candidate_urls(app: Flask, rule: Any) -> list[str]:
    """URLs for ``rule`` with real ids: rows of the table of its last id argument, the other arguments
    taken from the same row where it has them (a letter's application_id)."""
    arguments = sorted(rule.arguments - set(rule.defaults or {}))
    if not arguments:
        return [rule.build({}, append_unknown=False)[1]]
    known = [a for a in arguments if a in ARGUMENT_TABLES]
    if not known or len(known) != len(arguments):
        return []  # codes and kinds: configuration pages, not casework
    primary = max(known, key=lambda a: rule.rule.index(f"<int:{a}>") if f"<int:{a}>" in rule.rule else -1)
    table = sa.table(ARGUMENT_TABLES[primary], sa.column("id"))
    columns = {c["name"] for c in sa.inspect(db.session.connection()).get_columns(ARGUMENT_TABLES[primary])}
    others = [a for a in arguments if a != primary]
    if any(a not in columns for a in others):
        return []
    query = sa.select(table.c.id, *(sa.column(a) for a in others)).select_from(table).order_by(table.c.id)
    urls = []
    for row in db.session.execute(query.limit(ROWS_PER_ARGUMENT)):
        values = {primary: row.id, **{a: getattr(row, a) for a in others}}
        if any(v is None for v in values.values()):
            continue
        urls.append(rule.build(values, append_unknown=False)[1])
    return urls


def latest_entry_id() -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(audit_entries.c.id), 0)))


def logged_since(entry_id: int, actor_id: int) -> set[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(audit_entries.c.object_type, audit_entries.c.object_id).where(
            audit_entries.c.id > entry_id,
            audit_entries.c.actor_id == actor_id,
            audit_entries.c.action.in_([AuditAction.view, AuditAction.export]),
        )
    )
    return {(row.object_type, row.object_id) for row in rows}


def read(app: Flask, user: Any, url: str, page_client: Any) -> Any:
    if url.startswith("/api/"):
        from casework.accounts.services import issue_token
        from casework.core.db import commit

        token, _ = issue_token(user, 1)
        commit()
        return app.test_client().get(url, headers={"Authorization": f"Bearer {token}"})
    client = page_client(user)
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, app)["X-CSRFToken"]
    return client.get(url)


def unnamed_views_since(entry_id: int, actor_id: int) -> list[str]:
    """View entries written since ``entry_id`` that name no record (``object_id`` empty): a read's entries
    are the view entries of the records it showed, one each, and nothing besides."""
    rows = db.session.execute(
        sa.select(audit_entries.c.object_type).where(
            audit_entries.c.id > entry_id,
            audit_entries.c.actor_id == actor_id,
            audit_entries.c.action == AuditAction.view,
            audit_entries.c.object_id.is_(None),
        )
    )
    return [row.object_type for row in rows]


def check(app: Flask, user: Any, url: str, endpoint: str, walk: Walk, page_client: Any) -> None:
    before = latest_entry_id()
    response = read(app, user, url, page_client)
    walk.requests += 1
    db.session.expire_all()
    for kind in unnamed_views_since(before, user.id):
        walk.problems.append(f"GET {url} ({endpoint}) as {user.email} wrote a view entry of {kind} naming no record")
    if response.status_code != 200 or not response.mimetype.startswith(("text/", "application/json")):
        return
    data = response.get_json(silent=True) if response.is_json else None
    shown = shown_in(response.get_data(as_text=True), walk.references, data)
    db.session.expire_all()
    logged = logged_since(before, user.id)
    for (kind, ident), where in sorted(shown.items()):
        if (kind, ident) in logged:
            walk.shown[kind].add(endpoint)
        else:
            # What was found, and where: a failure that does not come back is explained by its message.
            walk.problems.append(
                f"GET {url} ({endpoint}) as {user.email} shows {VIEWED_RECORDS[kind]} {ident} but wrote no view"
                f" entry; it is in: {where!r}"
            )


@pytest.fixture
def demo(app: Flask, db_session: Any) -> dict[str, Any]:
    from casework.accounts.models import User

    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    references = mark_every_record()
    users = db_session.scalars(sa.select(User).where(User.email.like("%@casework.example")).order_by(User.id)).all()
    assert {role for u in users for role in u.roles} >= {"officer", "coordinator", "chair", "manager", "partner"}
    return {"references": references, "users": users}


def test_every_read_of_a_record_writes_a_view_entry(app: Flask, demo: dict[str, Any], page_client: Any) -> None:
    walk = Walk(references=demo["references"], problems=[], shown=defaultdict(set))
    reads = [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and rule.endpoint not in NOT_WALKED
        and not access_of(app.view_functions[rule.endpoint]).public
    ]
    for rule in reads:
        access = access_of(app.view_functions[rule.endpoint])
        for user in demo["users"]:
            if not access.allows(user):
                continue  # refused with 403 (tests/test_permissions.py)
            for url in candidate_urls(app, rule):
                check(app, user, url, rule.endpoint, walk, page_client)

    case_reference = next(ref for ref, (kind, _id) in demo["references"].items() if kind == "cases")
    person_name = db.session.scalar(sa.text("SELECT name FROM people ORDER BY id LIMIT 1")).split(" P" + MARK)[0]
    for template in SEARCHES:
        url = template.format(case_reference=case_reference, person_name=person_name)
        for user in demo["users"]:
            check(app, user, url, f"search {url}", walk, page_client)

    problems = "\n".join(walk.problems)
    assert not walk.problems, f"{len(walk.problems)} reads were logged wrongly or not at all:\n{problems}"
    # The walk must have met every kind of record, in pages and in the API, or it proves nothing.
    for kind in VIEWED_RECORDS:
        pages = {e for e in walk.shown[kind] if e.startswith("staff.")}
        api = {e for e in walk.shown[kind] if e.startswith("api.")}
        assert pages, (kind, walk.shown[kind])
        assert api, (kind, walk.shown[kind])
    assert any(e.startswith("search ") for e in walk.shown["cases"])
    assert any(e.startswith("search ") for e in walk.shown["people"])


class SignedAt(TimestampSigner):
    """Signs as if the clock read ``moment``."""

    moment = 0

    def get_timestamp(self) -> int:
        return self.moment


def test_no_signed_token_on_a_page_passes_for_a_mark(app: Flask) -> None:
    """The CSRF token every page carries, signed at each second of the hour when the walk once failed (it
    found "Pz7z" in the token of 23:02:39 and "Az98z" in that of 23:03:51, with the marks of then), shows
    no record."""
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token", signer=SignedAt)
    start = int(datetime(2026, 12, 3, 23, tzinfo=UTC).timestamp())
    for moment in range(start, start + 3600):
        SignedAt.moment = moment
        token = serializer.dumps("test-csrf-token")  # the session's raw token in the suite (csrf_headers)
        page = f'<input type="hidden" name="csrf_token" value="{token}">'
        assert not shown_in(page, {}), (moment, token)


def add_person(api: Any, name: str) -> int:
    response = api.post("/api/v1/people", json={"kind": "individual", "name": name})
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_a_search_logs_each_record_it_showed_with_the_search(app, api_client, make, db_session):
    area = make.area("BOL", "Bolsover")
    officer = make.user("officer", agency=make.agency("BDC", areas=[area]))
    api = api_client(officer)
    for n in range(3):
        add_person(api, f"Quinby Searchable {n}")
    before = latest_entry_id()
    response = api.get("/api/v1/people?name=Quinby&per_page=2")
    assert response.status_code == 200
    shown = {item["id"] for item in response.json["items"]}
    assert len(shown) == 2
    db_session.expire_all()
    entries = db_session.execute(
        sa.select(audit_entries.c.object_id, sa.text("audit_values.summary"))
        .join(sa.table("audit_values", sa.column("entry_id")), sa.column("entry_id") == audit_entries.c.id)
        .where(audit_entries.c.id > before, audit_entries.c.action == AuditAction.view)
    ).all()
    assert {int(e.object_id) for e in entries} == shown  # what was shown, not the whole match
    assert {e.summary for e in entries} == {"Shown by GET /api/v1/people?name=Quinby&per_page=2"}


def test_refused_missing_and_written_records_are_not_logged_as_views(app, page_client, api_client, make, db_session):
    area = make.area("BOL", "Bolsover")
    officer = make.user("officer", agency=make.agency("BDC", areas=[area]))
    stranger = make.user("officer", agency=make.agency("NED", areas=[make.area("NED", "North East")]))
    person = add_person(api_client(officer), "Private Person")
    before = latest_entry_id()
    assert page_client(stranger).get(f"/people/{person}").status_code == 404
    response = page_client(officer).post("/people/new", data={"kind": "individual", "name": "Newly Added"})
    assert response.status_code in (302, 303, 200, 422)
    db_session.expire_all()
    assert not db_session.execute(
        sa.select(audit_entries.c.id).where(audit_entries.c.id > before, audit_entries.c.action == AuditAction.view)
    ).all()


def test_a_read_that_cannot_be_logged_is_not_answered(app, page_client, api_client, make, db_session, monkeypatch):
    """The entries are written before the answer leaves; if they cannot be, the reader gets an error."""
    from casework.audit import services

    area = make.area("BOL", "Bolsover")
    officer = make.user("officer", agency=make.agency("BDC", areas=[area]))
    add_person(api_client(officer), "Vera Victim")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database refused the audit entry")

    monkeypatch.setattr(services.EntriesToWrite, "write", broken)
    # The suite propagates exceptions (TESTING); in production the reader gets the 500 page.
    with pytest.raises(RuntimeError, match="refused the audit entry"):
        page_client(officer).get("/people/?name=Vera")
