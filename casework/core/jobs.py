"""Background jobs (a partnership report, a compilation of the statistics): how their task claims one
and records its failure, when a client should poll one again, and how long a finished one is kept.

``Retry-After`` (RFC 9110, section 10.2.3) in seconds, so a client polls at the pace the service
expects instead of guessing: on every ``202`` that hands back a job, and on every poll of a job that is
still queued or running. A finished job's answer has none: there is nothing more to wait for.

A finished job (done or failed) is kept ``CASEWORK_JOB_RETENTION_DAYS`` after it finished, then each
domain's daily sweep deletes it; a job still queued or running is never deleted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import Response, current_app
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.db import UTCDateTime
from casework.core.openapi import Header
from casework.core.time import now

log = logging.getLogger(__name__)

#: As often as the service's own pages check a job (their REFRESH_SECONDS): a report or a compilation
#: takes seconds, and a poll costs one small read.
RETRY_AFTER_SECONDS = 3

_RETRY_AFTER_SCHEMA = {"type": "integer", "minimum": 1}

#: On a ``202`` with a job: always sent.
RETRY_AFTER = Header(
    "Retry-After",
    f"Seconds to wait before polling the job at its `Location` ({RETRY_AFTER_SECONDS}).",
    schema=_RETRY_AFTER_SCHEMA,
)
#: On a poll of a job: sent while the job is queued or running, not once it is done or failed.
RETRY_AFTER_WHILE_UNFINISHED = Header(
    "Retry-After",
    f"While the job is queued or running: seconds to wait before polling it again ({RETRY_AFTER_SECONDS}). "
    "Not sent once it is done or failed.",
    required=False,
    schema=_RETRY_AFTER_SCHEMA,
)


def poll_again_later(response: Response) -> Response:
    """Say on ``response`` when to poll the job it hands back."""
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def retention_cutoff(moment: datetime | None = None) -> datetime:
    """Jobs that finished before this are deleted by the sweeps."""
    days = current_app.config["CASEWORK"]["JOB_RETENTION_DAYS"]
    return (moment or now()) - timedelta(days=days)


def delete_finished_jobs(job_model: Any, finished: Iterable[Any], moment: datetime | None = None) -> int:
    """Delete ``job_model``'s jobs in a ``finished`` status that finished before the retention cutoff;
    never one still queued or running. Returns how many (each domain's sweep calls this)."""
    from casework.core.db import rows_changed
    from casework.extensions import db

    deleted = db.session.execute(
        sa.delete(job_model)
        .where(job_model.status.in_(list(finished)), job_model.finished_at < retention_cutoff(moment))
        .execution_options(synchronize_session=False)
    )
    return rows_changed(deleted) or 0


def record_failure(lease: Lease, error: str) -> None:
    """For a task whose job failed: drop what it left unwritten, mark the job failed with ``error`` (its
    page and its poll show it, instead of "running" for ever) and commit; only while the run still owns
    the job (``Lease``): a run taken for hung must not fail the job's next run."""
    from casework.core.db import commit
    from casework.extensions import db

    model = lease.kind.model
    db.session.rollback()
    db.session.execute(
        sa.update(model)
        .where(lease.owns())
        .values(status=model.status.type.enum_class.failed, error=error, finished_at=now(), lease_until=None)
        .execution_options(synchronize_session=False)
    )
    commit()


# --- Leases: a job being worked on is known to be alive, a dead one is sent again --------------------
#
# A worker that dies (``kill -9``, out of memory, a machine stopped) takes the job it was running with
# it, and on the embedded broker the message too. So a job holds a lease while it is worked on:
#
# - on PostgreSQL (workers may be on other machines), ``lease_until``, which a thread of the worker
#   pushes forward every third of ``CASEWORK_JOB_LEASE_SECONDS`` through a connection of its own (the
#   job's own transaction may stay open for its whole run, as an import's does);
# - on SQLite (every process is on the database's machine, and a job's transaction holds the only write
#   lock, so nothing can be written for it meanwhile), an OS file lock per job beside the database file,
#   held by the process working on it: the kernel lets go of it when the process dies, however it dies.
#
# ``jobs.recover`` (every minute, ``casework.tasks.jobs``) finds the jobs whose lease ran out (on SQLite:
# and whose file lock nobody holds), and the queued jobs nobody took (their message lost), and sends their
# task again through the task outbox. Each step is a conditional UPDATE, so two sweeps, or a sweep and a
# late second delivery, never run one job twice. A job claimed ``CASEWORK_JOB_ATTEMPTS`` times without
# finishing is marked failed, with a message its page and its poll show.
#
# A worker can also hang without dying (a server that never answers, a lock wait, an endless loop) and
# go on renewing the lease, or holding the file lock, for ever. So a run holds its lease for at most
# ``CASEWORK_JOB_TIME_LIMIT_SECONDS`` from its claim (``_Watch``); past it the sweep takes it for dead.
# Should the hung run wake up, it must not write over the next run's result, or fail it: the run
# writes only while it still owns the job, which ``Lease.confirm`` checks in the transaction that
# writes the result, just before its commit (a fence: the ``started_at`` and ``attempts`` its claim set,
# which the sweep and every later claim change). On the prefork pool Celery also kills the task at the
# limit (``casework.core.celery``). On the solo pool (``scripts/start``) the run is the worker itself,
# and a hung one would stop every task, the reminders and this sweep included: there the watch ends the
# worker's process at the limit (``END_WORKER_PAST_TIME_LIMIT``), ``scripts/keep-worker`` (which
# ``scripts/start`` runs the worker under) starts it again, and the sweep, run by the new worker, sends
# the job again.

#: Set in a worker started from the command line on the solo pool (``casework.core.celery``): a run
#: still going at its time limit ends the worker's process (``os._exit``), as Celery's hard time limit
#: ends a prefork pool's child. Never set in the web server, beat, a prefork pool or a worker a test runs
#: in its own process (``celery.contrib.testing``): their other threads are not the hung run's.
END_WORKER_PAST_TIME_LIMIT = False
#: The status a worker ended at a hung run's time limit exits with (EX_SOFTWARE): ``scripts/keep-worker``
#: starts it again, and says why.
HUNG_EXIT_STATUS = 70

#: A queued job nobody has taken for this long is taken for lost (its message gone with a dead worker
#: or broker) and sent again. Sending it again is harmless: a job already taken is not run twice.
QUEUED_RESEND = timedelta(minutes=10)


class LeasedJobMixin:
    """The lease columns of a background job (see above)."""

    #: While the job waits: when its message is taken for lost. While it runs: when its worker is
    #: taken for dead, unless it renews it first.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: How many times a worker took the job (claimed it) for its current run.
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


@dataclass(frozen=True)
class JobKind:
    """How the sweep and the claim see one kind of job (a table)."""

    model: Any
    #: The task that works on a job, and its arguments for a job row.
    task: str
    task_args: Callable[[Any], list[Any]]
    #: SQL conditions: the job waits for a worker; a worker took it and has not finished.
    waiting: Callable[[], Any]
    running: Callable[[], Any]
    #: Columns to set when a job left by a dead worker is put back to wait.
    requeue: Callable[[], dict[str, Any]]
    #: Columns to set when it is given up, after the attempts (status, error, finished_at).
    give_up: Callable[[Any], dict[str, Any]]
    #: Columns a claim sets besides ``started_at``, the lease and the attempts (``status`` = running).
    claim_values: Callable[[], dict[str, Any]] = field(default=dict)


#: Table name -> its kind; each domain's tasks module registers its own (``register``).
KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.model.__tablename__] = kind
    return kind


