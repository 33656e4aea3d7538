"""A page form sent twice saves once, whichever form it is.

A second press with JavaScript off, the browser sending a form again after a timeout, or the same
form sent from two tabs send the same form twice: each sending carried nothing that told the service
it had seen it already, so each created a note, an incident, a case, an action.

The walk below opens every staff page the walker can reach (its own records in each path), finds every
form on it that posts, fills each field as a person would (the value the page gives it, else the first
option, else a plausible value for its name) and sends it. A form whose sending added rows is a form
that creates: it is sent again, exactly as before, and that second sending must add nothing, and
answer with the same redirect as the first and a notice saying it was already saved. Every form that
posts must carry a submission key (``casework.core.submissions``).
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import MultiDict

from casework.core.submissions import ALREADY_SAVED, FIELD
from casework.extensions import db
from tests.support.walk import World
from tests.test_bad_input import _page_url
from tests.test_permissions import endpoints

#: Forms the walk does not send: they end the walker's session or second factor, or take records away
#: (none of them creates anything), and sending them would leave the pages after them with less to show.
NOT_SENT = re.compile(
    r"/sign-out|/second-factor|/recovery-codes|/password|/delete|/remove|/close|/withdraw|/anonymis"
    r"|/merge|/erase|/unshare|/switch-off|/turn-off|/revoke|/cancel|/undo"
)
#: Forms that post without a key, and why.
KEYLESS = {"/session/keep-alive": "the timeout warning's button to stay signed in saves nothing"}
#: Tables whose rows say what happened rather than what was made: an edit adds to them too.
BOOKKEEPING = re.compile(r"^(audit_|user_sessions$|submission_keys$|outbox|pending_tasks$|sign_in)")


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    selects: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    #: Its buttons, (name, value), an unnamed one as ("", "").
    buttons: list[tuple[str, str]] = field(default_factory=list)


class FormParser(HTMLParser):
    """Every ``<form>`` of a page with its inputs, selects, text areas and first named button."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._option: tuple[str | None, bool] | None = None
        self._option_text = ""
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._form = Form(action=a.get("action") or "", method=(a.get("method") or "get").lower())
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            self._form.fields.append((a["name"] or "", a))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.selects.setdefault(self._select, [])
        elif tag == "option" and self._select:
            self._option = (a.get("value"), "selected" in a)
            self._option_text = ""
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form.texts[self._textarea] = ""
        elif tag == "button" and (a.get("type") or "submit") == "submit":
            self._form.buttons.append((a.get("name") or "", a.get("value") or ""))

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.texts[self._textarea] += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None and self._form is not None and self._select:
            value, selected = self._option
            self._form.selects[self._select].append((value if value is not None else self._option_text, selected))
            self._option = None
        elif tag == "textarea":
            self._textarea = None


_numbers = itertools.count(1)


@dataclass
class Values:
    """What the walker types where a page leaves a box empty: values that name its own records."""

    email: str
    case_reference: str

    def guess(self, name: str) -> str:
        today = date.today()
        lowered = name.lower()
        for part, value in (("-day", today.day), ("-month", today.month), ("-year", today.year)):
            if lowered.endswith(part):
                return str(value)
        if lowered == "email":
            return f"walker{next(_numbers)}@example.org"  # a new user's, or someone signing in
        if "email" in lowered:
            return self.email  # a user to choose: the walker
        if "password" in lowered:
            return "A walker's long password 1"
        if lowered == "code" or lowered.endswith("-code"):
            return f"W{next(_numbers)}"
        if "reference" in lowered:
            return self.case_reference
        if any(word in lowered for word in ("phone", "mobile", "telephone")):
            return "07700900123"
        if "postcode" in lowered:
            return "SW1A 1AA"
        if "time" in lowered:
            return "14:30"
        if lowered.endswith(("hour", "-hours")):
            return "10"
        if lowered.endswith(("minute", "-minutes")):
            return "30"
        if any(word in lowered for word in ("hours", "number", "count", "days", "weight", "score")):
            return "1"
        return "Walked text"


#: A file the uploads accept (a PDF is recognised by its first bytes).
A_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def fill(form: Form, values: Values) -> list[tuple[str, Any]]:
    """The form's fields as a person would send them, with every box filled."""
    body: list[tuple[str, Any]] = []
    radios: dict[str, str] = {}
    boxes: dict[str, list[str]] = {}
    for name, attrs in form.fields:
        kind = (attrs.get("type") or "text").lower()
        value = attrs.get("value") or ""
        if kind in ("submit", "button", "image", "reset") or attrs.get("tabindex") == "-1":
            continue  # a box out of people's reach (the public form's trap for bots) stays empty
        if kind == "file":
            body.append((name, (io.BytesIO(A_PDF), "walked.pdf", "application/pdf")))
            continue
        if kind == "radio":
            if "checked" in attrs or name not in radios:
                radios[name] = value
        elif kind == "checkbox":
            ticked = boxes.setdefault(name, [])
            if "checked" in attrs:
                ticked.append(value or "y")
        elif kind == "hidden":
            body.append((name, value))
        else:
            body.append((name, value or values.guess(name)))
    for name, attrs in form.fields:
        if (attrs.get("type") or "").lower() == "checkbox" and not boxes.get(name):
            boxes[name] = [attrs.get("value") or "y"]
    body += list(radios.items())
    body += [(name, value) for name, values in boxes.items() for value in values]
    for name, options in form.selects.items():
        chosen = [v for v, selected in options if selected and v] or [v for v, _s in options if v]
        if chosen:
            body.append((name, chosen[0]))
    body += [(name, text.strip() or "Walked text") for name, text in form.texts.items()]
    # The main button: the one without a name (sending no value), else the last one ("Accept and send"
    # after "Change").
    if form.buttons and all(name for name, _value in form.buttons):
        body.append(form.buttons[-1])
    return body


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


