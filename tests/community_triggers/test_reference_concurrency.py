"""Application references under real concurrency (PostgreSQL): two registrations in the same area and
year at the same moment get different, consecutive references. Runs in its own database, because the
transactions must really commit for the second to see (and trip over) the first."""

from __future__ import annotations

import threading
import uuid
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests import conftest
from tests.support.databases import drop_database


@pytest.mark.postgresql_only
def test_concurrent_registrations_get_consecutive_references(postgresql_url, tmp_path):
    import psycopg
    from flask_migrate import upgrade
    from psycopg import sql

    from casework import create_app
    from casework.accounts import services as accounts
    from casework.community_triggers import services
    from casework.core.db import commit, dispose_engines
    from casework.extensions import db

    parts = urlsplit(postgresql_url)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    dbname = f"casework_ct_refs_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    try:
        url = urlunsplit((parts.scheme, parts.netloc, "/" + dbname, "", ""))
        app = create_app({**conftest.test_settings(url, tmp_path), "INSTANCE_PATH": str(tmp_path)})
        with app.app_context():
            upgrade()
            area = accounts.create_area(None, "CON", "Concurrency")
            agency = accounts.create_agency(None, "CONC", "Concurrency Council", "council", ["CON"])
            user = accounts.create_user(
                None,
                email="c@example.org",
                name="C",
                password="a long password 12345",
                agency=agency,
                roles=["coordinator"],
            )
            commit()
            area_id, user_id = area.id, user.id

        # Both registrations start together: the counter row's lock makes the second wait for the first.
        barrier = threading.Barrier(2, timeout=10)
        references: list[str] = []
        errors: list[BaseException] = []

        def register() -> None:
            try:
                barrier.wait()
                with app.app_context():
                    from casework.accounts.models import Area, User

                    application = services.register_application(
                        db.session.get(User, user_id),
                        {
                            "area": db.session.get(Area, area_id),
                            "received_on": date(2026, 3, 2),
                            "channel": "phone",
                            "applicant": {"name": "Jane"},
                            "applicant_role": "victim",
                            "description": "Noise",
                            "complaints": [],
                            "cases": [],
                        },
                    )
                    commit()
                    references.append(application.reference)
                    db.session.remove()
            except BaseException as error:  # reported below, with the thread's traceback
                errors.append(error)

        threads = [threading.Thread(target=register) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors, errors
        assert sorted(references) == ["CON-CT-2026-0001", "CON-CT-2026-0002"]
        with app.app_context():
            dispose_engines()
    finally:
        drop_database(admin, dbname)
