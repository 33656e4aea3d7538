"""A Case Review application is no side door to a person the restricted-people rule hides
(restricted cases are visible only to named users, and they hide their people; nobody sees a record
through a side door).

The world: a victim, Rhona, moved to a refuge; her council case is restricted, and only the
coordinator and one officer are named on it. Two applications in the area:

- Amy applies, and her application is linked to Rhona's restricted case (and to an ordinary case);
- Sam, a support worker, applies on behalf of Rhona (the victim named in the application).

Every officer of the area sees both applications. The council officer who is not named on the
restricted case must see neither applicant's nor the victim's details, anywhere: the walk below calls
every GET endpoint of the service (pages, API, exports, letters, papers) with this world's ids, as
that officer, and looks for each detail in every answer. Those who run the review keep them: the
area's coordinators and managers, the chair of its meeting; and so does the officer named on the case.
"""

from __future__ import annotations

import html
import io
import itertools
import json
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import url_for

from casework.cases.models import Action, CaseAccess, CaseParty, PartyRole, Person
from casework.community_triggers import info_requests
from casework.community_triggers.models import RepeatHandling
from casework.extensions import db
from tests.community_triggers.conftest import THREE_QUALIFYING, complaint

RESTRICTED = "BOL-2026-0001"
ORDINARY = "BOL-2026-0002"

AMY = {
    "name": "Amy Applicant",
    "email": "amy.applicant@example.org",
    "phone": "07700 900111",
    "address": "12 Hidden Lane",
}
SAM = {
    "name": "Sam Support",
    "email": "sam.support@example.org",
    "phone": "07700 900222",
    "address": "3 Support Street",
}
RHONA = {"name": "Rhona Refuge", "email": "rhona@refuge.example", "address": "1 Refuge Road, Sheltered Town"}
#: Every detail of an applicant or a victim the officer must not read.
MARKERS = [*AMY.values(), *SAM.values(), *RHONA.values()]
#: The references Amy gave for her complaints (a log number finds a case): the second time she reported
#: the first day's behaviour, to the police, is "Already counted", and its reason names the first.
AMY_COMPLAINTS = [
    complaint("2026-01-10", "2026-01-12", reference="AMYLOG-0001"),
    complaint("2026-01-10", "2026-01-13", reference="AMYLOG-0002", agency_code="DERPOL"),
    complaint("2026-01-20", "2026-01-21", reference="AMYLOG-0003"),
    complaint("2026-02-05", "2026-02-06", reference="AMYLOG-0004"),
]
REFERENCES = [c["reference"] for c in AMY_COMPLAINTS]


def _person(ct: Any, name: str, email: str | None = None) -> Person:
    from casework.cases.services.fields import normalise_name

    person = Person(name=name, normalised_name=normalise_name(name), email=email, agency_id=ct.council.id)
    db.session.add(person)
    db.session.flush()
    return person


@pytest.fixture
def world(ct: Any, make: Any, api_client: Any) -> SimpleNamespace:
    restricted = ct.case(RESTRICTED, is_restricted=True)
    ordinary = ct.case(ORDINARY)
    named_officer = make.user("officer", agency=ct.council, email="named@bdc.example")
    for user in (ct.coordinator, named_officer):
        db.session.add(CaseAccess(case_id=restricted.id, user_id=user.id))
    # Rhona on her restricted case (by another spelling of her name: as the people rule compares names).
    rhona = _person(ct, "RHONA  refuge", RHONA["email"])
    db.session.add(CaseParty(case_id=restricted.id, person_id=rhona.id, role=PartyRole.victim))
    perpetrator = _person(ct, "Pete Perpetrator")
    db.session.add(CaseParty(case_id=ordinary.id, person_id=perpetrator.id, role=PartyRole.perpetrator))
    db.session.commit()

    amy = ct.register(applicant=dict(AMY), case_ids=[restricted.id, ordinary.id], complaints=AMY_COMPLAINTS)
    sam = ct.register(
        applicant=dict(SAM),
        # The complaints Rhona made, listed by her name.
        complaints=[{**c, "complainant_name": RHONA["name"]} for c in THREE_QUALIFYING],
        applicant_role="on_behalf",
        consent_given=True,
        victim={"name": RHONA["name"], "email": RHONA["email"], "address": RHONA["address"]},
    )
    coordinator = api_client(ct.coordinator)
    for application in (amy, sam):
        # The letters written to the applicant (and the victim's copy), and a review meeting.
        acknowledged = coordinator.post(
            f"/api/v1/triggers/{application.id}/acknowledge", json={"acknowledged_on": "2026-03-10"}
        )
        assert acknowledged.status_code == 200, acknowledged.get_json()
        decided = coordinator.post(
            f"/api/v1/triggers/{application.id}/threshold-decision",
            json={"met": True, "basis": "automatic", "decided_on": "2026-03-10"},
        )
        assert decided.status_code == 200, decided.get_json()
        meeting = coordinator.post(
            f"/api/v1/triggers/{application.id}/meetings",
            json={"scheduled_on": "2026-03-20", "chair_email": ct.chair.email},
        )
        assert meeting.status_code == 201, meeting.get_json()
        for agency in (ct.council, ct.police):
            # What each agency is asked for (its officers answer on the request's page).
            info_requests.request_information(ct.coordinator, application, agency, due_on=date(2026, 3, 24))
    db.session.commit()
    # Each agency submits its information on Amy's application, with a file: shown back to that agency
    # and to those who run the review, to no other reader (``info_requests.can_read``).
    submissions = {}
    from casework.community_triggers.models import InformationRequest

    for item in db.session.scalars(sa.select(InformationRequest).where(InformationRequest.application_id == amy.id)):
        code = item.agency.code
        submissions[code] = [f"Told-Submission-{code}-end", f"Told-File-{code}-name", f"Told-File-{code}-content"]
        info_requests.submit(
            ct.coordinator,
            item,
            text=submissions[code][0],
            file=(f"{submissions[code][1]}.txt", f"{submissions[code][2]}\n".encode()),
        )
    db.session.commit()
    return SimpleNamespace(
        amy=amy,
        sam=sam,
        restricted=restricted,
        ordinary=ordinary,
        perpetrator=perpetrator,
        named=named_officer,
        text=_every_text_told(ct, [amy, sam]),
        submissions=submissions,
    )


