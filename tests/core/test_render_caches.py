"""What the templates keep between requests (casework/core/templating.py): the blank public form's
questions and the URLs that do not depend on a row. Each is the same HTML as rendered afresh, follows
what it depends on, and never holds what someone typed."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from casework.community_triggers.forms import ApplicationForm
from casework.core import templating
from tests.conftest import csrf_from

#: The CSRF token and the submission key, which differ from page to page.
TOKEN = re.compile(r'(name="(?:csrf_token|submission_key)"[^>]*value=")[^"]*')


def _without_token(html: str) -> str:
    return TOKEN.sub(r"\1", html)


@pytest.fixture
def area(make):
    area = make.area("BOL", "Bolsover")
    make.agency("BDC", areas=[area])
    return area


def test_the_blank_form_is_kept_and_is_the_same_as_rendered_afresh(client, area, monkeypatch):
    templating._fragments.clear()
    first = client.get("/case-review/apply")
    assert any(name.startswith("community_triggers/public/apply.html") for name, _key in templating._fragments)
    kept = client.get("/case-review/apply")
    monkeypatch.setattr(templating, "blank_form_key", lambda form: None)
    client.application.jinja_env.globals["blank_form_key"] = templating.blank_form_key
    afresh = client.get("/case-review/apply")
    assert _without_token(kept.text) == _without_token(afresh.text) == _without_token(first.text)
    # The CSRF token (the session's) and the submission key (the page's) are outside what is kept.
    assert "csrf_token" not in "".join(templating._fragments.values())
    assert "submission_key" not in "".join(templating._fragments.values())


def test_a_new_area_or_agency_shows_on_the_next_visit(client, area, make):
    assert "Bolsover" in client.get("/case-review/apply").text
    other = make.area("AMB", "Amber Valley")
    make.agency("AVBC", areas=[other])
    page = client.get("/case-review/apply").text
    assert "Amber Valley" in page
    assert "AVBC" in page


def test_what_someone_typed_is_never_kept(client, area):
    templating._fragments.clear()
    page = client.get("/case-review/apply")
    typed = {
        "csrf_token": csrf_from(page.text),
        "applicant_name": "Rita Typed-Name",
        "description": "Loud music every night from number 12",
        "complaints-0-occurred_on-day": "3",
        "change": "y",
    }
    shown = client.post("/case-review/apply", data=typed)
    assert "Rita Typed-Name" in shown.text
    kept = "".join(templating._fragments.values())
    assert "Typed-Name" not in kept
    assert "number 12" not in kept
    assert "Typed-Name" not in client.get("/case-review/apply").text


def test_only_a_blank_unsubmitted_form_has_a_key(app, area):
    with app.test_request_context("/case-review/apply"):
        form = ApplicationForm()
        form.set_choices([area], [])
        assert templating.blank_form_key(form) is not None
        form.applicant_name.data = "Someone"
        assert templating.blank_form_key(form) is None
    with app.test_request_context("/case-review/apply", method="POST", data={"applicant_name": ""}):
        assert templating.blank_form_key(ApplicationForm()) is None


def test_kept_urls_follow_the_script_root(client, area):
    plain = client.get("/case-review/apply").text
    prefixed = client.get("/case-review/apply", base_url="http://localhost/casework").text
    again = client.get("/case-review/apply").text
    static = re.compile(r'href="([^"]*)/static/css/app[^"]*\.css"')
    assert static.search(plain).group(1) == static.search(again).group(1) == ""
    assert static.search(prefixed).group(1) == "/casework"
    assert 'href="/casework/privacy"' in prefixed
    assert 'href="/privacy"' in again
    assert "/casework/" not in again


def test_dates_are_in_the_gov_uk_style_without_strftime() -> None:
    from datetime import UTC, date, datetime

    assert [templating.format_date(date(2027, month, 4)) for month in (1, 6, 12)] == [
        "4 January 2027",
        "4 June 2027",
        "4 December 2027",
    ]
    assert [templating.format_date(date(2026, month, 1)) for month in range(1, 13)] == [
        date(2026, month, 1).strftime("1 %B 2026") for month in range(1, 13)
    ]
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
    assert templating.format_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "1 July 2026"
    assert templating.format_datetime(datetime(2026, 1, 5, 14, 15, tzinfo=UTC)) == "5 January 2026 at 2:15pm"
    assert templating.format_date(None) == ""


@pytest.mark.parametrize("script_root", ["", "/casework"])
def test_every_url_with_ids_is_the_one_flask_builds(app, script_root) -> None:
    """Every rule, its path arguments given ids, and with an id in the query string too: the kept
    shapes give what Flask builds, under a proxy's prefix or not."""
    from casework.core import urls

    checked = 0
    with app.test_request_context("/", base_url=f"http://localhost{script_root}"):
        for rule in app.url_map.iter_rules():
            if any(not isinstance(rule._converters[name], IntegerConverter) for name in rule.arguments):
                continue
            for ids in (0, 7, 123456):
                values = {name: ids + index for index, name in enumerate(sorted(rule.arguments))}
                for extra in ({}, {"page": ids + 2}):
                    expected = app.url_for(rule.endpoint, **values, **extra)
                    assert urls.url_for(rule.endpoint, **values, **extra) == expected
                    assert urls.url_for(rule.endpoint, **values, **extra) == expected  # from the kept shape
                    assert expected.startswith(f"{script_root}/")
                    checked += 1
        assert urls.url_for("static", filename="css/app.css") == app.url_for("static", filename="css/app.css")
        # Not ids: built every time, never kept.
        assert urls.url_for("staff.cases.index", q="Rita") == app.url_for("staff.cases.index", q="Rita")
        assert not any("Rita" in str(key) for key in app.extensions["casework_url_cache"])
    assert checked > 300