def kind_of(job_model: Any) -> JobKind:
    return KINDS[job_model.__tablename__]


def status_kind(job_model: Any, task: str, task_args: Callable[[Any], list[Any]], gave_up: str) -> JobKind:
    """The kind of a job whose status says queued, running, done or failed (a report, a compilation)."""
    status = job_model.status.type.enum_class
    return JobKind(
        model=job_model,
        task=task,
        task_args=task_args,
        waiting=lambda: job_model.status == status.queued,
        running=lambda: job_model.status == status.running,
        requeue=lambda: {"status": status.queued, "started_at": None},
        give_up=lambda _moment: {"status": status.failed, "error": gave_up},
        claim_values=lambda: {"status": status.running},
    )


def lease_length() -> timedelta:
    return timedelta(seconds=current_app.config["CASEWORK"]["JOB_LEASE_SECONDS"])


def time_limit() -> timedelta:
    """How long one run of a job may take before its worker is taken for hung."""
    return timedelta(seconds=current_app.config["CASEWORK"]["JOB_TIME_LIMIT_SECONDS"])


def max_attempts() -> int:
    return int(current_app.config["CASEWORK"]["JOB_ATTEMPTS"])


def queued_lease(moment: datetime | None = None) -> datetime:
    """``lease_until`` for a job just queued (set with its task's message)."""
    return (moment or now()) + QUEUED_RESEND


