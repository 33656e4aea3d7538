"""Letters to the applicant, produced from templates that admins can edit.

Each letter kind has a default template shipped here; an admin may store a ``LetterTemplate`` row for
every area (``area_id`` null) or for one area, which then wins. Templates are Jinja rendered in a
``SandboxedEnvironment`` over plain dictionaries (never model objects), so a template can read the
documented variables and nothing else: no attribute walks to the session, the app or the filesystem.

Letters are produced by the Community Trigger signals, inside the transaction of the step they follow
(acknowledgement, threshold decision, the victim invited to the meeting before it is held, the review
confirmed complete, appeal decided), whichever channel (page or API) took the step. Each is stored as a
``Letter`` row, logged on the application's audit trail, and emailed after the commit when the
recipient gave an email address (``queue_email``, once per letter). The outcome letter goes to the
applicant and, when someone else applied for the victim, to the victim too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateError

from casework.accounts.models import Area
from casework.audit.models import AuditAction
from casework.audit.services import record
from casework.community_triggers import signals
from casework.community_triggers.models import (
    CONSENT_ROLES,
    Appeal,
    AppealDecision,
    DecisionBasis,
    Letter,
    LetterKind,
    LetterRecipient,
    LetterTemplate,
    ReviewMeeting,
    ThresholdDecision,
    TriggerApplication,
)
from casework.community_triggers.pcc_review import letters as pcc_review_letters
from casework.core import safe_templates
from casework.core.links import external_url
from casework.core.safe_templates import LimitedSandbox, Limits, render_document, save_admin_template
from casework.core.templating import format_date
from casework.core.time import today
from casework.documents import layout
from casework.documents.layout import LetterView
from casework.extensions import db
from casework.notifications.services import queue_email

LETTER_TITLES = {
    LetterKind.acknowledgement: "Acknowledgement",
    LetterKind.threshold_decision: "Threshold decision",
    LetterKind.meeting_invitation: "Meeting invitation",
    LetterKind.outcome: "Outcome and recommendations",
    LetterKind.appeal_decision: "Appeal decision",
    **{LetterKind(kind): title for kind, title in pcc_review_letters.TITLES.items()},
}

BASIS_TEXT = {
    "automatic": "at least the required number of qualifying complaints were made",
    "community": "enough different people or households complained about the same behaviour",
    "hate": "a qualifying complaint was about hate-motivated behaviour",
    "discretionary": "the partner agencies used their discretion, considering persistence, harm and the response",
    "vulnerable_override": "a manager decided it was met because of the victim's vulnerability",
}

#: The variables every template may use, shown on the admin editing page.
VARIABLES: list[tuple[str, str]] = [
    ("application.reference", "the application's reference, for example BOL-CT-2026-0003"),
    ("application.applicant_name", "the applicant's name"),
    ("application.received_on", "the day the application was received (a date: use | date)"),
    ("application.acknowledged_on", "the day it was acknowledged, or nothing"),
    ("recipient.name", "who the letter is to: the applicant, or the victim's copy of the outcome"),
    ("recipient.is_victim", "true for the victim's copy of the outcome when someone else applied for them"),
    ("area.name", "the area's name"),
    ("today", "the day the letter is produced"),
    ("progress_url", "the web address where the applicant can check the application's progress"),
    ("decision.met", "true when the threshold was met (threshold decision letter)"),
    ("decision.basis_text", "why it was met, in words, or nothing"),
    ("decision.reasons", "the coordinator's reasons"),
    ("decision.persistence, decision.harm, decision.adequacy", "the discretionary factors, where given"),
    ("meeting.scheduled_on, meeting.held_on, meeting.location", "the review meeting"),
    ("meeting.chair_name", "the independent chair's name"),
    ("meeting.outcome, meeting.minutes", "the outcome and the minutes, once recorded"),
    ("recommendations", "a list; each has text, agency, owner and due_on"),
    ("appeal.received_on, appeal.upheld, appeal.reasons, appeal.decided_on", "the appeal and its decision"),
    ("appeal_window_days", "the working days allowed to appeal"),
    *pcc_review_letters.VARIABLES,
    ("date filter", "{{ application.received_on | date }} gives 2 March 2026"),
]

# The default letters: one line per paragraph, a blank line between paragraphs (the layout wraps them
# to the page: casework.documents.layout.letter_blocks). Conditional paragraphs carry their own blank
# line, so a letter never has two paragraphs run together or a gap where one was left out.

_APPEAL_PARAGRAPH = """\
If you are unhappy with how your application was handled or how the review was carried out, you can ask for the decision to be looked at again. Write to us or email us within {{ appeal_window_days }} working days of this letter, quoting {{ application.reference }}, and tell us why. Someone who took no part in the review will consider it."""

_SIGN_OFF = """\
Yours sincerely,

