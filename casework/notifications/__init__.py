"""Outgoing email: an outbox row per message, sent by a task after commit, exactly once per key."""
