"""A page offers no form to change what was anonymised under the retention policy.

A case, a Case Review application (with what hangs from it: its information requests, meetings,
recommendations' actions, appeals, reviews, assessments) and a person anonymised under the retention
policy take no write (``tests/test_anonymised_case_writes.py`` walks the POSTs). The walk below goes
over every page route (staff, admin and public, not the API) whose path names such a record, and every
one that names no record at all (the lists and dashboards that lead to them), opens it
(GET) as the users who would otherwise be offered its forms, and reads every form the answer holds that
is sent with POST: a form whose POST (as the page filled it in) is refused with the retention message is
a form the page should not have offered, and a link to a page answering that refusal a link it should
not have either. Such a page answers as its POST does (the refusal, 422), or leaves the form out.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.exceptions import HTTPException

from casework.core.time import now
from casework.extensions import db
from tests.conftest import csrf_headers
from tests.interventions.world import World, world  # noqa: F401
from tests.support.case_review import anonymise_application, case_review_with_every_record
from tests.test_anonymised_case_writes import anonymised  # noqa: F401
from tests.test_hidden_ids import _Caller, _id_arguments, _url

#: What every refusal of a write to an anonymised record says.
RETENTION_REFUSAL = re.compile(r"anonymised under the retention policy|removed under the retention policy")

#: Route arguments that name no anonymised record here, and why the walk does not open their pages.
NOT_WALKED: dict[str, str] = {
    "user_id": "an account (admin pages) is never anonymised with a case or a person",
    "report_id": "a police report waiting in the queue is on no case yet",
    "view_id": "a saved view of the case list is the user's own, not a case's",
    "job_id": "reports, statistics and imports jobs are about no one record",
    "snapshot_id": "published statistics are about no one record",
    "merge_id": "a merge's undo is walked with its people's pages",
    "series_id": "a tasking series is about no one case",
    "entry_id": "a victim's diary entry or a threshold watch entry is only made through its journey; a diary "
    "entry's page is reached by its case (case_id), walked",
    "explanation_id": "a Case Review explanation is only made by a review's recommendations; its page loads "
    "the case (case_id) first",
}

#: Records the walk opens pages of that are not anonymised themselves: a form to them is not sent.
LIVE = {
    "other_id": "the other person of a merge",
    "tasking_meeting_id": "a planned meeting with the anonymised case's item on its agenda: its page is "
    "opened for the item's forms, its own (attendance, publishing) are the meeting's",
}

#: Routes whose pages are not opened, and why.
NOT_OPENED: dict[str, str] = {
    "public.victims.add_diary_entry": "the victim's own page follows no anonymised case "
    "(``victims.services.victim_case_ids``): 404",
}


@pytest.fixture
def records(
    world: World,  # noqa: F811
    make: Any,
    api_client: Any,
    anonymised: dict[str, list[int]],  # noqa: F811
) -> dict[str, int]:
    """The anonymised case's records (``anonymised``), a person anonymised, and a Case Review
    application anonymised with a record of every kind a page route names."""
    from casework.community_triggers.models import ApplicationStatus
    from casework.tasking.models import TaskingAgendaItem

    former = world.person("Fay Former", date(1960, 2, 2))
    former.name, former.anonymised_at = "Former person", now()
    review = case_review_with_every_record(world, api_client)
    anonymise_application(review.application, ApplicationStatus.review_concluded)
    db.session.commit()
    item = db.session.get(TaskingAgendaItem, anonymised["tasking_item_id"][0])
    return {
        **{name: ids[0] for name, ids in anonymised.items()},
        "person_id": former.id,
        "other_id": world.victim.id,
        "tasking_meeting_id": item.meeting_id,
        "application_id": review.application.id,
        "request_id": review.request.id,
        "meeting_id": review.meeting.id,
        "assessment_id": review.assessment.id,
        "appeal_id": review.appeal.id,
        "review_id": review.pcc_review.id,
        "letter_id": review.letter.id,
        "recommendation_action_id": review.action.id,
        "trigger_document_id": review.document.id,
    }


def _ids_for(endpoint: str, arguments: list[str], records: dict[str, int]) -> list[dict[str, int]]:
    """The ids to open a route with: a Case Review's files and actions are other kinds of records under
    the same argument names as a case's."""
    ids = {a: records[a] for a in arguments}
    if endpoint.startswith("staff.triggers.") and "document_id" in ids:
        return [{**ids, "document_id": records["trigger_document_id"]}]
    if "action_id" in ids:
        return [ids, {**ids, "action_id": records["recommendation_action_id"]}]
    return [ids]


