"""A record the user may not see answers exactly like an id that does not exist, on every route.

An outside probe found that a hidden case's intervention answered "Case not found." where a missing
intervention answered "Intervention not found.": the difference tells a user which ids exist on cases
they may not see. The walk below goes over every route in the URL map that takes an integer id and,
as a user of another agency, asks it for a real record they may not see and for an id that does not
exist: the two answers must be the same (status and JSON body; for a page, status and the text of its
main content). An id argument with no hidden record here fails the walk unless it is in ``SKIPPED``
with the reason: such an argument is then held at a missing id while the route's other ids are
walked, and a route with no other id is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from casework.extensions import db
from tests.conftest import csrf_headers
from tests.interventions.world import (
    World,
    world,  # noqa: F401
)
from tests.test_permissions import build_url

MISSING_ID = 999999
INTEGER_CONVERTERS = {"IntegerConverter", "DatabaseIntegerConverter"}
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")

#: Arguments with no hidden record built here, and why: held at a missing id, not walked.
SKIPPED: dict[str, str] = {
    "explanation_id": "a Case Review explanation is only made by a review's recommendations; its routes "
    "load the case (case_id, walked) first",
    "entry_id": "diary and threshold watch entries are only made through those journeys; a diary entry's "
    "routes load the case (case_id, walked) first, a watch entry answers one 404 (get_entry_to_tell)",
    "meeting_id": "Case Review meetings need an application through its threshold decision; their routes "
    "load the application (application_id, walked) first, /my-reviews answers one 404 (_chaired_meeting)",
    "letter_id": "letters are only written by a Case Review's steps; loaded through application_id (walked)",
    "appeal_id": "appeals need a decided Case Review; loaded through application_id (walked)",
    "assessment_id": "proportionality assessments need a Case Review meeting; loaded through application_id",
    "review_id": "PCC reviews need a decided Case Review; loaded through application_id (walked)",
    "request_id": "information requests need a Case Review taken to a meeting; one query, one 404",
    "report_id": "queued police reports come from the police feed's import; one query by agency, one 404",
    "snapshot_id": "published statistics need a whole reporting period compiled; one 404 for both",
}


#: Bodies that pass the API's validation, so the walk reaches the lookup of the record in the path: with
#: an empty body, these answer 422 before any record is loaded.
BODIES: dict[str, dict[str, Any]] = {
    "api.interventions.update": {"status": "complied"},
    "api.interventions.extend": {"ends_on": "2030-01-01"},
    "api.interventions.add_breach": {"occurred_on": "2026-01-10", "description": "Shouting"},
    "api.interventions.extension_notice": {"extended_at": "2026-01-10T10:00:00+00:00", "hours": 24},
    "api.interventions.add_review": {"reviewed_on": "2026-01-10", "outcome": "continues"},
    "api.cases.update_case": {"version": 1, "summary": "Changed"},
    "api.cases.close_case": {"reason": "Resolved"},
    "api.cases.reopen_case": {"reason": "Again"},
    "api.cases.share_case": {"agency_code": "POL"},
    "api.cases.unshare_case": {"agency_code": "POL"},
    "api.cases.add_note": {"text": "A note"},
    "api.cases.record_incident": {"occurred_on": "2026-01-10", "description": "Noise", "complaints": []},
    "api.cases.add_complaint": {"reported_on": "2026-01-10", "agency_code": "BDC"},
    "api.actions.create": {"description": "Visit"},
}


@dataclass
class Hidden:
    """Real records the outsider may not see, by the route argument that names them."""

    outsider: Any
    ids: dict[str, list[int]] = field(default_factory=dict)
    #: Arguments that name a different kind of record on some blueprints (``job_id``, ``document_id``):
    #: argument -> endpoint prefix -> ids.
    by_blueprint: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def knows(self, argument: str) -> bool:
        return argument in self.ids or argument in self.by_blueprint

    def for_argument(self, endpoint: str, argument: str) -> list[int]:
        for prefix, ids in self.by_blueprint.get(argument, {}).items():
            if endpoint.startswith(prefix):
                return ids
        return self.ids[argument]


def _on_case(writer: Any, case: Any, subject: Any, api_client: Any) -> dict[str, int]:
    """An intervention, an action, an incident and a document on ``case``, written by ``writer``."""
    from casework.cases.models import Action
    from casework.core import storage
    from casework.documents.models import Document, DocumentKind

    officer = api_client(writer)
    intervention = officer.post(
        f"/api/v1/cases/{case.id}/interventions",
        json={"kind": "cpw", "subject_person_id": subject.id, "issued_on": "2026-01-06", "comply_by": "2026-02-06"},
    )
    assert intervention.status_code == 201, intervention.json
    incident = officer.post(
        f"/api/v1/cases/{case.id}/incidents",
        json={"occurred_on": "2026-01-02", "description": "Noise", "complaints": []},
    )
    assert incident.status_code == 201, incident.json
    action = Action(case_id=case.id, description="Visit the victim", agency_id=writer.agency_id)
    stored = storage.save(b"%PDF-1.7\n%%EOF\n", "application/pdf", folder="documents")
    document = Document(
        case_id=case.id,
        kind=DocumentKind.letter,
        filename="letter.pdf",
        content_type="application/pdf",
        size=15,
        stored_file=stored,
        uploaded_by_id=writer.id,
    )
    db.session.add_all([action, document])
    db.session.commit()
    return {
        "intervention_id": intervention.json["id"],
        "incident_id": incident.json["id"],
        "action_id": action.id,
        "document_id": document.id,
    }


@pytest.fixture
def hidden(world: World, make: Any, api_client: Any) -> Hidden:  # noqa: F811
    """The outsider works for ``world.other`` (officer, coordinator and manager, in Bolsover); the
    council's case is not shared with them, and their own agency's restricted case does not name them,
    nor do they see a person their agency recorded who is a party on it."""
    from casework.cases.models import CaseAccess, CaseParty, PartyRole, Person, SavedCaseView
    from casework.core.time import now
    from casework.data_protection.models import PersonMerge
    from casework.reports.models import ReportJob
    from casework.spreadsheets.models import ImportJob
    from casework.statistics.models import StatisticsJob
    from casework.tasking import services as tasking
    from casework.tasking.models import TaskingAgendaItem

    outsider = make.user(["officer", "coordinator", "manager"], agency=world.other, name="Olga Outsider")
    colleague = make.user("officer", agency=world.other, name="Nina Named")
    restricted = world.new_case(lead=world.other, owner=colleague, restricted=True, reference="BOL-2026-0002")
    db.session.add(CaseParty(case_id=restricted.id, person_id=world.adult.id, role=PartyRole.perpetrator))
    # Recorded by the outsider's own agency, a victim only on the restricted case: hidden with it.
    own_victim = Person(name="Rita Restricted", normalised_name="rita restricted", agency_id=world.other.id)
    db.session.add(own_victim)
    db.session.flush()
    db.session.add(CaseParty(case_id=restricted.id, person_id=own_victim.id, role=PartyRole.victim))
    db.session.add(CaseAccess(case_id=restricted.id, user_id=colleague.id))
    db.session.commit()
    on_shared_case = _on_case(world.officer, world.case, world.adult, api_client)
    on_restricted_case = _on_case(colleague, restricted, world.adult, api_client)
    ids = {name: [on_shared_case[name], on_restricted_case[name]] for name in on_shared_case}
    ids["case_id"] = [world.case.id, restricted.id]
    ids["person_id"] = [world.adult.id, own_victim.id]
    ids["other_id"] = [world.victim.id, own_victim.id]
    ids["user_id"] = [world.officer.id]

    # Tasking: an item the outsider's agency attends but whose case it may not see, and an item of a
    # series the outsider's agency does not attend.
    attended = tasking.create_series(
        world.coordinator,
        area=world.area,
        name="Everyone's tasking",
        interval_days=7,
        agencies=[world.council, world.police, world.other],
    )
    not_attended = tasking.create_series(
        world.coordinator, area=world.area, name="Council tasking", interval_days=7, agencies=[world.council]
    )
    day = date.today() + timedelta(days=3)
    open_meeting = tasking.schedule_meeting(world.coordinator, attended, day)
    closed_meeting = tasking.schedule_meeting(world.coordinator, not_attended, day)
    items = [
        TaskingAgendaItem(meeting_id=open_meeting.id, case_id=world.case.id, position=90, reasons=[]),
        TaskingAgendaItem(meeting_id=closed_meeting.id, case_id=world.case.id, position=90, reasons=[]),
    ]
    db.session.add_all(items)
    db.session.flush()
    ids["tasking_item_id"] = [item.id for item in items]
    ids["tasking_meeting_id"] = [closed_meeting.id]
    ids["series_id"] = [not_attended.id]

    merge = PersonMerge(
        kept_person_id=world.adult.id,
        merged_person_id=world.victim.id,
        merged_by_id=world.manager.id,
        merged_at=now(),
        undo_until=now() + timedelta(days=30),
        moved={},
    )
    view = SavedCaseView(user_id=world.officer.id, name="My open cases", arguments={"status": "open"})
    elsewhere = make.area("THR", "Thereabouts")
    statistics_job = StatisticsJob(area=elsewhere, period_start=date(2025, 4, 1), period_end=date(2026, 3, 31))
    report_job = ReportJob(
        requested_by_id=world.manager.id,
        area_ids=[world.area.id],
        period_start=date(2025, 4, 1),
        period_end=date(2026, 3, 31),
    )
    import_job = ImportJob(
        kind="incidents",
        agency_id=world.council.id,
        created_by_id=world.officer.id,
        filename="incidents.csv",
        file_format="csv",
        size=10,
        sha256="0" * 64,
        header=["date"],
    )
    db.session.add_all([merge, view, statistics_job, report_job, import_job])
    db.session.commit()
    ids["merge_id"] = [merge.id]
    ids["view_id"] = [view.id]
    application_id, trigger_document_id = _application_elsewhere(make, api_client, elsewhere)
    ids["application_id"] = [application_id]
    by_blueprint = {
        "job_id": {
            "staff.statistics.": [statistics_job.id],
            "api.statistics.": [statistics_job.id],
            "staff.reports.": [report_job.id],
            "api.reports.": [report_job.id],
            "staff.spreadsheets.": [import_job.id],
        },
        "document_id": {"staff.triggers.": [trigger_document_id]},
    }
    return Hidden(outsider, ids, by_blueprint)


def _application_elsewhere(make: Any, api_client: Any, area: Any) -> tuple[int, int]:
    """A Case Review application in an area the outsider's agency does not cover, and a document on it."""
    from casework.community_triggers.models import TriggerDocument
    from casework.core import storage

    agency = make.agency("THAG", areas=[area])
    coordinator = make.user(["officer", "coordinator", "manager"], agency=agency, name="Theo There")
    response = api_client(coordinator).post(
        "/api/v1/triggers",
        json={
            "area_code": area.code,
            "received_on": "2026-03-03",
            "channel": "phone",
            "applicant": {"name": "Hana Hidden"},
            "applicant_role": "victim",
            "description": "Repeated noise",
            "complaints": [],
        },
    )
    assert response.status_code == 201, response.json
    document = TriggerDocument(
        application_id=response.json["id"],
        filename="notes.pdf",
        content_type="application/pdf",
        size=15,
        stored_file=storage.save(b"%PDF-1.7\n%%EOF\n", "application/pdf", folder="triggers"),
        uploaded_by_id=coordinator.id,
    )
    db.session.add(document)
    db.session.commit()
    return int(response.json["id"]), document.id


