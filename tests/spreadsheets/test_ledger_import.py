"""Importing incidents with their complaints (the bulk path), and a malformed file: every problem is
reported with its row and column, and nothing is written."""

from __future__ import annotations

import sqlalchemy as sa

from casework.cases.models import Case, CaseParty, Complaint, Incident, Person
from casework.extensions import db
from casework.spreadsheets.models import ImportStatus
from tests.cases.test_case_search_names import copies_out_of_step
from tests.spreadsheets.conftest import count, problems_of

PEOPLE = [
    ["reference", "name", "date_of_birth"],
    ["P-1", "Jane Smith", "1984-05-17"],
    ["P-2", "Dean Lowe", "1990-01-02"],
]
CASES = [
    ["reference", "area_code", "category", "summary", "opened_on", "victims", "perpetrators"],
    ["C-1", "BOL", "personal", "Noise upstairs", "2025-06-03", "P-1", "P-2"],
]
HEADER = [
    "incident_reference",
    "case_reference",
    "occurred_on",
    "description",
    "causes_had",
    "hate_motivated",
    "complainant",
    "reported_on",
    "agency_code",
    "agency_reference",
]


def _world(importer):
    importer.run("people", PEOPLE)
    importer.run("cases", CASES)


def test_incidents_with_complaints_to_several_agencies(importer, world):
    _world(importer)
    rows = [
        HEADER,
        ["I-1", "C-1", "2025-06-01", "Music until 3am", "yes", "no", "P-1", "2025-06-02", "BDC", "BDC-1"],
        ["I-2", "C-1", "2025-07-01", "Shouting", "", "", "", "", "", ""],
        # The same incident reported to the police too: one incident, two complaints.
        ["I-1", "C-1", "2025-06-01", "Music until 3am", "yes", "no", "P-1", "2025-06-01", "DERPOL", "LOG-7"],
        # The case's service reference works as well as the source's.
        ["I-3", "BOL-2025-0001", "2025-08-01", "Threats", "yes", "yes", "", "2025-08-01", "derpol", ""],
    ]
    job = importer.run("incidents", rows)
    assert job.status == ImportStatus.imported, problems_of(job)
    assert job.summary["created"] == {"incidents": 3, "complaints": 3}
    case = db.session.scalar(sa.select(Case))
    incidents = db.session.scalars(
        sa.select(Incident).where(Incident.case_id == case.id).order_by(Incident.occurred_on)
    ).all()
    assert [i.description for i in incidents] == ["Music until 3am", "Shouting", "Threats"]
    assert sorted(c.reference for c in incidents[0].complaints) == ["BDC-1", "LOG-7"]
    assert incidents[2].hate_motivated is True
    # A second import of the same file changes nothing.
    again = importer.run("incidents", rows)
    assert again.summary["created"] == {}
    assert count(Incident) == 3
    assert count(Complaint) == 3
    # The parties written in bulk (the people import, the complainant added with the complaints; COPY
    # on PostgreSQL) carry their person's name for the case search (migration 0510's triggers).
    assert copies_out_of_step() == []
    assert set(db.session.scalars(sa.select(CaseParty.person_name))) == {"jane smith", "dean lowe"}


def test_rows_of_one_incident_far_apart_in_the_file(importer, world, monkeypatch):
    from casework.cases import spreadsheets

    monkeypatch.setattr(spreadsheets, "INCIDENT_BATCH", 2)
    _world(importer)
    rows = [
        HEADER,
        ["I-1", "C-1", "2025-06-01", "Music", "", "", "P-1", "2025-06-02", "BDC", ""],
        ["I-2", "C-1", "2025-07-01", "Shouting", "", "", "", "2025-07-01", "BDC", ""],
        ["I-3", "C-1", "2025-07-02", "Shouting", "", "", "", "2025-07-02", "BDC", ""],
        ["I-1", "C-1", "2025-06-01", "Music", "", "", "", "2025-06-03", "DERPOL", "LOG-9"],
    ]
    job = importer.run("incidents", rows)
    assert job.summary["created"] == {"incidents": 3, "complaints": 4}
    first = db.session.scalar(sa.select(Incident).where(Incident.description == "Music"))
    assert len(first.complaints) == 2


