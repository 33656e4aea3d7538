"""The threshold watch: victims who meet, or are one short of, the Case Review threshold before they apply.

Each victim is evaluated across all their cases and agencies with the same pure engine that checks an
application (``casework.community_triggers.threshold``), as if they applied today, with the rules in
force today in each area where they are a victim or complainant on a case. The ledger's complaints
carry the person who made them, so a victim's complaints to the council, the police and their landlord
are one list however many cases they sit on. Two records that may be the same person are never joined
by a guess: the board offers the merge (``possible_duplicates``) and counts nothing across them.

One function evaluates any set of people with a fixed number of statements (``evaluate_people``): the
nightly pass gives it everyone with a recent complaint, the incremental check (on
``lifecycle.complaint_recorded``) the complainants just recorded. The nightly pass reads the complaints
only of people an SQL prefilter cannot rule out (``_could_be_within_one``: a safe superset, never the
rule), and writes only the entries whose finding changed (the working names the day of the evaluation
when shown, ``shown_working``). Measured in bench/threshold_watch_bench.py (docs/performance.md).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency, Area
from casework.accounts.services import area_settings
from casework.audit.reads import note_shown
from casework.audit.services import record_change, snapshot
from casework.cases import settings as case_settings
from casework.cases.models import Case, CaseParty, CaseStatus, Complaint, Incident, PartyRole, Person
from casework.cases.policies import SeenCases, visible_people_clause
from casework.community_triggers import threshold
from casework.community_triggers.models import ApplicationStatus, TriggerApplication, application_cases
from casework.community_triggers.settings import threshold_rules
from casework.core.dates import add_working_days
from casework.core.db import shared_alias
from casework.core.errors import InvalidInput, NotFound, RuleViolation
from casework.core.time import today
from casework.extensions import db
from casework.reminders.services import (
    close_deadline,
    delete_deadlines_of,
    open_deadlines,
    rearm,
    stranded_deadlines,
)
from casework.reminders.settings import LEAD_WORKING_DAYS
from casework.risk.models import RiskAssessment, RiskBand
from casework.threshold_watch.models import ToldMethod, WatchEntry, WatchPass

#: The case owner's task to tell a victim who meets the threshold of their right to a Case Review.
TELL_KIND = "threshold_watch.tell_victim"
#: Applications still being dealt with: a victim with one is listed apart, with it.
OPEN_APPLICATION = (
    ApplicationStatus.received,
    ApplicationStatus.threshold_met,
    ApplicationStatus.meeting_arranged,
    ApplicationStatus.appealed,
)
#: The parties whose complaints the watch follows.
VICTIM_ROLES = (PartyRole.victim, PartyRole.complainant)
#: Ids per statement (SQLite allows 32,766 bound parameters; PostgreSQL 65,535).
CHUNK = 5_000


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _months_before(day: date, months: int) -> date:
    from calendar import monthrange

    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


@dataclass
class PassReport:
    """What a pass did: people evaluated, entries found (kept or new), entries written (new or
    changed), entries removed, tasks raised, tasks moved off a closed case to an open one."""

    evaluated: int = 0
    entries: int = 0
    written: int = 0
    removed: int = 0
    tasks_raised: int = 0
    tasks_moved: int = 0


@dataclass
class _Complaint:
    input: threshold.ComplaintInput
    case_id: int
    holding_agency: str


@dataclass
class _Rules:
    area: Area
    rules: threshold.ThresholdRules
    tell_working_days: int
    reminder_lead_working_days: int


def _rules_by_area(on: date, area_ids: Iterable[int] | None = None, *, known: Iterable[Area] = ()) -> dict[int, _Rules]:
    """Each area's rules in force on ``on`` (every area, or those listed: the incremental check reads
    only the areas of one victim's cases, ``known`` already loaded with them)."""
    areas = {a.id: a for a in known}
    query: sa.Select[tuple[Area]] | None = sa.select(Area)
    if area_ids is not None:
        wanted = sorted(set(area_ids) - set(areas))
        query = sa.select(Area).where(Area.id.in_(wanted)) if wanted else None
    if query is not None:
        areas.update({a.id: a for a in db.session.scalars(query)})
    found = {}
    for area in areas.values():
        values = area_settings(area, on=on)
        found[area.id] = _Rules(
            area,
            threshold_rules(values),
            values[case_settings.EXPLAIN_CASE_REVIEW_WORKING_DAYS],
            int(values[LEAD_WORKING_DAYS]),
        )
    return found


def _complaint_cutoff(rules: Iterable[_Rules], on: date) -> date:
    """Complaints reported before this day cannot qualify in any area today (the longest look-back)."""
    longest = max((r.rules.lookback_months for r in rules), default=6)
    return _months_before(on, longest + 1)


