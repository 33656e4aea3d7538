"""Celery wired to the app: every task runs inside an app context, JSON only, late acknowledgement.

Tasks are declared with ``@shared_task(name="domain.action")`` next to their domain and receive ids,
never ORM objects. Periodic tasks are listed in their module's ``BEAT`` mapping (see
``casework.core.registry``).
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from celery.signals import worker_init
from flask import Flask, appcontext_pushed

#: Redis redelivers an unacknowledged message after this many seconds. Kombu's default is one hour;
#: a task held by a worker longer than that (an ETA retry, a long send) would run twice, so allow two
#: days as Indico does. Tests that kill a worker set CASEWORK_BROKER_VISIBILITY_TIMEOUT to seconds.
DEFAULT_VISIBILITY_TIMEOUT = 2 * 24 * 3600


def _transport_options(broker: str, settings: dict[str, Any]) -> dict[str, Any]:
    if not broker.startswith(("redis://", "rediss://")):
        # The embedded SQLAlchemy transport has no visibility timeout: a message fetched by a worker
        # is hidden for good and comes back only when that worker rejects it (a killed pool process,
        # task_reject_on_worker_lost) or restores it at a warm shutdown. notifications.resend_unsent
        # covers a whole worker killed with -9.
        return {}
    raw = settings.get("BROKER_VISIBILITY_TIMEOUT", DEFAULT_VISIBILITY_TIMEOUT)
    try:
        timeout = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"CASEWORK_BROKER_VISIBILITY_TIMEOUT must be whole seconds, not {raw!r}") from None
    if timeout < 1:
        raise ValueError("CASEWORK_BROKER_VISIBILITY_TIMEOUT must be at least 1 second")
    options: dict[str, Any] = {"visibility_timeout": timeout}
    if timeout < 600:
        # Kombu scans for expired unacknowledged messages only every 10 s x 10 calls (100 s); with a
        # short timeout (tests, small deployments) scan every third of it so recovery is prompt.
        options.update(unacked_restore_interval=max(1, timeout // 3), unacked_restore_throttle=1)
    return options


def _job_time_limits(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each background job's task (``casework.core.jobs.KINDS``) is killed once it has run for
    ``CASEWORK_JOB_TIME_LIMIT_SECONDS``, where Celery can do it: on the prefork pool (docker compose),
    whose parent kills the child. The solo pool of ``scripts/start`` runs the task in the worker itself and
    cannot: there the job's watch ends the worker's process at the limit instead
    (``_end_hung_runs_on_the_solo_pool``), and ``scripts/keep-worker`` (under ``scripts/start``) starts it
    again.

    A hard limit, without a soft one: killed, the run is a dead worker's, its transaction gone with it,
    and the lease sweep sends the job again (or gives it up after the attempts). A soft limit would raise
    inside the run, which each task's own error handling would record as a failure of the service's
    without trying again."""
    from casework.core import jobs

    limit = int(settings["JOB_TIME_LIMIT_SECONDS"])
    return {kind.task: {"time_limit": limit} for kind in jobs.KINDS.values()}


def _end_hung_runs_on_the_solo_pool(sender: Any, **_kwargs: Any) -> None:
    """``worker_init``: in a worker started from the command line (``celery worker``, as ``scripts/start``
    runs it) on the solo pool, a job's run still going at its time limit ends the worker's process
    (``casework.core.jobs.END_WORKER_PAST_TIME_LIMIT``): Celery cannot kill it there, and the run is the
    worker's only thread of work. Not for a worker a test starts in its own process
    (``celery.contrib.testing``), nor for the prefork pool, whose parent kills a hung child itself."""
    from celery.apps.worker import Worker
    from celery.concurrency import get_implementation
    from celery.concurrency.solo import TaskPool as SoloPool

    from casework.core import jobs

    if not isinstance(sender, Worker):
        return
    pool = get_implementation(sender.pool_cls)
    if isinstance(pool, type) and issubclass(pool, SoloPool):
        jobs.END_WORKER_PAST_TIME_LIMIT = True


def celery_init_app(app: Flask, beat_schedule: dict[str, Any]) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    settings = app.config["CASEWORK"]
    broker = settings["BROKER_URL"]
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.update(
        broker_url=broker,
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # A task is acknowledged only when it has finished, and put back if its worker dies, so a
        # killed worker's job runs again; the tasks are written to be safe to run twice.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_always_eager=settings["CELERY_ALWAYS_EAGER"],
        task_eager_propagates=True,
        timezone="Europe/London",
        enable_utc=True,
        beat_schedule=beat_schedule,
        broker_transport_options=_transport_options(broker, settings),
        task_annotations=_job_time_limits(settings),
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app

    def use_this_celery(_sender: Flask, **_extra: Any) -> None:
        # ``shared_task`` resolves to Celery's current app. With more than one Flask app in a process
        # (the test suite builds several), the last one built would otherwise take every task.
        celery_app.set_current()

    appcontext_pushed.connect(use_this_celery, app, weak=False)
    # Once per process, whichever app is built first (the uid): the worker's own start decides.
    worker_init.connect(_end_hung_runs_on_the_solo_pool, weak=False, dispatch_uid="casework-solo-hung-runs")
    return celery_app
