"""Recording interventions, their status and their breaches. Never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.accounts.services import area_settings, get_agency
from casework.audit.services import record_change, snapshot
from casework.cases.models import Case, CaseParty, Person
from casework.core.dates import end_of_months_beginning_with
from casework.core.errors import Conflict, InvalidInput, RuleViolation
from casework.core.time import london_day, now, today
from casework.extensions import db
from casework.interventions import rules
from casework.interventions.dates import KeyDate, age_on, key_dates
from casework.interventions.models import (
    FINISHED_STATUSES,
    Intervention,
    InterventionBreach,
    InterventionKind,
    InterventionStatus,
)
from casework.reminders.models import DeadlineStatus
from casework.reminders.services import close_deadline, deadline_states, end_of_day, set_deadline

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
    "convicted_on",
    "location",
    "requirements",
    "prohibitions",
    "parent_guardian_name",
    "victim_views",
    "victim_choice",
    "departure_reason",
    "notes",
    "key_dates",
)
#: Fields of the model that ``create_intervention`` copies from its input.
INPUT_FIELDS = tuple(
    f for f in AUDIT_FIELDS if f not in {"status", "issuing_agency_id", "issuing_officer_id", "key_dates"}
)


def intervention_link(intervention: Intervention) -> str:
    return f"/interventions/{intervention.id}"


def _check_event_dates(values: Mapping[str, Any]) -> None:
    """Events that happened cannot be in the future nor before what they follow (SPEC section 6)."""
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
    for name, label in (("yot_consulted_on", "youth offending team consultation"), ("convicted_on", "conviction")):
        value = values.get(name)
        if value is not None and value > issued_on:
            errors[name] = [f"The {label} cannot be after the date of issue."]
    if errors:
        raise InvalidInput(errors)


def _subject(case: Case, kind: InterventionKind, person_id: int | None, warnings: list[str]) -> Person | None:
    if person_id is None:
        if kind in PLACE_KINDS:
            return None
        raise InvalidInput({"subject_person_id": ["Choose who the intervention is for."]})
    person = db.session.get(Person, person_id)
    if person is None:
        raise InvalidInput({"subject_person_id": ["No such person."]})
    on_case = db.session.scalar(
        sa.select(sa.literal(True)).where(CaseParty.case_id == case.id, CaseParty.person_id == person_id)
    )
    if not on_case:
        warnings.append(f"{person.name} is not a party to this case.")
    return person


def _related(case: Case, related_id: int | None) -> Intervention | None:
    if related_id is None:
        return None
    related = db.session.get(Intervention, related_id)
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
    person = _subject(case, kind, values["subject_person_id"], warnings)
    related = _related(case, values["related_intervention_id"])
    agency: Agency = (
        get_agency(data["issuing_agency_code"], "issuing_agency_code")
        if data.get("issuing_agency_code")
        else actor.agency
    )
    settings = area_settings(case.area, on=values["issued_on"])
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
        **{k: v for k, v in values.items() if k != "kind"},
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
    )
    return intervention, warnings


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


def _set_deadlines(intervention: Intervention, case: Case, person: Person | None, dates: Sequence[KeyDate]) -> None:
    about = f" for {person.name}" if person else ""
    for key_date in dates:
        if not key_date.is_deadline:
            continue
        set_deadline(
            subject_type=SUBJECT_TYPE,
            subject_id=intervention.id,
            kind=f"intervention.{key_date.key}",
            title=f"{key_date.title}: {intervention.label}{about} ({case.reference})",
            due=key_date.due,
            owner_id=intervention.issuing_officer_id,
            case_id=case.id,
            is_statutory=key_date.is_statutory,
            area_id=case.area_id,
            link=intervention_link(intervention),
        )


def update_status(
    actor: Any, intervention: Intervention, status: str, expected_version: int | None = None, notes: str | None = None
) -> Intervention:
    if expected_version is not None and expected_version != intervention.version:
        raise Conflict("This intervention was changed by someone else. Reload and try again.")
    new_status = InterventionStatus(status)
    before = snapshot(intervention, ("status", "notes"))
    intervention.status = new_status
    if notes:
        intervention.notes = notes
    db.session.flush()
    if new_status in FINISHED_STATUSES:
        close_deadline(SUBJECT_TYPE, intervention.id, cancelled=new_status == InterventionStatus.withdrawn)
    record_change(
        actor,
        intervention,
        before,
        snapshot(intervention, ("status", "notes")),
        f"{intervention.label} marked {new_status.value}",
    )
    return intervention


def extend(actor: Any, intervention: Intervention, ends_on: date, expected_version: int | None = None) -> Intervention:
    """Extend a closure order (each extension up to 3 months, 6 months in all, s.82) or a PSPO (up to
    3 years at a time, as often as needed, before it expires, s.60), and move its deadlines."""
    if expected_version is not None and expected_version != intervention.version:
        raise Conflict("This intervention was changed by someone else. Reload and try again.")
    if intervention.kind not in (InterventionKind.closure_order, InterventionKind.pspo):
        raise RuleViolation("Only a closure order or a PSPO can be extended.", field="ends_on")
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
    before = snapshot(intervention, ("ends_on", "key_dates"))
    intervention.ends_on = ends_on
    values = {name: getattr(intervention, name) for name in INPUT_FIELDS}
    dates = key_dates(intervention.kind.value, values, area_settings(case.area, on=intervention.issued_on))
    intervention.key_dates = {d.key: d.due.isoformat() for d in dates}
    db.session.flush()
    _set_deadlines(intervention, case, intervention.subject, dates)
    record_change(
        actor, intervention, before, snapshot(intervention, ("ends_on", "key_dates")), f"{intervention.label} extended"
    )
    return intervention


def record_breach(actor: Any, intervention: Intervention, occurred_on: date, description: str) -> InterventionBreach:
    errors: dict[str, list[str]] = {}
    if occurred_on > today():
        errors["occurred_on"] = ["The date of the breach cannot be in the future."]
    elif occurred_on < intervention.issued_on:
        errors["occurred_on"] = [f"The breach cannot be before the {intervention.label.lower()} was issued."]
    if not description.strip():
        errors["description"] = ["Describe the breach."]
    if errors:
        raise InvalidInput(errors)
    breach = InterventionBreach(
        intervention=intervention, occurred_on=occurred_on, description=description.strip(), recorded_by_id=actor.id
    )
    db.session.add(breach)
    if intervention.status == InterventionStatus.issued:
        intervention.status = InterventionStatus.breached
    db.session.flush()
    record_change(
        actor,
        breach,
        None,
        snapshot(breach, ("intervention_id", "occurred_on", "description")),
        f"Recorded a breach of {intervention.label.lower()} {intervention.id}",
    )
    return breach


def expire_ended(on: date | None = None) -> int:
    """Interventions whose end date is before ``on`` (default today) become expired (a task runs this)."""
    on = on or today()
    ended = db.session.scalars(
        sa.select(Intervention).where(
            Intervention.ends_on < on,
            Intervention.status.in_((InterventionStatus.issued, InterventionStatus.breached)),
        )
    ).all()
    for intervention in ended:
        intervention.status = InterventionStatus.expired
        close_deadline(SUBJECT_TYPE, intervention.id)
        record_change(
            None,
            intervention,
            {"status": "issued"},
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
        _set_deadlines(intervention, case, intervention.subject, coming)
        count += len([d for d in coming if d.is_deadline])
    return count


def case_interventions(case_id: int) -> Sequence[Intervention]:
    """A case's interventions with what their pages show, in a fixed number of queries."""
    return (
        db.session.scalars(
            sa.select(Intervention)
            .where(Intervention.case_id == case_id)
            .options(
                sa.orm.joinedload(Intervention.subject),
                sa.orm.joinedload(Intervention.issuing_agency),
                sa.orm.joinedload(Intervention.issuing_officer),
                sa.orm.selectinload(Intervention.breaches).joinedload(InterventionBreach.recorded_by),
            )
            .order_by(Intervention.issued_on.desc(), Intervention.id.desc())
        )
        .unique()
        .all()
    )


