"""Recording interventions, their status and their breaches. Never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.accounts.services import area_settings, get_agency
from casework.audit.services import record_change, snapshot
from casework.cases.loaders import joined_user_name
from casework.cases.models import Case, CaseParty, CaseStatus, Person
from casework.cases.policies import PEOPLE
from casework.core.dates import end_of_months_beginning_with
from casework.core.errors import Conflict, InvalidInput, RuleViolation
from casework.core.time import london_day, now, today
from casework.extensions import db
from casework.interventions import powers, rules
from casework.interventions.dates import KeyDate, age_on, closure_notice_ends_at, key_dates
from casework.interventions.models import (
    APPLIED_FOR_KINDS,
    FINISHED_STATUSES,
    LIVE_STATUSES,
    Conduct,
    Intervention,
    InterventionBreach,
    InterventionKind,
    InterventionReview,
    InterventionStatus,
    ReviewOutcome,
)
from casework.interventions.policies import INTERVENTIONS
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.services import close_deadline, deadline_states, end_of_day, rearm, set_deadline, settle

SUBJECT_TYPE = "interventions"
#: Kinds that cover a place rather than a person: the subject is optional.
PLACE_KINDS = {InterventionKind.pspo, InterventionKind.closure_notice, InterventionKind.closure_order}
AUDIT_FIELDS = (
    "kind",
    "status",
    "subject_person_id",
    "issuing_agency_id",
    "issuing_officer_id",
    "issuing_officer_name",
    "issued_on",
    "issued_at",
    "comply_by",
    "starts_on",
    "ends_on",
    "is_indefinite",
    "duration_hours",
    "has_senior_sign_off",
    "amount",
    "discount_amount",
    "discount_days",
    "related_intervention_id",
    "yot_consulted_on",
    "applied_on",
    "convicted_on",
    "conduct",
    "supervisor_name",
    "authorised_by",
    "premises_owned_or_managed",
    "location",
    "requirements",
    "prohibitions",
    "parent_guardian_name",
    "victim_views",
    "victim_choice",
    "departure_reason",
    "notes",
    "extended_at",
    "extension_hours",
    "extension_authorised_by",
    "key_dates",
    "appeal_lodged_on",
    "appeal_decided_on",
    "extended_on",
    "varied_on",
)
#: Fields the service sets itself, never copied from the input.
_SERVICE_FIELDS = {
    "status",
    "appeal_lodged_on",
    "appeal_decided_on",
    "extended_on",
    "varied_on",
    "issuing_agency_id",
    "issuing_officer_id",
    "key_dates",
    "extended_at",
    "extension_hours",
    "extension_authorised_by",
}
#: Fields of the model that ``create_intervention`` copies from its input.
INPUT_FIELDS = tuple(f for f in AUDIT_FIELDS if f not in _SERVICE_FIELDS)
#: Fields the dates that follow an intervention are computed from (``key_dates``).
DATE_FIELDS = (*INPUT_FIELDS, "extension_hours")


def intervention_link(intervention: Intervention) -> str:
    return f"/interventions/{intervention.id}"


def _check_event_dates(values: Mapping[str, Any]) -> None:
    """Events that happened cannot be in the future nor before what they follow."""
    errors: dict[str, list[str]] = {}
    issued_on: date = values["issued_on"]
    if issued_on > today():
        errors["issued_on"] = ["The date of issue cannot be in the future."]
    issued_at: datetime | None = values.get("issued_at")
    if issued_at is not None:
        if issued_at > now():
            errors["issued_at"] = ["The time of service cannot be in the future."]
        elif london_day(issued_at) != issued_on:
            errors["issued_at"] = ["The time of service must be on the date of issue."]
    for name, label in (
        ("yot_consulted_on", "youth offending team consultation"),
        ("applied_on", "application"),
        ("convicted_on", "conviction"),
    ):
        value = values.get(name)
        if value is not None and value > issued_on:
            errors[name] = [f"The date of the {label} cannot be after the date of issue."]
        elif value is not None and value.year < 1900:
            errors[name] = [f"The date of the {label} must be in 1900 or later."]
    if errors:
        raise InvalidInput(errors)


def _subject(actor: Any, case: Case, kind: InterventionKind, person_id: int | None) -> Person | None:
    """The person the intervention is for: one the actor may see (``PEOPLE``) who is a party to the case.

    Everyone who may see the case reads the subject's name, and the restricted-people rule
    (``casework.cases.policies.visible_people_clause``) lets them see the case's parties only: a
    person met only on a restricted case they are not named on would be named to them through the
    intervention. So a subject who is not a party is refused (add them to the case first, which
    is the writer's decision to make in the open), and nothing is written."""
    if person_id is None:
        if kind in PLACE_KINDS:
            return None
        raise InvalidInput({"subject_person_id": ["Choose who the intervention is for."]})
    person = PEOPLE.get(actor, person_id, "subject_person_id")
    on_case = db.session.scalar(
        sa.select(sa.literal(True)).where(CaseParty.case_id == case.id, CaseParty.person_id == person_id)
    )
    if not on_case:
        raise InvalidInput(
            {"subject_person_id": [f"{person.name} is not a party to this case: add them to the case first."]}
        )
    return person


def _related(actor: Any, case: Case, related_id: int | None) -> Intervention | None:
    if related_id is None:
        return None
    related = INTERVENTIONS.find(actor, related_id)
    # A PSPO covers a place, so an FPN for its breach may sit on another case in the same area.
    if related is None or not (
        related.case_id == case.id or (related.kind == InterventionKind.pspo and related.case.area_id == case.area_id)
    ):
        raise InvalidInput({"related_intervention_id": ["No such intervention on this case."]})
    return related


def _earlier_warnings(case: Case, person_id: int | None) -> Sequence[date]:
    if person_id is None:
        return ()
    return db.session.scalars(
        sa.select(Intervention.comply_by).where(
            Intervention.case_id == case.id,
            Intervention.subject_person_id == person_id,
            Intervention.kind == InterventionKind.cpw,
            Intervention.status != InterventionStatus.withdrawn,
            Intervention.comply_by.is_not(None),
        )
    ).all()


def create_intervention(actor: Any, case: Case, data: Mapping[str, Any]) -> tuple[Intervention, list[str]]:
    """Check the rules in force on the day of issue, record it and set its deadlines.

    Returns the intervention and the warnings to show; raises ``RuleViolation`` for a block.
    """
    kind = InterventionKind(data["kind"])
    values = {name: data.get(name) for name in INPUT_FIELDS}
    values["kind"] = kind.value
    values["is_indefinite"] = bool(values["is_indefinite"])
    values["has_senior_sign_off"] = bool(values["has_senior_sign_off"])
    _check_event_dates(values)
    warnings: list[str] = []
    person = _subject(actor, case, kind, values["subject_person_id"])
    related = _related(actor, case, values["related_intervention_id"])
    agency: Agency = (
        get_agency(data["issuing_agency_code"], "issuing_agency_code")
        if data.get("issuing_agency_code")
        else actor.agency
    )
    if values["conduct"] is not None and values["conduct"] not in set(Conduct):
        raise InvalidInput({"conduct": [f"Choose one of: {', '.join(Conduct)}."]})
    if kind not in APPLIED_FOR_KINDS:
        values["applied_on"] = None
    settings = area_settings(case.area, on=values["issued_on"])
    # For an order granted on application, which power exists follows the day the application was made.
    application_settings = (
        area_settings(case.area, on=values["applied_on"])
        if values["applied_on"] is not None and values["applied_on"] != values["issued_on"]
        else None
    )
    if kind == InterventionKind.abc and values["ends_on"] is None:
        start = values["starts_on"] or values["issued_on"]
        values["ends_on"] = end_of_months_beginning_with(start, settings["abc_default_months"])
    facts = rules.Facts(
        settings=settings,
        subject=rules.Subject(person.kind.value, person.date_of_birth, person.name) if person else None,
        earlier_cpw_comply_by=_earlier_warnings(case, values["subject_person_id"])
        if kind == InterventionKind.cpn
        else (),
        related=rules.Related(related.id, related.kind.value, related.subject_person_id, related.case_id)
        if related
        else None,
        warnings=warnings,
        issuer=issuer_of(agency),
        application_settings=application_settings,
    )
    warnings = rules.check(kind.value, values, facts)
    is_youth = bool(person and person.date_of_birth and age_on(person.date_of_birth, values["issued_on"]) < 18)
    dates = key_dates(kind.value, {**values, "is_youth": is_youth}, settings)

    intervention = Intervention(
        case_id=case.id,
        issuing_agency_id=agency.id,
        issuing_officer_id=actor.id,
        status=InterventionStatus.issued,
        key_dates={d.key: d.due.isoformat() for d in dates},
        rule_warnings=list(warnings),
        created_by_id=actor.id,
        **{k: v for k, v in values.items() if k not in {"kind", "conduct"}},
        conduct=Conduct(values["conduct"]) if values["conduct"] else None,
        kind=kind,
    )
    db.session.add(intervention)
    db.session.flush()
    _set_deadlines(intervention, case, person, dates)
    if kind == InterventionKind.cpn:
        _close_warnings_followed_up(case, values["subject_person_id"], values["issued_on"])
    record_change(
        actor,
        intervention,
        None,
        snapshot(intervention, AUDIT_FIELDS),
        f"Recorded {intervention.label.lower()} on case {case.reference}",
        event_on=values["issued_on"],
    )
    return intervention, warnings


def issuer_of(agency: Agency) -> powers.Issuer:
    return powers.Issuer.of_agency(
        agency.kind.value, is_csas_accredited=bool(agency.is_csas_accredited), name=agency.name
    )


def date_values(intervention: Intervention) -> dict[str, Any]:
    """The fields ``key_dates`` reads, as the rules engine takes them (plain values)."""
    values = {name: getattr(intervention, name) for name in DATE_FIELDS}
    values["conduct"] = intervention.conduct.value if intervention.conduct else None
    person = intervention.subject
    values["is_youth"] = bool(
        person is not None and person.date_of_birth and age_on(person.date_of_birth, intervention.issued_on) < 18
    )
    return values


def _close_warnings_followed_up(case: Case, person_id: int | None, issued_on: date) -> None:
    """A notice has followed the warnings whose compliance period passed: nothing more is due on them."""
    warning_ids = db.session.scalars(
        sa.select(Intervention.id).where(
            Intervention.case_id == case.id,
            Intervention.subject_person_id == person_id,
            Intervention.kind == InterventionKind.cpw,
            Intervention.comply_by < issued_on,
        )
    ).all()
    for warning_id in warning_ids:
        close_deadline(SUBJECT_TYPE, warning_id)


def _shown_subject(intervention: Intervention) -> Person | None:
    """The subject, unless it is withheld from the case's readers (``Intervention.subject_withheld``)."""
    return None if intervention.subject_withheld else intervention.subject


def _deadline_title(what: str, intervention: Intervention, case: Case, person: Person | None) -> str:
    """A deadline's title: "Compliance period ends: Community Protection Warning for <the subject as the
    case's readers are shown it, if any> (BOL-2026-0006)"."""
    about = f" for {person.name}" if person else ""
    return f"{what}: {intervention.label}{about} ({case.reference})"


def withhold_subjects_in_titles() -> int:
    """Deadline titles written before subjects had to be parties name a subject now withheld from the
    case's readers (``Intervention.subject_withheld``): every list, page, export and email quoting the
    title would name them. Write those titles again without the name, as they are written now, and
    the emails quoting one that are still to be sent with them (``flask --app casework interventions
    withhold-subjects``, run once after upgrading; running it again changes nothing). Returns how many
    deadlines changed."""
    from casework.reminders.services import retitle

    withheld = db.session.scalars(
        sa.select(Intervention)
        .where(Intervention.subject_person_id.is_not(None), sa.not_(Intervention.subject_is_party))
        .options(sa.orm.joinedload(Intervention.case))
        .order_by(Intervention.id)
    ).all()
    changed = 0
    for intervention in withheld:

        def title_of(row: Deadline, intervention: Intervention = intervention) -> str | None:
            # "<what>: <label> for <the name, as it was then> (<reference>)": the name is between the
            # label and the reference, whatever the person is called now.
            what, named, _rest = row.title.partition(f": {intervention.label} for ")
            return _deadline_title(what, intervention, intervention.case, None) if named else None

        changed += retitle(SUBJECT_TYPE, [intervention.id], title_of)
    return changed


def _set_deadlines(
    intervention: Intervention,
    case: Case,
    person: Person | None,
    dates: Sequence[KeyDate],
    *,
    reopen: bool = False,
) -> None:
    """Create or move the Deadline rows of ``dates``. A row already done or cancelled whose date has not
    moved stays closed: recomputing the dates after an extension does not reopen a review that was done.
    ``reopen``: the caller chose these dates to be due again (a reopened case's cancelled dates).
    ``person``: the subject as the case's readers are shown it (``_shown_subject``), named in the titles."""
    existing = {
        row.kind: row
        for row in db.session.scalars(
            sa.select(Deadline).where(Deadline.subject_type == SUBJECT_TYPE, Deadline.subject_id == intervention.id)
        )
    }
    for key_date in dates:
        if not key_date.is_deadline:
            continue
        kind = f"intervention.{key_date.key}"
        row = existing.get(kind)
        if (
            not reopen
            and row is not None
            and row.status != DeadlineStatus.open
            and (row.due_on or row.due_at) == key_date.due
        ):
            continue
        set_deadline(
            subject_type=SUBJECT_TYPE,
            subject_id=intervention.id,
            kind=kind,
            title=_deadline_title(key_date.title, intervention, case, person),
            due=key_date.due,
            owner_id=intervention.issuing_officer_id,
            case_id=case.id,
            is_statutory=key_date.is_statutory,
            area_id=case.area_id,
            link=intervention_link(intervention),
        )


def status_refusal(intervention: Intervention, status: InterventionStatus, on: date | None = None) -> str | None:
    """Why ``intervention`` may not be given ``status`` on ``on`` (default today), or None when it may.

    Statuses have an order. A live intervention (``LIVE_STATUSES``: issued, breached, appealed,
    varied) may take any status. A finished one (``FINISHED_STATUSES``: complied, expired, withdrawn)
    is final: it is not marked another finished status, and it is made live again only to correct a
    mistake (``update_status`` then makes its dates still to come due again), never once its end date
    has passed (an order that ran out is not revived: it is extended before it expires, or a new one
    is made). Only an intervention whose end date has passed, or that has none, expires. Only a power
    the law lets be appealed or challenged (``powers.APPEALS``) is marked appealed: there is no appeal
    against a warning, a fixed penalty, a closure notice or a dispersal direction (``powers.NO_APPEAL``)."""
    on = on or today()
    current = intervention.status
    if status == current:
        return None
    label = intervention.label
    if status == InterventionStatus.appealed and powers.appeal_of(intervention.kind.value) is None:
        return f"This {label.lower()} cannot be marked appealed: {powers.no_appeal_reason(intervention.kind.value)}"
    ends_on = intervention.ends_on
    if status == InterventionStatus.expired and ends_on is not None and ends_on >= on:
        return (
            f"This {label.lower()} runs until {ends_on.day} {ends_on:%B %Y}: it has not expired. "
            "If it was discharged or cancelled, mark it withdrawn."
        )
    if current in FINISHED_STATUSES and status in FINISHED_STATUSES:
        return (
            f"This {label.lower()} is {current.value}: it cannot be marked {status.value}. A {current.value} "
            f"{label.lower()} is only set back to issued, breached, appealed or varied, to correct a mistake."
        )
    if current == InterventionStatus.expired and ends_on is not None and ends_on < on:
        return (
            f"This {label.lower()} ended on {ends_on.day} {ends_on:%B %Y}: it cannot be in force again. "
            "Record a new one."
        )
    return None


def status_choices(intervention: Intervention) -> list[InterventionStatus]:
    """The statuses the intervention may be given now (its own included), in the order they are listed."""
    return [s for s in InterventionStatus if status_refusal(intervention, s) is None]


#: What ``update_status`` records with the status (the audit trail's fields).
#: The refusals of a day given with a status it does not go with (the page, the API and the import).
LODGED_ON_WITHOUT_APPEAL = "Give the date the appeal was lodged only when marking it appealed."
VARIED_ON_WITHOUT_VARIATION = "Give the day of the variation when marking it varied, on or after its issue."
STATUS_FIELDS = ("status", "notes", "key_dates", "appeal_lodged_on", "appeal_decided_on", "varied_on")


def update_status(
    actor: Any,
    intervention: Intervention,
    status: str,
    expected_version: int | None = None,
    notes: str | None = None,
    *,
    appeal_lodged_on: date | None = None,
    appeal_decided_on: date | None = None,
    appeal_in_error: bool = False,
    varied_on: date | None = None,
) -> tuple[Intervention, list[str]]:
    """Give the intervention a new status (``status_refusal`` says which: a refused one raises
    ``RuleViolation`` and writes nothing), with what follows for its deadlines (``_apply_status``):
    finishing it closes them (cancelled when it is withdrawn), making a finished one live again opens
    its dates still to come again, an appeal pauses what it suspends and its end resumes them.

    An appeal's days (checked by ``check_appeal_dates``): ``appeal_lodged_on`` when it is marked
    appealed (given again with the status already appealed: the lodged day corrected),
    ``appeal_decided_on`` when it leaves appealed; each defaults to today. ``appeal_in_error``: leaving
    appealed, the appeal was recorded by mistake and never made: what it did is undone as if it had
    never been recorded. ``varied_on``: marking it varied, the day of the variation (default today; not
    before the day of issue, nor in the future): the time to appeal runs again from it.

    Returns the intervention and the warnings to show: an appeal lodged after the time the law gives
    to make it is recorded, and warned about (``appeal_warning``)."""
    if expected_version is not None and expected_version != intervention.version:
        raise Conflict("This intervention was changed by someone else. Reload and try again.")
    new_status = InterventionStatus(status)
    refusal = status_refusal(intervention, new_status)
    if refusal is not None:
        raise RuleViolation(refusal, field="status")
    old_status = intervention.status
    check_appeal_dates(
        intervention, new_status, lodged_on=appeal_lodged_on, decided_on=appeal_decided_on, in_error=appeal_in_error
    )
    if varied_on is not None and (new_status != InterventionStatus.varied or varied_on < intervention.issued_on):
        raise InvalidInput({"varied_on": [VARIED_ON_WITHOUT_VARIATION]})
    before = snapshot(intervention, STATUS_FIELDS)
    if notes:
        intervention.notes = notes
    if new_status == InterventionStatus.varied and (old_status != new_status or varied_on is not None):
        intervention.varied_on = varied_on or today()
    if new_status == old_status == InterventionStatus.appealed:
        if appeal_lodged_on is not None:
            _correct_lodged_day(intervention, appeal_lodged_on)
    else:
        _apply_status(
            intervention,
            new_status,
            appeal_lodged_on=appeal_lodged_on,
            appeal_decided_on=appeal_decided_on,
            appeal_in_error=appeal_in_error,
        )
    record_change(
        actor,
        intervention,
        before,
        snapshot(intervention, STATUS_FIELDS),
        f"{intervention.label} marked {new_status.value}"
        + (
            f" (was {old_status.value}: corrected)"
            if old_status in FINISHED_STATUSES and new_status != old_status
            else ""
        )
        + (" (the appeal was recorded in error)" if appeal_in_error else ""),
    )
    # Warned when the appeal is recorded, or its lodged day corrected: not again with every change of notes.
    recorded = new_status == InterventionStatus.appealed and (old_status != new_status or appeal_lodged_on is not None)
    warning = appeal_warning(intervention) if recorded else None
    return intervention, [warning] if warning else []


def check_appeal_dates(
    intervention: Intervention,
    new_status: InterventionStatus,
    *,
    lodged_on: date | None,
    decided_on: date | None,
    in_error: bool,
) -> None:
    """Refuse (``InvalidInput`` on the field, nothing written) an appeal's days that cannot be: lodged
    before the intervention was issued (served) or in the future, decided before it was lodged or in
    the future, either given with a status change it does not go with, or an appeal said to be
    recorded in error when none in progress ends. A lodged day after the time to appeal is not
    refused (``appeal_warning``)."""
    errors: dict[str, list[str]] = {}
    old_status = intervention.status
    label = intervention.label.lower()
    if lodged_on is not None:
        issued = intervention.issued_on
        # A notice served from the service after the day it was recorded as issued reached its subject then.
        served = london_day(intervention.served_at) if intervention.served_at is not None else None
        if new_status != InterventionStatus.appealed:
            errors["appeal_lodged_on"] = [LODGED_ON_WITHOUT_APPEAL]
        elif lodged_on > today():
            errors["appeal_lodged_on"] = ["The date the appeal was lodged cannot be in the future."]
        elif lodged_on < issued:
            errors["appeal_lodged_on"] = [
                f"The appeal cannot have been lodged before the {label} was issued on {issued.day} {issued:%B %Y}."
            ]
        elif served is not None and lodged_on < served:
            errors["appeal_lodged_on"] = [
                f"The appeal cannot have been lodged before the {label} was served on {served.day} {served:%B %Y}."
            ]
    leaving_appeal = old_status == InterventionStatus.appealed and new_status != InterventionStatus.appealed
    if in_error and not leaving_appeal:
        errors["appeal_in_error"] = [
            "Only an appeal in progress can be recorded in error: change the status from appealed back to the "
            "one it had before."
        ]
    if decided_on is not None:
        lodged = appeal_lodged_day(intervention)
        if in_error:
            errors["appeal_decided_on"] = [
                "An appeal recorded in error was never decided: leave the date it was decided empty."
            ]
        elif not leaving_appeal:
            errors["appeal_decided_on"] = [
                "Give the date the appeal was decided only when an appeal in progress ends (the status changes "
                "from appealed)."
            ]
        elif decided_on > today():
            errors["appeal_decided_on"] = ["The date the appeal was decided cannot be in the future."]
        elif lodged is not None and decided_on < lodged:
            errors["appeal_decided_on"] = [
                f"The appeal cannot have been decided before it was lodged on {lodged.day} {lodged:%B %Y}."
            ]
    if errors:
        raise InvalidInput(errors)


def appeal_lodged_day(intervention: Intervention) -> date | None:
    """The day the appeal in progress (or the last one) was lodged: as recorded, or for one recorded
    before that day was kept, the day its pause began."""
    if intervention.appeal_lodged_on is not None:
        return intervention.appeal_lodged_on
    paused = paused_keys(intervention)
    return min(paused.values()) if paused else None


def appeal_warning(intervention: Intervention) -> str | None:
    """The warning for an appeal recorded as lodged after the time the law gives to make it (with the
    settings in force on the day of issue), or None: in time, none recorded, or no limit to check
    (``powers.appeal_lateness``), counted from the issue or the latest extension or variation that
    restarts it (``appeal_runs_from``). Shown on the page while the appeal is on record, and in the
    API's ``warnings`` when it is recorded."""
    lodged_on = intervention.appeal_lodged_on
    if lodged_on is None:
        return None
    settings = area_settings(intervention.case.area, on=intervention.issued_on)
    return powers.appeal_lateness(
        intervention.kind.value, intervention.label, appeal_runs_from(intervention, lodged_on), lodged_on, settings
    )


def appeal_runs_from(intervention: Intervention, lodged_on: date) -> date:
    """The day the time to appeal an appeal lodged on ``lodged_on`` runs from: the issue, or for a
    closure order (s.84) or a PSPO (s.66) the latest extension or variation on or before that day."""
    days = [intervention.issued_on]
    if intervention.kind in (InterventionKind.closure_order, InterventionKind.pspo):
        days += [
            day for day in (intervention.extended_on, intervention.varied_on) if day is not None and day <= lodged_on
        ]
    return max(days)


def _correct_lodged_day(intervention: Intervention, lodged_on: date) -> None:
    """The appeal in progress was lodged on another day than recorded: what it paused is paused from
    that day (its end counts the days pending from it)."""
    intervention.appeal_lodged_on = lodged_on
    marks = {f"{key}{PAUSED_SUFFIX}": lodged_on.isoformat() for key in paused_keys(intervention)}
    if marks:
        intervention.key_dates = {**(intervention.key_dates or {}), **marks}
    db.session.flush()


def _apply_status(
    intervention: Intervention,
    new_status: InterventionStatus,
    *,
    appeal_lodged_on: date | None = None,
    appeal_decided_on: date | None = None,
    appeal_in_error: bool = False,
) -> None:
    """Give the intervention ``new_status`` and what follows for its deadlines: the one place a status
    changes (a page, the API, an import through ``update_status``; a breach recorded; the nightly expiry).

    Finishing it closes its deadlines (cancelled when it is withdrawn); making a finished one live
    again opens its dates still to come again (``_reopen_deadlines``). An appeal in progress pauses
    what the law suspends while it lasts, from the day it was lodged (``appeal_lodged_on``, default
    today: ``_pause_for_appeal``), and its end on the day it was decided (``appeal_decided_on``,
    default today) resumes them later or closes them (``_end_appeal``). An appeal recorded in error
    (``appeal_in_error``) is undone instead: its days are cleared, and what it paused or settled is
    due as if it had never been recorded (``_end_appeal``)."""
    old_status = intervention.status
    intervention.status = new_status
    db.session.flush()
    if new_status == old_status:
        return
    if old_status == InterventionStatus.appealed:
        decided_on = appeal_decided_on or today()
        _end_appeal(intervention, new_status, decided_on, in_error=appeal_in_error)
        if appeal_in_error:
            intervention.appeal_lodged_on = None
            intervention.appeal_decided_on = None
        elif new_status != InterventionStatus.expired or appeal_decided_on is not None:
            # Ended by the order's own end (the nightly expiry), the appeal was not decided.
            intervention.appeal_decided_on = decided_on
    if new_status in FINISHED_STATUSES:
        close_deadline(SUBJECT_TYPE, intervention.id, cancelled=new_status == InterventionStatus.withdrawn)
    elif old_status in FINISHED_STATUSES:
        _reopen_deadlines(intervention)
    if new_status == InterventionStatus.appealed:
        intervention.appeal_lodged_on = appeal_lodged_on or today()
        intervention.appeal_decided_on = None
        _pause_for_appeal(intervention, intervention.appeal_lodged_on)
    db.session.flush()


#: ``key_dates`` marks a date paused by an appeal in progress with ``<key>_paused_on``: the day the
#: appeal was lodged (the day it was recorded, before that day was asked for). Present only while the
#: appeal lasts.
PAUSED_SUFFIX = "_paused_on"


def paused_keys(intervention: Intervention) -> dict[str, date]:
    """The key dates an appeal in progress pauses, with the day each was paused."""
    return {
        key.removesuffix(PAUSED_SUFFIX): date.fromisoformat(value)
        for key, value in (intervention.key_dates or {}).items()
        if key.endswith(PAUSED_SUFFIX)
    }


def _suspended_rows(intervention: Intervention) -> dict[str, Deadline]:
    """The deadlines (by key date) of what an appeal against the intervention suspends."""
    appeal = powers.appeal_of(intervention.kind.value)
    if appeal is None or not appeal.suspends:
        return {}
    return _rows_of(intervention, appeal.suspends)


def _rows_of(intervention: Intervention, keys: frozenset[str]) -> dict[str, Deadline]:
    """The intervention's deadlines of these key dates, by key date."""
    kinds = {f"intervention.{key}": key for key in keys}
    rows = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.subject_type == SUBJECT_TYPE,
            Deadline.subject_id == intervention.id,
            Deadline.kind.in_(kinds),
        )
    )
    return {kinds[row.kind]: row for row in rows}


