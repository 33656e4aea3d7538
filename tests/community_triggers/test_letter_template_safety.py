"""Letter templates cannot hold a worker, cannot be saved when they fail on made-up records shaped as
real ones (never tried on real records), never show an admin real casework, and fall back to the
default (telling the admins) at send time."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.community_triggers import letters, services
from casework.community_triggers.models import Letter, LetterKind, LetterTemplate
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.safe_templates import LimitedSandbox, Limits, TemplateLimitExceeded
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from tests.community_triggers import test_pages_staff as pages
from tests.community_triggers.test_pages_staff import _decide_met, _register

world = pages.world

NESTED_LOOP = "{% for a in range(99999) %}{% for b in range(99999) %}{{ a }}{% endfor %}{% endfor %}"
#: Works with the made-up example (applicant "Sam Sample") and fails for any other applicant, with a
#: Jinja message that would quote the real name: "'dict object' has no attribute 'Rita Resident'".
QUOTES_THE_NAME = '{{ {"Sam Sample": "known"}[application.applicant_name] }}'


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel("2026-03-20 10:00:00+00:00", tick=False):
        yield


# --- limits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (NESTED_LOOP, "loops ran more than 10,000 times"),
        ("{% for a in range(5000) %}{% for b in range(5) %}x{% endfor %}{% endfor %}", "loops ran more than"),
        ("{{ 'x' * 1000000000 }}", "more than 100,000 characters"),
        ("{{ 10 ** 100000000 }}", "more than 100,000 characters"),
        ("{{ '%0999999999d' % 1 }}", "more than 100,000 characters"),
        ("{{ '{:>999999999}'.format(1) }}", "more than 100,000 characters"),
        ("{{ 'a' | center(1000000000) }}", "more than 100,000 characters"),
        ("{{ '%0999999999d' | format(1) }}", "more than 100,000 characters"),
        ("{{ range(99999) | join(',') }}", "more than 100,000 characters"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "calls itself too deeply"),
    ],
)
def test_templates_that_would_hold_a_worker_are_refused(db_session, body, message):
    with pytest.raises(InvalidInput) as error:
        letters.check_template(LetterKind.acknowledgement, "Subject", body)
    assert message in error.value.errors["body"][0]


def test_the_subject_has_its_own_smaller_limit(db_session):
    with pytest.raises(InvalidInput):
        letters.check_template(LetterKind.acknowledgement, "{{ 'x' * 5000 }}", "Body")


def test_the_wall_clock_limit_works_in_a_thread_without_signals():
    """A gunicorn thread or a Celery worker thread cannot use signal.alarm: the deadline is checked
    by the template's own loops, calls and output."""
    sandbox = LimitedSandbox()
    outcome: list[BaseException | str] = []

    def render() -> None:
        try:
            outcome.append(
                sandbox.render_limited(NESTED_LOOP, {}, Limits(seconds=0.05, iterations=10**9, output=10**9))
            )
        except TemplateLimitExceeded as error:
            outcome.append(error)

    thread = threading.Thread(target=render)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the render was not stopped"
    [error] = outcome
    assert isinstance(error, TemplateLimitExceeded)
    assert "longer than 0.05 seconds" in str(error)


def test_an_ordinary_loop_is_fine(db_session):
    rendered = letters.check_template(
        LetterKind.outcome, "S", "{% for item in recommendations %}{{ loop.index }}. {{ item.text }}\n{% endfor %}"
    )
    assert "1. Install noise monitoring equipment." in rendered.body


# --- saving checks made-up records, never real ones ------------------------------------------------


def _save(client, kind: str, body: str, area: str | None = "BOL"):
    path = f"/admin/letter-templates/{kind}" + (f"?area={area}" if area else "")
    return client.post(path, data={"subject": "Your application", "body": body, "save": "y"})


def test_a_template_that_would_fail_on_real_records_cannot_be_saved_and_nothing_real_is_shown(page_client, world):
    application = _register(world)
    _decide_met(world, application)  # a "met" decision: no persistence, harm or adequacy given
    client = page_client(world.admin)

    # Fills in the example (which gives persistence) but not a decision that gives none, as the real one.
    response = _save(
        client, "threshold_decision", "Dear {{ application.applicant_name }}, {{ decision.persistence.strip() }}"
    )
    assert response.status_code == 422
    assert "not with a decision that it is met, with no basis, reasons or factors" in response.text
    assert "line 1" in response.text
    assert "Rita Resident" not in response.text
    assert application.reference not in response.text
    assert db.session.scalar(sa.select(sa.func.count(LetterTemplate.id))) == 0

    # An error whose Jinja message would quote a name is described without it; the same answer in
    # every area, with real records or none (the check never reads them).
    answers = {_save(client, "acknowledgement", QUOTES_THE_NAME, area=area).text for area in ("BOL", "NED", None)}
    for text in answers:
        assert "Rita Resident" not in text
        assert "an application whose applicant&#39;s name has an apostrophe" in text
    assert db.session.scalar(sa.select(sa.func.count(LetterTemplate.id))) == 0