The ASB Case Review coordinator, {{ area.name }}"""

DEFAULT_TEMPLATES: dict[LetterKind, tuple[str, str]] = {
    LetterKind.acknowledgement: (
        "We have received your ASB Case Review application {{ application.reference }}",
        """\
Dear {{ application.applicant_name }},

Thank you for your application for an anti-social behaviour (ASB) Case Review, which we received on {{ application.received_on | date }}. Your reference is {{ application.reference }}.

We will now ask each agency involved for the complaints they have on record and decide whether the threshold for a Case Review is met. We will write to you with that decision and our reasons.

You can check the progress of your application at {{ progress_url }} with your reference and the email
address or phone number you gave us.

If you are in immediate danger, call 999. Victim Support can help you now, free of charge, on 08 08 16 89 111.

"""
        + _SIGN_OFF,
    ),
    LetterKind.threshold_decision: (
        "Your ASB Case Review application {{ application.reference }}: our decision",
        """\
Dear {{ application.applicant_name }},

We have considered your application {{ application.reference }} for an ASB Case Review.
{% if decision.met %}
The threshold for a Case Review is met{% if decision.basis_text %}: {{ decision.basis_text }}{% endif %}.

Our reasons: {{ decision.reasons or "the complaints you made meet the threshold." }}

What happens next: the agencies will meet to review how they have dealt with your complaints, under an independent chair. We will tell you the date and whether you can attend or give your views.
{% else %}
The threshold for a Case Review is not met.

Our reasons: {{ decision.reasons }}
{% if decision.persistence %}
Persistence of the behaviour: {{ decision.persistence }}
{% endif %}{% if decision.harm %}
Harm or potential harm: {{ decision.harm }}
{% endif %}{% if decision.adequacy %}
Adequacy of the response: {{ decision.adequacy }}
{% endif %}
What happens next: please keep reporting anti-social behaviour to the police or the council. If the behaviour continues, you can apply again.

"""
        + _APPEAL_PARAGRAPH
        + "\n"
        + pcc_review_letters.NOT_MET_PARAGRAPH
        + """
{% endif %}
"""
        + _SIGN_OFF,
    ),
    LetterKind.meeting_invitation: (
        "Your ASB Case Review {{ application.reference }}: the review meeting",
        """\
Dear {{ application.applicant_name }},

The review meeting for your ASB Case Review {{ application.reference }} will be held on {{ meeting.scheduled_on | date }}{% if meeting.location %} at {{ meeting.location }}{% endif %}, chaired by {{ meeting.chair_name }}.

You are invited to attend, in person or online, or to send someone to speak for you. You can also send us your views in writing before the meeting. Please tell us what you would prefer.

"""
        + _SIGN_OFF,
    ),
    LetterKind.outcome: (
        "Your ASB Case Review {{ application.reference }}: the outcome",
        """\
Dear {{ recipient.name }},
{% if recipient.is_victim %}
{{ application.applicant_name }} applied for an ASB Case Review for you. We are writing to you too, so
you know the outcome.
{% endif %}
The review meeting for your ASB Case Review {{ application.reference }} was held on
{{ meeting.held_on | date }}, chaired by {{ meeting.chair_name }}.

Outcome: {{ meeting.outcome or "the review has been carried out." }}
{% if recommendations %}
The review made these recommendations:

{% for item in recommendations -%}
{{ loop.index }}. {{ item.text }}
   For: {{ item.agency }}{% if item.owner %} ({{ item.owner }}){% endif %}. To be done by {{ item.due_on | date }}.
{% endfor %}
Each agency must have regard to the recommendations addressed to it. We will keep track of them until they are done.
{% else %}
The review made no recommendations.
{% endif %}
"""
        + _APPEAL_PARAGRAPH
        + """

"""
        + _SIGN_OFF,
    ),
    LetterKind.appeal_decision: (
        "Your ASB Case Review {{ application.reference }}: your appeal",
        """\
Dear {{ application.applicant_name }},

We received your appeal about ASB Case Review {{ application.reference }} on {{ appeal.received_on | date }}.
{% if appeal.upheld %}
Your appeal has been upheld. The review will be looked at again at a new meeting, and we will write to you with the date.
{% else %}
Your appeal has not been upheld.
{% endif %}
Reasons: {{ appeal.reasons }}
{% if not appeal.upheld %}
If you are still unhappy, you can complain to the Local Government and Social Care Ombudsman.
{% endif %}
Yours sincerely,