# --- the walk ----------------------------------------------------------------------------------------------


def _id_arguments(rule: Rule) -> list[str]:
    return sorted(a for a in rule.arguments if type(rule._converters[a]).__name__ in INTEGER_CONVERTERS)


def _url(app: Flask, rule: Rule, ids: dict[str, int]) -> str:
    """``rule`` with ``ids`` in its integer arguments and the permission walk's dummies in the others."""
    adapter = app.url_map.bind("localhost")
    dummy = build_url(app, rule)
    _endpoint, values = adapter.match(dummy, method=sorted(rule.methods - {"HEAD", "OPTIONS"})[0])
    _domain, path = rule.build({**values, **ids}, append_unknown=False)
    return path


def _answer(response: Any) -> tuple[int, Any]:
    """What a user can read from an answer: the status and the JSON body, the redirect's target, or
    the text of the page's main content (not its CSRF token or navigation)."""
    if response.is_json:
        return response.status_code, response.json
    if 300 <= response.status_code < 400:
        return response.status_code, response.headers.get("Location")
    html = response.get_data(as_text=True)
    main = re.search(r"<main\b.*?</main>", html, re.S)
    text = re.sub(r"<[^>]+>", " ", main.group(0) if main else html)
    return response.status_code, " ".join(text.split())