QUERY_VALUES = [
    "Rita Smith",
    "a&b=c#d?e/f",
    "100% + more",
    "Ŵrexham \u2018quoted\u2019 café",
    "!$'()*,/:;?@~[]{}<>\"|^`\\",
    "",
    "line\nbreak\ttab",
    7,
    -3,
    # Left as they are by the encoding (casework.core.urls.query_string joins them without urlencode),
    # and near misses: letters and digits of other scripts, a plus, a space.
    "reference",
    "A-b_c.d~e!$'()*,/:;?@",
    "\u0663",
    "\uff46ull",
    "a+b",
    " ",
    0,
]


@pytest.mark.parametrize("script_root", ["", "/casework"])
def test_every_url_with_query_arguments_only_is_the_one_flask_builds(app, script_root, monkeypatch) -> None:
    """Every endpoint whose one rule has no arguments, given query arguments of every awkward kind: the
    kept URL with the query string put on gives what Flask builds, and Flask is asked once per endpoint
    (for the URL without arguments), never for the arguments; nothing given is kept."""
    from casework.core import urls

    checked = 0
    with app.test_request_context("/", base_url=f"http://localhost{script_root}"):
        endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
        expected = {}
        for endpoint in sorted(endpoints):
            rules = list(app.url_map.iter_rules(endpoint))
            if len(rules) != 1 or rules[0].arguments or rules[0].defaults:
                continue
            for value in QUERY_VALUES:
                for values in ({"q": value}, {"sort": "owner", "q": value, "order": "asc"}, {"a b": value, "page": 2}):
                    expected[endpoint, repr(values)] = (values, app.url_for(endpoint, **values))
        built = []
        flask_url_for = app.url_for

        def counted_url_for(endpoint, **values):
            built.append(values)
            return flask_url_for(endpoint, **values)

        monkeypatch.setattr(app, "url_for", counted_url_for)
        for (endpoint, _), (values, url) in expected.items():
            assert urls.url_for(endpoint, **values) == url, (endpoint, values)
            assert url.startswith(f"{script_root}/")
            checked += 1
        # Flask built only URLs without arguments (and id shapes, with stand-in numbers).
        assert built
        assert not any(isinstance(value, str) for values in built for value in values.values())
        kept = " ".join(str(key) + str(value) for key, value in app.extensions["casework_url_cache"].items())
        assert "Rita" not in kept
        assert "owner" not in kept
    assert checked > 500


def test_arguments_a_query_string_cannot_carry_as_given_are_built_by_flask(app) -> None:
    """None, lists and options are left to Flask (it drops a None, repeats a list, reads an option)."""
    from casework.core import urls

    with app.test_request_context("/"):
        for values in ({"q": None}, {"owner": ["me", "none"]}, {"q": "x", "_anchor": "results"}, {"q": True}):
            assert urls.url_for("staff.cases.index", **values) == app.url_for("staff.cases.index", **values)


def test_the_public_form_reads_its_areas_and_agencies_in_one_statement(client, area, make, count_queries):
    other = make.area("AMB", "Amber Valley")
    make.agency("AVBC", areas=[other])
    client.get("/case-review/apply")
    with count_queries() as counter:
        page = client.get("/case-review/apply")
    assert page.status_code == 200
    reads = [s for s in counter.statements if not s.lstrip().upper().startswith("PRAGMA")]
    assert len(reads) == 1, reads
    # Areas by name, then agencies by name, as the two statements gave them.
    assert page.text.index("Amber Valley") < page.text.index("Bolsover")
    assert page.text.index('value="AVBC"') > page.text.index('value="BOL"')