def grown(before: dict[str, int], after: dict[str, int], *, records_only: bool) -> list[str]:
    return sorted(
        name
        for name in after
        if after[name] > before.get(name, 0)
        and not (records_only and BOOKKEEPING.match(name))
        and name != "user_sessions"
    )


def _next_step(answer: Any, target: str) -> Form | None:
    """The form of a page answered with 200 that posts on to the same address with another button."""
    parser = FormParser()
    parser.feed(answer.get_data(as_text=True))
    for form in parser.forms:
        if form.method == "post" and (form.action or target) == target and form.buttons:
            return form
    return None


def walk(app: Flask, world: World, user: Any, *, public: bool) -> tuple[list[str], list[str]]:
    """Every form on every page ``user`` (None: someone not signed in) can open, sent once, and each that
    created something sent again: (the forms that created, the problems found)."""
    from tests.conftest import csrf_headers

    client = app.test_client(user=user) if user is not None else app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, app)["X-CSRFToken"]
    reference = db.session.execute(sa.text("SELECT reference FROM cases WHERE id = :id"), {"id": world.visible.case})
    values = Values(email=getattr(user, "email", "walker@example.org"), case_reference=reference.scalar_one())
    problems: list[str] = []
    creating: list[str] = []
    sent: set[str] = set()
    pages = [
        url
        for endpoint in endpoints(app)
        if not endpoint.is_api and "GET" in endpoint.rule.methods and endpoint.access.public == public
        for url in [_page_url(endpoint, world)]
        if url is not None
    ]
    opened = set(pages)
    while pages:
        url = pages.pop(0)
        page = client.get(url)
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        parser = FormParser()
        parser.feed(page.get_data(as_text=True))
        for form in parser.forms:
            target = (form.action or url).replace("&amp;", "&")
            if form.method != "post" or not target.startswith("/") or NOT_SENT.search(target) or target in sent:
                continue
            sent.add(target)
            body = fill(form, values)
            if target not in KEYLESS and not any(n == FIELD or n.endswith(f"-{FIELD}") for n, _v in body):
                problems.append(f"a form on {url} posting to {target} carries no {FIELD}")
            before = row_counts()
            first = client.post(target, data=MultiDict(body))
            made = grown(before, row_counts(), records_only=True)
            if first.status_code == 200 and not made and (step := _next_step(first, target)) is not None:
                # A check-your-answers page: its form sends the same answers on, confirmed.
                form, body = step, fill(step, values)
                first = client.post(target, data=MultiDict(body))
                made = grown(before, row_counts(), records_only=True)
            if first.status_code in (302, 303) and not made and first.location not in opened:
                # A first step (the kind of notice chosen) leads to the form that creates.
                opened.add(first.location)
                pages.append(first.location)
            if first.status_code not in (302, 303) or not made:
                continue
            creating.append(f"{target} ({', '.join(made)})")
            before = row_counts()
            second = client.post(target, data=MultiDict(fill(form, values)))
            label = f"{target} (a form on {url}) sent twice"
            if again := grown(before, row_counts(), records_only=False):
                problems.append(f"{label}: the second sending added rows to {again}")
            if second.status_code not in (302, 303) or second.location != first.location:
                problems.append(f"{label}: answered {second.status_code} {second.location}, the first {first.location}")
            elif ALREADY_SAVED not in client.get(second.location).get_data(as_text=True):
                problems.append(f"{label}: {second.location} does not say it was already saved")
    print("\n".join(creating))
    return creating, problems


def test_every_form_that_creates_saves_once_when_sent_twice(app: Flask, world: World) -> None:
    creating, problems = walk(app, world, world.me, public=False)
    assert len(creating) >= 20, creating
    assert not problems, "\n".join(problems)


def test_every_admin_form_that_creates_saves_once_when_sent_twice(app: Flask, world: World, make: Any) -> None:
    admin = make.user("admin", agency=world.me.agency)
    creating, problems = walk(app, world, admin, public=False)
    assert len(creating) >= 5, creating
    assert not problems, "\n".join(problems)


def test_every_public_form_that_creates_saves_once_when_sent_twice(app: Flask, world: World) -> None:
    """The public Case Review application among them: sent by someone not signed in."""
    creating, problems = walk(app, world, None, public=True)
    assert creating, "no public form created anything"
    assert not problems, "\n".join(problems)
