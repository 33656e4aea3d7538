"""Two requests making the same change at the same moment (PostgreSQL, real transactions on a database
of the test's own): each checks "is it there already?" before it writes, and both see the database as
it was before the other committed.

Request A runs until it has written (or locked) and stops there, inside its transaction; request B then
runs until it has finished or waits for a lock A holds (polled, no time is asserted); then A goes on. On
SQLite the two cannot interleave: every write transaction begins with ``BEGIN IMMEDIATE``, so B starts
only once A has committed, and its check sees A's row.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_PASSWORD, csrf_headers
from tests.conftest import TestClient as SignedInClient
from tests.notifications.committed import committed_app
from tests.support.concurrency import at_once
from tests.support.databases import scratch_database_with_roles

pytestmark = pytest.mark.postgresql_only  # SQLite's writers take turns (BEGIN IMMEDIATE): see above

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def committed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp_path = tmp_path_factory.mktemp("same_moment")
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(
            scratch_database_with_roles(request.getfixturevalue("postgresql_database"), "casework_same_moment")
        )
        app = stack.enter_context(
            committed_app(
                database.service_url or database.owner_url, tmp_path, MIGRATION_DATABASE_URL=database.owner_url
            )
        )
        app.test_client_class = SignedInClient
        yield app


class Staff:
    """An area, its council and a member of staff, with an API client and a page client for them."""

    def __init__(self, app: Any) -> None:
        from casework.accounts.models import Agency, AgencyKind, Area, User
        from casework.accounts.passwords import hash_password
        from casework.accounts.services import issue_token
        from casework.extensions import db

        n = next(_numbers)
        self.app = app
        with app.app_context():
            area = Area(code=f"SM{n}", name=f"Same Moment {n}")
            agency = Agency(code=f"SMA{n}", name=f"Council {n}", kind=AgencyKind.council, areas=[area])
            partner = Agency(code=f"SMP{n}", name=f"Partner {n}", kind=AgencyKind.council, areas=[area])
            user = User(
                email=f"same{n}@example.org",
                name=f"Sam Moment {n}",
                password_hash=hash_password(TEST_PASSWORD),
                agency=agency,
            )
            user.roles = ["officer", "coordinator", "manager"]
            db.session.add_all([area, agency, partner, user])
            db.session.commit()
            self.area_code, self.partner_code, self.user_id = area.code, partner.code, user.id
            self.agency_code = agency.code
            self.token, _row = issue_token(user, 1)
            db.session.commit()

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        client = self.app.test_client()
        return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {self.token}"})

    def page_client(self) -> Any:
        from casework.accounts.models import User
        from casework.extensions import db

        with self.app.app_context():
            client = self.app.test_client(user=db.session.get(User, self.user_id))
        client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_headers(client, self.app)["X-CSRFToken"]
        return client

    def person(self, name: str) -> int:
        answer = self.api("POST", "/api/v1/people", {"name": name})
        assert answer.status_code == 201, answer.json
        return int(answer.json["id"])

    def case(self, parties: Sequence[tuple[int, str]] = ()) -> int:
        answer = self.api(
            "POST",
            "/api/v1/cases",
            {
                "area_code": self.area_code,
                "category": "personal",
                "summary": "Noise at night",
                "parties": [{"person_id": p, "role": r} for p, r in parties],
            },
        )
        assert answer.status_code == 201, answer.json
        return int(answer.json["id"])

    def application(self, name: str) -> int:
        """A Case Review application received three days ago."""
        from datetime import timedelta

        from casework.core.time import today

        answer = self.api(
            "POST",
            "/api/v1/triggers",
            {
                "area_code": self.area_code,
                "received_on": (today() - timedelta(days=3)).isoformat(),
                "channel": "phone",
                "applicant": {"name": name, "email": "applicant@example.net"},
                "applicant_role": "victim",
                "description": "Repeated noise",
                "complaints": [],
            },
        )
        assert answer.status_code == 201, answer.json
        return int(answer.json["id"])

    def count(self, statement: Any) -> int:
        from casework.extensions import db

        with self.app.app_context():
            return int(db.session.scalar(statement) or 0)


def _statuses(answers: list[Any]) -> list[Any]:
    return [getattr(answer, "status_code", answer) for answer in answers]


def _inserting(table: str) -> Callable[[str], bool]:
    return lambda statement: statement.startswith(f"INSERT INTO {table} ")


def test_a_case_shared_with_an_agency_twice_at_once_is_shared_once(committed):
    from casework.cases.models import CaseEvent, CaseEventKind, CaseShare

    staff = Staff(committed)
    case_id = staff.case()

    def share() -> Any:
        return staff.api("POST", f"/api/v1/cases/{case_id}/share", {"agency_code": staff.partner_code})

    answers = at_once(committed, share, share, _inserting("case_shares"))
    assert _statuses(answers) == [200, 200]
    assert staff.count(sa.select(sa.func.count()).select_from(CaseShare).where(CaseShare.case_id == case_id)) == 1
    shared = sa.select(sa.func.count(CaseEvent.id)).where(
        CaseEvent.case_id == case_id, CaseEvent.kind == CaseEventKind.shared
    )
    assert staff.count(shared) == 1


def test_two_cases_linked_twice_at_once_are_linked_once(committed):
    from casework.cases.models import CaseEvent, CaseEventKind, CaseLink

    staff = Staff(committed)
    case_id, other_id = staff.case(), staff.case()

    def link() -> Any:
        return staff.api("POST", f"/api/v1/cases/{case_id}/links", {"case_id": other_id})

    answers = at_once(committed, link, link, _inserting("case_links"))
    assert _statuses(answers) == [answers[0].status_code] * 2
    assert answers[0].status_code < 300
    assert staff.count(sa.select(sa.func.count()).select_from(CaseLink).where(CaseLink.case_id == case_id)) == 1
    linked = sa.select(sa.func.count(CaseEvent.id)).where(
        CaseEvent.case_id == case_id, CaseEvent.kind == CaseEventKind.linked
    )
    assert staff.count(linked) == 1


def test_two_officers_adding_the_same_person_to_a_case_at_once_add_them_once(committed):
    from casework.cases.models import CaseParty

    staff = Staff(committed)
    person_id = staff.person("Pat Party")
    case_id = staff.case()
    first, second = staff.page_client(), staff.page_client()

    def add(client: Any) -> Callable[[], Any]:
        return lambda: client.post(f"/cases/{case_id}/parties/new", data={"person_id": person_id, "role": "witness"})

    answers = at_once(committed, add(first), add(second), _inserting("case_parties"))
    assert _statuses(answers) == [302, 302]
    parties = sa.select(sa.func.count(CaseParty.id)).where(
        CaseParty.case_id == case_id, CaseParty.person_id == person_id
    )
    assert staff.count(parties) == 1


def test_a_victim_page_switched_on_twice_at_once_is_one_page_and_one_welcome(committed):
    from casework.notifications.models import OutboxEmail
    from casework.victims.models import VictimAccess

    staff = Staff(committed)
    victim_id = staff.person("Vera Victim")
    case_id = staff.case([(victim_id, "victim")])
    first, second = staff.page_client(), staff.page_client()
    data = {"email": "vera@example.net", "contact_checked": "y", "next_step": "We will visit you"}

    def switch_on(client: Any) -> Callable[[], Any]:
        return lambda: client.post(f"/cases/{case_id}/victim-page/{victim_id}", data=data)

    answers = at_once(committed, switch_on(first), switch_on(second), _inserting("victim_accesses"))
    assert _statuses(answers) == [302, 302]
    live = sa.select(sa.func.count(VictimAccess.id)).where(
        VictimAccess.person_id == victim_id, VictimAccess.ended_at.is_(None)
    )
    assert staff.count(live) == 1
    welcomes = sa.select(sa.func.count(OutboxEmail.id)).where(OutboxEmail.to_address == "vera@example.net")
    assert staff.count(welcomes) == 1


def _merging(statement: str) -> bool:
    # The fixed service first locks both records; the unfixed one wrote the merged record's row.
    return ("FOR UPDATE" in statement and "FROM people" in statement) or statement.startswith("UPDATE people ")


def test_two_records_merged_into_each_other_at_once_leave_one_of_them(committed):
    from casework.cases.models import Person

    staff = Staff(committed)
    one, other = staff.person("Mo Merge"), staff.person("Mo Merge")

    def merge(kept: int, merged: int) -> Callable[[], Any]:
        return lambda: staff.api("POST", f"/api/v1/people/{kept}/merge", {"merged_person_id": merged})

    answers = at_once(committed, merge(one, other), merge(other, one), _merging)
    assert sorted(_statuses(answers)) == [200, 422]
    refused = next(answer for answer in answers if answer.status_code == 422)
    assert "already merged into another record" in str(refused.json)
    hidden = sa.select(sa.func.count(Person.id)).where(Person.id.in_([one, other]), Person.merged_into_id.is_not(None))
    assert staff.count(hidden) == 1


def test_a_record_merged_into_two_records_at_once_is_merged_into_one(committed):
    from casework.cases.models import Person
    from casework.data_protection.models import PersonMerge

    staff = Staff(committed)
    first, second, merged = staff.person("Al Twice"), staff.person("Al Twice"), staff.person("Al Twice")

    def merge(kept: int) -> Callable[[], Any]:
        return lambda: staff.api("POST", f"/api/v1/people/{kept}/merge", {"merged_person_id": merged})

    answers = at_once(committed, merge(first), merge(second), _merging)
    assert sorted(_statuses(answers)) == [200, 422]
    merged_by = next(answer for answer in answers if answer.status_code == 200)
    refused = next(answer for answer in answers if answer.status_code == 422)
    assert "already merged into another record" in str(refused.json)
    merges = sa.select(sa.func.count(PersonMerge.id)).where(PersonMerge.merged_person_id == merged)
    assert staff.count(merges) == 1
    kept = staff.count(sa.select(Person.merged_into_id).where(Person.id == merged))
    assert kept in (first, second)
    assert merged_by.json["kept_person_id"] == kept


def test_a_merge_undone_twice_at_once_is_undone_once(committed):
    from casework.data_protection.models import PersonMerge

    staff = Staff(committed)
    kept, merged = staff.person("Uma Undo"), staff.person("Uma Undo")
    merge_id = staff.api("POST", f"/api/v1/people/{kept}/merge", {"merged_person_id": merged}).json["id"]

    def undo() -> Any:
        return staff.api("POST", f"/api/v1/person-merges/{merge_id}/undo")

    def undoing(statement: str) -> bool:
        return ("FOR UPDATE" in statement and "FROM person_merges" in statement) or statement.startswith(
            "UPDATE person_merges "
        )

    answers = at_once(committed, undo, undo, undoing)
    assert _statuses(answers) == [200, 422]
    assert "already been undone" in str(answers[1].json)
    undone = sa.select(sa.func.count(PersonMerge.id)).where(
        PersonMerge.id == merge_id, PersonMerge.undone_at.is_not(None)
    )
    assert staff.count(undone) == 1


def _tasking_meeting(staff: Staff) -> None:
    from datetime import timedelta

    from casework.accounts.models import Agency, Area, User
    from casework.core.db import commit
    from casework.core.time import today
    from casework.extensions import db
    from casework.tasking import services as tasking

    with staff.app.app_context():
        user = db.session.get(User, staff.user_id)
        area = db.session.scalars(sa.select(Area).where(Area.code == staff.area_code)).one()
        agency = db.session.get(Agency, user.agency_id)
        series = tasking.create_series(user, area=area, name="Tasking", interval_days=28, agencies=[agency])
        tasking.schedule_meeting(user, series, today() + timedelta(days=7))
        commit()


def _nominate(client: Any, case_id: int) -> Callable[[], Any]:
    return lambda: client.post(f"/cases/{case_id}/tasking-nomination", data={"note": "Every night"})


def test_a_case_nominated_for_tasking_twice_at_once_is_on_the_agenda_once(committed):
    """The second nomination waits for the meeting's lock, then finds the case on the agenda: it does
    what a nomination made a moment later does (the case keeps its one place)."""
    from casework.tasking.models import TaskingAgendaItem

    staff = Staff(committed)
    _tasking_meeting(staff)
    case_id = staff.case()
    first, second = staff.page_client(), staff.page_client()

    answers = at_once(
        committed, _nominate(first, case_id), _nominate(second, case_id), _inserting("tasking_agenda_items")
    )
    assert _statuses(answers) == [302, 302]
    items = sa.select(sa.func.count(TaskingAgendaItem.id)).where(TaskingAgendaItem.case_id == case_id)
    assert staff.count(items) == 1


def test_two_cases_nominated_to_one_meeting_at_once_take_the_next_two_places(committed):
    from casework.extensions import db
    from casework.tasking.models import TaskingAgendaItem

    staff = Staff(committed)
    _tasking_meeting(staff)
    cases = [staff.case(), staff.case()]
    first, second = staff.page_client(), staff.page_client()

    answers = at_once(
        committed, _nominate(first, cases[0]), _nominate(second, cases[1]), _inserting("tasking_agenda_items")
    )
    assert _statuses(answers) == [302, 302]
    with committed.app_context():
        places = db.session.execute(
            sa.select(TaskingAgendaItem.case_id, TaskingAgendaItem.position)
            .where(TaskingAgendaItem.case_id.in_(cases))
            .order_by(TaskingAgendaItem.position)
        ).all()
    assert [tuple(place) for place in places] == [(cases[0], 1), (cases[1], 2)]


def test_a_case_closed_twice_at_once_is_closed_once(committed):
    """Found safe, kept as a guard: closing changes the case, a versioned record, so the second closure's
    UPDATE waits for the first and then matches no row (``... WHERE version = ?``): 409, nothing written,
    no second closing event, no second run of the closure's receivers."""
    from casework.cases.models import CaseEvent, CaseEventKind

    staff = Staff(committed)
    case_id = staff.case()

    def close() -> Any:
        return staff.api("POST", f"/api/v1/cases/{case_id}/close", {"reason": "Resolved"})

    answers = at_once(committed, close, close, lambda statement: statement.startswith("UPDATE cases "))
    assert _statuses(answers) == [200, 409]
    closed = sa.select(sa.func.count(CaseEvent.id)).where(
        CaseEvent.case_id == case_id, CaseEvent.kind == CaseEventKind.closed
    )
    assert staff.count(closed) == 1