def claim(kind: JobKind, job_id: int, *conditions: Any, held: bool = False, **values: Any) -> bool:
    """For a task: take job ``job_id`` (if it also meets ``conditions``; with ``values``, more columns to
    set as it starts) and commit.
    The claim is a conditional UPDATE of a job still waiting, or left running by a worker whose lease
    ran out (or, ``held``, whose file lock this process now holds: its worker is dead), so a second
    delivery of the same message (late acknowledgement after a crash, a relay that died before marking
    its row, a sweep's) finds it taken or done: False, nothing to do.

    On PostgreSQL the job's row is taken first, waiting a moment at most (``CLAIM_LOCK_WAIT``): a run
    hung with its row locked (after ``Lease.confirm``, or in a write of its own) would otherwise hold a
    second delivery's UPDATE, and the worker that took it, for as long as it hangs. A row held longer is
    a live transaction's: the delivery is dropped, and the sweep sends the job again if it is left."""
    from casework.core.db import commit, rows_changed
    from casework.extensions import db

    model = kind.model
    db.session.rollback()
    if db.engine.dialect.name == "postgresql" and not _hold_within(
        db.session.connection(), model, job_id, CLAIM_LOCK_WAIT
    ):
        db.session.rollback()
        log.warning(
            "%s %s was not claimed: its row is held by another transaction (such as a run hung past its "
            "time limit); this delivery is dropped",
            model.__tablename__,
            job_id,
        )
        return False
    moment = now()
    claimed = rows_changed(
        db.session.execute(
            sa.update(model)
            .where(
                model.id == job_id,
                *conditions,
                sa.or_(
                    kind.waiting(),
                    sa.and_(
                        kind.running(), model.attempts < max_attempts(), sa.true() if held else _lapsed(model, moment)
                    ),
                ),
            )
            .values(
                started_at=moment,
                lease_until=moment + min(lease_length(), time_limit()),
                attempts=model.attempts + 1,
                error=None,
                **kind.claim_values(),
                **values,
            )
            .execution_options(synchronize_session=False)
        )
    )
    commit()
    return bool(claimed)


def lease_directory() -> str | None:
    """Where SQLite's per-job file locks are (beside the database file); None on PostgreSQL or for a
    database that is not a file."""
    from casework.core.id_locks import lock_path
    from casework.extensions import db

    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        return None
    return lock_path(url, "-jobs")


class FileLease:
    """An exclusive ``flock`` on one job's lock file, taken without waiting."""

    def __init__(self, directory: str, kind: JobKind, job_id: int) -> None:
        self.path = os.path.join(directory, f"{kind.model.__tablename__}-{job_id}.lock")
        self.descriptor: int | None = None
        # The run's thread and its watch (at the time limit) may both let go.
        self._letting_go = threading.Lock()

    def take(self) -> bool:
        import fcntl

        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self.descriptor = descriptor
        return True

    def let_go(self, *, remove: bool = False) -> None:
        """Let go of the lock; ``remove``: its holder is done with the job, and deletes the file first
        (a process that opened it meanwhile finds the job finished, or left, in the database)."""
        with self._letting_go:
            if self.descriptor is not None:
                if remove:
                    with contextlib.suppress(OSError):
                        os.unlink(self.path)
                os.close(self.descriptor)  # closing the only descriptor lets go of the lock
                self.descriptor = None


def worker_alive(kind: JobKind, job_id: int) -> bool:
    """On SQLite: whether a process holds the job's file lock (its worker lives). On PostgreSQL the
    lease alone says it: False."""
    directory = lease_directory()
    if directory is None:
        return False
    probe = FileLease(directory, kind, job_id)
    if probe.take():
        probe.let_go()
        return False
    return True