def _pause_for_appeal(intervention: Intervention, lodged_on: date) -> None:
    """An appeal is in progress: what it suspends is not owed meanwhile. While a Community Protection
    Notice is under appeal its requirements to stop doing things stay in force and every other
    requirement is suspended (s.46, ``powers.APPEALS``): its compliance date, which is for what the
    notice requires to be done, is paused. The deadline is settled as cancelled (not reminded, not
    overdue, not escalated: the sweep and every list read open deadlines only) and ``key_dates`` marks
    it paused from the day the appeal was lodged. A date already met stays done."""
    appeal = powers.appeal_of(intervention.kind.value)
    if appeal is not None and appeal.settles:
        # The appeal was made: the reminder that the window to make one is closing is moot. An appeal
        # recorded in error opens it again while the window lasts (``_end_appeal``).
        for row in _rows_of(intervention, appeal.settles).values():
            if row.status == DeadlineStatus.open:
                settle(row, DeadlineStatus.done)
    marks = {}
    for key, row in _suspended_rows(intervention).items():
        if row.status == DeadlineStatus.done:
            continue
        if row.status == DeadlineStatus.open:
            settle(row, DeadlineStatus.cancelled)
        marks[f"{key}{PAUSED_SUFFIX}"] = lodged_on.isoformat()
    if marks:
        intervention.key_dates = {**(intervention.key_dates or {}), **marks}
        db.session.flush()


