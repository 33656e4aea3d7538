"""The made-up records every admin template is checked on before it is saved (``samples()`` of the
Case Review letters, the notices and the threshold watch's tell-the-victim letter) have the shape of
the real records of the same kind, for every kind of template there is.

The kinds come from their registries (``LetterKind``, ``NoticeKind`` and the watch's one ``KIND``), so
a kind added later is walked too, and fails here until it has real records to be compared with. For
each kind, the values the service builds from real records (``context_for``, on rows written to the
database: interventions through their services, the Case Review's rows as its services leave them),
each in its fullest form, with only what the kind requires, and with every value an enum may take,
are compared with the made-up ones:

- the made-up values have exactly the keys the real ones have, at every level (a template that reads
  a key real records lack fails on every real record; one that reads a key the made-up ones lack is
  refused for nothing);
- every value a real record can leave empty (None, "", an empty list) is empty in at least one
  made-up record, in the same way (``None.strip()`` fails where ``"".strip()`` does not), and every
  kind of value a real record holds (a date, a number) is held by a made-up one;
- every value of a yes/no or of an enum that a real record can hold is held by a made-up record (a
  template that looks up ``decision.basis`` in a table missing one basis breaks on real records).

So a template that assumes a value is present, or has one of some values, is refused when it is
saved, not when a real letter fails to render.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import time_machine

import casework
from casework.community_triggers import letters
from casework.community_triggers.models import (
    Appeal,
    AppealDecision,
    ApplicantRole,
    Channel,
    DecisionBasis,
    LetterKind,
    LetterRecipient,
    Recommendation,
    ReviewMeeting,
    ThresholdDecision,
    TriggerApplication,
)
from casework.community_triggers.pcc_review.models import PccReview, PccReviewOutcome
from casework.core.db import commit
from casework.documents.models import Letterhead
from casework.extensions import db
from casework.interventions import notices, services
from casework.interventions.models import Intervention, InterventionKind, NoticeKind, ServiceMethod
from casework.threshold_watch import message
from tests.interventions import world as interventions_world

world = interventions_world.world

#: Every kind of admin template: (what it is, its kind), from the registries of kinds.
KINDS: list[tuple[str, Enum | str]] = [
    *(("letter", kind) for kind in LetterKind),
    *(("notice", kind) for kind in NoticeKind),
    ("tell the victim", message.KIND),
]

#: Values that stand for an enum: every value a real record may hold must be in a made-up one.
ENUM_PATHS = frozenset({"decision.basis", "related.kind", "law.fixed_penalty_section"})

EMPTY = (None, "")
CLOSURE_AT = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
#: What an intervention of any kind may be recorded with (the API takes every field for every kind, and
#: ``services.create_intervention`` keeps them) that a notice shows: a real notice may hold any of them.
EVERY_DETAIL: dict[str, Any] = {
    "comply_by": date(2026, 12, 2),
    "requirements": "Remove the speakers.",
    "prohibitions": "No music.",
    "location": "9 Station Road",
    "amount": Decimal("100"),
    "discount_amount": Decimal("75"),
    "discount_days": 10,
    "duration_hours": 24,
    "authorised_by": "Inspector Ann",
    "issuing_officer_name": "PC Smith",
}


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def _samples(family: str, kind: Any) -> list[dict[str, Any]]:
    if family == "letter":
        return [sample.context for sample in letters.samples(kind)]
    if family == "notice":
        return [sample.context for sample in notices.samples(kind)]
    return [sample.context for sample in message.samples()]


# --- real records of each kind, built as the service builds them -------------------------------------------


def _application(w: Any, *, full: bool, sequence: int = 1) -> TriggerApplication:
    """An application with everything given (applied for a victim, acknowledged), or with only what
    registration requires."""
    extra: dict[str, Any] = {}
    if full:
        extra = {
            "applicant_role": ApplicantRole.on_behalf,
            "consent_given": True,
            "applicant_email": "rita@example.org",
            "applicant_address": "1 High Street",
            "victim_name": "Vera Victim",
            "victim_email": "vera@example.org",
            "acknowledged_on": date(2026, 6, 4),
        }
    application = TriggerApplication(
        reference=f"BOL-CT-2026-{sequence:04d}",
        area_id=w.area.id,
        year=2026,
        sequence=sequence,
        received_on=date(2026, 6, 2),
        channel=Channel.phone,
        applicant_name="Rita Real" if full else "Rita",
        applicant_role=extra.pop("applicant_role", ApplicantRole.victim),
        description="Noise",
        **extra,
    )
    db.session.add(application)
    db.session.flush()
    return application


def _decision(application: TriggerApplication, met: bool, basis: DecisionBasis | None, *, full: bool) -> Any:
    decision = ThresholdDecision(
        application_id=application.id,
        met=met,
        basis=basis,
        decided_on=date(2026, 6, 20),
        **(
            {"reasons": "Reasons.", "persistence": "Nightly.", "harm": "Lost sleep.", "adequacy": "Patchy."}
            if full
            else {}
        ),
    )
    db.session.add(decision)
    db.session.flush()
    return decision


def _meeting(w: Any, application: TriggerApplication, *, held: bool, full: bool) -> ReviewMeeting:
    meeting = ReviewMeeting(
        application_id=application.id,
        scheduled_on=date(2026, 7, 14),
        chair_id=w.chair.id,
        held_on=date(2026, 7, 14) if held else None,
        location="The Arc" if full else None,
        # The outcome and the minutes are recorded when the meeting is held.
        **({"outcome": "A joint plan.", "minutes": "Minutes."} if full and held else {}),
    )
    db.session.add(meeting)
    db.session.flush()
    if held and full:
        for owner in (w.officer, None):
            db.session.add(
                Recommendation(
                    meeting_id=meeting.id,
                    text="Patrol.",
                    agency_id=w.council.id,
                    owner_id=owner.id if owner else None,
                    due_on=date(2026, 8, 1),
                )
            )
        db.session.flush()
    db.session.refresh(meeting)
    return meeting


def _real_letters(w: Any, kind: LetterKind) -> Iterator[dict[str, Any]]:
    """The values ``letters.produce`` fills a letter of ``kind`` in with (the same arguments as the
    steps' receivers give it), for real records in every shape the kind can take."""
    sequence = iter(range(1, 1000))
    for full in (True, False):
        application = _application(w, full=full, sequence=next(sequence))
        if kind == LetterKind.acknowledgement:
            yield letters.context_for(application)
        elif kind == LetterKind.threshold_decision:
            for met, basis in [(True, None), *((True, basis) for basis in DecisionBasis), (False, None)]:
                yield letters.context_for(application, decision=_decision(application, met, basis, full=full))
        elif kind == LetterKind.meeting_invitation:
            yield letters.context_for(application, meeting=_meeting(w, application, held=False, full=full))
        elif kind == LetterKind.outcome:
            meeting = _meeting(w, application, held=True, full=full)
            for recipient in LetterRecipient:
                yield letters.context_for(application, meeting=meeting, recipient=recipient)
        elif kind == LetterKind.appeal_decision:
            for decision in AppealDecision:
                appeal = Appeal(
                    application_id=application.id,
                    received_on=date(2026, 7, 20),
                    grounds="Not heard.",
                    decision=decision,
                    decided_on=date(2026, 8, 5),
                    decision_reasons="Reasons." if full else None,
                )
                db.session.add(appeal)
                db.session.flush()
                yield letters.context_for(application, appeal=appeal)
        elif kind in (LetterKind.pcc_review_request, LetterKind.pcc_review_outcome):
            decision = _decision(application, False, None, full=full)
            outcomes = [None] if kind == LetterKind.pcc_review_request else list(PccReviewOutcome)
            for outcome in outcomes:
                review = PccReview(
                    application_id=application.id,
                    decision_id=decision.id,
                    requested_on=date(2026, 6, 25),
                    grounds="Not counted.",
                    outcome=outcome,
                    decided_on=date(2026, 7, 20) if outcome else None,
                    **(
                        {"reviewer_name": "The PCC's office", "outcome_reasons": "Reasons."} if full and outcome else {}
                    ),
                )
                db.session.add(review)
                db.session.flush()
                db.session.refresh(application)
                yield letters.context_for(application, pcc_review=review)
        else:
            raise AssertionError(f"no real records are built for {kind} letters: add them here")


def _intervention(w: Any, **data: Any) -> Any:
    intervention, _warnings = services.create_intervention(w.officer, w.case, data)
    commit()
    return intervention


def _earlier(w: Any, kind: InterventionKind, *, located: bool) -> Intervention:
    """An earlier intervention on the case that a notice may name (``related``): any kind on the case
    (``services._related``). Only its kind, day and place reach a notice."""
    row = Intervention(
        case_id=w.case.id,
        kind=kind,
        issuing_agency_id=w.council.id,
        issued_on=date(2026, 9, 1),
        location="9 Station Road" if located else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _naming_every_kind(w: Any, make: Callable[[dict[str, Any]], Any]) -> Iterator[Any]:
    """The notice ``make`` records, naming an earlier intervention of every kind in turn."""
    for number, kind in enumerate(InterventionKind):
        yield make({"related_intervention_id": _earlier(w, kind, located=number % 2 == 0).id})


def _letterhead(w: Any, *, payment: bool, advice: bool) -> None:
    row = db.session.query(Letterhead).filter_by(area_id=w.area.id).one_or_none()
    if row is None:
        row = Letterhead(area_id=w.area.id, name="Bolsover Community Safety Partnership")
        db.session.add(row)
    row.fixed_penalty_payment = "Pay at The Arc." if payment else None
    row.housing_and_legal_advice = "Citizens Advice." if advice else None
    db.session.flush()


def _service(kind: NoticeKind, *, full: bool, served_at: datetime, hearing_at: datetime | None = None) -> Any:
    """What the officer gives when serving (``check_service`` says what each kind requires)."""
    details: dict[str, Any] = {
        NoticeKind.cpw: {"conduct": "Music."},
        NoticeKind.cpn: {"conduct": "Music."},
        NoticeKind.fpn: {"particulars": "Music at 2am."},
        NoticeKind.closure_notice: {"hearing_at_value": hearing_at, "court": "Chesterfield Magistrates' Court"},
    }[kind]
    return notices.Service(
        recipient_name="Adam Adult" if full else "Adam",
        recipient_address="9 Station Road" if full else "",
        served_at=served_at,
        method=ServiceMethod.post if full else ServiceMethod.by_hand,
        served_by_name="Olive Officer",
        details=details,
    )


def _real_notices(w: Any, kind: NoticeKind) -> Iterator[dict[str, Any]]:
    """The values ``notices.compose`` fills a notice of ``kind`` in with, for real interventions in
    every shape the kind can take: with everything its rules allow, and with only what they require."""
    served = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
    subject = {"subject_person_id": w.adult.id}
    if kind in (NoticeKind.cpn, NoticeKind.fpn):
        # A CPN needs a warning to the same person on the case first.
        _intervention(w, kind="cpw", issued_on=date(2026, 10, 1), comply_by=date(2026, 10, 20), **subject)
    for full in (True, False):
        _letterhead(w, payment=full or kind == NoticeKind.fpn, advice=full or kind == NoticeKind.closure_notice)
        service = _service(kind, full=full, served_at=served)
        if kind == NoticeKind.cpw:
            given = EVERY_DETAIL if full else {"comply_by": date(2026, 11, 20)}

            def cpw(extra: dict[str, Any], given: dict[str, Any] = given) -> Any:
                return _intervention(w, kind="cpw", issued_on=date(2026, 11, 2), **subject, **given, **extra)

            yield notices.context_for(cpw({}), service)
            if full:
                for notice in _naming_every_kind(w, cpw):
                    yield notices.context_for(notice, service)
        elif kind == NoticeKind.cpn:
            given = EVERY_DETAIL if full else {"prohibitions": "No music."}

            def cpn(extra: dict[str, Any], given: dict[str, Any] = given) -> Any:
                return _intervention(w, kind="cpn", issued_on=date(2026, 11, 18), **subject, **given, **extra)

            yield notices.context_for(cpn({}), service)
            if full:
                for notice in _naming_every_kind(w, cpn):
                    yield notices.context_for(notice, service)
        elif kind == NoticeKind.fpn:
            cpn = _intervention(
                w,
                kind="cpn",
                issued_on=date(2026, 11, 2),
                prohibitions="No music.",
                location="9 Station Road" if full else None,
                **subject,
            )
            pspo = _intervention(
                w,
                kind="pspo",
                issued_on=date(2026, 1, 5),
                ends_on=date(2027, 1, 4),
                prohibitions="No drinking.",
                location="The Market Place" if full else None,
            )
            for related in (cpn, pspo):
                fpn = _intervention(
                    w,
                    kind="fpn",
                    issued_on=date(2026, 11, 22),
                    related_intervention_id=related.id,
                    **subject,
                    **(EVERY_DETAIL if full else {"amount": Decimal("100")}),
                )
                yield notices.context_for(fpn, service)
        elif kind == NoticeKind.closure_notice:
            # A closure notice is served at the moment recorded as its issue.
            hearing = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
            service = _service(kind, full=full, served_at=CLOSURE_AT, hearing_at=hearing)
            given = EVERY_DETAIL if full else {}

            def closure(extra: dict[str, Any], given: dict[str, Any] = given) -> Any:
                return _intervention(
                    w, kind="closure_notice", issued_on=date(2026, 11, 23), issued_at=CLOSURE_AT, **given, **extra
                )

            yield notices.context_for(closure({}), service)
            if full:
                for notice in _naming_every_kind(w, closure):
                    yield notices.context_for(notice, service)
        else:
            raise AssertionError(f"no real records are built for {kind} notices: add them here")


def _real_tell_victim(w: Any, kind: str) -> Iterator[dict[str, Any]]:
    """The values ``message.message_for`` fills the letter in with, for a real victim."""
    assert kind == message.KIND
    for name in ("Vera Victim", "Vera"):
        yield message._context(w.person(name, None, on_case=False).name, w.area.name, date(2026, 11, 23))


REAL: dict[str, Callable[[Any, Any], Iterator[dict[str, Any]]]] = {
    "letter": _real_letters,
    "notice": _real_notices,
    "tell the victim": _real_tell_victim,
}


# --- comparing shapes --------------------------------------------------------------------------------------


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Each value with its path (a list's items under ``path[]``), containers included."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item, f"{path}[]")


def _keys(context: dict[str, Any]) -> dict[str, frozenset[str]]:
    """Each dict's path and its keys (every item of a list under the list's ``path[]``)."""
    found: dict[str, set[str]] = {}
    for path, value in _walk(context):
        if isinstance(value, dict):
            found.setdefault(path, set()).update(value)
    return {path: frozenset(keys) for path, keys in found.items()}


def _kind_of(value: Any) -> str:
    if value is None:
        return "None"
    if value == "" and isinstance(value, str):
        return "empty text"
    if isinstance(value, list | tuple):
        return "a list" if value else "an empty list"
    if isinstance(value, dict):
        return "a dict" if value else "an empty dict"
    return type(value).__name__


def _kinds(contexts: list[dict[str, Any]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for context in contexts:
        for path, value in _walk(context):
            found.setdefault(path, set()).add(_kind_of(value))
    return found


def _values(contexts: list[dict[str, Any]], wanted: Callable[[str, Any], bool]) -> dict[str, set[Any]]:
    found: dict[str, set[Any]] = {}
    for context in contexts:
        for path, value in _walk(context):
            if wanted(path, value):
                found.setdefault(path, set()).add(value)
    return found


def _enum_like(path: str, value: Any) -> bool:
    return isinstance(value, bool) or (path in ENUM_PATHS and value not in EMPTY)


def _key_gaps(context: dict[str, Any], expected: dict[str, frozenset[str]]) -> list[str]:
    """Where ``context`` has other keys than ``expected`` (a list that is empty in it has no items to
    have keys)."""
    found: list[str] = []
    keys = _keys(context)
    empty_lists = [path for path, value in _walk(context) if value == [] and path]
    for path in sorted(set(keys) | set(expected)):
        if path not in keys:
            if not any(path.startswith(f"{empty}[]") for empty in empty_lists):
                found.append(f"has no {path or 'values'}")
        elif path not in expected:
            found.append(f"has {path}, which real records do not")
        elif keys[path] != expected[path]:
            extra, missing = sorted(keys[path] - expected[path]), sorted(expected[path] - keys[path])
            found.append(f"{path or 'the values'} has {extra} more and lacks {missing}")
    return found


def gaps(made_up: list[dict[str, Any]], real: list[dict[str, Any]]) -> list[str]:
    """How the made-up records differ from the real ones, in words (nothing when they have their shape)."""
    real_keys: dict[str, frozenset[str]] = {}
    for context in real:
        for path, keys in _keys(context).items():
            real_keys[path] = real_keys.get(path, frozenset()) | keys
    for context in real:
        assert _key_gaps(context, real_keys) == [], "real records of one kind have different keys"
    found = [
        f"sample {number}: {gap}" for number, sample in enumerate(made_up, 1) for gap in _key_gaps(sample, real_keys)
    ]
    made_up_kinds = _kinds(made_up)
    for path, kinds in sorted(_kinds(real).items()):
        lacking = kinds - made_up_kinds.get(path, set())
        if lacking:
            found.append(f"{path}: real records hold {sorted(lacking)}, no made-up record does")
    made_up_values = _values(made_up, _enum_like)
    for path, values in sorted(_values(real, _enum_like).items()):
        lacking = values - made_up_values.get(path, set())
        if lacking:
            found.append(f"{path}: real records hold {sorted(lacking, key=str)}, no made-up record does")
    return found


# --- the tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("family", "kind"), KINDS, ids=[f"{family}-{kind}" for family, kind in KINDS])
def test_the_made_up_records_have_the_shape_of_real_ones(world, app, family, kind):
    with app.test_request_context():
        real = list(REAL[family](world, kind))
        made_up = _samples(family, kind)
    assert real
    found = gaps(made_up, real)
    assert not found, "the made-up records differ from real ones:\n" + "\n".join(found)
    # And the comparison would see it if the made-up records stopped leaving out any one of the values
    # real records leave out: drop the made-up records that leave it out, and it is named.
    left_out = {(path, _kind_of(value)) for context in real for path, value in _walk(context) if _empty(value)}
    assert left_out or family == "tell the victim"
    for path, empty in sorted(left_out):
        others = [sample for sample in made_up if (path, empty) not in set(_left_out_in(sample))]
        assert any(gap.startswith(f"{path}: real records hold") and empty in gap for gap in gaps(others, real)), path


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _left_out_in(context: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, value in _walk(context):
        if _empty(value):
            yield path, _kind_of(value)


def test_every_kind_of_template_is_walked():
    """The kinds walked are every kind the admin pages offer, and the modules checking admins'
    templates are the three walked here: another would need its kinds added to ``KINDS``."""
    assert {kind for family, kind in KINDS if family == "letter"} == set(letters.DEFAULT_TEMPLATES)
    assert {kind.value for family, kind in KINDS if family == "notice"} == set(notices.DEFAULT_TEMPLATES)
    root = Path(casework.__file__).parent
    checking = {
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if "check_before_saving(" in path.read_text(encoding="utf-8") and path.name != "safe_templates.py"
    }
    assert checking == {"community_triggers/letters.py", "interventions/notices.py", "threshold_watch/message.py"}


def test_the_comparison_finds_each_kind_of_gap():
    """What ``gaps`` is for: a key too many or missing, a value real records leave empty that no made-up
    record does, a kind of value or an enum's value no made-up record holds."""
    real = [
        {"a": {"name": "Ann", "on": date(2026, 1, 1), "basis": "x"}, "items": [{"t": "x"}], "flag": True},
        {"a": {"name": "", "on": None, "basis": "y"}, "items": [], "flag": False},
    ]
    assert gaps(real, real) == []
    found = gaps(
        [{"a": {"name": "Ann", "on": date(2026, 1, 1), "extra": 1}, "items": [{"t": "x"}], "flag": True}], real
    )
    assert any("a has ['extra'] more and lacks ['basis']" in gap for gap in found)
    assert any(gap.startswith("a.name: real records hold ['empty text']") for gap in found)
    assert any(gap.startswith("a.on: real records hold ['None']") for gap in found)
    assert any(gap.startswith("items: real records hold ['an empty list']") for gap in found)
    assert any(gap.startswith("flag: real records hold [False]") for gap in found)
