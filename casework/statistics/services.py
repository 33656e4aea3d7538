"""Compiling, publishing and entering the s.104(9) figures.

- ``live_figures``: counted from the records now (``GET /api/v1/statistics``).
- ``compile``: stores the figures as a draft snapshot (the task ``statistics.compile`` runs it).
- ``publish``: compiles again and stores that snapshot as the next published version. Publishing is
  the manager's approval: only a manager of an agency covering the area may do it, only once the period
  has ended, and a second or later version (a correction) needs a note saying why.
- ``enter_historic``: an administrator types in the figures of a year before the service was used,
  from the paper that published them; they are stored as a published version marked as entered by hand.
  A period the service holds Case Review records for, or whose figures a manager published from the
  records, is refused: its figures are counted and approved, never typed over.

Published versions are never changed (the ORM and the database refuse it); services never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Area
from casework.audit.services import record_change
from casework.core.dates import end_of_months_beginning_with
from casework.core.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from casework.core.jobs import queued_lease
from casework.core.permissions import Permission
from casework.core.time import LONDON, now, today
from casework.extensions import db
from casework.statistics import policies
from casework.statistics import settings as period_settings
from casework.statistics.models import (
    FINISHED,
    JobStatus,
    SnapshotSource,
    SnapshotStatus,
    StatisticsJob,
    StatisticsSnapshot,
    StatisticsWithdrawal,
)
from casework.statistics.queries import (
    EXTRA_COUNT_KEYS,
    EXTRA_KEYS,
    FIGURE_RANGE_MESSAGE,
    MAX_FIGURE_ENTERED,
    STATUTORY_KEYS,
    compute_area_figures,
    compute_figures,
)

SNAPSHOT_FIELDS = (
    "area_id",
    "period_start",
    "period_end",
    "status",
    "source",
    "version",
    "figures",
    "extras_published",
    "note",
)

# --- periods -----------------------------------------------------------------------------------------


def financial_year(day: date) -> tuple[date, date]:
    """The financial year (1 April to 31 March) that ``day`` falls in: the default reporting period."""
    first_year = day.year if day.month >= 4 else day.year - 1
    return date(first_year, 4, 1), date(first_year + 1, 3, 31)


def last_ended_financial_year(day: date) -> tuple[date, date]:
    """The latest financial year that ended before ``day``."""
    start, _ = financial_year(day)
    return date(start.year - 1, 4, 1), date(start.year, 3, 31)


def validate_period(period_start: date, period_end: date) -> None:
    """A reporting period is any run of days up to 12 months (s.105(4))."""
    if period_end < period_start:
        raise InvalidInput({"period_end": ["The end of the period must be on or after its start."]})
    if period_end > end_of_months_beginning_with(period_start, 12):
        raise InvalidInput(
            {"period_end": ["A reporting period cannot be longer than 12 months (s.105(4) of the 2014 Act)."]}
        )


#: s.104 (the Case Review) came into force on 20 October 2014: no period ending earlier has figures.
CASE_REVIEWS_BEGAN = date(2014, 10, 20)


def _add_months(day: date, months: int) -> date:
    year, month_index = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month_index + 1, day.day)


def reporting_period_setting(area: Area, on: date) -> tuple[int, int, int]:
    """``(month, day, months)``: the area's reporting period in force on ``on``."""
    from casework.accounts.services import area_settings

    values = area_settings(area, on=on)
    month, day = (int(part) for part in values[period_settings.PERIOD_START].split("-"))
    return month, day, int(values[period_settings.PERIOD_MONTHS])


def reporting_period_containing(area: Area, day: date) -> tuple[date, date]:
    """The area's reporting period (its setting in force on ``day``) that ``day`` falls in."""
    return _period_containing(reporting_period_setting(area, day), day)


def reporting_periods(area: Area, on: date) -> list[tuple[date, date]]:
    """The area's reporting periods from the one containing ``on`` back to the first with Case
    Reviews, newest first, by the setting in force on ``on`` (for choosing one on a page)."""
    setting = reporting_period_setting(area, on)
    periods = [_period_containing(setting, on)]
    while (earlier := _period_containing(setting, periods[-1][0] - timedelta(days=1)))[1] >= CASE_REVIEWS_BEGAN:
        periods.append(earlier)
    return periods


