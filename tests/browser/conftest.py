"""The whole service in a real browser: a committed SQLite database with the demo data, served on a port.

``live_app`` is built once per run (migrations and demo loaders take a few seconds). Tests must not
rely on changes made by other browser tests; the crawl only reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from tests.support.browser import demo_server


@dataclass
class LiveApp:
    app: Flask
    url: str
    password: str
    #: role -> (email, name) of the demo user holding that role
    users: dict[str, tuple[str, str]] = field(default_factory=dict)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    from casework.demo import DEMO_DOMAIN, DEMO_USERS

    folder = tmp_path_factory.mktemp("live")
    users = {roles[0]: (f"{local}@{DEMO_DOMAIN}", name) for local, name, _agency, roles, _manager in DEMO_USERS}
    # A real server: errors become error pages (as in production), not exceptions in the test.
    with demo_server(folder, ENV="development", INSTANCE_PATH=str(folder / "instance")) as server:
        yield LiveApp(server.app, server.url, server.password, users)


class ConsoleWatch:
    """Collects console errors and uncaught exceptions (a CSP violation is a console error)."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def take(self) -> list[str]:
        errors, self.errors = self.errors, []
        return errors


@pytest.fixture
def new_page(browser: Any, live_app: LiveApp) -> Iterator[Any]:
    """``new_page()`` -> (page, console watch) in a fresh browser context (no cookies)."""
    contexts: list[Any] = []

    def make() -> tuple[Any, ConsoleWatch]:
        context = browser.new_context(base_url=live_app.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        return page, ConsoleWatch(page)

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, live_app: LiveApp, role: str) -> None:
    email, _name = live_app.users[role]
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(live_app.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_app.url}/")


@pytest.fixture
def signed_in_as(new_page: Any, live_app: LiveApp):
    def make(role: str) -> tuple[Any, ConsoleWatch]:
        page, console = new_page()
        sign_in(page, live_app, role)
        return page, console

    return make
