"""The real service in Chromium: signing in and out, and axe-core on every page each demo role can reach.

The crawl is generic: it starts at the dashboard and follows same-site links, so pages added by any
domain are checked as soon as they are linked. It checks one page per URL pattern (``/cases/12`` and
``/cases/13`` are the same template), at most ``MAX_PAGES_PER_ROLE`` per role.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from casework.core.permissions import Role, access_of
from tests.browser.conftest import LiveApp
from tests.support.browser import assert_accessible

pytestmark = pytest.mark.browser

MAX_PAGES_PER_ROLE = 60
#: Links the crawl does not follow: signing out, the API, and files rather than pages.
# /healthz answers JSON to health checks; it is not a page.
SKIP_PATHS = re.compile(r"^/(sign-out|healthz|api/|static/|assets/)")
DOWNLOADS = re.compile(r"\.(csv|json|pdf|docx?|xlsx?|zip|txt|ics)$|^/documents/\d+/(file|download)$", re.IGNORECASE)


def test_an_officer_signs_in_sees_the_dashboard_and_signs_out(signed_in_as: Any, live_app: LiveApp) -> None:
    page, console = signed_in_as("officer")
    _email, name = live_app.users["officer"]
    assert page.locator("h1").count() == 1
    assert name in page.locator("header, .govuk-service-navigation").first.inner_text() or name in page.content()
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_app.url}/sign-in")
    assert "You have signed out" in page.content()
    # The session is over: the dashboard asks to sign in again.
    page.goto("/")
    assert urlsplit(page.url).path == "/sign-in"
    assert console.take() == []


def test_a_wrong_password_shows_the_error_summary(new_page: Any, live_app: LiveApp) -> None:
    page, console = new_page()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(live_app.users["officer"][0])
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Enter a correct email address and password" in summary.inner_text()
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    # The page answers 422 (the form has errors), which Chromium logs; nothing else may be logged.
    assert [error for error in console.take() if "status of 422" not in error] == []


def pattern(path: str) -> str:
    """``/cases/12/parties?page=2`` -> ``/cases/{n}/parties``: one check per template, not per record."""
    segments = ["{n}" if re.search(r"\d", segment) else segment for segment in path.split("/")]
    return "/".join(segments)


def check_page(page: Any, console: Any, path: str, expected_status: int | None = None) -> list[str]:
    problems = []
    response = page.goto(path)
    status = response.status if response is not None else 0
    if expected_status is not None and status != expected_status:
        problems.append(f"{path}: status {status}, expected {expected_status}")
    elif expected_status is None and status >= 400:
        problems.append(f"{path}: a linked page answered {status}")
    if page.locator("h1").count() != 1:
        problems.append(f"{path}: {page.locator('h1').count()} h1 elements, expected one")
    # Markup shown as text: HTML built by joining strings to escaped ones ('<br>' ~ (x | e)) is
    # escaped whole, so the tags appear on the page instead of taking effect.
    shown_markup = page.evaluate(
        r"() => (document.querySelector('main') || document.body).innerText"
        r".match(/<\/?(a|br|strong|span|p|div|ul|li)\b[^>]*>/)"
    )
    if shown_markup:
        problems.append(f"{path}: markup shown as text: {shown_markup[0]!r}")
    try:
        assert_accessible(page)
    except AssertionError as violations:
        problems.append(str(violations))
    problems.extend(sideways_scrolling(page, path))
    problems.extend(clipped_with_text_spacing(page, path))
    errors = console.take()
    if expected_status is not None and expected_status >= 400:
        # Chromium logs the error status of the page itself; that is the point of an error page.
        document_error = f"Failed to load resource: the server responded with a status of {expected_status} "
        own = next((error for error in errors if error.startswith(document_error)), None)
        if own is not None:
            errors.remove(own)
    problems.extend(f"{path}: console: {error}" for error in errors)
    return problems


#: What is wider than the window at 320 CSS pixels and not inside something that scrolls itself.
WIDER_THAN_THE_WINDOW = r"""() => {
  const width = document.documentElement.clientWidth;
  const scrollsItself = (element) => {
    for (let node = element.parentElement; node && node !== document.body; node = node.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(node).overflowX)) return true;
    }
    return false;
  };
  const culprits = [];
  for (const element of document.body.querySelectorAll("*")) {
    if (element.getBoundingClientRect().right > width + 1 && !scrollsItself(element)
        && !element.closest(".govuk-skip-link, dialog:not([open])")) {
      const label = element.tagName.toLowerCase() + (element.className && typeof element.className === "string"
        ? "." + element.className.trim().split(/\s+/).join(".") : "");
      culprits.push(label);
    }
  }
  return { overflow: document.documentElement.scrollWidth - width, culprits: culprits.slice(-3) };
}"""


#: A word wider than a phone's screen, as people type them: a Welsh place name in an address, an email
#: address, a URL pasted into a case summary.
LONG_WORDS = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch an.unusually.long.address@example.org"

#: Adds LONG_WORDS to every piece of text on the page (headings, breadcrumbs, legends, links, the
#: signed-in name, table cells...) but an input's fixed unit, and returns a function that puts the text
#: back. The demo data has no such values, so this is how every page meets them.
LENGTHEN_EVERY_TEXT = r"""(words) => {
  const changed = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    // An input's prefix or suffix is the service's own unit ("hours", "£"), never what someone typed.
    const fixed = "script, style, textarea, option, title, .govuk-input__prefix, .govuk-input__suffix";
    if (!node.data.trim() || node.parentElement.closest(fixed)) continue;
    changed.push([node, node.data]);
  }
  for (const [node, text] of changed) node.data = text + " " + words;
  window.__restoreText = () => { for (const [node, text] of changed) node.data = text; };
}"""


def sideways_scrolling(page: Any, path: str) -> list[str]:
    """Reflow (WCAG 1.4.10): at 320 CSS pixels (a phone, or 400% zoom) the page does not scroll
    sideways, even when its text holds words longer than the screen is wide; a wide table scrolls
    inside its own box instead."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    problems = []
    try:
        found = page.evaluate(WIDER_THAN_THE_WINDOW)
        if found["overflow"] > 0:
            culprits = ", ".join(found["culprits"])
            problems.append(f"{path}: scrolls sideways at 320 pixels by {found['overflow']}px ({culprits})")
        page.evaluate(LENGTHEN_EVERY_TEXT, LONG_WORDS)
        try:
            found = page.evaluate(WIDER_THAN_THE_WINDOW)
        finally:
            page.evaluate("() => window.__restoreText()")
        if found["overflow"] > 0 and not problems:
            culprits = ", ".join(found["culprits"])
            overflow = found["overflow"]
            problems.append(f"{path}: a long word makes it scroll sideways at 320 pixels by {overflow}px ({culprits})")
    finally:
        page.set_viewport_size(size)
    return problems