def _end_appeal(
    intervention: Intervention, new_status: InterventionStatus, decided_on: date, *, in_error: bool = False
) -> None:
    """The appeal is over: the paused dates are due again, or closed with the intervention.

    Dismissed (back to issued), or the notice modified (varied), or a breach after it: each paused date
    is due later by the time the appeal was pending, in whole days from the day it was lodged to the
    day it was decided (``decided_on``). The suspension stopped the compliance period's clock: the
    person has, after the appeal, the days of the period that were left when it was lodged, no more and
    no fewer (the Act suspends the requirements; it does not start their period again). The date is
    moved in ``key_dates`` (the notice's own ``comply_by`` stays as it was issued) and its deadline
    opened on the new day, reminded afresh; on a closed case it stays closed, and reopening the case
    opens it on the moved day (``rearm_deadlines``). Quashed or withdrawn, complied with or expired:
    the paused deadlines close with the intervention (cancelled when it is withdrawn).

    Recorded in error (``in_error``: no appeal was made), the appeal is undone as if it had never been
    recorded: the paused dates are due on their own days, not moved, and the reminder that the window
    to appeal is closing, which recording it settled, is open again while the window lasts (a window
    already closed stays settled: there is nothing left to remind of). Both are reopened by the
    reminders' own ``rearm``, and only on an open case."""
    appeal = powers.appeal_of(intervention.kind.value)
    case_open = intervention.case.status == CaseStatus.open
    if in_error and appeal is not None and appeal.settles and new_status not in FINISHED_STATUSES and case_open:
        for row in _rows_of(intervention, appeal.settles).values():
            if row.status == DeadlineStatus.done and row.due_at > now():
                rearm(row, row.owner_id if row.owner_id is not None else intervention.issuing_officer_id)
    paused = paused_keys(intervention)
    if not paused:
        return
    dates = {k: v for k, v in (intervention.key_dates or {}).items() if not k.endswith(PAUSED_SUFFIX)}
    rows = _suspended_rows(intervention)
    for key, since in paused.items():
        row = rows.get(key)
        if row is None:
            continue
        if new_status in FINISHED_STATUSES:
            if row.status != DeadlineStatus.done:
                settle(
                    row,
                    DeadlineStatus.cancelled if new_status == InterventionStatus.withdrawn else DeadlineStatus.done,
                )
            continue
        stored = dates.get(key)
        was_due: date | datetime = (
            (datetime.fromisoformat(stored) if "T" in stored else date.fromisoformat(stored))
            if stored
            else (row.due_on if row.due_on is not None else row.due_at)
        )
        due = was_due if in_error else was_due + timedelta(days=max((decided_on - since).days, 0))
        dates[key] = due.isoformat()
        if case_open and row.status != DeadlineStatus.done:
            rearm(row, row.owner_id if row.owner_id is not None else intervention.issuing_officer_id, due=due)
    intervention.key_dates = dates
    db.session.flush()