# --- retention ---------------------------------------------------------------------------------------

#: Free text and names on an intervention, removed under the retention policy.
PERSONAL_TEXT_FIELDS = (
    "issuing_officer_name",
    "location",
    "requirements",
    "prohibitions",
    "parent_guardian_name",
    "victim_views",
    "victim_choice",
    "departure_reason",
    "notes",
)


def anonymise_case_interventions(case_id: int, report: Any) -> None:
    """Remove the text of a case's interventions and their breach log; kinds, dates and statuses stay."""
    from casework.core.lifecycle import REMOVED

    interventions = list(db.session.scalars(sa.select(Intervention).where(Intervention.case_id == case_id)))
    breaches = list(
        db.session.scalars(sa.select(InterventionBreach).join(Intervention).where(Intervention.case_id == case_id))
    )
    for intervention in interventions:
        for field in PERSONAL_TEXT_FIELDS:
            if getattr(intervention, field):
                setattr(
                    intervention,
                    field,
                    REMOVED if field not in {"issuing_officer_name", "parent_guardian_name"} else None,
                )
        # The warnings given at the time name the subject ("X is not a party to this case").
        intervention.rule_warnings = []
    for breach in breaches:
        breach.description = REMOVED
    db.session.flush()
    report.add(SUBJECT_TYPE, [i.id for i in interventions])
    report.add("intervention_breaches", [b.id for b in breaches])


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
