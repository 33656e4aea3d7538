"""The threshold watch (issue 13 item 1): victims who meet, or are one short of, the Case Review
threshold across all their cases and agencies, found on each new complaint and each night."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.cases import services as case_services
from casework.cases.models import CaseParty, PartyRole, Person
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders.models import Deadline, DeadlineStatus
from casework.threshold_watch import services
from casework.threshold_watch.models import WatchEntry


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def report(world: Any, case: Any, person: Any, day: date, agency: Any, *, reported: date | None = None) -> None:
    """An incident on ``case`` reported by ``person`` to ``agency``, through the service staff use."""
    case_services.record_incident(
        world.officer,
        case,
        occurred_on=day,
        description="Shouting and banging at night",
        complaints=[{"reported_on": reported or day, "agency_code": agency.code, "complainant_person_id": person.id}],
    )
    db.session.commit()


def entry_of(person: Any) -> WatchEntry | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(WatchEntry).where(WatchEntry.person_id == person.id))


def police_case(world: Any, victim: Any, reference: str = "BOL-2026-0050") -> Any:
    """A case the police lead and do not share: the council's coordinator cannot see it."""
    case = world.new_case(lead=world.police, owner=world.partner, reference=reference)
    db.session.add(CaseParty(case_id=case.id, person_id=victim.id, role=PartyRole.victim))
    db.session.commit()
    return case


def tell_task(entry: WatchEntry) -> Deadline | None:
    return db.session.scalar(
        sa.select(Deadline).where(Deadline.subject_type == "threshold_watch_entries", Deadline.subject_id == entry.id)
    )


def test_three_complaints_to_two_agencies_flag_the_victim_at_once(world):
    other_case = police_case(world, world.victim)
    report(world, world.case, world.victim, date(2026, 10, 1), world.council)
    report(world, other_case, world.victim, date(2026, 10, 8), world.police)
    assert entry_of(world.victim).short_by == 1
    report(world, world.case, world.victim, date(2026, 11, 2), world.council)
    entry = entry_of(world.victim)
    assert entry is not None
    assert (entry.qualifying_count, entry.threshold, entry.short_by) == (3, 3, 0)
    assert set(entry.case_ids) == {world.case.id, other_case.id}
    task = tell_task(entry)
    assert task is not None
    assert task.status == DeadlineStatus.open
    # The task is the case owner's, on the case with the latest complaint.
    assert (task.case_id, task.owner_id) == (world.case.id, world.officer.id)


def test_two_complaints_are_one_short_and_flagged_on_the_case(world, page_client):
    report(world, world.case, world.victim, date(2026, 10, 1), world.council)
    entry = entry_of(world.victim)
    assert entry is None
    report(world, world.case, world.victim, date(2026, 10, 20), world.police)
    entry = entry_of(world.victim)
    assert entry is not None
    assert entry.short_by == 1
    assert tell_task(entry) is None
    page = page_client(world.officer).get(f"/cases/{world.case.id}")
    assert "one more qualifying report would meet the threshold" in page.get_data(as_text=True)


def test_reports_of_the_same_day_count_once_and_old_reports_not_at_all(world):
    report(world, world.case, world.victim, date(2026, 10, 1), world.council)
    report(world, world.case, world.victim, date(2026, 10, 1), world.police)
    # Reported more than a month after the behaviour: does not qualify.
    report(world, world.case, world.victim, date(2026, 8, 1), world.council, reported=date(2026, 9, 20))
    # One qualifying complaint: two short, so not on the watch.
    assert entry_of(world.victim) is None


