"""A page form's one-time submission key (casework.core.submissions): the same form sent again saves
nothing and answers as the first sending did, for the user who sent it only.

``tests/test_forms_sent_twice.py`` sends every form that creates twice; these tests take one form (a
case note) through the other paths: another user's key, a form corrected after its errors, a key whose
first sending has not answered yet, and the nightly sweep.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from casework.cases.models import CaseNote
from casework.core.submissions import ALREADY_SAVED, SubmissionKey
from casework.core.time import now
from casework.extensions import db


@pytest.fixture
def team(make: Any, api_client: Any) -> dict[str, Any]:
    area = make.area("KEY", "Keyshire")
    agency = make.agency("KEYC", areas=[area])
    first, second = make.user("officer", agency=agency), make.user("officer", agency=agency)

    def case_of(user: Any) -> int:
        created = api_client(user).post(
            "/api/v1/cases", json={"area_code": "KEY", "category": "personal", "summary": f"Noise ({user.name})"}
        )
        assert created.status_code == 201, created.json
        return int(created.json["id"])

    return {"first": first, "second": second, "first_case": case_of(first), "second_case": case_of(second)}


def _key_of(page: Any) -> str:
    found = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "the form carries no submission key"
    return found.group(1)


def _notes(case_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(CaseNote.text).where(CaseNote.case_id == case_id).order_by(CaseNote.id)))


def test_a_note_sent_twice_is_saved_once_and_the_second_answer_goes_where_the_first_did(
    page_client: Any, team: dict[str, Any]
) -> None:
    client = page_client(team["first"])
    url = f"/cases/{team['first_case']}/notes/new"
    key = _key_of(client.get(url))

    first = client.post(url, data={"submission_key": key, "text": "Visited the flat"})
    second = client.post(url, data={"submission_key": key, "text": "Visited the flat"})

    assert first.status_code == 302
    assert (second.status_code, second.location) == (303, first.location)
    assert _notes(team["first_case"]) == ["Visited the flat"]
    assert ALREADY_SAVED in client.get(second.location).get_data(as_text=True)


def test_a_new_page_gives_a_new_key(page_client: Any, team: dict[str, Any]) -> None:
    client = page_client(team["first"])
    url = f"/cases/{team['first_case']}/notes/new"
    for text in ("First visit", "Second visit"):
        assert client.post(url, data={"submission_key": _key_of(client.get(url)), "text": text}).status_code == 302
    assert _notes(team["first_case"]) == ["First visit", "Second visit"]


def test_another_users_key_is_not_honoured_and_tells_nothing_of_what_they_saved(
    page_client: Any, team: dict[str, Any]
) -> None:
    first, second = page_client(team["first"]), page_client(team["second"])
    first_url = f"/cases/{team['first_case']}/notes/new"
    key = _key_of(first.get(first_url))
    assert first.post(first_url, data={"submission_key": key, "text": "Mine"}).status_code == 302

    # The second officer sends a form of their own carrying the first one's key.
    answer = second.post(f"/cases/{team['second_case']}/notes/new", data={"submission_key": key, "text": "Theirs"})

    assert answer.status_code == 302
    assert answer.location == f"/cases/{team['second_case']}"
    assert _notes(team["second_case"]) == ["Theirs"]
    assert _notes(team["first_case"]) == ["Mine"]
    assert ALREADY_SAVED not in second.get(answer.location).get_data(as_text=True)


def test_a_form_shown_again_with_its_errors_can_be_corrected_and_sent(page_client: Any, team: dict[str, Any]) -> None:
    client = page_client(team["first"])
    url = f"/cases/{team['first_case']}/notes/new"
    key = _key_of(client.get(url))

    refused = client.post(url, data={"submission_key": key, "text": ""})
    assert refused.status_code in (200, 422)
    assert _key_of(refused) == key  # the page shown again carries the same key

    assert client.post(url, data={"submission_key": key, "text": "Corrected"}).status_code == 302
    assert client.post(url, data={"submission_key": key, "text": "Corrected"}).status_code == 303
    assert _notes(team["first_case"]) == ["Corrected"]


def test_a_sending_whose_first_answer_is_not_known_yet_saves_nothing(page_client: Any, team: dict[str, Any]) -> None:
    """The first sending has committed its note and key but not yet recorded where it answered."""
    client = page_client(team["first"])
    url = f"/cases/{team['first_case']}/notes/new"
    key = _key_of(client.get(url))
    db.session.add(SubmissionKey(key=key, user_id=team["first"].id))
    db.session.commit()

    answer = client.post(url, data={"submission_key": key, "text": "Visited the flat"})

    assert (answer.status_code, answer.location) == (303, url)
    assert _notes(team["first_case"]) == []
    assert ALREADY_SAVED in client.get(answer.location).get_data(as_text=True)


def test_keys_older_than_a_day_are_deleted_by_the_nightly_sweep(team: dict[str, Any]) -> None:
    from casework.accounts.tasks import prune_sessions

    db.session.add_all(
        [
            SubmissionKey(key="o" * 32, user_id=team["first"].id, created_at=now() - timedelta(days=1, minutes=1)),
            SubmissionKey(key="n" * 32, user_id=team["first"].id, created_at=now() - timedelta(hours=23)),
        ]
    )
    db.session.commit()

    prune_sessions()

    assert list(db.session.scalars(sa.select(SubmissionKey.key))) == ["n" * 32]


def test_a_reloaded_page_does_not_keep_the_key_it_was_given(page_client: Any, team: dict[str, Any]) -> None:
    """Firefox keeps the values of a page's hidden fields when it is reloaded, unless told not to: a
    reloaded form would send the key of the one already saved, and be refused."""
    page = page_client(team["first"]).get(f"/cases/{team['first_case']}/notes/new").get_data(as_text=True)
    (field,) = re.findall(r'<input[^>]*name="submission_key"[^>]*>', page)
    assert 'autocomplete="off"' in field


def test_one_form_written_out_twice_carries_two_keys(app: Any) -> None:
    """A form object written out more than once (a row's small form in a loop, two forms of a page built
    from one object, as the police log call's "add it to a case" and "dismiss it") is as many forms: with
    one key between them, the second sent after the first would be answered "already saved" and do
    nothing."""
    from casework.core.forms import ConfirmForm

    with app.test_request_context():
        form = ConfirmForm()
        written = [str(form.hidden_tag()), str(form.hidden_tag()), str(form.submission_key())]
    keys = [re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html) for html in written]
    assert all(keys), written
    assert len({key.group(1) for key in keys if key}) == 3, written


def test_the_forms_of_a_page_shown_again_with_errors_carry_keys_of_their_own(page_client: Any, make: Any) -> None:
    """A page answering a POST builds its forms from that request's fields: every form of the page with
    the prefix of the one sent (the notification settings' delivery form and the calendar link's button,
    both without one) took the key it was sent with. Shown again with the settings' error, the page's
    forms shared one key: the calendar link made from it, the corrected settings were answered as that
    making and not saved. Each form of the page is a form of its own, whichever object wrote it."""
    client = page_client(make.user("officer"))
    key = _key_of(client.get("/notifications"))
    refused = client.post("/notifications", data={"submission_key": key, "delivery": "by pigeon"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    keys = re.findall(r'name="submission_key" type="hidden" value="([^"]+)"', html)
    assert len(keys) == 2, keys
    assert len(set(keys)) == 2, keys
    settings_key, calendar_key = keys

    made = client.post("/notifications/calendar", data={"submission_key": calendar_key})
    assert made.status_code == 200
    assert "calendar-feed-url" in made.get_data(as_text=True)
    saved = client.post("/notifications", data={"submission_key": settings_key, "delivery": "digest_only"})
    assert saved.status_code == 302
    assert 'value="digest_only" checked' in client.get("/notifications").get_data(as_text=True)


def test_a_form_refused_by_the_idle_timeout_is_saved_when_sent_again_after_signing_in(
    page_client: Any, team: dict[str, Any]
) -> None:
    """The idle timeout answers the form's POST (signed out, to the sign-in page) and commits the end of
    the session; that commit took the form's key with it, as though the form had saved: sent again once
    signed in (the page kept open, say), it was answered "already saved" and the note was lost."""
    import time

    url = f"/cases/{team['first_case']}/notes/new"
    idle = page_client(team["first"])
    key = _key_of(idle.get(url))
    with idle.session_transaction() as cookie:
        cookie["last_seen"] = int(time.time()) - 24 * 3600
    timed_out = idle.post(url, data={"submission_key": key, "text": "Visited the flat"})
    assert timed_out.status_code == 302
    assert timed_out.location.startswith("/sign-in")
    assert _notes(team["first_case"]) == []

    signed_in_again = page_client(team["first"])
    assert signed_in_again.post(url, data={"submission_key": key, "text": "Visited the flat"}).status_code == 302
    assert _notes(team["first_case"]) == ["Visited the flat"]
