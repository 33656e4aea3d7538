"""The public application form, the honeypot, the rate limit and the progress check."""

from __future__ import annotations

import re
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


def _check_progress(client, reference, contact, **kwargs):
    page = client.get("/case-review/progress", **kwargs)
    return client.post(
        "/case-review/progress",
        data={"reference": reference, "contact": contact, "csrf_token": csrf_from(page.text)},
        **kwargs,
    )


def test_progress_shows_the_status_and_dated_steps_only(client, area):
    _post(client, {**_answers(applicant_phone="07700 900123"), "confirm": "y"})
    application = db.session.scalar(sa.select(TriggerApplication))
    for contact in ("Rita@Example.org", "07700 900123", "+44 7700 900 123"):
        response = _check_progress(client, application.reference.lower(), contact)
        assert response.status_code == 200
        assert "checking whether it meets the threshold" in response.text
        assert 'id="progress-steps"' in response.text
        assert "20 March 2026" in response.text
        assert "We received the application." in response.text
        for personal in ("Rita Resident", "High Street", "Loud music", "REF-0"):
            assert personal not in response.text


def test_progress_lists_later_steps_by_date(client, area, make):
    _post(client, {**_answers(), "confirm": "y"})
    application = db.session.scalar(sa.select(TriggerApplication))
    application.acknowledged_on = date(2026, 3, 20)
    from casework.community_triggers.models import ThresholdDecision

    db.session.add(
        ThresholdDecision(application=application, met=False, reasons="Private reasons", decided_on=date(2026, 3, 20))
    )
    db.session.commit()
    text = _check_progress(client, application.reference, "rita@example.org").text
    received = text.index("We received the application.")
    acknowledged = text.index("We wrote to confirm we had received it.")
    decided = text.index("threshold for a Case Review is not met and wrote to explain why")
    assert received < acknowledged < decided
    assert "Private reasons" not in text


@pytest.mark.parametrize(
    "contact",
    ["someone@example.org", "07700 900999", "BOL", "rita"],
)
def test_progress_with_another_contact_looks_like_an_unknown_reference(client, area, contact):
    _post(client, {**_answers(applicant_phone="07700 900123"), "confirm": "y"})
    application = db.session.scalar(sa.select(TriggerApplication))
    wrong = _check_progress(client, application.reference, contact)
    unknown = _check_progress(client, "BOL-CT-2026-9999", "rita@example.org")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert 'id="progress-result"' in response.text
        assert "We cannot show progress for that reference" in response.text
        assert "progress-steps" not in response.text
        assert "checking whether it meets the threshold" not in response.text


def _statements_of_checking(client, reference, contact) -> list[str]:
    page = client.get("/case-review/progress")
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _many):
        statements.append(re.sub(r"\d+", "N", " ".join(statement.split())))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        response = client.post(
            "/case-review/progress",
            data={"reference": reference, "contact": contact, "csrf_token": csrf_from(page.text)},
        )
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
    assert "We cannot show progress for that reference" in response.text
    return statements


@pytest.mark.parametrize("contact", ["someone@example.org", "07700 900999"])
def test_progress_with_another_contact_does_the_same_work_as_an_unknown_reference(client, area, contact):
    """Not only the same page: the same statements, so the time the check takes cannot tell which
    references exist either."""
    _post(client, {**_answers(applicant_phone="07700 900123"), "confirm": "y"})
    application = db.session.scalar(sa.select(TriggerApplication))
    wrong = _statements_of_checking(client, application.reference, contact)
    unknown = _statements_of_checking(client, "BOL-CT-2026-9999", contact)
    assert wrong == unknown


def test_progress_of_an_application_without_email_or_phone_is_never_shown(client, area):
    _post(client, {**_answers(applicant_email=""), "confirm": "y"})
    application = db.session.scalar(sa.select(TriggerApplication))
    response = _check_progress(client, application.reference, "")
    assert response.status_code == 422
    response = _check_progress(client, application.reference, "@")
    assert "We cannot show progress for that reference" in response.text


def test_progress_needs_a_reference_and_a_contact(client, area):
    response = _check_progress(client, "", "")
    assert response.status_code == 422
    assert "Enter your application reference" in response.text
    assert "Enter the email address or phone number you gave on the application" in response.text