def test_nightly_pass_drops_victims_whose_complaints_aged_out_but_keeps_the_told(world, api_client):
    told = world.person("Tess Told", date(1970, 3, 3), on_case=False)
    db.session.add(CaseParty(case_id=world.case.id, person_id=told.id, role=PartyRole.victim))
    db.session.commit()
    for person in (world.victim, told):
        for day in (date(2026, 8, 1), date(2026, 8, 8), date(2026, 8, 15)):
            report(world, world.case, person, day, world.council)
    assert entry_of(world.victim).short_by == 0
    services.record_told(world.officer, entry_of(told), told_on=date(2026, 11, 20), method="phone")
    db.session.commit()
    # Six months beginning with 15 August 2026 end on 14 February 2027.
    with time_machine.travel("2027-02-20T12:00:00+00:00", tick=False):
        services.nightly_pass()
        db.session.commit()
        assert entry_of(world.victim) is None
        kept = entry_of(told)
        assert kept.told_on == date(2026, 11, 20)
        assert kept.short_by == 3
        items = api_client(world.coordinator).get("/api/v1/threshold-watch?area=BOL").get_json()["items"]
        assert items == []


def test_nightly_pass_finds_what_the_incremental_check_found(world):
    for day in (date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15)):
        report(world, world.case, world.victim, day, world.council)
    before = entry_of(world.victim)
    db.session.execute(sa.delete(WatchEntry))
    db.session.commit()
    found = services.nightly_pass()
    db.session.commit()
    after = entry_of(world.victim)
    assert found.entries == 1
    assert (after.qualifying_count, after.short_by) == (before.qualifying_count, before.short_by)


def test_api_lists_vulnerable_first_for_coordinators_and_managers_only(world, api_client):
    calm = world.person("Carl Calm", date(1980, 2, 2), on_case=False)
    db.session.add(CaseParty(case_id=world.case.id, person_id=calm.id, role=PartyRole.victim))
    world.victim.is_personally_vulnerable = True
    db.session.commit()
    for person in (calm, world.victim):
        for day in (date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15)):
            report(world, world.case, person, day, world.council)
    answer = api_client(world.coordinator).get("/api/v1/threshold-watch?area=BOL")
    assert answer.status_code == 200, answer.get_json()
    items = answer.get_json()["items"]
    assert [i["name"] for i in items] == ["Vera Victim", "Carl Calm"]
    first = items[0]
    assert first == {
        "person_id": world.victim.id,
        "name": "Vera Victim",
        "case_ids": [world.case.id],
        "qualifying_complaints": 3,
        "threshold": 3,
        "short_by": 0,
        "vulnerable": True,
        "open_application_id": None,
        "told_on": None,
    }
    assert api_client(world.manager).get("/api/v1/threshold-watch?area=BOL").status_code == 200
    for refused in (world.officer, world.partner, world.chair, world.admin):
        assert api_client(refused).get("/api/v1/threshold-watch?area=BOL").status_code == 403
    assert api_client(world.coordinator).get("/api/v1/threshold-watch?area=NOPE").status_code == 404


def test_told_is_recorded_once_and_closes_the_task(world, api_client):
    for day in (date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15)):
        report(world, world.case, world.victim, day, world.council)
    url = f"/api/v1/threshold-watch/{world.victim.id}/told"
    future = api_client(world.officer).post(url, json={"told_on": "2026-11-30", "method": "letter"})
    assert future.status_code == 422
    assert entry_of(world.victim).told_on is None
    bad = api_client(world.officer).post(url, json={"told_on": "2026-11-20", "method": "pigeon"})
    assert bad.status_code == 422
    assert api_client(world.stranger).post(url, json={"told_on": "2026-11-20", "method": "letter"}).status_code == 404
    answer = api_client(world.officer).post(url, json={"told_on": "2026-11-20", "method": "letter"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["told_on"] == "2026-11-20"
    entry = entry_of(world.victim)
    assert tell_task(entry).status == DeadlineStatus.done
    again = api_client(world.officer).post(url, json={"told_on": "2026-11-21", "method": "email"})
    assert again.status_code == 422
    assert "_rule" in again.get_json()["errors"]


def test_the_owner_tells_the_victim_by_email_from_the_page(world, page_client):
    world.victim.email = "vera@example.org"
    db.session.commit()
    for day in (date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15)):
        report(world, world.case, world.victim, day, world.council)
    entry = entry_of(world.victim)
    client = page_client(world.officer)
    page = client.get(f"/threshold-watch/{entry.id}/tell")
    assert page.status_code == 200
    assert "right to ask for a Case Review" in page.get_data(as_text=True)
    assert client.get(f"/threshold-watch/{entry.id}/letter").status_code == 200
    done = client.post(
        f"/threshold-watch/{entry.id}/tell",
        data={"told_on-day": "20", "told_on-month": "11", "told_on-year": "2026", "method": "email", "send_email": "y"},
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    assert entry_of(world.victim).told_on == date(2026, 11, 20)
    sent = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == "vera@example.org")).all()
    assert len(sent) == 1
    assert "Case Review" in sent[0].body_text
    # Someone who cannot see the victim's cases cannot reach the task.
    assert page_client(world.stranger).get(f"/threshold-watch/{entry.id}/tell").status_code == 404