#: The applicant's details: their markers are the module's (``MARKERS``), the name matched as it is.
DETAILS = {
    "applicant_name",
    "applicant_email",
    "applicant_phone",
    "applicant_address",
    "applicant_normalised_name",
    "victim_name",
    "victim_email",
    "victim_address",
    "victim_normalised_name",
    "complainant_name",
}


def _every_text_told(ct: Any, applications: list[Any]) -> list[str]:
    """Every record of the review the world does not have yet (an assessment, a recommendation with the
    victim's view, the victim at the meeting, an appeal, a request to the Commissioner, the forum's
    lessons), then a marker in every free text ``applicants.WITHHELD_TEXT`` names on every record of
    both applications: the markers."""
    from casework.community_triggers.applicants import WITHHELD_TEXT
    from casework.community_triggers.models import (
        AgendaItem,
        Appeal,
        LessonsReview,
        MeetingAttendee,
        ProportionalityAssessment,
        Recommendation,
        ReviewMeeting,
    )
    from casework.community_triggers.pcc_review.models import PccReview

    for application in applications:
        meeting = application.meetings[-1]
        db.session.add_all(
            [
                AgendaItem(meeting_id=meeting.id, position=99, title="Any other business"),
                ProportionalityAssessment(
                    meeting_id=meeting.id,
                    subject_name="Pete Perpetrator",
                    conclusion="c",
                    assessed_on=date(2026, 3, 20),
                ),
                Recommendation(meeting_id=meeting.id, text="r", agency_id=ct.council.id, due_on=date(2026, 6, 1)),
                MeetingAttendee(meeting_id=meeting.id, name="v", role="victim"),
                MeetingAttendee(meeting_id=meeting.id, name="Colin Council", agency_id=ct.council.id, role="panel"),
                Appeal(application_id=application.id, received_on=date(2026, 4, 1), grounds="g"),
                PccReview(application_id=application.id, requested_on=date(2026, 4, 1), grounds="g"),
                LessonsReview(
                    application_id=application.id, forum="County ASB forum", reviewed_on=date(2026, 5, 1), lessons="l"
                ),
            ]
        )
    db.session.commit()
    markers = []
    for model, fields in WITHHELD_TEXT.items():
        for row in db.session.scalars(sa.select(model)):
            application_id = getattr(row, "application_id", None)
            if application_id is None and hasattr(row, "meeting"):
                application_id = row.meeting.application_id
            if application_id is None and model.__tablename__ == "trigger_applications":
                application_id = row.id
            if application_id not in {a.id for a in applications}:
                continue
            if model is MeetingAttendee and row.agency_id is not None:
                continue  # staff at the meeting are no one's secret
            for field in sorted(set(fields) - DETAILS):
                marker = f"Told-{model.__name__}-{field}-{row.id}-end"
                setattr(row, field, marker)
                markers.append(marker)
    db.session.commit()
    # Each recommendation becomes an action, as the outcome makes it (its text, and its deadline's title
    # quoting it), filed on the ordinary case the officer sees, for an agency neither reader is of.
    from casework.actions.services import create_recommendation_action
    from casework.cases.models import Case

    ordinary = db.session.scalar(sa.select(Case).where(Case.reference == ORDINARY))
    for recommendation in db.session.scalars(
        sa.select(Recommendation)
        .join(Recommendation.meeting)
        .where(ReviewMeeting.application_id.in_([a.id for a in applications]))
    ):
        create_recommendation_action(
            ct.coordinator,
            ordinary,
            recommendation_id=recommendation.id,
            description=recommendation.text,
            agency_id=ct.other_council.id,
            assignee_id=None,
            due_on=recommendation.due_on,
            default_owner_id=ct.coordinator.id,
            title=f"Case review recommendation: {recommendation.text}",
        )
    db.session.commit()
    # What the agency wrote of each so far (the first still in progress, the next done), which may quote
    # the recommendation or the applicant: withheld with its text.
    from casework.actions.services import update_action

    actions = db.session.scalars(sa.select(Action).where(Action.recommendation_id.is_not(None)).order_by(Action.id))
    for action, status in zip(actions, ("in_progress", "done"), strict=False):
        marker = f"Told-Action-outcome-{action.id}-end"
        update_action(ct.coordinator, action, {"status": status, "outcome": marker})
        markers.append(marker)
    db.session.commit()
    return markers


