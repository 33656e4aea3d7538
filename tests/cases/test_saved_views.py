"""Saved views of the case list: kept under a name for the user or their team, opened as links, deleted
only by who saved them, audited; never a page of another team's."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import sqlalchemy as sa

from casework.audit.models import AuditAction, AuditEntry
from casework.cases.models import Case, SavedCaseView
from casework.extensions import db
from tests.conftest import csrf_from


def save(client, arguments: dict[str, str], name: str, share: bool = False):
    form_page = client.get("/cases/views/new?" + urlencode(arguments))
    assert form_page.status_code == 200
    html = form_page.get_data(as_text=True)
    hidden = html.split('name="arguments"')[1].split('value="')[1].split('"')[0].replace("&amp;", "&")
    data = {"csrf_token": csrf_from(html), "name": name, "arguments": hidden}
    if share:
        data["share_with_team"] = "y"
    return client.post("/cases/views/new", data=data)


def test_a_view_keeps_the_lists_arguments_and_opens_as_a_link(page_client, world, open_case):
    open_case(summary="Nuisance", category="nuisance")
    client = page_client(world.officer)
    response = save(
        client, {"category": "nuisance", "owner": "me", "sort": "reference", "page": "3", "cursor": "x"}, "My nuisance"
    )
    assert response.status_code == 302
    view = db.session.scalar(sa.select(SavedCaseView))
    assert view.name == "My nuisance"
    # The list's own arguments only: never the page or a cursor.
    assert view.arguments == {"category": "nuisance", "owner": "me", "sort": "reference"}
    assert view.team_manager_id is None
    listing = client.get("/cases/").get_data(as_text=True)
    assert "My nuisance" in listing
    assert "category=nuisance" in listing
    assert "My nuisance" in client.get("/cases/views").get_data(as_text=True)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.object_type == "saved_case_views"))
    assert entry is not None


def test_a_shared_view_is_seen_by_the_team_and_no_one_else(page_client, world, make):
    client = page_client(world.officer)
    assert save(client, {"risk": "high"}, "High risk", share=True).status_code == 302
    assert save(client, {"risk": "medium"}, "Medium, mine").status_code == 302
    view = db.session.scalar(sa.select(SavedCaseView).where(SavedCaseView.name == "High risk"))
    assert view.team_manager_id == world.manager.id
    teammate = make.user("officer", agency=world.bdc, email="mate@bdc.example", manager=world.manager)
    for user in (world.manager, teammate):
        page = page_client(user).get("/cases/views").get_data(as_text=True)
        assert "High risk" in page
        assert "Medium, mine" not in page
    for user in (world.coordinator, world.other_officer):
        page = page_client(user).get("/cases/views").get_data(as_text=True)
        assert "High risk" not in page


def test_only_who_saved_a_view_deletes_it(page_client, world):
    client = page_client(world.officer)
    save(client, {"risk": "high"}, "High risk", share=True)
    view_id = db.session.scalar(sa.select(SavedCaseView.id))
    manager = page_client(world.manager)
    token = csrf_from(manager.get("/cases/views").get_data(as_text=True))
    assert manager.post(f"/cases/views/{view_id}/delete", data={"csrf_token": token}).status_code == 302
    assert db.session.get(SavedCaseView, view_id) is not None
    outsider = page_client(world.other_officer)
    token = csrf_from(outsider.get("/cases/views").get_data(as_text=True))
    assert outsider.post(f"/cases/views/{view_id}/delete", data={"csrf_token": token}).status_code == 404
    assert db.session.get(SavedCaseView, view_id) is not None
    token = csrf_from(client.get("/cases/views").get_data(as_text=True))
    assert client.post(f"/cases/views/{view_id}/delete", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SavedCaseView, view_id) is None


def test_bad_names_are_refused_and_nothing_is_written(page_client, world):
    client = page_client(world.officer)
    assert save(client, {}, "").status_code == 422
    assert save(client, {}, "x" * 101).status_code == 422
    assert save(client, {}, "Mine").status_code == 302
    duplicate = save(client, {}, "mine")
    assert duplicate.status_code == 422
    assert "You already have a view with this name" in duplicate.get_data(as_text=True)
    # A user without a manager who is not a manager has no team to share with.
    lonely = page_client(world.coordinator)
    refused = save(lonely, {}, "Shared", share=True)
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedCaseView)) == 1


def test_erasing_a_person_clears_the_saved_searches_that_name_them(api_client, page_client, world, open_case, person):
    """Retention anonymises a person (lifecycle.person_anonymised): a saved view whose search holds their
    name, or part of it, or whose own name does, loses it; other views, and the filters, stay."""
    import time_machine

    from casework.data_protection.tasks import apply_retention

    victim = person("Vera Victim", date_of_birth="1950-01-01", address="1 Elm Street")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}], category="nuisance")
    client = page_client(world.officer)
    assert save(client, {"q": "vera victim", "category": "nuisance"}, "Search for her").status_code == 302
    assert save(client, {"q": "Victim"}, "Surname only").status_code == 302
    assert save(client, {"q": "Elm Street"}, "Vera Victim's street").status_code == 302
    assert save(client, {"q": "Ver"}, "Too short to name her").status_code == 302
    assert save(client, {"q": "Someone else", "risk": "high"}, "Another person").status_code == 302
    closed = api_client(world.officer).post(f"/api/v1/cases/{case['id']}/close", json={"reason": "Resolved"})
    assert closed.status_code == 200, closed.json
    closed_on = db.session.get(Case, case["id"]).closed_on
    day_after = closed_on.replace(year=closed_on.year + 6) + timedelta(days=1)
    with time_machine.travel(day_after.isoformat() + " 12:00Z"):
        assert apply_retention()["people"] == 1
    db.session.expire_all()
    views = {view.id: view for view in db.session.scalars(sa.select(SavedCaseView))}
    by_search = {view.arguments.get("q"): view for view in views.values()}
    assert "vera victim" not in by_search
    assert "Victim" not in by_search
    searches = sorted(str(view.arguments) for view in views.values())
    assert searches == sorted(
        [
            str({"category": "nuisance"}),  # the filter stays
            str({}),
            str({"q": "Elm Street"}),
            str({"q": "Ver"}),
            str({"q": "Someone else", "risk": "high"}),
        ]
    )
    renamed = next(view for view in views.values() if view.arguments.get("q") == "Elm Street")
    assert renamed.name == f"Saved view {renamed.id}"
    assert {view.name for view in views.values()} >= {"Search for her", "Too short to name her", "Another person"}
    # The search kept in the audit log's entries about the cleared views is erased too.
    cleared = [view.id for view in views.values() if view.name in {"Search for her", "Surname only"}]
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "saved_case_views", AuditEntry.object_id.in_([str(i) for i in cleared])
        )
    ).all()
    saved = [entry for entry in entries if entry.action == AuditAction.create]
    assert len(saved) == 2
    assert all(entry.erased_at is not None for entry in saved)
    assert not any("vera" in f"{entry.summary} {entry.changes}".lower() for entry in entries)


def test_the_case_list_links_each_visible_view_in_order_without_loading_it(page_client, world, make):
    """The case list reads the views as values (casework.cases.saved_views.view_links_for): the same
    views as views_for, in the same order, the team's marked, and no view built as an entity."""
    from casework.cases import saved_views

    client = page_client(world.officer)
    for arguments, name, share in (
        ({"risk": "high"}, "high risk", True),
        ({"risk": "medium", "q": "Rita & Ŵyn"}, "Medium, mine", False),
        ({"status": "open"}, "A open", True),
    ):
        assert save(client, arguments, name, share=share).status_code == 302
    teammate = make.user("officer", agency=world.bdc, email="mate@bdc.example", manager=world.manager)
    for user in (world.officer, teammate, world.manager, world.other_officer):
        expected = [(v.name, v.arguments, v.user_id) for v in saved_views.views_for(user)]
        assert [tuple(link) for link in saved_views.view_links_for(user)] == expected
    db.session.rollback()

    loaded = []

    def note_load(target, context):
        loaded.append(target)

    sa.event.listen(SavedCaseView, "load", note_load)
    try:
        mine = page_client(world.officer).get("/cases/").get_data(as_text=True)
        theirs = page_client(teammate).get("/cases/").get_data(as_text=True)
    finally:
        sa.event.remove(SavedCaseView, "load", note_load)
    assert not loaded
    assert mine.index("A open") < mine.index("high risk") < mine.index("Medium, mine")
    assert 'href="/cases/?q=Rita+%26+%C5%B4yn&amp;risk=medium">Medium, mine</a>' in mine
    assert "(your team's)" not in mine
    assert 'high risk</a> <span class="govuk-body-s">(your team\'s)</span>' in theirs
    assert "Medium, mine" not in theirs


def test_the_lists_links_include_a_view_not_yet_flushed(app, world):
    """The saved views' links are read on the session's connection (``execute_values``) with the
    session's autoflush, as ``Session.execute`` reads them: a view added in the same unit of work is
    among them."""
    from casework.cases.saved_views import view_links_for

    with app.test_request_context("/cases/"):
        assert view_links_for(world.officer) == []  # the user's own columns and roles loaded (a load autoflushes)
        db.session.add(SavedCaseView(user_id=world.officer.id, name="Added just now", arguments={"risk": "high"}))
        links = view_links_for(world.officer)
        db.session.rollback()
    assert [(link.name, link.arguments) for link in links] == [("Added just now", {"risk": "high"})]
