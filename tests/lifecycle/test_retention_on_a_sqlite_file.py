"""On a SQLite file (the embedded default), what retention erases is gone from the disk too: not in the
database file's freed pages or deleted cells (``secure_delete`` on every connection, whatever the build
of SQLite does by default), and not in old frames of the WAL file (cut after a run that changed
anything). What other paths delete (an import's file, the forms' keys) is gone from both files within
the hour (``tasks.cut_sqlite_wal``). The other tests run in a transaction that is rolled back, so they
never see the files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
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


def test_what_other_paths_delete_leaves_both_files_within_the_hour(sqlite_app, tmp_path):
    """Outside the retention run: an import's uploaded file deleted once checked, and a form's key (the
    list search it redirected to, the API answer it kept) pruned after a day. SQLite zeroes the newest
    copy of their pages, in the WAL file; the database file keeps the old page until a checkpoint, which
    on a quiet service may be days away. The hourly beat task cuts the WAL file, whatever deleted what."""
    from casework.accounts.models import User
    from casework.accounts.tasks import prune_sessions
    from casework.core import submissions
    from casework.core.db import commit, truncate_sqlite_wal
    from casework.spreadsheets.models import ImportFileChunk, ImportJob
    from tests.support.officer import officer_with_a_case

    uploaded = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(uploaded, tick=False), sqlite_app.app_context():
        officer_with_a_case()
        user = db.session.query(User).one()
        job = ImportJob(
            kind="people",
            agency_id=user.agency_id,
            created_by_id=user.id,
            filename="upload.csv",
            file_format="csv",
            size=64,
            sha256="0" * 64,
            header=["reference", "name", "address"],
        )
        db.session.add(job)
        db.session.flush()
        db.session.add(ImportFileChunk(job_id=job.id, position=0, data=f"P-1,Wanda {MARKER},1 High St\n".encode()))
        db.session.add(
            submissions.SubmissionKey(
                key="k" * 32,
                user_id=user.id,
                location=f"/cases/?q=Wanda+{MARKER}",
                status=201,
                answer=f'{{"name": "Wanda {MARKER}"}}',
                created_at=uploaded,  # its default is the database's clock, which time_machine does not move
            )
        )
        commit()
        # As a long-running service would have it: the rows copied into the database file.
        assert truncate_sqlite_wal()
        assert on_disk(tmp_path)["casework.sqlite"] >= 3
        # The import's check found a problem: its file goes at once.
        db.session.execute(sa.delete(ImportFileChunk).where(ImportFileChunk.job_id == job.id))
        commit()
    with time_machine.travel(uploaded + timedelta(days=2), tick=False), sqlite_app.app_context():
        assert prune_sessions.run() >= 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportFileChunk)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(submissions.SubmissionKey)) == 0
        db.session.rollback()
        # Gone from every table, still on the disk: what this test is about.
        assert sum(on_disk(tmp_path).values()) > 0, on_disk(tmp_path)

        beat = sqlite_app.extensions["celery"].conf.beat_schedule
        entry = next((entry for entry in beat.values() if entry["task"] == "tasks.cut_sqlite_wal"), None)
        assert entry is not None, "no beat task cuts the WAL file"
        assert entry["schedule"] <= 3600
        task = sqlite_app.extensions["celery"].tasks["tasks.cut_sqlite_wal"]
        assert task.run() is True
        assert on_disk(tmp_path) == {"casework.sqlite": 0, "casework.sqlite-wal": 0}
