"""Notices to serve: Community Protection Warnings and Notices, fixed penalty notices and closure
notices, produced as PDFs from editable templates and recorded on the intervention when served.

An officer fills in what the notice says beyond the intervention's own record (the conduct, a fixed
penalty's particulars, a closure notice's hearing) and how it was served. Serving renders the area's
template (or the default, casework/interventions/notice_templates.py) in the limited sandbox
(casework.core.safe_templates), lays it out with the partnership's letterhead (casework.documents.layout),
makes a tagged PDF, keeps it as a document on the case and records on the intervention when, how and
by whom it was served. Services in the house style: they flush, audit and raise; the views commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from jinja2 import StrictUndefined, TemplateError

from casework.accounts.models import Area
from casework.accounts.services import area_settings
from casework.audit.services import record_change, snapshot
from casework.core.errors import InvalidInput, RuleViolation
from casework.core.safe_templates import (
    A_DATE_IN_WORDS,
    LimitedSandbox,
    Limits,
    Sample,
    SizeRule,
    check_before_saving,
    describe_failure,
    render_document,
    save_admin_template,
    template_in_force,
)
from casework.core.templating import format_date, format_datetime
from casework.core.time import london_day, now, today
from casework.documents import layout
from casework.documents import policies as document_policies
from casework.documents import services as documents
from casework.documents.models import Document, DocumentKind
from casework.extensions import db
from casework.interventions import limits
from casework.interventions.models import (
    KIND_LABELS,
    SERVICE_METHOD_PHRASES,
    Intervention,
    InterventionKind,
    NoticeKind,
    NoticeTemplate,
    ServiceMethod,
)
from casework.interventions.notice_templates import DEFAULT_TEMPLATES, TITLES

#: The variables every notice template may use, shown on the admin editing page.
VARIABLES: list[tuple[str, str]] = [
    ("recipient.name, recipient.address", "who the notice is addressed to, as served"),
    ("notice.reference", "the notice's reference, for example BOL-2026-0001/N12"),
    ("notice.issued_on, notice.served_at", "when it was issued (a date) and served (a date and time)"),
    ("notice.conduct", "the conduct a warning or notice is about"),
    ("notice.requirements, notice.prohibitions", "what the person must do, and must stop doing"),
    ("notice.comply_by", "the date to comply by"),
    ("notice.appeal_closes", "a CPN's last day to appeal"),
    ("notice.particulars", "a fixed penalty's particulars of the offence"),
    ("notice.amount, notice.discount_amount, notice.discount_days", "a fixed penalty (use | money)"),
    ("notice.discount_by, notice.payment_by", "the last day for the reduced amount, and of the 14 days"),
    ("notice.location, notice.ends_at", "a closure notice's premises and when it stops having effect"),
    ("notice.hearing_at, notice.court", "when and where the closure order application will be heard"),
    ("related.title, related.issued_on, related.location", "the notice a fixed penalty is for, or a CPN's warning"),
    ("issuer.agency, issuer.officer, issuer.authorised_by", "who issued it, and who signed it off"),
    ("partnership.name", "the partnership's name (the letterhead)"),
    ("partnership.fixed_penalty_payment", "how to pay a fixed penalty (the letterhead page)"),
    ("partnership.housing_and_legal_advice", "where to get advice on housing and legal matters (the letterhead page)"),
    ("law.appeal_days, law.payment_days, law.fixed_penalty_cap, law.fixed_penalty_section", "the limits in force"),
    ("filters", "{{ notice.issued_on | date }} gives 2 March 2026; | datetime adds the time; | money gives £100"),
]

BODY_LIMITS = Limits(seconds=2.0, iterations=10_000, output=100_000)
TITLE_LIMITS = Limits(seconds=0.5, iterations=1_000, output=300)


def money(value: Any) -> str:
    """``£100``, ``£75.50``."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    return f"£{amount:,.0f}" if amount == amount.to_integral_value() else f"£{amount:,.2f}"