def test_a_diary_entry_accepted_twice_at_once_is_one_incident_on_the_ledger(committed):
    """Two officers (or one clicking twice) taking the victim's diary entry into the ledger at once: one
    incident and one complaint (which counts towards a Case Review's threshold), not two."""
    from datetime import timedelta

    from casework.cases.models import Complaint, Incident
    from casework.core.time import today
    from casework.extensions import db
    from casework.victims.models import DiaryEntry

    staff = Staff(committed)
    victim_id = staff.person("Dee Diary")
    case_id = staff.case([(victim_id, "victim")])
    with committed.app_context():
        entry = DiaryEntry(
            person_id=victim_id,
            case_id=case_id,
            happened_on=today() - timedelta(days=1),
            what_happened="Shouting at the door at midnight",
        )
        db.session.add(entry)
        db.session.commit()
        entry_id = entry.id
    first, second = staff.page_client(), staff.page_client()

    def accept(client: Any) -> Callable[[], Any]:
        return lambda: client.post(f"/cases/{case_id}/diary/{entry_id}/accept")

    def accepting(statement: str) -> bool:
        # The fixed service locks the entry first; the unfixed one wrote the incident first.
        return ("FOR UPDATE" in statement and "FROM victim_diary_entries" in statement) or statement.startswith(
            "INSERT INTO incidents "
        )

    answers = at_once(committed, accept(first), accept(second), accepting)
    assert _statuses(answers) == [302, 302]
    assert staff.count(sa.select(sa.func.count(Incident.id)).where(Incident.case_id == case_id)) == 1
    complaints = sa.select(sa.func.count(Complaint.id)).join(Incident).where(Incident.case_id == case_id)
    assert staff.count(complaints) == 1