#: WCAG 1.4.12 Text spacing: the bookmarklet's styles (line height 1.5, paragraphs 2em apart, letters
#: 0.12em and words 0.16em), applied as a constructed style sheet (the CSP forbids a <style> element),
#: then every box that hides what overflows it and now has more than it shows. Inputs scroll their own
#: text; visually hidden text and the honeypot are clipped on purpose.
CLIPPED_WITH_TEXT_SPACING = r"""() => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync("* { line-height: 1.5 !important; letter-spacing: 0.12em !important;"
    + " word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }");
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  try {
    if (getComputedStyle(document.body).lineHeight === "normal") return ["the text spacing styles did not apply"];
    const clipped = [];
    for (const element of document.body.querySelectorAll("*")) {
      const style = getComputedStyle(element);
      const hides = (overflow) => overflow === "hidden" || overflow === "clip";
      if (!hides(style.overflowX) && !hides(style.overflowY)) continue;
      if (!element.checkVisibility() || element.matches("input, textarea, select")
          || element.closest(".govuk-visually-hidden, .app-honeypot, .govuk-skip-link")) continue;
      if ((hides(style.overflowY) && element.scrollHeight > element.clientHeight + 1)
          || (hides(style.overflowX) && element.scrollWidth > element.clientWidth + 1)) {
        clipped.push(element.tagName.toLowerCase() + "." + String(element.className).trim().split(/\s+/).join("."));
      }
    }
    return clipped;
  } finally {
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((other) => other !== sheet);
  }
}"""