class _Caller:
    def __init__(self, app: Flask, user: Any) -> None:
        from casework.accounts.services import issue_token

        token, _row = issue_token(user, 1)
        db.session.commit()
        self.app = app
        self.user = user
        self.bearer = {"Authorization": f"Bearer {token}"}

    def call(self, url: str, method: str, body: dict[str, Any]) -> Any:
        if url.startswith("/api/"):
            return self.app.test_client().open(url, method=method, headers=self.bearer, json=body)
        client = self.app.test_client(user=self.user)
        client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, self.app)["X-CSRFToken"]
        return client.open(url, method=method, data={})


def test_hidden_and_missing_ids_answer_alike_on_every_route(app: Flask, hidden: Hidden) -> None:
    caller = _Caller(app, hidden.outsider)
    problems, unknown, compared = [], set(), 0
    covered: set[str] = set()
    for rule in app.url_map.iter_rules():
        arguments = _id_arguments(rule)
        walked = [a for a in arguments if a not in SKIPPED]
        if not walked:
            continue
        if missing := [a for a in walked if not hidden.knows(a)]:
            unknown.add(f"{rule.endpoint}: {missing}")
            continue
        choices = {a: hidden.for_argument(rule.endpoint, a) if a in walked else [MISSING_ID] for a in arguments}
        for method in (m for m in METHODS if m in rule.methods):
            for argument in walked:
                for real_id in choices[argument]:
                    # The other arguments name hidden records too; only ``argument`` changes.
                    others = {a: choices[a][0] for a in arguments if a != argument}
                    hidden_url = _url(app, rule, {**others, argument: real_id})
                    missing_url = _url(app, rule, {**others, argument: MISSING_ID})
                    body = BODIES.get(rule.endpoint, {}) if method != "GET" else {}
                    seen = _answer(caller.call(hidden_url, method, body))
                    absent = _answer(caller.call(missing_url, method, body))
                    compared += 1
                    covered.add(rule.endpoint)
                    if rule.endpoint in BODIES and seen[0] == 422:
                        problems.append(f"{method} {hidden_url}: the example body is refused: {seen}")
                    if seen != absent:
                        problems.append(f"{method} {hidden_url} answers {seen}\n    but {missing_url} answers {absent}")
    assert not unknown, "Routes with an id argument the walk has no hidden record for (add one, or to SKIPPED):\n" + (
        "\n".join(sorted(unknown))
    )
    assert {"api.interventions.show", "staff.actions.show", "staff.tasking.item", "api.cases.get_case"} <= covered
    assert compared > 100
    assert not problems, f"{len(problems)} of {compared} answers tell a hidden record from a missing one:\n" + (
        "\n".join(problems)
    )