def test_a_letter_recorded_twice_at_once_is_recorded_once(committed):
    """Letters are made in one place (``community_triggers.letters.produce``), once per event: two
    requests recording the same letter at once (here the acknowledgement, sent by post) make one."""
    from datetime import timedelta

    from casework.community_triggers.models import Letter
    from casework.core.time import today

    staff = Staff(committed)
    application_id = staff.application("Lee Letter")
    body = {"kind": "acknowledgement", "sent_on": (today() - timedelta(days=1)).isoformat()}

    def record() -> Any:
        return staff.api("POST", f"/api/v1/triggers/{application_id}/letters", body)

    def recording(statement: str) -> bool:
        # The fixed service locks the application first; the unfixed one wrote the letter.
        return ("FOR UPDATE" in statement and "trigger_applications" in statement) or statement.startswith(
            f"INSERT INTO {Letter.__tablename__} "
        )

    answers = at_once(committed, record, record, recording)
    assert _statuses(answers) == [201, 422]
    assert "already recorded" in str(answers[1].json)
    letters = sa.select(sa.func.count(Letter.id)).where(Letter.application_id == application_id)
    assert staff.count(letters) == 1


def test_a_review_of_an_intervention_recorded_twice_at_once_is_recorded_once(committed):
    """A review that is due is answered by one review: two recorded at once (two officers, or a click
    again) would both find it due."""
    from datetime import timedelta

    from casework.core.time import today
    from casework.interventions.models import InterventionReview

    staff = Staff(committed)
    person_id = staff.person("Abe Contract")
    case_id = staff.case([(person_id, "perpetrator")])
    intervention = staff.api(
        "POST",
        f"/api/v1/cases/{case_id}/interventions",
        {"kind": "abc", "subject_person_id": person_id, "issued_on": (today() - timedelta(days=30)).isoformat()},
    )
    assert intervention.status_code == 201, intervention.json
    intervention_id = intervention.json["id"]
    body = {"reviewed_on": today().isoformat(), "outcome": "continues", "notes": "Keeping to it"}

    def review() -> Any:
        return staff.api("POST", f"/api/v1/interventions/{intervention_id}/reviews", body)

    def reviewing(statement: str) -> bool:
        # The fixed service locks the intervention first; the unfixed one wrote the review.
        return ("FOR UPDATE" in statement and "FROM interventions" in statement) or statement.startswith(
            f"INSERT INTO {InterventionReview.__tablename__} "
        )

    answers = at_once(committed, review, review, reviewing)
    assert _statuses(answers) == [201, 422]
    assert "No review" in str(answers[1].json)
    reviews = sa.select(sa.func.count(InterventionReview.id)).where(
        InterventionReview.intervention_id == intervention_id
    )
    assert staff.count(reviews) == 1


