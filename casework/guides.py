"""The screenshots of the per-role guides (docs/guides/), made by one command from browser journeys.

``flask --app casework docs screenshots`` builds a throwaway copy of the service (a new SQLite database
in a temporary folder, migrated and loaded with the demo data, so the user's own ``instance/`` is never
touched), serves it on a free local port, and follows ``JOURNEYS`` in Chromium through Playwright: for
each guide, it signs in as the guide's demo user and opens the pages the guide walks through, writing one
PNG per ``Shot`` to docs/guides/images/. The PNGs are committed on purpose (they are documentation); run
the command again when a page a guide shows changes.

``JOURNEYS`` is plain data so that tests/test_guides.py can check, without a browser, that every image a
guide shows is made here and every page a journey opens is a real page of the service. Playwright is a
development dependency (``pip install -e '.[dev]'``); it is imported only when the command runs.
"""

from __future__ import annotations

import io
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

GUIDES_DIR = Path(__file__).resolve().parent.parent / "docs" / "guides"
IMAGES_DIR = GUIDES_DIR / "images"
CHROMIUM = "/usr/bin/chromium"

#: Narrow enough to keep the images small, wide enough for the GOV.UK desktop layout.
VIEWPORT = {"width": 1000, "height": 800}
#: A shot of a long page is cut at this height: the guide shows where to start, not the whole page.
MAX_HEIGHT = 900
#: White kept around a captured part of a page.
MARGIN = 15
#: GOV.UK pages are a few flat colours: a palette of this many keeps text sharp at a fraction of the size.
COLOURS = 64


@dataclass(frozen=True)
class Shot:
    """One screenshot: open ``path``, open the row holding ``row``, click ``follow`` in order, capture ``part``."""

    #: The file written to docs/guides/images/, without ".png".
    name: str
    #: The page opened, a path of the service (checked against the URL map by tests/test_guides.py).
    path: str
    #: Open the first link in the first table row holding this text (a stage, a name): the demo records'
    #: references and ids may change, what a row says of them does not.
    row: str | None = None
    #: Links or buttons clicked next, by their visible text (role link or button).
    follow: tuple[str, ...] = ()
    #: The part of the page captured (a CSS selector); None captures the window, header included.
    part: str | None = "main"

    @property
    def file_name(self) -> str:
        return f"{self.name}.png"


@dataclass(frozen=True)
class Journey:
    """The screenshots of one guide, taken signed in as one demo user."""

    #: The guide's file in docs/guides/, without ".md"; also the demo role signed in.
    guide: str
    #: The demo login (``casework.demo.DEMO_USERS``) the guide tells its reader to try.
    login: str
    shots: tuple[Shot, ...]


JOURNEYS: tuple[Journey, ...] = (
    Journey(
        "officer",
        "officer@casework.example",
        (
            Shot("officer-home", "/", part=None),
            Shot("officer-open-a-case", "/cases/new"),
            Shot("officer-case", "/cases/", row="Margaret Holmes"),
            Shot("officer-record-an-incident", "/cases/", row="Margaret Holmes", follow=("Record an incident",)),
            Shot("officer-add-an-action", "/cases/", row="Margaret Holmes", follow=("Add an action",)),
            Shot("officer-my-actions", "/actions"),
            Shot("officer-case-list", "/cases/"),
            Shot(
                "officer-nominate-for-tasking",
                "/cases/",
                row="Margaret Holmes",
                follow=("Nominate this case for the tasking meeting",),
            ),
            Shot("officer-deadline-calendar", "/deadlines/calendar"),
        ),
    ),
    Journey(
        "coordinator",
        "coordinator@casework.example",
        (
            Shot("coordinator-home", "/", part=None),
            Shot("coordinator-case-reviews", "/case-reviews/"),
            Shot("coordinator-application", "/case-reviews/", row="Received"),
            Shot(
                "coordinator-decide-the-threshold", "/case-reviews/", row="Received", follow=("Decide the threshold",)
            ),
            Shot("coordinator-concluded-review", "/case-reviews/", row="Review concluded"),
            Shot("coordinator-threshold-watch", "/threshold-watch/"),
            Shot("coordinator-tasking", "/tasking"),
        ),
    ),
    Journey(
        "chair",
        "chair@casework.example",
        (
            Shot("chair-home", "/", part=None),
            Shot("chair-review", "/my-reviews/", row="To hold"),
            Shot("chair-record-the-outcome", "/my-reviews/", row="To hold", follow=("Record the outcome",)),
            Shot("chair-held-review", "/my-reviews/", row="Outcome recorded"),
        ),
    ),
    Journey(
        "manager",
        "manager@casework.example",
        (
            Shot("manager-home", "/", part=None),
            Shot("manager-statistics", "/reports/statistics/"),
            Shot("manager-published-figures", "/statistics"),
            Shot("manager-imports", "/imports"),
            Shot("manager-caseload", "/cases/caseload"),
            Shot("manager-partnership-report", "/reports/partnership/"),
        ),
    ),
    Journey(
        "partner",
        "partner@casework.example",
        (
            Shot("partner-home", "/", part=None),
            Shot("partner-case", "/cases/", row="Margaret Holmes"),
            Shot("partner-add-a-note", "/cases/", row="Margaret Holmes", follow=("Add a note",)),
            Shot("partner-tasking", "/tasking"),
        ),
    ),
    Journey(
        "admin",
        "admin@casework.example",
        (
            Shot("admin-home", "/", part=None),
            Shot("admin-users", "/admin/users"),
            Shot("admin-add-a-user", "/admin/users/new"),
            Shot("admin-area-settings", "/admin/areas/BOL/settings"),
            Shot("admin-audit-log", "/admin/audit"),
        ),
    ),
    Journey(
        "dpo",
        "dpo@casework.example",
        (
            Shot("dpo-home", "/", part=None),
            Shot("dpo-subject-access", "/subject-access"),
            Shot("dpo-release-in-full", "/", row="Margaret Holmes"),
            Shot("dpo-retention", "/retention"),
        ),
    ),
)


