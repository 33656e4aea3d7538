"""Appeals against warnings, notices and orders (2014 Act s.46 for a CPN, s.84 for a closure order, s.66
for a PSPO; a court's orders through the courts).

Only a power the law lets be appealed or challenged may be marked ``appealed``: there is no appeal
against a Community Protection Warning, a warning letter, an ABC, a fixed penalty, a closure notice, a
dispersal direction or a Community Remedy. The refusal is ``interventions.services.status_refusal``,
through which the page, the API and the spreadsheet import all pass.

While a Community Protection Notice is under appeal, its requirements to stop doing things stay in
force and its other requirements are suspended (s.46): its compliance deadline is paused (not
reminded, not overdue, not escalated); when the appeal ends it is due later by the days the appeal was
pending, or closed when the notice is withdrawn (quashed).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.core.db import commit
from casework.extensions import db
from casework.interventions import powers
from casework.interventions.models import Intervention, InterventionKind, InterventionStatus
from casework.interventions.services import status_choices, status_refusal
from casework.notifications.models import OutboxEmail
from casework.reminders import tasks
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.services import claim_due_reminders
from tests.interventions.world import world  # noqa: F401
from tests.spreadsheets.conftest import Importer, problems_of

TODAY = "2026-11-23T12:00:00+00:00"
#: The day the appeal is dismissed: 17 days after it was lodged on 23 November.
DISMISSED = "2026-12-10T12:00:00+00:00"


def comply_row(intervention_id: int) -> Deadline:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Deadline).where(
            Deadline.subject_type == "interventions",
            Deadline.subject_id == intervention_id,
            Deadline.kind == "intervention.comply_by",
        )
    )


def set_status(api: Any, intervention_id: int, status: str) -> Any:
    db.session.expire_all()
    version = db.session.get(Intervention, intervention_id).version
    return api.patch(f"/api/v1/interventions/{intervention_id}", json={"status": status, "version": version})


def warning_then_notice(api: Any, world: Any, comply_by: str = "2026-12-04") -> dict[str, Any]:  # noqa: F811
    """A CPW whose compliance period has passed, then a CPN issued on 20 November."""
    warning = api.post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={"kind": "cpw", "subject_person_id": world.adult.id, "issued_on": "2026-10-01", "comply_by": "2026-10-15"},
    )
    assert warning.status_code == 201, warning.get_json()
    notice = api.post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={
            "kind": "cpn",
            "subject_person_id": world.adult.id,
            "issued_on": "2026-11-20",
            "comply_by": comply_by,
            "requirements": "Clear the rubbish from the front garden",
            "prohibitions": "No amplified music after 11pm",
        },
    )
    assert notice.status_code == 201, notice.get_json()
    return notice.get_json()


def imported_case(page_client: Any, world: Any, number: str) -> Importer:  # noqa: F811
    """A person P-<number> and a case C-<number> they are the perpetrator on, imported by the coordinator."""
    importer = Importer(page_client, world.coordinator)
    importer.run("people", [["reference", "name", "date_of_birth"], [f"P-{number}", "Dean Lowe", "1990-01-02"]])
    importer.run(
        "cases",
        [
            ["reference", "area_code", "category", "summary", "opened_on", "perpetrators"],
            [f"C-{number}", "BOL", "personal", "Noise", "2025-09-03", f"P-{number}"],
        ],
    )
    return importer


def compliance_emails() -> list[OutboxEmail]:
    db.session.expire_all()
    # The title is in the body (a subject names no one: tests/reminders/test_subject_lines.py).
    return list(db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.body_text.contains("Compliance period"))))


def test_every_power_either_has_an_appeal_or_says_why_not():
    kinds = {k.value for k in InterventionKind}
    assert set(powers.APPEALS) | set(powers.NO_APPEAL) == kinds
    assert not set(powers.APPEALS) & set(powers.NO_APPEAL)
    assert powers.appeal_of("cpw") is None
    assert powers.appeal_of("cpn") is not None
    assert powers.appeal_of("cpn").suspends == {"comply_by"}


def test_appealed_is_offered_and_allowed_only_for_powers_with_an_appeal():
    for kind in InterventionKind:
        intervention = Intervention(kind=kind, status=InterventionStatus.issued)
        offered = InterventionStatus.appealed in status_choices(intervention)
        refusal = status_refusal(intervention, InterventionStatus.appealed)
        if kind.value in powers.NO_APPEAL:
            assert not offered, kind
            assert refusal is not None, kind
            assert "cannot be marked appealed" in refusal, kind
        else:
            assert offered, kind
            assert refusal is None, kind
    # A record marked appealed before this rule keeps its status and may leave it.
    legacy = Intervention(kind=InterventionKind.cpw, status=InterventionStatus.appealed)
    assert status_refusal(legacy, InterventionStatus.appealed) is None
    assert status_refusal(legacy, InterventionStatus.issued) is None


def test_appealed_is_refused_for_a_warning_on_every_path(world, api_client, page_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        made = api.post(
            f"/api/v1/cases/{world.case.id}/interventions",
            json={
                "kind": "cpw",
                "subject_person_id": world.adult.id,
                "issued_on": "2026-11-20",
                "comply_by": "2026-12-20",
            },
        )
        warning = made.get_json()
        # The API: 422 with _rule and the field, nothing written.
        refused = set_status(api, warning["id"], "appealed")
        assert refused.status_code == 422, refused.get_json()
        errors = refused.get_json()["errors"]
        assert "there is no appeal against a Community Protection Warning" in errors["_rule"][0]
        assert errors["status"] == errors["_rule"]
        db.session.expire_all()
        intervention = db.session.get(Intervention, warning["id"])
        assert (intervention.status, intervention.version) == (InterventionStatus.issued, warning["version"])
        # The page: not offered, and refused as a form error when posted anyway.
        client = page_client(world.officer)
        html = client.get(f"/interventions/{warning['id']}").get_data(as_text=True)
        offered = set(re.findall(r'name="status"[^>]*value="(\w+)"', html))
        assert offered == {s.value for s in InterventionStatus} - {"appealed"}
        posted = client.post(
            f"/interventions/{warning['id']}/status", data={"status": "appealed", "version": warning["version"]}
        )
        assert posted.status_code == 422
        assert "there is no appeal against a Community Protection Warning" in posted.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Intervention, warning["id"]).status == InterventionStatus.issued
        # The spreadsheet import: the row's problem is on its status column, and the row is not imported.
        importer = imported_case(page_client, world, "9")
        job = importer.upload(
            "interventions",
            [
                ["reference", "case_reference", "kind", "subject", "issued_on", "comply_by", "status"],
                ["W-9", "C-9", "verbal_warning", "P-9", "2026-11-02", "", "appealed"],
            ],
        )
        [(row, column, message)] = problems_of(job)
        assert (row, column) == (2, "status")
        assert "cannot be marked appealed" in message
        assert "verbal warning is not an order" in message
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Intervention)) == 1


def test_a_notice_under_appeal_pauses_its_compliance_deadline_and_dismissal_moves_it_later(
    world,  # noqa: F811
    api_client,
):
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world)
        row = comply_row(notice["id"])
        assert (row.status, row.due_on) == (DeadlineStatus.open, date(2026, 12, 4))
        remind_at = row.remind_at
        appealed = set_status(api, notice["id"], "appealed")
        assert appealed.status_code == 200, appealed.get_json()
        answer = appealed.get_json()
        # The answer keeps its keys; the dates say the compliance period is paused from today.
        assert set(answer) == set(notice) - {"warnings"}
        assert answer["status"] == "appealed"
        assert answer["dates"]["comply_by"] == "2026-12-04"
        assert answer["dates"]["comply_by_paused_on"] == "2026-11-23"
        assert answer["comply_by"] == "2026-12-04"  # the notice's own date, as it was issued
        assert comply_row(notice["id"]).status != DeadlineStatus.open
        assert claim_due_reminders(remind_at) == []
        db.session.commit()
    # Through the reminder time and the day it was due, the appeal still pending: no reminder, no
    # escalation, not listed as overdue.
    for moment in ("2026-12-02T07:00:00+00:00", "2026-12-07T09:00:00+00:00"):
        with time_machine.travel(moment, tick=False):
            tasks.sweep.run()
            row = comply_row(notice["id"])
            assert (row.reminder_sent_at, row.escalation_sent_at) == (None, None)
            assert compliance_emails() == []
            overdue = (
                api_client(world.officer).get("/api/v1/deadlines", query_string={"due": "overdue"}).get_json()["items"]
            )
            assert "Compliance period ends" not in str(overdue)
    # Dismissed 17 days after it was lodged: due 17 days later than it was, reminded afresh.
    with time_machine.travel(DISMISSED, tick=False):
        dismissed = set_status(api_client(world.officer), notice["id"], "issued")
        assert dismissed.status_code == 200, dismissed.get_json()
        answer = dismissed.get_json()
        assert set(answer) == set(notice) - {"warnings"}
        assert answer["dates"]["comply_by"] == "2026-12-21"
        assert "comply_by_paused_on" not in answer["dates"]
        row = comply_row(notice["id"])
        assert (row.status, row.due_on) == (DeadlineStatus.open, date(2026, 12, 21))
        assert (row.reminder_sent_at, row.escalation_sent_at) == (None, None)
        new_remind_at = row.remind_at
        assert new_remind_at > remind_at
        db.session.commit()
    with time_machine.travel(new_remind_at, tick=False):
        tasks.sweep.run()
        assert len(compliance_emails()) == 1
        assert comply_row(notice["id"]).reminder_sent_at is not None


def test_a_notice_quashed_on_appeal_closes_its_paused_deadline(world, api_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world)
        assert set_status(api, notice["id"], "appealed").status_code == 200
    with time_machine.travel(DISMISSED, tick=False):
        quashed = set_status(api_client(world.officer), notice["id"], "withdrawn")
        assert quashed.status_code == 200, quashed.get_json()
        assert quashed.get_json()["dates"]["comply_by"] == "2026-12-04"
        assert "comply_by_paused_on" not in quashed.get_json()["dates"]
        assert comply_row(notice["id"]).status == DeadlineStatus.cancelled
        assert claim_due_reminders(comply_row(notice["id"]).remind_at) == []


def test_the_page_and_the_import_pause_a_notice_as_the_api_does(world, api_client, page_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world)
        client = page_client(world.officer)
        html = client.get(f"/interventions/{notice['id']}").get_data(as_text=True)
        assert 'value="appealed"' in html
        assert "To a magistrates" in html  # how it is appealed
        posted = client.post(
            f"/interventions/{notice['id']}/status", data={"status": "appealed", "version": notice["version"]}
        )
        assert posted.status_code == 302, posted.get_data(as_text=True)
        assert comply_row(notice["id"]).status == DeadlineStatus.cancelled
        assert "the compliance period is paused" in client.get(f"/interventions/{notice['id']}").get_data(as_text=True)
        # An imported notice marked appealed is imported paused. (Its warning is imported too: the
        # earlier one on the case is not the import's to name.)
        importer = imported_case(page_client, world, "7")
        job = importer.run(
            "interventions",
            [
                ["reference", "case_reference", "kind", "subject", "issued_on", "comply_by", "status"],
                ["W-7", "C-7", "cpw", "P-7", "2026-10-01", "2026-10-15", ""],
                ["N-7", "C-7", "cpn", "P-7", "2026-11-20", "2026-12-04", "appealed"],
            ],
        )
        assert job.summary["created"] == {"interventions": 2}
        imported = db.session.scalar(
            sa.select(Intervention).where(Intervention.kind == InterventionKind.cpn, Intervention.id != notice["id"])
        )
        assert imported.status == InterventionStatus.appealed
        assert imported.key_dates["comply_by_paused_on"] == "2026-11-23"
        assert comply_row(imported.id).status == DeadlineStatus.cancelled


def test_reopening_the_case_during_the_appeal_keeps_the_deadline_paused(world, api_client):  # noqa: F811
    from casework.cases.services import close_case, reopen_case

    world.case.opened_on = date(2026, 9, 1)
    db.session.commit()
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world)
        assert set_status(api, notice["id"], "appealed").status_code == 200
        db.session.expire_all()
        close_case(world.officer, world.case, reason="Behaviour stopped")
        commit()
        reopen_case(world.officer, world.case, reason="It started again")
        commit()
        assert comply_row(notice["id"]).status == DeadlineStatus.cancelled
        assert claim_due_reminders(comply_row(notice["id"]).remind_at) == []
        db.session.commit()
    # The appeal ends while the case is closed: the date moves, and the deadline opens on the moved
    # day when the case is reopened.
    with time_machine.travel(DISMISSED, tick=False):
        db.session.expire_all()
        close_case(world.officer, world.case, reason="Behaviour stopped")
        commit()
        assert set_status(api_client(world.officer), notice["id"], "issued").status_code == 200
        assert comply_row(notice["id"]).status == DeadlineStatus.cancelled
        db.session.expire_all()
        reopen_case(world.officer, world.case, reason="It started again")
        commit()
        row = comply_row(notice["id"])
        assert (row.status, row.due_on) == (DeadlineStatus.open, date(2026, 12, 21))


def test_an_appealed_notice_still_ends_on_its_end_date(world, api_client):  # noqa: F811
    """No appeal suspends a notice as a whole (s.46 suspends its positive requirements only): the
    nightly expiry ends it on its end date, and its paused deadline closes with it."""
    from casework.interventions.services import expire_ended

    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world)
        db.session.expire_all()
        db.session.get(Intervention, notice["id"]).ends_on = date(2026, 12, 1)
        db.session.commit()
        assert set_status(api, notice["id"], "appealed").status_code == 200
    with time_machine.travel("2026-12-02T12:00:00+00:00", tick=False):
        assert expire_ended() == 1
        db.session.commit()
        db.session.expire_all()
        intervention = db.session.get(Intervention, notice["id"])
        assert intervention.status == InterventionStatus.expired
        assert "comply_by_paused_on" not in intervention.key_dates
        assert comply_row(notice["id"]).status == DeadlineStatus.done


def test_an_appeal_lodged_settles_the_reminder_that_the_window_to_appeal_is_closing(world, api_client):  # noqa: F811
    def window_row(intervention_id: int) -> Deadline:
        db.session.expire_all()
        return db.session.scalar(
            sa.select(Deadline).where(
                Deadline.subject_id == intervention_id, Deadline.kind == "intervention.appeal_window_closes"
            )
        )

    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world)
        window = window_row(notice["id"])
        assert window.status == DeadlineStatus.open
        remind_at = window.remind_at
        assert set_status(api, notice["id"], "appealed").status_code == 200
        assert window_row(notice["id"]).status == DeadlineStatus.done
        assert claim_due_reminders(remind_at) == []
        db.session.commit()
    # Dismissed: the window stays settled (it was used), while the compliance date comes back.
    with time_machine.travel(DISMISSED, tick=False):
        assert set_status(api_client(world.officer), notice["id"], "issued").status_code == 200
        assert window_row(notice["id"]).status == DeadlineStatus.done
        assert comply_row(notice["id"]).status == DeadlineStatus.open
