"""Templates compiled by ``casework.core.jinja_compiler`` render exactly what Jinja's own compiler and
context render: templates of every construct it changes (output, escaping, attributes, calls), and the
demo's case lists, case pages and person pages for every demo user, against Jinja's own with each
section rendered by Flask's ``render_template`` (``render_partials`` runs the context processors once
for all of them)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from jinja2 import DictLoader, Environment, StrictUndefined, Undefined, UndefinedError, pass_context, pass_environment
from jinja2.compiler import CodeGenerator
from jinja2.runtime import Context
from markupsafe import Markup

from casework.core import templating
from casework.core.jinja_compiler import FastCodeGenerator, FastContext, escape_output


class Html:
    def __html__(self) -> str:
        return "<b>given as html</b>"


class Record:
    name = "O'Brien & <Sons>"
    number = 7
    nothing = None
    markup = Markup("<i>kept</i>")
    html = Html()
    nested = None

    def __init__(self) -> None:
        self.nested = {"inner": {"text": "a < b"}, "items": [1, 2]}

    @property
    def broken(self) -> str:
        raise AttributeError("raised inside the property")

    def __getitem__(self, key: str) -> str:
        return f"item {key}"

    def greet(self, who: str) -> str:
        return f"Hello {who} <there>"

    @pass_context
    def title_from(self, context: Any) -> str:
        return f"method sees {context.get('title')}"


@pass_context
def from_context(context: Any, name: str) -> str:
    return f"{name}={context.get(name)}"


@pass_environment
def from_environment(environment: Any, value: str) -> str:
    return f"{type(environment).__name__}:{value}"


def stops() -> str:
    raise StopIteration


@functools.wraps(from_context)
def wrapped(*args: Any) -> str:
    return from_context(*args)


TEMPLATES = {
    "layout.html": "<html>{% block body %}default {{ record.name }}{% endblock %}</html>",
    "macros.html": (
        "{% macro field(label, value='none') %}<p>{{ label }}: {{ value }}{% if caller %}"
        "[{{ caller() }}]{% endif %}</p>{% endmacro %}"
    ),
    "page.html": """{% extends "layout.html" %}
{% from "macros.html" import field %}
{% block body %}
<h1>{{ record.name }} {{ record.number }} {{ record.nothing }} {{ record.markup }} {{ record.html }}</h1>
<p>{{ record.nested.inner.text }} {{ record.nested['items'] | join(',') }}
{{ record.missing }} {{ record.broken }}</p>
<p>{{ record.greet(record.name) }} {{ plain(record.name) }} {{ from_context('title') }} {{ from_environment('x') }}</p>
<p>{{ stops() }} {{ dict_value.key }} {{ dict_value.absent | default('by default') }}
{{ "a < b" }} {{ 3 }} {{ title }} {{ record.title_from() }} {{ wrapped('title') }} {{ partial('x') }}
{{ "<{}>".format(record.name) }} {{ len(rows) }}</p>
{% for row in rows if row.show %}<li class="{{ loop.index }}">{{ row.text }}{{ row.link.href }}</li>
{% else %}none{% endfor %}
{% set captured %}<em>{{ record.name }}</em>{% endset %}{{ captured }}
{{ field('Name', record.name) }}{{ field('Empty') }}
{% call field('With caller') %}<b>{{ record.name }}</b>{% endcall %}
{% autoescape false %}{{ record.name }} {{ record.markup }}{% endautoescape %}
{% filter upper %}{{ record.name }} text{% endfilter %}
{{ record.name ~ ' & ' ~ record.markup }} {{ (record.name | e) ~ '!' }} {{ record.nothing is none }}
{% include "included.html" %}
{% endblock %}""",
    "included.html": "<footer>{{ title }} {{ record.name }}</footer>",
}


def _environment(fast: bool, undefined: type[Undefined] = Undefined) -> Environment:
    environment = Environment(loader=DictLoader(TEMPLATES), autoescape=True, undefined=undefined)
    if fast:
        environment.code_generator_class = FastCodeGenerator
        environment.context_class = FastContext
    return environment


def _values() -> dict[str, Any]:
    return {
        "record": Record(),
        "title": "<Title>",
        "rows": [
            {"show": True, "text": "first & <one>", "link": {"href": "/a?b=1&c=2"}},
            {"show": False, "text": "hidden"},
            {"show": True, "text": Markup("<b>second</b>"), "link": {}},
        ],
        "dict_value": {"key": "<value>"},
        "plain": lambda value: f"plain({value})",
        "from_context": from_context,
        "from_environment": from_environment,
        "stops": stops,
        "wrapped": wrapped,
        "partial": functools.partial("{}+{}".format, "fixed"),
        "len": len,
    }


def test_every_construct_renders_as_with_jinjas_own_compiler():
    ours = _environment(fast=True).get_template("page.html").render(_values())
    theirs = _environment(fast=False).get_template("page.html").render(_values())
    assert ours == theirs
    # The page shows what it is meant to, escaped where it should be.
    assert "O&#39;Brien &amp; &lt;Sons&gt;" in ours
    assert "<i>kept</i>" in ours
    assert "<b>given as html</b>" in ours
    assert "item missing" in ours  # no attribute: the item
    assert "item broken" in ours  # an AttributeError inside a property: the item, as Jinja does
    assert "/a?b=1&amp;c=2" in ours
    assert "O'Brien & <Sons> <i>kept</i>" in ours  # autoescape off
    assert "method sees &lt;Title&gt;" in ours  # a method asking for the context is given it
    assert "title=&lt;Title&gt;" in ours
    assert "FastContext" not in ours  # the environment is given, not a context


def test_undefined_values_fail_as_with_jinjas_own_compiler():
    source = "{{ record.nested.nowhere.text }}"
    for fast in (True, False):
        environment = _environment(fast, undefined=StrictUndefined)
        with pytest.raises(UndefinedError, match="nowhere"):
            environment.from_string(source).render(_values())


@pytest.mark.parametrize(
    "value", ["a < b & 'c' \"d\"", "", Markup("<b>x</b>"), 3, -12, True, 2.5, None, Html(), "é ☃", Undefined()]
)
def test_escape_output_escapes_as_markupsafe(value):
    from markupsafe import escape

    assert escape_output(value) == str(escape(value))


# --- the demo's pages ------------------------------------------------------------------------------

TOKEN = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*')
NONCE = re.compile(r'nonce="[^"]*"')
#: The print view's time of printing, which moves on between the two renderings.
PRINTED = re.compile(r"Printed on [^<]*? by ")


def _normalised(html: str) -> str:
    return " ".join(PRINTED.sub("Printed on (now) by ", NONCE.sub("", TOKEN.sub(r"\1", html))).split())


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    from flask_migrate import upgrade

    from casework import create_app
    from casework.core.db import dispose_engines
    from casework.demo import demo_password
    from tests.conftest import test_settings

    folder = tmp_path_factory.mktemp("demo")
    app = create_app(
        {**test_settings(f"sqlite:///{folder / 'casework.sqlite'}", folder), "INSTANCE_PATH": str(folder / "i")}
    )
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        password = demo_password()
    yield app, password
    with app.app_context():
        dispose_engines()


def _signed_in(app: Flask, email: str, password: str) -> Any:
    client = app.test_client()
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token
    response = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token.group(1)})
    assert response.status_code == 302, response.status_code
    return client


def _pages(app: Flask, password: str) -> dict[str, str]:
    """ "user path" -> the page's HTML, normalised, for every demo user, both case lists, every case page,
    its print view and every person's page they may see."""
    import sqlalchemy as sa

    from casework.cases.models import Case, Person
    from casework.demo import DEMO_DOMAIN, DEMO_USERS
    from casework.extensions import db

    with app.app_context():
        case_ids = db.session.scalars(sa.select(Case.id).order_by(Case.id)).all()
        person_ids = db.session.scalars(sa.select(Person.id).order_by(Person.id)).all()
    paths = [
        "/cases/",
        "/cases/?sort=reference",
        *(f"/cases/{case_id}" for case_id in case_ids),
        *(f"/cases/{case_id}/print" for case_id in case_ids),
        *(f"/people/{person_id}" for person_id in person_ids),
    ]
    pages = {}
    for local, _name, _agency, _roles, _manager in DEMO_USERS:
        client = _signed_in(app, f"{local}@{DEMO_DOMAIN}", password)
        for path in paths:
            response = client.get(path)
            if response.status_code == 200:
                pages[f"{local} {path}"] = _normalised(response.text)
    return pages


