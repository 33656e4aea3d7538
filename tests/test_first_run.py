"""The first run (scripts/start): what it prints once the service answers, and demo data in which every
area can take a Case Review from application to meeting."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from casework.core.db import dispose_engines
from casework.extensions import db


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    from flask_migrate import upgrade

    from casework import create_app
    from tests.conftest import test_settings

    folder = tmp_path_factory.mktemp("first_run")
    app = create_app(
        {
            **test_settings(f"sqlite:///{folder / 'demo.sqlite'}", folder),
            "INSTANCE_PATH": str(folder),
            "BASE_URL": "http://127.0.0.1:5101",
        }
    )
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        dispose_engines()


def test_welcome_names_the_public_pages_and_api_docs_at_the_configured_port(demo_app) -> None:
    output = demo_app.test_cli_runner().invoke(args=["demo", "welcome"]).output
    for path in ("/case-review/", "/case-review/progress", "/statistics", "/api/v1/docs"):
        assert f"http://127.0.0.1:5101{path}" in output
    for role in ("officer", "coordinator", "chair", "manager", "partner", "admin"):
        assert f"{role}@casework.example" in output
    assert "coordinator.amb@casework.example" not in output  # named by pattern, not one by one
    assert "coordinator.<area>@casework.example" in output


def test_every_address_the_welcome_prints_answers(demo_app) -> None:
    from casework.demo import welcome_lines

    with demo_app.app_context():
        lines = welcome_lines()
    urls = [line.split()[-1] for line in lines[1:] if line.split()[-1].startswith("http://127.0.0.1:5101/")]
    assert len(urls) == 5
    client = demo_app.test_client()
    for url in urls:
        response = client.get(urlsplit(url).path)
        assert response.status_code in (200, 302), url
        if response.status_code == 302:  # the staff service asks to sign in
            assert "sign-in" in response.headers["Location"]


def test_every_demo_area_has_a_coordinator_a_manager_and_an_independent_chair(demo_app) -> None:
    from casework.accounts.models import Area, User, UserRole, agency_areas
    from casework.core.permissions import Role

    def holders(role: Role, area_id: int, *, in_area: bool) -> list[str]:
        agency_in_area = User.agency_id.in_(
            sa.select(agency_areas.c.agency_id).where(agency_areas.c.area_id == area_id)
        )
        return list(
            db.session.scalars(
                sa.select(User.email)
                .join(UserRole, UserRole.user_id == User.id)
                .where(
                    UserRole.role == role,
                    User.is_active.is_(True),
                    agency_in_area if in_area else ~agency_in_area,
                )
            )
        )

    with demo_app.app_context():
        areas = db.session.scalars(sa.select(Area).order_by(Area.code)).all()
        assert len(areas) == 8
        for area in areas:
            assert holders(Role.coordinator, area.id, in_area=True), f"no coordinator in {area.name}"
            assert holders(Role.manager, area.id, in_area=True), f"no manager in {area.name}"
            assert holders(Role.chair, area.id, in_area=False), f"no independent chair for {area.name}"


def test_an_application_in_any_area_has_a_coordinator_to_own_its_deadlines(demo_app) -> None:
    from casework.accounts.models import Area, User
    from casework.community_triggers.deadlines import area_coordinator_id
    from casework.community_triggers.models import TriggerApplication

    with demo_app.app_context(), db.session.no_autoflush:
        for area in db.session.scalars(sa.select(Area)).all():
            application = TriggerApplication(area_id=area.id)  # as the public form would register it
            coordinator_id = area_coordinator_id(application)
            assert coordinator_id is not None, area.name
            coordinator = db.session.get(User, coordinator_id)
            assert area.id in {a.id for a in coordinator.agency.areas}
        db.session.rollback()