def _values(app: Any, world: SimpleNamespace) -> dict[str, list[Any]]:
    """The values the walk gives each path argument, by its name: this world's records."""
    from casework.community_triggers.models import (
        Appeal,
        InformationRequest,
        Letter,
        ProportionalityAssessment,
        Recommendation,
        ReviewMeeting,
        TriggerDocument,
    )
    from casework.community_triggers.pcc_review.models import PccReview
    from casework.spreadsheets.kinds import export_lists

    ids = [world.amy.id, world.sam.id]
    return {
        "application_id": ids,
        "letter_id": list(db.session.scalars(sa.select(Letter.id).where(Letter.application_id.in_(ids)))),
        "meeting_id": list(
            db.session.scalars(sa.select(ReviewMeeting.id).where(ReviewMeeting.application_id.in_(ids)))
        ),
        "request_id": list(
            db.session.scalars(sa.select(InformationRequest.id).where(InformationRequest.application_id.in_(ids)))
        ),
        "code": ["BOL"],
        "case_id": [world.ordinary.id],
        "person_id": [world.perpetrator.id],
        "key": sorted(export_lists(app)),
        "file_format": ["csv"],
        "assessment_id": list(
            db.session.scalars(
                sa.select(ProportionalityAssessment.id)
                .join(ReviewMeeting, ReviewMeeting.id == ProportionalityAssessment.meeting_id)
                .where(ReviewMeeting.application_id.in_(ids))
            )
        ),
        "appeal_id": list(db.session.scalars(sa.select(Appeal.id).where(Appeal.application_id.in_(ids)))),
        "review_id": list(db.session.scalars(sa.select(PccReview.id).where(PccReview.application_id.in_(ids)))),
        "action_id": list(
            db.session.scalars(
                sa.select(Action.id)
                .join(Recommendation, Recommendation.id == Action.recommendation_id)
                .join(ReviewMeeting, ReviewMeeting.id == Recommendation.meeting_id)
                .where(ReviewMeeting.application_id.in_(ids))
            )
        ),
        "document_id": list(
            db.session.scalars(sa.select(TriggerDocument.id).where(TriggerDocument.application_id.in_(ids)))
        ),
    }


def _text(response: Any) -> str:
    """What an answer says, as a reader reads it: a page's text unescaped, JSON's strings decoded, a
    PDF's text extracted; without spaces or line breaks (a PDF's table breaks a long word across lines),
    as ``_told`` compares a marker."""
    if response.mimetype == "application/pdf":
        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
        text = " ".join(page.extract_text() for page in reader.pages)
    elif response.mimetype == "application/json":
        text = json.dumps(response.get_json(), ensure_ascii=False)
    elif response.mimetype.startswith("text/"):
        text = html.unescape(response.get_data(as_text=True))
    else:
        text = ""
    # A file's name, as it is downloaded.
    text += response.headers.get("Content-Disposition", "")
    return "".join(text.split())


def _told(marker: str, text: str) -> bool:
    """Whether ``text`` (from ``_text``) holds ``marker``."""
    return "".join(marker.split()) in text


def _walk(
    app: Any,
    world: SimpleNamespace,
    reader: Any,
    page_client: Any,
    api_client: Any,
    markers: list[str] = MARKERS,
) -> list[str]:
    """Every GET endpoint whose arguments this world can fill, called as ``reader``: the URLs called."""
    values = _values(app, world)
    pages, api = page_client(reader), api_client(reader)
    called = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or rule.rule.startswith("/assets"):
            continue
        if any(name not in values for name in rule.arguments):
            continue
        names = sorted(rule.arguments)
        for combination in itertools.product(*(values[name] for name in names)):
            with app.test_request_context():
                url = url_for(rule.endpoint, **dict(zip(names, combination, strict=True)))
            response = (api if url.startswith("/api/") else pages).get(url)
            assert response.status_code < 500, url
            text = _text(response)
            leaked = [marker for marker in markers if _told(marker, text)]
            assert not leaked, f"{url} shows {leaked}"
            called.append(url)
    return called


@pytest.mark.parametrize("agency", ["council", "police"])
def test_no_endpoint_shows_a_withheld_applicant(app, world, ct, make, page_client, api_client, agency):
    """As the council's officer not named on the case, and as an officer of the police, whose force
    covers the area (so sees its applications) but not the council's restricted case."""
    reader = ct.officer if agency == "council" else make.user("officer", agency=ct.police, email="pc@police.example")
    # What the other agency submitted, and its file (its name and what it says).
    others = [marker for code, markers in world.submissions.items() if code != reader.agency.code for marker in markers]
    called = _walk(app, world, reader, page_client, api_client, [*MARKERS, *REFERENCES, *world.text, *others])
    # The walk reached the places an applicant is shown (not a vacuous pass).
    for expected in (
        f"/case-reviews/{world.amy.id}",
        f"/case-reviews/{world.sam.id}",
        f"/api/v1/triggers/{world.amy.id}",
        "/api/v1/triggers",
        "/case-reviews/",
        f"/people/{world.perpetrator.id}",
    ):
        assert expected in called, expected
    assert any(url.startswith(f"/case-reviews/{world.amy.id}/letters/") for url in called)
    # The papers, as pages and as PDFs.
    for paper in ("agenda", "action-plan", "proportionality/"):
        assert any("/meetings/" in url and paper in url and not url.endswith(".pdf") for url in called), paper
        assert any("/meetings/" in url and paper in url and url.endswith(".pdf") for url in called), paper
    assert any(url.startswith("/exports/") for url in called)
    assert any(url.startswith("/case-reviews/information-requests/") for url in called)
    # The actions the recommendations became, on the case the council's officer sees.
    assert any(url.startswith("/actions/") for url in called)
    assert any(url.startswith("/api/v1/actions/") for url in called)
    assert f"/cases/{world.ordinary.id}" in called
    # Every file of the review, the other agency's refused as a hidden thing is.
    assert sum(url.startswith("/case-reviews/documents/") for url in called) == 2


def test_the_api_says_the_applicant_is_withheld(world, ct, api_client):
    officer = api_client(ct.officer)
    for application in (world.amy, world.sam):
        answer = officer.get(f"/api/v1/triggers/{application.id}").get_json()
        assert answer["applicant_withheld"] is True
        assert answer["applicant"] == {"name": None, "email": None, "phone": None, "address": None}
    assert officer.get(f"/api/v1/triggers/{world.sam.id}").get_json()["victim"] == {
        "name": None,
        "email": None,
        "address": None,
    }
    listed = officer.get("/api/v1/triggers").get_json()["items"]
    assert {item["reference"]: item["applicant_withheld"] for item in listed} == {
        world.amy.reference: True,
        world.sam.reference: True,
    }