_LINK = re.compile(r"""<a\b[^>]*\bhref=("[^"]*"|'[^']*')""", re.I)
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_ATTRIBUTE = re.compile(r"""([a-zA-Z_:-]+)\s*=\s*("[^"]*"|'[^']*')""")


def _posted_forms(html: str, page_url: str) -> list[tuple[str, str]]:
    """Every form of ``html`` sent with POST: (the address it is sent to, the form's HTML)."""
    forms = []
    for attributes, body in _FORM.findall(html):
        found = _attributes(attributes)
        if found.get("method", "get").lower() != "post":
            continue
        forms.append((urlsplit(found.get("action") or page_url).path, body))
    return forms


_INPUT = re.compile(r"<input\b([^>]*)>", re.I)
_TEXTAREA = re.compile(r"<textarea\b([^>]*)>(.*?)</textarea>", re.S | re.I)
_SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S | re.I)
_OPTION = re.compile(r"<option\b([^>]*)>", re.I)


def _attributes(text: str) -> dict[str, str]:
    return {name.lower(): unescape(value[1:-1]) for name, value in _ATTRIBUTE.findall(text)}


def _filled_in(form: str) -> dict[str, str]:
    """What the browser sends of ``form`` as the page filled it in: its inputs (a box or a radio button
    when ticked), its text areas and each select's chosen (or first) option. So a form's POST reaches
    the refusal even where an empty one would stop at a required field."""
    data: dict[str, str] = {}
    for attributes in _INPUT.findall(form):
        found = _attributes(attributes)
        if "name" not in found or found.get("type") in ("file", "submit", "button"):
            continue
        if found.get("type") in ("checkbox", "radio") and not re.search(r"\bchecked\b", attributes):
            continue
        data.setdefault(found["name"], found.get("value", ""))
    for attributes, text in _TEXTAREA.findall(form):
        if "name" in (found := _attributes(attributes)):
            data[found["name"]] = unescape(text).strip()
    for attributes, options in _SELECT.findall(form):
        if "name" not in (found := _attributes(attributes)):
            continue
        choices = _OPTION.findall(options)
        chosen = next((o for o in choices if re.search(r"\bselected\b", o)), choices[0] if choices else "")
        data[found["name"]] = _attributes(chosen).get("value", "")
    return data


def _send(app: Flask, user: Any, target: str, data: dict[str, str]) -> Any:
    client = app.test_client(user=user)
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, app)["X-CSRFToken"]
    return client.post(target, data=data)


def _links(html: str) -> set[str]:
    """The paths ``html`` links to on this service."""
    found = set()
    for value in _LINK.findall(html):
        address = urlsplit(unescape(value[1:-1]))
        if not address.netloc and address.path.startswith("/"):
            found.add(address.path)
    return found


def _names_anonymised(app: Flask, path: str, anonymised_ids: set[tuple[str, int]], method: str = "POST") -> bool:
    """Whether ``path`` (a form's or a link's address) is a route naming one of the anonymised records."""
    adapter = app.url_map.bind("localhost")
    try:
        _endpoint, values = adapter.match(path, method=method)
    except HTTPException:
        return False
    return any((name, value) in anonymised_ids for name, value in values.items())