def test_a_rule_chosen_by_its_defaults_is_built_every_time(app) -> None:
    from flask import Flask

    from casework.core import urls

    other = Flask("defaults")
    other.add_url_rule("/list/", "listing", defaults={"page": 1})
    other.add_url_rule("/list/page/<int:page>", "listing")
    with other.test_request_context("/"):
        assert urls.url_for("listing", page=5) == "/list/page/5"
        assert urls.url_for("listing", page=1) == "/list/"
        assert not other.extensions.get("casework_url_cache")


# --- the layout: the navigation kept per set of permissions and page, the template engine's set-up ---

NAV_LINK = re.compile(r'<a class="govuk-service-navigation__link" href="([^"]*)"(?: aria-current="(\w+)")?>')


def _navigation(html: str) -> dict[str, str | None]:
    """The navigation's links: href -> aria-current (None when not the page's section)."""
    links = dict(NAV_LINK.findall(html))
    assert links, "page has no service navigation"
    return {href: current or None for href, current in links.items()}


def _built_afresh(app, user, path: str) -> list[dict]:
    """The navigation as the user's own permission checks give it, for this page."""
    from casework.core.navigation import NAVIGATION, _is_active
    from casework.core.permissions import Permission
    from casework.core.urls import url_for

    endpoint, blueprint = request_endpoint(app, path), request_blueprint(app, path)
    with app.test_request_context(path):
        return [
            {
                "text": entry.label,
                "href": url_for(entry.endpoint),
                "active": _is_active(entry, endpoint, blueprint),
                "current": endpoint == entry.endpoint,
            }
            for entry in NAVIGATION
            if entry.endpoint in app.view_functions
            and (entry.permission is None or user.can(Permission[entry.permission]))
        ]


def request_endpoint(app, path: str) -> str:
    return app.url_map.bind("localhost").match(path)[0]


def request_blueprint(app, path: str) -> str:
    return request_endpoint(app, path).rpartition(".")[0]


@pytest.mark.parametrize("roles", [["officer"], ["manager"], ["admin"], ["partner"], ["dpo"], ["chair"]])
def test_the_kept_navigation_is_the_one_built_afresh_for_each_role_and_page(app, page_client, make, roles):
    from flask_login import login_user

    from casework.core.navigation import navigation_items

    user = make.user(roles)
    client = page_client(user)
    for path in ["/", "/cases/", "/account"]:
        for _ in range(2):  # built, then kept
            with app.test_request_context(path):
                login_user(user)
                kept = navigation_items()
            assert kept == _built_afresh(app, user, path)
        assert client.get(path).status_code in (200, 403)


def test_the_navigation_follows_a_change_of_roles_and_marks_the_page(app, page_client, make):
    user = make.user("officer")
    client = page_client(user)
    on_cases = _navigation(client.get("/cases/").text)
    assert on_cases["/cases/"] == "page"
    assert on_cases["/"] is None
    assert "/admin/users" not in on_cases
    on_home = _navigation(client.get("/").text)
    assert on_home["/"] == "page"
    assert on_home["/cases/"] is None
    user.roles = ["officer", "admin"]
    from casework.extensions import db

    db.session.commit()
    assert "/admin/users" in _navigation(client.get("/cases/").text)


def test_each_call_gets_its_own_items(app, make):
    from flask_login import login_user

    from casework.core.navigation import navigation_items

    user = make.user("officer")
    with app.test_request_context("/cases/"):
        login_user(user)
        first = navigation_items()
        first[0]["text"] = "Changed by a caller"
        first.append({"text": "Added"})
        assert navigation_items() == _built_afresh(app, user, "/cases/")


def test_a_global_set_after_a_template_was_loaded_shows_at_its_next_render(app):
    with app.test_request_context("/"):
        template = app.jinja_env.from_string("{{ probe_global }}")
        assert template.render() == ""
        app.jinja_env.globals["probe_global"] = "now set"
        try:
            assert template.render() == "now set"
            assert template.render(probe_global="a variable wins") == "a variable wins"
        finally:
            del app.jinja_env.globals["probe_global"]