def test_the_pages_say_whom_to_ask(world, ct, page_client):
    officer = page_client(ct.officer)
    page = " ".join(html.unescape(officer.get(f"/case-reviews/{world.amy.id}").get_data(as_text=True)).split())
    assert "The applicant's details are withheld" in page
    assert "Ask the Case Review coordinator" in page
    from casework.community_triggers.models import Letter

    letters = list(db.session.scalars(sa.select(Letter.id).where(Letter.application_id == world.amy.id)))
    letter = officer.get(f"/case-reviews/{world.amy.id}/letters/{letters[0]}")
    assert letter.status_code == 200
    assert "The letter is withheld with them." in " ".join(letter.get_data(as_text=True).split())


@pytest.mark.parametrize("path", ["/cases/?q={q}", "/api/v1/cases?q={q}"])
def test_the_case_search_does_not_find_a_case_by_a_withheld_applicant(world, ct, page_client, api_client, path):
    """Amy's application is linked to the ordinary case the officer sees: finding it by her name would
    tell the officer who applied about it. The coordinator finds it."""
    url = path.format(q="amy appl")
    for reader, found in ((ct.officer, False), (ct.coordinator, True)):
        client = api_client(reader) if url.startswith("/api/") else page_client(reader)
        text = client.get(url).get_data(as_text=True)
        assert (ORDINARY in text) is found, reader.email
    # By the application's reference, it is found: the reference is no one's detail.
    text = api_client(ct.officer).get(f"/api/v1/cases?q={world.amy.reference}").get_data(as_text=True)
    assert ORDINARY in text


@pytest.mark.parametrize("reader", ["coordinator", "manager", "police_manager", "chair", "named"])
def test_those_who_run_the_review_or_see_the_case_keep_the_details(world, ct, api_client, page_client, reader):
    """The area's coordinators and managers take every step and write to the applicant; the chair
    chairs the meeting; the officer named on the restricted case sees Rhona there."""
    user = world.named if reader == "named" else getattr(ct, reader)
    client = api_client(user)
    for application, details in ((world.amy, AMY), (world.sam, SAM)):
        answer = client.get(f"/api/v1/triggers/{application.id}").get_json()
        assert answer["applicant_withheld"] is False
        assert answer["applicant"] == details
    assert client.get(f"/api/v1/triggers/{world.sam.id}").get_json()["victim"] == RHONA
    if reader != "chair":  # a chair has no page of the application: the API answers them
        page = page_client(user).get(f"/case-reviews/{world.amy.id}").get_data(as_text=True)
        assert AMY["address"] in page
        assert 'id="applicant-withheld"' not in page


def test_an_application_with_nothing_restricted_shows_its_applicant(ct, api_client):
    application = ct.register()
    answer = api_client(ct.officer).get(f"/api/v1/triggers/{application.id}").get_json()
    assert answer["applicant_withheld"] is False
    assert answer["applicant"]["name"] == "Jane Smith"


def test_a_person_of_the_same_name_is_not_told_to_have_made_a_withheld_application(world, ct, page_client):
    """A record of the officer's agency with Amy's name: her page lists the Case Reviews she made (by
    name or email), but not one whose applicant is withheld from the officer."""
    namesake = _person(ct, AMY["name"], AMY["email"])
    db.session.commit()
    officer = page_client(ct.officer).get(f"/people/{namesake.id}")
    assert officer.status_code == 200
    assert world.amy.reference not in officer.get_data(as_text=True)
    coordinator = page_client(ct.coordinator).get(f"/people/{namesake.id}").get_data(as_text=True)
    assert world.amy.reference in coordinator
    assert "(they applied)" in coordinator


def test_the_officer_who_registered_it_keeps_what_they_wrote_down(world, ct, make, api_client):
    """They typed the details in: withholding them would only tell them that the name they typed is
    a hidden person's. Another officer is withheld them."""
    registrar = make.user("officer", agency=ct.council, email="registrar@bdc.example")
    application = ct.register(registrar, applicant={"name": RHONA["name"], "email": None})
    own = api_client(registrar).get(f"/api/v1/triggers/{application.id}").get_json()
    assert own["applicant_withheld"] is False
    assert own["applicant"]["name"] == RHONA["name"]
    other = api_client(ct.officer).get(f"/api/v1/triggers/{application.id}").get_json()
    assert other["applicant_withheld"] is True


def test_an_applicants_other_applications_leave_out_one_whose_applicant_is_withheld(world, ct, api_client, page_client):
    """Amy applies again, about nothing restricted: her new application shows her to the officer. Naming
    or counting her first application beside it (the area counts an applicant's applications) would tell
    the officer who applied about the restricted case; so would the answer to an application the officer
    registers with her email address. To them it is as if the first had not been made, in every answer
    that says so (the registration, the application, the list, the page); the coordinator, who runs the
    review, reads both."""
    from casework.accounts.services import update_area_settings

    update_area_settings(
        ct.admin,
        ct.area,
        {"repeat_applications_count": 2, "repeat_applications_handling": "read_together"},
        date(2025, 1, 1),
    )
    db.session.commit()
    again = {"applicant": {"name": AMY["name"], "email": AMY["email"]}, "received_on": "2026-03-05", "complaints": []}
    registered = api_client(ct.officer).post("/api/v1/triggers", json=ct.body(**again))
    assert registered.status_code == 201, registered.get_json()
    second = registered.get_json()
    assert second["applicant_withheld"] is False
    for reader, expected in ((ct.officer, (None, None)), (ct.coordinator, (1, "read_together"))):
        client = api_client(reader)
        one = client.get(f"/api/v1/triggers/{second['id']}").get_json()
        listed = next(
            i for i in client.get("/api/v1/triggers?per_page=100").get_json()["items"] if i["id"] == second["id"]
        )
        answers = [one, listed] + ([second] if reader is ct.officer else [])
        assert [(a["earlier_applications"], a["repeat_handling"]) for a in answers] == [expected] * len(answers)
        page = page_client(reader).get(f"/case-reviews/{second['id']}").get_data(as_text=True)
        assert (world.amy.reference in page) is (reader is ct.coordinator), reader.email
        assert ('id="repeat-applicant"' in page) is (reader is ct.coordinator), reader.email


