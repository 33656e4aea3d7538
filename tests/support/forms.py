"""Reading a page's form as a browser would send it, for tests that post a page's own form back."""

from __future__ import annotations

import re
from html import unescape


def form_fields(html: str, field: str) -> dict[str, str]:
    """The values a browser would send from the form on the page that holds ``field``."""
    chunks = [chunk for chunk in html.split("<form")[1:] if f'name="{field}"' in chunk]
    assert chunks, f"no form with {field} on the page"
    form = chunks[0].split("</form>")[0]
    values: dict[str, str] = {}
    for attributes in re.findall(r"<input\b([^>]*)>", form):
        name = re.search(r'name="([^"]*)"', attributes)
        value = re.search(r'value="([^"]*)"', attributes)
        kind = re.search(r'type="([^"]*)"', attributes)
        if not name or (kind and kind.group(1) in ("submit", "button")):
            continue
        if kind and kind.group(1) in ("radio", "checkbox") and "checked" not in attributes:
            continue
        values[name.group(1)] = unescape(value.group(1)) if value else ""
    for attributes, text in re.findall(r"<textarea\b([^>]*)>(.*?)</textarea>", form, re.S):
        name = re.search(r'name="([^"]*)"', attributes)
        if name:
            values[name.group(1)] = unescape(text).removeprefix("\n")
    for attributes, options in re.findall(r"<select\b([^>]*)>(.*?)</select>", form, re.S):
        name = re.search(r'name="([^"]*)"', attributes)
        chosen = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', options) or re.search(
            r'<option[^>]*value="([^"]*)"', options
        )
        if name:
            values[name.group(1)] = unescape(chosen.group(1)) if chosen else ""
    return values
