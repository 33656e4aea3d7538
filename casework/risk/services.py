"""Risk questionnaires and assessments. Never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Area
from casework.accounts.services import area_settings
from casework.audit.services import record_change, snapshot
from casework.cases.loaders import joined_user_name
from casework.cases.models import Case, CaseParty, PartyRole
from casework.cases.policies import SeenCases
from casework.core.errors import InvalidInput
from casework.core.links import external_url
from casework.core.time import today
from casework.extensions import db
from casework.notifications.services import queue_email
from casework.reminders.models import DeadlineStatus
from casework.reminders.services import close_deadline, deadline_states, set_deadline
from casework.risk.defaults import DEFAULT_HIGH_FROM, DEFAULT_MEDIUM_FROM, DEFAULT_QUESTIONS, DEFAULT_TITLE
from casework.risk.models import BAND_LABELS, RiskAssessment, RiskBand, RiskQuestionnaire

REVIEW_KIND = "risk.review"


# --- questionnaires ---------------------------------------------------------------------------------


def current_questionnaire(area: Area | None) -> RiskQuestionnaire:
    """The latest version for ``area``, else the latest for all areas (seeded by migration 0016)."""
    for area_id in ([area.id] if area is not None else []) + [None]:
        found = db.session.scalar(
            sa.select(RiskQuestionnaire)
            .where(RiskQuestionnaire.area_id.is_(None) if area_id is None else RiskQuestionnaire.area_id == area_id)
            .order_by(RiskQuestionnaire.version.desc())
            .limit(1)
        )
        if found is not None:
            return found
    # Only a database built without the migrations has none: give it the default.
    questionnaire = RiskQuestionnaire(
        area_id=None,
        version=1,
        title=DEFAULT_TITLE,
        questions=DEFAULT_QUESTIONS,
        medium_from=DEFAULT_MEDIUM_FROM,
        high_from=DEFAULT_HIGH_FROM,
    )
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire


def _validate_questions(
    questions: Sequence[Mapping[str, Any]], medium_from: int, high_from: int
) -> list[dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    cleaned: list[dict[str, Any]] = []
    keys: set[str] = set()
    if not questions:
        errors["questions"] = ["Add at least one question."]
    for index, question in enumerate(questions):
        prefix = f"questions.{index}"
        key, text = str(question.get("key") or "").strip(), str(question.get("text") or "").strip()
        if not key or key in keys:
            errors[f"{prefix}.key"] = ["Give each question its own key."]
        if not text:
            errors[f"{prefix}.text"] = ["Enter the question."]
        keys.add(key)
        options = []
        values: set[str] = set()
        for option in question.get("options") or []:
            value = str(option.get("value") or "").strip()
            weight = option.get("weight")
            if not value or value in values or not str(option.get("label") or "").strip():
                errors[f"{prefix}.options"] = ["Each answer needs its own value and a label."]
            if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
                errors[f"{prefix}.options"] = ["Each answer's weight must be a whole number from 0 to 100."]
            values.add(value)
            options.append(
                {
                    "value": value,
                    "label": str(option.get("label") or "").strip(),
                    "weight": weight,
                    "forces_high": bool(option.get("forces_high")),
                }
            )
        if len(options) < 2:
            errors[f"{prefix}.options"] = ["Give each question at least 2 answers."]
        cleaned.append({"key": key, "text": text, "hint": (question.get("hint") or None), "options": options})
    if not 0 < medium_from < high_from:
        errors["high_from"] = ["The high band must start above the medium band, and both above 0."]
    if errors:
        raise InvalidInput(errors)
    return cleaned


def save_questionnaire(
    actor: Any,
    area: Area | None,
    *,
    title: str,
    questions: Sequence[Mapping[str, Any]],
    medium_from: int,
    high_from: int,
) -> RiskQuestionnaire:
    """Store a new version (assessments already made keep the version they used)."""
    cleaned = _validate_questions(questions, medium_from, high_from)
    area_id = area.id if area is not None else None
    latest = db.session.scalar(
        sa.select(sa.func.max(RiskQuestionnaire.version)).where(
            RiskQuestionnaire.area_id.is_(None) if area_id is None else RiskQuestionnaire.area_id == area_id
        )
    )
    questionnaire = RiskQuestionnaire(
        area_id=area_id,
        version=(latest or 0) + 1,
        title=title.strip() or DEFAULT_TITLE,
        questions=cleaned,
        medium_from=medium_from,
        high_from=high_from,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(questionnaire)
    db.session.flush()
    label = area.code if area is not None else "all areas"
    record_change(
        actor,
        questionnaire,
        None,
        snapshot(questionnaire, ("area_id", "version", "title", "medium_from", "high_from", "questions")),
        f"Risk questionnaire version {questionnaire.version} for {label}",
    )
    return questionnaire


# --- scoring (pure) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    score: int
    band: RiskBand
    forced_high_by: list[str]


def score(questionnaire: RiskQuestionnaire, answers: Mapping[str, str]) -> Result:
    """Add the weights of the answers; a forcing answer makes the band high whatever the score."""
    errors: dict[str, list[str]] = {}
    known = {q["key"] for q in questionnaire.questions}
    for key in answers:
        if key not in known:
            errors[f"answers.{key}"] = ["Not a question in this questionnaire."]
    total, forced = 0, []
    for question in questionnaire.questions:
        chosen = answers.get(question["key"])
        option = next((o for o in question["options"] if o["value"] == chosen), None)
        if option is None:
            errors[f"answers.{question['key']}"] = [f"Answer: {question['text']}"]
            continue
        total += option["weight"]
        if option["forces_high"]:
            forced.append(question["key"])
    if errors:
        raise InvalidInput(errors)
    if forced or total >= questionnaire.high_from:
        band = RiskBand.high
    elif total >= questionnaire.medium_from:
        band = RiskBand.medium
    else:
        band = RiskBand.standard
    return Result(total, band, forced)


# --- assessments ------------------------------------------------------------------------------------


def _victim_party(case: Case, person_id: int) -> CaseParty:
    party = db.session.scalar(
        sa.select(CaseParty).where(
            CaseParty.case_id == case.id, CaseParty.person_id == person_id, CaseParty.role == PartyRole.victim
        )
    )
    if party is None:
        raise InvalidInput({"victim_person_id": ["Choose a victim on this case."]})
    return party


def _set_review_deadline(
    case: Case, assessment: RiskAssessment, subject: tuple[str, int], owner_id: int | None
) -> None:
    set_deadline(
        subject_type=subject[0],
        subject_id=subject[1],
        kind=REVIEW_KIND,
        title=f"Review {BAND_LABELS[assessment.band].lower()} risk on case {case.reference}",
        due=assessment.review_on,
        owner_id=owner_id,
        case_id=case.id,
        area_id=case.area_id,
        link=f"/cases/{case.id}/risk-assessments",
    )


def rearm_reviews(case: Case) -> int:
    """A reopened case's current risk reviews that are still to come are due again (its closure
    cancelled them): the latest assessment for the case and for each victim on it."""
    latest: dict[int | None, RiskAssessment] = {}
    for assessment in case_assessments(case.id):
        latest.setdefault(assessment.victim_person_id, assessment)
    count = 0
    for victim_id, assessment in latest.items():
        if assessment.review_on is None or assessment.review_on < today():
            continue
        party = (
            db.session.scalar(
                sa.select(CaseParty).where(
                    CaseParty.case_id == case.id,
                    CaseParty.person_id == victim_id,
                    CaseParty.role == PartyRole.victim,
                )
            )
            if victim_id is not None
            else None
        )
        subject = ("case_parties", party.id) if party is not None else ("cases", case.id)
        if deadline_states(*subject).get(REVIEW_KIND) not in (None, DeadlineStatus.cancelled):
            continue  # not cancelled by the closure
        _set_review_deadline(case, assessment, subject, case.owner_id or assessment.assessed_by_id)
        count += 1
    return count


def latest_assessment(
    case_id: int, victim_person_id: int | None = None, *, any_victim: bool = False
) -> RiskAssessment | None:
    query = sa.select(RiskAssessment).where(RiskAssessment.case_id == case_id)
    if not any_victim:
        query = query.where(
            RiskAssessment.victim_person_id.is_(None)
            if victim_person_id is None
            else RiskAssessment.victim_person_id == victim_person_id
        )
    return db.session.scalar(query.order_by(RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc()).limit(1))


def create_assessment(
    actor: Any,
    case: Case,
    answers: Mapping[str, str],
    *,
    victim_person_id: int | None = None,
    assessed_on: date | None = None,
    notes: str | None = None,
) -> RiskAssessment:
    assessed_on = assessed_on or today()
    if assessed_on > today():
        raise InvalidInput({"assessed_on": ["The date of the assessment cannot be in the future."]})
    party = _victim_party(case, victim_person_id) if victim_person_id is not None else None
    questionnaire = current_questionnaire(case.area)
    result = score(questionnaire, answers)
    previous = latest_assessment(case.id, victim_person_id)
    days = area_settings(case.area, on=assessed_on)[f"risk_review_days_{result.band.value}"]
    assessment = RiskAssessment(
        case_id=case.id,
        victim_person_id=victim_person_id,
        questionnaire_id=questionnaire.id,
        answers=dict(answers),
        score=result.score,
        band=result.band,
        forced_high_by=result.forced_high_by,
        assessed_on=assessed_on,
        review_on=assessed_on + timedelta(days=days) if days else None,
        notes=(notes or None),
        assessed_by_id=actor.id,
    )
    db.session.add(assessment)
    db.session.flush()
    subject = ("case_parties", party.id) if party is not None else ("cases", case.id)
    if assessment.review_on is not None:
        _set_review_deadline(case, assessment, subject, case.owner_id or actor.id)
    else:
        close_deadline(subject[0], subject[1], REVIEW_KIND)
    record_change(
        actor,
        assessment,
        None,
        snapshot(
            assessment,
            ("case_id", "victim_person_id", "questionnaire_id", "answers", "score", "band", "assessed_on", "review_on"),
        ),
        f"Risk assessed as {result.band.value} on case {case.reference}",
    )
    if result.band == RiskBand.high and (previous is None or previous.band != RiskBand.high):
        _tell_manager(case, assessment, actor)
    return assessment


def _tell_manager(case: Case, assessment: RiskAssessment, actor: Any, *, key: str | None = None) -> Any:
    """Email the case owner's manager that the case is now high risk. The email names the case (its
    reference, owner, score and link) only to a manager who may see it (``SeenCases``, the rule every
    email about a case follows, as ``casework.reminders.titles`` does for deadlines): a manager not
    named on a restricted case is told only that a case they cannot see, held by an agency, is now
    high risk. ``key``: another key than the assessment's (one queued in place of a withdrawn email).
    Answers the message queued (the one already queued under ``key``), or None when there is no
    manager to tell."""
    key = key or f"risk-high:{assessment.id}"
    owner = case.owner
    manager = owner.manager if owner is not None else None
    if manager is None or not manager.is_active:
        return None
    seen = SeenCases(manager, ids=[case.id])
    if not seen.can_see(case.id):
        return queue_email(
            to=manager,
            subject="High risk on a case you cannot see",
            text=(
                f"A case you cannot see, held by {seen.holder(case.id) or 'another agency'}, has been assessed "
                "as high risk. Only the people named on it may see it, so this email does not say which "
                "case it is.\n"
            ),
            key=key,
            related=("risk_assessments", assessment.id),
        )
    review = f"{assessment.review_on.day} {assessment.review_on:%B %Y}" if assessment.review_on else "not set"
    return queue_email(
        to=manager,
        subject=f"High risk: case {case.reference}",
        text=(
            f"Case {case.reference}, owned by {owner.name}, has been assessed as high risk by {actor.name} "
            f"(score {assessment.score}).\n\nThe next review is due by {review}.\n\n"
            "Open the case in Casework to see the assessment: "
            f"{external_url('staff.risk.history', case_id=case.id)}\n"
        ),
        key=key,
        related=("risk_assessments", assessment.id),
    )


def unsent_still_readable(message: Any) -> str | None:
    """Why the high-risk email not sent yet should no longer go (``None``: it should): it names the case
    (its reference, owner, score and link) to a manager who could see it when it was written; while it
    waits for a mail server that is down, the case may be restricted without them. Asked just before
    sending (``notifications.tasks``)."""
    from casework.accounts.models import User

    assessment = db.session.get(RiskAssessment, message.related_id)
    if assessment is None:
        return None
    case = db.session.get(Case, assessment.case_id)
    if case is None or case.reference not in message.body_text:
        return None  # written for a manager who could not see it: it names no case
    manager = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == message.to_address.lower()))
    if manager is None or not SeenCases(manager, ids=[case.id]).can_see(case.id):
        return "the case it names is withheld from its recipient now"
    return None


def replace_unsent_high_risk(message: Any) -> Any:
    """In place of a high-risk email just withdrawn because its case was restricted without the manager
    (``unsent_still_readable``): the email a manager who may not see the case is sent ("a case you
    cannot see, held by ..., has been assessed as high risk"), while they are still the case owner's
    manager, so they still learn that their team holds high-risk work. A manager no longer the owner's
    is owed nothing here. Answers the message queued, or None."""
    from casework.notifications.services import replacement_key

    assessment = db.session.get(RiskAssessment, message.related_id)
    case = db.session.get(Case, assessment.case_id) if assessment is not None else None
    if assessment is None or case is None or case.anonymised_at is not None:
        return None
    manager = case.owner.manager if case.owner is not None else None
    if manager is None or manager.email.lower() != message.to_address.lower():
        return None
    return _tell_manager(case, assessment, assessment.assessed_by, key=replacement_key(message))


def case_assessments(case_id: int) -> Sequence[RiskAssessment]:
    return db.session.scalars(_CASE_ASSESSMENTS, {"case_id": case_id}).unique().all()


#: Built once (the case as a bind parameter): building a statement costs more than running it.
CASE_ASSESSMENT_OPTIONS = (
    joined_user_name(RiskAssessment.assessed_by),
    sa.orm.joinedload(RiskAssessment.victim),
    sa.orm.joinedload(RiskAssessment.questionnaire),
)
_CASE_ASSESSMENTS = (
    sa.select(RiskAssessment)
    .where(RiskAssessment.case_id == sa.bindparam("case_id"))
    .options(*CASE_ASSESSMENT_OPTIONS)
    .order_by(RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc())
)


# --- retention ---------------------------------------------------------------------------------------


def anonymise_case_assessments(case_id: int, report: Any) -> None:
    """The answers and notes of a case's assessments go; the band, score and dates stay (counts)."""
    assessments = list(db.session.scalars(sa.select(RiskAssessment).where(RiskAssessment.case_id == case_id)))
    from casework.core.retention import anonymise

    for assessment in assessments:
        anonymise(assessment)
    db.session.flush()
    report.add("risk_assessments", [a.id for a in assessments])


# --- subject access -------------------------------------------------------------------------------------


def export_section(person: Any, access: Any) -> list[dict[str, Any]]:
    """The risk assessments about the person (as a victim, or of a case on which they are a victim);
    another person's assessment only in the full version.

    An assessment naming no victim is of the case as a whole, and so about each victim on it, but not
    once the case is anonymised: retention then unlinks a victim who lives on from the case's records
    (``data_protection.retention.unlink_living_people``), and her assessment, naming no victim any more,
    cannot be told from one of the case as a whole. It is withheld then, rather than shown to another
    victim of the case (one kept longer than the case, on no case that is kept)."""
    if not access.shown_case_ids:
        return []
    rows = db.session.execute(
        sa.select(RiskAssessment, Case.reference, Case.anonymised_at)
        .join(Case, Case.id == RiskAssessment.case_id)
        .where(RiskAssessment.case_id.in_(access.shown_case_ids))
        .options(sa.orm.joinedload(RiskAssessment.questionnaire))
        .order_by(RiskAssessment.assessed_on, RiskAssessment.id)
    ).unique()
    found = []
    for assessment, reference, anonymised_at in rows:
        if assessment.victim_person_id is not None:
            about_them = assessment.victim_person_id == person.id
        else:
            about_them = anonymised_at is None and access.has_role(assessment.case_id, "victim")
        if not (about_them or access.full):
            continue
        questions = {q["key"]: q for q in assessment.questionnaire.questions}
        found.append(
            {
                "case": reference,
                "assessed_on": assessment.assessed_on.isoformat(),
                "band": assessment.band.value,
                "score": assessment.score,
                "review_on": assessment.review_on.isoformat() if assessment.review_on else None,
                "answers": [
                    {"question": questions.get(key, {}).get("text", key), "answer": value}
                    for key, value in (assessment.answers or {}).items()
                ],
                "notes": access.redact(assessment.notes),
            }
        )
    return found


# --- merging duplicate people ----------------------------------------------------------------------------


def move_person_records(merge: Any) -> None:
    ids = list(
        db.session.scalars(sa.select(RiskAssessment.id).where(RiskAssessment.victim_person_id == merge.merged_id))
    )
    db.session.execute(
        sa.update(RiskAssessment).where(RiskAssessment.id.in_(ids)).values(victim_person_id=merge.kept_id)
    )
    merge.record("risk_assessments", ids)


def restore_person_records(merge: Any) -> None:
    db.session.execute(
        sa.update(RiskAssessment)
        .where(RiskAssessment.id.in_(merge.ids("risk_assessments")))
        .values(victim_person_id=merge.merged_id)
    )


# --- the person page ---------------------------------------------------------------------------------------


def person_section(person: Any, user: Any) -> dict[str, Any]:
    """The person's risk assessments (as a victim) on the cases the user can see; a count for the rest."""
    from casework.cases.person_sections import hidden_cases
    from casework.cases.policies import visible_cases_clause

    about = sa.select(RiskAssessment.case_id).where(RiskAssessment.victim_person_id == person.id)
    rows = db.session.execute(
        sa.select(RiskAssessment, Case.reference)
        .join(Case, Case.id == RiskAssessment.case_id)
        .where(RiskAssessment.victim_person_id == person.id, visible_cases_clause(user))
        .order_by(RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc())
    ).all()
    return {"person_risk": rows, "person_risk_hidden": hidden_cases(user, about), "risk_band_labels": BAND_LABELS}