def test_a_victims_second_report_recorded_at_the_same_moment_as_their_first_raises_the_explanation(committed):
    """Statutory guidance: a victim who reports a second time within six months is told about the Case
    Review. Their two reports recorded at the same moment, on two cases: each counted only itself, and
    no task was raised."""
    from casework.cases.models import CaseReviewExplanation
    from casework.core.time import today

    staff = Staff(committed)
    victim_id = staff.person("Ruth Report")
    cases = [staff.case([(victim_id, "victim")]), staff.case([(victim_id, "victim")])]

    def report(case_id: int) -> Callable[[], Any]:
        complaint = {
            "reported_on": today().isoformat(),
            "agency_code": staff.agency_code,
            "complainant_person_id": victim_id,
        }
        body = {"occurred_on": today().isoformat(), "description": "Stones at the window", "complaints": [complaint]}
        return lambda: staff.api("POST", f"/api/v1/cases/{case_id}/incidents", body)

    def counting(statement: str) -> bool:
        # The fixed service locks the person first; the unfixed one counted their reports.
        return ("FOR UPDATE" in statement and "FROM people" in statement) or "min(complaints.reported_on)" in statement

    answers = at_once(committed, report(cases[0]), report(cases[1]), counting)
    assert _statuses(answers) == [201, 201]
    tasks = sa.select(sa.func.count(CaseReviewExplanation.id)).where(CaseReviewExplanation.person_id == victim_id)
    assert staff.count(tasks) == 1