{{ area.name }}""",
    ),
    **{LetterKind(kind): template for kind, template in pcc_review_letters.TEMPLATES.items()},
}


def _sandbox() -> LimitedSandbox:
    env = LimitedSandbox(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)
    env.add_filter("date", format_date, safe_templates.A_DATE_IN_WORDS)
    return env


_ENV = _sandbox()
#: A letter is a page or two; a subject is a line. Rendering stops at these (see casework.core.safe_templates).
BODY_LIMITS = Limits(seconds=2.0, iterations=10_000, output=100_000)
SUBJECT_LIMITS = Limits(seconds=0.5, iterations=1_000, output=2_000)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def render(subject: str, body: str, context: dict[str, Any]) -> Rendered:
    """Render a template in the limited sandbox; raises a jinja2 ``TemplateError`` (callers turn it
    into a message)."""
    return Rendered(*render_document(_ENV, subject, body, context, SUBJECT_LIMITS, BODY_LIMITS))


def describe_failure(error: BaseException) -> str:
    """What went wrong, never quoting the data (casework.core.safe_templates.describe_failure)."""
    return safe_templates.describe_failure(error, used_in="letters")


def template_row(kind: LetterKind, area_id: int | None) -> LetterTemplate | None:
    """The admin's template in force for ``kind`` in an area: the area's row, else the all-areas row."""
    return safe_templates.template_in_force(LetterTemplate, kind, area_id)


def template_for(kind: LetterKind, area_id: int | None) -> tuple[str, str]:
    """The subject and body in force for ``kind`` in an area: the area's row, the all-areas row, or
    the default shipped in code."""
    row = template_row(kind, area_id)
    return (row.subject, row.body) if row else DEFAULT_TEMPLATES[kind]


def save_template(
    actor: Any, kind: LetterKind, area: Area | None, row: LetterTemplate | None, subject: str, body: str
) -> LetterTemplate:
    """Write an admin's template for ``kind`` (for one area, or every area when ``area`` is None),
    over ``row`` if there is one, and record the change. Check it first (``check_template``)."""
    return save_admin_template(
        actor,
        row,
        lambda: LetterTemplate(kind=kind, area_id=area.id if area else None),
        {"subject": subject, "body": body},
        description=f"Letter template {kind.value} ({area.name if area else 'all areas'})",
    )


def _admins_for(area_id: int | None) -> list[Any]:
    """Active admins of the agencies covering the area; every active admin for every area (``None``)
    or when the area has none."""
    from casework.accounts.models import Agency, Role, User, UserRole, agency_areas

    admins = (
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.admin, User.is_active.is_(True))
        .order_by(User.email)
    )
    covering = admins.join(Agency, Agency.id == User.agency_id).join(
        agency_areas, agency_areas.c.agency_id == Agency.id
    )
    found = (
        list(db.session.scalars(covering.where(agency_areas.c.area_id == area_id)).unique())
        if area_id is not None
        else []
    )
    return found or list(db.session.scalars(admins).unique())


def tell_admins_template_failed(row: LetterTemplate, error: BaseException) -> None:
    """Email the admins that a template failed at send time and the default was used: once per
    version of the template, with nothing from the casework in it (it is not given the application:
    no names, no reference, not the application's area), nor how or on which line it failed (a template can choose both by what a
    real record holds). It goes to the admins of the template's area (every admin for a template for
    every area), so who is told says nothing about the record either: all the email tells is that
    some real letter failed with this version of the template."""
    from flask import current_app

    problem = describe_failure(error)
    current_app.logger.warning("letter template %s failed at send time (default used): %s", row.id, problem)
    area = db.session.get(Area, row.area_id) if row.area_id is not None else None
    where = area.name if area else "all areas"
    title = LETTER_TITLES[row.kind]
    link = external_url("admin.triggers.edit", kind=row.kind.value, **({"area": area.code} if area else {}))
    for admin in _admins_for(row.area_id):
        queue_email(
            to=admin,
            subject=f"The {title.lower()} letter template for {where} failed: the default letter was used",
            text=(
                f"Dear {admin.name},\n\n"
                f"The {title.lower()} letter template for {where} could not be filled in for a letter. The "
                "service used the default letter instead, so the applicant was not held up. Which letter, and "
                "what went wrong, is not said here: it would tell what the applicant's records hold.\n\n"
                f"Please check the template, which is tried on made-up letters there: {link}\n\n"
                "You will not be told again about this version of the template.\n"
            ),
            key=f"letter-template-failed:{row.id}:{row.version}:{admin.id}",
            related=("trigger_letter_templates", row.id),
        )


# The made-up records a template is tried on before it is saved (never real ones: the admins who write
# templates may not read casework). Each is shaped as ``context_for`` shapes a real letter of its kind:
# the sections another kind of letter has are empty, and the values a record may leave out are left
# out in one sample or another.

_LONG_TEXT = " ".join(["The behaviour has gone on most evenings and weekends since the spring."] * 40)
_LONG_NAME = ("Maximilian Alexander " * 10)[:200].strip()


def _application(applicant_name: str = "Sam Sample", acknowledged_on: date | None = date(2026, 3, 4)) -> dict[str, Any]:
    return {
        "reference": "BOL-CT-2026-0003",
        "applicant_name": applicant_name,
        "received_on": date(2026, 3, 2),
        "acknowledged_on": acknowledged_on,
    }


def _decision(met: bool, *, full: bool = True) -> dict[str, Any]:
    return {
        "met": met,
        "basis": "discretionary" if met and full else None,
        "basis_text": BASIS_TEXT["discretionary"] if met and full else "",
        "reasons": "Two of the complaints were reported more than a month after the behaviour." if full else "",
        "persistence": "The noise has continued most nights since January." if full else None,
        "harm": "The applicant reports lost sleep and anxiety." if full else None,
        "adequacy": "Each agency responded to the reports made to it." if full else None,
        "decided_on": date(2026, 3, 20),
    }


def _meeting(*, held: bool, full: bool = True) -> dict[str, Any]:
    return {
        "scheduled_on": date(2026, 4, 14),
        "held_on": date(2026, 4, 14) if held else None,
        "location": "Bolsover District Council offices" if full else None,
        "chair_name": "Charles Chair",
        "outcome": "The agencies agreed a joint action plan." if held and full else None,
        "minutes": "Minutes of the meeting." if held and full else None,
    }


def _recommendations() -> list[dict[str, Any]]:
    """Made up afresh for each sample (a template may change the lists and dicts it is given)."""
    return [
        {
            "text": "Install noise monitoring equipment.",
            "agency": "Bolsover District Council",
            "owner": "Olive Officer",
            "due_on": date(2026, 5, 1),
        },
        {
            "text": "Increase patrols in the evening.",
            "agency": "Derbyshire Police",
            "owner": None,
            "due_on": date(2026, 5, 15),
        },
    ]


def _appeal(upheld: bool, reasons: str = "The review was carried out properly.") -> dict[str, Any]:
    return {"received_on": date(2026, 4, 20), "upheld": upheld, "reasons": reasons, "decided_on": date(2026, 5, 5)}


def _pcc_review(*, requested: bool, decided: bool, available: bool = True) -> dict[str, Any]:
    """As ``pcc_review.services.letter_context`` gives it: with no request, or requested, or decided."""
    context = {
        **pcc_review_letters.sample(),
        "available": available,
        "window_closes": date(2026, 4, 20) if available else None,
    }
    if not requested:
        context.update(requested_on=None, grounds="", decision_due=None)
    if not decided:
        context.update(reconsider=False, reasons="", decided_on=None, reviewer_name="")
    return context


def _letter_context(
    *,
    application: dict[str, Any] | None = None,
    recipient: dict[str, Any] | None = None,
    decision: dict[str, Any] | None = None,
    meeting: dict[str, Any] | None = None,
    recommendations: list[dict[str, Any]] | None = None,
    appeal: dict[str, Any] | None = None,
    pcc_review: dict[str, Any] | None = None,
    area: str = "Bolsover",
) -> dict[str, Any]:
    application = application or _application()
    return {
        "application": application,
        "area": {"name": area},
        "recipient": recipient or {"name": application["applicant_name"], "is_victim": False},
        "today": date(2026, 3, 20),
        "progress_url": "https://casework.example.org/case-review/progress",
        "decision": decision or {},
        "meeting": meeting or {},
        "recommendations": recommendations or [],
        "appeal": appeal or {},
        "appeal_window_days": 20,
        "pcc_review": pcc_review or _pcc_review(requested=False, decided=False),
    }


def _sections(kind: LetterKind) -> dict[str, Any]:
    """The example's sections for a letter of ``kind``: the ones that kind of letter has."""
    if kind == LetterKind.threshold_decision:
        return {"decision": _decision(met=False)}
    if kind == LetterKind.meeting_invitation:
        return {"meeting": _meeting(held=False)}
    if kind == LetterKind.outcome:
        return {"meeting": _meeting(held=True), "recommendations": _recommendations()}
    if kind == LetterKind.appeal_decision:
        return {"appeal": _appeal(upheld=False)}
    if kind == LetterKind.pcc_review_request:
        return {"pcc_review": _pcc_review(requested=True, decided=False)}
    if kind == LetterKind.pcc_review_outcome:
        return {"pcc_review": _pcc_review(requested=True, decided=True)}
    return {}