def all_shots() -> list[Shot]:
    return [shot for journey in JOURNEYS for shot in journey.shots]


def compress(png: bytes) -> bytes:
    """``png`` cut to ``MAX_HEIGHT`` and saved with a small palette, optimised."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.height > MAX_HEIGHT:
        image = image.crop((0, 0, image.width, MAX_HEIGHT))
    palette = image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def demo_service(folder: Path):
    """A new app on a migrated SQLite database in ``folder``, with the demo data; returns (app, password)."""
    from flask_migrate import upgrade

    from casework import create_app
    from casework.demo import demo_password

    app = create_app(
        {
            "ENV": "development",
            "DATABASE_URL": f"sqlite:///{folder / 'casework.sqlite'}",
            "MIGRATION_DATABASE_URL": None,
            "SECRET_KEY": "screenshots-only-" + "x" * 32,
            "BROKER_URL": "memory://",
            "CELERY_ALWAYS_EAGER": True,
            "MAIL_DIR": str(folder / "mail"),
            "RATELIMIT_STORAGE_URI": "memory://",
            "INSTANCE_PATH": str(folder / "instance"),
        }
    )
    # Inside this app's context: run from a flask command, the command's own app is current, and the
    # demo command would otherwise load into that app's database.
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        if result.exit_code != 0:
            raise RuntimeError(f"the demo data did not load: {result.output}{result.exception!r}")
        return app, demo_password()


def _click(page, text: str) -> None:
    target = page.get_by_role("link", name=text, exact=True).or_(page.get_by_role("button", name=text, exact=True))
    target.first.click()
    page.wait_for_load_state()


def _capture(page, part: str | None) -> bytes:
    """The window, or the element ``part`` with a margin of white around it, at most ``MAX_HEIGHT`` tall."""
    if part is None:
        return page.screenshot(animations="disabled")
    box = page.locator(part).first.bounding_box()
    x, y = max(0, box["x"] - MARGIN), max(0, box["y"] - MARGIN)
    clip = {
        "x": x,
        "y": y,
        "width": min(box["width"] + 2 * MARGIN, VIEWPORT["width"] - x),
        "height": min(box["height"] + 2 * MARGIN, MAX_HEIGHT),
    }
    return page.screenshot(clip=clip, full_page=True, animations="disabled")


def _sign_in(page, email: str, password: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


class JourneyFailed(RuntimeError):
    """A journey's step cannot be followed: a page, a row or a link it expects is not there."""


def _take(page, shot: Shot, images_dir: Path) -> Path:
    page.goto(shot.path)
    if shot.row is not None:
        page.locator("main tbody tr", has_text=shot.row).first.get_by_role("link").first.click()
        page.wait_for_load_state()
    for text in shot.follow:
        _click(page, text)
    path = images_dir / shot.file_name
    path.write_bytes(compress(_capture(page, shot.part)))
    return path


def follow_journeys(browser, base_url: str, password: str, images_dir: Path, echo=print) -> list[Path]:
    """Follow every journey with ``browser`` (Playwright) on the demo service at ``base_url``, writing one
    PNG per shot to ``images_dir``; returns the files written. A link a journey follows that is not on its
    page fails here (Playwright's timeout), so a guide's steps that no longer work are noticed."""
    from playwright.sync_api import Error as PlaywrightError

    images_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for journey in JOURNEYS:
        context = browser.new_context(base_url=base_url, viewport=VIEWPORT, device_scale_factor=1)
        try:
            context.set_default_timeout(20_000)
            page = context.new_page()
            _sign_in(page, journey.login, password)
            for shot in journey.shots:
                try:
                    path = _take(page, shot, images_dir)
                except PlaywrightError as error:
                    first_line = str(error).splitlines()[0]
                    raise JourneyFailed(f"{journey.guide}: {shot.name} could not be taken: {first_line}") from error
                written.append(path)
                echo(f"{journey.guide}: {shot.file_name} ({page.url.removeprefix(base_url)})")
        finally:
            context.close()
    return written


def take_screenshots(images_dir: Path = IMAGES_DIR, chromium: str = CHROMIUM, echo=print) -> list[Path]:
    """Follow every journey on a fresh demo service and write its PNGs to ``images_dir``; returns them.

    Images in ``images_dir`` that no journey makes any more are removed, so the folder holds exactly
    what the guides can show."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from casework.core.db import dispose_engines

    with tempfile.TemporaryDirectory(prefix="casework-screenshots-") as temporary:
        app, password = demo_service(Path(temporary))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="screenshots", daemon=True)
        thread.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
                )
                try:
                    base_url = f"http://127.0.0.1:{server.server_port}"
                    written = follow_journeys(browser, base_url, password, images_dir, echo)
                finally:
                    browser.close()
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            with app.app_context():
                dispose_engines()  # before the temporary folder holding its database goes
    for stale in set(images_dir.glob("*.png")) - set(written):
        stale.unlink()
        echo(f"removed {stale.name}: no journey makes it any more")
    return written
