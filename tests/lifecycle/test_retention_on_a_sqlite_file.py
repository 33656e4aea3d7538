"""On a SQLite file (the embedded default), what retention erases is gone from the disk too: not in the
database file's freed pages or deleted cells (``secure_delete`` on every connection, whatever the build
of SQLite does by default), and not in old frames of the WAL file (cut after a run that changed
anything). The other tests run in a transaction that is rolled back, so they never see the files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from casework import create_app
from casework.core.db import dispose_engines
from casework.extensions import db
from tests.conftest import test_settings as settings_for_tests

pytestmark = pytest.mark.sqlite_only

MARKER = "MkWALd41f00e7c3a"


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Any]:
    from flask_migrate import upgrade

    app = create_app(
        {**settings_for_tests(f"sqlite:///{tmp_path / 'casework.sqlite'}", tmp_path), "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        dispose_engines()
    yield app
    with app.app_context():
        dispose_engines()


def on_disk(folder: Path) -> dict[str, int]:
    """File name -> how many times the marker is in it (any case), for the database and its WAL file."""
    found = {}
    for name in ("casework.sqlite", "casework.sqlite-wal"):
        path = folder / name
        data = path.read_bytes().lower() if path.exists() else b""
        found[name] = data.count(MARKER.lower().encode())
    return found


def test_retention_leaves_no_erased_value_in_the_database_file_or_its_wal(sqlite_app, tmp_path):
    from casework.cases import services as cases
    from casework.core.db import commit
    from casework.data_protection.tasks import apply_retention
    from tests.support.officer import officer_with_a_case

    opened = datetime(2020, 1, 6, 12, 0, tzinfo=UTC)
    with time_machine.travel(opened, tick=False), sqlite_app.app_context():
        officer_with_a_case()
        from casework.accounts.models import User

        user = db.session.query(User).one()
        person, _similar = cases.create_person(
            user, name=f"Wanda {MARKER}", address=f"1 {MARKER} Road", email=f"{MARKER}@example.org"
        )
        case = cases.create_case(
            user,
            area_code="BOL",
            category="personal",
            summary=f"Shouting at {MARKER}",
            location=f"{MARKER} Park",
            parties=[{"person_id": person.id, "role": "victim"}],
        )
        commit()
        cases.close_case(user, case, reason=f"Moved: {MARKER}")
        commit()
    found = on_disk(tmp_path)
    assert sum(found.values()) > 0, found

    with time_machine.travel(opened + timedelta(days=7 * 366), tick=False), sqlite_app.app_context():
        counts = apply_retention()
        assert counts == {"cases": 1, "people": 1}
        # While the service still runs: its connections are open, as they would be.
        assert on_disk(tmp_path) == {"casework.sqlite": 0, "casework.sqlite-wal": 0}
        wal = tmp_path / "casework.sqlite-wal"
        assert not wal.exists() or wal.stat().st_size == 0
        pragmas = db.session.connection().exec_driver_sql("PRAGMA secure_delete").scalar()
        assert pragmas == 1
        db.session.rollback()
