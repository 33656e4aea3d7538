"""The check an admin's template gets before it is saved (the tell-the-victim letter, the Case Review
letters, the notices) never tries it on real records: an administrator sees no casework, and a
template can branch on a real value and fail on the line that matches it, so a check on real records
would spell out victims' and applicants' names one character per request. What the check says
depends on the template only; a template that would break on real records is still refused, because
the made-up records it is tried on leave out what real ones leave out."""

from __future__ import annotations

import html
import re
import string
from datetime import UTC, date, datetime

import pytest
import time_machine

from casework.community_triggers import letters
from casework.community_triggers.models import (
    ApplicantRole,
    Channel,
    LetterKind,
    TriggerApplication,
)
from casework.core.db import commit
from casework.extensions import db
from casework.interventions import notices, services
from casework.interventions.models import NoticeKind, ServiceMethod
from casework.threshold_watch import message
from tests.interventions import world as interventions_world
from tests.threshold_watch.test_watch import entry_of, report

TELL_VICTIM = "/admin/threshold-watch/template?area=BOL"
ACKNOWLEDGEMENT = "/admin/letter-templates/acknowledgement?area=BOL"
CPN = "/admin/notice-templates/cpn?area=BOL"
ALPHABET = string.ascii_letters + " "

world = interventions_world.world


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def _oracle(value: str, position: int, example: str) -> str:
    """The probe's template: it fills in the made-up example (whose ``value`` is ``example``) and
    otherwise fails on the line of the character ``value`` has at ``position``, so the line of a
    failure would name it. One line per candidate character."""
    lines = ["Dear reader,"]
    for char in ALPHABET:
        lines.append(
            f'{{% if {value} != "{example}" and {value}[{position}:{position + 1}] == "{char}" %}}'
            "{{ no_such_value }}{% endif %}"
        )
    return "\n".join(lines)


def _answer(client, url: str, body: str, heading: str = "subject") -> tuple[int, list[str]]:
    """What the check answers (a preview, so nothing is saved): the status and the error messages."""
    response = client.post(url, data={heading: "Heading", "body": body, "preview": "y"})
    messages = re.findall(r'class="govuk-error-message">(.*?)</p>', response.text, flags=re.DOTALL)
    return response.status_code, [" ".join(html.unescape(re.sub(r"<[^>]+>", "", m)).split()) for m in messages]


PROBES: dict[str, tuple[str, str, list[str]]] = {
    "tell the victim": (
        TELL_VICTIM,
        "subject",
        [_oracle("person.name", position, "Alex Example") for position in range(3)]
        + ["{% if person.name | length == 11 %}{{ person.nope }}{% endif %}Dear {{ person.name }}"],
    ),
    "acknowledgement": (
        ACKNOWLEDGEMENT,
        "subject",
        [_oracle("application.applicant_name", position, "Sam Sample") for position in range(3)]
        + ['{{ {"Sam Sample": "known"}[application.applicant_name] }}'],
    ),
    "cpn": (
        CPN,
        "title",
        [_oracle("recipient.name", position, "Sam Sample") for position in range(3)]
        + ['{% if recipient.name == "Adam Adult" %}{{ notice.nothing }}{% endif %}{{ recipient.name }}'],
    ),
}


def _answers(client) -> dict[str, list[tuple[int, list[str]]]]:
    return {
        name: [_answer(client, url, body, heading) for body in bodies]
        for name, (url, heading, bodies) in PROBES.items()
    }


def _add_real_records(world) -> None:
    """A victim on the threshold watch (Vera Victim), a Case Review applicant (Harriet Hidden) and a
    CPN served on Adam Adult."""
    for day in (date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15)):
        report(world, world.case, world.victim, day, world.council)
    assert entry_of(world.victim) is not None
    db.session.add(
        TriggerApplication(
            reference="BOL-CT-2026-0001",
            area_id=world.area.id,
            year=2026,
            sequence=1,
            received_on=date(2026, 6, 2),
            channel=Channel.phone,
            applicant_name="Harriet Hidden",
            applicant_role=ApplicantRole.victim,
            description="Noise",
        )
    )
    _serve_a_cpn(world)
    db.session.commit()