def _forget_rendered() -> None:
    for kept in (templating._components, templating._shapes, templating._fragments):
        kept.clear()


def _one_render_template_each(partials: Any) -> list[Markup]:
    """The sections as they were rendered before ``render_partials``: Flask's ``render_template``."""
    from flask import render_template

    return [Markup(render_template(name, **context)) for name, context in partials]  # noqa: S704


def test_the_demo_pages_render_as_with_jinjas_own_compiler_and_render_template(demo_app, monkeypatch):
    from casework.cases.views import staff

    app, password = demo_app
    environment = app.jinja_env
    assert environment.code_generator_class is FastCodeGenerator
    assert environment.context_class is FastContext
    _forget_rendered()
    ours = _pages(app, password)
    try:
        environment.code_generator_class = CodeGenerator  # type: ignore[misc]
        environment.context_class = Context  # type: ignore[misc]
        environment.cache.clear()  # type: ignore[union-attr]
        _forget_rendered()
        monkeypatch.setattr(staff, "render_partials", _one_render_template_each)
        theirs = _pages(app, password)
    finally:
        del environment.code_generator_class, environment.context_class
        environment.cache.clear()  # type: ignore[union-attr]
        _forget_rendered()
    assert len(ours) > 20  # every role's lists and the cases each sees
    assert sum(" /cases/" in page and not page.endswith("/cases/") for page in ours) > 10
    assert sum(" /people/" in page for page in ours) > 10
    assert any("Printed on (now) by" in page for page in ours.values())
    assert ours.keys() == theirs.keys()
    for page in ours:
        assert ours[page] == theirs[page], page