def test_flask_own_context_processor_runs_once_per_render(app):
    from flask.templating import _default_template_ctx_processor

    runs = [
        name
        for name, processors in app.template_context_processors.items()
        for processor in processors
        if processor is _default_template_ctx_processor
    ]
    assert runs == [None]
    with app.test_request_context("/cases/"):
        rendered = app.jinja_env.from_string("{{ request.path }} {{ g is defined }} {{ session is defined }}")
        from flask import render_template

        assert render_template(rendered) == "/cases/ True True"


# --- the case list's filter form, kept while the list is asked for nothing ---


def _filter_form(html: str) -> str:
    start = html.index('<form method="get" action="/cases/"')
    return html[start : html.index("</form>", start)]


def _kept_filter_forms() -> list[str]:
    return [html for (name, _key), html in templating._fragments.items() if name == "case list filters"]


def test_the_blank_filter_form_is_kept_and_is_the_same_as_rendered_afresh(app, page_client, make, monkeypatch):
    templating._fragments.clear()
    officer = make.user("officer", name="Olive Owner")
    client = page_client(officer)
    first = client.get("/cases/").text
    assert len(_kept_filter_forms()) == 1
    kept = client.get("/cases/").text
    monkeypatch.setattr(templating, "_fragments", type(templating._fragments)())
    monkeypatch.setattr(templating, "FRAGMENT_CACHE_SIZE", -1)  # nothing stays: rendered afresh
    afresh = client.get("/cases/").text
    assert _without_token(kept) == _without_token(afresh) == _without_token(first)
    assert "Olive Owner" in _filter_form(kept)


def test_what_someone_searched_or_chose_is_never_kept(page_client, make):
    templating._fragments.clear()
    client = page_client(make.user("officer"))
    asked = ["q=Typed-Search-Words", "status=closed", "sort=opened&order=asc", "opened_from-day=31&opened_from-month=2"]
    for query in asked:
        page = client.get(f"/cases/?{query}").text
        assert _kept_filter_forms() == [], query
        assert _filter_form(page)
    assert "Typed-Search-Words" in client.get("/cases/?q=Typed-Search-Words").text
    client.get("/cases/")
    assert "Typed-Search-Words" not in "".join(_kept_filter_forms())


def test_a_new_owner_shows_in_the_kept_form_at_once(page_client, make):
    templating._fragments.clear()
    officer = make.user("officer")
    client = page_client(officer)
    assert "Newly Joined" not in _filter_form(client.get("/cases/").text)
    make.user("officer", agency=officer.agency, name="Newly Joined")
    assert "Newly Joined" in _filter_form(client.get("/cases/").text)


def test_each_agency_sees_its_own_owners(page_client, make):
    templating._fragments.clear()
    first = make.user("officer", name="First Agency Officer")
    second = make.user("officer", name="Second Agency Officer")
    assert first.agency_id != second.agency_id
    first_form = _filter_form(page_client(first).get("/cases/").text)
    second_form = _filter_form(page_client(second).get("/cases/").text)
    assert "First Agency Officer" in first_form
    assert "Second Agency Officer" not in first_form
    assert "Second Agency Officer" in second_form
    assert "First Agency Officer" not in second_form


# --- components with a record's values: the markup kept per shape, the values put in ---

ROWS_CASES = [
    [{"key": {"text": "Location"}, "value": {"text": 'Flat 2 & "the" <annexe>'}}],
    [
        {"key": {"text": "Case owner"}, "value": {"text": "Not assigned"}},
        {"key": {"text": "Opened"}, "value": {"text": "4 January 2027"}},
    ],
    [
        {"key": {"text": "Victim first contacted"}, "value": {"text": "Not recorded"}},
        {
            "key": {"text": "Opened"},
            "value": {"text": "app-stand-in-0-x7q {0} %s"},
            "actions": {
                "items": [{"href": "/cases/7/first-contact?a=1&b=2", "text": "Record", "visuallyHiddenText": "when"}]
            },
        },
    ],
    [
        {
            "key": {"text": "Linked cases"},
            "value": {"html": '\n  <ul class="govuk-list"><li>A</li>\n<li>B &amp; C</li></ul>\n'},
        },
        {"key": {"text": "Shared with"}, "value": {"text": ""}},
    ],
    [{"key": {"text": "Closed"}, "value": {"text": "1 May 2026: moved\naway"}}],  # two lines: the macro's own
    [
        {
            "key": {"text": "Two actions"},
            "value": {"text": "x"},
            "actions": {"items": [{"href": "/a", "text": "One"}, {"href": "/b", "text": "Two", "classes": "c"}]},
        }
    ],
]


