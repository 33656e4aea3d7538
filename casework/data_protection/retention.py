"""Retention: when a record reaches its retention date, every domain anonymises its
part of it, the audit log keeps who, when and what kind of change but loses the personal values, and
a report lists what was anonymised. Never commits.

This module decides what is due (cases closed longer ago than their area's case period; people all
of whose cases closed longer ago than the person period) and sends the lifecycle events; each domain's
receivers do the anonymising (``casework.core.lifecycle``): ``case_anonymised`` and
``person_anonymised`` for each record, then ``records_anonymised``, for the audit log and the
outbox to erase what is about every record listed (again for what its receivers added, until nothing:
``send_records_anonymised``). Between the two, ``unlink_living_people`` severs,
in one place for every domain, the links from anonymised cases' records to anyone who lives on, and
``reminders.services.delete_orphaned_deadlines`` deletes every deadline whose record is gone.

A closing date is whatever the officer, the API client or the spreadsheet gave, and a mistyped year
(2019 for 2025) would put a live case past its retention period at once. So a case is due only once
its closure has also been on record for ``CASEWORK_RETENTION_CLOSURE_GRACE_DAYS`` (30 by default),
counted from when it was recorded (its last ``closed`` event on the timeline; a closed case with none
counts from when its row was last written as the first run to see it closed found it,
``note_closures_without_event``), whatever closing date was given: long enough for someone to notice
and reopen it. ``anonymisation_date`` says when a case will be due; ``held_back_cases``
lists those the grace alone keeps (the retention reports page).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from casework.accounts.models import Area
from casework.accounts.services import area_settings
from casework.cases import settings as case_settings
from casework.cases.models import Case, CaseEvent, CaseEventKind, CaseParty, CaseStatus, Person
from casework.core import lifecycle
from casework.core.db import Base, rows_changed
from casework.core.retention import case_references, owned_by_cases, person_columns
from casework.core.time import LONDON, london_day, now, today
from casework.data_protection.models import RetentionRun
from casework.extensions import db
from casework.reminders.services import delete_deadlines_of, delete_orphaned_deadlines


def years_before(day: date, years: int) -> date:
    return years_after(day, -years)


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def closure_grace_days() -> int:
    """Days a case's closure must have been on record before a retention run may anonymise it."""
    return int(current_app.config["CASEWORK"]["RETENTION_CLOSURE_GRACE_DAYS"])


def grace_cutoff(on: date) -> datetime:
    """A closure recorded at or after this moment is still within its grace for a run on ``on``: one
    recorded on day D (London) lets the case be anonymised from day D + the grace days."""
    first_day_within = on - timedelta(days=closure_grace_days() - 1)
    return datetime.combine(first_day_within, time(0), tzinfo=LONDON).astimezone(UTC)


def closure_within_grace(on: date) -> sa.ColumnElement[bool]:
    """Whether the case (``Case``, correlated) was closed too recently to be anonymised on ``on``: a
    ``closed`` event on its timeline recorded within the grace (a reopened and closed again case
    counts from its last closure). Every close (the page, the API, an import) goes through
    ``close_case``, which writes that event; a closed case with none (written closed by a path that
    did not, or before closures were put on the timeline) counts from when its row was last written as
    the first run to see it closed found it (``closure_seen_at``, ``note_closures_without_event``),
    which is no earlier than its closure was recorded, and which an edit made since does not move;
    until a run has seen it, from when its row was last written (``updated_at``). An anonymised case,
    whose row the anonymising wrote, is past its grace."""
    cutoff = grace_cutoff(on)
    closures = _closed_events()
    return sa.or_(
        closures.where(CaseEvent.created_at >= cutoff).correlate(Case),
        sa.and_(
            ~closures.correlate(Case),
            sa.func.coalesce(Case.closure_seen_at, Case.updated_at) >= cutoff,
            Case.anonymised_at.is_(None),
        ),
    )


def note_closures_without_event() -> int:
    """Record, for each closed case not anonymised whose timeline has no ``closed`` event and that no run
    has seen yet, when its row was last written (``closure_seen_at``): its grace counts from that from
    now on, whatever is edited on it later. Run at the start of every retention run, so a case written
    closed without an event (none is, by the service's own paths) is seen within a day. The row's
    ``updated_at`` is kept as it was: noting this is not a change to the case. Answers how many."""
    closures = _closed_events()
    result = db.session.execute(
        sa.update(Case)
        .where(
            Case.status == CaseStatus.closed,
            Case.anonymised_at.is_(None),
            Case.closure_seen_at.is_(None),
            ~closures,
        )
        .values(closure_seen_at=Case.updated_at, updated_at=Case.updated_at)
        .execution_options(synchronize_session="fetch")
    )
    return rows_changed(result)