def _could_be_within_one(since: date, on: date, fewest: int) -> sa.Select[tuple[int]]:
    """The people who may have ``fewest`` qualifying complaints on ``on`` in some area (the nightly
    pass's candidates), as a subquery: a safe superset, never the rule itself.

    The engine (``threshold.evaluate``) stays the one source of the rule; this only drops people who
    certainly cannot reach ``fewest`` (the lowest automatic threshold in force less one): a ledger
    complaint names no complainant, so the engine counts at most one per day of behaviour, and only a
    complaint that caused harassment, alarm or distress, reported on or after that day, on or before
    ``on`` and no earlier than ``since`` (before the longest look-back) can count. The number of such
    days is therefore never below the number of qualifying complaints in any area. The periods' exact
    ends are left to the engine."""
    return (
        sa.select(Complaint.complainant_person_id)
        .join(Incident, Incident.id == Complaint.incident_id)
        .where(
            Complaint.complainant_person_id.is_not(None),
            Complaint.reported_on >= since,
            Complaint.reported_on <= on,
            Complaint.reported_on >= Incident.occurred_on,
            Incident.causes_had.is_(True),
        )
        .group_by(Complaint.complainant_person_id)
        .having(sa.func.count(sa.distinct(Incident.occurred_on)) >= fewest)
    )


@cache
def _agency_aliases() -> tuple[Any, Any]:
    """The agency a complaint was made to and the agency holding its case, made once (an alias made per
    call costs the incremental check milliseconds to adapt its statement each time) and on first use (an
    alias made at import would configure the mappers before every domain's models are imported)."""
    return shared_alias(Agency, name="receiving_agency"), shared_alias(Agency, name="holding_agency")


def _complaints_of(
    person_ids: Sequence[int] | None, since: date, *, among: sa.Select[tuple[int]] | None = None
) -> dict[int, list[_Complaint]]:
    """Every complaint each person made since ``since``, on any case, to any agency (one statement per
    chunk of people; for everyone, one statement, limited to the people ``among`` selects)."""
    receiving, holding = _agency_aliases()
    statement = (
        sa.select(
            Complaint.complainant_person_id,
            Complaint.reported_on,
            Complaint.reference,
            Incident.id,
            Incident.occurred_on,
            Incident.causes_had,
            Incident.hate_motivated,
            Case.id,
            Case.reference,
            receiving.code,
            holding.code,
        )
        .join(Incident, Incident.id == Complaint.incident_id)
        .join(Case, Case.id == Incident.case_id)
        .join(receiving, receiving.id == Complaint.agency_id)
        .join(holding, holding.id == Case.lead_agency_id)
        .where(Complaint.reported_on >= since, Complaint.complainant_person_id.is_not(None))
        # In the ledger's order: the engine breaks ties (which of two complaints about one day is
        # counted) by the order it is given, so an unchanged ledger gives the same working each time.
        .order_by(Complaint.id)
    )
    if among is not None:
        statement = statement.where(Complaint.complainant_person_id.in_(among))
    found: dict[int, list[_Complaint]] = defaultdict(list)
    batches = (
        [statement]
        if person_ids is None
        else [statement.where(Complaint.complainant_person_id.in_(chunk)) for chunk in _chunks(person_ids)]
    )
    complaint_input = threshold.ComplaintInput
    for batch in batches:
        for (
            person_id,
            reported_on,
            reference,
            incident_id,
            occurred_on,
            causes_had,
            hate,
            case_id,
            case_ref,
            agency_code,
            holding_code,
        ) in db.session.execute(batch).tuples():
            found[person_id].append(
                _Complaint(
                    complaint_input(
                        occurred_on=occurred_on,
                        reported_on=reported_on,
                        complainant_name=None,
                        causes_had=causes_had,
                        hate_motivated=hate,
                        agency_code=agency_code,
                        reference=reference,
                        source="case",
                        case_reference=case_ref,
                        incident_id=incident_id,
                    ),
                    case_id,
                    holding_code,
                )
            )
    return found


@dataclass
class _VictimCase:
    case_id: int
    area_id: int
    status: CaseStatus
    owner_id: int | None


def _victim_cases(
    person_ids: Sequence[int], *, with_areas: bool = False
) -> tuple[dict[int, list[_VictimCase]], set[int], list[Area]]:
    """The cases each person is a victim or complainant on, which of the people carry a vulnerability
    flag of their own, and (``with_areas``: the incremental check) the cases' areas, read with them in
    one statement per chunk."""
    found: dict[int, dict[int, _VictimCase]] = defaultdict(dict)
    flagged: set[int] = set()
    areas: dict[int, Area] = {}
    columns: list[Any] = [
        CaseParty.person_id,
        Case.id,
        Case.area_id,
        Case.status,
        Case.owner_id,
        sa.or_(*VULNERABLE_ON_RECORD),
    ]
    for chunk in _chunks(person_ids):
        statement = (
            sa.select(*columns, *([Area] if with_areas else []))
            .join(Case, Case.id == CaseParty.case_id)
            .join(Person, Person.id == CaseParty.person_id)
            .where(CaseParty.person_id.in_(chunk), CaseParty.role.in_(VICTIM_ROLES), Case.anonymised_at.is_(None))
        )
        if with_areas:
            statement = statement.join(Area, Area.id == Case.area_id)
        for person_id, case_id, area_id, status, owner_id, vulnerable, *area in db.session.execute(statement):
            found[person_id][case_id] = _VictimCase(case_id, area_id, status, owner_id)
            if vulnerable:
                flagged.add(person_id)
            if area:
                areas[area_id] = area[0]
    return {person_id: list(cases.values()) for person_id, cases in found.items()}, flagged, list(areas.values())


