"""A deadline whose record is gone (left by retention runs before they deleted the deadlines of the rows
they deleted, in a database upgraded since; ``delete_orphaned_deadlines`` deletes them at the next run)
is listed nowhere in the meantime: not by ``GET /api/v1/deadlines``, its export, the dashboards, the
calendar page and feed, the case page, the digest or the reminders. Every list passes through one
clause (``reminders.services.subject_exists``); each is walked here with orphans of two kinds (one on
a case, one on no case) beside live deadlines of the same kinds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from casework.accounts.models import Area
from casework.cases.models import CaseParty, PartyRole
from casework.community_triggers.models import ApplicantRole, Channel, TriggerApplication
from casework.core.time import now
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.services import claim_due_reminders, delete_orphaned_deadlines, queue_digest
from tests.conftest import csrf_from

LIVE = ("Live review of Adam", "Live acknowledgement")
ORPHANED = ("Orphaned review of Gone", "Orphaned acknowledgement")


def _application(world, sequence: int) -> TriggerApplication:
    application = TriggerApplication(
        reference=f"BOL-CT-2026-{sequence:04d}",
        area_id=world.area.id,
        year=2026,
        sequence=sequence,
        received_on=date(2026, 4, 1),
        channel=Channel.phone,
        applicant_name="Sam Sample",
        applicant_role=ApplicantRole.victim,
        description="Noise",
    )
    db.session.add(application)
    db.session.commit()
    return application


def _work(world, deadline) -> dict[str, int]:
    """The officer's deadlines, overdue and due this week: on a party to a case (a risk review; the
    orphan's on a second case of theirs) and on a Case Review application (no case's work), each kind
    once live and once with its record then deleted behind its back, as the retention runs before did."""
    other_case = world.new_case(reference="BOL-2026-0002")
    gone_person = world.person("Gordon Gone", date(1980, 1, 1), on_case=False)
    gone_party = CaseParty(case_id=other_case.id, person_id=gone_person.id, role=PartyRole.perpetrator)
    db.session.add(gone_party)
    db.session.commit()
    live_party = db.session.scalar(
        sa.select(CaseParty).where(CaseParty.person_id == world.adult.id, CaseParty.case_id == world.case.id)
    )
    live_application, gone_application = _application(world, 1), _application(world, 2)
    ids = {"other case": other_case.id}
    for title, subject_type, subject_id, case_id, due in (
        (LIVE[0], "case_parties", live_party.id, world.case.id, date(2026, 4, 7)),
        (ORPHANED[0], "case_parties", gone_party.id, other_case.id, date(2026, 4, 7)),
        (LIVE[1], "trigger_applications", live_application.id, None, date(2026, 4, 9)),
        (ORPHANED[1], "trigger_applications", gone_application.id, None, date(2026, 4, 9)),
    ):
        ids[title] = deadline(
            world.officer, due, title=title, subject_type=subject_type, subject_id=subject_id, case_id=case_id
        ).id
    db.session.execute(sa.delete(CaseParty).where(CaseParty.id == gone_party.id))
    db.session.execute(sa.delete(TriggerApplication).where(TriggerApplication.id == gone_application.id))
    db.session.commit()
    return ids


def _shows_only_live(text: str, where: str) -> None:
    for title in LIVE:
        assert title in text, f"{where} should list {title!r}"
    for title in ORPHANED:
        assert title not in text, f"{where} lists the orphan {title!r}"


def test_no_list_of_deadlines_shows_one_whose_record_is_gone(world, deadline, api_client, page_client, client, at):
    ids = _work(world, deadline)
    with at(2026, 4, 8, 9, 0):
        # The API, the officer's own and the manager's team's, whatever the due filter.
        for user, query, expected in (
            (world.officer, "", LIVE),
            (world.officer, "?due=overdue", LIVE[:1]),
            (world.officer, "?due=week", LIVE[1:]),
            (world.officer, "?status=open&per_page=100", LIVE),
            (world.manager, "?owner=team", LIVE),
        ):
            response = api_client(user).get(f"/api/v1/deadlines{query}")
            assert response.status_code == 200
            body = response.get_json()
            listed = [item["title"] for item in body["items"]]
            assert sorted(listed) == sorted(expected), (query, listed)
            assert body["total"] == len(listed)
        officer, manager = page_client(world.officer), page_client(world.manager)
        # Its export.
        for reader, path in ((officer, "/exports/deadlines.csv"), (manager, "/exports/deadlines.csv?owner=team")):
            response = reader.get(path)
            assert response.status_code == 200
            _shows_only_live(response.get_data(as_text=True), path)
        # The pages: the dashboards (the officer's "Due soon", the manager's own and team's work and
        # overdue work), the deadline calendar, the case page.
        for reader, path in (
            (officer, "/"),
            (manager, "/"),
            (officer, "/deadlines/calendar?month=2026-04"),
        ):
            response = reader.get(path)
            assert response.status_code == 200
            page = response.get_data(as_text=True)
            if reader is manager:
                # The team's lists name the officer's work; none of it is the orphans'.
                assert LIVE[0] in page or LIVE[1] in page, path
                for title in ORPHANED:
                    assert title not in page, (path, title)
            else:
                _shows_only_live(page, path)
        # The case's deadlines as closing it lists them; the cases with overdue work.
        closing = officer.get(f"/cases/{world.case.id}/close")
        assert closing.status_code == 200
        assert LIVE[0] in closing.get_data(as_text=True)
        closing = officer.get(f"/cases/{ids['other case']}/close")
        assert closing.status_code == 200
        assert ORPHANED[0] not in closing.get_data(as_text=True)
        overdue_cases = officer.get("/cases/?overdue=yes&status=open").get_data(as_text=True)
        assert "BOL-2026-0001" in overdue_cases
        assert "BOL-2026-0002" not in overdue_cases
        # The caseload: the officer's open cases, those with overdue work, deadlines overdue and due.
        caseload = manager.get("/cases/caseload")
        assert caseload.status_code == 200
        row = re.search(r"Olive Officer.*?</tr>", caseload.get_data(as_text=True), flags=re.DOTALL)
        assert row is not None
        cells = [re.sub(r"<[^>]+>", " ", cell).split() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0))]
        assert [cell[0] if cell else "" for cell in cells] == ["2", "0", "1", "1", "1"]
        # The calendar feed names no work, only its kind: its events are the deadlines' ids.
        settings = officer.get("/notifications")
        made = officer.post("/notifications/calendar", data={"csrf_token": csrf_from(settings.text)})
        link = re.search(r'id="calendar-feed-url">(http[^<]+)</code>', made.text)
        assert link is not None
        feed = client.get(link.group(1).replace("http://localhost", ""))
        assert feed.status_code == 200
        events = {str(event["uid"]) for event in Calendar.from_ical(feed.data).walk("VEVENT")}
        assert events == {f"deadline-{ids[title]}@casework" for title in LIVE}
        # The digest and the reminders.
        assert queue_digest(world.officer)
        digest = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == world.officer.email)).one()
        _shows_only_live(digest.body_text, "the digest")
        reminded = {row.id for row in claim_due_reminders(now())}
        assert reminded == {ids[title] for title in LIVE}
        db.session.rollback()

    # The next retention run deletes them (and only them).
    assert delete_orphaned_deadlines() == {"case_parties": 1, "trigger_applications": 1}


def test_a_deadline_on_a_table_no_domain_registered_is_refused(world, deadline):
    """The lists can leave out a deadline whose record is gone only for the kinds of record registered
    (``domain.deadline_subjects``): a deadline on any other table is a programming error."""
    with pytest.raises(ValueError, match="deadline_subjects"):
        deadline(world.officer, date(2026, 4, 9), subject_type="areas", subject_id=world.area.id)


def _rows_read_from(node: dict, table: str) -> int:
    """The rows the plan's scans of ``table`` produced (EXPLAIN ANALYZE), under ``node``."""
    own = node.get("Actual Rows", 0) * node.get("Actual Loops", 1) if node.get("Relation Name") == table else 0
    return own + sum(_rows_read_from(child, table) for child in node.get("Plans", []))