@pytest.mark.parametrize(("typed", "recorded"), [("Ann  Smith", "Ann Smith"), ("ÉLODIE Martin", "Élodie Martin")])
@pytest.mark.parametrize("named_as", ["applicant", "victim"])
def test_a_name_is_matched_as_the_people_rule_matches_it(
    app, ct, make, page_client, api_client, typed, recorded, named_as
):
    """The applicant (or the victim) typed with a run of spaces, or in capitals outside ASCII, is the
    hidden person recorded as "Ann Smith" or "Élodie Martin": the people rule compares names by
    ``normalise_name``, and so does the application (on SQLite, whose ``lower`` knows only ASCII, too)."""
    restricted = ct.case(RESTRICTED, is_restricted=True)
    ordinary = ct.case(ORDINARY)
    hidden = _person(ct, recorded)
    db.session.add(CaseParty(case_id=restricted.id, person_id=hidden.id, role=PartyRole.victim))
    perpetrator = _person(ct, "Pete Perpetrator")
    db.session.add(CaseParty(case_id=ordinary.id, person_id=perpetrator.id, role=PartyRole.perpetrator))
    db.session.commit()
    details = {"name": typed, "email": "typed@example.org", "phone": "07700 900333", "address": "9 Typed Terrace"}
    if named_as == "applicant":
        application = ct.register(applicant=details)
        markers = list(details.values())
    else:
        application = ct.register(
            applicant=dict(SAM),
            applicant_role="on_behalf",
            consent_given=True,
            victim={key: details[key] for key in ("name", "email", "address")},
        )
        markers = [*SAM.values(), details["name"], details["email"], details["address"]]
    answer = api_client(ct.officer).get(f"/api/v1/triggers/{application.id}").get_json()
    assert answer["applicant_withheld"] is True
    world = SimpleNamespace(amy=application, sam=application, ordinary=ordinary, perpetrator=perpetrator)
    called = _walk(app, world, ct.officer, page_client, api_client, markers)
    assert f"/case-reviews/{application.id}" in called
    # Whoever runs the review keeps the name as it was typed.
    coordinator = api_client(ct.coordinator).get(f"/api/v1/triggers/{application.id}").get_json()
    assert (coordinator["applicant"] if named_as == "applicant" else coordinator["victim"])["name"] == typed


def test_the_papers_show_the_review_to_those_who_run_it_and_withhold_it_from_others(world, ct, page_client):
    """The action plan's PDF quotes the victim's view of each recommendation: the coordinator reads it,
    the officer reads "Withheld" (the walk above checks every paper of every kind for every marker)."""
    from casework.community_triggers.models import ReviewMeeting

    meeting_id = db.session.scalar(sa.select(ReviewMeeting.id).where(ReviewMeeting.application_id == world.amy.id))
    url = f"/case-reviews/{world.amy.id}/meetings/{meeting_id}/action-plan.pdf"
    coordinator = _text(page_client(ct.coordinator).get(url))
    victim_views = [marker for marker in world.text if marker.startswith("Told-Recommendation-victim_view-")]
    assert any(_told(marker, coordinator) for marker in victim_views)
    officer = page_client(ct.officer).get(url)
    assert officer.mimetype == "application/pdf"
    text = _text(officer)
    assert "Withheld" in text
    assert not any(_told(marker, text) for marker in world.text)


#: The text columns of an application's review that are not withheld with the applicant: codes and
#: names of files, staff's words about the process (``applicants.WITHHELD_TEXT`` says why).
NOT_WITHHELD = {
    # The threshold workings: the names of the complainants the application lists are withheld from
    # them where they are shown (``applicants.threshold_seen``, the page's working).
    "TriggerApplication": {"reference", "threshold_evaluation"},
    "ThresholdDecision": {"evaluation"},
    "AgendaItem": {"title", "lead"},
    "ReviewMeeting": {"location"},
    "ProportionalityAssessment": {"subject_name"},
    "Appeal": {"handler_name"},
    "PccReview": {"reviewer_name"},
    "LessonsReview": {"forum", "shared_with"},
    "MeetingAttendee": {"role"},
    "MissingInformation": {"reason"},
    "InformationRequest": {"submission"},
    "TriggerDocument": {"filename", "content_type"},
    "LetterTemplate": {"subject", "body"},
    "AgencyNotification": {"recipients"},
}


def test_every_text_of_the_review_is_withheld_or_said_not_to_be(app):
    """A free-text column added to the review is withheld with the applicant unless it is listed above."""
    from casework.community_triggers.applicants import WITHHELD_TEXT

    tables = {"trigger_applications", "trigger_application_cases"} | {
        table.name for table in db.metadata.sorted_tables if table.name.startswith("trigger_")
    }
    undecided = []
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        if model.__tablename__ not in tables:
            continue
        withheld = set(WITHHELD_TEXT.get(model, ()))
        for column in model.__table__.columns:
            if not isinstance(column.type, sa.String | sa.Text | sa.JSON) or isinstance(column.type, sa.Enum):
                continue
            if column.key not in withheld and column.key not in NOT_WITHHELD.get(model.__name__, set()):
                undecided.append(f"{model.__name__}.{column.key}")
    assert not undecided, undecided