def _variants(kind: LetterKind) -> list[tuple[str, dict[str, Any]]]:
    """What else a real letter of ``kind`` can be given, in words and as sections."""
    if kind == LetterKind.threshold_decision:
        return [
            ("a decision that the threshold is met", {"decision": _decision(met=True)}),
            *(
                (
                    f"a decision that the threshold is met on the basis {basis.value}",
                    {
                        "decision": {
                            **_decision(met=True),
                            "basis": basis.value,
                            "basis_text": BASIS_TEXT.get(basis, ""),
                        }
                    },
                )
                for basis in DecisionBasis
                if basis.value != _decision(met=True)["basis"]
            ),
            ("a decision that it is met, with no basis, reasons or factors", {"decision": _decision(True, full=False)}),
            ("a decision that it is not met, with no reasons or factors", {"decision": _decision(False, full=False)}),
        ]
    if kind == LetterKind.meeting_invitation:
        return [("a meeting with no location given", {"meeting": _meeting(held=False, full=False)})]
    if kind == LetterKind.outcome:
        return [
            ("a review with no recommendations", {"meeting": _meeting(held=True), "recommendations": []}),
            ("a review with no location, outcome or minutes recorded", {"meeting": _meeting(held=True, full=False)}),
            (
                "a review with many recommendations",
                {"meeting": _meeting(held=True), "recommendations": _recommendations() * 10},
            ),
            (
                "the victim's copy, when someone else applied for an unnamed victim",
                {
                    "meeting": _meeting(held=True),
                    "recommendations": _recommendations(),
                    "recipient": {"name": "Sir or Madam", "is_victim": True},
                },
            ),
        ]
    if kind == LetterKind.appeal_decision:
        return [
            ("an appeal that is upheld", {"appeal": _appeal(upheld=True)}),
            ("an appeal decided with no reasons", {"appeal": _appeal(upheld=False, reasons="")}),
        ]
    if kind == LetterKind.pcc_review_outcome:
        decided = _pcc_review(requested=True, decided=True)
        return [
            ("a review that asks for the decision to be taken again", {"pcc_review": {**decided, "reconsider": True}}),
            (
                "a review with no reasons or reviewer given",
                {"pcc_review": {**decided, "reasons": "", "reviewer_name": ""}},
            ),
        ]
    return []


