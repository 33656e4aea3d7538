"""Deadlines as rows, swept by Celery beat: reminders before, escalations after, daily digests."""