def _open_applications(case_ids: Sequence[int]) -> dict[int, int]:
    """case id -> the open Case Review application linked to it (the newest)."""
    found: dict[int, int] = {}
    for chunk in _chunks(case_ids):
        rows = db.session.execute(
            sa.select(application_cases.c.case_id, TriggerApplication.id)
            .join(TriggerApplication, TriggerApplication.id == application_cases.c.application_id)
            .where(application_cases.c.case_id.in_(chunk), TriggerApplication.status.in_(OPEN_APPLICATION))
            .order_by(TriggerApplication.id)
        )
        # Not dict(rows): a Result has keys(), so dict() would take it for a mapping.
        found.update({case_id: application_id for case_id, application_id in rows})  # noqa: C416
    return found


#: A victim's own record says they are vulnerable when any of these is set (personal, situational,
#: incidental): the pass reads them in SQL, the board for its reader in Python.
VULNERABLE_ON_RECORD = (
    Person.is_personally_vulnerable,
    Person.is_situationally_vulnerable,
    Person.is_incidentally_vulnerable,
)


def _vulnerable_on_record(person: Person) -> bool:
    return any(getattr(person, flag.key) for flag in VULNERABLE_ON_RECORD)


def _high_risk(case_ids: Sequence[int]) -> set[tuple[int, int | None]]:
    """(case id, victim person id or None for the whole case) whose latest assessment is high."""
    latest: dict[tuple[int, int | None], RiskBand] = {}
    for chunk in _chunks(case_ids):
        rows = db.session.execute(
            sa.select(RiskAssessment.case_id, RiskAssessment.victim_person_id, RiskAssessment.band)
            .where(RiskAssessment.case_id.in_(chunk))
            .order_by(RiskAssessment.assessed_on, RiskAssessment.id)
        )
        for case_id, victim_id, band in rows:
            latest[(case_id, victim_id)] = band
    return {key for key, band in latest.items() if band == RiskBand.high}


def _existing(person_ids: Sequence[int] | None) -> dict[tuple[int, int], WatchEntry]:
    """The entries of ``person_ids`` (None: every entry), without their working: the pass compares the
    digest and loads a working only to replace it."""
    query = sa.select(WatchEntry).options(sa.orm.defer(WatchEntry.working))
    if person_ids is None:
        return {(e.area_id, e.person_id): e for e in db.session.scalars(query)}
    found = {}
    for chunk in _chunks(person_ids):
        for entry in db.session.scalars(query.where(WatchEntry.person_id.in_(chunk))):
            found[(entry.area_id, entry.person_id)] = entry
    return found


#: How the stored working's reasons name the day of the evaluation ("as if they applied today"). It is
#: named when the working is shown (``shown_working``): a finding that has not changed is then the same
#: stored working from one day to the next, and is not rewritten each night.
EVALUATION_DAY = "{the day of the evaluation}"


def _working(evaluation: threshold.Evaluation, complaints: Sequence[_Complaint]) -> dict[str, Any]:
    working = evaluation.to_dict()
    for item, result in zip(working["complaints"], evaluation.complaints, strict=True):
        source = complaints[result.input_index]
        item["case_id"] = source.case_id
        item["holding_agency"] = source.holding_agency
    return working


