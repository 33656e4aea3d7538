"""Playwright with Debian's Chromium, axe-core accessibility checks, and a live server for a Flask app
(``demo_server``: the service with the demo data, as after scripts/start)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from tests.support.services import LOOPBACK, find_chromium

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

# Debian's Chromium as root on a machine with a closed network: no sandbox (root), no GPU, and nothing
# that phones home (otherwise Chromium keeps trying, and failing, to reach Google's hosts).
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def launch_chromium(playwright, executable_path: str | None = None, **options):
    """Launch Debian's Chromium (``/usr/bin/chromium``) through Playwright; Playwright's own browser
    downloads are not used. Extra keyword arguments go to ``playwright.chromium.launch``."""
    executable_path = executable_path or find_chromium()
    if executable_path is None:
        raise RuntimeError("Chromium is not installed: apt-get install chromium")
    args = [*CHROMIUM_ARGS, *options.pop("args", ())]
    return playwright.chromium.launch(executable_path=executable_path, headless=True, args=args, **options)


_axe_source: str | None = None


def _axe_script() -> str:
    global _axe_source
    if _axe_source is None:
        if not AXE_PATH.is_file():
            import pytest

            pytest.fail(
                f"axe-core is missing ({AXE_PATH} not found): run `npm ci` in {REPO_ROOT} "
                "(scripts/test does it for you)",
                pytrace=False,
            )
        _axe_source = AXE_PATH.read_text(encoding="utf-8")
    return _axe_source


def format_violations(violations: list[dict], max_targets: int = 3) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'unknown impact'}): "
            f"{violation.get('help', '')} [{violation.get('helpUrl', '')}]"
        )
        nodes = violation.get("nodes", [])
        for node in nodes[:max_targets]:
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    at {target}")
        if len(nodes) > max_targets:
            lines.append(f"    ... and {len(nodes) - max_targets} more element(s)")
    return "\n".join(lines)


def run_axe(
    page, context: str | dict | None = None, tags: tuple[str, ...] = AXE_TAGS, disable_rules: tuple[str, ...] = ()
) -> list[dict]:
    """Run axe-core in the page (WCAG 2.2 AA tags) and return its violations."""
    # page.evaluate goes through the DevTools protocol, so the page's CSP (no inline script) does not
    # block it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_script() + "\n;undefined")
    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    if disable_rules:
        options["rules"] = {rule: {"enabled": False} for rule in disable_rules}
    violations = page.evaluate(
        "async ([context, options]) => (await window.axe.run(context || document, options)).violations",
        [context, options],
    )
    return [violation for violation in violations if not _known_govuk_issue(page, violation)]


def _known_govuk_issue(page, violation: dict) -> bool:
    """GOV.UK Frontend's conditional reveals put aria-expanded on radios, which ARIA 1.2 does not
    allow; the Design System keeps it on purpose (screen readers announce it; alphagov/govuk-frontend
    issue 979, listed as a known axe issue). Only that, on GOV.UK radios that control a reveal."""
    if violation["id"] != "aria-allowed-attr":
        return False
    return all(
        page.evaluate(
            "(selector) => { const input = document.querySelector(selector); return !!input"
            " && input.matches('.govuk-radios__input[aria-controls][aria-expanded]')"
            " && [...input.attributes].filter(a => a.name.startsWith('aria-'))"
            ".every(a => ['aria-controls', 'aria-expanded', 'aria-describedby'].includes(a.name)); }",
            " ".join(str(t) for t in node.get("target", [])),
        )
        for node in violation.get("nodes", [])
    )


def assert_accessible(
    page, context: str | dict | None = None, tags: tuple[str, ...] = AXE_TAGS, disable_rules: tuple[str, ...] = ()
) -> None:
    """Fail (AssertionError) with a readable list when axe-core finds WCAG 2.2 A/AA violations."""
    violations = run_axe(page, context=context, tags=tags, disable_rules=disable_rules)
    if violations:
        raise AssertionError(
            f"{len(violations)} accessibility violation(s) on {page.url}:\n" + format_violations(violations)
        )


def run_live_server(app) -> tuple[str, Callable[[], None]]:
    """Serve a WSGI (Flask) app on 127.0.0.1 and a free port in a daemon thread.

    Returns ``(base_url, stop)``; ``stop()`` shuts the server down and frees the port.
    """
    server = make_server(LOOPBACK, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)

    return f"http://{LOOPBACK}:{server.server_port}", stop


@dataclass(frozen=True)
class DemoServer:
    app: Any
    url: str
    #: every demo user's password
    password: str


@contextmanager
def demo_server(folder: Path, **settings: Any) -> Iterator[DemoServer]:
    """The real app on a SQLite file in ``folder`` (its instance folder too), built by the migrations and
    loaded with the demo data, served on a free port: sign-in, CSRF, sessions and the commits are those
    of production. ``settings`` go over the tests' own (``ENV="development"``: errors become error
    pages, not exceptions). At the end the server stops, Celery's current app is the one before and the
    app's engines are disposed of."""
    from celery import current_app as current_celery
    from flask_migrate import upgrade

    from casework import create_app
    from casework.core.db import dispose_engines
    from casework.demo import demo_password
    from tests.conftest import test_settings

    previous_celery = current_celery._get_current_object()
    app = create_app(
        {**test_settings(f"sqlite:///{folder / 'casework.sqlite'}", folder), "INSTANCE_PATH": str(folder), **settings}
    )
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    with app.app_context():
        password = demo_password()
    url, stop = run_live_server(app)
    try:
        yield DemoServer(app, url, password)
    finally:
        stop()
        previous_celery.set_default()
        with app.app_context():
            dispose_engines()
