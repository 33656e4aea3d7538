"""Celery infrastructure: the worker entry point (``casework.tasks.worker``).

Domain tasks live next to their domain (``casework/<domain>/tasks.py``), with their beat entries in
that module's ``BEAT`` mapping; each domain registers its task modules in its ``init_app``
(``domain.tasks("casework.<domain>.tasks")``), and the factory gives Celery the assembled schedule.
"""