def _digest(working: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(working, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def shown_working(working: dict[str, Any], day: date) -> dict[str, Any]:
    """A stored working with its reasons naming ``day`` as the day of the evaluation: what the engine
    gives for that day when the finding has not changed since it was stored."""
    words = threshold.day_in_words(day)
    return {
        **working,
        "complaints": [
            {**item, "reason": item["reason"].replace(EVALUATION_DAY, words)} for item in working.get("complaints", [])
        ],
    }


def _mark_passed(area_ids: Iterable[int], on: date) -> None:
    """Record the day of the nightly pass in each area (one row per area)."""
    passes = {p.area_id: p for p in db.session.scalars(sa.select(WatchPass))}
    for area_id in area_ids:
        if area_id in passes:
            if passes[area_id].evaluated_on != on:
                passes[area_id].evaluated_on = on
        else:
            db.session.add(WatchPass(area_id=area_id, evaluated_on=on))


def evaluate_people(person_ids: Sequence[int] | None = None, *, on: date | None = None) -> PassReport:
    """Evaluate ``person_ids`` (None: everyone with a complaint recent enough to count) and bring their
    watch entries up to date: one per area where they meet or are one short of the automatic threshold,
    kept when they were told of their right. An entry whose finding has not changed is left as it was.
    Raises the case owner's task for each victim who newly meets it without an open application;
    cancels it for one who no longer does before being told. Flushes, never commits."""
    on = on or today()
    report = PassReport()
    ids = sorted(set(person_ids)) if person_ids is not None else None
    existing = _existing(ids)
    if ids is None:
        rules = _rules_by_area(on)
        if not rules:
            return report
        since = _complaint_cutoff(rules.values(), on)
        # Nobody with fewer complaints than the lowest threshold less one can be within one of any area's.
        fewest = min(r.rules.automatic_count for r in rules.values()) - 1
        # People already on the board are evaluated whatever they have now (to update or remove them).
        on_board = sa.select(WatchEntry.person_id)
        if fewest > 0:
            among = sa.union(_could_be_within_one(since, on, fewest), on_board)
            complaints = _complaints_of(None, since, among=sa.select(among.subquery().c[0]))
        else:
            complaints = _complaints_of(None, since)
        candidates = sorted({p for p, found in complaints.items() if len(found) >= fewest} | {p for _a, p in existing})
        victim_cases, flagged, _areas = _victim_cases(candidates)
    else:
        # The incremental check: the people's cases first, then only their areas' rules.
        candidates = ids
        victim_cases, flagged, areas = _victim_cases(ids, with_areas=True)
        rules = _rules_by_area(
            on, {c.area_id for cases in victim_cases.values() for c in cases} | {a for a, _p in existing}, known=areas
        )
        complaints = _complaints_of(ids, _complaint_cutoff(rules.values(), on)) if rules else {}
    report.evaluated = len(candidates)

    results: dict[tuple[int, int], dict[str, Any]] = {}
    for person_id in candidates:
        mine = complaints.get(person_id, [])
        inputs = [c.input for c in mine]
        by_area: dict[int, list[_VictimCase]] = defaultdict(list)
        for case in victim_cases.get(person_id, []):
            by_area[case.area_id].append(case)
        # The same complaints under the same rules give the same evaluation: once per rule set.
        evaluations: dict[threshold.ThresholdRules, threshold.Evaluation] = {}
        for area_id, cases in by_area.items():
            area_rules = rules[area_id].rules
            evaluation = evaluations.get(area_rules)
            if evaluation is None:
                evaluation = evaluations[area_rules] = threshold.evaluate(
                    area_rules, on, None, inputs, received_on_words=EVALUATION_DAY
                )
            short_by = max(0, area_rules.automatic_count - evaluation.qualifying_count)
            if short_by > 1 and (area_id, person_id) not in existing:
                continue
            results[(area_id, person_id)] = {
                "evaluation": evaluation,
                "complaints": mine,
                "cases": cases,
                "short_by": short_by,
                "threshold": area_rules.automatic_count,
            }

    kept_case_ids = sorted({c.case_id for r in results.values() for c in r["cases"]})
    applications = _open_applications(kept_case_ids)
    high = _high_risk(kept_case_ids)

    for key in set(existing) - set(results):
        entry = existing[key]
        if entry.told_on is None:
            # Its task goes with it: no deadline is left about an entry that no longer exists.
            delete_deadlines_of(WatchEntry.__tablename__, [entry.id])
            db.session.delete(entry)
            report.removed += 1

    raised: list[tuple[WatchEntry, _Rules]] = []
    owed: list[tuple[WatchEntry, _VictimCase]] = []
    workings: dict[int, tuple[dict[str, Any], str]] = {}
    for (area_id, person_id), found in results.items():
        evaluation = found["evaluation"]
        cases = found["cases"]
        short_by = found["short_by"]
        entry = existing.get((area_id, person_id))
        if short_by > 1 and entry is not None and entry.told_on is None:
            delete_deadlines_of(WatchEntry.__tablename__, [entry.id])
            db.session.delete(entry)
            report.removed += 1
            continue
        case_order = _latest_complaint_first(cases, found["complaints"])
        application_id = next((applications[c] for c in case_order if c in applications), None)
        vulnerable = person_id in flagged or any((c, None) in high or (c, person_id) in high for c in case_order)
        task_case = _task_case(cases, case_order)
        if id(evaluation) not in workings:
            working = _working(evaluation, found["complaints"])
            workings[id(evaluation)] = (working, _digest(working))
        working, digest = workings[id(evaluation)]
        values = {
            "case_ids": case_order,
            "task_case_id": task_case.case_id if task_case else None,
            "qualifying_count": evaluation.qualifying_count,
            "threshold": found["threshold"],
            "short_by": short_by,
            "vulnerable": vulnerable,
            "open_application_id": application_id,
            "working_digest": digest,
        }
        if entry is None:
            entry = WatchEntry(area_id=area_id, person_id=person_id, working=working, evaluated_on=on, **values)
            db.session.add(entry)
            report.written += 1
        else:
            changed = {name: value for name, value in values.items() if getattr(entry, name) != value}
            if changed:
                # Only an entry whose finding changed is written (the working with its digest), and it
                # then names the day it was written; the others keep theirs (see ``WatchPass``).
                for name, value in changed.items():
                    setattr(entry, name, value)
                if "working_digest" in changed:
                    entry.working = working
                entry.evaluated_on = on
                report.written += 1
        report.entries += 1
        if short_by == 0:
            if entry.met_on is None:
                entry.met_on = on
                if entry.told_on is None and application_id is None:
                    raised.append((entry, rules[area_id]))
            elif entry.told_on is None and application_id is None and task_case and task_case.status == CaseStatus.open:
                owed.append((entry, task_case))
        elif entry.met_on is not None:
            entry.met_on = None
            if entry.told_on is None:
                close_deadline(WatchEntry.__tablename__, entry.id, TELL_KIND, cancelled=True)
    if ids is None:
        _mark_passed(rules, on)
    db.session.flush()
    if raised:
        names = dict(
            db.session.execute(sa.select(Person.id, Person.name).where(Person.id.in_({e.person_id for e, _ in raised})))
            .tuples()
            .all()
        )
        owners = {c.case_id: c.owner_id for cases in victim_cases.values() for c in cases}
        report.tasks_raised = open_deadlines(
            [
                _task(entry, names.get(entry.person_id, "the victim"), owners.get(entry.task_case_id), area_rules, on)
                for entry, area_rules in raised
            ]
        )
    if owed:
        report.tasks_moved = _move_stranded_tasks(owed)
    return report


def _move_stranded_tasks(owed: Sequence[tuple[WatchEntry, _VictimCase]]) -> int:
    """The tasks of victims still owed the telling that were left cancelled on a closed case (none of
    their cases was open when it closed) move to the entry's task case, open now (a victim who reported
    again on a new case), owned by its officer, due on their day (as ``move_tasks_off``). One
    statement per chunk of entries."""
    by_id = {entry.id: case for entry, case in owed}
    moved = 0
    for chunk in _chunks(sorted(by_id)):
        for row in stranded_deadlines(WatchEntry.__tablename__, chunk, TELL_KIND):
            target = by_id[row.subject_id]
            rearm(row, target.owner_id, case_id=target.case_id)
            moved += 1
    return moved


def _latest_complaint_first(cases: Sequence[_VictimCase], complaints: Sequence[_Complaint]) -> list[int]:
    latest: dict[int, date] = {}
    for complaint in complaints:
        day = complaint.input.reported_on
        if complaint.case_id not in latest or latest[complaint.case_id] < day:
            latest[complaint.case_id] = day
    return sorted((c.case_id for c in cases), key=lambda c: (latest.get(c, date.min), c), reverse=True)


def _task_case(cases: Sequence[_VictimCase], case_order: Sequence[int]) -> _VictimCase | None:
    """The open case with the latest complaint (else the latest case): its owner tells the victim."""
    by_id = {c.case_id: c for c in cases}
    ordered = [by_id[c] for c in case_order]
    return next((c for c in ordered if c.status == CaseStatus.open), ordered[0] if ordered else None)


def _task(entry: WatchEntry, name: str, owner_id: int | None, rules: _Rules, on: date) -> dict[str, Any]:
    """The case owner's task to tell the victim, as ``reminders.services.open_deadlines`` takes it."""
    return {
        "subject_type": WatchEntry.__tablename__,
        "subject_id": entry.id,
        "kind": TELL_KIND,
        "title": f"Tell {name} of their right to a Case Review (Community Trigger)",
        "due": add_working_days(on, rules.tell_working_days),
        "owner_id": owner_id,
        "case_id": entry.task_case_id,
        "area_id": entry.area_id,
        "link": f"/threshold-watch/{entry.id}/tell",
        "lead_working_days": rules.reminder_lead_working_days,
    }


# --- the nightly pass and the incremental check --------------------------------------------------------


def nightly_pass(on: date | None = None) -> PassReport:
    """Everyone, every area, with the rules in force today (the Celery beat task)."""
    return evaluate_people(None, on=on)


def on_complaint_recorded(_app: Any, *, person_ids: Iterable[int], **_: Any) -> None:
    """The incremental check: the complainants just recorded, across all their cases."""
    ids = sorted({int(p) for p in person_ids if p is not None})
    if ids:
        evaluate_people(ids)


# --- telling the victim --------------------------------------------------------------------------------


def get_entry(entry_id: int) -> WatchEntry:
    entry = db.session.get(WatchEntry, entry_id)
    if entry is None:
        raise NotFound("Not found.")
    return entry


def record_told(
    actor: Any,
    entry: WatchEntry,
    *,
    told_on: date,
    method: str,
    notes: str | None = None,
    send_email: bool = False,
) -> WatchEntry:
    """Record that the victim was told of their right to a Case Review; closes the owner's task.

    The page and the API both come here for what follows from it: the wording from the area's template
    is kept on the entry when they were told by letter or email (or are emailed now), and with
    ``send_email`` the email goes to the address on their record (queued in this transaction, sent
    after the commit). Never commits."""
    from casework.notifications.services import queue_email
    from casework.threshold_watch.message import message_for, record_sent

    errors: dict[str, list[str]] = {}
    if told_on > today():
        errors.setdefault("told_on", []).append("The date they were told cannot be in the future")
    if method not in {m.value for m in ToldMethod}:
        errors.setdefault("method", []).append("Choose how they were told")
    person = entry.person
    if send_email and not person.email:
        errors.setdefault("send_email", []).append("There is no email address on their record")
    if errors:
        raise InvalidInput(errors)
    # Recorded at the same moment by someone else: the second waits here, then finds it recorded
    # (rather than writing over how the first told them). SQLite: BEGIN IMMEDIATE holds the lock.
    db.session.refresh(entry, with_for_update=True)
    if entry.told_on is not None:
        raise RuleViolation(f"Already recorded: they were told on {entry.told_on.day} {entry.told_on:%B %Y}.")
    before = snapshot(entry, ("told_on", "told_method", "told_by_id", "told_notes"))
    entry.told_on = told_on
    entry.told_method = ToldMethod(method)
    entry.told_notes = (notes or "").strip() or None
    entry.told_by_id = actor.id
    close_deadline(WatchEntry.__tablename__, entry.id, TELL_KIND)
    db.session.flush()
    record_change(
        actor,
        entry,
        before,
        snapshot(entry, ("told_on", "told_method", "told_by_id", "told_notes")),
        "Recorded that a victim was told of their right to a Case Review",
    )
    if send_email or entry.told_method in (ToldMethod.letter, ToldMethod.email):
        message = message_for(entry)
        record_sent(entry, message)
        if send_email:
            queue_email(
                to=person.email,
                subject=message.subject,
                text=message.text,
                key=f"threshold_watch:told:{entry.id}",
                related=("people", person.id),
            )
    return entry


# --- reading: the board, the API, the case page --------------------------------------------------------


@dataclass
class HiddenComplaints:
    agency: str
    count: int


@dataclass
class PossibleDuplicate:
    person: Person | None
    #: The agency that created a record the reader may not see (then ``person`` is None).
    agency: str | None
    why: str


@dataclass
class BoardItem:
    entry: WatchEntry
    person: Person
    #: The working's complaints on cases the reader may see, each a dict of docs/api.md's ``threshold``.
    complaints: list[dict[str, Any]]
    hidden: list[HiddenComplaints]
    duplicates: list[PossibleDuplicate] = field(default_factory=list)
    #: Vulnerable as the reader may know it (``AreaEntries.vulnerable``).
    vulnerable: bool = False


@dataclass
class Board:
    area: Area
    meeting: list[BoardItem]
    one_short: list[BoardItem]
    with_application: list[BoardItem]
    #: Victims on cases the reader may not see: a count per holding agency, never names.
    hidden_victims: list[HiddenComplaints]


@dataclass
class AreaEntries:
    """An area's entries as one reader may see them (``area_entries``)."""

    #: (entry, person) for the victims the reader may see, vulnerable (as they may know it) first.
    shown: list[tuple[WatchEntry, Person]]
    #: The other victims: a count per holding agency.
    hidden: list[HiddenComplaints]
    #: Which of the shown entries' cases the reader may see.
    seen: SeenCases
    #: The ids of the shown entries whose victim the reader may know to be vulnerable.
    vulnerable: set[int]


def vulnerable_as_seen(pairs: Sequence[tuple[WatchEntry, Person]], seen: SeenCases) -> set[int]:
    """The ids of the entries whose victim ``seen``'s reader may know to be vulnerable: flagged so on
    their own record (which the reader sees), or assessed high risk (the latest assessment of the case,
    or of the victim on it) on a case the reader may see. The pass's ``WatchEntry.vulnerable`` counts
    every case, a restricted one or another agency's included: such a case's risk assessment is its
    content, and says nothing to a reader who may not see the case (one statement, none when no entry
    is flagged)."""
    flagged = [(entry, person) for entry, person in pairs if entry.vulnerable]
    seen_cases = sorted({c for entry, _p in flagged for c in entry.case_ids if seen.can_see(c)})
    high = _high_risk(seen_cases) if seen_cases else set()
    return {
        entry.id
        for entry, person in flagged
        if _vulnerable_on_record(person)
        or any(seen.can_see(c) and ((c, None) in high or (c, person.id) in high) for c in entry.case_ids)
    }


def _order(entry: WatchEntry, vulnerable: set[int]) -> tuple[Any, ...]:
    return (entry.id not in vulnerable, entry.short_by, -entry.qualifying_count, entry.id)


def area_entries(area: Area, user: Any) -> AreaEntries:
    """The area's entries within one short, vulnerable first, for victims the user may see, and a count
    per holding agency of the others (four statements at most)."""
    entries = db.session.scalars(
        sa.select(WatchEntry)
        .join(Person, Person.id == WatchEntry.person_id)
        .where(WatchEntry.area_id == area.id, WatchEntry.short_by <= 1, Person.merged_into_id.is_(None))
    ).all()
    if not entries:
        return AreaEntries([], [], SeenCases(user), set())
    # Only the people the reader may see are loaded (every person loaded by a read is logged as viewed).
    people = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Person).where(Person.id.in_([e.person_id for e in entries]), visible_people_clause(user))
        )
    }
    pairs = [(e, people[e.person_id]) for e in entries if e.person_id in people]
    seen = SeenCases(user, ids=(c for e, _p in pairs for c in e.case_ids))
    vulnerable = vulnerable_as_seen(pairs, seen)
    shown = sorted(pairs, key=lambda r: _order(r[0], vulnerable))
    hidden: dict[str, int] = defaultdict(int)
    for entry in entries:
        if entry.person_id not in people:
            agencies = {c.get("holding_agency") for c in entry.working.get("complaints", [])} - {None}
            hidden[", ".join(sorted(agencies)) or "another agency"] += 1
    return AreaEntries(
        shown, [HiddenComplaints(agency, count) for agency, count in sorted(hidden.items())], seen, vulnerable
    )