def test_no_page_offers_a_form_to_change_an_anonymised_record(
    app: Flask,
    world: World,  # noqa: F811
    make: Any,
    records: dict[str, int],
) -> None:
    from casework.cases.models import Case

    lead = make.user(["officer", "coordinator", "manager"], agency=world.council, name="Lena Lead")
    dpo = make.user("dpo", agency=world.council, name="Dee Officer")
    db.session.execute(sa.update(Case).where(Case.id == world.case.id).values(owner_id=lead.id))
    db.session.commit()
    readers = [_Caller(app, user) for user in (lead, world.chair, dpo)]
    anonymised_ids = {(name, value) for name, value in records.items() if name not in LIVE}
    anonymised_ids |= {
        ("document_id", records["trigger_document_id"]),
        ("action_id", records["recommendation_action_id"]),
    }
    problems, opened, unknown = [], set(), set()
    #: Whether a page a link leads to answers the refusal, by (user, path).
    refusing: dict[tuple[int, str], bool] = {}
    for rule in app.url_map.iter_rules():
        arguments = _id_arguments(rule)
        if rule.endpoint.startswith("api.") or "GET" not in rule.methods or rule.endpoint in NOT_OPENED:
            continue
        if not arguments:
            # A page naming no record (a list, a dashboard) links to the records it lists: to an
            # anonymised one's page that refuses, it should not.
            urls = [] if rule.arguments or rule.endpoint == "static" else [rule.rule]
        elif any(a in NOT_WALKED for a in arguments):
            continue
        elif missing := [a for a in arguments if a not in records]:
            unknown.add(f"{rule.endpoint}: {missing}")
            continue
        else:
            urls = [
                _url(app, rule, {**ids, **({"kind": "cpw"} if "kind" in rule.arguments else {})})
                for ids in _ids_for(rule.endpoint, arguments, records)
            ]
        for url in urls:
            for reader in readers:
                page = reader.call(url, "GET", {})
                opened.add(rule.endpoint)
                if page.status_code != 200 or page.mimetype != "text/html":
                    continue
                html = page.get_data(as_text=True)
                for target in _links(html):
                    if not _names_anonymised(app, target, anonymised_ids, "GET"):
                        continue
                    if (reader.user.id, target) not in refusing:
                        answer = reader.call(target, "GET", {})
                        db.session.rollback()
                        refusing[reader.user.id, target] = answer.status_code == 422 and bool(
                            RETENTION_REFUSAL.search(answer.get_data(as_text=True))
                        )
                    if refusing[reader.user.id, target]:
                        problems.append(
                            f"GET {url} ({rule.endpoint}) as {reader.user.name} links to {target}, which refuses"
                        )
                for target, form in _posted_forms(html, url):
                    if not _names_anonymised(app, target, anonymised_ids):
                        continue
                    sent = _send(app, reader.user, target, _filled_in(form))
                    db.session.rollback()
                    if sent.status_code == 422 and RETENTION_REFUSAL.search(sent.get_data(as_text=True)):
                        key = "submission key issued" if "submission_key" in form else "no key"
                        problems.append(
                            f"GET {url} ({rule.endpoint}) as {reader.user.name} offers a form to {target}, whose "
                            f"POST is refused ({key})"
                        )
    assert not unknown, "Page routes with an argument the walk has no record for (add one, or to NOT_WALKED):\n" + (
        "\n".join(sorted(unknown))
    )
    assert {
        "staff.triggers.submit_information",
        "staff.triggers.show",
        "staff.cases.show",
        "staff.people.edit",
        "staff.reviews.outcome",
        "staff.actions.show",
        "staff.tasking.meeting",
        "staff.triggers.my_information_requests",
    } <= opened, sorted(opened)
    assert not problems, f"{len(problems)} pages offer a form whose POST is refused:\n" + "\n".join(problems)


def test_the_submission_page_of_an_anonymised_case_review_answers_as_its_post(
    world: World,  # noqa: F811
    page_client: Any,
    records: dict[str, int],
) -> None:
    """The page an agency sends its information from: the same refusal shown or sent, no form, no key."""
    client = page_client(world.coordinator)
    url = f"/case-reviews/information-requests/{records['request_id']}"
    shown, sent = client.get(url), client.post(url, data={"submission": "Our visits"})
    for answer in (shown, sent):
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422, html[:300]
        assert "This application was anonymised under the retention policy" in html
        assert "submission_key" not in html
        assert 'name="submission"' not in html
