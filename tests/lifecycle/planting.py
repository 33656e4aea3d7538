"""Plant a unique marker in every free-text and personal field of a case and the people on it, through
the services and the API as the service would write them, then look for it in every table.

``plant(world, api_client, make)`` builds, at dated steps before ``CLOSING``:
- the victim and the perpetrator (every personal field), the case (summary, location), an incident and
  its complaint, a note, a second-report task's explanation notes;
- an action (whose reminder email goes out and is kept in the outbox), a risk assessment's notes;
- an intervention (every text field) on the perpetrator, and a breach of it;
- a Case Review application linked to the case (the applicant's details, its complaints, the decision's
  reasons, an agency's submission with an uploaded file, the meeting's agenda, attendees, minutes and
  recommendations, an appeal), with its letters emailed to the applicant;
and closes the case with a reason. Each field gets the marker of the person it is about (``victim``,
``perpetrator``), or the case's own marker (``case``): the subject access test needs to know whose.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.extensions import db

#: The day the case closes (after the test world was made, by the database's clock).
CLOSING = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


#: The police caller's date of birth (a date, not text: found by its ISO form in the scan).
CALLER_BORN = date(1931, 7, 19)


def new_marker(label: str) -> str:
    return f"Mk{label[:3].upper()}{secrets.token_hex(5).upper()}"


@dataclass
class Planted:
    case_id: int
    victim_id: int
    perpetrator_id: int
    application_id: int
    #: owner ("victim", "perpetrator", "case") -> the prefix of every marker planted for them.
    markers: dict[str, str]
    #: each field's own marker -> (owner, "table.column").
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)

    def plant(self, owner: str, where: str) -> str:
        marker = f"{self.markers[owner]}X{len(self.fields):02d}"
        self.fields[marker] = (owner, where)
        return marker

    def of(self, owner: str) -> dict[str, str]:
        """marker -> field, for the fields planted for ``owner``."""
        return {m: where for m, (o, where) in self.fields.items() if o == owner}


def _at(day: str) -> Any:
    return time_machine.travel(datetime.fromisoformat(day + "T12:00:00+00:00"), tick=False)


def _pdf(text: str) -> bytes:
    """A file the upload check takes for a PDF, with ``text`` in it."""
    return b"%PDF-1.4\n% " + text.encode() + b"\n%%EOF\n"


def plant(world: Any, api_client: Any, make: Any) -> Planted:
    from casework.accounts.models import Agency
    from casework.community_triggers import completeness, info_requests, review_papers, services
    from casework.core.db import commit
    from casework.reminders import tasks

    markers = {name: new_marker(name) for name in ("victim", "perpetrator", "case")}
    planted = Planted(0, 0, 0, 0, markers)
    v, p, c = (lambda where, o=o: planted.plant(o, where) for o in ("victim", "perpetrator", "case"))

    def officer() -> Any:
        # A token per step: the steps are weeks apart, beyond a token's lifetime.
        return api_client(world.officer)

    names: dict[int, tuple[str, str]] = {}

    def person(own: Any, name: str) -> int:
        full_name = f"{name} {own('people.name')}"
        email = f"{own('people.email').lower()}@example.org"
        response = officer().post(
            "/api/v1/people",
            json={
                "name": full_name,
                "date_of_birth": "1980-02-03",
                "address": f"1 {own('people.address')} Street",
                "postcode": "S44 6BH",
                "email": email,
                "phone": f"07700 {own('people.phone')}",
                "is_personally_vulnerable": True,
                "personal_vulnerability_notes": own("people.personal_vulnerability_notes"),
                "is_situationally_vulnerable": True,
                "situational_vulnerability_notes": own("people.situational_vulnerability_notes"),
                "is_incidentally_vulnerable": True,
                "incidental_vulnerability_notes": own("people.incidental_vulnerability_notes"),
                "consent_given": True,
                "consent_on": "2027-01-05",
                "consent_scope": own("people.consent_scope"),
            },
        )
        assert response.status_code == 201, response.get_json()
        names[response.get_json()["id"]] = (full_name, email)
        return response.get_json()["id"]

    with _at("2027-01-10"):
        planted.victim_id = person(v, "Vera")
        planted.perpetrator_id = person(p, "Percy")
        response = officer().post(
            "/api/v1/cases",
            json={
                "area_code": "BOL",
                "category": "personal",
                "summary": f"Threats at {c('cases.summary')}",
                "location": c("cases.location"),
                "parties": [
                    {"person_id": planted.victim_id, "role": "victim"},
                    {"person_id": planted.perpetrator_id, "role": "perpetrator"},
                ],
            },
        )
        assert response.status_code == 201, response.get_json()
        planted.case_id = case_id = response.get_json()["id"]
    # Two reports by the victim within six months raise the second-report task.
    for day in ("2027-01-11", "2027-01-18"):
        with _at(day):
            response = officer().post(
                f"/api/v1/cases/{case_id}/incidents",
                json={
                    "occurred_on": day,
                    "description": f"Shouting: {c('incidents.description')}",
                    "complaints": [
                        {
                            "complainant_person_id": planted.victim_id,
                            "reported_on": day,
                            "agency_code": "BDC",
                            "reference": v("complaints.reference"),
                        }
                    ],
                },
            )
            assert response.status_code == 201, response.get_json()
    with _at("2027-01-19"):
        assert officer().post(f"/api/v1/cases/{case_id}/notes", json={"text": c("case_notes.text")}).status_code == 201
        # A call from a police incident log, queued by an import and then added to the case.
        from casework.cases.models import PoliceReportStatus, QueuedPoliceReport

        db.session.add(
            QueuedPoliceReport(
                agency_id=world.council.id,
                police_agency_id=world.council.id,
                occurred_at=datetime.fromisoformat("2027-01-18T22:15:00+00:00"),
                police_reference=c("queued_police_reports.police_reference"),
                location=c("queued_police_reports.location"),
                category=c("queued_police_reports.category"),
                caller_name=c("queued_police_reports.caller_name"),
                caller_date_of_birth=CALLER_BORN,
                caller_phone=c("queued_police_reports.caller_phone"),
                caller_email=f"{c('queued_police_reports.caller_email').lower()}@example.org",
                reason=c("queued_police_reports.reason"),
                status=PoliceReportStatus.added,
                case_id=case_id,
            )
        )
        # A document on the case: its file in the store, its name and description on the row.
        from casework.core import storage
        from casework.documents.models import Document, DocumentKind

        content = _pdf(c("file_blobs.content"))
        db.session.add(
            Document(
                case_id=case_id,
                kind=next(iter(DocumentKind)),
                filename=f"{c('documents.filename')}.pdf",
                description=c("documents.description"),
                content_type="application/pdf",
                size=len(content),
                stored_file_id=storage.save(content, "application/pdf", folder=f"cases/{case_id}").id,
            )
        )
        db.session.commit()
        # The victim page, switched on for her, a sign-in link sent, and a diary entry.
        from casework.cases.models import Case as _Case
        from casework.cases.models import Person as _Person
        from casework.victims import services as victim_page

        access = victim_page.switch_on(
            db.session.get(type(world.officer), world.officer.id),
            db.session.get(_Case, case_id),
            db.session.get(_Person, planted.victim_id),
            email=names[planted.victim_id][1],
            mobile="07700 900123",
            contact_checked=True,
            next_step=v("victim_accesses.next_step"),
        )
        victim_page.send_link(names[planted.victim_id][1])
        victim_page.add_diary_entry(
            access,
            db.session.get(_Case, case_id),
            happened_on=date(2027, 1, 18),
            happened_at_time=v("victim_diary_entries.happened_at_time")[:40],
            location=v("victim_diary_entries.location"),
            what_happened=v("victim_diary_entries.what_happened"),
            who_was_involved=v("victim_diary_entries.who_was_involved"),
            how_it_affected=v("victim_diary_entries.how_it_affected"),
        )
        commit()
        from casework.cases.models import CaseReviewExplanation

        task_id = db.session.scalar(sa.select(CaseReviewExplanation.id).where(CaseReviewExplanation.case_id == case_id))
        assert task_id is not None, "the second report raised no task"
        response = officer().post(
            f"/api/v1/cases/{case_id}/case-review-explanations/{task_id}",
            json={"explained_on": "2027-01-19", "method": "phone", "notes": v("case_review_explanations.notes")},
        )
        assert response.status_code == 200, response.get_json()
        response = officer().post(
            f"/api/v1/cases/{case_id}/actions",
            json={
                "description": f"Visit {c('actions.description')}",
                "agency_code": "BDC",
                "assignee_id": world.officer.id,
                "due_on": "2027-01-26",
            },
        )
        assert response.status_code == 201, response.get_json()
        from tests.support.risk_answers import ALL_NO

        response = officer().post(
            f"/api/v1/cases/{case_id}/risk-assessments",
            json={
                "answers": {**ALL_NO, "threats_of_violence": "yes"},
                "victim_person_id": planted.victim_id,
                "notes": v("risk_assessments.notes"),
            },
        )
        assert response.status_code == 201, response.get_json()
        response = officer().post(
            f"/api/v1/cases/{case_id}/interventions",
            json={
                "kind": "community_remedy",
                "subject_person_id": planted.perpetrator_id,
                "issued_on": "2027-01-19",
                "issuing_officer_name": f"PC {c('interventions.issuing_officer_name')}",
                "location": p("interventions.location"),
                "requirements": p("interventions.requirements"),
                "prohibitions": p("interventions.prohibitions"),
                "parent_guardian_name": p("interventions.parent_guardian_name"),
                "victim_views": v("interventions.victim_views"),
                "victim_choice": v("interventions.victim_choice"),
                "departure_reason": p("interventions.departure_reason"),
                "notes": p("interventions.notes"),
            },
        )
        assert response.status_code == 201, response.get_json()
        intervention_id = response.get_json()["id"]
        response = officer().post(
            f"/api/v1/cases/{case_id}/interventions",
            json={
                "kind": "abc",
                "subject_person_id": planted.perpetrator_id,
                "issued_on": "2027-01-19",
                "requirements": p("interventions.requirements"),
            },
        )
        assert response.status_code == 201, response.get_json()
        contract_id = response.get_json()["id"]
    with _at("2027-01-20"):
        response = officer().post(
            f"/api/v1/interventions/{intervention_id}/breaches",
            json={"occurred_on": "2027-01-20", "description": p("intervention_breaches.description")},
        )
        assert response.status_code == 201, response.get_json()
        from casework.interventions.models import Intervention
        from casework.interventions.services import record_review

        record_review(
            world.officer,
            db.session.get(Intervention, contract_id),
            reviewed_on=date(2027, 1, 20),
            outcome="continues",
            reviewer_name=f"Sergeant {c('intervention_reviews.reviewer_name')}",
            notes=p("intervention_reviews.notes"),
        )
        db.session.commit()

    # The reminder of the action goes out (and stays in the outbox) before the case closes.
    db.session.commit()
    with _at("2027-01-22"):
        assert tasks.sweep.run()["reminders_queued"] >= 1

    from casework.accounts.models import Area, User
    from casework.cases.models import Case

    chair = make.user("chair", agency=world.other, name="Ivy Independent", email="ivy@example.org")
    with _at("2027-01-20"):
        application = services.register_application(
            db.session.get(User, world.coordinator.id),
            {
                "area": db.session.get(Area, world.area.id),
                "received_on": date(2027, 1, 20),
                "channel": "email",
                # The victim applies: their name and email as on their record.
                "applicant": {
                    "name": names[planted.victim_id][0],
                    "email": names[planted.victim_id][1],
                    "phone": v("trigger_applications.applicant_phone"),
                    "address": v("trigger_applications.applicant_address"),
                },
                "applicant_role": "victim",
                "consent_given": True,
                "description": v("trigger_applications.description"),
                "cases": [db.session.get(Case, case_id)],
                "complaints": [
                    {
                        "complainant_name": names[planted.victim_id][0],
                        "occurred_on": date(2027, 1, 11),
                        "reported_on": date(2027, 1, 11),
                        "agency": None,
                        "reported_to": v("trigger_complaints.reported_to"),
                        "reference": v("trigger_complaints.reference"),
                    }
                ],
            },
        )
        commit()
        planted.application_id = application.id
    with _at("2027-01-21"):
        services.acknowledge(None, application, acknowledged_on=date(2027, 1, 21))
        services.decide_threshold(
            world.coordinator,
            application,
            met=True,
            basis="discretionary",
            reasons=c("trigger_decisions.reasons"),
            persistence=c("trigger_decisions.persistence"),
            harm=c("trigger_decisions.harm"),
            adequacy=c("trigger_decisions.adequacy"),
            decided_on=date(2027, 1, 21),
        )
        item = info_requests.request_information(
            world.coordinator, application, db.session.get(Agency, world.council.id), due_on=date(2027, 2, 1)
        )
        commit()
    with _at("2027-01-22"):
        info_requests.submit(
            world.officer,
            item,
            text=c("trigger_information_requests.submission"),
            # The content is kept in the file store (file_blobs with the database store the tests use).
            file=(f"{c('trigger_documents.filename')}.pdf", _pdf(c("file_blobs.content"))),
        )
        meeting = services.arrange_meeting(
            world.coordinator, application, scheduled_on=date(2027, 2, 10), chair=db.session.get(User, chair.id)
        )
        services.update_meeting(
            world.coordinator,
            meeting,
            location=c("trigger_meetings.location"),
            agenda=c("trigger_meetings.agenda"),
            victim_invited=True,
            attendees=[
                {"name": names[planted.victim_id][0], "role": "victim", "attended": True},
                {"name": f"Sam {c('trigger_meeting_attendees.name')}", "role": "panel member", "attended": True},
            ],
        )
        commit()
    with _at("2027-02-10"):
        services.record_outcome(
            db.session.get(User, chair.id),
            meeting,
            held_on=date(2027, 2, 10),
            minutes=c("trigger_meetings.minutes"),
            outcome=c("trigger_meetings.outcome"),
            proportionality_assessment=p("trigger_meetings.proportionality_assessment"),
            recommendations=[
                {
                    "text": c("trigger_recommendations.text"),
                    "agency": db.session.get(Agency, world.council.id),
                    "due_on": date(2027, 4, 1),
                }
            ],
        )
        # The review papers: the chair's proportionality assessment of the perpetrator, then the
        # coordinator's confirmation that the review is complete (why an agency's information is
        # missing), and the forum's lessons-learnt review.
        review_papers.save_proportionality_assessment(
            db.session.get(User, chair.id),
            meeting,
            subject_name=p("trigger_proportionality_assessments.subject_name"),
            conclusion=p("trigger_proportionality_assessments.conclusion"),
            assessed_on=date(2027, 2, 10),
            person_id=planted.perpetrator_id,
            **{name: p(f"trigger_proportionality_assessments.{name}") for name in review_papers.FACTOR_FIELDS},
        )
        completeness.confirm_complete(
            world.coordinator,
            meeting,
            confirmed_on=date(2027, 2, 10),
            missing_information={
                item.agency: c("trigger_missing_information.reason")
                for item in completeness.agency_information(meeting)
                if not item.is_in
            },
            victim_not_consulted_reason=c("trigger_meetings.victim_not_consulted_reason"),
        )
        review_papers.record_lessons_review(
            world.coordinator,
            application,
            forum=c("trigger_lessons_reviews.forum"),
            reviewed_on=date(2027, 2, 10),
            lessons=c("trigger_lessons_reviews.lessons"),
            shared_with=c("trigger_lessons_reviews.shared_with"),
        )
        commit()
    with _at("2027-02-12"):
        services.lodge_appeal(None, application, received_on=date(2027, 2, 12), grounds=v("trigger_appeals.grounds"))
        commit()
    # A second application by the victim, found not met, which she asks the Police and Crime
    # Commissioner to review (the 2026 route, switched on for the area).
    from casework.accounts.services import update_area_settings
    from casework.community_triggers.pcc_review import services as pcc_review

    update_area_settings(None, db.session.get(Area, world.area.id), {"cpa2026_pcc_review": True}, date(2027, 1, 1))
    with _at("2027-02-15"):
        second = services.register_application(
            db.session.get(User, world.coordinator.id),
            {
                "area": db.session.get(Area, world.area.id),
                "received_on": date(2027, 2, 15),
                "channel": "phone",
                "applicant": {"name": names[planted.victim_id][0], "email": names[planted.victim_id][1]},
                "applicant_role": "victim",
                "consent_given": True,
                "description": v("trigger_applications.description"),
                "cases": [db.session.get(Case, case_id)],
                "complaints": [],
            },
        )
        services.decide_threshold(
            world.coordinator,
            second,
            met=False,
            basis=None,
            reasons=c("trigger_decisions.reasons"),
            decided_on=date(2027, 2, 15),
        )
        pcc_review.request_review(
            None,
            second,
            requested_on=date(2027, 2, 15),
            grounds=v("trigger_pcc_reviews.grounds"),
            reviewer_name=f"Officer {c('trigger_pcc_reviews.reviewer_name')}",
        )
        commit()

    # A second record of the victim, merged into hers, and a subject access request released in full.
    from casework.cases.models import Person
    from casework.data_protection.merge import merge_people
    from casework.data_protection.subject_access import export

    with _at("2027-02-20"):
        duplicate = officer().post("/api/v1/people", json={"name": names[planted.victim_id][0]})
        assert duplicate.status_code == 201, duplicate.get_json()
        merge_people(
            db.session.get(User, world.officer.id),
            db.session.get(Person, planted.victim_id),
            db.session.get(Person, duplicate.get_json()["id"]),
        )
        dpo = make.user("dpo", agency=world.council, email="planting-dpo@example.org")
        export(
            dpo,
            db.session.get(Person, planted.victim_id),
            full=True,
            reason=f"SAR {v('subject_access_exports.reason')}",
        )
        commit()

    # A tasking meeting discusses the case: what it said and why the case was nominated are the case's.
    from casework.tasking import services as tasking

    with _at("2027-01-23"):
        coordinator = db.session.get(User, world.coordinator.id)
        council = db.session.get(Agency, world.council.id)
        series = tasking.create_series(
            coordinator, area=db.session.get(Area, world.area.id), name="Tasking", interval_days=7, agencies=[council]
        )
        tasking_meeting = tasking.schedule_meeting(coordinator, series, date(2027, 1, 24))
        case = db.session.get(Case, case_id)
        agenda_item = tasking.nominate(
            db.session.get(User, world.officer.id), case, c("tasking_agenda_items.nomination_note")
        )
        tasking.record_item(
            coordinator,
            tasking_meeting,
            agenda_item,
            discussion=c("tasking_agenda_items.discussion"),
            decisions=c("tasking_agenda_items.decisions"),
        )
        tasking.allocate_action(
            coordinator,
            tasking_meeting,
            agenda_item,
            case,
            description="Patrol",
            agency_id=council.id,
            assignee_id=None,
            due_on=date(2027, 1, 30),
        )
        commit()

    with _at(CLOSING.date().isoformat()):
        response = api_client(world.officer).post(
            f"/api/v1/cases/{case_id}/close", json={"reason": f"Moved away: {c('cases.closure_reason')}"}
        )
        assert response.status_code == 200, response.get_json()
    db.session.commit()
    return planted


# --- looking for the markers -----------------------------------------------------------------------


def _normalised(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        text = bytes(value).decode("latin-1")
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, default=str)
    return "".join(text.split()).lower()


def scan_database(markers: list[str]) -> list[str]:
    """Every table of the database (reflected, not listed), every column: where any marker appears.
    Answers ``"table.column: marker"`` for each find."""
    connection = db.session.connection()
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    wanted = {m: m.lower() for m in markers}
    found = []
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        for row in connection.execute(sa.select(table)).mappings():
            for column, value in row.items():
                text = _normalised(value)
                found.extend(f"{table.name}.{column}: {m}" for m, low in wanted.items() if low in text)
    return sorted(set(found))


def scan_document(document: Any, markers: list[str]) -> list[str]:
    """The markers that appear anywhere in ``document`` (JSON-ready data or text)."""
    text = _normalised(document)
    return [m for m in markers if m.lower() in text]


# --- planting generically: every column retention must erase -----------------------------------------

#: Tables that refer to a case or a person but hold nothing of their own (ids and flags).
NOTHING_PERSONAL = {"case_shares", "case_access", "case_links", "reference_counters", "trigger_application_cases"}


#: Every other table: what it is, and how a person's details leave it if it can hold any. The walk above
#: plants only in tables about a case, a person or a Case Review (found through their foreign keys); a
#: table that names people by text alone (a saved search, an import's file, a form's recorded answer)
#: is found by none, so each must be listed here with the mechanism that erases or deletes what it holds
#: (``test_every_table_outside_the_walk_says_how_personal_details_leave_it``).
OUTSIDE_THE_WALK = {
    # The partnership's set-up: no victim, perpetrator or applicant in them.
    "agencies": "set-up: the partnership's agencies",
    "agency_areas": "set-up: ids only",
    "areas": "set-up: the partnership's areas",
    "area_settings": "set-up: each area's settings",
    "case_categories": "set-up: the categories of case",
    "letterheads": "set-up: the agencies' letterheads",
    "notice_templates": "set-up: the wording of notices",
    "risk_questionnaires": "set-up: the risk questions",
    "threshold_watch_templates": "set-up: the letter telling a victim of the Case Review",
    "trigger_letter_templates": "set-up: the Case Review letters' wording",
    "tasking_series": "set-up: a tasking meeting's name",
    "tasking_series_agencies": "set-up: ids only",
    "tasking_meetings": "ids and dates: what was said is on tasking_agenda_items, in the walk",
    "tasking_attendance": "ids only",
    "threshold_watch_passes": "ids and dates only",
    # Staff accounts: the service's users, not the people its records are about.
    "users": "staff accounts",
    "user_roles": "staff accounts: ids only",
    "user_sessions": "staff sign-ins: a hash; pruned after a month (accounts.prune_sessions)",
    "api_tokens": "staff tokens: a hash",
    "recovery_codes": "staff recovery codes: hashes",
    "calendar_feeds": "a staff member's calendar link: a hash",
    # Figures: counts, never a person.
    "statistics_snapshots": "published figures: counts; unchangeable by design (docs/rules.md)",
    "statistics_withdrawals": "a published version's withdrawal note, written by staff",
    "statistics_jobs": "a compilation: counts; deleted after CASEWORK_JOB_RETENTION_DAYS",
    "partnership_report_jobs": "a report: counts; deleted after CASEWORK_JOB_RETENTION_DAYS",
    "retention_runs": "the retention report: case references and person ids, kept on purpose (docs/rules.md)",
    # Copies of what the records said, erased by the audit log's and the outbox's receivers of
    # records_anonymised (planted and scanned by plant() and scan_database).
    "audit_entries": "who, when and what kind: kept; the values are on audit_values",
    "audit_values": "erased by the audit log's records_anonymised receiver",
    "audit_seals": "hashes of the audit log's chain",
    "outbox_emails": "erased by the outbox's records_anonymised receiver",
    "pending_tasks": "task messages (ids): deleted KEEP_RELAYED after relayed (tasks.relay_pending)",
    # Files: a document's bytes go when its record goes (documents' receivers; file_blobs is scanned).
    "stored_files": "a file's key, type and checksum; deleted with its document",
    "file_blobs": "a file's bytes (database store); deleted with its stored file",
    "stuck_file_deletions": "a store key the store refused to delete, until it goes",
    # Text naming people that no foreign key leads to: each has its own mechanism.
    "saved_case_views": "a search naming an erased person is dropped (saved_views.forget_searches_naming)",
    "submission_keys": "a form's redirect and an API answer: deleted after a day (accounts.prune_sessions)",
    "import_jobs": "an import's name, header and problems: erased CASEWORK_IMPORT_FILE_DAYS on (docs/imports.md)",
    "import_file_chunks": "the uploaded file: deleted once checked with problems, imported, or left waiting",
    "import_problems": "deleted with the import's file contents (docs/imports.md)",
    "import_records": "the ledger of what an import wrote: table names and ids",
    "import_source_keys": "the source's own reference for a record: goes with its anonymisation (records_anonymised)",
}


def refers_to(table: sa.Table, targets: set[str], seen: set[str] | None = None) -> bool:
    """Whether ``table`` refers, directly or through other tables, to one of ``targets``."""
    seen = seen if seen is not None else set()
    for fk in table.foreign_keys:
        name = fk.column.table.name
        if name in targets:
            return True
        if name not in seen and name != table.name:
            seen.add(name)
            if refers_to(fk.column.table, targets, seen):
                return True
    return False


def models_about_cases_and_people() -> list[Any]:
    """Every mapped model whose table is about a case, a person or a Case Review (found from the
    metadata, so a model added later is included without being listed)."""
    targets = {"cases", "people", "trigger_applications"}
    found = []
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        if not isinstance(table, sa.Table):
            continue  # the audit log's join of entries and values: erased by the audit domain itself
        if table.name in NOTHING_PERSONAL:
            continue
        if table.name in targets or refers_to(table, targets):
            found.append(mapper.class_)
    return sorted(found, key=lambda m: m.__tablename__)


def plant_everywhere(marker: str) -> list[str]:
    """Write ``marker`` into every column retention must erase (``casework.core.retention``), in every
    row of every table about a case or a person. Answers ``"table.column"`` for each column written."""
    from casework.core.retention import erasable_columns

    written = []
    empty = [
        m.__tablename__
        for m in models_about_cases_and_people()
        if not db.session.scalar(sa.select(sa.func.count()).select_from(m.__table__))
    ]
    assert empty == [], f"plant() leaves these tables empty, so nothing would be planted in them: {empty}"
    for model in models_about_cases_and_people():
        for column in erasable_columns(model):
            kind = column.type
            if isinstance(kind, sa.Date):
                value: Any = CALLER_BORN  # a personal date (``__personal__``): found by its ISO form
            elif isinstance(kind, sa.JSON):
                value = {"planted": marker}
            elif isinstance(kind, sa.LargeBinary):
                value = marker.encode()
            else:
                length = getattr(kind, "length", None)
                value = marker[:length] if length else marker
            db.session.execute(sa.update(model.__table__).values({column.name: value}))
            written.append(f"{model.__tablename__}.{column.name}")
    db.session.commit()
    return written