def evaluated_on(entry: WatchEntry, last_pass: date | None) -> date:
    """The last day the entry's finding was evaluated: the day it was written, or the area's latest
    nightly pass if later (which found it unchanged, so left it as it was)."""
    return max(entry.evaluated_on, last_pass) if last_pass is not None else entry.evaluated_on


def last_pass(area_id: int) -> date | None:
    found = db.session.get(WatchPass, area_id)
    return found.evaluated_on if found is not None else None


def _split_working(
    entry: WatchEntry, seen: SeenCases, day: date
) -> tuple[list[dict[str, Any]], list[HiddenComplaints]]:
    shown: list[dict[str, Any]] = []
    hidden: defaultdict[str, int] = defaultdict(int)
    for item in shown_working(entry.working, day).get("complaints", []):
        if seen.can_see(item.get("case_id")):
            shown.append(item)
            # The board links to the case by its reference, read from the stored working rather than
            # loaded: logged as shown like a loaded case (casework.audit.reads).
            note_shown("cases", item["case_id"])
        elif item.get("qualifies"):
            hidden[item.get("holding_agency") or "another agency"] += 1
    return shown, [HiddenComplaints(a, n) for a, n in sorted(hidden.items())]


def possible_duplicates(user: Any, people: Sequence[Person]) -> dict[int, list[PossibleDuplicate]]:
    """Other records with the same name and date of birth, or the same address: said, never joined.
    Records the user may not see are named only by the agency that created them."""
    found: dict[int, list[PossibleDuplicate]] = defaultdict(list)
    clauses = []
    for person in people:
        if person.date_of_birth is not None:
            clauses.append(
                sa.and_(Person.normalised_name == person.normalised_name, Person.date_of_birth == person.date_of_birth)
            )
        if person.normalised_address:
            clauses.append(Person.normalised_address == person.normalised_address)
    if not clauses:
        return found
    others = db.session.execute(
        sa.select(
            Person.id,
            Person.normalised_name,
            Person.date_of_birth,
            Person.normalised_address,
            Agency.name,
            visible_people_clause(user).label("visible"),
        )
        .outerjoin(Agency, Agency.id == Person.agency_id)
        .where(sa.or_(*clauses), Person.merged_into_id.is_(None), Person.anonymised_at.is_(None))
    ).all()
    visible_ids = [o.id for o in others if o.visible]
    loaded = (
        {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(visible_ids)))}
        if visible_ids
        else {}
    )
    for person in people:
        for other in others:
            if other.id == person.id:
                continue
            same_name = (
                person.date_of_birth is not None
                and other.normalised_name == person.normalised_name
                and other.date_of_birth == person.date_of_birth
            )
            same_address = bool(person.normalised_address) and other.normalised_address == person.normalised_address
            if not (same_name or same_address):
                continue
            why = "the same name and date of birth" if same_name else "the same address"
            if other.visible:
                found[person.id].append(PossibleDuplicate(loaded[other.id], None, why))
            else:
                found[person.id].append(PossibleDuplicate(None, other.name or "another agency", why))
    return found