def samples(kind: LetterKind) -> list[safe_templates.Sample]:
    """Made-up letters of ``kind`` a template is tried on before it is saved; the first is the example
    the admin sees (the preview)."""
    sections = _sections(kind)
    found = [
        safe_templates.Sample("the example", _letter_context(**sections)),
        safe_templates.Sample(
            "an application whose applicant's name has an apostrophe, a hyphen and accents",
            _letter_context(**{**sections, "application": _application("Siobhán O'Brien-Ní Dhómhnaill")}),
        ),
        safe_templates.Sample(
            "an applicant known by one name, in an area whose name has an apostrophe",
            _letter_context(**{**sections, "application": _application("Zoë"), "area": "King's Lynn and West Norfolk"}),
        ),
        safe_templates.Sample(
            "an applicant with a name as long as a name may be",
            _letter_context(**{**sections, "application": _application(_LONG_NAME)}),
        ),
        safe_templates.Sample(
            "an application not yet acknowledged",
            _letter_context(**{**sections, "application": _application(acknowledged_on=None)}),
        ),
    ]
    pcc_review = sections.get("pcc_review") or _pcc_review(requested=False, decided=False)
    found.append(
        safe_templates.Sample(
            "an application in an area where the Police and Crime Commissioner's review is not available",
            _letter_context(**{**sections, "pcc_review": {**pcc_review, "available": False, "window_closes": None}}),
        )
    )
    found += [
        safe_templates.Sample(what, _letter_context(**{**sections, **changed})) for what, changed in _variants(kind)
    ]
    long_text = _long_text(sections)
    if long_text is not None:
        found.append(safe_templates.Sample("a record with long text", _letter_context(**long_text)))
    return found


def _long_text(sections: dict[str, Any]) -> dict[str, Any] | None:
    """The example's sections with their longest free text made long, or None when they have none."""
    changed = {name: dict(value) for name, value in sections.items() if isinstance(value, dict)}
    fields = {"decision": "reasons", "meeting": "outcome", "appeal": "reasons", "pcc_review": "grounds"}
    touched = False
    for name, field in fields.items():
        if name in changed and changed[name].get(field):
            changed[name][field] = _LONG_TEXT
            touched = True
    return {**sections, **changed} if touched else None


def sample_context(kind: LetterKind) -> dict[str, Any]:
    """The made-up example of a letter of ``kind`` (the admin's preview)."""
    return samples(kind)[0].context


def check_template(kind: LetterKind, subject: str, body: str) -> Rendered:
    """Refuse a template that does not parse, reaches outside the sandbox, exceeds the limits, or
    cannot be filled in with every made-up letter of its kind (``samples``). Returns the preview on
    the made-up example. Never tried on real records (admins configure the service, they do not read
    casework: see ``safe_templates.check_before_saving``)."""
    return safe_templates.check_before_saving(
        _ENV,
        {"subject": subject, "body": body},
        lambda context: render(subject, body, context),
        samples(kind),
        used_in="letters",
    )


# Building the context from the records: plain values only.