def _money_written(budget: Any, value: Any, params: Mapping[str, Any]) -> None:
    """``money`` writes every digit of its amount, and a short text may spell a long one: ``'1e999999999'``
    is a billion digits, written in one call."""
    try:
        amount = Decimal(str(value)) if value is not None and value != "" else Decimal(0)
    except ArithmeticError:
        return  # money() fails alike
    if amount.is_finite():
        digits = max(amount.adjusted() + 1, len(amount.as_tuple().digits), 1)
        budget.check_size(digits + digits // 3 + 4)


def _sandbox() -> LimitedSandbox:
    env = LimitedSandbox(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)
    env.add_filter("date", format_date, A_DATE_IN_WORDS)
    env.add_filter("datetime", format_datetime, A_DATE_IN_WORDS)
    env.add_filter("money", money, SizeRule("as many digits as the amount, with its commas", _money_written))
    return env


_ENV = _sandbox()


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def render(title: str, body: str, context: dict[str, Any]) -> Rendered:
    return Rendered(*render_document(_ENV, title, body, context, TITLE_LIMITS, BODY_LIMITS))


def notice_kind(intervention: Intervention) -> NoticeKind | None:
    """The notice an intervention is served as, or None for kinds the service does not produce."""
    try:
        return NoticeKind(intervention.kind.value)
    except ValueError:
        return None


def template_row(kind: NoticeKind, area_id: int | None) -> NoticeTemplate | None:
    return template_in_force(NoticeTemplate, kind, area_id)


def template_for(kind: NoticeKind, area_id: int | None) -> tuple[str, str]:
    row = template_row(kind, area_id)
    return (row.title, row.body) if row else DEFAULT_TEMPLATES[kind.value]


# --- what a notice says ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """How and when a notice is served, and what it says beyond the intervention's record."""

    recipient_name: str
    recipient_address: str
    served_at: datetime
    method: ServiceMethod
    served_by_name: str
    #: The conduct (warnings and notices), particulars (fixed penalties), hearing_at and court
    #: (closure notices).
    details: dict[str, Any]


def reference(intervention: Intervention) -> str:
    return f"{intervention.case.reference}/N{intervention.id}"


def _date_value(intervention: Intervention, key: str) -> date | datetime | None:
    return dict(intervention.dates).get(key)


def context_for(intervention: Intervention, service: Service) -> dict[str, Any]:
    """Plain values for the template (never model objects: the sandbox sees only these)."""
    settings = area_settings(intervention.case.area, on=intervention.issued_on)
    related = intervention.related
    letterhead = layout.letterhead_for(intervention.case.area, with_logo=False)
    details = service.details
    return {
        "recipient": {"name": service.recipient_name, "address": service.recipient_address},
        "notice": {
            "title": TITLES.get(intervention.kind.value, intervention.label),
            "reference": reference(intervention),
            "issued_on": intervention.issued_on,
            "served_at": service.served_at,
            "served_on": london_day(service.served_at),
            "conduct": details.get("conduct") or "",
            "particulars": details.get("particulars") or "",
            "requirements": intervention.requirements or "",
            "prohibitions": intervention.prohibitions or "",
            "comply_by": intervention.comply_by,
            "appeal_closes": _date_value(intervention, "appeal_window_closes"),
            "amount": intervention.amount,
            "discount_amount": intervention.discount_amount,
            "discount_days": intervention.discount_days,
            "discount_by": _date_value(intervention, "discount_by"),
            "payment_by": _date_value(intervention, "payment_by"),
            "location": intervention.location or "",
            "duration_hours": intervention.duration_hours,
            "ends_at": _date_value(intervention, "notice_ends_at"),
            "hearing_at": details.get("hearing_at_value"),
            "court": details.get("court") or "",
        },
        "related": {
            "title": KIND_LABELS[related.kind] if related is not None else "",
            "kind": related.kind.value if related is not None else "",
            "issued_on": related.issued_on if related is not None else None,
            "location": (related.location or "") if related is not None else "",
        },
        "issuer": {
            "agency": intervention.issuing_agency.name,
            "officer": intervention.issuing_officer_name
            or (intervention.issuing_officer.name if intervention.issuing_officer else service.served_by_name),
            "authorised_by": intervention.authorised_by or "",
        },
        "partnership": {
            "name": letterhead.name,
            "fixed_penalty_payment": letterhead.fixed_penalty_payment or "",
            "housing_and_legal_advice": letterhead.housing_and_legal_advice or "",
        },
        "law": {
            "appeal_days": settings["cpn_appeal_days"],
            "payment_days": settings["fpn_payment_days"],
            "fixed_penalty_cap": limits.fpn_cap(settings),
            "fixed_penalty_section": 68 if related is not None and related.kind == InterventionKind.pspo else 52,
        },
        "area": {"name": intervention.case.area.name},
        "today": today(),
    }


def _full_sample(kind: NoticeKind) -> dict[str, Any]:
    """Made-up values for every variable (``samples`` keeps those a notice of ``kind`` has)."""
    from datetime import UTC

    served = datetime(2026, 3, 20, 14, 30, tzinfo=UTC)
    return {
        "recipient": {"name": "Sam Sample", "address": "9 Station Road\nBolsover\nS44 6AA"},
        "notice": {
            "title": TITLES[kind.value],
            "reference": "BOL-2026-0003/N12",
            "issued_on": date(2026, 3, 20),
            "served_at": served,
            "served_on": date(2026, 3, 20),
            "conduct": "Playing amplified music audible outside 9 Station Road late at night.",
            "particulars": "On 2 April 2026 at about 11:40pm, amplified music was played at 9 Station Road.",
            "requirements": "Keep any music inaudible outside the property after 11pm.",
            "prohibitions": "Do not play amplified music after 11pm.",
            "comply_by": date(2026, 4, 3),
            "appeal_closes": date(2026, 4, 9),
            "amount": Decimal("100"),
            "discount_amount": Decimal("75"),
            "discount_days": 10,
            "discount_by": date(2026, 3, 30),
            "payment_by": date(2026, 4, 3),
            "location": "9 Station Road, Bolsover, S44 6AA",
            "duration_hours": 48,
            "ends_at": datetime(2026, 3, 22, 14, 30, tzinfo=UTC),
            "hearing_at": datetime(2026, 3, 22, 9, 30, tzinfo=UTC),
            "court": "Chesterfield Magistrates' Court, Tapton Lane, Chesterfield S41 7TW",
        },
        "related": {
            "title": "Community Protection Notice",
            "kind": "cpn",
            "issued_on": date(2026, 3, 2),
            "location": "",
        },
        "issuer": {"agency": "Bolsover District Council", "officer": "Olive Officer", "authorised_by": ""},
        "partnership": {
            "name": "Bolsover Community Safety Partnership",
            "fixed_penalty_payment": "Pay Bolsover District Council, The Arc, High Street, Clowne S43 4JY: online at "
            "bolsover.example/pay, by telephone on 01246 242424, or in person at The Arc.",
            "housing_and_legal_advice": "Bolsover District Council housing options, 01246 242424; Citizens Advice "
            "Derbyshire Districts, 0808 278 7950.",
        },
        "law": {"appeal_days": 21, "payment_days": 14, "fixed_penalty_cap": 100, "fixed_penalty_section": 52},
        "area": {"name": "Bolsover"},
        "today": date(2026, 3, 20),
    }


#: What every notice has (``context_for``).
_ALWAYS = frozenset({"title", "reference", "issued_on", "served_at", "served_on"})
#: What a notice of each kind must have to be served (``check_service``, the intervention's own rules).
_REQUIRED: dict[NoticeKind, frozenset[str]] = {
    NoticeKind.cpw: frozenset({"conduct", "comply_by"}),
    NoticeKind.cpn: frozenset({"conduct", "appeal_closes"}),
    NoticeKind.fpn: frozenset({"particulars", "amount", "payment_by"}),
    NoticeKind.closure_notice: frozenset({"hearing_at", "court", "ends_at"}),
}
#: What a notice of each kind may have besides: given in the example, left out in a sample.
_OPTIONAL: dict[NoticeKind, frozenset[str]] = {
    NoticeKind.cpw: frozenset({"requirements", "prohibitions", "location"}),
    NoticeKind.cpn: frozenset({"requirements", "prohibitions", "comply_by", "location"}),
    NoticeKind.fpn: frozenset({"discount_amount", "discount_days", "discount_by", "location"}),
    NoticeKind.closure_notice: frozenset({"location", "prohibitions", "conduct", "duration_hours"}),
}
#: What a notice's letterhead must say to be served (``check_service``).
_REQUIRED_LETTERHEAD: dict[NoticeKind, frozenset[str]] = {
    NoticeKind.fpn: frozenset({"fixed_penalty_payment"}),
    NoticeKind.closure_notice: frozenset({"housing_and_legal_advice"}),
}
#: What a notice of each kind may name as ``related``: any intervention on the case, or a PSPO in the
#: area (``services._related``); a fixed penalty is for a CPN or a PSPO (``rules``).
_RELATED: dict[NoticeKind, tuple[InterventionKind, ...]] = {
    NoticeKind.fpn: (InterventionKind.cpn, InterventionKind.pspo),
}
#: What an intervention of any kind may be recorded with that a notice shows (the API takes every field
#: for every kind, and ``services.create_intervention`` keeps them): a notice may hold any of them,
#: whether its kind uses it or not.
_RECORDED = frozenset(
    {
        "requirements",
        "prohibitions",
        "comply_by",
        "amount",
        "discount_amount",
        "discount_days",
        "location",
        "duration_hours",
    }
)
_TEXT = frozenset({"conduct", "particulars", "requirements", "prohibitions", "location", "court"})
_LONG_TEXT = " ".join(["Playing amplified music audible outside the property late at night."] * 40)
_LONG_NAME = ("Maximilian Alexander " * 10)[:200].strip()


def _left_out(name: str) -> Any:
    """What ``context_for`` gives for a value a notice does not have."""
    return "" if name in _TEXT else None


def _shaped(kind: NoticeKind, *, optional: bool) -> dict[str, Any]:
    """The made-up notice of ``kind``: what the kind never has is left out, as ``context_for`` leaves
    it out; what it may have is given when ``optional``."""
    context = _full_sample(kind)
    kept = _ALWAYS | _REQUIRED[kind] | (_OPTIONAL[kind] if optional else frozenset())
    context["notice"] = {name: value if name in kept else _left_out(name) for name, value in context["notice"].items()}
    # A fixed penalty is always for a CPN or a PSPO; a CPN may name its warning.
    if not (kind == NoticeKind.fpn or (kind == NoticeKind.cpn and optional)):
        context["related"] = {"title": "", "kind": "", "issued_on": None, "location": ""}
    if kind == NoticeKind.cpn and optional:
        context["related"] = {**context["related"], "title": "Community Protection Warning", "kind": "cpw"}
    if not optional:
        for name in ("fixed_penalty_payment", "housing_and_legal_advice"):
            if name not in _REQUIRED_LETTERHEAD.get(kind, frozenset()):
                context["partnership"][name] = ""
    return context


def _naming(context: dict[str, Any], related: InterventionKind, located: bool) -> dict[str, Any]:
    """``context`` for a notice that names an earlier intervention of kind ``related`` (as
    ``context_for`` gives it: a fixed penalty for breaching a PSPO is under section 68)."""
    return {
        **context,
        "related": {
            "title": KIND_LABELS[related],
            "kind": related.value,
            "issued_on": date(2026, 3, 2),
            "location": "The Market Place, Bolsover" if located else "",
        },
        "law": {**context["law"], "fixed_penalty_section": 68 if related == InterventionKind.pspo else 52},
    }


def samples(kind: NoticeKind) -> list[Sample]:
    """Made-up notices of ``kind`` a template is tried on before it is saved (never real ones: the
    admins who write templates may not read casework); the first is the example the admin sees."""
    example = _shaped(kind, optional=True)
    bare = _shaped(kind, optional=False)
    recorded = _full_sample(kind)["notice"]
    long_text = _shaped(kind, optional=True)
    long_text["notice"] = {
        name: _LONG_TEXT if name in _TEXT and value else value for name, value in long_text["notice"].items()
    }
    return [
        Sample("the example", example),
        Sample("a notice with nothing given that it may leave out", bare),
        Sample(
            "a notice to someone whose name has an apostrophe, a hyphen and accents, served by hand with no address",
            {**example, "recipient": {"name": "Siobhán O'Brien-Ní Dhómhnaill", "address": ""}},
        ),
        Sample(
            "a notice to someone known by one name, signed off by a named officer",
            {
                **example,
                "recipient": {"name": "Zoë", "address": "Flat 3\n12 King's Road"},
                "issuer": {**example["issuer"], "authorised_by": "Inspector Ann Authority"},
            },
        ),
        Sample(
            "a notice to someone with a name as long as a name may be",
            {**example, "recipient": {"name": _LONG_NAME, "address": "9 Station Road"}},
        ),
        Sample("a notice with long text", long_text),
        Sample(
            "a notice recorded with details its kind does not use (an amount, a time to comply, a duration)",
            {**example, "notice": {**example["notice"], **{name: recorded[name] for name in _RECORDED}}},
        ),
    ] + [
        # Every kind of intervention it may name, with and without a place.
        Sample(
            f"a notice that names an earlier {KIND_LABELS[related].lower()}",
            _naming(example, related, located=number % 2 == 0),
        )
        for number, related in enumerate(
            related
            for related in _RELATED.get(kind, tuple(InterventionKind))
            if related.value != example["related"]["kind"]
        )
    ]


def sample_context(kind: NoticeKind) -> dict[str, Any]:
    """The made-up example (the admin's preview)."""
    return samples(kind)[0].context


# --- checking a template before it is saved -----------------------------------------------------------


def save_template(
    actor: Any, kind: NoticeKind, area: Area | None, row: NoticeTemplate | None, title: str, body: str
) -> NoticeTemplate:
    """Write an admin's template for ``kind`` (for one area, or every area when ``area`` is None),
    over ``row`` if there is one, and record the change. Check it first (``check_template``)."""
    return save_admin_template(
        actor,
        row,
        lambda: NoticeTemplate(kind=kind, area_id=area.id if area else None),
        {"title": title, "body": body},
        description=f"Notice template {kind.value} ({area.name if area else 'all areas'})",
    )


def check_template(kind: NoticeKind, title: str, body: str) -> Rendered:
    """Refuse a template that does not parse, reaches outside the sandbox, exceeds the limits or cannot
    be filled in with every made-up notice of its kind (``samples``). Returns the preview on the made-up
    example. Never tried on real notices (``safe_templates.check_before_saving`` says why)."""
    return check_before_saving(
        _ENV,
        {"title": title, "body": body},
        lambda context: render(title, body, context),
        samples(kind),
        used_in="notices",
    )


def served_service(intervention: Intervention) -> Service:
    """The service as it was recorded (to fill a template in again)."""
    details = dict(intervention.notice_details or {})
    if details.get("hearing_at"):
        details["hearing_at_value"] = datetime.fromisoformat(details["hearing_at"])
    return Service(
        recipient_name=details.get("recipient_name", ""),
        recipient_address=details.get("recipient_address", ""),
        served_at=intervention.served_at or now(),
        method=intervention.service_method or ServiceMethod.by_hand,
        served_by_name=intervention.served_by_name or "",
        details=details,
    )


# --- serving -----------------------------------------------------------------------------------------------


def check_service(intervention: Intervention, service: Service) -> None:
    """What must be true before a notice is served; raises InvalidInput with every problem."""
    kind = notice_kind(intervention)
    errors: dict[str, list[str]] = {}
    if kind is None:
        raise RuleViolation(f"A {intervention.label.lower()} is not served as a notice from the service.")
    if intervention.served_at is not None:
        raise RuleViolation(
            f"This {intervention.label.lower()} was served on {format_datetime(intervention.served_at)}."
        )
    if not service.recipient_name.strip():
        errors["recipient_name"] = ["Enter who the notice is addressed to"]
    if service.method != ServiceMethod.by_hand and not service.recipient_address.strip():
        errors["recipient_address"] = ["Enter the address it was left at, posted to or fixed to"]
    if kind != NoticeKind.closure_notice and service.method == ServiceMethod.fixed_to_premises:
        errors["method"] = ["Only a closure notice is fixed to the premises: choose how it was served"]
    served_on = london_day(service.served_at)
    if kind == NoticeKind.closure_notice and intervention.issued_at and service.served_at != intervention.issued_at:
        errors["served_on"] = ["A closure notice is served at the time recorded as its service"]
    # A notice served today with no time given is stored at noon (to keep its London day): in the morning
    # that moment is still to come, so an untimed service is checked by its day, a timed one by its moment.
    untimed = service.details.get("served_time_given") is False
    if (served_on > today()) if untimed else (service.served_at > now()):
        errors["served_on"] = ["The date of service cannot be in the future"]
    elif served_on < intervention.issued_on:
        errors["served_on"] = [
            f"The date of service must be on or after the date of issue ({format_date(intervention.issued_on)})"
        ]
    if not service.served_by_name.strip():
        errors["served_by_name"] = ["Enter who served it"]
    details = service.details
    if kind in (NoticeKind.cpw, NoticeKind.cpn) and not (details.get("conduct") or "").strip():
        errors["conduct"] = ["Describe the conduct the notice is about"]
    if kind == NoticeKind.fpn and not (details.get("particulars") or "").strip():
        errors["particulars"] = ["Give the particulars of the offence: when, where and what happened"]
    letterhead = layout.letterhead_for(intervention.case.area, with_logo=False)
    if kind == NoticeKind.closure_notice:
        hearing_at: datetime | None = details.get("hearing_at_value")
        hearing_by = _date_value(intervention, "hearing_by")
        if hearing_at is None:
            errors["hearing_on"] = ["Enter when the application for a closure order will be heard"]
        elif hearing_at <= service.served_at:
            errors["hearing_on"] = ["The hearing must be after the notice is served"]
        elif isinstance(hearing_by, datetime) and hearing_at > hearing_by:
            errors["hearing_on"] = [
                f"The application must be heard by {format_datetime(hearing_by)}: within the hours after service "
                "the law allows (s.80(4))"
            ]
        if not (details.get("court") or "").strip():
            errors["court"] = ["Enter the court where the application will be heard"]
        if not letterhead.housing_and_legal_advice:
            errors["_rule"] = [
                "A closure notice must say where to get advice about housing and legal matters (s.76): an "
                "administrator sets it on the area's letterhead page"
            ]
    if kind == NoticeKind.fpn and not letterhead.fixed_penalty_payment:
        errors["_rule"] = [
            "A fixed penalty notice must say who to pay and how (ss.52 and 68): an administrator sets it on the "
            "area's letterhead page"
        ]
    if errors:
        raise InvalidInput(errors)


def compose(intervention: Intervention, service: Service) -> tuple[layout.LetterView, str, bool]:
    """The notice laid out, its title, and whether the area's template failed (the default was used)."""
    kind = notice_kind(intervention)
    assert kind is not None
    context = context_for(intervention, service)
    row = template_row(kind, intervention.case.area_id)
    failed = False
    rendered = None
    if row is not None:
        try:
            rendered = render(row.title, row.body, context)
        except TemplateError as error:
            # An admin's template that breaks on this notice must not stop it being served.
            current_app.logger.warning("notice template %s failed (default used): %s", row.id, describe_failure(error))
            failed = True
    if rendered is None:
        rendered = render(*DEFAULT_TEMPLATES[kind.value], context)
    served_by = f"Served {SERVICE_METHOD_PHRASES[service.method]}"
    view = layout.letter_view(
        area=intervention.case.area,
        subject=rendered.title,
        body=rendered.body,
        dated=london_day(service.served_at),
        reference=reference(intervention),
        recipient_name=service.recipient_name,
        recipient_address=service.recipient_address,
        note=f"{served_by} on {_when_served(service)} by {service.served_by_name}",
    )
    return view, rendered.title, failed


def _when_served(service: Service) -> str:
    """The date and time of service, or the date alone when no time was given."""
    if service.details.get("served_time_given") is False:
        return format_date(service.served_at)
    return format_datetime(service.served_at)


def preview(intervention: Intervention, service: Service) -> tuple[layout.LetterView, bool]:
    view, _title, failed = compose(intervention, service)
    return view, failed


def serve(actor: Any, intervention: Intervention, service: Service) -> Document:
    """Produce the notice as a PDF, keep it on the case, and record the service on the intervention.

    The slow part comes first, before anything is written: the letterhead's logo fetched, the PDF
    rendered and put in the store (on SQLite, with no write lock held: ``outside_the_write_lock``).
    Then the service is recorded, checked at the intervention's version as it was read: had another
    request served it meanwhile, the UPDATE finds no row at that version (409), and the file put for
    this one is deleted with the rollback."""
    check_service(intervention, service)
    if not layout.pdf_available():
        raise RuleViolation("PDFs cannot be made on this server (WeasyPrint or Pango is missing).")
    view, title, _failed = compose(intervention, service)
    pdf = layout.to_pdf(render_template("documents/letter_pdf.html", view=view, title=title))
    served_by_name = service.served_by_name.strip()
    document = documents.add_produced(
        actor,
        intervention.case,
        kind=DocumentKind.notice,
        filename=f"{reference(intervention).replace('/', '-')}-{intervention.kind.value}.pdf",
        content=pdf,
        content_type="application/pdf",
        description=f"{title} served {SERVICE_METHOD_PHRASES[service.method]} by {served_by_name}",
        intervention_id=intervention.id,
    )
    before = snapshot(intervention, ["served_at", "service_method", "served_by_id", "served_by_name", "notice_details"])
    details = {k: v for k, v in service.details.items() if k != "hearing_at_value"}
    intervention.served_at = service.served_at
    intervention.service_method = service.method
    intervention.served_by_id = getattr(actor, "id", None)
    intervention.served_by_name = served_by_name
    intervention.notice_details = {
        **details,
        "recipient_name": service.recipient_name.strip(),
        "recipient_address": service.recipient_address.strip(),
    }
    db.session.flush()
    record_change(
        actor,
        intervention,
        before,
        snapshot(intervention, ["served_at", "service_method", "served_by_id", "served_by_name", "notice_details"]),
        f"{intervention.label} served {SERVICE_METHOD_PHRASES[service.method]} by {intervention.served_by_name}",
    )
    return document


def served_notice(intervention: Intervention, viewer: Any) -> Document | None:
    """The served notice kept on the case (the latest, not removed), unless it is withheld from ``viewer``
    (``casework.documents.policies.withheld_clause``: it names a person they may not see)."""
    return db.session.scalar(
        sa.select(Document)
        .where(
            Document.intervention_id == intervention.id,
            Document.kind == DocumentKind.notice,
            Document.removed_at.is_(None),
            sa.not_(document_policies.withheld_clause(viewer)),
        )
        .order_by(Document.id.desc())
        .limit(1)
    )