@pytest.mark.parametrize("rows", ROWS_CASES)
def test_a_filled_summary_list_is_the_macro_own_output(app, rows):
    from markupsafe import Markup

    with app.test_request_context("/"):
        macro = app.jinja_env.get_template("govuk_frontend_jinja/components/summary-list/macro.html").module
        summary_list = macro.govukSummaryList
        templating._shapes.clear()
        for _ in range(2):  # the shape built, then kept
            assert templating.filled_component(summary_list, {"rows": rows}) == summary_list({"rows": rows})
        marked = [{**row, "value": {"text": Markup("<b>marked</b>")}} for row in rows]
        assert templating.filled_component(summary_list, {"rows": marked}) == summary_list({"rows": marked})


def test_no_value_is_kept_in_a_shape(app):
    with app.test_request_context("/"):
        summary_list = app.jinja_env.get_template(
            "govuk_frontend_jinja/components/summary-list/macro.html"
        ).module.govukSummaryList
        templating._shapes.clear()
        rows = [{"key": {"text": "Location"}, "value": {"text": "12 Secret Street"}}]
        assert "12 Secret Street" in templating.filled_component(summary_list, {"rows": rows})
        kept = repr(list(templating._shapes.items()))
        assert "Secret" not in kept
        assert "Location" not in kept  # every text is a value, even a label


def test_only_macros_known_to_print_their_text_as_it_is_are_filled(app):
    with app.test_request_context("/"):
        tag = app.jinja_env.get_template("govuk_frontend_jinja/components/tag/macro.html").module.govukTag
        with pytest.raises(ValueError, match="govukTag"):
            templating.filled_component(tag, {"text": "Open"})


# --- the layout's timeout warning and content ---


def _dialog(html: str) -> str:
    return html[html.index('<dialog class="app-timeout-dialog"') : html.index("</dialog>") + len("</dialog>")]


def test_the_kept_timeout_warning_has_each_page_way_back_and_token(app, page_client, make, monkeypatch):
    """The timeout warning is rendered once per prefix and idle time; each page puts in its own way
    back after signing in (escaped, as the template escapes it) and the session's CSRF token, and the
    dialog is the one rendered afresh. Nothing of a page is kept."""
    client = page_client(make.user("officer"))
    kept_page = client.get("/cases/?q=Rita+%26+%3Cb%3E&status=open").text
    assert any(key[0] == "timeout warning" for key in templating._fragments)
    kept = _dialog(kept_page)
    assert 'data-signed-out-url="/sign-in?next=/cases/?q%3DRita%2B%2526%2B%253Cb%253E%26status%3Dopen"' in kept
    token = re.search(r'name="csrf_token" value="([^"]+)"', kept).group(1)
    assert kept.count(f'name="csrf_token" value="{token}"') == 2
    assert _without_token(_dialog(client.get("/account").text)) == _without_token(
        kept.replace("/cases/?q%3DRita%2B%2526%2B%253Cb%253E%26status%3Dopen", "/account")
    )
    assert not any("Rita" in str(key) or "Rita" in html for key, html in templating._fragments.items())

    monkeypatch.setattr(templating, "_fragments", type(templating._fragments)())
    monkeypatch.setitem(app.jinja_env.globals, "cached_fragment", lambda name, key, caller: caller())
    afresh = _dialog(client.get("/cases/?q=Rita+%26+%3Cb%3E&status=open").text)
    assert _without_token(afresh) == _without_token(kept)
    assert "placeholder" not in afresh


def test_a_change_of_idle_time_shows_in_the_warning(app, page_client, make, monkeypatch):
    client = page_client(make.user("officer"))
    assert 'data-idle-seconds="' in client.get("/cases/").text
    monkeypatch.setitem(app.config["CASEWORK"], "SESSION_IDLE_MINUTES", 7)
    dialog = _dialog(client.get("/cases/").text)
    assert 'data-idle-seconds="420"' in dialog
    assert 'data-warning-seconds="120"' in dialog


def test_the_page_content_comes_out_of_the_layout_in_one_piece(app) -> None:
    """Each piece of a page's content is not passed up through the layout's generators one by one:
    the layout gathers the content block and passes it on whole (layouts/base.html, content_html)."""
    template = app.jinja_env.from_string(
        '{% extends "layouts/base.html" %}{% block content %}'
        "{% for i in range(50) %}<p>{{ i }}</p>{% endfor %}{% endblock %}"
    )
    with app.test_request_context("/"):
        chunks = list(template.generate(minimal_layout=True, title="Pieces"))
    content = "".join(f"<p>{i}</p>" for i in range(50))
    assert content in "".join(chunks)
    assert any(content in chunk for chunk in chunks)
