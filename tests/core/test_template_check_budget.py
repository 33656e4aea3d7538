"""One check of an admin's template before it is saved (the Case Review letters, the notices, the
threshold watch's tell-the-victim letter) has a budget for the whole check, every made-up record
together (``CASEWORK_TEMPLATE_CHECK_SECONDS``), not only the limit of each render: a template slow on
every one of a notice's two dozen made-up records would otherwise hold a worker for most of a minute on
each save or preview.

No timed assertion: the budget is made tiny in the app's settings, so the check of a template that is
slow on every record (but far inside each render's limit) is refused whatever the machine's speed;
with the default budget the same template, and the default one, pass."""

from __future__ import annotations

import html
import re

import pytest
import time_machine

from casework.community_triggers import letters
from casework.community_triggers.models import LetterKind
from casework.interventions import notices
from casework.interventions.models import NoticeKind
from casework.threshold_watch import message
from tests.interventions import world as interventions_world

world = interventions_world.world

#: Slow on every made-up record, yet inside each render's limits: 9,000 of the 10,000 loop iterations
#: a render may make, and a few thousand characters of the 200,000 it may write.
SLOW_BODY = "{% for i in range(9000) %}{% if i % 900 == 0 %}.{% endif %}{% endfor %}\nThank you."

#: (page, its heading field, how many made-up records it is tried on, the (heading, body) in force)
PAGES = [
    pytest.param(
        "/admin/notice-templates/cpw?area=BOL",
        "title",
        len(notices.samples(NoticeKind.cpw)),
        lambda area: notices.template_for(NoticeKind.cpw, area.id),
        id="notice",
    ),
    pytest.param(
        "/admin/letter-templates/threshold_decision?area=BOL",
        "subject",
        len(letters.samples(LetterKind.threshold_decision)),
        lambda area: letters.template_for(LetterKind.threshold_decision, area.id),
        id="letter",
    ),
    pytest.param(
        "/admin/threshold-watch/template?area=BOL",
        "subject",
        None,  # made up with links, in the app: counted in the test
        lambda area: message.template_for(area.id),
        id="tell the victim",
    ),
]


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def _post(client, url: str, heading: str, body: str, button: str):
    response = client.post(url, data={heading: "A heading", "body": body, button: "y"})
    messages = re.findall(r'class="govuk-error-message">(.*?)</p>', response.text, flags=re.DOTALL)
    return response, [" ".join(html.unescape(re.sub(r"<[^>]+>", "", m)).split()) for m in messages]


@pytest.mark.parametrize(("url", "heading", "records", "in_force"), PAGES)
def test_a_template_slow_on_every_record_is_refused_when_the_whole_check_runs_out_of_time(
    world, app, page_client, monkeypatch, url, heading, records, in_force
):
    if records is None:
        with app.test_request_context():
            records = len(message.samples())
    admin = page_client(world.admin)
    monkeypatch.setitem(app.config["CASEWORK"], "TEMPLATE_CHECK_SECONDS", 1e-9)
    before = in_force(world.area)
    for button in ("preview", "save"):
        response, messages = _post(admin, url, heading, SLOW_BODY, button)
        assert response.status_code == 422, button
        said = " ".join(messages)
        assert f"Checking the template on the {records} made-up records" in said
        assert "seconds in all" in said
        # Not the limit of one render, nor a record it does not fit.
        assert "took longer than 2 seconds" not in said
        assert "works with the example but not with" not in said
    assert in_force(world.area) == before  # nothing saved


@pytest.mark.parametrize(("url", "heading", "records", "in_force"), PAGES)
def test_with_the_default_budget_the_same_template_and_the_default_one_pass(
    world, app, page_client, url, heading, records, in_force
):
    assert app.config["CASEWORK"]["TEMPLATE_CHECK_SECONDS"] == 5
    admin = page_client(world.admin)
    heading_text, default_body = in_force(world.area)
    response = admin.post(url, data={heading: heading_text, "body": default_body, "preview": "y"})
    assert response.status_code == 200
    response, messages = _post(admin, url, heading, SLOW_BODY, "save")
    assert response.status_code == 302, messages
    assert in_force(world.area) == ("A heading", SLOW_BODY)
