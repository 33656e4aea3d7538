"""Celery tasks of this domain."""