def test_board_hides_what_the_coordinator_may_not_see(world, page_client):
    other_case = police_case(world, world.victim)
    report(world, world.case, world.victim, date(2026, 10, 1), world.council)
    report(world, other_case, world.victim, date(2026, 10, 8), world.police)
    report(world, other_case, world.victim, date(2026, 10, 15), world.police)
    # A victim only on the police's case: counted, never named.
    hidden = Person(name="Hidden Harriet", normalised_name="hidden harriet", agency_id=world.police.id)
    db.session.add(hidden)
    db.session.flush()
    db.session.add(CaseParty(case_id=other_case.id, person_id=hidden.id, role=PartyRole.victim))
    db.session.commit()
    for day in (date(2026, 10, 2), date(2026, 10, 9), date(2026, 10, 16)):
        case_services.record_incident(
            world.partner,
            other_case,
            occurred_on=day,
            description="Threats",
            complaints=[{"reported_on": day, "agency_code": "POL", "complainant_person_id": hidden.id}],
        )
        db.session.commit()
    page = page_client(world.coordinator).get("/threshold-watch/?area=BOL")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Vera Victim" in html
    assert "2 qualifying complaints on cases held by POL" in html
    assert "BOL-2026-0050" not in html
    assert "Hidden Harriet" not in html
    assert "1 victim on cases held by POL" in html
    for refused in (world.officer, world.partner, world.admin):
        assert page_client(refused).get("/threshold-watch/?area=BOL").status_code == 403


def test_board_offers_the_merge_of_a_possible_duplicate_and_counts_nothing_across(world, page_client):
    twin = world.person("Vera Victim", date(1950, 1, 1), on_case=False)
    db.session.add(CaseParty(case_id=world.case.id, person_id=twin.id, role=PartyRole.victim))
    db.session.commit()
    for day in (date(2026, 10, 1), date(2026, 10, 8)):
        report(world, world.case, world.victim, day, world.council)
    report(world, world.case, twin, date(2026, 10, 15), world.council)
    # Two and one: not three, because two records are not joined by a guess.
    assert entry_of(world.victim).short_by == 1
    html = page_client(world.coordinator).get("/threshold-watch/?area=BOL").get_data(as_text=True)
    assert "May be the same person" in html
    assert f"/people/{world.victim.id}/merge/{twin.id}" in html


def test_an_open_application_lists_the_victim_apart(world, api_client):
    for day in (date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15)):
        report(world, world.case, world.victim, day, world.council)
    created = api_client(world.coordinator).post(
        "/api/v1/triggers",
        json={
            "area_code": "BOL",
            "received_on": "2026-11-20",
            "channel": "online",
            "applicant": {"name": "Vera Victim", "email": None, "phone": None, "address": None},
            "applicant_role": "victim",
            "consent_given": True,
            "description": "Noise",
            "case_ids": [world.case.id],
            "complaints": [],
        },
    )
    assert created.status_code == 201, created.get_json()
    services.nightly_pass()
    db.session.commit()
    items = api_client(world.coordinator).get("/api/v1/threshold-watch?area=BOL").get_json()["items"]
    assert items[0]["open_application_id"] == created.get_json()["id"]