@pytest.mark.postgresql_only
def test_the_sweeps_claim_looks_up_each_due_deadlines_record_rather_than_reading_them_all(
    world, deadline, migration_database_url
):
    """The check that a deadline's record is still there costs the sweep's claim a look-up per due
    deadline, however many records of that kind the service holds. Written as an ``EXISTS``, PostgreSQL
    planned it, once it knew the tables' sizes, as a hash of every record of the kind built on each
    claim: here 3,000 applications read for a claim of 500 (a service's case parties or actions:
    hundreds of thousands). The claim is the sweep's own statement, planned on tables of that size with
    their statistics (the owner's transaction, rolled back, and the statistics taken again after)."""
    application = _application(world, 1)
    deadline(world.officer, date(2026, 4, 7), subject_type="trigger_applications", subject_id=application.id)
    connection = db.session.connection()
    claims: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _executemany: bool) -> None:
        if "FOR UPDATE" in statement and "deadlines" in statement:
            claims.append((statement, parameters))

    sa.event.listen(connection, "before_cursor_execute", note)
    try:
        assert len(claim_due_reminders(datetime(2026, 4, 8, 9, 0, tzinfo=UTC))) == 1
    finally:
        sa.event.remove(connection, "before_cursor_execute", note)
    db.session.rollback()
    ((statement, parameters),) = claims

    engine = sa.create_engine(migration_database_url, poolclass=sa.pool.NullPool)
    tables = "areas, trigger_applications, deadlines"
    try:
        with engine.connect() as owner:
            area_id = owner.scalar(sa.insert(Area).values(code="ZZCLAIM", name="Claim's area").returning(Area.id))
            owner.execute(
                sa.insert(TriggerApplication),
                [
                    {
                        "reference": f"ZZ-CT-2025-{n:05d}",
                        "area_id": area_id,
                        "year": 2025,
                        "sequence": n,
                        "received_on": date(2025, 4, 1),
                        "channel": Channel.phone,
                        "applicant_name": "Sam Sample",
                        "applicant_role": ApplicantRole.victim,
                        "description": "Noise",
                    }
                    for n in range(1, 3001)
                ],
            )
            ids = owner.scalars(
                sa.select(TriggerApplication.id).where(TriggerApplication.area_id == area_id).limit(2000)
            ).all()
            owner.execute(
                sa.insert(Deadline),
                [
                    {
                        "kind": "triggers.acknowledge",
                        "subject_type": "trigger_applications",
                        "subject_id": application_id,
                        "title": "Acknowledge the application",
                        "due_at": datetime(2026, 4, 9, 16, 0, tzinfo=UTC),
                        "remind_at": datetime(2026, 4, 7, 8, 0, tzinfo=UTC),
                        "status": DeadlineStatus.open,
                    }
                    for application_id in ids
                ],
            )
            owner.exec_driver_sql(f"ANALYZE {tables}")
            explain = owner.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            (plan,) = explain.scalar_one()
            owner.rollback()
            owner.exec_driver_sql(f"ANALYZE {tables}")
            owner.commit()
    finally:
        engine.dispose()
    assert plan["Plan"]["Actual Rows"] == 500
    assert _rows_read_from(plan["Plan"], "trigger_applications") <= 500