def test_a_malformed_file_reports_every_problem_and_writes_nothing(importer, world):
    _world(importer)
    before = (count(Incident), count(Complaint), count(CaseParty))
    rows = [
        HEADER,
        ["I-1", "C-1", "31/02/2025", "Music", "maybe", "no", "", "2025-06-02", "BDC", ""],
        ["I-2", "C-404", "2025-06-01", "", "", "", "", "2025-06-02", "NOPE", ""],
        ["I-3", "C-1", "2099-01-01", "Music", "", "", "", "", "", ""],
        ["I-4", "C-1", "2025-06-05", "Music", "", "", "P-404", "2025-06-01", "BDC", ""],
        ["I-5", "C-1", "2025-06-05", "Music", "", "", "", "2025-06-06", "", ""],
        ["I-6", "C-1", "2025-06-05", "Fine", "", "", "", "2025-06-05", "BDC", ""],
        ["I-7", "C-1", "2025-06-05", "Reported before it happened", "", "", "", "2025-06-04", "BDC", ""],
    ]
    job = importer.upload("incidents", rows)
    assert job.status == ImportStatus.checked
    assert problems_of(job) == [
        (2, "occurred_on", "Date the behaviour happened must be a real date, like 2026-03-02 or 02/03/2026"),
        (2, "causes_had", "Caused harassment, alarm or distress must be yes or no"),
        (3, "description", "Enter the what happened"),
        (4, "occurred_on", "Date the behaviour happened must be today or in the past"),
        (5, "complainant", "No person you can see was imported with the reference P-404"),
        (6, "agency_code", "Enter the code of the agency the complaint was made to"),
        (8, "reported_on", "The date it was reported cannot be before the behaviour happened"),
    ]
    # The good row is counted as what would be imported, but nothing at all was written.
    assert (count(Incident), count(Complaint), count(CaseParty)) == before
    # And it cannot be imported until a check finds nothing.
    response = importer.client.post(f"/imports/{job.id}/start", data={"version": job.version})
    assert response.status_code == 302
    assert importer.job(job.id).status == ImportStatus.checked
    assert count(Incident) == before[0]
    page = importer.client.get(f"/imports/{job.id}").get_data(as_text=True)
    assert "There are 7 problems with the file" in page


def test_row_3_problems_include_the_unknown_case_and_agency(importer, world):
    _world(importer)
    rows = [HEADER, ["I-2", "C-404", "2025-06-01", "Music", "", "", "", "2025-06-02", "NOPE", ""]]
    job = importer.upload("incidents", rows)
    assert problems_of(job) == [
        (2, "case_reference", "There is no case C-404, or you cannot see it"),
        (2, "agency_code", "There is no agency with the code NOPE"),
    ]


def test_a_case_the_importer_cannot_see_is_not_found(importer, world, api_client):
    # A case of another council: invisible to the coordinator, so reported as not there.
    response = api_client(world.other_coordinator).post(
        "/api/v1/cases", json={"area_code": "NED", "category": "personal", "summary": "Elsewhere", "parties": []}
    )
    reference = response.json["reference"]
    rows = [HEADER, ["I-1", reference, "2026-01-01", "Music", "", "", "", "", "", ""]]
    job = importer.upload("incidents", rows)
    assert problems_of(job) == [(2, "case_reference", f"There is no case {reference}, or you cannot see it")]