def _appeal_window_days(application: TriggerApplication) -> int:
    """The appeal window in working days, as the area's settings say on the day of receipt."""
    from casework.accounts.services import area_settings

    value = area_settings(application.area, on=application.received_on).get("timescale_appeal_window_closes")
    if isinstance(value, dict) and value.get("unit") == "working_days":
        return int(value["amount"])
    return 20


def _meeting_context(meeting: ReviewMeeting | None) -> dict[str, Any]:
    if meeting is None:
        return {}
    return {
        "scheduled_on": meeting.scheduled_on,
        "held_on": meeting.held_on,
        "location": meeting.location,
        "chair_name": meeting.chair.name if meeting.chair else "",
        "outcome": meeting.outcome,
        "minutes": meeting.minutes,
    }


def context_for(
    application: TriggerApplication,
    *,
    decision: ThresholdDecision | None = None,
    meeting: ReviewMeeting | None = None,
    appeal: Appeal | None = None,
    recipient: LetterRecipient = LetterRecipient.applicant,
    pcc_review: Any = None,
) -> dict[str, Any]:
    from casework.community_triggers.pcc_review import services as pcc_review_services

    recommendations = [
        {
            "text": item.text,
            "agency": item.agency.name if item.agency else "",
            "owner": item.owner.name if item.owner else None,
            "due_on": item.due_on,
        }
        for item in (meeting.recommendations if meeting else [])
    ]
    decision_context: dict[str, Any] = {}
    if decision is not None:
        basis = decision.basis.value if decision.basis else None
        decision_context = {
            "met": decision.met,
            "basis": basis,
            "basis_text": BASIS_TEXT.get(basis, "") if decision.met else "",
            "reasons": decision.reasons or "",
            "persistence": decision.persistence,
            "harm": decision.harm,
            "adequacy": decision.adequacy,
            "decided_on": decision.decided_on,
        }
    appeal_context: dict[str, Any] = {}
    if appeal is not None:
        appeal_context = {
            "received_on": appeal.received_on,
            "upheld": appeal.decision == AppealDecision.upheld,
            "reasons": appeal.decision_reasons or "",
            "decided_on": appeal.decided_on,
        }
    return {
        "application": {
            "reference": application.reference,
            "applicant_name": application.applicant_name,
            "received_on": application.received_on,
            "acknowledged_on": application.acknowledged_on,
        },
        "area": {"name": application.area.name},
        "recipient": {
            "name": (
                (application.victim_name or "Sir or Madam")
                if recipient == LetterRecipient.victim
                else application.applicant_name
            ),
            "is_victim": recipient == LetterRecipient.victim,
        },
        "today": today(),
        "progress_url": external_url("public.triggers.progress"),
        "decision": decision_context,
        "meeting": _meeting_context(meeting),
        "recommendations": recommendations,
        "appeal": appeal_context,
        "appeal_window_days": _appeal_window_days(application),
        "pcc_review": pcc_review_services.letter_context(application, pcc_review),
    }


def _already_produced(
    application: TriggerApplication,
    kind: LetterKind,
    meeting: ReviewMeeting | None,
    appeal: Appeal | None,
    recipient: LetterRecipient = LetterRecipient.applicant,
    occurrence: int | None = None,
) -> bool:
    query = sa.select(sa.func.count(Letter.id)).where(
        Letter.application_id == application.id, Letter.kind == kind, Letter.recipient == recipient
    )
    if meeting is not None:
        query = query.where(Letter.meeting_id == meeting.id)
    if appeal is not None:
        query = query.where(Letter.appeal_id == appeal.id)
    count = db.session.scalar(query) or 0
    if occurrence is not None:
        # The letter of the n-th event of its kind on the application (the n-th PCC review).
        return count >= occurrence
    if kind == LetterKind.threshold_decision:
        # A new decision (after an upheld appeal) gets its own letter.
        return count >= len(application.decisions)
    return count > 0