def _end_hung_worker(table: str, job_id: int) -> None:
    """End this process at once: its one thread of work is a hung run (solo pool). Not an exception,
    which the run's own error handling would catch, nor a signal the hung call might not wake up for.
    The run's transaction ends with the process (on SQLite, with the database's write lock); the job's
    message goes with it, and the sweep sends the job again."""
    log.critical(
        "%s %s still running at its time limit: ending this worker (solo pool: every task waits on the hung "
        "run) with status %d, for its keeper (scripts/keep-worker under scripts/start) to start it again",
        table,
        job_id,
        HUNG_EXIT_STATUS,
    )
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    os._exit(HUNG_EXIT_STATUS)


class _Watch(threading.Thread):
    """Keeps a run's lease while it works, until its time limit: on PostgreSQL pushes ``lease_until``
    forward every third of its length, through a connection of its own, while the run still owns the
    job; on SQLite holds nothing but the time, and lets go of the job's file lock at the limit. Past the
    limit the run is taken for hung: its lease runs out as a dead worker's does, and the sweep sends the
    job again (the run, if it ever finishes, is fenced off: ``Lease.confirm``)."""

    def __init__(
        self, engine: sa.Engine, lease: Lease, length: timedelta, deadline: datetime, file_lease: FileLease | None
    ) -> None:
        model = lease.kind.model
        super().__init__(name=f"lease-{model.__tablename__}-{lease.job_id}", daemon=True)
        self.engine, self.lease, self.length, self.deadline = engine, lease, length, deadline
        self.file_lease = file_lease
        self.stopped = threading.Event()

    def run(self) -> None:
        beat = self.length.total_seconds() / 3
        while (remaining := (self.deadline - now()).total_seconds()) > 0:
            if self.stopped.wait(remaining if self.file_lease is not None else min(beat, remaining)):
                return
            if self.file_lease is None and self.deadline > now():
                self._renew()
        model = self.lease.kind.model
        log.warning(
            "%s %s ran past its time limit (CASEWORK_JOB_TIME_LIMIT_SECONDS): its worker is taken for hung, "
            "and the sweep will send the job again (or give it up)",
            model.__tablename__,
            self.lease.job_id,
        )
        if self.file_lease is not None:
            self.file_lease.let_go()
        if END_WORKER_PAST_TIME_LIMIT and not self.stopped.is_set():
            _end_hung_worker(model.__tablename__, self.lease.job_id)

    def _renew(self) -> None:
        model = self.lease.kind.model
        try:
            with self.engine.begin() as connection:
                # Never wait long for the job's row: the run's own transaction may hold it (a run hung
                # after ``Lease.confirm``), and a watch waiting for it would never reach the time limit,
                # where it ends a hung solo worker. A held row's run is alive; the sweep skips it too.
                # But a little: a write of a moment (a report's progress, committed at once) holds it
                # too, and a renewal skipped for it leaves the lease a beat short, two of them lapsed.
                if not _hold_within(connection, model, self.lease.job_id, min(self.length / 3, RENEWAL_LOCK_WAIT)):
                    return
                connection.execute(
                    sa.update(model)
                    .where(self.lease.owns())
                    .values(lease_until=min(now() + self.length, self.deadline))
                )
        except sa.exc.SQLAlchemyError:  # tried again at the next beat; the lease is long enough
            log.warning("Could not renew the lease of %s %s", model.__tablename__, self.lease.job_id, exc_info=True)


@dataclass(frozen=True)
class Lease:
    """One run's hold on a job, as its claim left it; false when this delivery is not to run the job.

    The run owns the job while the job is still running with the ``started_at`` and ``attempts`` its
    claim set: the sweep changes them when it sends the job again or gives it up, and the next claim
    sets its own. So a run that hung past its time limit, and wakes up after the job was taken from
    it, finds it no longer owns it, and writes nothing (``confirm``)."""

    kind: JobKind
    job_id: int
    started_at: datetime | None = None
    attempts: int | None = None

    def __bool__(self) -> bool:
        return self.started_at is not None

    def owns(self) -> Any:
        """SQL condition: the job is still this run's."""
        model = self.kind.model
        return sa.and_(
            model.id == self.job_id,
            model.started_at == self.started_at,
            model.attempts == self.attempts,
            self.kind.running(),
        )

    def confirm(self) -> bool:
        """In the transaction that writes the run's result, just before its commit: whether the run still
        owns the job. Its UPDATE (which ends the lease) holds the job's row until the commit (on SQLite,
        the transaction holds the database's write lock), so the sweep cannot take the job in between.
        False: the caller rolls its transaction back, and so writes nothing over the job's next run."""
        from casework.core.db import rows_changed
        from casework.extensions import db

        changed = rows_changed(
            db.session.execute(
                sa.update(self.kind.model)
                .where(self.owns())
                .values(lease_until=None)
                .execution_options(synchronize_session=False)
            )
        )
        if not changed:
            log.warning(
                "%s %s was taken from this run (past its time limit): its result is dropped",
                self.kind.model.__tablename__,
                self.job_id,
            )
        return bool(changed)


