"""A small world for the walks over every endpoint (tests/test_body_visibility.py, tests/test_bad_input.py).

Two agencies in two areas. ``me`` holds every casework role in the first; the second agency holds a
person ("Zebedee Hiddenperson"), a case, an intervention, a user and a Case Review application that
``me`` cannot GET. ``table_digest()`` hashes every table, so a walk can check that a refused request
wrote nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from casework.extensions import db

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
HIDDEN_NAMES = ("Zebedee Hiddenperson", "Hidden Stranger", "Secret case summary")


@dataclass
class Refs:
    """The ids and keys an example body may name."""

    person: int
    case: int
    intervention: int | None
    application: int | None
    user_email: str
    user_id: int


@dataclass
class World:
    me: Any
    visible: Refs
    hidden: Refs
    my_case: int
    my_person: int
    restricted_case: int
    incident: int
    action: int
    token: str = ""


#: Written by the walk itself, not by the request under test: ``call`` signs a fresh page client in,
#: which records its session on the server (casework.accounts.sessions).
NOT_DIGESTED = {"user_sessions"}


def table_digest() -> dict[str, str]:
    """Each table's rows, hashed: equal digests mean nothing was written."""
    digest = {}
    for table in db.metadata.sorted_tables:
        if table.name in NOT_DIGESTED:
            continue
        rows = db.session.execute(sa.select(table)).all()
        text = "\n".join(sorted(repr(tuple(row)) for row in rows))
        digest[table.name] = hashlib.sha256(text.encode()).hexdigest()
    return digest


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))


@pytest.fixture
def world(make: Any, api_client: Any) -> World:
    mine, theirs = make.area("MIN", "Mine"), make.area("THR", "Theirs")
    my_agency = make.agency("MYAG", areas=[mine])
    their_agency = make.agency("THAG", areas=[theirs])
    me = make.user(["officer", "coordinator", "manager", "chair"], agency=my_agency, name="Mia Mine")
    colleague = make.user(["officer"], agency=my_agency, name="Colin Colleague")
    stranger = make.user(["officer", "coordinator", "manager"], agency=their_agency, name="Hidden Stranger")

    def build(user: Any, area: str, person_name: str, summary: str) -> tuple[int, int, int, int]:
        client = api_client(user)
        person = client.post("/api/v1/people", json={"name": person_name}).json["id"]
        case = client.post(
            "/api/v1/cases",
            json={
                "area_code": area,
                "category": "personal",
                "summary": summary,
                "parties": [{"person_id": person, "role": "perpetrator"}],
            },
        ).json["id"]
        intervention = client.post(
            f"/api/v1/cases/{case}/interventions",
            json={"kind": "cpw", "subject_person_id": person, "issued_on": "2025-01-06", "comply_by": "2025-02-06"},
        )
        assert intervention.status_code == 201, intervention.json
        application = client.post(
            "/api/v1/triggers",
            json={
                "area_code": area,
                "received_on": "2025-03-03",
                "channel": "phone",
                "applicant": {"name": person_name},
                "applicant_role": "victim",
                "description": "Repeated noise",
                "complaints": [],
            },
        )
        assert application.status_code == 201, application.json
        return person, case, intervention.json["id"], application.json["id"]

    my_person, my_case, my_intervention, my_application = build(me, "MIN", "Vera Visible", "My case")
    other_person = api_client(me).post("/api/v1/people", json={"name": "Val Visible"}).json["id"]
    other_case = (
        api_client(me)
        .post("/api/v1/cases", json={"area_code": "MIN", "category": "personal", "summary": "Another of mine"})
        .json["id"]
    )
    hidden = build(stranger, "THR", "Zebedee Hiddenperson", "Secret case summary")
    client = api_client(me)
    restricted = client.post(
        "/api/v1/cases",
        json={"area_code": "MIN", "category": "personal", "summary": "Sensitive", "is_restricted": True},
    ).json["id"]
    incident = client.post(
        f"/api/v1/cases/{my_case}/incidents",
        json={"occurred_on": "2025-01-02", "description": "Noise", "complaints": []},
    ).json["id"]
    action = client.post(f"/api/v1/cases/{my_case}/actions", json={"description": "Call the victim"}).json["id"]
    from casework.accounts.services import issue_token

    token, _row = issue_token(me, 1)
    db.session.commit()
    return World(
        me=me,
        visible=Refs(other_person, other_case, my_intervention, my_application, colleague.email, colleague.id),
        hidden=Refs(*hidden, user_email=stranger.email, user_id=stranger.id),
        my_case=my_case,
        my_person=my_person,
        restricted_case=restricted,
        incident=incident,
        action=action,
        token=token,
    )


# --- calling endpoints ------------------------------------------------------------------------------------------

#: Which hidden record a path argument names, by its name.
PATH_RECORDS: dict[str, Callable[[World], Any]] = {
    "case_id": lambda w: w.hidden.case,
    "person_id": lambda w: w.hidden.person,
    "intervention_id": lambda w: w.hidden.intervention,
    "application_id": lambda w: w.hidden.application,
    "user_id": lambda w: w.hidden.user_id,
}


def call(app: Flask, world: World, url: str, method: str, body: dict[str, Any] | None, api: bool) -> Any:
    from tests.conftest import csrf_headers

    if api:
        client = app.test_client()
        return client.open(url, method=method, headers={"Authorization": f"Bearer {world.token}"}, json=body or {})
    client = app.test_client(user=world.me)
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, app)["X-CSRFToken"]
    return client.open(url, method=method, data=body or {})


def leaks(response: Any) -> list[str]:
    text = response.get_data(as_text=True)
    return [name for name in HIDDEN_NAMES if name in text]