def _period_containing(setting: tuple[int, int, int], day: date) -> tuple[date, date]:
    month, start_day, months = setting
    starts = [
        _add_months(date(year, month, start_day), k * months)
        for year in (day.year - 1, day.year)
        for k in range(12 // months)
    ]
    start = max(s for s in starts if s <= day)
    return start, end_of_months_beginning_with(start, months)


def last_ended_reporting_period(area: Area, on: date) -> tuple[date, date]:
    """The area's latest reporting period that ended before ``on``."""
    current_start, _ = reporting_period_containing(area, on)
    return reporting_period_containing(area, current_start - timedelta(days=1))


def describe_reporting_period(area: Area, on: date) -> str:
    """``the financial year (1 April to 31 March)`` or ``6-month periods from 1 October``, for messages."""
    month, day, months = reporting_period_setting(area, on)
    first = date(2001, month, day)
    if months == 12:
        if (month, day) == (4, 1):
            return "the financial year (1 April to 31 March)"
        last = end_of_months_beginning_with(first, 12)
        return f"a year from {first.day} {first:%B} to {last.day} {last:%B}"
    return f"{months}-month periods, one of them starting on {first.day} {first:%B}"


def require_whole_reporting_period(area: Area, period_start: date, period_end: date) -> None:
    """Figures are published for one whole reporting period of the area's setting, and only for a
    period in which the Case Review existed (s.105(4))."""
    if period_end < CASE_REVIEWS_BEGAN:
        raise RuleViolation(
            "There are no Case Review figures for a period that ended before the Case Review began "
            f"on {CASE_REVIEWS_BEGAN.day} October {CASE_REVIEWS_BEGAN.year}.",
            field="period_start",
        )
    expected = reporting_period_containing(area, period_start)
    if (period_start, period_end) != expected:
        raise RuleViolation(
            f"Figures for {area.name} are published for whole reporting periods: "
            f"{describe_reporting_period(area, period_start)}. "
            f"{_period_label(period_start, period_end)} is not one; the period that includes "
            f"{period_start.isoformat()} is {_period_label(*expected)}.",
            field="period_start",
        )


def _period_label(period_start: date, period_end: date) -> str:
    return f"{period_start.isoformat()} to {period_end.isoformat()}"


def period_name(period_start: date, period_end: date) -> str:
    """``2016/17`` for a financial year, otherwise the two dates (``1 January 2024 to 31 December 2024``)."""
    if (period_start.month, period_start.day, period_end.month, period_end.day) == (4, 1, 3, 31) and (
        period_end.year == period_start.year + 1
    ):
        return f"{period_start.year}/{str(period_end.year)[2:]}"
    return f"{period_start.day} {period_start:%B %Y} to {period_end.day} {period_end:%B %Y}"


def _start_of_day_after(day: date) -> datetime:
    """The first moment after ``day`` ended in London, as an aware datetime."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LONDON)


# --- live figures and drafts ---------------------------------------------------------------------------


def live_figures(actor: Any, area: Area, period_start: date, period_end: date) -> dict[str, Any]:
    policies.require(actor, Permission.VIEW_STATISTICS, area)
    validate_period(period_start, period_end)
    return compute_area_figures(area.id, period_start, period_end)


def _audit_create(actor: Any, snapshot: StatisticsSnapshot, summary: str) -> None:
    from casework.audit.services import snapshot as values_of

    record_change(actor, snapshot, None, values_of(snapshot, SNAPSHOT_FIELDS), summary)


def compile(actor: Any, area: Area, period_start: date, period_end: date) -> StatisticsSnapshot:
    """Count the area's figures for the period and store them as a draft snapshot.

    ``actor`` is None for the scheduled compilation after a period ends.
    """
    if actor is not None:
        policies.require(actor, Permission.COMPILE_STATISTICS, area)
    validate_period(period_start, period_end)
    figures = compute_area_figures(area.id, period_start, period_end)
    return _store_draft(actor, area, period_start, period_end, figures)


def _store_draft(
    actor: Any, area: Area, period_start: date, period_end: date, figures: dict[str, Any]
) -> StatisticsSnapshot:
    snapshot = StatisticsSnapshot(
        area=area,
        period_start=period_start,
        period_end=period_end,
        status=SnapshotStatus.draft,
        source=SnapshotSource.compiled,
        figures=figures,
        compiled_at=now(),
        compiled_by_id=getattr(actor, "id", None),
    )
    db.session.add(snapshot)
    db.session.flush()
    _audit_create(
        actor, snapshot, f"Compiled draft statistics for {area.name}, {_period_label(period_start, period_end)}"
    )
    return snapshot


def request_compile(actor: Any, area: Area, period_start: date, period_end: date) -> StatisticsJob:
    """Queue a compilation (the task runs once the request commits) and return its job row."""
    from casework.core.tasks_outbox import enqueue

    policies.require(actor, Permission.COMPILE_STATISTICS, area)
    validate_period(period_start, period_end)
    job = StatisticsJob(
        area=area,
        period_start=period_start,
        period_end=period_end,
        status=JobStatus.queued,
        requested_by_id=actor.id,
        lease_until=queued_lease(),  # sent again if nobody takes it by then (casework.core.jobs)
    )
    db.session.add(job)
    db.session.flush()
    enqueue("statistics.compile", job.id)
    return job


def delete_finished_jobs(moment: datetime | None = None) -> int:
    """Delete the compilation jobs that finished, done or failed, over ``CASEWORK_JOB_RETENTION_DAYS``
    ago (the draft a job compiled is kept: it is the snapshot's row, not the job's); never one still
    queued or running. Returns how many."""
    from casework.core import jobs

    return jobs.delete_finished_jobs(StatisticsJob, FINISHED, moment)


def compile_ended_periods(on: date | None = None) -> list[StatisticsSnapshot]:
    """Compile each area's reporting period that has just ended, once (the daily beat task).

    An area is skipped when its figures for that period were already compiled after the period
    ended (by this task on an earlier day, or by someone on demand). Areas whose periods end on the
    same day are counted together.
    """
    on = on or today()
    areas = list(db.session.scalars(sa.select(Area).order_by(Area.code)))
    by_period: dict[tuple[date, date], list[Area]] = {}
    for area in areas:
        by_period.setdefault(last_ended_reporting_period(area, on), []).append(area)
    compiled = []
    for (period_start, period_end), period_areas in sorted(by_period.items()):
        done_already = set(
            db.session.scalars(
                sa.select(StatisticsSnapshot.area_id).where(
                    StatisticsSnapshot.area_id.in_([a.id for a in period_areas]),
                    StatisticsSnapshot.period_start == period_start,
                    StatisticsSnapshot.period_end == period_end,
                    StatisticsSnapshot.compiled_at >= _start_of_day_after(period_end),
                )
            )
        )
        todo = [a for a in period_areas if a.id not in done_already]
        all_figures = compute_figures([a.id for a in todo], period_start, period_end)
        for area in todo:
            snapshot = _store_draft(None, area, period_start, period_end, all_figures[area.id])
            moment = now()
            db.session.add(
                StatisticsJob(
                    area=area,
                    period_start=period_start,
                    period_end=period_end,
                    status=JobStatus.done,
                    started_at=moment,
                    finished_at=moment,
                    snapshot=snapshot,
                )
            )
            compiled.append(snapshot)
    db.session.flush()
    return compiled


# --- publication ------------------------------------------------------------------------------------------


def _lock_area(area: Area) -> None:
    """Publications of one area take turns, so two managers cannot both take the same version number."""
    db.session.execute(sa.select(Area.id).where(Area.id == area.id).with_for_update())


def _next_version(area: Area, period_start: date, period_end: date) -> int:
    latest = db.session.scalar(
        sa.select(sa.func.max(StatisticsSnapshot.version)).where(
            StatisticsSnapshot.area_id == area.id,
            StatisticsSnapshot.period_start == period_start,
            StatisticsSnapshot.period_end == period_end,
            StatisticsSnapshot.status == SnapshotStatus.published,
        )
    )
    return (latest or 0) + 1


def _require_ended(period_end: date) -> None:
    if period_end >= today():
        raise RuleViolation(
            "Figures can be published only after the reporting period has ended "
            f"(this one ends on {period_end.isoformat()}).",
            field="period_end",
        )


def _clean_note(note: str | None) -> str | None:
    note = (note or "").strip()
    return note or None


#: The optional figures (channels, bases, appeals, median days) are published only for a period with
#: at least this many applications: with fewer, they tell how one applicant applied and was decided.
MIN_APPLICATIONS_FOR_EXTRAS = 5


def publish(
    actor: Any,
    area: Area,
    period_start: date,
    period_end: date,
    note: str | None = None,
    publish_extras: bool = False,
) -> StatisticsSnapshot:
    """Compile the figures again and publish them as the next version (the manager's approval)."""
    policies.require(actor, Permission.PUBLISH_STATISTICS, area)
    validate_period(period_start, period_end)
    require_whole_reporting_period(area, period_start, period_end)
    _require_ended(period_end)
    note = _clean_note(note)
    _lock_area(area)
    version = _next_version(area, period_start, period_end)
    if version > 1 and note is None:
        raise RuleViolation(
            f"Version {version - 1} of these figures is already published: a correction needs a note "
            "saying what changed and why.",
            field="note",
        )
    moment = now()
    figures = compute_area_figures(area.id, period_start, period_end)
    # The four statutory figures are published whatever their size (the law asks for them); the
    # optional ones only when they cannot single out an applicant (the answer's extras_published says).
    publish_extras = publish_extras and (figures.get("applications") or 0) >= MIN_APPLICATIONS_FOR_EXTRAS
    snapshot = StatisticsSnapshot(
        area=area,
        period_start=period_start,
        period_end=period_end,
        status=SnapshotStatus.published,
        source=SnapshotSource.compiled,
        version=version,
        figures=figures,
        compiled_at=moment,
        compiled_by_id=actor.id,
        published_at=moment,
        published_by_id=actor.id,
        extras_published=publish_extras,
        note=note,
    )
    db.session.add(snapshot)
    db.session.flush()
    _audit_create(
        actor,
        snapshot,
        f"Published version {version} of the statistics for {area.name}, {_period_label(period_start, period_end)}",
    )
    return snapshot


def validate_statutory_figures(figures: dict[str, Any]) -> dict[str, int]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for key in STATUTORY_KEYS:
        value = figures.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FIGURE_ENTERED:
            errors[key] = [FIGURE_RANGE_MESSAGE]
        else:
            clean[key] = value
    if not errors and clean["reviews_with_recommendations"] > clean["reviews_carried_out"]:
        errors["reviews_with_recommendations"] = [
            "Reviews that made recommendations cannot be more than the reviews carried out."
        ]
    if errors:
        raise InvalidInput(errors)
    return clean


def holds_records(area: Area, period_start: date, period_end: date) -> bool:
    """Whether the service holds Case Review records of the area for the period, as the figures count
    them: an application received, screened out or withdrawn in it, a threshold decision, review
    meeting, appeal or PCC review dated in it, or an application still open at its end (imported
    historic applications included: their years' figures are counted from them)."""
    figures = compute_area_figures(area.id, period_start, period_end)
    return any(figures.get(key) for key in (*STATUTORY_KEYS, *EXTRA_COUNT_KEYS))


def _compiled_publication(area: Area, period_start: date, period_end: date) -> StatisticsSnapshot | None:
    """The latest version of the period a manager published from the records, unless withdrawn (a
    version published by mistake, for the wrong period say, is no approval of that period's figures)."""
    return db.session.scalar(
        sa.select(StatisticsSnapshot)
        .where(
            StatisticsSnapshot.area_id == area.id,
            StatisticsSnapshot.period_start == period_start,
            StatisticsSnapshot.period_end == period_end,
            StatisticsSnapshot.status == SnapshotStatus.published,
            StatisticsSnapshot.source == SnapshotSource.compiled,
            ~sa.select(StatisticsWithdrawal.id)
            .where(StatisticsWithdrawal.snapshot_id == StatisticsSnapshot.id)
            .exists(),
        )
        .order_by(StatisticsSnapshot.version.desc())
        .limit(1)
    )


def require_before_the_service(area: Area, period_start: date, period_end: date) -> None:
    """Figures are entered by hand only for a period before the service was used for the area
    (docs/rules.md): none of its Case Review records falls in the period, and no manager published its
    figures from the records. Otherwise the figures are counted and published by a manager (publishing
    needs a manager; a correction is the manager's new version, with a note)."""
    name = period_name(period_start, period_end)
    published = _compiled_publication(area, period_start, period_end)
    if published is not None:
        raise RuleViolation(
            f"A manager published the figures of {area.name} for {name} from the service's records "
            f"(version {published.version}). Figures are entered by hand only for years before the service "
            "was used: a correction of these figures is a manager's to publish, with a note.",
            field="period_start",
        )
    if holds_records(area, period_start, period_end):
        raise RuleViolation(
            f"The service holds Case Review records of {area.name} for {name}: its figures are counted from "
            "them and published by a manager of the area. Figures are entered by hand only for years "
            "before the service was used.",
            field="period_start",
        )


def enter_historic(
    actor: Any, area: Area, period_start: date, period_end: date, figures: dict[str, Any], note: str | None
) -> StatisticsSnapshot:
    """Store figures published before the service was used, as a published version entered by hand.

    Refused for a period the service holds records for, or whose figures a manager published from the
    records (``require_before_the_service``); a second entry of a year entered by hand is a correction
    (the next version)."""
    if actor is not None and not actor.can(Permission.ADMINISTER):
        raise Forbidden("Only an administrator can enter historic figures.")
    validate_period(period_start, period_end)
    clean = validate_statutory_figures(figures)
    note = _clean_note(note)
    if note is None:
        raise InvalidInput({"note": ["Say where the figures come from (the paper or page that published them)."]})
    require_whole_reporting_period(area, period_start, period_end)
    _require_ended(period_end)
    # Under the area's lock: a manager publishing the period at the same moment waits, and is seen.
    _lock_area(area)
    require_before_the_service(area, period_start, period_end)
    version = _next_version(area, period_start, period_end)
    moment = now()
    snapshot = StatisticsSnapshot(
        area=area,
        period_start=period_start,
        period_end=period_end,
        status=SnapshotStatus.published,
        source=SnapshotSource.entered_by_hand,
        version=version,
        figures=clean,
        compiled_at=moment,
        compiled_by_id=getattr(actor, "id", None),
        published_at=moment,
        published_by_id=getattr(actor, "id", None),
        extras_published=False,
        note=note,
    )
    db.session.add(snapshot)
    db.session.flush()
    _audit_create(
        actor,
        snapshot,
        f"Entered historic statistics for {area.name}, {_period_label(period_start, period_end)} (version {version})",
    )
    return snapshot


def withdraw(actor: Any, snapshot: StatisticsSnapshot, note: str | None) -> StatisticsWithdrawal:
    """Take a version published by mistake off the public pages: kept, marked, with a note, audited.

    The public then sees the latest version of that period that is not withdrawn, if any. Only a
    manager of an agency covering the area (who may publish) may withdraw.
    """
    policies.require(actor, Permission.PUBLISH_STATISTICS, snapshot.area)
    note = _clean_note(note)
    if note is None:
        raise InvalidInput({"note": ["Say why these figures are withdrawn: the note is kept with them."]})
    if not snapshot.is_published:
        raise RuleViolation("Only published figures can be withdrawn; a draft was never public.")
    _lock_area(snapshot.area)
    db.session.refresh(snapshot, ["withdrawal"])
    if snapshot.withdrawal is not None:
        raise RuleViolation(f"Version {snapshot.version} of these figures is already withdrawn.")
    withdrawal = StatisticsWithdrawal(snapshot=snapshot, note=note, withdrawn_at=now(), withdrawn_by_id=actor.id)
    db.session.add(withdrawal)
    db.session.flush()
    record_change(
        actor,
        snapshot,
        {"withdrawn": False},
        {"withdrawn": True, "withdrawal_note": note},
        f"Withdrew version {snapshot.version} of the statistics for {snapshot.area.name}, "
        f"{_period_label(snapshot.period_start, snapshot.period_end)}",
    )
    return withdrawal


def get_snapshot(snapshot_id: int) -> StatisticsSnapshot:
    snapshot = db.session.get(StatisticsSnapshot, snapshot_id)
    if snapshot is None:
        raise NotFound("No such statistics version.")
    return snapshot


def differences(published: StatisticsSnapshot, live: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures where the records now differ from a published version: the statutory four, and
    the extras when they were published. ``[{"key", "published", "live"}]``, in the published order.
    Figures entered by hand are never compared: the records of those years are not in the service."""
    if published.source == SnapshotSource.entered_by_hand:
        return []
    keys = (*STATUTORY_KEYS, *EXTRA_KEYS) if published.extras_published else STATUTORY_KEYS
    return [
        {"key": key, "published": published.figures.get(key), "live": live.get(key)}
        for key in keys
        if key in published.figures and published.figures.get(key) != live.get(key)
    ]


def changed_since_publication(area_ids: Iterable[int], ended_after: date) -> list[dict[str, Any]]:
    """Published periods (ending on or after ``ended_after``) whose live figures now differ from the
    version the public sees: ``[{"snapshot", "differences"}]``. Figures entered by hand are left out
    (the records of those years are not in the service). One count per distinct period."""
    snapshots = [
        s for s in latest_published(area_ids) if s.source == SnapshotSource.compiled and s.period_end >= ended_after
    ]
    by_period: dict[tuple[date, date], list[StatisticsSnapshot]] = {}
    for snapshot in snapshots:
        by_period.setdefault((snapshot.period_start, snapshot.period_end), []).append(snapshot)
    changed = []
    for (period_start, period_end), group in sorted(by_period.items()):
        live = compute_figures([s.area_id for s in group], period_start, period_end)
        for snapshot in group:
            found = differences(snapshot, live[snapshot.area_id])
            if found:
                changed.append({"snapshot": snapshot, "differences": found})
    return changed


# --- reading snapshots ---------------------------------------------------------------------------------


def latest_published(area_ids: Iterable[int] | None = None) -> list[StatisticsSnapshot]:
    """The latest published version of each area and period that is not withdrawn, by area code then
    period (one query): what the public sees."""
    published = sa.and_(
        StatisticsSnapshot.status == SnapshotStatus.published,
        ~sa.select(StatisticsWithdrawal.id).where(StatisticsWithdrawal.snapshot_id == StatisticsSnapshot.id).exists(),
    )
    latest = (
        sa.select(
            StatisticsSnapshot.area_id,
            StatisticsSnapshot.period_start,
            StatisticsSnapshot.period_end,
            sa.func.max(StatisticsSnapshot.version).label("version"),
        )
        .where(published)
        .group_by(StatisticsSnapshot.area_id, StatisticsSnapshot.period_start, StatisticsSnapshot.period_end)
    )
    if area_ids is not None:
        latest = latest.where(StatisticsSnapshot.area_id.in_(list(area_ids)))
    latest_versions = latest.subquery()
    query = (
        sa.select(StatisticsSnapshot)
        .join(
            latest_versions,
            sa.and_(
                StatisticsSnapshot.area_id == latest_versions.c.area_id,
                StatisticsSnapshot.period_start == latest_versions.c.period_start,
                StatisticsSnapshot.period_end == latest_versions.c.period_end,
                StatisticsSnapshot.version == latest_versions.c.version,
            ),
        )
        .join(Area, Area.id == StatisticsSnapshot.area_id)
        .where(published)
        .order_by(Area.code, StatisticsSnapshot.period_start, StatisticsSnapshot.period_end)
    )
    return list(db.session.scalars(query).unique())


def public_version(area: Area, period_start: date, period_end: date) -> StatisticsSnapshot | None:
    """The version of one area and period the public sees (the latest not withdrawn), if any."""
    for snapshot in latest_published([area.id]):
        if (snapshot.period_start, snapshot.period_end) == (period_start, period_end):
            return snapshot
    return None


def snapshots_for(area: Area, period_start: date, period_end: date) -> list[StatisticsSnapshot]:
    """Every snapshot of one area and period, newest first: published versions and drafts."""
    return list(
        db.session.scalars(
            sa.select(StatisticsSnapshot)
            .options(
                sa.orm.joinedload(StatisticsSnapshot.compiled_by),
                sa.orm.joinedload(StatisticsSnapshot.published_by),
            )
            .where(
                StatisticsSnapshot.area_id == area.id,
                StatisticsSnapshot.period_start == period_start,
                StatisticsSnapshot.period_end == period_end,
            )
            .order_by(StatisticsSnapshot.compiled_at.desc(), StatisticsSnapshot.id.desc())
        ).unique()
    )


def county_totals(snapshots: Iterable[StatisticsSnapshot]) -> list[dict[str, Any]]:
    """The areas added up per period: ``[{"period_start", "period_end", "areas", <four figures>}]``."""
    totals: dict[tuple[date, date], dict[str, Any]] = {}
    for snapshot in snapshots:
        key = (snapshot.period_start, snapshot.period_end)
        row = totals.setdefault(
            key, {"period_start": key[0], "period_end": key[1], "areas": 0, **dict.fromkeys(STATUTORY_KEYS, 0)}
        )
        row["areas"] += 1
        for figure in STATUTORY_KEYS:
            row[figure] += snapshot.figures.get(figure) or 0
    return [totals[key] for key in sorted(totals)]