@contextlib.contextmanager
def leased(kind: JobKind, job_id: int, *conditions: Any, **values: Any) -> Iterator[Lease]:
    """Claim job ``job_id`` (``claim``, with its ``conditions`` and ``values``) and hold its lease while
    the block runs, up to ``CASEWORK_JOB_TIME_LIMIT_SECONDS``: yields the run's ``Lease``, false (and
    holding nothing) when the job is not to be run by this delivery. The block writes its result only
    if ``Lease.confirm`` says the run still owns the job."""
    from casework.extensions import db

    lease = Lease(kind, job_id)
    directory = lease_directory()
    file_lease = FileLease(directory, kind, job_id) if directory else None
    if file_lease is not None and not file_lease.take():
        yield lease  # a live process is working on it
        return
    watch: _Watch | None = None
    try:
        if not claim(kind, job_id, *conditions, held=file_lease is not None, **values):
            yield lease
            return
        claimed = db.session.execute(
            sa.select(kind.model.started_at, kind.model.attempts).where(kind.model.id == job_id)
        ).one()
        db.session.rollback()
        lease = Lease(kind, job_id, claimed.started_at, claimed.attempts)
        deadline = cast(datetime, claimed.started_at) + time_limit()
        watch = _Watch(db.engine, lease, lease_length(), deadline, file_lease)
        watch.start()
        yield lease
    finally:
        if watch is not None:
            if file_lease is None:
                # A transaction the block left open (it failed half-way) holds SQLite's write lock, which
                # the last renewal would wait for (a database with no lock folder, in memory: the watch
                # renews there); PostgreSQL's renewals wait for a held row a moment only. End it first.
                db.session.rollback()
            watch.stopped.set()
            watch.join()
        if file_lease is not None:
            # Unless the watch let go of it at the time limit: then the file may be the next run's.
            file_lease.let_go(remove=True)


def recover(moment: datetime | None = None) -> dict[str, int]:
    """The sweep: send again every job whose worker is gone (lease run out, and on SQLite no process
    holding its file lock) or whose message was lost (queued, nobody took it by its ``lease_until``);
    mark failed one claimed ``CASEWORK_JOB_ATTEMPTS`` times. Takes and commits each job on its own: one
    it cannot take (on PostgreSQL its row held by another transaction, skipped at once; on SQLite the
    database's write lock held past the lock wait; as by a run still going past its time limit) is
    logged and left for the next sweep, and the others are swept. Returns ``{"sent": n, "failed": n}``."""
    from casework.core.db import reading
    from casework.extensions import db

    moment = moment or now()
    counts = {"sent": 0, "failed": 0}
    for kind in KINDS.values():
        model = kind.model
        # Read without the write lock: on SQLite a live import holds it for its whole run.
        with reading():
            candidates = db.session.execute(
                sa.select(model.id, kind.running().label("running"), model.attempts)
                .where(sa.or_(kind.waiting(), kind.running()), _lapsed(model, moment))
                .order_by(model.id)
            ).all()
            db.session.rollback()
        for job_id, running, attempts in candidates:
            try:
                outcome = _recover_one(kind, job_id, running, attempts, moment)
            except sa.exc.OperationalError as error:
                db.session.rollback()
                log.warning(
                    "%s %s could not be taken by the sweep (%s): left for the next sweep",
                    model.__tablename__,
                    job_id,
                    getattr(error, "orig", None) or error,
                )
                continue
            if outcome is not None:
                counts[outcome] += 1
    return counts