def _reopen_deadlines(intervention: Intervention) -> int:
    """A finished intervention made live again: the deadlines its finishing closed that are still to
    come are due again, as they were (day, title, holder), reminded afresh (``reminders.services.rearm``).
    A review already recorded stays done; a date that passed while it was finished is not reopened
    (as a reopened case's, ``rearm_deadlines``)."""
    reviewed = {f"intervention.{r.review_key}" for r in intervention.reviews if r.review_key}
    rows = db.session.scalars(
        sa.select(Deadline)
        .where(
            Deadline.subject_type == SUBJECT_TYPE,
            Deadline.subject_id == intervention.id,
            Deadline.status != DeadlineStatus.open,
            Deadline.due_at > now(),
        )
        .order_by(Deadline.id)
    ).all()
    reopened = [row for row in rows if row.kind not in reviewed]
    for row in reopened:
        rearm(row, row.owner_id if row.owner_id is not None else intervention.issuing_officer_id)
    return len(reopened)


def extend(
    actor: Any,
    intervention: Intervention,
    ends_on: date,
    expected_version: int | None = None,
    *,
    extended_on: date | None = None,
) -> Intervention:
    """Extend a closure order (each extension up to 3 months, 6 months in all, s.82) or a PSPO (up to
    3 years at a time, as often as needed, before it expires, s.60), and move its deadlines.
    ``extended_on``: the day the extension was made (default today; not before the day of issue, nor
    before the last extension), from which the time to appeal runs again."""
    if expected_version is not None and expected_version != intervention.version:
        raise Conflict("This intervention was changed by someone else. Reload and try again.")
    if intervention.kind not in (InterventionKind.closure_order, InterventionKind.pspo):
        raise RuleViolation("Only a closure order or a PSPO can be extended.", field="ends_on")
    if intervention.status in FINISHED_STATUSES:
        # Its deadlines are closed: moving them would open them again on an order no longer in force.
        raise RuleViolation(
            f"The {intervention.label.lower()} is {intervention.status.value}: it can no longer be extended.",
            field="ends_on",
        )
    current_end = intervention.ends_on
    if current_end is None or current_end < today():
        raise RuleViolation("It has already ended: it can be extended only before it expires.", field="ends_on")
    if ends_on <= current_end:
        raise InvalidInput({"ends_on": ["The new end date must be after the current one."]})
    case = intervention.case
    settings = area_settings(case.area, on=today())
    start = intervention.starts_on or intervention.issued_on
    day_after = current_end + timedelta(days=1)
    if intervention.kind == InterventionKind.closure_order:
        step, total = settings["closure_order_max_months"], settings["closure_order_total_max_months"]
        limit = min(end_of_months_beginning_with(day_after, step), end_of_months_beginning_with(start, total))
        message = f"A closure order can be extended by up to {step} months at a time and {total} months in all"
    else:
        step = settings["pspo_max_months"]
        limit = end_of_months_beginning_with(day_after, step)
        message = f"A PSPO can be extended by up to {step // 12} years at a time"
    if ends_on > limit:
        raise RuleViolation(f"{message}: the latest end date is {limit.day} {limit:%B %Y}.", field="ends_on")
    if extended_on is not None and extended_on < intervention.issued_on:
        raise InvalidInput({"extended_on": ["The extension cannot be before the order was made."]})
    # Only the latest extension's day is kept (the time to appeal runs again from it): one dated before
    # the last would move that back.
    last = intervention.extended_on
    if last is not None and (extended_on or today()) < last:
        raise InvalidInput(
            {"extended_on": [f"The extension cannot be before the last one, made on {last.day} {last:%B %Y}."]}
        )
    before = snapshot(intervention, ("ends_on", "key_dates", "extended_on"))
    intervention.ends_on = ends_on
    intervention.extended_on = extended_on or today()
    dates = key_dates(
        intervention.kind.value, date_values(intervention), area_settings(case.area, on=intervention.issued_on)
    )
    intervention.key_dates = {d.key: d.due.isoformat() for d in dates}
    db.session.flush()
    _set_deadlines(intervention, case, _shown_subject(intervention), dates)
    record_change(
        actor,
        intervention,
        before,
        snapshot(intervention, ("ends_on", "key_dates", "extended_on")),
        f"{intervention.label} extended",
    )
    return intervention


