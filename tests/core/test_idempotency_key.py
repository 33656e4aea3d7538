"""The API's optional ``Idempotency-Key`` request header (docs/api.md): a POST sent again with the same
key and the same request answers what the first answered and writes nothing; the same key with another
request answers 422; while the first is still being answered, 409. Without the header nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from casework.cases.models import CaseNote
from casework.core.submissions import HEADER, SubmissionKey
from casework.extensions import db


@pytest.fixture
def team(make: Any, api_client: Any) -> dict[str, Any]:
    area = make.area("IDE", "Idemshire")
    agency = make.agency("IDEC", areas=[area])
    first, second = make.user("officer", agency=agency), make.user("officer", agency=agency)
    client = api_client(first)
    case = client.post("/api/v1/cases", json={"area_code": "IDE", "category": "personal", "summary": "Noise"})
    assert case.status_code == 201, case.json
    return {"first": client, "second": api_client(second), "case": case.json["id"], "first_user": first}


def _notes(case_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(CaseNote.text).where(CaseNote.case_id == case_id).order_by(CaseNote.id)))


def test_the_same_request_sent_again_with_its_key_answers_the_first_answer(team: dict[str, Any]) -> None:
    url = f"/api/v1/cases/{team['case']}/notes"
    headers = {HEADER: '"8e03978e-40d5-43e8-bc93-6894a57f9324"'}

    first = team["first"].post(url, json={"text": "Visited"}, headers=headers)
    second = team["first"].post(url, json={"text": "Visited"}, headers=headers)

    assert first.status_code == 201
    assert (second.status_code, second.json, second.headers.get("Location")) == (
        201,
        first.json,
        first.headers.get("Location"),
    )
    assert _notes(team["case"]) == ["Visited"]


def test_the_same_key_with_another_request_is_refused(team: dict[str, Any]) -> None:
    url = f"/api/v1/cases/{team['case']}/notes"
    headers = {HEADER: "key-1"}
    assert team["first"].post(url, json={"text": "Visited"}, headers=headers).status_code == 201

    other = team["first"].post(url, json={"text": "Called"}, headers=headers)

    assert other.status_code == 422
    assert list(other.json["errors"]) == [HEADER]
    assert _notes(team["case"]) == ["Visited"]


def test_without_the_header_each_request_is_handled_as_before(team: dict[str, Any]) -> None:
    url = f"/api/v1/cases/{team['case']}/notes"
    for _ in range(2):
        assert team["first"].post(url, json={"text": "Visited"}).status_code == 201
    assert _notes(team["case"]) == ["Visited", "Visited"]


def test_a_key_is_the_senders_own(team: dict[str, Any]) -> None:
    """Another user sending the same key is a request of their own: it runs, and learns nothing."""
    url = f"/api/v1/cases/{team['case']}/notes"
    headers = {HEADER: "shared-looking-key"}
    assert team["first"].post(url, json={"text": "Visited"}, headers=headers).status_code == 201

    theirs = team["second"].post(url, json={"text": "Called"}, headers=headers)

    assert theirs.status_code == 201
    assert theirs.json["text"] == "Called"
    assert _notes(team["case"]) == ["Visited", "Called"]


def test_a_request_whose_first_sending_is_still_being_answered_is_refused(team: dict[str, Any]) -> None:
    url = f"/api/v1/cases/{team['case']}/notes"
    headers = {HEADER: "in-flight"}
    assert team["first"].post(url, json={"text": "Visited"}, headers=headers).status_code == 201
    # As between the first sending's commit and the recording of its answer.
    db.session.execute(sa.update(SubmissionKey).values(status=None, answer=None))
    db.session.commit()

    answer = team["first"].post(url, json={"text": "Visited"}, headers=headers)

    assert answer.status_code == 409
    assert list(answer.json["errors"]) == [HEADER]
    assert _notes(team["case"]) == ["Visited"]


@pytest.mark.parametrize("key", ["", '""', "x" * 256])
def test_a_key_the_api_cannot_take_is_refused(team: dict[str, Any], key: str) -> None:
    answer = team["first"].post(f"/api/v1/cases/{team['case']}/notes", json={"text": "Visited"}, headers={HEADER: key})
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == [HEADER]
    assert _notes(team["case"]) == []


# --- in the OpenAPI document ---------------------------------------------------------------------------


def test_every_post_made_with_a_token_documents_the_optional_header_and_its_answers(app: Any) -> None:
    """Every operation that reads the header (a POST by a signed-in user: ``_api_key``) lists it,
    optional, with the 409 and 422 it may answer; no other operation lists it."""
    from tests.support.documented_answers import DocumentedAnswers

    document = DocumentedAnswers(app).document
    problems, posts = [], 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
            reads_it = method == "post" and bool(operation["security"])
            posts += reads_it
            if reads_it != (HEADER in headers):
                problems.append(f"{method.upper()} {path}: {'lacks' if reads_it else 'lists'} {HEADER}")
            elif reads_it:
                if headers[HEADER]["required"] is not False:
                    problems.append(f"{method.upper()} {path}: {HEADER} is not optional")
                missing = {"409", "422"} - set(operation["responses"])
                if missing:
                    problems.append(f"{method.upper()} {path}: does not document {sorted(missing)}")
    assert posts > 30
    assert not problems, "\n".join(problems)
    for status in ("409", "422"):
        assert HEADER in document["components"]["responses"][f"Error{status}"]["description"]


def test_the_answers_to_a_key_are_what_the_document_says(app: Any, team: dict[str, Any]) -> None:
    """The replayed answer, the key sent with another request (422), the key still being answered (409)
    and a key the API cannot take (422), each checked against the operation's documented answers."""
    from tests.support.documented_answers import DocumentedAnswers

    documented = DocumentedAnswers(app)
    url = f"/api/v1/cases/{team['case']}/notes"
    headers = {HEADER: "documented-key"}
    answers = [
        team["first"].post(url, json={"text": "Visited"}, headers=headers),
        team["first"].post(url, json={"text": "Visited"}, headers=headers),
        team["first"].post(url, json={"text": "Called"}, headers=headers),
        team["first"].post(url, json={"text": "Visited"}, headers={HEADER: "x" * 256}),
    ]
    db.session.execute(sa.update(SubmissionKey).values(status=None, answer=None))
    db.session.commit()
    answers.append(team["first"].post(url, json={"text": "Visited"}, headers=headers))

    assert [answer.status_code for answer in answers] == [201, 201, 422, 422, 409]
    problems = [problem for answer in answers for problem in documented.problems("POST", url, answer)]
    assert not problems, "\n".join(problems)