def past_case_period(area: Area, closed_on: date, on: date | None = None) -> bool:
    """Whether a case of ``area`` closed on ``closed_on`` is already past its retention period on
    ``on`` (default today): without the grace, the next run would anonymise it."""
    on = on or today()
    return closed_on < years_before(on, _case_years(area, on))


def _case_years(area: Area, on: date) -> int:
    return int(area_settings(area, on)[case_settings.CASE_RETENTION_YEARS])


def _past_period(area: Area, on: date) -> list[Any]:
    return [
        Case.area_id == area.id,
        Case.status == CaseStatus.closed,
        Case.closed_on < years_before(on, _case_years(area, on)),
        Case.anonymised_at.is_(None),
    ]


def due_cases(on: date) -> list[Case]:
    """Closed cases whose area's case retention period ended before ``on``, not yet anonymised, and
    whose closure has been on record for the grace period."""
    found: list[Case] = []
    for area in db.session.scalars(sa.select(Area).order_by(Area.id)):
        found.extend(
            db.session.scalars(
                sa.select(Case).where(*_past_period(area, on), ~closure_within_grace(on)).order_by(Case.id)
            )
        )
    return found


def held_back_cases(on: date | None = None) -> list[tuple[Case, date]]:
    """Closed cases past their retention period that only the grace keeps from being anonymised
    (a closing date far back, recorded lately): each with the day a run will anonymise it. One
    statement per area, each case's last closure read with it."""
    on = on or today()
    found: list[tuple[Case, date]] = []
    for area in db.session.scalars(sa.select(Area).order_by(Area.id)):
        years = _case_years(area, today())
        rows = db.session.execute(
            sa.select(Case, _last_closure().scalar_subquery())
            .where(*_past_period(area, on), closure_within_grace(on))
            .order_by(Case.id)
        )
        found.extend(
            (case, _anonymised_on(case.closed_on, years, _closure_recorded(case, recorded))) for case, recorded in rows
        )
    return found


def _last_closure() -> sa.Select[Any]:
    """When the case's (``Case``, correlated) last closure was recorded: its latest ``closed`` event
    (none: the case's ``closure_seen_at``, else its ``updated_at``, stands for it, as in
    ``closure_within_grace``)."""
    return sa.select(sa.func.max(CaseEvent.created_at)).where(*_CLOSED_EVENT)


#: A ``closed`` event on the timeline of the case (``Case``, correlated).
_CLOSED_EVENT = (CaseEvent.case_id == Case.id, CaseEvent.kind == CaseEventKind.closed)


def _closed_events() -> sa.Exists:
    """Whether the case (``Case``, correlated) has a ``closed`` event on its timeline."""
    return sa.exists().where(*_CLOSED_EVENT)


def _closure_recorded(case: Case, last_event: datetime | None) -> datetime:
    """When the case's last closure was recorded, its last ``closed`` event given: that event; with none,
    ``closure_seen_at`` once a run has seen it closed, else its ``updated_at`` (``closure_within_grace``
    counts the grace from the same)."""
    return last_event or case.closure_seen_at or case.updated_at


def _anonymised_on(closed_on: date, years: int, recorded: datetime | None) -> date:
    """The first day a run anonymises a case closed on ``closed_on`` kept ``years``, its closure recorded
    at ``recorded``: the day after its period, and not before the grace from the recording."""
    by_period = years_after(closed_on, years) + timedelta(days=1)
    if recorded is None:
        return by_period
    return max(by_period, london_day(recorded) + timedelta(days=closure_grace_days()))


def anonymisation_date(case: Case) -> date | None:
    """The first day a retention run anonymises ``case`` under today's settings: the day after its
    area's case period from its closing date, and not before the grace from when the closure was
    recorded. None for an open case or one already anonymised."""
    if case.status is not CaseStatus.closed or case.closed_on is None or case.anonymised_at is not None:
        return None
    recorded = _closure_recorded(case, db.session.scalar(_last_closure().where(Case.id == case.id)))
    return _anonymised_on(case.closed_on, _case_years(case.area, today()), recorded)


def due_people(on: date) -> list[Person]:
    """People on at least one case, none of which is open, closed within its area's person period,
    or closed within the grace (``closure_within_grace``)."""
    cutoffs = {
        area.id: years_before(on, area_settings(area, on)[case_settings.PERSON_RETENTION_YEARS])
        for area in db.session.scalars(sa.select(Area))
    }
    recent_case = sa.or_(
        Case.status == CaseStatus.open,
        *[sa.and_(Case.area_id == area_id, Case.closed_on >= cutoff) for area_id, cutoff in cutoffs.items()],
        closure_within_grace(on),
    )
    on_recent = sa.exists().where(CaseParty.person_id == Person.id, CaseParty.case_id == Case.id, recent_case)
    on_any = sa.exists().where(CaseParty.person_id == Person.id)
    return list(
        db.session.scalars(
            sa.select(Person).where(Person.anonymised_at.is_(None), on_any, ~on_recent).order_by(Person.id)
        )
    )


