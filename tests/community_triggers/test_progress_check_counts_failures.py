"""The public progress check's per-reference limit (CASEWORK_PROGRESS_REFERENCE_LIMIT) counts only the
checks that fail: the applicant, checking with the right details as often as they like, never fills it
and is never shut out by their own checks; guesses of their contact fill it as before, and then the
right details are refused too; a reference nobody has is refused exactly as a real one; a burst of
guesses gets no more checked than the limit allows; the per-address limit still counts every check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.community_triggers.models import TriggerApplication
from casework.extensions import db, limiter
from tests.accounts.test_sign_in_limits_burst import BURST, burst, migrated_database  # noqa: F401 (fixtures)
from tests.community_triggers.test_public_form import _answers, _check_progress, _post
from tests.conftest import csrf_from

#: The default (casework.config): the suite's settings raise it.
LIMIT = 10
MADE_UP = "BOL-CT-2026-9999"


@pytest.fixture(autouse=True)
def frozen_time() -> Any:
    with time_machine.travel("2026-03-20 10:00:00+00:00", tick=False):
        yield


@pytest.fixture
def reference(app: Any, client: Any, make: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Case Review applied for by Rita (rita@example.org), under the default per-reference limit."""
    area = make.area("BOL", "Bolsover")
    make.agency("BDC", areas=[area])
    make.agency("DERPOL", areas=[area], kind="police")
    assert _post(client, {**_answers(), "confirm": "y"}).status_code == 302
    # The app is the session's: every limit changed here is put back for the tests after these.
    for setting in ("PROGRESS_REFERENCE_LIMIT", "PUBLIC_FORM_RATE_LIMIT"):
        monkeypatch.setitem(app.config["CASEWORK"], setting, app.config["CASEWORK"][setting])
    app.config["CASEWORK"]["PROGRESS_REFERENCE_LIMIT"] = f"{LIMIT} per hour"
    # Counts left by earlier tests at the same frozen moment (the same first reference) start again.
    limiter.reset()
    yield db.session.scalars(sa.select(TriggerApplication.reference)).one()
    limiter.reset()  # nor are the counts made here left to the tests after these


def address(number: int) -> dict[str, Any]:
    """Another client address for each check: the reference's limit counts whichever address sends it."""
    return {"environ_base": {"REMOTE_ADDR": f"192.0.2.{number}"}}


def answered(response: Any) -> bool:
    return response.status_code == 200 and 'id="progress-steps"' in response.text


def test_eleven_correct_checks_in_a_row_all_answer(client, reference) -> None:
    for number in range(LIMIT + 1):
        assert answered(_check_progress(client, reference, "rita@example.org", **address(number))), number


def test_ten_wrong_checks_then_a_correct_one_is_refused(client, reference) -> None:
    for number in range(LIMIT):
        wrong = _check_progress(client, reference, f"guess{number}@example.org", **address(number))
        assert wrong.status_code == 200
        assert 'id="progress-steps"' not in wrong.text
    refused = _check_progress(client, reference, "rita@example.org", **address(99))
    assert refused.status_code == 429
    assert "too many checks of this reference" in refused.text
    assert "progress-steps" not in refused.text


def test_correct_checks_between_wrong_ones_count_for_nothing(client, reference) -> None:
    for number in range(LIMIT - 1):
        _check_progress(client, reference, f"guess{number}@example.org", **address(number))
        assert answered(_check_progress(client, reference, "rita@example.org", **address(number)))
    # Nine guesses: one left, whatever the applicant did meanwhile.
    assert _check_progress(client, reference, "guess@example.org").status_code == 200
    assert _check_progress(client, reference, "rita@example.org").status_code == 429


def test_a_form_that_checks_nothing_counts_for_nothing(client, reference) -> None:
    for number in range(LIMIT + 1):
        incomplete = _check_progress(client, reference, "", **address(number))
        assert incomplete.status_code == 422
    assert answered(_check_progress(client, reference, "rita@example.org"))


def _as_read(page: str, reference: str) -> str:
    """The page with what differs between any two answers taken out: the reference typed, the form's
    hidden tokens (CSRF, submission key) and the page's nonce."""
    page = page.replace(reference, "REFERENCE")
    page = re.sub(r'type="hidden" value="[^"]*"', "TOKEN", page)
    return re.sub(r'nonce="[^"]*"', "NONCE", page)


def test_a_made_up_reference_and_a_real_one_are_refused_alike(client, reference) -> None:
    refusals = {}
    for checked in (reference, MADE_UP):
        for number in range(LIMIT):
            assert _check_progress(client, checked, f"guess{number}@example.org", **address(number)).status_code == 200
        refusals[checked] = _check_progress(client, checked, "rita@example.org", **address(99))
    real, made_up = refusals[reference], refusals[MADE_UP]
    assert real.status_code == made_up.status_code == 429
    assert real.headers["Retry-After"] == made_up.headers["Retry-After"]
    assert _as_read(real.text, reference) == _as_read(made_up.text, MADE_UP)


def test_the_per_address_limit_still_counts_every_check(app, client, reference) -> None:
    app.config["CASEWORK"]["PUBLIC_FORM_RATE_LIMIT"] = "3 per hour"
    for _check in range(3):
        assert answered(_check_progress(client, reference, "rita@example.org", **address(1)))
    assert _check_progress(client, reference, "rita@example.org", **address(1)).status_code == 429
    # Not the reference's: from another address the applicant is answered.
    assert answered(_check_progress(client, reference, "rita@example.org", **address(2)))


def test_guesses_refused_by_the_per_address_limit_do_not_count_against_the_reference(app, client, reference) -> None:
    app.config["CASEWORK"]["PUBLIC_FORM_RATE_LIMIT"] = "1 per hour"
    assert _check_progress(client, reference, "guess@example.org", **address(0)).status_code == 200
    for number in range(LIMIT):  # refused before they check anything
        assert _check_progress(client, reference, f"again{number}@example.org", **address(0)).status_code == 429
    for number in range(1, LIMIT):
        assert _check_progress(client, reference, f"guess{number}@example.org", **address(number)).status_code == 200
    assert _check_progress(client, reference, "rita@example.org", **address(LIMIT)).status_code == 429


def test_a_burst_of_guesses_gets_no_more_checked_than_the_limit(burst: Any) -> None:  # noqa: F811
    """Guesses sent at once (tests/accounts/test_sign_in_limits_burst.py stages them): each takes its
    place before it is checked, so a limit tested first and counted after the answer, which would let the
    whole burst through, is not what counts them; in memory and in Redis."""
    staged = burst
    staged.app.config["CASEWORK"]["PUBLIC_FORM_RATE_LIMIT"] = "10000 per minute"
    staged.app.config["CASEWORK"]["PROGRESS_REFERENCE_LIMIT"] = "3 per hour"
    clients = [staged.app.test_client() for _ in range(BURST)]
    tokens = [csrf_from(c.get("/case-review/progress").text) for c in clients]

    def guess(c: Any, token: str, number: int) -> Any:
        form = {"reference": MADE_UP, "contact": f"guess{number}@example.org", "csrf_token": token}
        return lambda: c.post("/case-review/progress", data=form)

    statuses = staged.send([guess(c, token, n) for n, (c, token) in enumerate(zip(clients, tokens, strict=True))])
    assert statuses == {200: 3, 429: BURST - 3}
