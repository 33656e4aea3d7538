"""The public application form, the honeypot, the rate limit and the progress check."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.community_triggers.models import TriggerApplication
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from tests.conftest import csrf_from

TODAY = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel("2026-03-20 10:00:00+00:00", tick=False):
        yield


@pytest.fixture
def area(make):
    area = make.area("BOL", "Bolsover")
    make.agency("BDC", areas=[area])
    make.agency("DERPOL", areas=[area], kind="police")
    return area


def _answers(**overrides):
    data = {
        "applicant_role": "victim",
        "applicant_name": "Rita Resident",
        "applicant_email": "rita@example.org",
        "applicant_phone": "",
        "applicant_address": "1 High Street",
        "area": "BOL",
        "description": "Loud music every night.",
        "website": "",
    }
    days = [
        (date(2026, 2, 1), date(2026, 2, 2), "BDC"),
        (date(2026, 2, 8), date(2026, 2, 9), "DERPOL"),
        (date(2026, 2, 15), date(2026, 2, 16), "BDC"),
    ]
    for index, (occurred, reported, agency) in enumerate(days):
        prefix = f"complaints-{index}"
        data.update(
            {
                f"{prefix}-occurred_on-day": str(occurred.day),
                f"{prefix}-occurred_on-month": str(occurred.month),
                f"{prefix}-occurred_on-year": str(occurred.year),
                f"{prefix}-reported_on-day": str(reported.day),
                f"{prefix}-reported_on-month": str(reported.month),
                f"{prefix}-reported_on-year": str(reported.year),
                f"{prefix}-agency": agency,
                f"{prefix}-reference": f"REF-{index}",
            }
        )
    data.update(overrides)
    return data


def _post(client, data):
    page = client.get("/case-review/apply")
    assert page.status_code == 200
    return client.post("/case-review/apply", data={**data, "csrf_token": csrf_from(page.text)})


def _count():
    return db.session.scalar(sa.select(sa.func.count(TriggerApplication.id)))


def test_start_page_and_form_need_no_account(client, area):
    assert client.get("/case-review/").status_code == 200
    page = client.get("/case-review/apply")
    assert page.status_code == 200
    assert "Complaint 3" in page.text
    assert 'class="app-honeypot" aria-hidden="true"' in page.text
    assert 'tabindex="-1"' in page.text
    assert "style=" not in page.text


def test_continue_shows_check_answers_and_writes_nothing(client, area):
    response = _post(client, _answers())
    assert response.status_code == 200
    assert "Check your answers" in response.text
    assert "REF-2" in response.text
    assert _count() == 0


def test_accept_and_send_registers_confirms_and_emails(client, area):
    response = _post(client, {**_answers(), "confirm": "y"})
    assert response.status_code == 302
    application = db.session.scalar(sa.select(TriggerApplication))
    assert application.reference.startswith("BOL-CT-2026-")
    assert application.channel.value == "online"
    assert application.registered_by_id is None
    assert len(application.complaints) == 3
    confirmation = client.get(response.headers["Location"])
    assert "govuk-panel" in confirmation.text
    # The reference is shown in bold on its own line, not as markup text (&lt;br&gt;&lt;strong&gt;...).
    assert f"Your reference number<br><strong>{application.reference}</strong>" in confirmation.text
    assert "&lt;" not in confirmation.text
    emails = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == "rita@example.org")).all()
    assert any(application.reference in e.subject for e in emails)


def test_no_email_address_no_confirmation_email(client, area):
    response = _post(client, {**_answers(applicant_email=""), "confirm": "y"})
    assert response.status_code == 302
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OutboxEmail.id)).where(OutboxEmail.subject.like("%Case Review application%"))
        )
        == 0
    )


def test_add_another_complaint_adds_a_row_without_validating(client, area):
    response = _post(client, {**_answers(applicant_name=""), "add_complaint": "y"})
    assert response.status_code == 200
    assert "Complaint 4" in response.text
    assert "There is a problem" not in response.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"applicant_name": ""}, "Enter your full name"),
        ({"applicant_role": "on_behalf"}, "Confirm that the person you are applying for has agreed"),
        ({"complaints-0-occurred_on-day": "31", "complaints-0-occurred_on-month": "2"}, "must be a real date"),
        ({"complaints-0-reported_on-day": "21", "complaints-0-reported_on-month": "3"}, "must be today or in the past"),
        ({"complaints-1-reported_on-day": "7"}, "must be on or after the day it happened"),
        ({"complaints-2-agency": ""}, "Select who it was reported to"),
        ({"applicant_email": "not-an-email"}, "Enter an email address in the correct format"),
    ],
)
def test_bad_input_shows_the_error_summary_and_writes_nothing(client, area, overrides, message):
    response = _post(client, {**_answers(**overrides), "confirm": "y"})
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert "govuk-error-summary" in response.text
    assert message in response.text
    assert _count() == 0


def test_honeypot_answers_generically_and_writes_nothing(client, area):
    response = _post(client, {**_answers(website="http://spam.example"), "confirm": "y"})
    assert response.status_code == 200
    assert "Application sent" in response.text
    assert "BOL-CT" not in response.text
    assert _count() == 0
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0


def test_progress_shows_status_only(client, area):
    _post(client, {**_answers(), "confirm": "y"})
    application = db.session.scalar(sa.select(TriggerApplication))
    page = client.get("/case-review/progress")
    response = client.post(
        "/case-review/progress", data={"reference": application.reference.lower(), "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 200
    assert "checking whether it meets the threshold" in response.text
    for personal in ("Rita", "rita@example.org", "High Street", "Loud music", "REF-0"):
        assert personal not in response.text


def test_progress_unknown_reference_has_the_same_shape(client, area):
    page = client.get("/case-review/progress")
    known_shape = client.post(
        "/case-review/progress", data={"reference": "BOL-CT-2026-9999", "csrf_token": csrf_from(page.text)}
    )
    assert known_shape.status_code == 200
    assert 'id="progress-result"' in known_shape.text
    assert "We cannot show progress for that reference" in known_shape.text


def test_progress_needs_a_reference(client, area):
    page = client.get("/case-review/progress")
    response = client.post("/case-review/progress", data={"reference": "", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert "Enter your application reference" in response.text


def test_public_form_is_rate_limited(app, database_url, tmp_path, area):
    from casework import create_app
    from tests.conftest import TestClient, test_settings

    limited = create_app(
        {
            **test_settings(database_url, tmp_path),
            "INSTANCE_PATH": str(tmp_path),
            "PUBLIC_FORM_RATE_LIMIT": "2 per minute",
        }
    )
    limited.test_client_class = TestClient
    client = limited.test_client()
    token = csrf_from(client.get("/case-review/progress").text)
    codes = [
        client.post("/case-review/progress", data={"reference": "BOL-CT-2026-0001", "csrf_token": token}).status_code
        for _ in range(3)
    ]
    # Building an app makes its Celery the default: give it back to the suite's app.
    app.extensions["celery"].set_default()
    assert codes == [200, 200, 429]
