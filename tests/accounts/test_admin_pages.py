"""The administration pages for users, areas (and their dated settings) and agencies."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from casework.accounts.models import Agency, Area, AreaSetting, User
from casework.accounts.passwords import verify_password
from casework.audit.models import AuditAction, AuditEntry
from casework.core.registry import registry
from casework.core.settings import SettingSpec, boolean, timescale, whole_number
from casework.core.templating import format_date
from casework.core.time import today

OTHER_ROLES = ["officer", "coordinator", "chair", "manager", "partner"]


@pytest.fixture
def registered(app, monkeypatch):
    """Settings as other domains register them: a yes/no variant, a whole number with a warning, a
    timescale."""
    specs = [
        SettingSpec("test.community_variant", False, "Community threshold applies", "Test thresholds", boolean),
        SettingSpec(
            "test.complaints",
            3,
            "Complaints needed in six months",
            "Test thresholds",
            whole_number(1, 10),
            warn=lambda value: "Fewer than 3 complaints is below the usual threshold" if value < 3 else None,
        ),
        SettingSpec(
            "test.decision_time",
            {"amount": 10, "unit": "working_days"},
            "Time to make the threshold decision",
            "Test timescales",
            timescale,
        ),
    ]
    monkeypatch.setattr(registry(app), "settings", {spec.key: spec for spec in specs})
    return specs


@pytest.fixture
def world(make):
    """An area, an agency covering it, and an admin."""
    area = make.area("BOL", "Bolsover")
    agency = make.agency("BDC", areas=[area])
    admin = make.user("admin", agency=agency, email="admin@example.org", name="Ada Admin")
    return {"area": area, "agency": agency, "admin": admin}


@pytest.fixture
def admin_client(page_client, world):
    return page_client(world["admin"])


def count(db_session, model, *where) -> int:
    return db_session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def entries_about(db_session, object_type: str, object_id) -> list[AuditEntry]:
    return list(
        db_session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.id)
        )
    )


def page_urls(world, other_user) -> list[str]:
    return [
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{other_user.id}",
        f"/admin/users/{other_user.id}/password",
        "/admin/areas",
        "/admin/areas/new",
        "/admin/areas/BOL/settings",
        "/admin/area-defaults",
        "/admin/agencies",
        "/admin/agencies/new",
        "/admin/agencies/BDC",
        "/admin/audit",
    ]


# --- access -------------------------------------------------------------------------------------------


def test_every_page_works_for_an_admin(admin_client, world, make, registered):
    other = make.user("officer", agency=world["agency"])
    for url in page_urls(world, other):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert html.count("<h1") == 1, url
        assert 'class="govuk-breadcrumbs' in html, url


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_every_other_role_is_refused(page_client, world, make, role):
    other = make.user("officer", agency=world["agency"])
    client = page_client(make.user(role, agency=world["agency"]))
    for url in page_urls(world, other):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/areas/new", data={"code": "NED", "name": "North East Derbyshire"}).status_code == 403
    assert count(client.application.extensions["sqlalchemy"].session, Area, Area.code == "NED") == 0


def test_anonymous_is_sent_to_sign_in(client, world, make):
    other = make.user("officer", agency=world["agency"])
    for url in page_urls(world, other):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/sign-in?next=" in response.headers["Location"], url


def test_forms_refuse_a_post_without_a_csrf_token(app, world, db_session, make):
    plain = app.test_client(user=world["admin"])
    other = make.user("officer", agency=world["agency"])
    posts = {
        "/admin/users/new": {
            "name": "N",
            "email": "n@example.org",
            "agency": "BDC",
            "roles": "officer",
            "password": "long enough password",
        },
        f"/admin/users/{other.id}": {
            "name": "Changed",
            "agency": "BDC",
            "roles": "officer",
            "is_active": "yes",
            "version": str(other.version),
        },
        f"/admin/users/{other.id}/password": {"password": "another long password"},
        "/admin/areas/new": {"code": "NED", "name": "North East Derbyshire"},
        "/admin/areas/BOL/settings": {"effective_from-day": "1"},
        "/admin/agencies/new": {"code": "DP", "name": "Police", "kind": "police", "area_codes": "BOL"},
        "/admin/agencies/BDC": {"name": "Changed", "kind": "council", "area_codes": "BOL"},
    }
    before = count(db_session, AuditEntry)
    for url, data in posts.items():
        assert plain.post(url, data=data).status_code == 400, url
    assert count(db_session, AuditEntry) == before
    assert count(db_session, Area) == 1


# --- users --------------------------------------------------------------------------------------------


def test_create_user_with_roles_and_manager(admin_client, world, db_session, make):
    manager = make.user("manager", agency=world["agency"], email="mo@example.org")
    response = admin_client.post(
        "/admin/users/new",
        data={
            "name": "Olive Officer",
            "email": "Olive@Example.org",
            "agency": "BDC",
            "roles": ["officer", "coordinator"],
            "manager_email": "mo@example.org",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 302
    user = db_session.scalar(sa.select(User).where(User.email == "olive@example.org"))
    assert user.roles == ["coordinator", "officer"]
    assert user.manager_id == manager.id
    assert verify_password(user.password_hash, "a long enough password")
    (entry,) = entries_about(db_session, "users", user.id)
    assert entry.action == AuditAction.create
    assert entry.actor_id == world["admin"].id
    assert entry.changes["roles"] == ["coordinator", "officer"]
    assert "password" not in entry.changes
    assert "password_hash" not in entry.changes

    listing = admin_client.get("/admin/users").get_data(as_text=True)
    assert "Olive Officer" in listing
    assert "Case review coordinator" in listing


def test_create_user_with_missing_fields_shows_errors_and_writes_nothing(admin_client, world, db_session):
    users, entries = count(db_session, User), count(db_session, AuditEntry)
    response = admin_client.post("/admin/users/new", data={"name": "", "email": "not-an-email", "agency": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html
    assert "<title>Error: " in html
    for message in (
        "Enter the user&#39;s full name",
        "Enter an email address in the correct format",
        "Select the user&#39;s agency",
        "Select at least one role",
        "Enter an initial password",
    ):
        assert message in html
    assert 'href="#roles"' in html
    assert (count(db_session, User), count(db_session, AuditEntry)) == (users, entries)


def test_service_errors_are_shown_on_the_fields(admin_client, world, db_session):
    users, entries = count(db_session, User), count(db_session, AuditEntry)
    response = admin_client.post(
        "/admin/users/new",
        data={
            "name": "Someone",
            "email": "admin@example.org",
            "agency": "BDC",
            "roles": "officer",
            "manager_email": "nobody@example.org",
            "password": "short",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "A user with this email address already exists." in html
    assert "No user with email address nobody@example.org." in html
    assert "Password must be at least 12 characters long." in html
    assert 'href="#manager_email"' in html
    assert "short" not in re.findall(r'name="password"[^>]*>', html)[0]
    assert (count(db_session, User), count(db_session, AuditEntry)) == (users, entries)


def _edit_data(user, **changes):
    data = {
        "name": user.name,
        "agency": user.agency.code,
        "roles": user.roles,
        "manager_email": user.manager.email if user.manager else "",
        "is_active": "yes" if user.is_active else "no",
        "version": str(user.version),
    }
    data.update(changes)
    return data


def test_edit_user_changes_roles_manager_and_active_with_an_audit_entry(admin_client, world, db_session, make):
    manager = make.user("manager", agency=world["agency"], email="mo@example.org")
    other_agency = make.agency("DP", areas=[world["area"]], kind="police")
    user = make.user("officer", agency=world["agency"], name="Olive")
    form = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert f'name="version" type="hidden" value="{user.version}"' in form
    response = admin_client.post(
        f"/admin/users/{user.id}",
        data=_edit_data(
            user,
            name="Olive Oyl",
            agency="DP",
            roles=["officer", "manager"],
            manager_email="mo@example.org",
            is_active="no",
        ),
    )
    assert response.status_code == 302
    db_session.expire_all()
    user = db_session.get(User, user.id)
    assert (user.name, user.agency_id, user.roles, user.manager_id, user.is_active) == (
        "Olive Oyl",
        other_agency.id,
        ["manager", "officer"],
        manager.id,
        False,
    )
    entry = entries_about(db_session, "users", user.id)[-1]
    assert entry.action == AuditAction.update
    assert [sorted(roles) for roles in entry.changes["roles"]] == [["officer"], ["manager", "officer"]]
    assert entry.changes["is_active"] == [True, False]
    assert entry.changes["name"] == ["Olive", "Olive Oyl"]


def test_edit_with_a_stale_version_is_409_and_changes_nothing(admin_client, world, db_session, make):
    user = make.user("officer", agency=world["agency"], name="Olive")
    stale = _edit_data(user, name="Mine")
    # Someone else saves first.
    assert admin_client.post(f"/admin/users/{user.id}", data=_edit_data(user, name="Theirs")).status_code == 302
    entries = count(db_session, AuditEntry)
    response = admin_client.post(f"/admin/users/{user.id}", data=stale)
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(User, user.id).name == "Theirs"
    assert count(db_session, AuditEntry) == entries


def test_an_admin_cannot_lock_themselves_out(admin_client, world, db_session):
    admin = world["admin"]
    for change in ({"roles": ["officer"]}, {"is_active": "no"}):
        response = admin_client.post(f"/admin/users/{admin.id}", data=_edit_data(admin, **change))
        assert response.status_code == 422
        assert "You cannot remove your own administrator role" in response.get_data(as_text=True)
    db_session.expire_all()
    admin = db_session.get(User, admin.id)
    assert admin.roles == ["admin"]
    assert admin.is_active


def test_an_admin_editing_their_own_name_stays_signed_in(admin_client, world):
    admin = world["admin"]
    assert admin_client.post(f"/admin/users/{admin.id}", data=_edit_data(admin, name="Ada B")).status_code == 302
    assert admin_client.get("/admin/users").status_code == 200


def test_edit_user_unknown_manager_writes_nothing(admin_client, world, db_session, make):
    user = make.user("officer", agency=world["agency"])
    entries = count(db_session, AuditEntry)
    response = admin_client.post(
        f"/admin/users/{user.id}", data=_edit_data(user, roles=["manager"], manager_email="ghost@example.org")
    )
    assert response.status_code == 422
    assert "No user with email address ghost@example.org." in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(User, user.id).roles == ["officer"]
    assert count(db_session, AuditEntry) == entries


def test_reset_password(admin_client, world, db_session, make):
    user = make.user("officer", agency=world["agency"])
    version = user.version
    response = admin_client.post(f"/admin/users/{user.id}/password", data={"password": "short"})
    assert response.status_code == 422
    assert "Password must be at least 12 characters long." in response.get_data(as_text=True)

    response = admin_client.post(f"/admin/users/{user.id}/password", data={"password": "a brand new password"})
    assert response.status_code == 302
    db_session.expire_all()
    user = db_session.get(User, user.id)
    assert verify_password(user.password_hash, "a brand new password")
    assert user.version > version  # which signs the user out everywhere
    (entry,) = entries_about(db_session, "users", user.id)
    assert entry.summary.startswith("Reset the password")
    assert "a brand new password" not in str(entry.changes)
    # The account holder is told (an administrator's account in other hands could take over theirs),
    # and never what the new password is.
    from casework.notifications.models import OutboxEmail

    (told,) = db_session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == user.email)).all()
    assert told.subject == "Your Casework password was reset"
    assert "a brand new password" not in told.body_text


def test_user_search_and_filters(admin_client, world, make):
    police = make.agency("DP", areas=[world["area"]], kind="police")
    make.user("officer", agency=world["agency"], name="Olive Officer", email="olive@example.org")
    make.user("manager", agency=police, name="Pat Police", email="pat@police.example")
    make.user("chair", agency=world["agency"], name="Chris Chair", email="chris@example.org")

    def names(query: str) -> list[str]:
        html = admin_client.get(f"/admin/users?{query}").get_data(as_text=True)
        return re.findall(r'<a class="govuk-link" href="/admin/users/\d+">([^<]+)</a>', html)

    assert names("q=olive") == ["Olive Officer"]
    assert names("q=POLICE.EXAMPLE") == ["Pat Police"]
    assert names("q=%25") == []  # a literal "%", not a wildcard
    assert names("agency=DP") == ["Pat Police"]
    assert names("role=chair") == ["Chris Chair"]
    assert names("agency=BDC&role=officer") == ["Olive Officer"]
    assert "No users match these filters" in admin_client.get("/admin/users?q=zzz").get_data(as_text=True)


def test_user_list_pages(admin_client, world, make):
    for n in range(30):
        make.user("officer", agency=world["agency"], name=f"User {n:02d}")
    first = admin_client.get("/admin/users").get_data(as_text=True)
    assert "Showing 1 to 25 of 31 users" in first
    second = admin_client.get("/admin/users?page=2&role=officer").get_data(as_text=True)
    assert "Showing 26 to 30 of 30 users" in second
    assert "role=officer" in second  # the filter is kept on the pagination links


@pytest.mark.parametrize(
    ("url", "build"),
    [
        (
            "/admin/users",
            lambda make, world, n: [
                make.user("officer", agency=world["agency"], manager=world["admin"]) for _ in range(n)
            ],
        ),
        ("/admin/areas", lambda make, world, n: [make.agency(areas=[make.area()]) for _ in range(n)]),
        ("/admin/agencies", lambda make, world, n: [make.agency(areas=[world["area"]]) for _ in range(n)]),
    ],
)
def test_lists_run_a_fixed_number_of_queries(admin_client, world, make, count_queries, url, build):
    counts = []
    for size in (3, 30):
        build(make, world, size - len(counts) * 3)
        admin_client.get(url)  # warm up (first request of a session)
        with count_queries() as counter:
            assert admin_client.get(url).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


# --- areas and their settings ------------------------------------------------------------------------


def test_create_area(admin_client, world, db_session):
    response = admin_client.post("/admin/areas/new", data={"code": "ned", "name": "North East Derbyshire"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/areas/NED/settings")
    area = db_session.scalar(sa.select(Area).where(Area.code == "NED"))
    (entry,) = entries_about(db_session, "areas", area.id)
    assert entry.changes == {"code": "NED", "name": "North East Derbyshire"}


def test_create_area_refuses_a_duplicate_or_bad_code(admin_client, world, db_session):
    areas, entries = count(db_session, Area), count(db_session, AuditEntry)
    response = admin_client.post("/admin/areas/new", data={"code": "bol", "name": "Again"})
    assert response.status_code == 422
    assert "An area with code BOL already exists." in response.get_data(as_text=True)
    response = admin_client.post("/admin/areas/new", data={"code": "B O L", "name": ""})
    html = response.get_data(as_text=True)
    assert "Code must be 2 to 10 letters" in html
    assert "Enter the area&#39;s name" in html
    assert (count(db_session, Area), count(db_session, AuditEntry)) == (areas, entries)


def _settings_data(**values):
    # The pages' "today" (Europe/London). Not frozen: the signed-in session's idle timeout runs on the
    # real clock.
    on = today()
    data = {
        "effective_from-day": str(on.day),
        "effective_from-month": str(on.month),
        "effective_from-year": str(on.year),
        "setting_test_community_variant": "no",
        "setting_test_complaints": "3",
        "setting_test_decision_time-amount": "10",
        "setting_test_decision_time-unit": "working_days",
    }
    data.update(values)
    return data


def test_settings_page_shows_every_registered_setting_by_group(admin_client, world, registered):
    html = admin_client.get("/admin/areas/BOL/settings").get_data(as_text=True)
    assert '<h2 class="govuk-heading-m">Test thresholds</h2>' in html
    assert '<h2 class="govuk-heading-m">Test timescales</h2>' in html
    assert "Complaints needed in six months" in html
    assert "In force today: 10 working days (the default)." in html
    assert 'name="setting_test_community_variant" type="radio" value="no" checked' in html
    assert 'id="setting_test_decision_time-amount"' in html
    assert 'value="working_days" selected' in html
    assert f'name="effective_from-day" type="text" value="{today().day}"' in html


def test_change_settings_from_today_stores_only_what_changed(admin_client, world, db_session, registered):
    area = world["area"]
    response = admin_client.post(
        "/admin/areas/BOL/settings",
        data=_settings_data(
            setting_test_complaints="2",
            **{"setting_test_decision_time-amount": "5", "setting_test_decision_time-unit": "calendar_days"},
        ),
    )
    assert response.status_code == 302
    rows = db_session.scalars(sa.select(AreaSetting).where(AreaSetting.area_id == area.id)).all()
    assert {(r.key, str(r.value), r.effective_from) for r in rows} == {
        ("test.complaints", "2", today()),
        ("test.decision_time", str({"amount": 5, "unit": "calendar_days"}), today()),
    }
    entry = entries_about(db_session, "areas", area.id)[-1]
    assert entry.changes == {
        "test.complaints": [3, 2],
        "test.decision_time": [{"amount": 10, "unit": "working_days"}, {"amount": 5, "unit": "calendar_days"}],
    }
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 settings changed, from today" in html
    assert "Fewer than 3 complaints is below the usual threshold" in html  # the warning
    assert "In force today: 5 calendar days." in html


def test_a_future_change_is_shown_as_scheduled(admin_client, world, db_session, registered):
    later = today() + timedelta(days=21)
    response = admin_client.post(
        "/admin/areas/BOL/settings",
        data=_settings_data(
            setting_test_community_variant="yes",
            **{
                "effective_from-day": str(later.day),
                "effective_from-month": str(later.month),
                "effective_from-year": str(later.year),
            },
        ),
    )
    assert response.status_code == 302
    html = admin_client.get("/admin/areas/BOL/settings").get_data(as_text=True)
    assert f"In force today: No (the default). From {format_date(later)}: Yes." in html


def test_settings_refuse_bad_values_and_no_change(admin_client, world, db_session, registered):
    rows, entries = count(db_session, AreaSetting), count(db_session, AuditEntry)
    yesterday = today() - timedelta(days=1)
    response = admin_client.post(
        "/admin/areas/BOL/settings",
        data=_settings_data(
            setting_test_complaints="11",
            **{
                "setting_test_decision_time-amount": "ten",
                "effective_from-day": str(yesterday.day),
                "effective_from-month": str(yesterday.month),
                "effective_from-year": str(yesterday.year),
            },
        ),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html
    assert "Complaints needed in six months: must be 10 or less" in html
    assert "Time to make the threshold decision: must be a whole number" in html
    assert 'href="#setting_test_decision_time-amount"' in html

    response = admin_client.post("/admin/areas/BOL/settings", data=_settings_data(**{"effective_from-month": "13"}))
    assert "Date the changes take effect must be a real date" in response.get_data(as_text=True)

    response = admin_client.post("/admin/areas/BOL/settings", data=_settings_data())
    assert response.status_code == 422
    assert "Change at least one setting before saving" in response.get_data(as_text=True)
    assert (count(db_session, AreaSetting), count(db_session, AuditEntry)) == (rows, entries)


def test_settings_for_all_areas_apply_to_areas_without_their_own(admin_client, world, db_session, registered):
    from casework.accounts.services import area_settings

    response = admin_client.post("/admin/area-defaults", data=_settings_data(setting_test_complaints="4"))
    assert response.status_code == 302
    row = db_session.scalar(sa.select(AreaSetting).where(AreaSetting.key == "test.complaints"))
    assert row.area_id is None
    assert area_settings(world["area"], today())["test.complaints"] == 4
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "area_settings")).one()
    assert entry.changes == {"test.complaints": [3, 4]}
    html = admin_client.get("/admin/areas/BOL/settings").get_data(as_text=True)
    assert "In force today: 4 (the setting for all areas)." in html


def test_settings_page_of_an_unknown_area_is_404(admin_client, world):
    assert admin_client.get("/admin/areas/NOPE/settings").status_code == 404


# --- agencies -----------------------------------------------------------------------------------------


def test_create_and_edit_an_agency(admin_client, world, db_session, make):
    ned = make.area("NED", "North East Derbyshire")
    response = admin_client.post(
        "/admin/agencies/new",
        data={"code": "dp", "name": "Derbyshire Police", "kind": "police", "area_codes": ["BOL", "NED"]},
    )
    assert response.status_code == 302
    agency = db_session.scalar(sa.select(Agency).where(Agency.code == "DP"))
    assert [a.code for a in agency.areas] == ["BOL", "NED"]

    response = admin_client.post(
        "/admin/agencies/DP", data={"name": "Derbyshire Constabulary", "kind": "police", "area_codes": ["NED"]}
    )
    assert response.status_code == 302
    db_session.expire_all()
    agency = db_session.get(Agency, agency.id)
    assert agency.name == "Derbyshire Constabulary"
    assert [a.id for a in agency.areas] == [ned.id]
    create, update = entries_about(db_session, "agencies", agency.id)
    assert create.action == AuditAction.create
    assert create.changes["areas"] == ["BOL", "NED"]
    assert update.changes == {
        "name": ["Derbyshire Police", "Derbyshire Constabulary"],
        "areas": [["BOL", "NED"], ["NED"]],
    }


def test_agency_forms_refuse_bad_input_and_write_nothing(admin_client, world, db_session):
    agencies, entries = count(db_session, Agency), count(db_session, AuditEntry)
    response = admin_client.post(
        "/admin/agencies/new", data={"code": "BDC", "name": "Again", "kind": "council", "area_codes": "BOL"}
    )
    assert response.status_code == 422
    assert "An agency with code BDC already exists." in response.get_data(as_text=True)
    response = admin_client.post("/admin/agencies/new", data={"code": "X", "name": "", "kind": ""})
    html = response.get_data(as_text=True)
    for message in (
        "Code must be 2 to 20 letters",
        "Enter the agency&#39;s name",
        "Select the kind of organisation",
        "Select at least one area the agency covers",
    ):
        assert message in html
    response = admin_client.post("/admin/agencies/BDC", data={"name": "Renamed", "kind": "council"})
    assert response.status_code == 422
    assert (count(db_session, Agency), count(db_session, AuditEntry)) == (agencies, entries)
    db_session.expire_all()
    assert db_session.get(Agency, world["agency"].id).name != "Renamed"


def test_admin_home_page_links_to_every_admin_page(admin_client, world):
    html = admin_client.get("/").get_data(as_text=True)
    for url in ("/admin/users", "/admin/areas", "/admin/agencies", "/admin/audit", "/admin/area-defaults"):
        assert f'href="{url}"' in html, url
    assert "(1)" in html  # counts next to the links


# --- accessibility in a real browser ------------------------------------------------------------------


@pytest.mark.browser
def test_admin_pages_and_their_error_states_pass_axe(browser, tmp_path, registered):
    """Every administration page, and each form after a failed submission, in Chromium with axe-core.

    A separate app on its own SQLite file: the live server runs in another thread, which cannot share
    the other tests' transaction.
    """
    from flask_migrate import upgrade

    from casework import create_app
    from casework.accounts import services
    from casework.core.db import dispose_engines
    from casework.extensions import db
    from tests.conftest import TEST_PASSWORD, test_settings
    from tests.support.browser import assert_accessible, run_live_server

    app = create_app(
        {**test_settings(f"sqlite:///{tmp_path / 'axe.sqlite'}", tmp_path), "INSTANCE_PATH": str(tmp_path)}
    )
    # This app's own registry (each app has one): the settings as the fixture registers them.
    registry(app).settings = {spec.key: spec for spec in registered}
    with app.app_context():
        upgrade()
        area = services.create_area(None, "BOL", "Bolsover")
        agency = services.create_agency(None, "BDC", "Bolsover District Council", "council", ["BOL"])
        admin = services.create_user(
            None, email="admin@example.org", name="Ada Admin", password=TEST_PASSWORD, agency=agency, roles=["admin"]
        )
        officer = services.create_user(
            admin,
            email="olive@example.org",
            name="Olive Officer",
            password=TEST_PASSWORD,
            agency=agency,
            roles=["officer"],
            manager_email="admin@example.org",
        )
        services.update_area_settings(admin, area, {"test.complaints": 4}, today() + timedelta(days=30))
        db.session.commit()
        officer_id = officer.id
        dispose_engines()

    pages = [
        "/admin/users",
        "/admin/users?q=nobody",
        "/admin/users/new",
        f"/admin/users/{officer_id}",
        f"/admin/users/{officer_id}/password",
        "/admin/areas",
        "/admin/areas/new",
        "/admin/areas/BOL/settings",
        "/admin/area-defaults",
        "/admin/agencies",
        "/admin/agencies/new",
        "/admin/agencies/BDC",
        "/admin/audit",
        "/admin/audit?user=x&date_from-day=40&date_from-month=1&date_from-year=2026",
    ]
    forms = [
        "/admin/users/new",
        f"/admin/users/{officer_id}/password",
        "/admin/areas/new",
        "/admin/agencies/new",
        "/admin/areas/BOL/settings",
    ]
    base_url, stop = run_live_server(app)
    try:
        context = browser.new_context(base_url=base_url)
        page = context.new_page()
        page.goto("/sign-in")
        page.fill("#email", "admin@example.org")
        page.fill("#password", TEST_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/")
        for url in pages:
            page.goto(url)
            assert_accessible(page)
        for url in forms:
            page.goto(url)
            if url.endswith("/settings"):
                page.fill("#setting_test_complaints", "99")
                page.fill("#setting_test_decision_time-amount", "ten")
            with page.expect_navigation():
                page.locator("main form[method=post] button[type=submit]").click()
            assert page.locator(".govuk-error-summary").count() == 1, url
            assert_accessible(page)
        context.close()
    finally:
        stop()
        with app.app_context():
            dispose_engines()
