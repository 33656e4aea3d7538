"""Whoever applies for the victim records the victim's consent, or why it is not needed: an
advocate (``on_behalf``) and a partner agency activating the trigger (``partner``) alike. The
victim applying, or a group applying for itself, needs no one else's consent."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.community_triggers.models import TriggerApplication
from casework.extensions import db
from tests.community_triggers.test_public_form import _answers, _post
from tests.community_triggers.test_public_form import area as area
from tests.community_triggers.test_public_form import frozen_today as frozen_today


def _applications() -> int:
    return db.session.scalar(sa.select(sa.func.count(TriggerApplication.id)))


@pytest.mark.parametrize("role", ["on_behalf", "partner"])
def test_applying_for_the_victim_without_consent_or_a_reason_is_refused_with_rule(ct, api_client, role):
    response = api_client(ct.coordinator).post(
        "/api/v1/triggers", json=ct.body(applicant_role=role, consent_given=False)
    )
    assert response.status_code == 422, response.json
    assert "consent" in response.json["errors"]["_rule"][0]
    assert "consent_given" in response.json["errors"]
    assert _applications() == 0


@pytest.mark.parametrize("role", ["on_behalf", "partner"])
def test_a_blank_reason_is_no_reason(ct, api_client, role):
    response = api_client(ct.coordinator).post(
        "/api/v1/triggers",
        json=ct.body(applicant_role=role, consent_given=False, consent_not_needed_reason="   "),
    )
    assert response.status_code == 422
    assert "_rule" in response.json["errors"]


@pytest.mark.parametrize("role", ["on_behalf", "partner"])
def test_consent_given_is_enough(ct, api_client, role):
    response = api_client(ct.coordinator).post(
        "/api/v1/triggers", json=ct.body(applicant_role=role, consent_given=True)
    )
    assert response.status_code == 201, response.json
    assert response.json["consent_given"] is True
    assert response.json["consent_not_needed_reason"] is None


@pytest.mark.parametrize("role", ["on_behalf", "partner"])
def test_the_reason_consent_is_not_needed_is_enough_and_kept(ct, api_client, role):
    response = api_client(ct.coordinator).post(
        "/api/v1/triggers",
        json=ct.body(
            applicant_role=role,
            consent_given=False,
            consent_not_needed_reason=" The victim lacks capacity; her daughter holds lasting power of attorney. ",
            victim={"name": "Edna Victim", "email": "edna@example.org", "address": "2 High Street"},
        ),
    )
    assert response.status_code == 201, response.json
    assert response.json["consent_given"] is False
    assert response.json["consent_not_needed_reason"] == (
        "The victim lacks capacity; her daughter holds lasting power of attorney."
    )
    assert response.json["victim"] == {"name": "Edna Victim", "email": "edna@example.org", "address": "2 High Street"}


@pytest.mark.parametrize("role", ["victim", "group"])
def test_the_victim_or_a_group_applying_for_itself_needs_no_one_elses_consent(ct, api_client, role):
    response = api_client(ct.coordinator).post(
        "/api/v1/triggers",
        json=ct.body(
            applicant_role=role,
            consent_given=False,
            consent_not_needed_reason="ignored",
            victim={"name": "Someone Else"},
        ),
    )
    assert response.status_code == 201, response.json
    # Nothing about another person's consent is recorded for someone applying for themselves.
    assert response.json["consent_not_needed_reason"] is None
    assert response.json["victim"] is None


# --- the pages: the same rule, and consent is never assumed from the role ---------------------------


@pytest.mark.parametrize("role", ["on_behalf", "partner"])
def test_the_public_form_refuses_applying_for_someone_without_consent_or_a_reason(client, area, role):
    response = _post(client, {**_answers(applicant_role=role), "confirm": "y"})
    assert response.status_code == 422
    assert "Confirm that the person you are applying for has agreed" in response.text
    assert _applications() == 0


@pytest.mark.parametrize("role", ["victim", "group"])
def test_the_public_form_never_records_consent_nobody_gave(client, area, role):
    response = _post(client, {**_answers(applicant_role=role), "confirm": "y"})
    assert response.status_code == 302
    application = db.session.scalar(sa.select(TriggerApplication))
    assert application.consent_given is False


def test_the_public_form_records_the_reason_and_the_victim(client, area):
    answers = _answers(
        applicant_role="partner",
        consent_not_needed_reason="He cannot be contacted safely; the police safeguarding lead agreed.",
        victim_name="Victor Victim",
        victim_email="victor@example.org",
    )
    check = _post(client, answers)
    assert check.status_code == 200
    assert "The person you are applying for" in check.text
    assert "Victor Victim" in check.text
    response = _post(client, {**answers, "confirm": "y"})
    assert response.status_code == 302
    application = db.session.scalar(sa.select(TriggerApplication))
    assert application.consent_given is False
    assert application.consent_not_needed_reason.startswith("He cannot be contacted safely")
    assert (application.victim_name, application.victim_email) == ("Victor Victim", "victor@example.org")


def test_the_public_form_records_consent_when_given(client, area):
    response = _post(client, {**_answers(applicant_role="on_behalf", consent_given="y"), "confirm": "y"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(TriggerApplication)).consent_given is True