def record_breach(
    actor: Any,
    intervention: Intervention,
    occurred_on: date,
    description: str,
    crime_reference: str | None = None,
) -> InterventionBreach:
    """Add to the breach log. Whether the breach is a criminal offence follows the power the
    intervention was granted under (a Respect Order's is; a civil injunction's is contempt of court)."""
    errors: dict[str, list[str]] = {}
    if occurred_on > today():
        errors["occurred_on"] = ["The date of the breach cannot be in the future."]
    elif occurred_on < intervention.issued_on:
        errors["occurred_on"] = [f"The breach cannot be before the {intervention.label.lower()} was issued."]
    if not description.strip():
        errors["description"] = ["Describe the breach."]
    nature = powers.breach_nature(intervention.kind.value)
    crime_reference = (crime_reference or "").strip() or None
    if crime_reference and not nature.is_criminal_offence:
        errors["crime_reference"] = [f"Breaching a {intervention.label.lower()} is not a criminal offence."]
    if errors:
        raise InvalidInput(errors)
    breach = InterventionBreach(
        intervention=intervention,
        occurred_on=occurred_on,
        description=description.strip(),
        recorded_by_id=actor.id,
        is_criminal_offence=nature.is_criminal_offence,
        crime_reference=crime_reference,
    )
    db.session.add(breach)
    if intervention.status == InterventionStatus.issued:
        _apply_status(intervention, InterventionStatus.breached)
    db.session.flush()
    record_change(
        actor,
        breach,
        None,
        snapshot(breach, ("intervention_id", "occurred_on", "description", "is_criminal_offence", "crime_reference")),
        f"Recorded a breach of {intervention.label.lower()} {intervention.id}"
        + (" (a criminal offence)" if nature.is_criminal_offence else ""),
    )
    return breach


