"""A page form sent twice saves once, whichever form it is.

A second press with JavaScript off, the browser sending a form again after a timeout, or the same
form sent from two tabs send the same form twice: each sending carried nothing that told the service
it had seen it already, so each created a note, an incident, a case, an action.

The walk below opens every page the walker can reach (every page endpoint whose path names a record it
has, and every page those link to), finds every form on it that posts, fills each field as a person would
(the value the page gives it, else the first option, else a plausible value for its name) and sends it.
A form whose sending added rows is a form that creates: it is sent again, exactly as before, and that
second sending must add nothing, and answer with the same redirect as the first and a notice saying it
was already saved. Every form that posts must carry a submission key (``casework.core.submissions``),
and no two forms of one page that make different changes (another action, other hidden values) the same
key: the second sent would be answered "already saved" and do nothing.
The pages are walked twice over, so a form that appears only once another saved something is found too.

A form whose sending queued an email is sent again the same way: the second sending must queue none.

The test walks as every kind of user (the victim signed in to the victim page among them) after building
the state the world lacks (a Case Review at each stage, an appeal, the Police and Crime Commissioner's
review, imports, a merge, a victim near the threshold, a large report, a sign-in at its second step),
and fails on a form that posts which no walk found and ``NOT_REACHED`` does not explain.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, url_for
from werkzeug.datastructures import MultiDict

from casework.accounts import second_factor
from casework.core.submissions import ALREADY_SAVED, FIELD, ShownOnce, shown_once
from casework.extensions import db
from tests.support.mail import sent_text
from tests.support.walk import World, changed_tables, table_digest
from tests.test_bad_input import VISIBLE_PATH_RECORDS
from tests.test_permissions import endpoints

#: Forms the walk does not send: they end the walker's session or second factor, take records away, or
#: close a record to the forms after it (a tasking meeting published); none of them creates anything, and
#: sending them would leave the pages after them with less to show. Each is still checked for its key.
NOT_SENT = re.compile(
    r"/sign-out|/second-factor|/recovery-codes|/password|/delete|/remove|/close|/withdraw|/anonymis"
    r"|/merge|/erase|/unshare|/switch-off|/turn-off|/revoke|/cancel|/undo|/off$|/stop$"
    r"|^/tasking/meetings/\d+/publish$"
)
#: Forms that post without a key, and why.
KEYLESS = {
    "/session/keep-alive": "the timeout warning's button to stay signed in saves nothing",
    "/sign-out": "signing out saves nothing, and a second sending finds the session already ended",
    "/my-case/sign-out": "the victim's sign-out, as the staff one",
    "/account/sign-out-everywhere": "as signing out: it saves nothing, and a second sending finds no session",
}
#: Tables whose rows say what happened rather than what was made: an edit adds to them too.
BOOKKEEPING = re.compile(r"^(audit_|user_sessions$|submission_keys$|outbox|pending_tasks$|sign_in)")


#: Forms that save and answer a page (not a redirect) without ``@shows_once``, and why: sent again (a
#: reload of the answer), they save again.
ANSWERS_WHAT_IT_RECORDS = {
    "staff.data_protection.release": "the answer is the full export released, and the row records that release: "
    "sent again, it is released again, and recorded again, as it went out again",
}


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


@dataclass
class Walked:
    """What a walk did: the forms that created (each sent twice), the problems found, and the endpoint
    of every form that posts it found (its key checked, sent unless ``NOT_SENT``)."""

    creating: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    found: set[str] = field(default_factory=set)
    #: Each form that takes something away (``NOT_SENT``), by where it posts: the page it was found on.
    taking_away: dict[str, str] = field(default_factory=dict)
    #: The walker's client and values, for ``take_away_twice`` after every walk.
    client: Any = None
    values: Any = None


def _page_urls(endpoint: Any, records: dict[str, list[int]]) -> list[str]:
    """The endpoint's address for every combination of the records its path arguments name (none when
    an argument names no record)."""
    arguments = sorted(endpoint.rule.arguments)
    if any(argument not in records for argument in arguments):
        return []
    urls = []
    for ids in itertools.product(*(records[argument] for argument in arguments)):
        url = endpoint.rule.rule
        for argument, record in zip(arguments, ids, strict=True):
            url = re.sub(rf"<(?:int:)?{argument}>", str(record), url)
        urls.append(url)
    return urls


#: Links the walk does not follow: files (a PDF takes a second to make) and answers that are not pages.
NOT_FOLLOWED = re.compile(r"\.[a-z]{2,4}$|/export|/download|/calendar|/assets/|/static/")


def _page_to_open(app: Flask, href: str) -> str | None:
    """A link's address when it opens a page of the service."""
    path = href.replace("&amp;", "&").split("#")[0]
    if not path.startswith("/") or path.startswith(("//", "/api/")) or NOT_FOLLOWED.search(path.split("?")[0]):
        return None
    try:
        app.url_map.bind("localhost").match(path.split("?")[0], method="GET")
    except Exception:
        return None
    return path