def test_a_threshold_decided_twice_at_once_is_decided_once_with_one_letter(committed):
    """Found safe, kept as a guard: deciding changes the application, a versioned record, so the second
    decision's UPDATE waits for the first and then matches no row: 409, no second decision or letter."""
    from casework.community_triggers.models import Letter, ThresholdDecision
    from casework.core.time import today

    staff = Staff(committed)
    application_id = staff.application("Dora Decision")
    body = {"met": False, "reasons": "One complaint in the period", "decided_on": today().isoformat()}

    def decide() -> Any:
        return staff.api("POST", f"/api/v1/triggers/{application_id}/threshold-decision", body)

    answers = at_once(committed, decide, decide, lambda statement: statement.startswith("UPDATE trigger_applications "))
    assert _statuses(answers) == [200, 409]
    decisions = sa.select(sa.func.count(ThresholdDecision.id)).where(ThresholdDecision.application_id == application_id)
    assert staff.count(decisions) == 1
    letters = sa.select(sa.func.count(Letter.id)).where(Letter.application_id == application_id)
    assert staff.count(letters) == 1


def test_the_case_review_explained_twice_at_once_is_recorded_once(committed):
    """The explanation owed after a second report is recorded once: two officers recording it at the
    same moment both found it owed, and the second overwrote the first's record of how it was done."""
    from casework.cases.models import CaseReviewExplanation
    from casework.core.time import today
    from casework.extensions import db

    staff = Staff(committed)
    victim_id = staff.person("Eve Explained")
    case_id = staff.case([(victim_id, "victim")])
    complaint = {
        "reported_on": today().isoformat(),
        "agency_code": staff.agency_code,
        "complainant_person_id": victim_id,
    }
    for description in ("Stones at the window", "Shouting at night"):
        body = {"occurred_on": today().isoformat(), "description": description, "complaints": [complaint]}
        assert staff.api("POST", f"/api/v1/cases/{case_id}/incidents", body).status_code == 201
    task_id = staff.count(sa.select(CaseReviewExplanation.id).where(CaseReviewExplanation.person_id == victim_id))
    assert task_id

    def explain(method: str) -> Callable[[], Any]:
        body = {"explained_on": today().isoformat(), "method": method}
        return lambda: staff.api("POST", f"/api/v1/cases/{case_id}/case-review-explanations/{task_id}", body)

    def explaining(statement: str) -> bool:
        # The fixed service locks the task first; the unfixed one wrote it.
        return ("FOR UPDATE" in statement and "FROM case_review_explanations" in statement) or statement.startswith(
            "UPDATE case_review_explanations "
        )

    answers = at_once(committed, explain("phone"), explain("letter"), explaining)
    assert _statuses(answers) == [200, 422]
    assert "already recorded" in str(answers[1].json)
    method = sa.select(CaseReviewExplanation.method).where(CaseReviewExplanation.id == task_id)
    with committed.app_context():
        assert db.session.scalar(method).value == "phone"