def test_the_preview_is_the_made_up_example_even_with_real_records(page_client, world):
    application = _register(world)
    services.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 3, 4))
    commit()
    page = page_client(world.admin).get("/admin/letter-templates/acknowledgement?area=BOL")
    assert page.status_code == 200
    assert "Sam Sample" in page.text
    assert "Rita Resident" not in page.text
    assert application.reference not in page.text


# --- at send time -------------------------------------------------------------------------------------


def test_a_template_failing_at_send_time_falls_back_to_the_default_and_tells_the_admins_once(world, make):
    # Saved before the records it fails on existed (or before these checks): only send time can tell.
    db.session.add(
        LetterTemplate(kind=LetterKind.acknowledgement, area_id=world.area.id, subject="Hello", body=QUOTES_THE_NAME)
    )
    elsewhere_admin = make.user("admin", agency=world.elsewhere)
    db.session.commit()
    first, second = _register(world), _register(world, email="second@example.org")
    # Dated before today, so the letters go out only because they are asked for.
    services.acknowledge(world.coordinator, first, acknowledged_on=date(2026, 3, 4), send_letter=True)
    services.acknowledge(world.coordinator, second, acknowledged_on=date(2026, 3, 4), send_letter=True)
    commit()

    letters_sent = db.session.scalars(sa.select(Letter).order_by(Letter.id)).all()
    assert len(letters_sent) == 2
    for letter, application in zip(letters_sent, (first, second), strict=True):
        default = letters.render(
            *letters.DEFAULT_TEMPLATES[LetterKind.acknowledgement], letters.context_for(application)
        )
        assert (letter.subject, letter.body) == (default.subject, default.body)

    warnings = db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.related_type == "trigger_letter_templates")
    ).all()
    assert [w.to_address for w in warnings] == [world.admin.email], "the area's admins, once per template version"
    assert elsewhere_admin.email not in [w.to_address for w in warnings]
    [warning] = warnings
    assert "failed" in warning.subject
    # Nor how or where it failed: a template can choose both by what a real record holds.
    assert "missing or empty" not in warning.body_text
    assert "line" not in warning.body_text
    assert "http://127.0.0.1:5000/admin/letter-templates/acknowledgement?area=BOL" in warning.body_text
    for secret in ("Rita Resident", first.reference, second.reference, "rita@example.org"):
        assert secret not in warning.body_text
        assert secret not in warning.subject


def _register_in(world, area, name: str, email: str):
    """An application in ``area`` (the police cover both areas)."""
    application = services.register_application(
        world.police_officer,
        {
            "area": area,
            "received_on": date(2026, 3, 2),
            "channel": "phone",
            "applicant": {"name": name, "email": email, "phone": "07700 900123", "address": "7 Mill Lane"},
            "applicant_role": "victim",
            "consent_given": True,
            "description": "Loud music every night.",
            "cases": [],
            "complaints": [],
        },
    )
    commit()
    return application


def test_the_admins_email_about_a_failed_template_says_the_same_whatever_real_letter_failed(world, make):
    """All the email tells is that a real letter failed (one bit, per version of the template): not
    whose, where, which line or how, so it is the same for any record, in any area, failing any way."""
    make.user("admin", agency=world.police)  # covers both areas
    make.user("admin", agency=world.elsewhere)  # covers the other area only
    template = LetterTemplate(
        kind=LetterKind.acknowledgement,
        area_id=None,  # for every area
        subject="Hello",
        body="Dear applicant,\n\n{{ application.applicant_name.nope }}",
    )
    db.session.add(template)
    db.session.commit()

    def told(application) -> dict[str, tuple[str, str]]:
        services.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 3, 4), send_letter=True)
        commit()
        emails = db.session.scalars(
            sa.select(OutboxEmail).where(
                OutboxEmail.related_type == "trigger_letter_templates",
                OutboxEmail.idempotency_key.like(f"letter-template-failed:{template.id}:{template.version}:%"),
            )
        ).all()
        return {email.to_address: (email.subject, email.body_text) for email in emails}

    first = _register_in(world, world.area, "Rita Resident", "rita@example.org")
    in_bolsover = told(first)
    # A new version that fails another way (a sum with a date), on another line, for a record in the other area.
    template.body = "Dear applicant,\n\nWe write\nabout\nyour\napplication {{ application.received_on + 1 }}"
    db.session.commit()
    second = _register_in(world, world.other_area, "Harriet Hidden", "harriet@example.org")
    elsewhere = told(second)

    assert in_bolsover
    assert elsewhere == in_bolsover, "the email and who gets it depend on the template, not on the record"
    for subject, text in in_bolsover.values():
        assert "line" not in text
        assert "missing or empty" not in text
        assert "does not suit" not in text
        for application in (first, second):
            for secret in (
                application.applicant_name,
                application.reference,
                application.applicant_email,
                application.applicant_phone,
                application.applicant_address,
                application.area.name,
                "2026",
            ):
                assert secret not in subject
                assert secret not in text
