"""Every message flashed after an action is announced (WCAG 4.1.3 Status messages): its notification
banner has role="alert", which screen readers read out and GOV.UK Frontend's script focuses, whatever
the message's category. The categories are read from the code, so one added later is checked too."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, flash, render_template_string

import casework

FLASH_CATEGORY = re.compile(r"""flash\((?:[^()]|\([^()]*\))*?,\s*["']([a-z_]+)["']\s*\)""", re.DOTALL)
PAGE = '{% extends "layouts/base.html" %}{% block content %}<h1 class="govuk-heading-l">A page</h1>{% endblock %}'


def flashed_categories() -> set[str]:
    source = "\n".join(path.read_text("utf-8") for path in Path(casework.__file__).parent.rglob("*.py"))
    return set(FLASH_CATEGORY.findall(source))


def test_the_code_flashes_more_than_successes() -> None:
    assert {"success", "error", "warning", "important"} <= flashed_categories()


def test_every_flashed_message_is_announced(app: Flask) -> None:
    problems = []
    for category in sorted(flashed_categories()):
        with app.test_request_context("/"):
            flash(f"A message of category {category}", category)
            page = render_template_string(PAGE)
        banner = re.search(r'<div class="govuk-notification-banner[^>]*>', page)
        if banner is None:
            problems.append(f"{category}: no notification banner")
        elif 'role="alert"' not in banner.group(0):
            problems.append(f"{category}: {banner.group(0)}")
    assert not problems, "\n".join(problems)