# --- closure notice extension (s.77(4)) ----------------------------------------------------------------


def extend_closure_notice(
    actor: Any,
    intervention: Intervention,
    *,
    extended_at: datetime,
    hours: int,
    has_senior_sign_off: bool,
    authorised_by: str | None,
    expected_version: int | None = None,
) -> tuple[Intervention, list[str]]:
    """Record an extension notice: up to 24 hours more for a notice of up to 24 hours, issued while the
    notice is in force and signed off at the senior level (s.77(4)-(5)); the rules in force on the day
    of the extension notice apply. The hearing deadline does not move: it runs from service (s.80(3))."""
    if expected_version is not None and expected_version != intervention.version:
        raise Conflict("This intervention was changed by someone else. Reload and try again.")
    if intervention.kind != InterventionKind.closure_notice:
        raise RuleViolation("Only a closure notice can be extended by an extension notice.", field="kind")
    if intervention.status in FINISHED_STATUSES:
        raise RuleViolation(f"The notice is {intervention.status.value}: it can no longer be extended.")
    errors: dict[str, list[str]] = {}
    if extended_at > now():
        errors["extended_at"] = ["The time of the extension notice cannot be in the future."]
    if hours < 1:
        errors["hours"] = ["Enter the hours of the extension, 1 or more."]
    if errors:
        raise InvalidInput(errors)
    case = intervention.case
    issue_settings = area_settings(case.area, on=intervention.issued_on)
    ends_at = closure_notice_ends_at(date_values(intervention), issue_settings)
    authorised_by = (authorised_by or "").strip() or None
    facts = rules.Facts(
        settings=area_settings(case.area, on=london_day(extended_at)),
        subject=None,
        issuer=issuer_of(intervention.issuing_agency),
    )
    warnings = rules.check_closure_notice_extension(
        date_values(intervention),
        {
            "extended_at": extended_at,
            "hours": hours,
            "has_senior_sign_off": has_senior_sign_off,
            "authorised_by": authorised_by,
        },
        facts,
        ends_at,
    )
    before = snapshot(intervention, ("extended_at", "extension_hours", "extension_authorised_by", "key_dates"))
    intervention.extended_at = extended_at
    intervention.extension_hours = (intervention.extension_hours or 0) + hours
    intervention.extension_authorised_by = authorised_by
    dates = key_dates(intervention.kind.value, date_values(intervention), issue_settings)
    intervention.key_dates = {d.key: d.due.isoformat() for d in dates}
    intervention.rule_warnings = [*(intervention.rule_warnings or []), *warnings]
    db.session.flush()
    record_change(
        actor,
        intervention,
        before,
        snapshot(intervention, ("extended_at", "extension_hours", "extension_authorised_by", "key_dates")),
        f"Closure notice extended by {hours} hours (extension notice, s.77(4))",
    )
    return intervention, warnings