def due_unattached_people(on: date) -> list[Person]:
    """People whom nothing refers to (no case party, complaint, assessment, victim page, export: every
    column that refers to ``people.id``, from the metadata), not merged into another record, whose
    record was last changed longer ago than ``retention.person_years`` of their recording agency's
    areas (the longest, if several; any area's when it has none). ``due_people`` goes by cases, and a
    record put on no case (made and never used, or a case opened with someone else) would otherwise be
    kept for ever."""
    from casework.accounts.models import agency_areas

    cutoffs = {
        area.id: years_before(on, area_settings(area, on)[case_settings.PERSON_RETENTION_YEARS])
        for area in db.session.scalars(sa.select(Area))
    }
    if not cutoffs:
        return []
    covered: dict[int, list[int]] = {}
    for agency_id, area_id in db.session.execute(sa.select(agency_areas.c.agency_id, agency_areas.c.area_id)):
        covered.setdefault(agency_id, []).append(area_id)
    earliest, latest = min(cutoffs.values()), max(cutoffs.values())
    referenced = [sa.exists().where(column == Person.id) for column in person_columns(db.metadata)]
    candidates = db.session.scalars(
        sa.select(Person)
        .where(
            Person.anonymised_at.is_(None),
            Person.merged_into_id.is_(None),
            Person.updated_at < datetime.combine(latest + timedelta(days=1), time(0), UTC),
            *[~exists for exists in referenced],
        )
        .order_by(Person.id)
    )
    due = []
    for person in candidates:
        areas = covered.get(person.agency_id, []) if person.agency_id is not None else []
        cutoff = min((cutoffs[a] for a in areas if a in cutoffs), default=earliest)
        if london_day(person.updated_at) < cutoff:
            due.append(person)
    return due


def apply_retention(on: date | None = None) -> RetentionRun:
    """Anonymise everything that has reached its retention date, and record the run."""
    on = on or today()
    report = lifecycle.RetentionReport(on=on, started_at=now())
    note_closures_without_event()
    lifecycle.send(lifecycle.retention_run, on=on, report=report)
    for case in due_cases(on):
        lifecycle.send(lifecycle.case_anonymised, case=case, report=report)
    unlink_living_people(report)
    # Deadlines whose record is gone (left by runs from before a deleted row took its deadlines with it):
    # every run sweeps them, so an upgraded database is cleaned on its next run.
    delete_orphaned_deadlines()
    for person in [*due_people(on), *due_unattached_people(on)]:
        former = lifecycle.FormerIdentity(
            person_id=person.id, name=person.name, email=person.email, phone=person.phone, address=person.address
        )
        report.formers.append(former)
        lifecycle.send(lifecycle.person_anonymised, person=person, former=former, report=report)
    # A record merged into another keeps its details only for the undo window: they live on in the kept one.
    from casework.data_protection.merge import merged_records_due

    for person in merged_records_due(report.started_at):
        former = lifecycle.FormerIdentity(
            person_id=person.id, name=person.name, email=person.email, phone=person.phone, address=person.address
        )
        report.formers.append(former)
        lifecycle.send(lifecycle.person_anonymised, person=person, former=former, report=report)
    send_records_anonymised(report)
    run = RetentionRun(
        run_on=on,
        started_at=report.started_at,
        finished_at=now(),
        counts=report.counts(),
        case_references=sorted(report.case_references),
        person_ids=sorted(report.person_ids),
    )
    db.session.add(run)
    db.session.flush()
    return run


#: The tables ``records_anonymised`` receivers list what they erased in: the audit log's entries and the
#: outbox's messages are the copies being erased, not records anything else is about.
ERASED_COPIES = frozenset({"audit_entries", "outbox_emails"})

#: How many times ``records_anonymised`` is sent at most in one run (each for what the one before added).
_MAX_ROUNDS = 5


