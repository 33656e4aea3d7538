"""A case anonymised under the retention policy takes no write, on any route.

The retention run skips what it has already anonymised (``anonymised_at``), so whatever is written to or
under such a case afterwards would be kept for ever (docs/rules.md: an anonymised case keeps no personal
data and no link to a person who lives on). The walk below goes over every route in the URL map that
writes (POST, PATCH, PUT, DELETE) and names a case or a record on one (its case, intervention, incident,
action, document, party), as the case's lead agency's officer, coordinator and manager, with a body the
API accepts: each must refuse with the retention message (422) and leave every table as it was. Routes
that name a case in their body, not their path (links, reassigning, tasking, Case Review links), are
checked below the walk.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from casework.cases.models import Case, CaseStatus
from casework.core.time import now
from casework.extensions import db
from tests.interventions.world import World, world  # noqa: F401
from tests.support.case_review import anonymise_application, apply_for_a_case_review, case_review_with_every_record
from tests.test_hidden_ids import BODIES as HIDDEN_BODIES
from tests.test_hidden_ids import _Caller, _id_arguments, _on_case, _url

WRITES = ("POST", "PATCH", "PUT", "DELETE")

#: Route arguments naming the anonymised case or a record on it.
ON_CASE = {"case_id", "intervention_id", "incident_id", "action_id", "document_id", "tasking_item_id"}

#: Arguments of write routes under a case with no record built here, and why.
SKIPPED: dict[str, str] = {
    "explanation_id": "a Case Review explanation is only made by a review's recommendations; its routes load "
    "the case (case_id, walked with a missing explanation) first",
    "entry_id": "a victim's diary entry is only made through the victim page; its routes load the case "
    "(case_id, walked with a missing entry) first",
}

#: Path arguments that are not ids, for the routes that take one.
OTHER_ARGUMENTS: dict[str, dict[str, str]] = {"staff.interventions.new": {"kind": "cpw"}}

#: Routes left out of the walk, and why.
NOT_WALKED: dict[str, str] = {
    "public.victims.add_diary_entry": "the victim's own page (signed in as the victim, not staff) follows no "
    "anonymised case: ``victims.services.victim_case_ids`` leaves them out, so it answers 404",
}

#: Bodies the API's validation accepts, so the walk reaches the loading of the case.
BODIES: dict[str, dict[str, Any]] = {
    **HIDDEN_BODIES,
    "api.cases.update_case": {"version": 1, "summary": "Vera Victim moved to 4 Elm Road"},
    "api.cases.grant_access": {"email": "officer@example.org"},
    "api.cases.link_case": {"case_id": 1},
    "api.cases.record_explanation": {"explained_on": "2019-01-10", "method": "phone"},
    "api.interventions.create": {
        "kind": "cpw",
        "subject_person_id": 1,
        "issued_on": "2019-01-06",
        "comply_by": "2019-02-06",
    },
    "api.actions.update": {"status": "done"},
    "api.risk.create": {"answers": {}},
}

#: Bodies the API's validation accepts for the steps of a Case Review application.
APPLICATION_BODIES: dict[str, dict[str, Any]] = {
    "api.triggers.acknowledge": {"acknowledged_on": "2019-03-02"},
    "api.triggers.screen_out": {"screened_out_on": "2019-03-02", "reason": "Not ASB"},
    "api.triggers.decide_threshold": {"decided_on": "2019-03-02", "met": True},
    "api.triggers.withdraw": {"withdrawn_on": "2019-03-02", "reason": "Moved away"},
    "api.trigger_reviews.create_meeting": {"scheduled_on": "2030-01-01", "chair_email": "chair@example.org"},
    "api.trigger_reviews.victim_consultation": {"consulted_on": "2019-03-02"},
    "api.trigger_reviews.add_lessons_review": {"forum": "CSP", "reviewed_on": "2019-03-02", "lessons": "Listen"},
    "api.trigger_reviews.lodge_appeal": {"received_on": "2019-03-02", "grounds": "Unfair"},
    "api.trigger_reviews.decide_appeal": {"decided_on": "2019-03-02", "decision": "upheld", "reasons": "Fair"},
    "api.trigger_reviews.record_letter_sent": {"kind": "acknowledgement", "sent_on": "2019-03-02"},
    "api.trigger_pcc_reviews.request_review": {"requested_on": "2019-03-02", "grounds": "Unfair"},
    "api.trigger_pcc_reviews.record_outcome": {
        "decided_on": "2019-03-02",
        "outcome": "decision_stands",
        "reasons": "x",
    },
    "api.trigger_reviews.add_proportionality_assessment": {
        "assessed_on": "2019-03-02",
        "conclusion": "proportionate",
        "subject_name": "A",
    },
}

#: Tables a refused request may touch: who asked (the audit of reads, the API token's last use).
NOT_COMPARED = {"audit_log", "api_tokens", "login_attempts", "user_sessions"}


def _anonymise(case: Case) -> None:
    """As the retention run leaves a case: closed years ago, stamped ``anonymised_at``. Its records are
    kept here (parties too), so every route has something to write under."""
    case.status = CaseStatus.closed
    case.closed_on = date(2019, 6, 1)
    case.closure_reason = "[removed]"
    case.summary = "[removed]"
    case.anonymised_at = now()
    db.session.commit()


def _fingerprint() -> dict[str, list[tuple[Any, ...]]]:
    tables = {}
    for table in db.metadata.sorted_tables:
        if table.name in NOT_COMPARED:
            continue
        rows = db.session.execute(sa.select(table)).all()
        tables[table.name] = sorted((tuple(repr(v) for v in row) for row in rows), key=repr)
    return tables


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@pytest.fixture
def anonymised(world: World, api_client: Any, make: Any) -> dict[str, list[int]]:  # noqa: F811
    from datetime import timedelta

    from casework.tasking import services as tasking
    from casework.tasking.models import TaskingAgendaItem

    ids = _on_case(world.officer, world.case, world.adult, api_client)
    # The case on a planned tasking meeting's agenda (a meeting's writes about it go through its item).
    series = tasking.create_series(
        world.coordinator, area=world.area, name="Tasking", interval_days=7, agencies=[world.council]
    )
    meeting = tasking.schedule_meeting(world.coordinator, series, date.today() + timedelta(days=3))
    item = TaskingAgendaItem(meeting_id=meeting.id, case_id=world.case.id, position=90, reasons=[])
    db.session.add(item)
    db.session.commit()
    _anonymise(db.session.get(Case, world.case.id))
    return {
        **{name: [value] for name, value in ids.items()},
        "case_id": [world.case.id],
        "person_id": [world.adult.id],
        "tasking_item_id": [item.id],
    }


def test_no_route_writes_to_or_under_an_anonymised_case(
    app: Flask,
    world: World,  # noqa: F811
    make: Any,
    anonymised: dict[str, list[int]],
) -> None:
    lead = make.user(["officer", "coordinator", "manager"], agency=world.council, name="Lena Lead")
    caller = _Caller(app, lead)
    db.session.execute(sa.update(Case).where(Case.id == world.case.id).values(owner_id=lead.id))
    db.session.commit()
    problems, walked, unknown = [], set(), set()
    for rule in app.url_map.iter_rules():
        arguments = _id_arguments(rule)
        if not ON_CASE & set(arguments) or rule.endpoint in NOT_WALKED:
            continue
        methods = [m for m in WRITES if m in rule.methods]
        if not methods:
            continue
        if missing := [a for a in arguments if a not in anonymised and a not in SKIPPED]:
            unknown.add(f"{rule.endpoint}: {missing}")
            continue
        ids = {a: anonymised[a][0] if a in anonymised else 999999 for a in arguments}
        url = _url(app, rule, {**ids, **OTHER_ARGUMENTS.get(rule.endpoint, {})})
        for method in methods:
            before = _fingerprint()
            response = caller.call(url, method, BODIES.get(rule.endpoint, {}))
            db.session.rollback()
            db.session.expire_all()
            changed = _changed(before, _fingerprint())
            walked.add(rule.endpoint)
            text = response.get_data(as_text=True)
            if response.status_code != 422 or "anonymised under the retention policy" not in text:
                problems.append(f"{method} {url} ({rule.endpoint}) answers {response.status_code}: {text[:300]}")
            if changed:
                problems.append(f"{method} {url} ({rule.endpoint}) wrote to {changed}")
    assert not unknown, "Write routes under a case with an argument the walk has no record for:\n" + "\n".join(
        sorted(unknown)
    )
    assert {
        "api.cases.update_case",
        "api.cases.add_note",
        "api.cases.record_incident",
        "staff.cases.add_party",
        "api.interventions.create",
        "api.actions.create",
        "api.risk.create",
        "staff.documents.upload",
        "staff.tasking.record_item",
        "staff.tasking.allocate",
    } <= walked, sorted(walked)
    assert not problems, f"{len(problems)} writes to an anonymised case were not refused:\n" + "\n".join(problems)


def _count(model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def test_a_live_case_is_not_linked_to_an_anonymised_one(world: World, api_client: Any, page_client: Any) -> None:  # noqa: F811
    from casework.cases.models import CaseLink

    anonymised, live = world.case, world.new_case(reference="BOL-2026-0002")
    _anonymise(db.session.get(Case, anonymised.id))
    answer = api_client(world.officer).post(f"/api/v1/cases/{live.id}/links", json={"case_id": anonymised.id})
    assert answer.status_code == 422, answer.json
    assert "anonymised under the retention policy" in answer.json["errors"]["case_id"][0]
    page = page_client(world.officer).post(f"/cases/{live.id}/links/new", data={"reference": anonymised.reference})
    assert "anonymised under the retention policy" in page.get_data(as_text=True)
    assert _count(CaseLink) == 0


def test_an_anonymised_case_is_not_reassigned(world: World, api_client: Any) -> None:  # noqa: F811
    anonymised, live = world.case, world.new_case(reference="BOL-2026-0002")
    _anonymise(db.session.get(Case, anonymised.id))
    answer = api_client(world.manager).post(
        "/api/v1/cases/reassign",
        json={"case_ids": [live.id, anonymised.id], "owner_email": world.colleague.email},
    )
    assert answer.status_code == 422, answer.json
    assert "BOL-2026-0001 was anonymised" in answer.json["errors"]["case_ids"][0]
    db.session.expire_all()
    assert {db.session.get(Case, c.id).owner_id for c in (anonymised, live)} == {world.officer.id}


def test_an_anonymised_case_is_not_linked_to_a_case_review(world: World, api_client: Any) -> None:  # noqa: F811
    from casework.community_triggers.models import TriggerApplication, application_cases

    _anonymise(db.session.get(Case, world.case.id))
    refused = apply_for_a_case_review(world, api_client, case_ids=[world.case.id])
    assert refused.status_code == 422, refused.json
    assert "anonymised under the retention policy" in refused.json["errors"]["case_ids"][0]
    assert _count(TriggerApplication) == 0
    made = apply_for_a_case_review(world, api_client)
    assert made.status_code == 201, made.json
    linked = api_client(world.coordinator).post(
        f"/api/v1/triggers/{made.json['id']}/cases", json={"case_ids": [world.case.id]}
    )
    assert linked.status_code == 422, linked.json
    assert _count(application_cases) == 0


#: Route arguments naming a record under a Case Review by its own id, not the application's: an
#: information request (an agency's submission), and the action of a recommendation with no linked case
#: (one with a case is walked with the case above).
UNDER_APPLICATION = ("request_id", "action_id")


def test_no_route_takes_a_step_on_an_anonymised_application(
    app: Flask,
    world: World,  # noqa: F811
    api_client: Any,
) -> None:
    """Every route that writes under a Case Review application (its id in the path, or the id of a
    record under it: ``UNDER_APPLICATION``) refuses one anonymised under the retention policy, and
    writes nothing."""
    from casework.community_triggers.models import ApplicationStatus

    review = case_review_with_every_record(world, api_client)
    application = review.application
    under = {"request_id": review.request.id, "action_id": review.action.id}
    anonymise_application(application, ApplicationStatus.threshold_not_met)
    db.session.commit()
    caller = _Caller(app, world.coordinator)
    problems, walked = [], set()
    for rule in app.url_map.iter_rules():
        arguments = _id_arguments(rule)
        methods = [m for m in WRITES if m in rule.methods]
        named = "application_id" in arguments or (len(arguments) == 1 and arguments[0] in UNDER_APPLICATION)
        if not named or not methods or rule.endpoint.startswith("public."):
            continue
        ids = {a: application.id if a == "application_id" else under.get(a, 999999) for a in arguments}
        url = _url(app, rule, ids)
        body = {
            **APPLICATION_BODIES,
            "api.triggers.link_cases": {"case_ids": [world.case.id]},
            "api.actions.update": {"status": "done", "outcome": "Fitted"},
        }.get(rule.endpoint, {})
        for method in methods:
            before = _fingerprint()
            response = caller.call(url, method, body)
            db.session.rollback()
            db.session.expire_all()
            changed = _changed(before, _fingerprint())
            walked.add(rule.endpoint)
            text = response.get_data(as_text=True)
            if changed:
                problems.append(f"{method} {url} ({rule.endpoint}) wrote to {changed}")
            refused = response.status_code == 422 and "anonymised under the retention policy" in text
            # A meeting, assessment or review id is held at a missing one (only the ids in ``under`` are
            # walked): such a route may answer its 404 (or 403, a chair's step) first; it still writes nothing.
            if not refused and (len(arguments) == 1 or response.status_code not in (403, 404)):
                problems.append(f"{method} {url} ({rule.endpoint}) answers {response.status_code}: {text[:200]}")
    assert {
        "api.triggers.link_cases",
        "staff.triggers.submit_information",
        "staff.actions.update",
        "api.actions.update",
    } <= walked, sorted(walked)
    assert not problems, f"{len(problems)} steps on an anonymised application were not refused:\n" + "\n".join(problems)


def test_the_anonymised_case_page_offers_no_change(world: World, page_client: Any) -> None:  # noqa: F811
    _anonymise(db.session.get(Case, world.case.id))
    page = page_client(world.officer).get(f"/cases/{world.case.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "nothing can be changed or added on it" in html
    for href in ("/notes/new", "/parties/new", "/links/new", "/edit", "/share", "/reopen", "/documents/new"):
        assert f'/cases/{world.case.id}{href}"' not in html, href


def test_the_chair_takes_no_step_on_an_anonymised_application(
    app: Flask,
    world: World,  # noqa: F811
    api_client: Any,
) -> None:
    """A chair does not manage the application; their steps on its meeting (arrangements, the victim's
    views, the outcome, the papers, on the API and on their own pages) are refused alike."""
    from casework.community_triggers.models import TriggerApplication

    coordinator = api_client(world.coordinator)
    made = apply_for_a_case_review(world, api_client, received_on="2026-11-02")
    assert made.status_code == 201, made.json
    application_id = made.json["id"]
    decided = coordinator.post(
        f"/api/v1/triggers/{application_id}/threshold-decision",
        json={"decided_on": "2026-11-03", "met": True, "basis": "discretionary", "reasons": "Persistent"},
    )
    assert decided.status_code == 200, decided.json
    meeting = coordinator.post(
        f"/api/v1/triggers/{application_id}/meetings",
        json={"scheduled_on": "2030-01-01", "chair_email": world.chair.email},
    )
    assert meeting.status_code == 201, meeting.json
    meeting_id = meeting.json["id"]
    application = db.session.get(TriggerApplication, application_id)
    application.anonymised_at = now()
    db.session.commit()
    caller = _Caller(app, world.chair)
    calls = [
        ("PATCH", f"/api/v1/triggers/{application_id}/meetings/{meeting_id}", {"location": "Town hall"}),
        (
            "POST",
            f"/api/v1/triggers/{application_id}/meetings/{meeting_id}/victim-consultation",
            {"consulted_on": "2026-11-04"},
        ),
        ("POST", f"/my-reviews/{meeting_id}/attendees", {}),
        ("POST", f"/my-reviews/{meeting_id}/outcome", {}),
        ("POST", f"/my-reviews/{meeting_id}/consultation", {}),
        ("POST", f"/case-reviews/{application_id}/meetings/{meeting_id}/proportionality/new", {}),
    ]
    problems = []
    for method, url, body in calls:
        before = _fingerprint()
        response = caller.call(url, method, body)
        db.session.rollback()
        db.session.expire_all()
        text = response.get_data(as_text=True)
        if response.status_code != 422 or "anonymised under the retention policy" not in text:
            problems.append(f"{method} {url} answers {response.status_code}: {text[:200]}")
        if changed := _changed(before, _fingerprint()):
            problems.append(f"{method} {url} wrote to {changed}")
    assert not problems, "\n".join(problems)
