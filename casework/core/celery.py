"""Celery wired to the app: every task runs inside an app context, JSON only, late acknowledgement.

Tasks are declared with ``@shared_task(name="domain.action")`` next to their domain and receive ids,
never ORM objects. Periodic tasks register their beat entry with ``casework.tasks.periodic``.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask, appcontext_pushed


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
        # Redis redelivers unacknowledged messages after the visibility timeout (1 hour by default);
        # retries scheduled further ahead than that would run twice, so allow two days.
        broker_transport_options={"visibility_timeout": 2 * 24 * 3600} if broker.startswith("redis") else {},
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app

    def use_this_celery(_sender: Flask, **_extra: Any) -> None:
        # ``shared_task`` resolves to Celery's current app. With more than one Flask app in a process
        # (the test suite builds several), the last one built would otherwise take every task.
        celery_app.set_current()

    appcontext_pushed.connect(use_this_celery, app, weak=False)
    return celery_app