def board(user: Any, area: Area) -> Board:
    found = area_entries(area, user)
    shown, hidden_victims, seen = found.shown, found.hidden, found.seen
    duplicates = possible_duplicates(user, [p for _e, p in shown])
    passed = last_pass(area.id) if shown else None
    meeting, one_short, with_application = [], [], []
    for entry, person in shown:
        complaints, hidden = _split_working(entry, seen, evaluated_on(entry, passed))
        item = BoardItem(
            entry, person, complaints, hidden, duplicates.get(person.id, []), vulnerable=entry.id in found.vulnerable
        )
        if entry.open_application_id is not None:
            with_application.append(item)
        elif entry.short_by == 0:
            meeting.append(item)
        else:
            one_short.append(item)
    return Board(area, meeting, one_short, with_application, hidden_victims)


def dump_entry(
    entry: WatchEntry, person: Person, seen: SeenCases, vulnerable: set[int] | None = None
) -> dict[str, Any]:
    """docs/api.md's threshold-watch item: the ids of the victim's cases ``seen``'s user may see (the
    complaints on the others count, as on the board, but the cases are not named), and whether the
    victim is vulnerable as that user may know it (``vulnerable``: the entries' ids, from
    ``vulnerable_as_seen``; worked out for this one entry when not given)."""
    if vulnerable is None:
        vulnerable = vulnerable_as_seen([(entry, person)], seen)
    return {
        "person_id": person.id,
        "name": person.name,
        "case_ids": [case_id for case_id in entry.case_ids if seen.can_see(case_id)],
        "qualifying_complaints": entry.qualifying_count,
        "threshold": entry.threshold,
        "short_by": entry.short_by,
        "vulnerable": entry.id in vulnerable,
        "open_application_id": entry.open_application_id,
        "told_on": entry.told_on.isoformat() if entry.told_on else None,
    }