def clipped_with_text_spacing(page: Any, path: str) -> list[str]:
    """Text spacing (WCAG 1.4.12): with more space between lines, paragraphs, letters and words,
    nothing is cut off (a fixed height or width with overflow hidden)."""
    return [f"{path}: text spacing clips {element}" for element in page.evaluate(CLIPPED_WITH_TEXT_SPACING)]


def links_on(page: Any, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
    found = []
    for href in hrefs:
        href, _fragment = urldefrag(href)
        if not href.startswith(base + "/"):
            continue  # another site, mailto:, javascript:
        parts = urlsplit(href)
        if SKIP_PATHS.match(parts.path) or DOWNLOADS.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_every_page_a_role_reaches_passes_axe(signed_in_as: Any, live_app: LiveApp, role: str) -> None:
    page, console = signed_in_as(role)
    console.take()
    seen_patterns: set[str] = set()
    queue: deque[str] = deque(["/"])
    problems: list[str] = []
    checked: list[str] = []
    pages_by_title: dict[str, set[str]] = {}
    while queue and len(checked) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        key = pattern(urlsplit(path).path)
        if key in seen_patterns:
            continue
        seen_patterns.add(key)
        problems.extend(check_page(page, console, path))
        checked.append(path)
        pages_by_title.setdefault(page.title(), set()).add(urlsplit(page.url).path)  # where a redirect led
        if urlsplit(page.url).path == "/sign-in":
            problems.append(f"{path}: signed out while crawling")
            break
        queue.extend(link for link in links_on(page, live_app.url) if pattern(urlsplit(link).path) not in seen_patterns)
    # Page titles (WCAG 2.4.2): pages made from different templates never share a title.
    problems.extend(
        f"{sorted(shared)} share the title {title!r}" for title, shared in pages_by_title.items() if len(shared) > 1
    )
    assert "/" in checked
    assert not problems, f"{role}: {len(problems)} problem(s) on {len(checked)} page(s):\n" + "\n".join(problems)


def public_pages(live_app: LiveApp) -> list[str]:
    """Every public GET page without URL arguments (the sign-in page, the public form, published figures)."""
    app = live_app.app
    paths = []
    for rule in app.url_map.iter_rules():
        access = access_of(app.view_functions.get(rule.endpoint))
        if access is None or not access.public or "GET" not in rule.methods or rule.arguments:
            continue
        if SKIP_PATHS.match(rule.rule) or DOWNLOADS.search(rule.rule):
            continue
        paths.append(rule.rule)
    return sorted(paths)


def test_public_pages_and_the_not_found_page_pass_axe(new_page: Any, live_app: LiveApp) -> None:
    page, console = new_page()
    paths = public_pages(live_app)
    assert "/sign-in" in paths
    problems = []
    pages_by_title: dict[str, set[str]] = {}
    for path in paths:
        problems.extend(check_page(page, console, path, expected_status=200))
        pages_by_title.setdefault(page.title(), set()).add(urlsplit(page.url).path)  # where a redirect led
    # Page titles (WCAG 2.4.2): each page's title says which page it is, so no two pages share one.
    problems.extend(
        f"{sorted(shared)} share the title {title!r}" for title, shared in pages_by_title.items() if len(shared) > 1
    )
    problems.extend(check_page(page, console, "/no-such-page", expected_status=404))
    assert not problems, "\n".join(problems)


def test_the_api_documentation_page_passes_axe(new_page: Any, live_app: LiveApp) -> None:
    page, console = new_page()
    problems = check_page(page, console, "/api/v1/docs", expected_status=200)
    assert not problems, "\n".join(problems)