def produce(
    actor: Any,
    application: TriggerApplication,
    kind: LetterKind,
    *,
    decision: ThresholdDecision | None = None,
    meeting: ReviewMeeting | None = None,
    appeal: Appeal | None = None,
    recipient: LetterRecipient = LetterRecipient.applicant,
    pcc_review: Any = None,
    occurrence: int | None = None,
    sent_on: date | None = None,
) -> Letter | None:
    """Create the letter (once per event and recipient), log it on the application and email it when
    there is an address. Returns None when this event's letter already exists (``occurrence``: the
    event is the n-th of its kind on the application).

    ``sent_on``: a letter that went out on an earlier day by other means (post, another system), entered
    late: it is kept as it would have read, dated that day, and not emailed."""
    db.session.flush()
    # Once per event: two requests making the same letter at the same moment (recording one sent by
    # post twice) both found none. The application's row is locked first, so the second waits and then
    # finds the first's letter (a step that changed the application holds the lock already). On SQLite
    # the write transaction holds the write lock already (BEGIN IMMEDIATE).
    db.session.execute(
        sa.select(TriggerApplication.id).where(TriggerApplication.id == application.id).with_for_update()
    )
    if _already_produced(application, kind, meeting, appeal, recipient, occurrence):
        return None
    context = context_for(
        application, decision=decision, meeting=meeting, appeal=appeal, recipient=recipient, pcc_review=pcc_review
    )
    row = template_row(kind, application.area_id)
    try:
        rendered = render(row.subject, row.body, context) if row else None
    except TemplateError as error:
        # An admin's template that breaks on real data must not stop the step it follows: use the
        # default, which is tested against every kind of record, and tell the admins.
        rendered = None
        tell_admins_template_failed(row, error)
    if rendered is None:
        rendered = render(*DEFAULT_TEMPLATES[kind], context)
    letter = Letter(
        application_id=application.id,
        kind=kind,
        recipient=recipient,
        subject=rendered.subject[:300],
        body=rendered.body,
        meeting_id=meeting.id if meeting else None,
        appeal_id=appeal.id if appeal else None,
        sent_on=sent_on or today(),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(letter)
    db.session.flush()
    if sent_on is not None:
        record(
            actor,
            AuditAction.create,
            application,
            f"{LETTER_TITLES[kind]} letter{' to the victim' if recipient == LetterRecipient.victim else ''} recorded as sent on {format_date(sent_on)}",
            {"letter_id": letter.id, "kind": kind.value, "recipient": recipient.value, "event_on": sent_on},
        )
        return letter
    address = application.victim_email if recipient == LetterRecipient.victim else application.applicant_email
    if address:
        email = queue_email(
            to=address,
            subject=letter.subject,
            text=letter.body,
            key=f"trigger-letter:{letter.id}",
            related=("trigger_letters", letter.id),
        )
        letter.emailed_to = address
        letter.outbox_email_id = email.id
    to_whom = " to the victim" if recipient == LetterRecipient.victim else ""
    record(
        actor,
        AuditAction.create,
        application,
        f"{LETTER_TITLES[kind]} letter{to_whom} produced"
        + (f" and emailed to {letter.emailed_to}" if letter.emailed_to else " for posting"),
        {"letter_id": letter.id, "kind": kind.value, "recipient": recipient.value},
    )
    return letter


def victim_gets_a_copy(application: TriggerApplication) -> bool:
    """Someone else applied for the victim, and the victim can be written to."""
    return application.applicant_role in CONSENT_ROLES and bool(
        application.victim_name or application.victim_email or application.victim_address
    )


def record_sent(
    actor: Any,
    application: TriggerApplication,
    kind: LetterKind,
    *,
    sent_on: date,
    meeting: ReviewMeeting | None = None,
    appeal: Appeal | None = None,
) -> Letter:
    """A letter that went out on ``sent_on`` outside the service (past work entered late): kept as the
    template would have written it, not emailed. An outcome letter also records the day it was sent on
    the meeting (the appeal window may run from it)."""
    from casework.community_triggers import services
    from casework.core.errors import InvalidInput, RuleViolation

    problems = services.event_date_errors(
        sent_on, "sent_on", "the letter was sent", not_before=[(application.received_on, "the application")]
    )
    if problems:
        raise InvalidInput(problems)
    needs = {
        LetterKind.outcome: meeting is not None and meeting.held_on is not None,
        LetterKind.meeting_invitation: meeting is not None,
        LetterKind.appeal_decision: appeal is not None and appeal.decision is not None,
        LetterKind.threshold_decision: application.decision is not None,
        LetterKind.acknowledgement: True,
    }
    if not needs.get(kind, False):
        raise RuleViolation(f"There is no {LETTER_TITLES[kind].lower()} to have sent a letter about.", field="kind")
    if meeting is not None and meeting.application_id != application.id:
        raise InvalidInput({"meeting_id": ["That meeting is not this application's."]})
    if kind == LetterKind.outcome and meeting.completeness_confirmed_on is None:
        # The outcome goes out only once the review is complete: confirming it complete
        # records the day a letter sent by other means went out.
        raise RuleViolation(
            "The review has not been confirmed complete, so its outcome letter cannot have gone out: confirm "
            "the review complete, giving the day the outcome letter was sent.",
            field="kind",
        )
    if kind == LetterKind.outcome:
        services.record_outcome_letter_sent(actor, meeting, sent_on=sent_on)
    letter = produce(
        actor,
        application,
        kind,
        decision=application.decision if kind == LetterKind.threshold_decision else None,
        meeting=meeting,
        appeal=appeal,
        sent_on=sent_on,
    )
    if letter is None:
        raise RuleViolation(f"The {LETTER_TITLES[kind].lower()} letter is already recorded.", field="kind")
    return letter


def invite_victim(actor: Any, meeting: ReviewMeeting) -> Letter | None:
    """The meeting invitation, once the victim is to be invited before the meeting. A meeting whose day
    has passed, or that has been held, gets no invitation (past events are recorded
    only)."""
    if meeting.victim_invited and meeting.held_on is None and meeting.scheduled_on >= today():
        return produce(actor, meeting.application, LetterKind.meeting_invitation, meeting=meeting)
    return None


# The letter as it is shown, printed and turned into a PDF (casework.documents.layout).


def letter_view(application: TriggerApplication, letter: Letter) -> LetterView:
    """The laid-out letter: the area's letterhead, the name and address of the one it is written to
    (the applicant, or the victim for the victim's copy), the body as paragraphs."""
    note = f"Emailed to {letter.emailed_to}" if letter.emailed_to else None
    to_victim = letter.recipient == LetterRecipient.victim
    return layout.letter_view(
        area=application.area,
        subject=letter.subject,
        body=letter.body,
        dated=letter.sent_on,
        reference=application.reference,
        recipient_name=application.victim_name if to_victim else application.applicant_name,
        recipient_address=application.victim_address if to_victim else application.applicant_address,
        note=note,
    )


# Signal receivers: the letters follow the steps, in the same transaction. Connected by
# ``casework.community_triggers.init_app`` (``connect_receivers``).


# Each signal carries ``send_letter``: False for a step dated before today (past work entered late is
# recorded only) unless the user asked for its letter.


def _on_received(application: TriggerApplication, actor: Any = None, **_: Any) -> None:
    """Each application gets a confirmation with its reference, whichever channel it
    came by, when the applicant gave an email address. One received before today is past work entered
    late: recorded only."""
    from flask import render_template

    if application.applicant_email and application.received_on == today():
        # The progress link is built by ``external_url`` in the template (under CASEWORK_BASE_URL),
        # with or without a request (the API, a task, the command line).
        queue_email(
            to=application.applicant_email,
            subject=f"Your ASB Case Review application {application.reference}",
            text=render_template(
                "community_triggers/public/confirmation_email.txt",
                application=application,
                # Staff recorded the name; from the public form it is the sender's own text.
                greet_by_name=actor is not None,
            ),
            key=f"trigger-confirmation:{application.id}",
            related=("trigger_applications", application.id),
        )


def _on_acknowledged(application: TriggerApplication, actor: Any = None, send_letter: bool = True, **_: Any) -> None:
    if send_letter:
        produce(actor, application, LetterKind.acknowledgement)


def _on_threshold_decided(
    application: TriggerApplication,
    actor: Any = None,
    decision: ThresholdDecision | None = None,
    send_letter: bool = True,
    **_: Any,
) -> None:
    if send_letter:
        produce(actor, application, LetterKind.threshold_decision, decision=decision or application.decision)


def _on_meeting_arranged(
    application: TriggerApplication,
    actor: Any = None,
    meeting: ReviewMeeting | None = None,
    send_letter: bool = True,
    **_: Any,
) -> None:
    if meeting is not None and send_letter:
        invite_victim(actor, meeting)


def _on_meeting_updated(
    application: TriggerApplication,
    actor: Any = None,
    meeting: ReviewMeeting | None = None,
    invite: bool = False,
    **_: Any,
) -> None:
    if meeting is not None and invite:
        invite_victim(actor, meeting)


def _on_review_completed(
    application: TriggerApplication,
    actor: Any = None,
    meeting: ReviewMeeting | None = None,
    send_letter: bool = True,
    **_: Any,
) -> None:
    """The outcome goes out only once the review is confirmed complete (not when the chair records it)."""
    if meeting is None or not send_letter:
        return
    produce(actor, application, LetterKind.outcome, meeting=meeting)
    if victim_gets_a_copy(application):
        produce(actor, application, LetterKind.outcome, meeting=meeting, recipient=LetterRecipient.victim)


def _on_appeal_decided(
    application: TriggerApplication,
    actor: Any = None,
    appeal: Appeal | None = None,
    send_letter: bool = True,
    **_: Any,
) -> None:
    if appeal is not None and send_letter:
        produce(actor, application, LetterKind.appeal_decision, appeal=appeal)


def connect_receivers() -> None:
    """Connect the letters to the Case Review's signals (idempotent: blinker keeps one connection per
    receiver, however many apps are built)."""
    signals.application_acknowledged.connect(_on_acknowledged, weak=False)
    signals.threshold_decided.connect(_on_threshold_decided, weak=False)
    signals.meeting_arranged.connect(_on_meeting_arranged, weak=False)
    signals.application_received.connect(_on_received, weak=False)
    signals.meeting_updated.connect(_on_meeting_updated, weak=False)
    signals.review_completed.connect(_on_review_completed, weak=False)
    signals.appeal_decided.connect(_on_appeal_decided, weak=False)
