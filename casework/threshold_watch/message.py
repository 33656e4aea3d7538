"""The letter or email telling a victim of their right to a Case Review: its wording is a template an
admin may change, for every area or for one (the people who change the Case Review letter templates).

The same safety rules as the letter templates (``casework.core.safe_templates``): Jinja in a sandbox
with limits on time, loops and size; a template is checked before it is saved on made-up victims
(``samples``: never real ones, which its author may not see), and an admin sees only those. The template is
given plain values (names, the area, the link to apply), never the records themselves. If a saved
template still cannot be filled in when it is used, the default wording is used instead and the
failure is logged, so no victim goes untold. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from jinja2 import StrictUndefined, TemplateError

from casework.accounts.models import Area
from casework.core import safe_templates
from casework.core.links import external_url
from casework.core.safe_templates import LimitedSandbox, Limits, render_document, save_admin_template
from casework.core.templating import format_date
from casework.core.time import today
from casework.extensions import db
from casework.threshold_watch.models import TellVictimTemplate, WatchEntry

KIND = "tell_victim"

DEFAULT_SUBJECT = "Your right to ask for an anti-social behaviour Case Review"
DEFAULT_BODY = """\
Dear {{ person.name }},

Your right to ask for an anti-social behaviour Case Review

You have reported anti-social behaviour to us and our partner agencies several times in recent months. \
The law gives you the right to ask for a Case Review (also called the Community Trigger) of how the agencies \
in {{ area.name }} have responded. An independent review brings the council, the police, your landlord and \
others together to look at what has been done and what more could be done.

You can ask for a Case Review online at {{ apply_url }}, or by telephone, email or letter to the officer \
dealing with your case. Someone can apply on your behalf with your consent.

You do not have to ask for a review, and asking will not change the support you receive from us.

Yours sincerely,
The anti-social behaviour team, {{ area.name }}"""

#: What a template may use, for the admin's page.
VARIABLES = (
    ("person.name", "The victim's name"),
    ("area.name", "The area, for example Bolsover"),
    ("apply_url", "The address of the online form to ask for a Case Review"),
    ("today", "Today's date; write {{ today | date }} for 2 December 2026"),
)

BODY_LIMITS = Limits(seconds=2.0, iterations=10_000, output=50_000)
SUBJECT_LIMITS = Limits(seconds=0.5, iterations=1_000, output=2_000)


def _sandbox() -> LimitedSandbox:
    env = LimitedSandbox(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)
    env.add_filter("date", format_date, safe_templates.A_DATE_IN_WORDS)
    return env


_ENV = _sandbox()


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def _context(person_name: str, area_name: str, day: date) -> dict[str, Any]:
    return {
        "person": {"name": person_name},
        "area": {"name": area_name},
        "apply_url": external_url("public.triggers.apply"),
        "today": day,
    }


#: The longest name a person may have (``Person.name``), and an area (``Area.name``).
_LONGEST_NAME = 200


def samples() -> list[safe_templates.Sample]:
    """Made-up victims a template is tried on before it is saved, shaped like the real ones
    (``message_for``): the first is the example the admin sees."""
    day = today()
    return [
        safe_templates.Sample("the example", _context("Alex Example", "Exampleshire", day)),
        safe_templates.Sample(
            "a victim whose name has an apostrophe, a hyphen and accents",
            _context("Siobhán O'Brien-Ní Dhómhnaill", "King's Lynn and West Norfolk", day),
        ),
        safe_templates.Sample("a victim known by one name", _context("Zoë", "Bolsover", day)),
        safe_templates.Sample(
            "a victim with a name as long as a name may be",
            _context(("Maximilian Alexander " * 10)[:_LONGEST_NAME].strip(), "A" * _LONGEST_NAME, day),
        ),
    ]


def sample_context() -> dict[str, Any]:
    """The made-up example (the preview)."""
    return samples()[0].context


def render(subject: str, body: str, context: dict[str, Any]) -> Message:
    """Fill in a template with limits; raises a jinja2 ``TemplateError``."""
    heading, text = render_document(_ENV, subject, body, context, SUBJECT_LIMITS, BODY_LIMITS)
    return Message(heading, text)


def template_row(area_id: int | None) -> TellVictimTemplate | None:
    return safe_templates.template_in_force(TellVictimTemplate, KIND, area_id)


def template_for(area_id: int | None) -> tuple[str, str]:
    """The subject and body in force in an area: its own, every area's, or the default."""
    row = template_row(area_id)
    return (row.subject, row.body) if row else (DEFAULT_SUBJECT, DEFAULT_BODY)


def message_for(entry: WatchEntry) -> Message:
    """The letter and email for this victim, from the template in force in the entry's area."""
    context = _context(entry.person.name, entry.area.name, today())
    subject, body = template_for(entry.area_id)
    try:
        return render(subject, body, context)
    except TemplateError as error:
        current_app.logger.warning(
            "tell-the-victim template failed for area %s (default used): %s",
            entry.area_id,
            safe_templates.describe_failure(error, used_in="letters"),
        )
        return render(DEFAULT_SUBJECT, DEFAULT_BODY, context)


def check_template(subject: str, body: str) -> Message:
    """The preview with made-up data, once the template has passed every check on the made-up
    victims (``samples``); InvalidInput otherwise."""
    return safe_templates.check_before_saving(
        _ENV,
        {"subject": subject, "body": body},
        lambda context: render(subject, body, context),
        samples(),
        used_in="letters",
    )


def own_template_row(area: Area | None) -> TellVictimTemplate | None:
    """The template saved for ``area`` itself (None: the one for every area), not one it falls back on:
    the row a save writes over, whose version the admin's page sends back."""
    return db.session.scalar(
        sa.select(TellVictimTemplate).where(
            TellVictimTemplate.kind == KIND,
            TellVictimTemplate.area_id == area.id if area else TellVictimTemplate.area_id.is_(None),
        )
    )


def save_template(actor: Any, area: Area | None, subject: str, body: str) -> TellVictimTemplate:
    """Check and keep an admin's template for ``area`` (None: every area)."""
    check_template(subject, body)
    row = own_template_row(area)
    return save_admin_template(
        actor,
        row,
        lambda: TellVictimTemplate(kind=KIND, area_id=area.id if area else None),
        {"subject": subject, "body": body},
        description=f"Tell-the-victim template ({area.name if area else 'all areas'})",
    )


def record_sent(entry: WatchEntry, message: Message) -> None:
    """Keep on the task the wording the victim was sent (by letter or email), as it was."""
    entry.told_subject = message.subject[:300]
    entry.told_text = message.text
    db.session.flush()