# --- lifecycle ---------------------------------------------------------------------------------------


def _still_owed() -> sa.Select[tuple[int]]:
    """The entries whose victim is still owed the telling: they meet the threshold, have not been told
    and have no open application (the entries the pass raises the task for)."""
    return sa.select(WatchEntry.id).where(
        WatchEntry.met_on.is_not(None),
        WatchEntry.short_by == 0,
        WatchEntry.told_on.is_(None),
        WatchEntry.open_application_id.is_(None),
    )


def _other_open_case(entry: WatchEntry, closing_case_id: int) -> tuple[int, int | None] | None:
    """(case id, owner id) of the case the entry's task moves to when its case closes: the first of the
    entry's cases, newest complaint first, that is open and on which the person is still a victim or
    complainant. The pass's own rule (``_task_case``), so the next pass keeps the task where it is."""
    candidates = [c for c in entry.case_ids if c != closing_case_id]
    if not candidates:
        return None
    open_cases = dict(
        db.session.execute(
            sa.select(Case.id, Case.owner_id)
            .join(CaseParty, CaseParty.case_id == Case.id)
            .where(
                Case.id.in_(candidates),
                Case.status == CaseStatus.open,
                Case.anonymised_at.is_(None),
                CaseParty.person_id == entry.person_id,
                CaseParty.role.in_(VICTIM_ROLES),
            )
        )
        .tuples()
        .all()
    )
    return next(((c, open_cases[c]) for c in candidates if c in open_cases), None)