def _endpoint_posted(app: Flask, target: str) -> str | None:
    try:
        endpoint, _arguments = app.url_map.bind("localhost").match(target.split("?")[0], method="POST")
    except Exception:
        return None
    return str(endpoint)


def _answered_as_before(client: Any, label: str, first: Any, second: Any, shown: ShownOnce | None) -> list[str]:
    """What is wrong with ``second``, the answer to a form sent again as it was: it must redirect where the
    first did and say it was already saved; for a view that showed a secret once (``@shows_once``, its
    first answer a page), redirect to the page the view names and give the view's own notice."""
    if shown is not None and shown.then is not None and 200 <= first.status_code < 300:
        with current_app.test_request_context():
            expected, notice = url_for(shown.then), shown.notice
    else:
        expected, notice = first.location, ALREADY_SAVED
    if second.status_code not in (302, 303) or second.location != expected:
        return [f"{label}: answered {second.status_code} {second.location}, not a redirect to {expected}"]
    if notice not in client.get(second.location).get_data(as_text=True):
        return [f"{label}: {second.location} does not say it was already saved ({notice})"]
    return []


def _key_of(form: Form) -> str | None:
    return next(
        (a.get("value") for name, a in form.fields if name == FIELD or name.endswith(f"-{FIELD}")),
        None,
    )