def send_records_anonymised(report: lifecycle.RetentionReport) -> None:
    """Send ``records_anonymised`` for everything the run anonymised, and again for whatever its receivers
    anonymised as they went (the victim page of an applicant whose Case Review was anonymised), until
    they add nothing. Its receivers run in no fixed order: the audit log may have erased the values
    about the report's records before another receiver added more to it, which it would never see."""
    sent = {table: set(ids) for table, ids in report.items.items()}
    lifecycle.send(lifecycle.records_anonymised, report=report)
    for _round in range(_MAX_ROUNDS):
        fresh = {
            table: ids - sent.get(table, set())
            for table, ids in report.items.items()
            if table not in ERASED_COPIES and ids - sent.get(table, set())
        }
        if not fresh:
            return
        for table, ids in fresh.items():
            sent.setdefault(table, set()).update(ids)
        more = lifecycle.RetentionReport(on=report.on, started_at=report.started_at, items=fresh)
        lifecycle.send(lifecycle.records_anonymised, report=more)
        for table, ids in more.items.items():
            report.add(table, ids)


def living_people() -> sa.Select[tuple[int]]:
    """The people who live on in the service: not anonymised, and a party to a case not anonymised."""
    kept_cases = sa.select(Case.id).where(Case.anonymised_at.is_(None))
    return sa.select(Person.id).where(
        Person.anonymised_at.is_(None),
        Person.id.in_(sa.select(CaseParty.person_id).where(CaseParty.case_id.in_(kept_cases))),
    )


def unlink_living_people(report: lifecycle.RetentionReport) -> dict[str, list[int]]:
    """An anonymised case leads to no one who lives on in the service, and no one who lives on leads
    to it. Run after every due case has been anonymised, over every anonymised case (a person on one
    when it was anonymised may since have been added to a new case), for every column that refers to a
    person, found from the metadata (so a domain added later cannot forget):

    - a row that belongs to an anonymised case (``casework.core.retention.owned_by_cases``: a party, a
      complaint, a risk assessment's victim, an intervention's subject, a second-report task, a victim's
      diary entry) and names a living person loses the link: a nullable column is set to null (the
      record stays, for the counts); a row that is nothing without its person (a party, a second-report
      task, a diary entry, all already anonymised) is deleted, and so are its deadlines (a deadline
      names its record by table and id: ``Deadline.subject_type`` and ``subject_id``);
    - a living person's own row that names an anonymised case in a nullable column (the threshold
      watch's task case) no longer names it.

    A person on no case that is kept keeps their links: they reach their own retention date through
    their party rows and are anonymised then. Answers table -> ids of the anonymised cases' rows
    unlinked or deleted, also listed in ``report`` (the audit log erases what is about them)."""
    anonymised = sa.select(Case.id).where(Case.anonymised_at.is_not(None))
    living = living_people()
    mappers = {m.local_table: m for m in Base.registry.mappers}
    done: dict[str, list[int]] = {}
    deleted: dict[str, list[Any]] = {}
    for column in person_columns(db.metadata):
        table = column.table
        if not isinstance(table, sa.Table):
            continue
        owned = owned_by_cases(table, anonymised)
        mapper = mappers.get(table)
        if mapper is None:
            # A table no model maps (an association table): changed as a table, and nothing to list.
            if owned is not None:
                linked = sa.and_(owned, column.in_(living))
                if column.nullable:
                    db.session.execute(sa.update(table).values({column.name: None}).where(linked))
                else:
                    keys = list(table.primary_key.columns)
                    if len(keys) == 1:
                        deleted.setdefault(table.name, []).extend(db.session.scalars(sa.select(keys[0]).where(linked)))
                    db.session.execute(sa.delete(table).where(linked))
            for reference in case_references(table):
                db.session.execute(
                    sa.update(table).where(reference.in_(anonymised), column.in_(living)).values({reference.name: None})
                )
            continue
        model, key = mapper.class_, mapper.get_property_by_column(column).key
        if owned is not None:
            for row in db.session.scalars(sa.select(model).where(owned, column.in_(living))):
                if column.nullable:
                    setattr(row, key, None)
                else:
                    db.session.delete(row)
                    deleted.setdefault(table.name, []).extend(mapper.primary_key_from_instance(row))
                done.setdefault(table.name, []).extend(mapper.primary_key_from_instance(row))
            continue
        for reference in case_references(table):
            attribute = mapper.get_property_by_column(reference).key
            for row in db.session.scalars(sa.select(model).where(reference.in_(anonymised), column.in_(living))):
                setattr(row, attribute, None)
    db.session.flush()
    # A deleted row's deadlines (a second-report task's) go with it: no work is left about nothing.
    for table_name, ids in deleted.items():
        delete_deadlines_of(table_name, ids)
    # Pages read in the same session see the parties as they now are.
    for case in [obj for obj in db.session.identity_map.values() if isinstance(obj, Case)]:
        db.session.expire(case, ["parties"])
    for table_name, ids in done.items():
        report.add(table_name, ids)
    return done


def runs(limit: int = 50) -> list[RetentionRun]:
    return list(db.session.scalars(sa.select(RetentionRun).order_by(RetentionRun.started_at.desc()).limit(limit)))
