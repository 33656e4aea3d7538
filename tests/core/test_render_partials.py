"""The case and person pages' sections rendered by ``casework.core.templating.render_partials`` (the
context processors run once for all of them) are the same HTML as each rendered by Flask's
``render_template``: the demo's case lists, case pages, print views and person pages, for every demo
user."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from markupsafe import Markup

from casework.core import templating

# --- the demo's pages ------------------------------------------------------------------------------

#: The CSRF token and the forms' submission keys (new on every render).
TOKEN = re.compile(r'(name="(?:csrf_token|submission_key)"[^>]*value=")[^"]*')
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


def test_the_demo_pages_render_as_with_render_template_for_each_section(demo_app, monkeypatch):
    from casework.cases.views import staff

    app, password = demo_app
    _forget_rendered()
    ours = _pages(app, password)
    _forget_rendered()
    monkeypatch.setattr(staff, "render_partials", _one_render_template_each)
    theirs = _pages(app, password)
    assert len(ours) > 20  # every role's lists and the cases each sees
    assert sum(" /cases/" in page and not page.endswith("/cases/") for page in ours) > 10
    assert sum(" /people/" in page for page in ours) > 10
    assert any("Printed on (now) by" in page for page in ours.values())
    assert ours.keys() == theirs.keys()
    for page in ours:
        assert ours[page] == theirs[page], page