def test_a_victim_told_of_the_case_review_twice_at_once_is_recorded_once(committed):
    """The threshold watch's "told of their right to a Case Review" is recorded once: two recorded at
    the same moment both found it owed, and the second wrote over how the first told them."""
    from casework.accounts.models import Area
    from casework.core.time import today
    from casework.extensions import db
    from casework.threshold_watch.models import WatchEntry

    staff = Staff(committed)
    victim_id = staff.person("Tess Told")
    case_id = staff.case([(victim_id, "victim")])
    with committed.app_context():
        area_id = db.session.scalar(sa.select(Area.id).where(Area.code == staff.area_code))
        entry = WatchEntry(
            area_id=area_id,
            person_id=victim_id,
            case_ids=[case_id],
            task_case_id=case_id,
            qualifying_count=3,
            threshold=3,
            short_by=0,
            working={},
            evaluated_on=today(),
            met_on=today(),
        )
        db.session.add(entry)
        db.session.commit()
        entry_id = entry.id

    def tell(method: str) -> Callable[[], Any]:
        body = {"told_on": today().isoformat(), "method": method}
        return lambda: staff.api("POST", f"/api/v1/threshold-watch/{victim_id}/told", body)

    def telling(statement: str) -> bool:
        # The fixed service locks the entry first; the unfixed one wrote it.
        table = WatchEntry.__tablename__
        return ("FOR UPDATE" in statement and f"FROM {table}" in statement) or statement.startswith(f"UPDATE {table} ")

    answers = at_once(committed, tell("phone"), tell("letter"), telling)
    assert _statuses(answers) == [200, 422]
    assert "Already recorded" in str(answers[1].json)
    with committed.app_context():
        assert db.session.get(WatchEntry, entry_id).told_method.value == "phone"