def _serve_a_cpn(world) -> None:
    """A CPN recorded as served, as serving records it (serving also makes a PDF, not needed here)."""
    for kind, issued_on in (("cpw", date(2026, 10, 1)), ("cpn", date(2026, 11, 18))):
        intervention, _warnings = services.create_intervention(
            world.officer,
            world.case,
            {
                "kind": kind,
                "subject_person_id": world.adult.id,
                "issued_on": issued_on,
                "prohibitions": "Do not play amplified music after 11pm.",
                **({"comply_by": date(2026, 10, 20)} if kind == "cpw" else {}),
            },
        )
        commit()
    intervention.served_at = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
    intervention.service_method = ServiceMethod.by_hand
    intervention.served_by_name = "Olive Officer"
    intervention.notice_details = {
        "conduct": "Music.",
        "recipient_name": "Adam Adult",
        "recipient_address": "9 Station Road",
    }


def test_the_check_answers_the_same_whatever_the_real_records_hold(world, page_client):
    admin = page_client(world.admin)
    assert admin.get(f"/cases/{world.case.id}").status_code in (403, 404)  # sees no casework
    without_records = _answers(admin)
    _add_real_records(world)
    with_records = _answers(admin)
    assert with_records == without_records
    for answers in with_records.values():
        for _status, messages in answers:
            for secret in ("Vera", "Harriet", "Adam Adult", "BOL-CT-2026-0001"):
                assert not any(secret in text for text in messages)


def test_an_admin_cannot_spell_out_a_real_victims_name(world, page_client):
    """The probe that read "Vera Victim" and "Harriet Hidden": the line a check fails on never names a
    character of a real name."""
    _add_real_records(world)
    admin = page_client(world.admin)
    for url, heading, value, example, real_name in (
        (TELL_VICTIM, "subject", "person.name", "Alex Example", "Vera Victim"),
        (ACKNOWLEDGEMENT, "subject", "application.applicant_name", "Sam Sample", "Harriet Hidden"),
    ):
        spelt = ""
        for position in range(len(real_name)):
            status, messages = _answer(admin, url, _oracle(value, position, example), heading)
            found = re.search(r"\(line (\d+)\)", " ".join(messages))
            if status != 422 or found is None:
                break
            spelt += ALPHABET[int(found.group(1)) - 2]
        assert not (spelt and real_name.startswith(spelt)), f"the check spelt out {spelt!r} of {real_name!r}"


# --- a template that would break on real records is still refused -----------------------------------


@pytest.mark.parametrize(
    ("url", "heading", "body", "said"),
    [
        # A victim known by one name has no second word.
        (TELL_VICTIM, "subject", "Dear Ms {{ person.name.split()[1] }}", "a victim known by one name"),
        # An acknowledgement letter has no decision; an application may not be acknowledged yet.
        (ACKNOWLEDGEMENT, "subject", "{{ decision.reasons }}", "cannot be filled in with the example"),
        (ACKNOWLEDGEMENT, "subject", "{{ application.acknowledged_on.year }}", "not yet acknowledged"),
        # A decision that the threshold is met may give no factors.
        (
            "/admin/letter-templates/threshold_decision?area=BOL",
            "subject",
            "{{ decision.persistence.strip() }}",
            "with no basis, reasons or factors",
        ),
        # A meeting may have no location; a review may make no recommendations.
        ("/admin/letter-templates/meeting_invitation", "subject", "{{ meeting.location.upper() }}", "no location"),
        ("/admin/letter-templates/outcome", "subject", "{{ recommendations[0].text }}", "no recommendations"),
        # A CPN has no hearing, and may give no day to comply by.
        (CPN, "title", "{{ notice.hearing_at.year }}", "cannot be filled in with the example"),
        (CPN, "title", "{{ notice.comply_by.year }}", "nothing given that it may leave out"),
        # A notice served by hand may have no address.
        (CPN, "title", "{{ recipient.address.splitlines()[0] }}", "no address"),
    ],
)
def test_a_template_that_would_break_on_real_records_is_refused(world, page_client, url, heading, body, said):
    status, messages = _answer(page_client(world.admin), url, body, heading)
    assert status == 422
    assert said in " ".join(messages)


@pytest.mark.parametrize("kind", list(LetterKind))
def test_every_default_letter_fills_in_every_made_up_letter_of_its_kind(kind):
    subject, body = letters.DEFAULT_TEMPLATES[kind]
    assert letters.check_template(kind, subject, body).body


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_default_notice_fills_in_every_made_up_notice_of_its_kind(kind):
    title, body = notices.DEFAULT_TEMPLATES[kind.value]
    assert notices.check_template(kind, title, body).body


def test_the_default_tell_the_victim_letter_fills_in_every_made_up_victim(app):
    with app.test_request_context():
        assert "Alex Example" in message.check_template(message.DEFAULT_SUBJECT, message.DEFAULT_BODY).text


# The made-up records have the shape of real ones, for every kind of template:
# tests/core/test_template_samples.py.
