"""Celery infrastructure: the beat schedule assembled from the domains, and the worker entry point
(``casework.tasks.worker``). Domain tasks live next to their domain (``casework/<domain>/tasks.py``)."""

from __future__ import annotations

import importlib
from typing import Any

#: Every module that defines tasks; imported by the factory so the worker and beat know them.
TASK_MODULES: list[str] = [
    "casework.accounts.tasks",
    "casework.notifications.tasks",
    "casework.reminders.tasks",
    "casework.cases.tasks",
    "casework.interventions.tasks",
    "casework.community_triggers.tasks",
    "casework.statistics.tasks",
    "casework.spreadsheets.tasks",
    "casework.tasks.relay",
    "casework.core.storage",
    "casework.audit.tasks",
]

#: name -> beat entry, filled by ``periodic``.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}


def periodic(name: str, schedule: Any, **options: Any) -> None:
    """Register a beat entry next to the task it runs (``periodic("reminders.sweep", 300.0)``)."""
    BEAT_SCHEDULE[name] = {"task": name, "schedule": schedule, **({"options": options} if options else {})}


def import_task_modules() -> dict[str, dict[str, Any]]:
    for module in TASK_MODULES:
        importlib.import_module(module)
    return BEAT_SCHEDULE