def test_a_document_removed_twice_at_once_is_removed_once_with_one_audit_entry(committed):
    from casework.accounts.models import User
    from casework.audit.models import AuditAction, AuditEntry
    from casework.cases.models import Case
    from casework.core.db import commit
    from casework.documents import services as documents
    from casework.extensions import db
    from tests.documents.files import pdf

    staff = Staff(committed)
    case_id = staff.case()
    with committed.app_context():
        user = db.session.get(User, staff.user_id)
        document = documents.upload(
            user, db.session.get(Case, case_id), kind="evidence", filename="wrong-case.pdf", content=pdf()
        )
        commit()
        document_id = document.id
    first, second = staff.page_client(), staff.page_client()

    def remove(client: Any) -> Callable[[], Any]:
        return lambda: client.post(f"/documents/{document_id}/remove", data={"reason": "Added to the wrong case"})

    answers = at_once(
        committed, remove(first), remove(second), lambda statement: statement.startswith("UPDATE documents ")
    )
    assert _statuses(answers) == [302, 422]
    assert "This document has already been removed." in answers[1].get_data(as_text=True)
    removals = sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.object_type == "documents",
        AuditEntry.object_id == str(document_id),
        AuditEntry.action == AuditAction.delete,
    )
    assert staff.count(removals) == 1


def test_the_same_form_sent_twice_at_once_saves_one_note(committed):
    """Two tabs send the same note form (one submission key): the second checks the key before the first
    has committed, so finds nothing, and is refused by the key's unique index when it commits."""
    import re

    from casework.cases.models import CaseNote

    staff = Staff(committed)
    case_id = staff.case()
    first, second = staff.page_client(), staff.page_client()
    url = f"/cases/{case_id}/notes/new"
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', first.get(url).text).group(1)

    def send(client: Any) -> Callable[[], Any]:
        return lambda: client.post(url, data={"submission_key": key, "text": "Visited the flat"})

    answers = at_once(committed, send(first), send(second), _inserting("submission_keys"))
    assert _statuses(answers) == [302, 303]
    assert staff.count(sa.select(sa.func.count(CaseNote.id)).where(CaseNote.case_id == case_id)) == 1


def test_two_administrators_deactivating_each_other_at_once_leave_one_active(committed):
    """Neither may deactivate themselves, so the last administrator stays; but each may deactivate the
    other, and two such changes at once each see the other still active: the service would be left with
    no administrator (only the server's command line makes one again). The second waits for the first
    and is refused."""
    from casework.accounts.models import Agency, AgencyKind, Area, User
    from casework.accounts.passwords import hash_password
    from casework.accounts.services import issue_token
    from casework.extensions import db

    n = next(_numbers)
    with committed.app_context():
        area = Area(code=f"SM{n}", name=f"Same Moment {n}")
        agency = Agency(code=f"SMA{n}", name=f"Council {n}", kind=AgencyKind.council, areas=[area])
        admins = [
            User(email=f"admin{n}-{i}@example.org", name=f"Ada Min {i}", password_hash=hash_password(TEST_PASSWORD))
            for i in (1, 2)
        ]
        for admin in admins:
            admin.agency = agency
            admin.roles = ["admin"]
        db.session.add_all([area, agency, *admins])
        db.session.commit()
        ids = [admin.id for admin in admins]
        tokens = [issue_token(admin, 1)[0] for admin in admins]
        db.session.commit()
        versions = {admin.id: admin.version for admin in admins}

    def deactivate(token: str, user_id: int) -> Callable[[], Any]:
        body = {"is_active": False, "version": versions[user_id]}
        headers = {"Authorization": f"Bearer {token}"}
        return lambda: committed.test_client().patch(f"/api/v1/users/{user_id}", json=body, headers=headers)

    answers = at_once(
        committed,
        deactivate(tokens[0], ids[1]),
        deactivate(tokens[1], ids[0]),
        lambda statement: statement.startswith("UPDATE users "),
    )
    active = sa.select(sa.func.count(User.id)).where(User.id.in_(ids), User.is_active.is_(True))
    assert sorted(_statuses(answers)) == [200, 422]
    assert staff_count(committed, active) == 1


def staff_count(app: Any, statement: Any) -> int:
    from casework.extensions import db

    with app.app_context():
        return int(db.session.scalar(statement) or 0)