def test_not_utf8_and_not_a_workbook(importer, world):
    import io

    response = importer.client.post(
        "/imports/new/people",
        data={"file": (io.BytesIO("référence,name\nP-1,Zoë\n".encode("cp1252")), "people.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "The file is not saved as UTF-8 text" in response.get_data(as_text=True)
    # Further down a file, the cell is reported by the check, with its row and column.
    content = ("reference,name\n" + "".join(f"P-{i},Name\n" for i in range(1000)) + "P-X,Zoë\n").encode("cp1252")
    job = importer.upload("people", content, filename="people.csv")
    assert [(row, column) for row, column, _ in problems_of(job)] == [(1002, "name")]
    assert problems_of(job)[0][2].startswith("The file is not saved as UTF-8 text")
    assert count(Person) == 0
    response = importer.client.post(
        "/imports/new/people",
        data={"file": (__import__("io").BytesIO(b"PK\x03\x04 not really a workbook"), "people.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "The file is not an Excel workbook (.xlsx) that can be read" in response.get_data(as_text=True)


def test_an_xlsx_workbook_imports_like_a_csv(importer, world):
    import datetime as dt

    rows = [
        ["Reference", "Name", "Date of birth"],
        ["P-1", "Jane Smith", dt.datetime(1984, 5, 17)],
        ["P-2", "'=cmd|' /C calc'!A0", None],
    ]
    job = importer.run("people", rows, filename="people.xlsx")
    assert job.file_format == "xlsx"
    people = {p.name: p for p in db.session.scalars(sa.select(Person))}
    assert people["Jane Smith"].date_of_birth == dt.date(1984, 5, 17)
    # The quote that protected the cell from being read as a formula is taken off (exactly that).
    assert "=cmd|' /C calc'!A0" in people


def test_historic_case_reviews_give_earlier_years_figures(importer, world, api_client):
    """Past Case Reviews come in with their complaints, decisions, meetings, recommendations and appeal,
    each step on its own date and nothing sent, and that year's statistics come from the records."""
    from casework.community_triggers.models import Letter, TriggerApplication
    from casework.notifications.models import OutboxEmail
    from casework.reminders.models import Deadline, DeadlineStatus

    header = [
        "reference",
        "area_code",
        "received_on",
        "channel",
        "applicant_name",
        "decision",
        "decision_basis",
        "decision_reasons",
        "decided_on",
        "meeting_held_on",
        "chair_email",
        "appeal_received_on",
        "appeal_grounds",
        "appeal_handler",
        "appeal_decision",
        "appeal_decided_on",
        "appeal_reasons",
        "withdrawn_on",
        "withdrawal_reason",
        "complaint_occurred_on",
        "complaint_reported_on",
        "complaint_agency_code",
        "recommendation",
        "recommendation_agency_code",
        "recommendation_due_on",
    ]
    blank = dict.fromkeys(header, "")

    def row(**values):
        return [values.get(k, blank[k]) for k in header]

    rows = [
        header,
        row(
            reference="CT-1",
            area_code="BOL",
            received_on="2024-05-02",
            channel="letter",
            applicant_name="Jane Smith",
            decision="met",
            decision_basis="automatic",
            decided_on="2024-05-20",
            meeting_held_on="2024-06-10",
            chair_email="chair@neddc.example",
            complaint_occurred_on="2024-04-01",
            complaint_reported_on="2024-04-02",
            complaint_agency_code="BDC",
            recommendation="Install noise monitoring",
            recommendation_agency_code="BDC",
            recommendation_due_on="2024-07-31",
        ),
        row(
            reference="CT-1",
            complaint_occurred_on="2024-04-10",
            complaint_reported_on="2024-04-10",
            complaint_agency_code="DERPOL",
        ),
        row(
            reference="CT-1",
            complaint_occurred_on="2024-04-20",
            complaint_reported_on="2024-04-21",
            complaint_agency_code="BDC",
        ),
        row(
            reference="CT-2",
            area_code="BOL",
            received_on="2024-08-01",
            channel="phone",
            applicant_name="Dean Lowe",
            decision="not_met",
            decision_reasons="One complaint",
            decided_on="2024-08-15",
            appeal_received_on="2024-08-20",
            appeal_grounds="More reports",
            appeal_handler="Office of the PCC",
            appeal_decision="not_upheld",
            appeal_decided_on="2024-09-02",
            appeal_reasons="Properly decided",
        ),
        row(
            reference="CT-3",
            area_code="BOL",
            received_on="2025-01-06",
            channel="online",
            applicant_name="Amira Haddad",
            withdrawn_on="2025-01-20",
            withdrawal_reason="Moved away",
        ),
    ]
    job = importer.run("case_reviews", rows)
    assert job.summary["created"] == {"applications": 3}, job.summary
    assert db.session.scalar(sa.select(sa.func.count(Letter.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0
    # Steps long past have nothing left to remind anyone of.
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Deadline.id)).where(
                Deadline.subject_type == "trigger_applications", Deadline.status == DeadlineStatus.open
            )
        )
        == 0
    )
    figures = (
        api_client(world.manager)
        .get(
            "/api/v1/statistics", query_string={"area": "BOL", "period_start": "2024-04-01", "period_end": "2025-03-31"}
        )
        .json
    )
    assert {
        k: figures[k]
        for k in ("applications", "threshold_not_met", "reviews_carried_out", "reviews_with_recommendations")
    } == {
        "applications": 3,
        "threshold_not_met": 1,
        "reviews_carried_out": 1,
        "reviews_with_recommendations": 1,
    }
    # Idempotent: the same file again changes nothing.
    assert importer.run("case_reviews", rows).summary["created"] == {}
    assert db.session.scalar(sa.select(sa.func.count(TriggerApplication.id))) == 3
    # A step dated before the one it follows is refused on the row it is on.
    bad = importer.upload(
        "case_reviews",
        [
            header,
            row(
                reference="CT-9",
                area_code="BOL",
                received_on="2024-05-02",
                applicant_name="X",
                decision="not_met",
                decision_reasons="None",
                decided_on="2024-05-01",
            ),
        ],
    )
    assert problems_of(bad) == [
        (2, "decided_on", "The date of the decision cannot be before the day the application was received (2 May 2024)")
    ]


def test_incidents_are_not_imported_into_an_anonymised_case(importer, world):
    """A case anonymised under the retention policy takes nothing new, from an import either: the row is
    reported and nothing is written (the retention run would never look at it again)."""
    from datetime import date

    from casework.cases.models import CaseStatus
    from casework.core.time import now

    _world(importer)
    case = db.session.scalar(sa.select(Case))
    case.status, case.closed_on, case.anonymised_at = CaseStatus.closed, date(2025, 9, 1), now()
    db.session.commit()
    rows = [HEADER, ["I-1", case.reference, "2025-06-01", "Vera Victim at 4 Elm Road", "yes", "no", "", "", "", ""]]
    job = importer.upload("incidents", rows)
    assert any("anonymised under the retention policy" in message for _row, _column, message in problems_of(job))
    assert count(Incident) == 0
