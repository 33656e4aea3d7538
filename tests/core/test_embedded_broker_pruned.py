"""The embedded broker (kombu's SQLAlchemy transport on a SQLite file) keeps every message it delivered,
marked invisible, for ever: its file grew by every beat task and every page's email. The hourly
``tasks.prune_broker`` deletes them; a message not yet delivered stays and is delivered."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kombu import Connection


def _counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*), coalesce(sum(visible), 0) FROM kombu_message").fetchone()


def test_the_embedded_broker_forgets_what_it_delivered(tmp_path, app):
    from casework.tasks.relay import prune_broker, prune_embedded_broker

    path = tmp_path / "broker.sqlite"
    url = f"sqla+sqlite:///{path}"
    assert prune_embedded_broker(url) == 0  # the transport has not made its table yet
    with Connection(url) as connection:
        queue = connection.SimpleQueue("celery")
        queue.put({"n": 1})
        queue.put({"n": 2})
        message = queue.get(timeout=5)
        assert message.payload == {"n": 1}
        message.ack()
        queue.close()
    assert _counts(path) == (2, 1)

    app.config["BROKER_URL"] = url
    try:
        with app.app_context():
            assert prune_broker.run() == 1
    finally:
        app.config["BROKER_URL"] = "memory://"
    assert _counts(path) == (1, 1)
    with Connection(url) as connection:
        queue = connection.SimpleQueue("celery")
        assert queue.get(timeout=5).payload == {"n": 2}
        queue.close()
    # Redis deletes what it delivers: nothing to do there.
    assert prune_embedded_broker("redis://127.0.0.1:1/0") == 0
    assert "tasks.prune_broker" in app.extensions["celery"].conf.beat_schedule