def test_a_recommendations_action_keeps_its_text_for_whoever_acts_on_it(world, ct, make, api_client, page_client):
    """The action a recommendation became is on the ordinary case the officer sees: to them its text
    reads "Withheld" (null in the API, the key kept), as the review shows it, and so does what its agency
    wrote when it ended it (its outcome); the agency it is addressed to, the owner of its deadline and
    whoever runs the review read both, to act on it."""
    from casework.reminders.models import Deadline

    # The world's recommendations as actions: the first in progress, the next done, each with an outcome.
    action, done = db.session.scalars(
        sa.select(Action).where(Action.recommendation_id.is_not(None)).order_by(Action.id)
    ).all()
    text = action.description
    assert text in world.text
    assert action.outcome in world.text
    assert done.outcome in world.text
    assert done.completed_on is not None

    def reads(user: Any, action: Any = action) -> bool:
        """Whether ``user`` reads the action's texts (its description and its outcome), on every output
        of it: all or none of them."""
        texts = [action.description, action.outcome]
        answer = api_client(user).get(f"/api/v1/actions/{action.id}").get_json()
        assert "description" in answer
        assert "outcome" in answer
        page = page_client(user).get(f"/actions/{action.id}").get_data(as_text=True)
        listed = json.dumps(api_client(user).get(f"/api/v1/cases/{world.ordinary.id}/actions").get_json()["items"])
        # The case's answer: its actions, and its timeline (an action done, with its outcome).
        case = json.dumps(api_client(user).get(f"/api/v1/cases/{world.ordinary.id}").get_json())
        case_page = page_client(user).get(f"/cases/{world.ordinary.id}").get_data(as_text=True)
        # Every action they may see, as a spreadsheet.
        exported = page_client(user).get("/exports/actions.csv?all=1")
        assert exported.status_code == 200
        shown = [answer["description"] == action.description, answer["outcome"] == action.outcome]
        for output in (page, listed, case, exported.get_data(as_text=True)):
            shown += [t in output for t in texts]
        # The case's page: the actions section (the text) and its timeline (the outcome, once ended).
        shown += [t in case_page for t in (texts if action.completed_on else texts[:1])]
        assert len(set(shown)) == 1, shown
        if not shown[0]:
            assert answer["description"] is None
            assert answer["outcome"] is None
            assert "Withheld" in page
            # Its form offers no outcome, filled with "Withheld" or with the outcome.
            assert 'name="outcome"' not in page
        return shown[0]

    assert not reads(ct.officer)
    assert not reads(ct.officer, done)
    # Nor theirs to rewrite: the text they read as withheld is refused on the field, nothing written.
    version = api_client(ct.officer).get(f"/api/v1/actions/{action.id}").get_json()["version"]
    changed = api_client(ct.officer).patch(
        f"/api/v1/actions/{action.id}", json={"description": "Something else", "version": version}
    )
    assert changed.status_code == 422, changed.get_json()
    assert "description" in json.dumps(changed.get_json())
    db.session.expire_all()
    assert db.session.get(Action, action.id).description == text
    assert reads(ct.coordinator)  # runs the review, and owns the deadline
    assert reads(ct.coordinator, done)
    # The deadline handed to an officer of the council, who is withheld the applicant: they act on it.
    owner = make.user("officer", agency=ct.council, email="owner@bdc.example")
    deadline = db.session.scalar(
        sa.select(Deadline).where(Deadline.subject_type == "actions", Deadline.subject_id == action.id)
    )
    deadline.owner_id = owner.id
    db.session.commit()
    assert reads(owner)
    assert not reads(owner, done)  # not theirs: its deadline is the coordinator's
    assert not reads(ct.officer)
    # The owner's manager lists their team's deadlines: its title quotes the recommendation.
    team_lead = make.user("officer", agency=ct.council, email="lead@bdc.example")
    owner.manager_id = team_lead.id
    db.session.commit()
    for user, told in ((team_lead, False), (owner, True)):
        deadlines = api_client(user).get("/api/v1/deadlines?owner=team").get_json()["items"]
        titles = [d["title"] for d in deadlines if d["link"] == deadline.link or d["title"] == deadline.title]
        assert titles, deadlines
        assert any(text in title for title in titles) is told, titles
    # Addressed to the officer's own agency: theirs to act on.
    action.agency_id = ct.council.id
    db.session.commit()
    assert reads(ct.officer)