def test_check_your_answers_has_a_change_button_on_every_row(client, area):
    page = _post(client, _answers()).text
    rows = page.count('class="govuk-summary-list__row"')
    changes = re.findall(
        r'<button type="submit" name="change" value="y" formaction="/case-review/apply#([\w-]+)"', page
    )
    assert rows == len(changes) == 6 + 1 + 3 * 6
    assert {"applicant_name", "description", "complaints-2-occurred_on", "complaints-0-agency"} <= set(changes)
    # Each names its row for screen readers; the answers go back with the button.
    assert '<span class="govuk-visually-hidden"> email address</span>' in page
    back = client.post("/case-review/apply", data={**_answers(), "change": "y", "csrf_token": csrf_from(page)})
    assert back.status_code == 200
    assert 'id="applicant_name"' in back.text
    assert 'value="Rita Resident"' in back.text
    assert _count() == 0


def test_the_consent_question_follows_the_question_of_who_is_applying_once(client, area):
    """Applying for someone else and an agency applying for a victim both need the victim's consent
    (or why not): the questions follow the role question once, for both answers, rather than being
    revealed under one of them (a reveal under each would repeat every field)."""
    page = client.get("/case-review/apply").text
    assert page.count('name="consent_given"') == 1
    assert page.count('name="consent_not_needed_reason"') == 1
    assert page.index('value="partner"') < page.index('name="consent_given"')


def test_a_name_with_line_breaks_is_refused_and_nothing_is_written(client, area):
    name = "Resident,\r\n\r\nURGENT: verify your identity at https://evil.example/verify"
    response = _post(client, {**_answers(applicant_name=name), "confirm": "y"})
    assert response.status_code in (200, 422)
    assert "Enter this on one line, without line breaks" in response.text
    assert _count() == 0
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0


def test_the_confirmation_email_carries_no_text_the_sender_typed(client, area):
    # Anyone may give anyone's address: the email to it must not carry a message of the sender's own.
    response = _post(client, {**_answers(applicant_name="Visit https://evil.example now"), "confirm": "y"})
    assert response.status_code == 302
    [email] = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == "rita@example.org")).all()
    assert email.body_text.startswith("Dear applicant,")
    assert "evil.example" not in email.body_text


def test_progress_checks_of_one_reference_are_limited_whatever_the_address(client, app, area):
    """Many addresses guessing one applicant's contact meet the reference's own limit; the applicant
    is told how long to wait, and once the hour is over can check again."""
    _post(client, {**_answers(), "confirm": "y"})
    application = db.session.scalars(sa.select(TriggerApplication)).one()
    app.config["CASEWORK"]["PROGRESS_REFERENCE_LIMIT"] = "3 per hour"
    for guess in range(3):
        wrong = _check_progress(
            client, application.reference, f"guess{guess}@example.org", environ_base={"REMOTE_ADDR": f"192.0.2.{guess}"}
        )
        assert wrong.status_code == 200
    # Another address, the right contact, the reference written as the look-up reads it: refused all the same.
    refused = _check_progress(
        client, f" {application.reference.lower()} ", "rita@example.org", environ_base={"REMOTE_ADDR": "198.51.100.7"}
    )
    assert refused.status_code == 429
    assert "too many checks of this reference. Wait 60 minutes" in refused.text
    assert 3590 < int(refused.headers["Retry-After"]) <= 3601
    assert "progress-steps" not in refused.text
    # A form sent without a reference is told what is missing, whatever the limits of others.
    for _attempt in range(4):
        blank = _check_progress(client, "", "rita@example.org")
    assert blank.status_code == 422
    assert "Enter your application reference" in blank.text
    # A reference nobody has is refused in the same words once over its limit: the refusal lists nothing.
    for _attempt in range(3):
        _check_progress(client, "BOL-CT-2026-9999", "rita@example.org")
    unknown = _check_progress(client, "BOL-CT-2026-9999", "rita@example.org")
    assert unknown.status_code == 429
    assert "too many checks of this reference" in unknown.text
    # Another reference is not held up by it.
    assert _check_progress(client, "BOL-CT-2026-9998", "rita@example.org").status_code == 200
    with time_machine.travel("2026-03-20 11:00:01+00:00", tick=False):
        again = _check_progress(client, application.reference, "rita@example.org")
    assert again.status_code == 200
    assert 'id="progress-steps"' in again.text


def test_the_reference_limit_counts_over_an_hour_at_most(tmp_path):
    from casework.config import ConfigError, load

    with pytest.raises(ConfigError, match="an hour at most"):
        load(str(tmp_path), {"ENV": "testing", "SECRET_KEY": "x" * 40, "PROGRESS_REFERENCE_LIMIT": "10 per day"})