def test_the_nightly_pass_is_a_beat_task_that_commits(app, world):
    from casework.core.registry import registry
    from casework.threshold_watch.tasks import nightly_pass

    assert registry(app).beat_schedule["threshold_watch.nightly_pass"]["task"] == "threshold_watch.nightly_pass"
    for day in (date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15)):
        report(world, world.case, world.victim, day, world.council)
    db.session.execute(sa.delete(WatchEntry))
    db.session.commit()
    assert nightly_pass() == {"evaluated": 1, "entries": 1, "written": 1, "removed": 0, "tasks_raised": 1}
    assert entry_of(world.victim).short_by == 0


def test_api_names_only_the_cases_the_reader_may_see(world, api_client):
    """The victim's complaints on a police case the council's coordinator cannot see count, as on the
    board, but the API names only the case they can see: an id is a record too."""
    other_case = police_case(world, world.victim)
    report(world, world.case, world.victim, date(2026, 10, 1), world.council)
    report(world, other_case, world.victim, date(2026, 10, 8), world.police)
    report(world, world.case, world.victim, date(2026, 11, 2), world.council)
    api = api_client(world.coordinator)
    items = api.get("/api/v1/threshold-watch?area=BOL").get_json()["items"]
    assert [(i["name"], i["case_ids"], i["qualifying_complaints"]) for i in items] == [
        ("Vera Victim", [world.case.id], 3)
    ]
    told = api.post(
        f"/api/v1/threshold-watch/{world.victim.id}/told", json={"told_on": "2026-11-23", "method": "phone"}
    )
    assert told.status_code == 200, told.get_json()
    assert told.get_json()["case_ids"] == [world.case.id]


def _back_link(page: Any) -> str:
    import re

    link = re.search(r"<a [^>]*govuk-back-link[^>]*>", page.get_data(as_text=True))
    assert link is not None
    found = re.search(r'href="([^"]+)"', link.group(0))
    assert found is not None
    return found.group(1).replace("&amp;", "&")


def test_the_tell_page_sends_its_reader_only_to_a_page_they_may_see(world, page_client, make):
    """The task went to the police's case (the latest complaint), which the council's coordinator and
    officer (and the police partner the council's case is shared with) do not see though they see Vera on
    the council's case: the page sends the coordinator to the board and the others to Vera's page; a
    police officer, who sees the case, to the case."""
    police_officer = make.user("officer", agency=world.police, name="Polly Police")
    other_case = police_case(world, world.victim)
    report(world, world.case, world.victim, date(2026, 10, 1), world.council)
    report(world, other_case, world.victim, date(2026, 10, 8), world.police)
    report(world, other_case, world.victim, date(2026, 10, 15), world.police)
    entry = entry_of(world.victim)
    assert entry.task_case_id == other_case.id
    tell = f"/threshold-watch/{entry.id}/tell"
    expected = {
        police_officer: f"/cases/{other_case.id}",
        world.partner: f"/people/{world.victim.id}",
        world.officer: f"/people/{world.victim.id}",
        world.coordinator: "/threshold-watch/?area=BOL",
    }
    for user, href in expected.items():
        client = page_client(user)
        page = client.get(tell)
        assert page.status_code == 200, user.email
        assert _back_link(page) == href, user.email
        assert client.get(href).status_code == 200, user.email
    # Saving sends the coordinator to the board too, not to the case they may not see.
    client = page_client(world.coordinator)
    done = client.post(
        tell, data={"told_on-day": "20", "told_on-month": "11", "told_on-year": "2026", "method": "phone"}
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    assert done.headers["Location"] == "/threshold-watch/?area=BOL"
    assert client.get(done.headers["Location"]).status_code == 200
    assert entry_of(world.victim).told_on == date(2026, 11, 20)