def _what_it_changes(form: Form, url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Where a form posts and the records its hidden fields name: two forms that differ in either make
    two different changes."""
    hidden = tuple(
        sorted(
            (name, a.get("value") or "")
            for name, a in form.fields
            if (a.get("type") or "").lower() == "hidden"
            and name != "csrf_token"
            and not name.endswith("-csrf_token")
            and name != FIELD
            and not name.endswith(f"-{FIELD}")
        )
    )
    return (form.action or url).replace("&amp;", "&"), hidden


def shared_keys(url: str, forms: list[Form]) -> list[str]:
    """Two forms of one page that make different changes (another action, other hidden record ids) but
    carry the same submission key: the second sent after the first would be answered "already saved" and
    do nothing. Each form must have its own key."""
    changes_by_key: dict[str, set[tuple[str, tuple[tuple[str, str], ...]]]] = {}
    for form in forms:
        if form.method == "post" and (key := _key_of(form)):
            changes_by_key.setdefault(key, set()).add(_what_it_changes(form, url))
    return [
        f"forms on {url} share one {FIELD}: "
        + "; ".join(f"{target} {dict(hidden)}" for target, hidden in sorted(changes))
        for changes in changes_by_key.values()
        if len(changes) > 1
    ]


def walk(
    app: Flask,
    world: World,
    user: Any,
    *,
    public: bool,
    records: dict[str, list[int]] | None = None,
    extra_pages: tuple[str, ...] = (),
    client: Any = None,
    only_extra_pages: bool = False,
) -> Walked:
    """Every form on every page ``user`` (None: someone not signed in) can open, sent once, and each that
    created something sent again.

    The pages are every page endpoint whose path arguments ``records`` names a record for (by default the
    world's, ``tests.test_bad_input.VISIBLE_PATH_RECORDS``), ``extra_pages``, and every page they link to
    (one address a path).
    ``client`` is a client already signed in (a victim, through the victim page's own sign-in).
    ``only_extra_pages``: those pages alone, their links not followed (a step reached only in a session
    state the whole walk would not keep, as the sign-in code's)."""
    from tests.conftest import csrf_headers

    if client is None:
        client = app.test_client(user=user) if user is not None else app.test_client()
        client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, app)["X-CSRFToken"]
    if records is None:
        records = {argument: [record(world)] for argument, record in VISIBLE_PATH_RECORDS.items()}
    reference = db.session.execute(sa.text("SELECT reference FROM cases WHERE id = :id"), {"id": world.visible.case})
    values = Values(email=getattr(user, "email", "walker@example.org"), case_reference=reference.scalar_one())
    walked = Walked(client=client, values=values)
    problems, creating = walked.problems, walked.creating
    sent: set[str] = set()
    pages = [
        url
        for endpoint in endpoints(app)
        if not only_extra_pages
        and not endpoint.is_api
        and "GET" in endpoint.rule.methods
        and endpoint.access.public == public
        for url in _page_urls(endpoint, records)
    ] + list(extra_pages)
    opened = set(pages)
    linked_paths: set[str] = set()

    def to_open(url: str, queue: list[str]) -> None:
        if url not in opened:
            opened.add(url)
            pages.append(url)
            queue.append(url)

    def walked_page(url: str, queue: list[str]) -> None:
        page = client.get(url)
        if page.status_code != 200 or page.mimetype != "text/html":
            return
        html = page.get_data(as_text=True)
        for href in re.findall(r'<a\b[^>]*\bhref="([^"]+)"', html) if not only_extra_pages else ():
            # One address a path (a template of each area is the same form as the default one).
            linked = _page_to_open(app, href)
            if linked is not None and linked.split("?")[0] not in linked_paths:
                linked_paths.add(linked.split("?")[0])
                to_open(linked, queue)
        parser = FormParser()
        parser.feed(html)
        for problem in shared_keys(url, parser.forms):
            if problem not in problems:
                problems.append(problem)
        for form in parser.forms:
            target = (form.action or url).replace("&amp;", "&")
            if form.method != "post" or not target.startswith("/") or target in sent:
                continue
            sent.add(target)
            endpoint = _endpoint_posted(app, target)
            if endpoint is not None:
                walked.found.add(endpoint)
            body = fill(form, values)
            if target not in KEYLESS and not any(n == FIELD or n.endswith(f"-{FIELD}") for n, _v in body):
                problems.append(f"a form on {url} posting to {target} carries no {FIELD}")
            if NOT_SENT.search(target):
                if target not in KEYLESS:
                    walked.taking_away.setdefault(target, url)
                continue
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
                to_open(first.location, queue)
            # An email queued is made as much as a record: a form that sends one (telling a victim of their
            # right to a Case Review) is sent twice too, and the second sending must queue none.
            if "outbox_emails" in grown(before, row_counts(), records_only=False):
                made.append("outbox_emails")
            shown = shown_once(endpoint) if endpoint is not None else None
            if made and 200 <= first.status_code < 300 and shown is None and endpoint not in ANSWERS_WHAT_IT_RECORDS:
                # Its key is forgotten (the answer might be the form again, with its errors): a reload of
                # the answer sends it again and saves again.
                problems.append(
                    f"{target} (a form on {url}) saved {made} and answered a page, not a redirect: redirect, "
                    "or mark the view @shows_once if the page shows a secret the sending made"
                )
            if not made or (first.status_code not in (302, 303) and shown is None):
                continue
            creating.append(f"{target} ({', '.join(made)})")
            before = row_counts()
            second = client.post(target, data=MultiDict(fill(form, values)))
            label = f"{target} (a form on {url}) sent twice"
            if again := grown(before, row_counts(), records_only=False):
                problems.append(f"{label}: the second sending added rows to {again}")
            problems.extend(_answered_as_before(client, label, first, second, shown))

    # Twice over: a form may appear only once another has saved something (a saved view's delete
    # button, a diary entry's accept button); the second round sends only the forms the first did not.
    for _round in range(2):
        queue = list(pages)
        while queue:
            url = queue.pop(0)
            walked_page(url, queue)
    print("\n".join(creating))
    return walked


# --- forms that take something away, sent twice ------------------------------------------------------

#: Forms that take away, sent after the others and in this order: each ends what the forms after it
#: need (the victim's page, the walker's second factor or password, the case itself).
SENT_LAST = (r"/my-case/stop$", r"/victim-page(/\d+)?/off$", r"/second-factor|/password$", r"/close$")
#: Tables whose rows say how someone is signed in or which form keys were used: a sending changes them.
NOT_RECORDS = re.compile(r"^(audit_|user_sessions$|submission_keys$|sign_in)")


def _records() -> dict[str, str]:
    return {name: digest for name, digest in table_digest().items() if not NOT_RECORDS.match(name)}


def _audit_entries() -> int:
    """The audit entries that record a change or an action (not the reads every page logs)."""
    from casework.audit.models import AuditAction, audit_entries

    query = sa.select(sa.func.count()).select_from(audit_entries).where(audit_entries.c.action != AuditAction.view)
    return int(db.session.execute(query).scalar_one())


def _filled_form(client: Any, page: str, target: str, values: Values) -> list[tuple[str, Any]] | None:
    """The form on ``page`` that posts to ``target``, filled as the walk fills it (a key of its own), with
    the walker's own password where one is asked for (to turn a second factor off)."""
    from tests.conftest import TEST_PASSWORD

    answer = client.get(page)
    if answer.status_code != 200:
        return None
    parser = FormParser()
    parser.feed(answer.get_data(as_text=True))
    for form in parser.forms:
        if form.method == "post" and (form.action or page).replace("&amp;", "&") == target:
            return [(name, TEST_PASSWORD if name == "password" else value) for name, value in fill(form, values)]
    return None


def _signed_in(client: Any, page: str) -> bool:
    return client.get("/my-case/" if page.startswith("/my-case") else "/").status_code == 200


def _sent_again(client: Any, target: str, fields: list[tuple[str, str]], what: str, problems: list[str]) -> Any:
    """Send a form already saved once again, with ``fields``: a problem (named by ``what``) if it failed,
    changed any record or recorded another audit entry. Answers the answer."""
    before, audited = _records(), _audit_entries()
    answer = client.post(target, data=MultiDict(fields))
    if answer.status_code >= 500:
        problems.append(f"{what} answered {answer.status_code}")
    if again := changed_tables(before, _records()):
        problems.append(f"{what} changed {again}")
    if _audit_entries() != audited:
        problems.append(f"{what} recorded another audit entry")
    return answer


def _error_summary(answer: Any) -> str:
    found = re.search(r'govuk-error-summary__list">(.*?)</ul>', answer.get_data(as_text=True), re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else ""


#: Forms whose sending from a page opened before the first is a new request, not one already answered:
#: a password set again is set again (and recorded), as the administrator asked twice. So is a view
#: marked ``@shows_once`` (new recovery codes): the page opened again is a new asking, with the password
#: typed again, and its answer shows what it made.
SET_AGAIN = re.compile(r"/password$")
#: Forms ``NOT_SENT`` that take nothing away, and why they are not sent here either.
TAKES_NOTHING_AWAY = {
    "staff.accounts.second_factor_set_up": "sets a second factor up, with a code from a secret the page made",
}


def take_away_twice(app: Flask, walks: dict[str, Walked]) -> tuple[list[str], list[str]]:
    """Each form the walks found that takes something away, once for each place it posts to (by the
    walker that found it, those that end a session last): sent; sent again as it was (a second press of
    its button); and sent once more from the same page opened before the first sending (a second tab).
    Neither of the later two may take anything more away, record another audit entry or fail with a 5xx;
    the second press answers as the first, saying it was already saved, unless the first ended the
    sender's session (the second is then someone else's). The forms taken away, and the problems."""
    forms = [
        (who, walked, target, page) for who, walked in walks.items() for target, page in walked.taking_away.items()
    ]
    forms.sort(key=lambda form: next((n for n, last in enumerate(SENT_LAST) if re.search(last, form[2])), -1))
    taken: dict[str, str] = {}
    not_taken: dict[str, str] = {}
    problems: list[str] = []
    for who, walked, target, page in forms:
        endpoint = str(_endpoint_posted(app, target))
        if endpoint in taken or endpoint in TAKES_NOTHING_AWAY:
            continue
        client, values = walked.client, walked.values
        label = f"{who}: {target} (a form on {page})"
        first_tab = _filled_form(client, page, target, values)
        second_tab = _filled_form(client, page, target, values)
        if first_tab is None or second_tab is None:
            not_taken[endpoint] = f"{label}: the form is no longer on its page"
            continue
        before = _records()
        first = client.post(target, data=MultiDict(first_tab))
        if first.status_code >= 500 or not (changed := changed_tables(before, _records())):
            not_taken[endpoint] = f"{label}: took nothing away ({first.status_code} {_error_summary(first)})"
            continue
        not_taken.pop(endpoint, None)
        taken[endpoint] = f"{target} ({', '.join(changed)})"
        still_signed_in = _signed_in(client, page)
        second = _sent_again(client, target, first_tab, f"{label} sent twice, the second sending", problems)
        shown = shown_once(endpoint)
        if still_signed_in:  # else the first ended the session: the second is not the same sender's
            problems.extend(_answered_as_before(client, f"{label} sent twice", first, second, shown))
        if SET_AGAIN.search(target) or shown is not None or not still_signed_in:
            continue
        _sent_again(client, target, second_tab, f"{label} sent from a second tab", problems)
    print("\n".join(taken.values()))
    return list(taken), problems + list(not_taken.values())


# --- every form of the service ---------------------------------------------------------------------------

#: Forms no walk below reaches, and why. The test fails on a form that posts which no walk found and
#: which is not here, and on one here that a walk now finds: so a new form is walked, or said here.
#: None today: ``_reach`` builds what the last of them needed (the sign-in code's step, a merge to undo,
#: a police log imported, a large partnership report, an import to start and one to undo, a victim on
#: the threshold watch).
NOT_REACHED: dict[str, str] = {}


@dataclass
class Reached:
    """The state the world does not have: a Case Review at each stage and a victim signed in."""

    records: dict[str, list[int]]
    #: Pages no link leads to without a search first.
    pages: tuple[str, ...]
    chair: Any
    victim: Any
    #: A link to sign in to the victim page, not yet used.
    link: str
    #: Someone signing in past the password step, at the second factor's code.
    signing_in: Any


def _reach(app: Flask, world: World, make: Any, api_client: Any) -> Reached:
    """A Case Review with its meeting arranged (the review stage, its chair from an agency of its own, a
    proportionality assessment), one found not to meet the threshold (the window to appeal open), one
    appealed, one sent to the Police and Crime Commissioner for review; an order that can be extended and
    a closure notice in force; a victim of the walker's case with the victim page switched on and
    signed in to it, one complaint short of the Case Review threshold (the threshold watch's tell page);
    a merge into the walker's person (its undo); a police incident log imported (a call queued for an
    officer, the import to undo) and a list of people checked and waiting to be imported; a partnership
    report over more than a year (compiled by a task); and someone past the password step of signing
    in, at the second factor's code."""
    from casework.accounts.models import Area
    from casework.accounts.services import update_area_settings
    from casework.cases.models import CaseParty, PartyRole, Person, QueuedPoliceReport
    from casework.notifications.models import OutboxEmail
    from casework.threshold_watch.models import WatchEntry
    from tests.conftest import TEST_PASSWORD, csrf_from, csrf_headers

    today = date.today().isoformat()
    area = db.session.execute(sa.text("SELECT id FROM areas WHERE code = 'MIN'")).scalar_one()
    chair = make.user("chair", agency=make.agency("CHAIRS", areas=[db.session.get(Area, area)]))
    make.agency("MINPOL", areas=[db.session.get(Area, area)], kind="police")
    coordinator = api_client(world.me)

    def application(name: str) -> int:
        answer = coordinator.post(
            "/api/v1/triggers",
            json={
                "area_code": "MIN",
                "received_on": today,
                "channel": "phone",
                "applicant": {"name": name},
                "applicant_role": "victim",
                "description": "Noise at night",
                "complaints": [],
            },
        )
        assert answer.status_code == 201, answer.json
        return int(answer.json["id"])

    def decide(application_id: int, met: bool) -> None:
        decision = {"met": met, "reasons": "Walked reasons", "decided_on": today}
        answer = coordinator.post(
            f"/api/v1/triggers/{application_id}/threshold-decision",
            json=decision | ({"basis": "discretionary"} if met else {}),
        )
        assert answer.status_code == 200, answer.json

    reviewed, refused, appealed = application("Rita Review"), application("Wendy Window"), application("Abe Appeal")
    commissioned = application("Pat Commissioner")
    decide(reviewed, True)
    meeting = coordinator.post(
        f"/api/v1/triggers/{reviewed}/meetings",
        json={"scheduled_on": today, "chair_email": chair.email},
    )
    assert meeting.status_code == 201, meeting.json
    decide(refused, False)
    decide(appealed, False)
    appeal = coordinator.post(f"/api/v1/triggers/{appealed}/appeal", json={"received_on": today, "grounds": "Unfair"})
    assert appeal.status_code == 201, appeal.json
    decide(commissioned, False)
    update_area_settings(None, db.session.get(Area, area), {"cpa2026_pcc_review": True}, date.today())
    db.session.commit()
    pcc_review = coordinator.post(
        f"/api/v1/triggers/{commissioned}/pcc-reviews", json={"requested_on": today, "grounds": "Not heard"}
    )
    assert pcc_review.status_code == 201, pcc_review.json
    assessment = coordinator.post(
        f"/api/v1/triggers/{reviewed}/meetings/{meeting.json['id']}/proportionality-assessments",
        json={
            "subject_name": "Sam Subject",
            "age_note": "An adult",
            "conclusion": "Proportionate",
            "assessed_on": today,
        },
    )
    assert assessment.status_code == 201, assessment.json
    # An order that can be extended and a closure notice in force (its extension notice).
    order = coordinator.post(
        f"/api/v1/cases/{world.my_case}/interventions",
        json={
            "kind": "pspo",
            "issued_on": today,
            "ends_on": (date.today() + timedelta(days=365)).isoformat(),
            "location": "The park",
        },
    )
    assert order.status_code == 201, order.json
    notice = coordinator.post(
        f"/api/v1/cases/{world.my_case}/interventions",
        json={
            "kind": "closure_notice",
            "issued_on": today,
            "issued_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "location": "12 High Street",
        },
    )
    assert notice.status_code == 201, notice.json

    victim = Person(name="Vicky Victim", normalised_name="vicky victim")
    db.session.add(victim)
    db.session.flush()
    db.session.add(CaseParty(case_id=world.my_case, person_id=victim.id, role=PartyRole.victim))
    db.session.commit()
    officer = app.test_client(user=world.me)
    officer.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(officer, app)["X-CSRFToken"]
    switched_on = officer.post(
        f"/cases/{world.my_case}/victim-page/{victim.id}",
        data={"email": "vicky@example.net", "mobile": "07700 900456", "contact_checked": "y", "next_step": "A visit"},
    )
    assert switched_on.status_code == 302, switched_on.get_data(as_text=True)
    # A second victim with the page on, for the officer to switch off once Vicky has stopped using hers.
    second_victim = Person(name="Val Victim", normalised_name="val victim")
    db.session.add(second_victim)
    db.session.flush()
    db.session.add(CaseParty(case_id=world.my_case, person_id=second_victim.id, role=PartyRole.victim))
    db.session.commit()
    switched_on = officer.post(
        f"/cases/{world.my_case}/victim-page/{second_victim.id}",
        data={"email": "val@example.net", "mobile": "07700 900457", "contact_checked": "y", "next_step": "A call"},
    )
    assert switched_on.status_code == 302, switched_on.get_data(as_text=True)

    def link_to_sign_in() -> str:
        """Asks for a link to the victim page, as the victim does, and reads it from the email."""
        asker = app.test_client()
        page = asker.get("/my-case/sign-in")
        asker.post("/my-case/sign-in", data={"email": "vicky@example.net", "csrf_token": csrf_from(page.text)})
        db.session.expire_all()
        email = db.session.scalars(
            sa.select(OutboxEmail).where(OutboxEmail.subject == "Your link to sign in").order_by(OutboxEmail.id.desc())
        ).first()
        assert email is not None
        link = re.search(r"(/my-case/sign-in/link/\S+)", sent_text(email))
        assert link, email.body_text
        return link.group(1)

    signed_in = app.test_client()
    page = signed_in.get(link := link_to_sign_in())
    assert signed_in.post(link, data={"csrf_token": csrf_from(page.text)}).status_code == 302
    # A second link, for the walk of someone not signed in to find the form that uses it.
    second_link = link_to_sign_in()

    # A victim one complaint short of the Case Review threshold: the threshold watch's tell page.
    victim.email = "vicky@example.net"
    for agency_code, days_ago in ((world.me.agency.code, 9), ("MINPOL", 2)):
        day = (date.today() - timedelta(days=days_ago)).isoformat()
        recorded = coordinator.post(
            f"/api/v1/cases/{world.my_case}/incidents",
            json={
                "occurred_on": day,
                "description": "Shouting at night",
                "complaints": [{"reported_on": day, "agency_code": agency_code, "complainant_person_id": victim.id}],
            },
        )
        assert recorded.status_code == 201, recorded.json
    db.session.commit()
    entry = db.session.scalar(sa.select(WatchEntry).where(WatchEntry.person_id == victim.id))
    assert entry is not None
    assert entry.short_by == 1, entry.short_by

    # A merge sent, to be undone from the kept person's page.
    duplicate = coordinator.post("/api/v1/people", json={"name": "Dee Duplicate"})
    assert duplicate.status_code == 201, duplicate.json
    merged = coordinator.post(
        f"/api/v1/people/{world.my_person}/merge", json={"merged_person_id": duplicate.json["id"]}
    )
    assert merged.status_code in (200, 201), merged.json

    # Imports: a police incident log imported (its call queued for an officer, the import to undo) and a
    # list of people checked and waiting to be imported (the walk starts it).
    imported_log = _import(
        officer,
        "police_log",
        [
            ["occurred_at", "police_reference", "caller"],
            [f"{date.today() - timedelta(days=1)} 22:10", "WALK-1", "Sam Stranger"],
        ],
        {"police_agency": "MINPOL"},
        start=True,
    )
    waiting = _import(officer, "people", [["reference", "name"], ["WALK-P1", "Ursula Imported"]], {}, start=False)
    queued_call = db.session.scalar(
        sa.select(QueuedPoliceReport.id).where(QueuedPoliceReport.police_reference == "WALK-1")
    )
    assert queued_call is not None

    # A user with a second factor, past the password step: the sign-in code's page.
    two_step = make.user("officer", agency=world.me.agency)
    second_factor.store_secret(two_step, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    two_step.second_factor_enabled_at = datetime.now(UTC)
    db.session.commit()
    signing_in = app.test_client()
    page = signing_in.get("/sign-in")
    password_step = signing_in.post(
        "/sign-in", data={"email": two_step.email, "password": TEST_PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    assert password_step.status_code == 302
    assert password_step.location.endswith("/sign-in/code"), password_step.location
    signing_in.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(signing_in, app)["X-CSRFToken"]

    records = {argument: [record(world)] for argument, record in VISIBLE_PATH_RECORDS.items()}
    records["entry_id"] = [entry.id]
    records["report_id"] = [queued_call]
    records["job_id"] = [imported_log, waiting]
    records["application_id"] += [reviewed, refused, appealed, commissioned]
    records["review_id"] = [int(pcc_review.json["id"])]
    records["assessment_id"] = [int(assessment.json["id"])]
    records["meeting_id"] = [int(meeting.json["id"])]
    records["appeal_id"] = [int(appeal.json["id"])]
    records["intervention_id"] += [int(order.json["id"]), int(notice.json["id"])]
    person_name = db.session.execute(sa.text("SELECT name FROM people WHERE id = :id"), {"id": world.visible.person})
    pages = (
        f"/cases/{world.my_case}/parties/new?name={person_name.scalar_one()}",
        f"/cases/reassign?case_ids={world.my_case}",
        # A partnership report over more than a year: too large to count while the page waits.
        f"/reports/partnership/?period_start={date.today() - timedelta(days=800)}&period_end={today}",
    )
    return Reached(records=records, pages=pages, chair=chair, victim=signed_in, link=second_link, signing_in=signing_in)


def _import(client: Any, kind: str, rows: list[list[str]], options: dict[str, str], *, start: bool) -> int:
    """An import of ``rows`` (a CSV) uploaded through its page, its columns matched as suggested and its
    check run (the eager task); imported too when ``start``. The job's id."""
    from casework.spreadsheets.models import ImportJob, ImportStatus

    content = "\n".join(",".join(row) for row in rows).encode()
    uploaded = client.post(
        f"/imports/new/{kind}",
        data={"file": (io.BytesIO(content), f"{kind}.csv"), **{f"option_{k}": v for k, v in options.items()}},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
    job_id = int(uploaded.location.rstrip("/").split("/")[-2])
    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    assert job is not None
    chosen = {f"column_{key}": "-" if index is None else str(index) for key, index in (job.mapping or {}).items()}
    assert client.post(f"/imports/{job_id}/columns", data={**chosen, "version": job.version}).status_code == 302
    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    assert job is not None
    assert job.status == ImportStatus.checked, job.status
    assert not job.problem_count, job.problem_count
    if start:
        assert client.post(f"/imports/{job_id}/start", data={"version": job.version}).status_code == 302
        db.session.expire_all()
        assert db.session.get(ImportJob, job_id).status == ImportStatus.imported  # type: ignore[union-attr]
    return job_id


def test_every_form_of_the_service_is_walked_and_saves_once_when_sent_twice(
    app: Flask, world: World, make: Any, api_client: Any
) -> None:
    """The walks above as every kind of user, with the state the world lacks built first (a Case
    Review's meeting and its chair, an appeal window and an appeal, a victim signed in to the victim
    page): every form that posts is found on some page, carries a key and, sent twice, saves once."""
    reached = _reach(app, world, make, api_client)
    # The second step of signing in first: it lasts five minutes from the password (PENDING_SECONDS),
    # which the walks before it took on a loaded machine.
    walks = {
        "someone at the second step of signing in": walk(
            app,
            world,
            None,
            public=True,
            extra_pages=("/sign-in/code",),
            client=reached.signing_in,
            only_extra_pages=True,
        )
    }
    # Then the victim: the staff walks then find the diary entry the victim added, to accept.
    walks["the victim"] = walk(app, world, None, public=True, records=reached.records, client=reached.victim)
    walks["someone not signed in"] = walk(
        app, world, None, public=True, records=reached.records, extra_pages=(reached.link,)
    )
    walks["the coordinator"] = walk(
        app, world, world.me, public=False, records=reached.records, extra_pages=reached.pages
    )
    walks["the chair"] = walk(app, world, reached.chair, public=False, records=reached.records)
    admin = make.user("admin", agency=world.me.agency)
    # With a second factor: the forms to turn it off, to make new recovery codes and (the administrator's)
    # to remove it are shown only then.
    dpo = make.user("dpo", agency=world.me.agency)
    for user in (dpo, admin):
        second_factor.store_secret(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        user.second_factor_enabled_at = datetime.now(UTC)
    db.session.commit()
    walks["an administrator"] = walk(app, world, admin, public=False, records=reached.records)
    walks["the data protection officer"] = walk(app, world, dpo, public=False, records=reached.records)
    assert len(walks["the coordinator"].creating) >= 30, walks["the coordinator"].creating
    assert len(walks["an administrator"].creating) >= 5, walks["an administrator"].creating
    # The public Case Review application among them, sent by someone not signed in.
    assert walks["someone not signed in"].creating, "no public form created anything"
    assert walks["the victim"].creating, "the victim's diary created nothing"
    problems = [f"{who}: {problem}" for who, walked in walks.items() for problem in walked.problems]
    found = set().union(*(walked.found for walked in walks.values()))
    forms = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/")
    }
    assert not problems, "\n".join(problems)
    # The forms reached only through the state built above, each creating (or emailing) and sent twice.
    created = [line for walked in walks.values() for line in walked.creating]
    for reached_form in (
        r"/cases/police-reports/\d+ ",  # a call of the imported police log added to a case
        r"/imports/\d+/start ",
        r"/reports/partnership/compile ",
        r"/threshold-watch/\d+/tell ",  # the email to the victim queued once
    ):
        assert any(re.match(reached_form, line) for line in created), f"{reached_form} created nothing"
    skipped = sorted(forms - found - set(NOT_REACHED))
    assert not skipped, "No walk found a form posting to these (reach them, or say why in NOT_REACHED):\n" + "\n".join(
        skipped
    )
    assert not set(NOT_REACHED) & found, f"Walked now, no longer NOT_REACHED: {sorted(set(NOT_REACHED) & found)}"

    # Last, once every walk has seen what they take away: the forms that take something away, each sent
    # twice and from a second tab, by the walker that found it.
    taken, problems = take_away_twice(app, walks)
    assert not problems, "\n".join(problems)
    taking_away = {str(_endpoint_posted(app, target)) for walked in walks.values() for target in walked.taking_away}
    assert taking_away - set(TAKES_NOTHING_AWAY) == set(taken), f"Not taken away: {sorted(taking_away - set(taken))}"
