"""Celery infrastructure: the worker entry point (``casework.tasks.worker``), the relay of the
transactional task outbox (``casework.core.tasks_outbox``, ``casework.tasks.relay``) and the lease sweep
of the background jobs (``casework.core.jobs``, ``casework.tasks.jobs``).

Domain tasks live next to their domain (``casework/<domain>/tasks.py``), with their beat entries in
that module's ``BEAT`` mapping; each domain registers its task modules in its ``init_app``
(``domain.tasks("casework.<domain>.tasks")``), and the factory gives Celery the assembled schedule.
"""

from __future__ import annotations

from flask import Flask

from casework.core.registry import register_domain


def init_app(app: Flask) -> None:
    """Register the task outbox's table and its beat relay (called from ``casework.app.DOMAINS``)."""
    domain = register_domain(app, "tasks")
    domain.models("casework.core.tasks_outbox")
    domain.tasks("casework.tasks.relay")
    domain.tasks("casework.tasks.jobs")