def _lapsed(model: Any, moment: datetime) -> Any:
    """SQL condition: the job's lease has run out at ``moment`` (or it has none)."""
    return sa.or_(model.lease_until.is_(None), model.lease_until < moment)


def _hold_at_once(connection: Any, model: Any, job_id: int) -> bool:
    """Lock job ``job_id``'s row in ``connection``'s (or a session's) transaction, if no other
    transaction holds it; never waits. False: another transaction holds it (or the row is gone).

    On PostgreSQL ``FOR NO KEY UPDATE SKIP LOCKED``: the lock an UPDATE of the row takes, so it is not
    refused for a row that rows inserted meanwhile merely refer to (their foreign keys' ``KEY SHARE``).
    A hung run's transaction can hold a job's row for as long as it hangs, and whoever waits for it
    waits as long: the sweep (every other job) and the run's own watch (its time limit). On SQLite
    there are no row locks (SQLAlchemy leaves the clause out): a writer holds the database's write lock,
    which the caller's transaction takes, or fails to take, within the busy timeout."""
    held = connection.scalar(
        sa.select(model.id).where(model.id == job_id).with_for_update(key_share=True, skip_locked=True)
    )
    return held is not None


#: How long a renewal of a lease waits for the job's row, held by a write of a moment (PostgreSQL).
RENEWAL_LOCK_WAIT = timedelta(seconds=2)
#: How long a claim waits for the job's row, held by a write of a moment (PostgreSQL): the sweep's
#: sending it again, a user's change to the job, a report's progress.
CLAIM_LOCK_WAIT = timedelta(seconds=2)


def _hold_within(connection: sa.Connection, model: Any, job_id: int, wait: timedelta) -> bool:
    """``_hold_at_once``, but waiting up to ``wait`` for the row (PostgreSQL's ``lock_timeout``, for this
    transaction only): False when another transaction holds it longer."""
    if connection.dialect.name != "postgresql":
        return _hold_at_once(connection, model, job_id)
    connection.execute(sa.text(f"SET LOCAL lock_timeout = {max(int(wait.total_seconds() * 1000), 1)}"))
    try:
        with connection.begin_nested():
            held = connection.scalar(sa.select(model.id).where(model.id == job_id).with_for_update(key_share=True))
    except sa.exc.OperationalError as error:
        if getattr(getattr(error, "orig", None), "sqlstate", None) != "55P03":  # lock_not_available
            raise
        return False
    return held is not None


def _recover_one(kind: JobKind, job_id: int, running: bool, attempts: int, moment: datetime) -> str | None:
    """The sweep's step for one job it read as left behind: send it again or give it up, and commit.
    Returns ``"sent"``, ``"failed"``, or None when it is no longer left (taken or finished meanwhile, or
    on SQLite its worker holds its file lock)."""
    from casework.core.db import commit, rows_changed
    from casework.core.tasks_outbox import enqueue
    from casework.extensions import db

    model = kind.model
    if running and worker_alive(kind, job_id):
        return None  # SQLite: its worker lives (a lease there is never renewed: the file lock says it)
    if not _hold_at_once(db.session, model, job_id):
        db.session.rollback()
        log.warning(
            "%s %s could not be taken by the sweep (its row is held by another transaction, such as a run "
            "still going past its time limit): left for the next sweep",
            model.__tablename__,
            job_id,
        )
        return None
    lapsed = _lapsed(model, moment)
    unchanged = sa.and_(model.id == job_id, kind.running() if running else kind.waiting(), lapsed)
    if running and attempts >= max_attempts():
        values = {"lease_until": None, "finished_at": moment, **kind.give_up(moment)}
        outcome = "failed"
    else:
        values = {"lease_until": queued_lease(moment), **(kind.requeue() if running else {})}
        outcome = "sent"
    changed = rows_changed(
        db.session.execute(
            sa.update(model).where(unchanged).values(**values).execution_options(synchronize_session=False)
        )
    )
    if changed and outcome == "sent":
        job = db.session.get(model, job_id)
        enqueue(kind.task, *kind.task_args(job))
    commit()
    if not changed:
        return None
    log.warning(
        "%s %s %s: %s",
        model.__tablename__,
        job_id,
        "was left by its worker" if running else "was never taken",
        "given up" if outcome == "failed" else "sent again",
    )
    return outcome
