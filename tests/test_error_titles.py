"""A page that shows an error summary says so in its title ("Error: ..."), as GOV.UK's pattern asks
(WCAG 2.4.2): a screen reader user hears it first, before anything else on the page.

The walk posts every form of every staff page with its fields left empty (an empty answer is the
commonest mistake) to wherever the form sends it: the page itself or another endpoint (a tasking
meeting's "Add to agenda", an intervention's review, a tasking item's action). A page whose form is
called something other than ``form`` in its template is covered as well as one whose form is.
"""

from __future__ import annotations

import html
import re

from flask import Flask

from tests.support.walk import World
from tests.test_bad_input import _page_url
from tests.test_permissions import endpoints

FORMS = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.IGNORECASE | re.DOTALL)
#: A field the user answers (not the CSRF token, not a hidden id).
ANSWERED = re.compile(r"<(?:textarea|select)\b|<input\b(?![^>]*type=\"(?:hidden|submit|button)\")", re.IGNORECASE)
#: What the GOV.UK error summary (macro or written out) carries; its script moves the focus to it.
ERROR_SUMMARY = 'data-module="govuk-error-summary"'


def _posted_forms(page_url: str, page: str) -> list[str]:
    """The URL each POST form with a field to answer sends to."""
    actions = []
    for attributes, body in FORMS.findall(page):
        if not re.search(r'method="post"', attributes, re.IGNORECASE) or not ANSWERED.search(body):
            continue
        action = re.search(r'action="([^"]*)"', attributes)
        actions.append(html.unescape(action.group(1)) if action and action.group(1) else page_url)
    return list(dict.fromkeys(actions))


def _title(page: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", page, re.DOTALL)
    return html.unescape(match.group(1)).strip() if match else ""


def test_every_page_showing_an_error_summary_has_error_in_its_title(app: Flask, world: World) -> None:
    from tests.conftest import csrf_headers

    client = app.test_client(user=world.me)
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, app)["X-CSRFToken"]
    problems, summaries = [], 0
    for endpoint in endpoints(app):
        if endpoint.is_api or endpoint.access.public or "GET" not in endpoint.rule.methods:
            continue
        url = _page_url(endpoint, world)
        if url is None:
            continue
        page = client.get(url)
        if page.status_code != 200 or "text/html" not in page.content_type:
            continue
        for action in _posted_forms(url, page.get_data(as_text=True)):
            response = client.post(action, data={})
            if response.status_code not in (200, 422):
                continue
            answer = response.get_data(as_text=True)
            title, shows_summary = _title(answer), ERROR_SUMMARY in answer
            summaries += shows_summary
            if shows_summary and not title.startswith("Error: "):
                problems.append(f"POST {action} (a form on {url}): error summary, but the title is {title!r}")
            if title.startswith("Error: ") and not shows_summary:
                problems.append(f"POST {action} (a form on {url}): title {title!r}, but no error summary")
    assert summaries > 30
    assert not problems, "\n".join(problems)