# --- reviews -----------------------------------------------------------------------------------------


def open_review_keys(intervention: Intervention) -> list[str]:
    """The review deadlines still open, earliest first (``review_1``, ``review_at``, ``review_on``)."""
    rows = db.session.scalars(
        sa.select(Deadline)
        .where(
            Deadline.subject_type == SUBJECT_TYPE,
            Deadline.subject_id == intervention.id,
            Deadline.status == DeadlineStatus.open,
            Deadline.kind.startswith("intervention.review"),
        )
        .order_by(Deadline.due_at)
    ).all()
    return [row.kind.removeprefix("intervention.") for row in rows]


def record_review(
    actor: Any,
    intervention: Intervention,
    *,
    reviewed_on: date,
    outcome: str,
    reviewed_at: datetime | None = None,
    reviewer_name: str | None = None,
    notes: str | None = None,
) -> InterventionReview:
    """Record a review of an order or direction while it runs, and close the review that was due (a
    Respect Order's periodic review, a dispersal direction's 48-hour review, an under-18 CBO's review).
    An order until further order gets its next review."""
    errors: dict[str, list[str]] = {}
    if outcome not in set(ReviewOutcome):
        errors["outcome"] = [f"Choose one of: {', '.join(ReviewOutcome)}."]
    if reviewed_on > today():
        errors["reviewed_on"] = ["The date of the review cannot be in the future."]
    elif reviewed_on < intervention.issued_on:
        errors["reviewed_on"] = [f"The review cannot be before the {intervention.label.lower()} was issued."]
    if reviewed_at is not None:
        if reviewed_at > now():
            errors["reviewed_at"] = ["The time of the review cannot be in the future."]
        elif london_day(reviewed_at) != reviewed_on:
            errors["reviewed_at"] = ["The time of the review must be on the date of the review."]
        elif intervention.issued_at is not None and reviewed_at < intervention.issued_at:
            errors["reviewed_at"] = ["The review cannot be before the direction was given."]
    if errors:
        raise InvalidInput(errors)
    # The same review recorded twice at the same moment: both would find it due and record it. The
    # intervention's row is locked first, so the second waits and then finds it done (on SQLite the
    # write transaction holds the write lock already: BEGIN IMMEDIATE).
    db.session.execute(sa.select(Intervention.id).where(Intervention.id == intervention.id).with_for_update())
    due = open_review_keys(intervention)
    if not due:
        raise RuleViolation(f"No review of this {intervention.label.lower()} is due.")
    key = due[0]
    review = InterventionReview(
        intervention=intervention,
        reviewed_on=reviewed_on,
        reviewed_at=reviewed_at,
        reviewer_name=(reviewer_name or "").strip() or None,
        outcome=ReviewOutcome(outcome),
        notes=(notes or "").strip() or None,
        review_key=key,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(review)
    db.session.flush()
    close_deadline(SUBJECT_TYPE, intervention.id, f"intervention.{key}")
    case = intervention.case
    if intervention.kind == InterventionKind.respect_order and intervention.ends_on is None:
        _schedule_next_review(intervention, case, key)
    record_change(
        actor,
        review,
        None,
        snapshot(review, ("intervention_id", "reviewed_on", "reviewed_at", "reviewer_name", "outcome", "notes")),
        f"{intervention.label} reviewed ({ReviewOutcome(outcome).value})",
    )
    return review


def _schedule_next_review(intervention: Intervention, case: Case, done_key: str) -> None:
    """An order until further order is reviewed every period for as long as it runs."""
    number = int(done_key.removeprefix("review_")) + 1 if done_key.startswith("review_") else 1
    settings = area_settings(case.area, on=intervention.issued_on)
    start = intervention.starts_on or intervention.issued_on
    due = end_of_months_beginning_with(start, settings["respect_order_review_months"] * number)
    key_date = KeyDate(f"review_{number}", f"Review {number} of the order due", due)
    intervention.key_dates = {**(intervention.key_dates or {}), key_date.key: due.isoformat()}
    _set_deadlines(intervention, case, _shown_subject(intervention), [key_date])


def expire_ended(on: date | None = None) -> int:
    """Interventions in force whose end date is before ``on`` (default today) become expired (a task
    runs this). Varied or under appeal, an order still ends on its end date: no appeal suspends an
    order or a notice as a whole, nor moves its end. A Community Protection Notice under appeal keeps
    its requirements to stop doing things in force and has only its other requirements suspended
    (s.46); a closure order stays in force while it is appealed (s.84), a PSPO while it is challenged
    unless the High Court suspends it (s.66), an injunction or a Criminal Behaviour Order unless the
    court orders otherwise. Its paused dates close with it (``_apply_status``).

    One on a case the retention run anonymised is left as the run left it: nothing writes to such a
    case (``casework.cases.policies.takes_writes``), and the run already closed its deadlines."""
    on = on or today()
    ended = db.session.scalars(
        sa.select(Intervention)
        .join(Case, Case.id == Intervention.case_id)
        .where(Intervention.ends_on < on, Intervention.status.in_(LIVE_STATUSES), Case.anonymised_at.is_(None))
    ).all()
    for intervention in ended:
        was = intervention.status.value
        _apply_status(intervention, InterventionStatus.expired)
        record_change(
            None,
            intervention,
            {"status": was},
            {"status": "expired"},
            f"{intervention.label} expired on its end date",
        )
    db.session.flush()
    return len(ended)


def rearm_deadlines(case: Case) -> int:
    """A reopened case's live interventions: their dates still to come are due again (the closure
    cancelled the ordinary ones). Finished interventions stay as they are."""
    moment = now()
    count = 0
    for intervention in case_interventions(case.id):
        if intervention.status in FINISHED_STATUSES:
            continue
        values = {name: getattr(intervention, name) for name in INPUT_FIELDS}
        is_youth = bool(
            intervention.subject
            and intervention.subject.date_of_birth
            and age_on(intervention.subject.date_of_birth, intervention.issued_on) < 18
        )
        dates = key_dates(
            intervention.kind.value,
            {**values, "is_youth": is_youth},
            area_settings(case.area, on=intervention.issued_on),
        )
        # A date an appeal paused stays paused until the appeal ends; one an appeal moved is due on
        # its moved day (``_end_appeal``), which ``key_dates`` holds.
        paused = paused_keys(intervention)
        appeal = powers.appeal_of(intervention.kind.value)
        stored = dict(intervention.dates)
        dates = [
            replace(d, due=stored[d.key]) if appeal and d.key in appeal.suspends and d.key in stored else d
            for d in dates
            if d.key not in paused
        ]
        states = deadline_states(SUBJECT_TYPE, intervention.id)
        # Only what the closure cancelled: statutory dates were handed over, and a date already met
        # (a warning followed by a notice) stays done.
        coming = [
            d
            for d in dates
            if not d.is_statutory
            and states.get(f"intervention.{d.key}") in (None, DeadlineStatus.cancelled)
            and (d.due if isinstance(d.due, datetime) else end_of_day(d.due)) > moment
        ]
        _set_deadlines(intervention, case, _shown_subject(intervention), coming, reopen=True)
        count += len([d for d in coming if d.is_deadline])
    return count


def case_interventions(case_id: int) -> Sequence[Intervention]:
    """A case's interventions with what their pages show, with their breaches and reviews: one
    statement (both are a handful per intervention, so joining them costs little)."""
    return db.session.scalars(_CASE_INTERVENTIONS, {"case_id": case_id}).unique().all()


#: Built once (the case as a bind parameter): building a statement costs more than running it.
CASE_INTERVENTION_OPTIONS = (
    sa.orm.joinedload(Intervention.subject),
    sa.orm.joinedload(Intervention.issuing_agency),
    joined_user_name(Intervention.issuing_officer),
    sa.orm.joinedload(Intervention.breaches).options(joined_user_name(InterventionBreach.recorded_by)),
    sa.orm.joinedload(Intervention.reviews).options(joined_user_name(InterventionReview.recorded_by)),
)
_CASE_INTERVENTIONS = (
    sa.select(Intervention)
    .where(Intervention.case_id == sa.bindparam("case_id"))
    .options(*CASE_INTERVENTION_OPTIONS)
    .order_by(Intervention.issued_on.desc(), Intervention.id.desc())
)


# --- retention ---------------------------------------------------------------------------------------


def anonymise_case_interventions(case_id: int, report: Any) -> None:
    """Remove the text and names of a case's interventions, their breach log and their reviews;
    kinds, dates and statuses stay (``casework.core.retention``: every text column unless retained)."""
    from casework.core.retention import anonymise

    interventions = list(db.session.scalars(sa.select(Intervention).where(Intervention.case_id == case_id)))
    ids = [i.id for i in interventions]
    breaches = list(
        db.session.scalars(sa.select(InterventionBreach).where(InterventionBreach.intervention_id.in_(ids)))
    )
    reviews = list(db.session.scalars(sa.select(InterventionReview).where(InterventionReview.intervention_id.in_(ids))))
    for row in (*interventions, *breaches, *reviews):
        anonymise(row)
    db.session.flush()
    report.add(SUBJECT_TYPE, ids)
    report.add("intervention_breaches", [b.id for b in breaches])
    report.add("intervention_reviews", [r.id for r in reviews])


# --- subject access -------------------------------------------------------------------------------------


def export_section(person: Any, access: Any) -> list[dict[str, Any]]:
    """Interventions issued to the person (with their breach log), and, for a victim, their own views
    and choice recorded on a Community Remedy. A victim's views are not in the subject's export."""
    if not access.shown_case_ids:
        return []
    rows = (
        db.session.scalars(
            sa.select(Intervention)
            .where(Intervention.case_id.in_(access.shown_case_ids))
            .options(
                sa.orm.joinedload(Intervention.case),
                sa.orm.joinedload(Intervention.issuing_agency),
                sa.orm.selectinload(Intervention.breaches),
            )
            .order_by(Intervention.issued_on, Intervention.id)
        )
        .unique()
        .all()
    )
    found = []
    for i in rows:
        is_subject = i.subject_person_id == person.id
        is_victim = access.has_role(i.case_id, "victim")
        if is_subject or access.full:
            entry = {
                "case": i.case.reference,
                "kind": i.kind.value,
                "label": i.label,
                "status": i.status.value,
                "issued_on": i.issued_on.isoformat(),
                "issuing_agency": i.issuing_agency.name,
                "issuing_officer_name": access.redact(i.issuing_officer_name),
                "ends_on": i.ends_on.isoformat() if i.ends_on else None,
                "key_dates": i.key_dates,
                # The subject's appeal against it, when one was recorded.
                "appeal_lodged_on": i.appeal_lodged_on.isoformat() if i.appeal_lodged_on else None,
                "appeal_decided_on": i.appeal_decided_on.isoformat() if i.appeal_decided_on else None,
                **{
                    name: access.redact(getattr(i, name))
                    for name in (
                        "location",
                        "requirements",
                        "prohibitions",
                        "parent_guardian_name",
                        "departure_reason",
                        "notes",
                    )
                },
                "breaches": [
                    {"occurred_on": b.occurred_on.isoformat(), "description": access.redact(b.description)}
                    for b in i.breaches
                ],
                "reviews": [
                    {
                        "reviewed_on": r.reviewed_on.isoformat(),
                        "outcome": r.outcome.value,
                        "reviewer_name": access.redact(r.reviewer_name),
                        "notes": access.redact(r.notes),
                    }
                    for r in i.reviews
                ],
            }
            if access.full:
                entry.update(victim_views=i.victim_views, victim_choice=i.victim_choice)
            found.append(entry)
        elif is_victim and (i.victim_views or i.victim_choice):
            found.append(
                {
                    "case": i.case.reference,
                    "kind": i.kind.value,
                    "label": i.label,
                    "issued_on": i.issued_on.isoformat(),
                    "victim_views": access.redact(i.victim_views),
                    "victim_choice": access.redact(i.victim_choice),
                }
            )
    return found


# --- merging duplicate people ----------------------------------------------------------------------------


def move_person_records(merge: Any) -> None:
    ids = list(db.session.scalars(sa.select(Intervention.id).where(Intervention.subject_person_id == merge.merged_id)))
    db.session.execute(sa.update(Intervention).where(Intervention.id.in_(ids)).values(subject_person_id=merge.kept_id))
    merge.record(SUBJECT_TYPE, ids)


def restore_person_records(merge: Any) -> None:
    db.session.execute(
        sa.update(Intervention)
        .where(Intervention.id.in_(merge.ids(SUBJECT_TYPE)))
        .values(subject_person_id=merge.merged_id)
    )


# --- the person page ---------------------------------------------------------------------------------------


def person_section(person: Any, user: Any) -> dict[str, Any]:
    """Warnings, notices and orders issued to the person on the cases the user can see; a count and
    the holding agencies for the rest."""
    from casework.cases.person_sections import hidden_cases
    from casework.cases.policies import visible_cases_clause

    rows = (
        db.session.scalars(
            sa.select(Intervention)
            .join(Case, Case.id == Intervention.case_id)
            .where(Intervention.subject_person_id == person.id, visible_cases_clause(user))
            .options(sa.orm.contains_eager(Intervention.case), sa.orm.joinedload(Intervention.issuing_agency))
            .order_by(Intervention.issued_on.desc(), Intervention.id.desc())
        )
        .unique()
        .all()
    )
    about = sa.select(Intervention.case_id).where(Intervention.subject_person_id == person.id)
    return {"person_interventions": rows, "person_interventions_hidden": hidden_cases(user, about)}
