"""The police incident log (certain matches into the ledger, the rest queued for an officer), and the
actions and interventions layouts."""

from __future__ import annotations

import sqlalchemy as sa

from casework.cases.models import Action, ActionStatus, Complaint, Incident, PoliceReportStatus, QueuedPoliceReport
from casework.extensions import db
from casework.interventions.models import Intervention, InterventionStatus
from casework.spreadsheets.models import ImportStatus
from tests.spreadsheets.conftest import count, problems_of

LOG_HEADER = [
    "occurred_at",
    "police_reference",
    "location",
    "category",
    "caller",
    "repeat_caller",
    "caller_date_of_birth",
    "caller_phone",
]


def _case_with_victim(api_client, world, name="Jane Smith", dob="1984-05-17"):
    client = api_client(world.coordinator)
    person = client.post("/api/v1/people", json={"name": name, "date_of_birth": dob, "phone": "01246 111222"}).json
    case = client.post(
        "/api/v1/cases",
        json={
            "area_code": "BOL",
            "category": "personal",
            "summary": "Noise",
            "parties": [{"person_id": person["id"], "role": "victim"}],
        },
    ).json
    return person, case


def test_certain_matches_go_on_the_case_and_the_rest_wait_for_an_officer(importer, api_client, world, page_client):
    person, case = _case_with_victim(api_client, world)
    # A complaint already on the ledger under a police reference.
    incident = api_client(world.coordinator).post(
        f"/api/v1/cases/{case['id']}/incidents",
        json={
            "occurred_on": "2026-02-01",
            "description": "Shouting",
            "complaints": [
                {
                    "complainant_person_id": person["id"],
                    "reported_on": "2026-02-01",
                    "agency_code": "DERPOL",
                    "reference": "DP-1",
                }
            ],
        },
    )
    assert incident.status_code == 201, incident.json
    rows = [
        LOG_HEADER,
        # The same police reference: already on the case.
        ["2026-02-01 22:10", "DP-1", "High St", "ASB - nuisance", "Jane Smith", "no", "", ""],
        # The caller is certainly Jane (name and date of birth), the victim on one open case.
        ["14/02/2026 23:15", "DP-2", "High St", "ASB - nuisance", "jane  smith", "yes", "17/05/1984", ""],
        # Name and phone number are as certain.
        ["2026-02-20 21:00", "DP-3", "High St", "ASB - personal", "Jane Smith", "no", "", "01246111222"],
        # A name alone is not certain.
        ["2026-02-21 21:00", "DP-4", "Market St", "ASB - nuisance", "Jane Smith", "yes", "", ""],
        # Nobody we know.
        ["2026-02-22 01:30", "DP-5", "Park Rd", "ASB - environmental", "Sam Stranger", "no", "1970-01-01", ""],
    ]
    job = importer.upload("police_log", rows, options={"police_agency": "DERPOL"})
    assert job.problem_count == 0, problems_of(job)
    assert job.summary["created"] == {
        "calls already on a case": 1,
        "calls added to cases": 2,
        "calls for an officer to match": 2,
    }
    assert count(QueuedPoliceReport) == 0  # the check wrote nothing
    job = importer.start(job)
    assert job.status == ImportStatus.imported
    references = sorted(
        db.session.scalars(sa.select(Complaint.reference).join(Incident).where(Incident.case_id == case["id"]))
    )
    assert references == ["DP-1", "DP-2", "DP-3"]
    queued = db.session.scalars(sa.select(QueuedPoliceReport).order_by(QueuedPoliceReport.id)).all()
    assert [q.police_reference for q in queued] == ["DP-4", "DP-5"]
    assert "a name alone is not certain" in queued[0].reason

    # An officer of the council sees the queue, repeat callers first, and matches a call to the case.
    officer = page_client(world.officer)
    page = officer.get("/cases/police-reports/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("DP-4") < html.index("DP-5")
    response = officer.post(
        f"/cases/police-reports/{queued[0].id}",
        data={"action": "add", "case_reference": case["reference"], "version": queued[0].version},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    response = officer.post(
        f"/cases/police-reports/{queued[1].id}",
        data={"action": "dismiss", "reason": "Not about any of our cases", "version": queued[1].version},
    )
    assert response.status_code == 302
    db.session.expire_all()
    statuses = [q.status for q in db.session.scalars(sa.select(QueuedPoliceReport).order_by(QueuedPoliceReport.id))]
    assert statuses == [PoliceReportStatus.added, PoliceReportStatus.dismissed]
    assert "DP-4" in db.session.scalars(sa.select(Complaint.reference)).all()
    # The same log again changes nothing.
    again = importer.run("police_log", rows, options={"police_agency": "DERPOL"})
    assert again.summary["created"] == {}
    assert count(QueuedPoliceReport) == 2


def test_the_police_force_must_be_chosen_and_cover_the_area(importer, world):
    import io

    response = importer.client.post(
        "/imports/new/police_log",
        data={"file": (io.BytesIO(b"occurred_at,police_reference\n"), "log.csv"), "option_police_agency": "BDC"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Select the police force" in response.get_data(as_text=True)


def test_actions_and_interventions(importer, api_client, world):
    importer.run("people", [["reference", "name", "date_of_birth"], ["P-2", "Dean Lowe", "1990-01-02"]])
    importer.run(
        "cases",
        [
            ["reference", "area_code", "category", "summary", "opened_on", "perpetrators"],
            ["C-1", "BOL", "personal", "Noise", "2025-06-03", "P-2"],
        ],
    )
    actions = [
        ["reference", "case_reference", "description", "agency_code", "due_on", "status", "outcome", "completed_on"],
        ["A-1", "C-1", "Fit a noise monitor", "BDC", "2025-07-01", "done", "Fitted", "2025-06-28"],
        ["A-2", "C-1", "Visit the neighbours", "DERPOL", "2026-04-01", "", "", ""],
    ]
    # An action goes to an agency working on the case: the police have no share of C-1.
    job = importer.upload("actions", actions)
    assert problems_of(job) == [
        (
            3,
            "agency_code",
            "Agency DERPOL does not work on case BOL-2025-0001: choose its lead agency or an agency it is shared "
            "with (an action does not share the case)",
        )
    ]
    assert count(Action) == 0
    actions[2][3] = "BDC"
    job = importer.run("actions", actions)
    assert job.summary["created"] == {"actions": 2}
    done = db.session.scalar(sa.select(Action).where(Action.description == "Fit a noise monitor"))
    assert done.status == ActionStatus.done
    assert done.completed_on.isoformat() == "2025-06-28"

    interventions = [
        ["reference", "case_reference", "kind", "subject", "issued_on", "comply_by", "status"],
        ["W-1", "C-1", "cpw", "P-2", "2025-07-02", "2025-07-16", "complied"],
        # A CPN needs the warning's compliance period to have passed: before it, the rule blocks it.
        ["N-1", "C-1", "cpn", "P-2", "2025-07-10", "", ""],
    ]
    job = importer.upload("interventions", interventions)
    problems = problems_of(job)
    assert problems == [
        (
            3,
            "issued_on",
            "The warning's compliance period runs to 16 July 2025: the notice can be issued from the day after",
        )
    ]
    assert count(Intervention) == 0
    interventions[2][4] = "2025-07-20"
    job = importer.run("interventions", interventions)
    assert job.summary["created"] == {"interventions": 2}
    warning = db.session.scalar(sa.select(Intervention).where(Intervention.kind == "cpw"))
    assert warning.status == InterventionStatus.complied


def test_a_queued_call_cannot_go_on_a_case_the_officer_cannot_see(importer, api_client, world, page_client):
    """The match form names a case by its reference: one of another council's is refused like a
    reference that does not exist, and nothing is written (the body-visibility walk defers to this)."""
    elsewhere = (
        api_client(world.other_coordinator)
        .post("/api/v1/cases", json={"area_code": "NED", "category": "personal", "summary": "Elsewhere", "parties": []})
        .json
    )
    rows = [LOG_HEADER, ["2026-02-22 01:30", "DP-9", "Park Rd", "ASB - environmental", "Sam Stranger", "no", "", ""]]
    importer.run("police_log", rows, options={"police_agency": "DERPOL"})
    queued = db.session.scalars(sa.select(QueuedPoliceReport)).one()
    response = page_client(world.officer).post(
        f"/cases/police-reports/{queued.id}",
        data={"action": "add", "case_reference": elsewhere["reference"], "version": queued.version},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter the reference of a case you can see" in html
    assert "Elsewhere" not in html
    db.session.expire_all()
    assert db.session.get(QueuedPoliceReport, queued.id).status == PoliceReportStatus.queued
    assert "DP-9" not in db.session.scalars(sa.select(Complaint.reference)).all()


def test_an_action_assignee_the_importer_may_not_name_answers_as_an_unknown_address(importer, world):
    """The assignee is found among the users the importer may name (USERS_BY_EMAIL): someone of an
    agency outside the importer's area answers exactly as an address nobody has, and nothing is made."""
    importer.run(
        "cases",
        [
            ["reference", "area_code", "category", "summary", "opened_on"],
            ["C-1", "BOL", "personal", "Noise", "2025-06-03"],
        ],
    )
    header = ["reference", "case_reference", "description", "agency_code", "assignee_email"]
    rows = [
        header,
        ["A-1", "C-1", "Visit", "BDC", "nobody@bdc.example"],
        ["A-2", "C-1", "Visit", "BDC", world.other_coordinator.email],
    ]
    problems = problems_of(importer.upload("actions", rows))
    assert [(number, key) for number, key, _ in problems] == [(2, "assignee_email"), (3, "assignee_email")]
    assert problems[0][2].replace("nobody@bdc.example", "X") == problems[1][2].replace(
        world.other_coordinator.email, "X"
    )
    assert count(Action) == 0
    rows[2][4] = world.officer.email
    rows.pop(1)
    assert importer.run("actions", rows).summary["created"] == {"actions": 1}
    assert db.session.scalar(sa.select(Action.assignee_id)) == world.officer.id
