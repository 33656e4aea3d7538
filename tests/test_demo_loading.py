"""The demo data: loads in dependency order whatever was imported first, and a second load changes nothing.

``scripts/start`` loads it at every start, on a database that may hold a partnership's own records
beside it (a trial) or the demo of an older release (an upgrade): a load changes no row it did not make.
"""

import importlib

import sqlalchemy as sa

from casework.core.db import dispose_engines
from casework.extensions import db
from tests.support.walk import changed_tables, table_digest


def _counts(app):
    from casework.accounts.models import User
    from casework.cases.models import Case
    from casework.community_triggers.models import TriggerApplication

    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (User, Case, TriggerApplication)
        )


def test_demo_loads_in_order_and_is_idempotent(tmp_path):
    from flask_migrate import upgrade

    from casework import create_app
    from tests.conftest import test_settings

    # A domain's demo module imported before the accounts loader must still run after it.
    importlib.import_module("casework.community_triggers.demo")
    app = create_app(
        {**test_settings(f"sqlite:///{tmp_path / 'demo.sqlite'}", tmp_path), "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    first = _counts(app)
    users, cases, applications = first
    assert users >= 6
    assert cases > 0
    assert applications > 0
    for _restart in range(2):
        with app.app_context():
            before = table_digest()
        assert runner.invoke(args=["demo", "load"]).exit_code == 0
        with app.app_context():
            assert changed_tables(before, table_digest()) == [], "a second demo load changed these tables"
    assert _counts(app) == first
    logins = runner.invoke(args=["demo", "logins"]).output
    for role in ("officer", "coordinator", "chair", "manager", "partner", "admin"):
        assert f"{role}@casework.example" in logins
    with app.app_context():
        dispose_engines()


def test_demo_load_leaves_the_partnerships_own_cases_alone(tmp_path):
    """A case the demo did not make, opened weeks ago with no first contact recorded yet, is not given one
    (the first contacts' loader took any case without one)."""
    from datetime import timedelta

    from flask_migrate import upgrade

    from casework import create_app
    from casework.accounts import services as accounts
    from casework.cases import services as cases
    from casework.cases.models import Case
    from casework.core.db import commit
    from casework.core.time import today
    from tests.conftest import test_settings

    app = create_app(
        {**test_settings(f"sqlite:///{tmp_path / 'trial.sqlite'}", tmp_path), "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        officer = accounts.create_user(
            None,
            email="real.officer@bolsover.example",
            name="Real Officer",
            password="a-password-long-enough-1",
            agency=accounts.get_agency("BDC"),
            roles=["officer"],
            manager_email=None,
        )
        own = cases.create_case(officer, area_code="BOL", category="personal", summary="A partnership's own case")
        own.opened_on = today() - timedelta(days=30)
        commit()
        own_id = own.id
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        assert db.session.get(Case, own_id).victim_first_contacted_on is None
        dispose_engines()


def test_demo_load_refuses_production_unless_forced(tmp_path):
    from flask_migrate import upgrade

    from casework import create_app
    from casework.core import data_keys
    from tests.conftest import test_settings

    settings = test_settings(f"sqlite:///{tmp_path / 'live.sqlite'}", tmp_path)
    app = create_app({**settings, "ENV": "production", "DATA_KEY": data_keys.new_key(), "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["demo", "load"])
    assert refused.exit_code == 1
    assert "CASEWORK_ENV is production" in refused.output
    assert "--force" in refused.output
    assert _counts(app) == (0, 0, 0)
    forced = runner.invoke(args=["demo", "load", "--force"])
    assert forced.exit_code == 0, forced.output
    assert _counts(app)[0] >= 6
    with app.app_context():
        dispose_engines()