def move_tasks_off(case: Case) -> int:
    """On the case's closure: a victim still owed the telling is owed it whichever of their cases is
    open, so a tell-the-victim task on the closing case moves to the victim's other open case the
    entry concerns (``_other_open_case``), owned by that case's officer, due on its day (the victim has
    waited since they met the threshold; an overdue task stays overdue). With no such case, or for a
    victim already told, the closure cancels it with the case's other work (and reopening the case
    re-arms it: ``rearm_tasks``). Receivers run in no fixed order: the task is found still open, or
    already cancelled by the reminders' receiver; either way it ends open on the other case."""
    moved = 0
    for row in stranded_deadlines(WatchEntry.__tablename__, _still_owed(), TELL_KIND, case.id):
        entry = db.session.get(WatchEntry, row.subject_id)
        target = _other_open_case(entry, case.id) if entry is not None else None
        if entry is None or target is None:
            continue
        entry.task_case_id, owner_id = target
        rearm(row, owner_id, case_id=entry.task_case_id)
        moved += 1
    return moved


def rearm_tasks(case: Case) -> int:
    """On the case's reopening: the tell-the-victim tasks on it that its closure cancelled are due
    again, on their day (an overdue one is overdue), owned by the case's officer, for victims who still
    meet the threshold, have not been told and have no open application (as the pass raises them).
    A task its closure moved to another open case (``move_tasks_off``) stays there: one task."""
    from casework.reminders.services import cancelled_deadlines

    rows = cancelled_deadlines(WatchEntry.__tablename__, _still_owed(), TELL_KIND, case.id)
    for row in rows:
        rearm(row, case.owner_id or row.owner_id)
    return len(rows)


def evaluate_after_retention(case_ids: Iterable[int]) -> PassReport | None:
    """Evaluate again every victim whose entry counts one of ``case_ids`` (cases a retention run
    anonymised) or names one for the tell-the-victim task: their entries no longer list or count it."""
    anonymised = {int(i) for i in case_ids}
    if not anonymised:
        return None
    people = {
        person_id
        for person_id, listed, task_case_id in db.session.execute(
            sa.select(WatchEntry.person_id, WatchEntry.case_ids, WatchEntry.task_case_id)
        )
        if task_case_id in anonymised or anonymised.intersection(listed or ())
    }
    return evaluate_people(sorted(people)) if people else None


def forget_person(person_id: int) -> list[int]:
    """Remove a person's entries (anonymised, or merged into another record) with their tasks: no
    deadline is left about an entry that no longer exists."""
    entries = list(db.session.scalars(sa.select(WatchEntry).where(WatchEntry.person_id == person_id)))
    if entries:
        delete_deadlines_of(WatchEntry.__tablename__, [e.id for e in entries])
    for entry in entries:
        db.session.delete(entry)
    db.session.flush()
    return [e.id for e in entries]


def exported_email_people(export: Any, ids: set[int]) -> set[int]:
    """The people whose email (the letter telling them of their right to a Case Review) a subject
    access export may hold: the exported person and the records shown with them, not another person
    whose address was typed into this record."""
    return ids & {record.id for record in export.identities}