def test_a_withheld_outcome_is_not_written_blind(world, ct, api_client, page_client):
    """The officer reads the outcome of a recommendation's action as withheld: not theirs to overwrite.
    The API refuses it on the field (even the null they read, or the "Withheld" a page showed them), and
    their page's form does not offer it, so what the form sends keeps it (filled with it, the form would
    have saved "Withheld" back; empty, nothing over it). Those who act on it write it as before."""
    action = db.session.scalar(sa.select(Action).where(Action.recommendation_id.is_not(None)).order_by(Action.id))
    outcome = action.outcome
    assert outcome in world.text
    officer_pages, officer_api = page_client(ct.officer), api_client(ct.officer)

    def saved() -> Action:
        db.session.expire_all()
        return db.session.get(Action, action.id)

    # Their page's form, as it is sent (its status changed, no outcome in it): the status is saved, not
    # the outcome.
    version = officer_api.get(f"/api/v1/actions/{action.id}").get_json()["version"]
    posted = officer_pages.post(f"/actions/{action.id}", data=_form(action, status="open", version=version))
    assert posted.status_code == 302, posted.get_data(as_text=True)
    assert saved().status.value == "open"
    assert saved().outcome == outcome
    page = officer_pages.get(f"/actions/{action.id}").get_data(as_text=True)
    assert 'name="outcome"' not in page
    assert 'id="outcome-withheld"' in page
    for sent in ("Something else", None, "Withheld"):
        changed = officer_api.patch(f"/api/v1/actions/{action.id}", json={"outcome": sent})
        assert changed.status_code == 422, changed.get_json()
        assert "outcome" in json.dumps(changed.get_json()), changed.get_json()
        assert saved().outcome == outcome
    # Addressed to the officer's own agency: theirs to act on, on the page and through the API.
    saved().agency_id = ct.council.id
    db.session.commit()
    page = officer_pages.get(f"/actions/{action.id}").get_data(as_text=True)
    assert 'name="outcome"' in page
    assert 'id="outcome-withheld"' not in page
    assert outcome in page
    version = officer_api.get(f"/api/v1/actions/{action.id}").get_json()["version"]
    posted = officer_pages.post(
        f"/actions/{action.id}", data=_form(action, status="done", outcome=f"{outcome} and more", version=version)
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)
    assert (saved().status.value, saved().outcome) == ("done", f"{outcome} and more")
    changed = officer_api.patch(f"/api/v1/actions/{action.id}", json={"outcome": "Done by the council"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["outcome"] == "Done by the council"


def test_a_reader_withheld_the_texts_does_not_readdress_the_action_to_themselves(world, ct, api_client):
    """Addressed to the officer's own agency, the action would be theirs to act on, its texts theirs to
    read: an agency sent by a reader the texts are withheld from is refused on the field, nothing
    written. Whoever acts on it may still send it to another agency."""
    action = db.session.scalar(sa.select(Action).where(Action.recommendation_id.is_not(None)).order_by(Action.id))
    addressed_to = action.agency_id
    changed = api_client(ct.officer).patch(f"/api/v1/actions/{action.id}", json={"agency_code": ct.council.code})
    assert changed.status_code == 422, changed.get_json()
    assert "agency_code" in json.dumps(changed.get_json()), changed.get_json()
    db.session.expire_all()
    assert db.session.get(Action, action.id).agency_id == addressed_to
    answer = api_client(ct.officer).get(f"/api/v1/actions/{action.id}").get_json()
    assert answer["description"] is None
    assert answer["outcome"] is None
    # The coordinator (who runs the review) sends it to the council.
    changed = api_client(ct.coordinator).patch(f"/api/v1/actions/{action.id}", json={"agency_code": ct.council.code})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["agency_code"] == ct.council.code


def _form(action: Action, **fields: Any) -> dict[str, str]:
    """The action page's form as it is sent: its due date as it is filled in, and ``fields``."""
    due_on = {"due_on-day": str(action.due_on.day), "due_on-month": str(action.due_on.month)}
    return {**due_on, "due_on-year": str(action.due_on.year), **{k: str(v) for k, v in fields.items()}}


@pytest.mark.parametrize("reader", ["named", "police"])
def test_an_agencys_submission_reaches_no_other_agency(app, world, ct, make, page_client, api_client, reader):
    """What an agency sends for the review, and its files, are shown back to it and to those who run the
    review: not to the other agency's officers, even one who sees the applicant (the council's officer
    named on the restricted case reading the police's), nor to a police officer reading the council's;
    each reads their own agency's file."""
    user = world.named if reader == "named" else make.user("officer", agency=ct.police, email="pc@police.example")
    markers = [m for code, found in world.submissions.items() if code != user.agency.code for m in found]
    called = _walk(app, world, user, page_client, api_client, markers)
    assert f"/case-reviews/{world.amy.id}" in called
    assert sum(url.startswith("/case-reviews/documents/") for url in called) == 2
    own = next(d for d in _values(app, world)["document_id"] if _owner_code(d) == user.agency.code)
    response = page_client(user).get(f"/case-reviews/documents/{own}")
    assert response.status_code == 200
    assert _told(world.submissions[user.agency.code][2], _text(response))


def _owner_code(document_id: int) -> str:
    from casework.community_triggers.models import TriggerDocument

    return db.session.get(TriggerDocument, document_id).information_request.agency.code


def _repeat_applicants(world: Any, ct: Any) -> dict[str, Any]:
    """Applicants with several applications, in both areas (each area counting them its own way): Amy
    again, twice (her first, linked to the restricted case, is withheld from the officer), Bob twice
    (by email; his application in the other area is not one of them), Cara twice (by name, no email)
    and Dee twice in the other area (which the officer does not see)."""
    from casework.accounts.services import update_area_settings

    update_area_settings(
        ct.admin,
        ct.area,
        {"repeat_applications_count": 2, "repeat_applications_handling": "read_together"},
        date(2025, 1, 1),
    )
    update_area_settings(
        ct.admin,
        ct.other_area,
        {"repeat_applications_count": 2, "repeat_applications_handling": "single_point_of_contact"},
        date(2025, 1, 1),
    )
    db.session.commit()

    def person(name: str, email: str | None) -> dict[str, Any]:
        return {"name": name, "email": email, "phone": None, "address": None}

    def in_other_area(**overrides: Any) -> Any:
        return ct.register(ct.outsider, area_code="NED", **overrides)

    bob, cara, dee = (
        person("Bob Again", "bob.again@example.org"),
        person("Cara Cooper", None),
        person("Dee Dyer", "dee@example.org"),
    )
    return {
        "bob other area": in_other_area(applicant=bob, received_on="2026-02-20"),
        "bob 1": ct.register(applicant=bob, received_on="2026-02-25"),
        "amy 2": ct.register(applicant=person(AMY["name"], AMY["email"]), received_on="2026-03-05"),
        "cara 1": ct.register(applicant=person("cara  COOPER", None), received_on="2026-03-05"),
        "amy 3": ct.register(applicant=person(AMY["name"], AMY["email"]), received_on="2026-03-06"),
        "bob 2": ct.register(applicant=bob, received_on="2026-03-07"),
        "cara 2": ct.register(applicant=cara, received_on="2026-03-08"),
        "dee 1": in_other_area(applicant=dee, received_on="2026-03-01"),
        "dee 2": in_other_area(applicant=dee, received_on="2026-03-09"),
    }


def test_a_pages_repeat_applicants_are_told_as_each_application_alone_tells_them(world, ct):
    """``repeat_applicants_seen_by`` (a list's, for the page at once) gives each application what
    ``repeat_applicant_seen_by`` (the application's own) gives it, to every reader: a page mixing
    applicants withheld from the reader, earlier applications withheld or not visible to them, and
    areas that count in their own ways."""
    from casework.community_triggers import applicants
    from casework.community_triggers.models import TriggerApplication
    from casework.community_triggers.review_papers import repeat_applicant_seen_by, repeat_applicants_seen_by

    named = _repeat_applicants(world, ct)
    page = list(db.session.scalars(sa.select(TriggerApplication).order_by(TriggerApplication.id)))
    told = {}
    for reader in (ct.officer, world.named, ct.coordinator, ct.chair, ct.outsider):
        withheld = applicants.withheld_ids(reader, [a.id for a in page])
        batched = repeat_applicants_seen_by(reader, page, withheld)
        assert batched == {a.id: repeat_applicant_seen_by(reader, a, a.id in withheld) for a in page}, reader.email
        told[reader.email] = {
            name: ([other.id for other in batched[a.id].earlier], batched[a.id].count, batched[a.id].handling)
            for name, a in named.items()
        }

    def ids(*names: str) -> list[int]:
        return [world.amy.id if name == "amy 1" else named[name].id for name in names]

    # The officer does not read Amy's first application, nor the other area's; the coordinator does.
    officer, coordinator = told[ct.officer.email], told[ct.coordinator.email]
    assert officer["amy 2"] == ([], None, None)
    assert officer["amy 3"] == (ids("amy 2"), 1, RepeatHandling.read_together)
    assert coordinator["amy 3"] == (ids("amy 1", "amy 2"), 2, RepeatHandling.read_together)
    assert officer["bob 2"] == coordinator["bob 2"] == (ids("bob 1"), 1, RepeatHandling.read_together)
    assert officer["cara 2"] == coordinator["cara 2"] == (ids("cara 1"), 1, RepeatHandling.read_together)
    assert officer["dee 2"] == ([], None, None)
    assert told[ct.outsider.email]["dee 2"] == (ids("dee 1"), 1, RepeatHandling.single_point_of_contact)
    assert officer["bob 1"] == coordinator["bob 1"] == ([], None, None)


def test_the_list_asks_for_its_repeat_applicants_in_a_fixed_number_of_statements(
    world, ct, make, api_client, count_queries
):
    """``GET /api/v1/triggers`` with more repeat applicants on the page (some of whose earlier
    applications the officer may not read) runs no more statements."""
    _repeat_applicants(world, ct)
    api = api_client(ct.officer)

    def listed() -> list[Any]:
        items = api.get("/api/v1/triggers?per_page=100").get_json()["items"]
        return [item["repeat_handling"] for item in items if item["repeat_handling"] is not None]

    with count_queries() as small:
        assert len(listed()) == 3
    for number in range(4):
        applicant = {"name": f"Eve {number}", "email": f"eve{number}@example.org", "phone": None, "address": None}
        ct.register(applicant=applicant, received_on="2026-03-02")
        ct.register(applicant=applicant, received_on="2026-03-04")
        ct.register(applicant=dict(AMY), received_on="2026-03-10")
    with count_queries() as large:
        assert len(listed()) == 11
    assert small.count == large.count, large.statements


def test_whether_an_applicant_is_withheld_is_true_or_false_never_unknown(world, ct, api_client):
    """The rule is used negated too (``readable_ids``: the repeat applicant's count, the subject access
    export; the case search, the person page, the audit log): for every reader, the applications it
    withholds and those it does not make up all of them. An application naming no victim (NULL, with a
    hidden person in the area) was in neither, so NOT withheld hid it from a reader it is not withheld
    from: the officer was told nothing of a repeat applicant whose applications they may all read."""
    from casework.community_triggers import applicants
    from casework.community_triggers.models import TriggerApplication
    from casework.community_triggers.policies import visible_applications_clause

    named = _repeat_applicants(world, ct)
    everyone = set(db.session.scalars(sa.select(TriggerApplication.id)))
    assert db.session.scalar(sa.select(sa.func.count()).where(TriggerApplication.victim_name.is_(None))) > 1
    for reader in (ct.officer, world.named, ct.coordinator, ct.chair, ct.outsider, ct.partner):
        for rule, params in (
            (applicants.withheld_clause(reader), {}),
            (applicants.withheld_template(), {"viewer_id": reader.id}),
        ):
            withheld = set(db.session.scalars(sa.select(TriggerApplication.id).where(rule), params))
            not_withheld = set(db.session.scalars(sa.select(TriggerApplication.id).where(sa.not_(rule)), params))
            assert (withheld | not_withheld, withheld & not_withheld) == (everyone, set()), reader.email
        visible = set(db.session.scalars(sa.select(TriggerApplication.id).where(visible_applications_clause(reader))))
        assert applicants.readable_ids(reader, everyone) == visible - applicants.withheld_ids(reader, everyone)
    # Amy's third application: the officer reads her second, not her first.
    answer = api_client(ct.officer).get(f"/api/v1/triggers/{named['amy 3'].id}").get_json()
    assert (answer["earlier_applications"], answer["repeat_handling"]) == (1, "read_together")
