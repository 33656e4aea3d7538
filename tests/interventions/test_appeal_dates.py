"""An appeal's days: the day it was lodged and the day it was decided, a late appeal warned about, and an
appeal recorded by mistake undone (2014 Act s.46 for a CPN, s.84 for a closure order, s.66 for a PSPO).

The page's status form and ``PATCH /api/v1/interventions/<id>`` take ``appeal_lodged_on`` (marking it
appealed) and ``appeal_decided_on`` (leaving appealed), each today when left out; a CPN's compliance
pause counts from the one to the other. An appeal lodged after the time the law gives is recorded and
warned about, never refused. ``appeal_in_error`` leaving appealed undoes the appeal as if it had never
been recorded: the compliance date is not moved, and the reminder that the window to appeal is
closing is open again while the window lasts.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.interventions import powers
from casework.interventions.models import Intervention, InterventionStatus
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.services import claim_due_reminders
from tests.interventions.test_appeals import DISMISSED, TODAY, comply_row, warning_then_notice
from tests.interventions.world import world  # noqa: F401
from tests.spreadsheets.conftest import problems_of

LIMITS = {"cpn_appeal_days": 21}


def patch(api: Any, intervention_id: int, **body: Any) -> Any:
    db.session.expire_all()
    version = db.session.get(Intervention, intervention_id).version
    return api.patch(f"/api/v1/interventions/{intervention_id}", json={**body, "version": version})


def window_row(intervention_id: int) -> Deadline:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Deadline).where(
            Deadline.subject_type == "interventions",
            Deadline.subject_id == intervention_id,
            Deadline.kind == "intervention.appeal_window_closes",
        )
    )


def stored(intervention_id: int) -> Intervention:
    db.session.expire_all()
    return db.session.get(Intervention, intervention_id)


# --- 1. the days an appeal was lodged and decided -------------------------------------------------------


def test_the_compliance_pause_counts_from_the_day_lodged_to_the_day_decided(world, api_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world)
        # Recorded on the 23rd, lodged on the 21st.
        appealed = patch(api, notice["id"], status="appealed", appeal_lodged_on="2026-11-21")
        assert appealed.status_code == 200, appealed.get_json()
        answer = appealed.get_json()
        assert answer["appeal_lodged_on"] == "2026-11-21"
        assert answer["appeal_decided_on"] is None
        assert answer["appeal_late"] is False
        assert "warnings" not in answer  # in time: nothing to warn about
        assert answer["dates"]["comply_by_paused_on"] == "2026-11-21"
        db.session.commit()
    # Recorded on 10 December, decided on the 8th: pending 17 days (21 November to 8 December).
    with time_machine.travel(DISMISSED, tick=False):
        dismissed = patch(api_client(world.officer), notice["id"], status="issued", appeal_decided_on="2026-12-08")
        assert dismissed.status_code == 200, dismissed.get_json()
        answer = dismissed.get_json()
        assert (answer["appeal_lodged_on"], answer["appeal_decided_on"]) == ("2026-11-21", "2026-12-08")
        assert answer["dates"]["comply_by"] == "2026-12-21"
        row = comply_row(notice["id"])
        assert (row.status, row.due_on) == (DeadlineStatus.open, date(2026, 12, 21))
        # Read back, the days are the intervention's.
        shown = api_client(world.officer).get(f"/api/v1/interventions/{notice['id']}").get_json()
        assert (shown["appeal_lodged_on"], shown["appeal_decided_on"]) == ("2026-11-21", "2026-12-08")


def test_left_out_the_days_are_today_as_before(world, api_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world)
        answer = patch(api, notice["id"], status="appealed").get_json()
        assert answer["appeal_lodged_on"] == "2026-11-23"
        db.session.commit()
    with time_machine.travel(DISMISSED, tick=False):
        answer = patch(api_client(world.officer), notice["id"], status="issued").get_json()
        assert answer["appeal_decided_on"] == "2026-12-10"
        assert answer["dates"]["comply_by"] == "2026-12-21"  # 17 days, 23 November to 10 December


def test_impossible_appeal_days_are_refused_and_nothing_is_written(world, api_client, page_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world)  # issued on 20 November

        def refused(field: str, **body: Any) -> str:
            before = stored(notice["id"])
            version, status = before.version, before.status
            response = patch(api, notice["id"], **body)
            assert response.status_code == 422, response.get_json()
            after = stored(notice["id"])
            assert (after.version, after.status) == (version, status)
            return response.get_json()["errors"][field][0]

        assert "before the community protection notice was issued on 20 November 2026" in refused(
            "appeal_lodged_on", status="appealed", appeal_lodged_on="2026-11-19"
        )
        assert refused("appeal_lodged_on", status="appealed", appeal_lodged_on="2026-11-24")  # the future
        # Served from the service on the 22nd: it reached its subject then.
        stored(notice["id"]).served_at = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
        db.session.commit()
        assert "before the community protection notice was served on 22 November 2026" in refused(
            "appeal_lodged_on", status="appealed", appeal_lodged_on="2026-11-21"
        )
        assert comply_row(notice["id"]).status == DeadlineStatus.open
        # Lodged on the 22nd: it cannot have been decided on the 21st.
        assert patch(api, notice["id"], status="appealed", appeal_lodged_on="2026-11-22").status_code == 200
        assert "before it was lodged on 22 November 2026" in refused(
            "appeal_decided_on", status="issued", appeal_decided_on="2026-11-21"
        )
        assert stored(notice["id"]).key_dates["comply_by_paused_on"] == "2026-11-22"
        # The page's status form: the same refusals, as form errors on the dates.
        client = page_client(world.officer)
        html = client.get(f"/interventions/{notice['id']}").get_data(as_text=True)
        assert 'name="appeal_decided_on-day"' in html
        assert 'name="appeal_in_error"' in html
        posted = client.post(
            f"/interventions/{notice['id']}/status",
            data={
                "status": "issued",
                "version": stored(notice["id"]).version,
                "appeal_decided_on-day": "21",
                "appeal_decided_on-month": "11",
                "appeal_decided_on-year": "2026",
            },
        )
        assert posted.status_code == 422
        assert "The appeal cannot have been decided before it was lodged on 22 November 2026" in posted.get_data(
            as_text=True
        )
        assert stored(notice["id"]).status == InterventionStatus.appealed


def test_the_page_records_the_day_an_appeal_was_lodged(world, api_client, page_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        notice = warning_then_notice(api_client(world.officer), world)
        client = page_client(world.officer)
        html = client.get(f"/interventions/{notice['id']}").get_data(as_text=True)
        assert 'name="appeal_lodged_on-day"' in html
        posted = client.post(
            f"/interventions/{notice['id']}/status",
            data={
                "status": "appealed",
                "version": notice["version"],
                "appeal_lodged_on-day": "21",
                "appeal_lodged_on-month": "11",
                "appeal_lodged_on-year": "2026",
            },
        )
        assert posted.status_code == 302, posted.get_data(as_text=True)
        intervention = stored(notice["id"])
        assert intervention.appeal_lodged_on == date(2026, 11, 21)
        assert intervention.key_dates["comply_by_paused_on"] == "2026-11-21"
        page = client.get(f"/interventions/{notice['id']}").get_data(as_text=True)
        assert re.search(r"Appeal lodged\s*</dt>\s*<dd[^>]*>\s*21 November 2026", page), page


def test_the_import_records_the_day_an_appeal_was_lodged(world, page_client):  # noqa: F811
    from tests.interventions.test_appeals import imported_case

    with time_machine.travel(TODAY, tick=False):
        importer = imported_case(page_client, world, "8")
        header = ["reference", "case_reference", "kind", "subject", "issued_on", "comply_by", "status"]
        job = importer.run(
            "interventions",
            [
                [*header, "appeal_lodged_on"],
                ["W-8", "C-8", "cpw", "P-8", "2026-10-01", "2026-10-15", "", ""],
                ["N-8", "C-8", "cpn", "P-8", "2026-11-20", "2026-12-04", "appealed", "2026-11-21"],
            ],
        )
        assert job.summary["created"] == {"interventions": 2}
        imported = db.session.scalar(sa.select(Intervention).where(Intervention.status == InterventionStatus.appealed))
        assert imported.appeal_lodged_on == date(2026, 11, 21)
        assert imported.key_dates["comply_by_paused_on"] == "2026-11-21"
        refused = importer.upload(
            "interventions",
            [
                [*header, "appeal_lodged_on"],
                ["N-9", "C-8", "cpn", "P-8", "2026-11-20", "2026-12-04", "appealed", "2026-11-19"],
            ],
        )
        [(row, column, message)] = problems_of(refused)
        assert (row, column) == (2, "appeal_lodged_on")
        assert "before the community protection notice was issued" in message
        # The export gives it back as the import takes it.
        exported = page_client(world.coordinator).get("/exports/interventions.csv").get_data(as_text=True)
        header, *rows = list(csv.reader(io.StringIO(exported)))
        lodged = header.index("Date the appeal was lodged")
        assert sorted(row[lodged] for row in rows) == ["", "2026-11-21"]


# --- 2. a late appeal is warned about, not refused ------------------------------------------------------


def test_each_power_s_time_to_appeal():
    issued = date(2026, 11, 20)

    def late(kind: str, lodged: date) -> bool:
        return powers.appeal_lateness(kind, kind, issued, lodged, LIMITS) is not None

    # CPN: 21 days beginning with the day of issue (s.46): the last day is 10 December.
    assert not late("cpn", date(2026, 12, 10))
    assert late("cpn", date(2026, 12, 11))
    assert not powers.appeal_lateness("cpn", "cpn", issued, date(2026, 12, 10), {"cpn_appeal_days": 28})
    # Closure order: within 21 days of the decision (s.84): the last day is 11 December.
    assert not late("closure_order", date(2026, 12, 11))
    assert late("closure_order", date(2026, 12, 12))
    # PSPO: a High Court challenge within 6 weeks of its making (s.66): the last day is 1 January.
    assert not late("pspo", date(2027, 1, 1))
    assert late("pspo", date(2027, 1, 2))
    # A court's orders: the research gives no time limit, so nothing is warned about.
    for kind in ("civil_injunction", "youth_injunction", "housing_injunction", "respect_order", "cbo"):
        assert not late(kind, date(2027, 11, 20)), kind


def test_a_notice_appealed_late_is_recorded_with_a_warning(world, api_client, page_client):  # noqa: F811
    with time_machine.travel("2026-12-15T12:00:00+00:00", tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world, comply_by="2026-12-31")
        # Issued on 20 November: the last day to appeal was 10 December. Lodged on the 11th.
        appealed = patch(api, notice["id"], status="appealed", appeal_lodged_on="2026-12-11")
        assert appealed.status_code == 200, appealed.get_json()
        answer = appealed.get_json()
        assert answer["status"] == "appealed"
        assert answer["appeal_late"] is True
        [warning] = answer["warnings"]
        assert "1 day after the time to appeal a community protection notice ended on 10 December 2026" in warning
        assert answer["dates"]["comply_by_paused_on"] == "2026-12-11"  # recorded as it happened
        shown = api.get(f"/api/v1/interventions/{notice['id']}").get_json()
        assert shown["appeal_late"] is True
        assert "warnings" not in shown
        # A note added later is not warned about again; the lodged day corrected is checked again.
        assert "warnings" not in patch(api, notice["id"], status="appealed", notes="Hearing listed").get_json()
        corrected = patch(api, notice["id"], status="appealed", appeal_lodged_on="2026-12-09").get_json()
        assert (corrected["appeal_late"], corrected["dates"]["comply_by_paused_on"]) == (False, "2026-12-09")
        assert "warnings" not in corrected
        late_again = patch(api, notice["id"], status="appealed", appeal_lodged_on="2026-12-11").get_json()
        assert late_again["appeal_late"] is True
        assert late_again["warnings"]
        html = page_client(world.officer).get(f"/interventions/{notice['id']}").get_data(as_text=True)
        assert "after the time to appeal a community protection notice ended on 10 December 2026" in html


def test_an_order_appealed_late_is_warned_about_and_a_court_order_is_not(world, api_client, page_client):  # noqa: F811
    with time_machine.travel("2026-12-20T12:00:00+00:00", tick=False):
        api = api_client(world.officer)
        base = f"/api/v1/cases/{world.case.id}/interventions"
        order = api.post(
            base, json={"kind": "closure_order", "issued_on": "2026-11-20", "ends_on": "2027-02-19", "location": "1 Rd"}
        ).get_json()
        late = patch(api, order["id"], status="appealed", appeal_lodged_on="2026-12-12").get_json()
        assert late["appeal_late"] is True
        assert "within 21 days of the decision to make the order, or to extend it (s.84)" in late["warnings"][0]
        client = page_client(world.officer)
        assert "(s.84)" in client.get(f"/interventions/{order['id']}").get_data(as_text=True)
        injunction = api.post(
            base,
            json={
                "kind": "civil_injunction",
                "subject_person_id": world.adult.id,
                "issued_on": "2026-01-15",
                "ends_on": "2027-01-14",
            },
        ).get_json()
        appealed = patch(api, injunction["id"], status="appealed", appeal_lodged_on="2026-12-01")
        assert appealed.status_code == 200, appealed.get_json()
        assert appealed.get_json()["appeal_late"] is False
        assert "warnings" not in appealed.get_json()
        assert "after the time to appeal" not in client.get(f"/interventions/{injunction['id']}").get_data(as_text=True)


# --- 3. an appeal recorded by mistake --------------------------------------------------------------------


def test_an_appeal_recorded_in_error_is_undone_as_if_it_had_never_been_recorded(world, api_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world)
        window_remind_at = window_row(notice["id"]).remind_at
        assert patch(api, notice["id"], status="appealed").status_code == 200
        assert window_row(notice["id"]).status == DeadlineStatus.done
        db.session.commit()
    # Put right on 1 December: the window (last day 10 December) is still open.
    with time_machine.travel("2026-12-01T12:00:00+00:00", tick=False):
        undone = patch(api_client(world.officer), notice["id"], status="issued", appeal_in_error=True)
        assert undone.status_code == 200, undone.get_json()
        answer = undone.get_json()
        assert answer["status"] == "issued"
        assert (answer["appeal_lodged_on"], answer["appeal_decided_on"]) == (None, None)
        assert answer["dates"]["comply_by"] == "2026-12-04"  # not moved by the 8 days it was marked
        assert "comply_by_paused_on" not in answer["dates"]
        row = comply_row(notice["id"])
        assert (row.status, row.due_on) == (DeadlineStatus.open, date(2026, 12, 4))
        window = window_row(notice["id"])
        assert (window.status, window.due_on) == (DeadlineStatus.open, date(2026, 12, 10))
        db.session.commit()
        # Reminded afresh (its reminder went with the appeal).
        assert window.id in [r.id for r in claim_due_reminders(max(window.remind_at, window_remind_at))]


def test_an_appeal_recorded_in_error_after_the_window_closed_leaves_its_reminder_settled(world, api_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world, comply_by="2026-12-31")
        assert patch(api, notice["id"], status="appealed").status_code == 200
        db.session.commit()
    with time_machine.travel("2026-12-15T12:00:00+00:00", tick=False):
        undone = patch(api_client(world.officer), notice["id"], status="issued", appeal_in_error=True)
        assert undone.status_code == 200, undone.get_json()
        assert undone.get_json()["dates"]["comply_by"] == "2026-12-31"
        assert window_row(notice["id"]).status == DeadlineStatus.done
        assert comply_row(notice["id"]).status == DeadlineStatus.open


def test_in_error_goes_only_with_an_appeal_in_progress_ending_undecided(world, api_client, page_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        notice = warning_then_notice(api, world)
        refused = patch(api, notice["id"], status="breached", appeal_in_error=True)
        assert refused.status_code == 422
        assert (
            "Only an appeal in progress can be recorded in error" in refused.get_json()["errors"]["appeal_in_error"][0]
        )
        assert patch(api, notice["id"], status="appealed").status_code == 200
        both = patch(api, notice["id"], status="issued", appeal_in_error=True, appeal_decided_on="2026-11-23")
        assert both.status_code == 422
        assert "never decided" in both.get_json()["errors"]["appeal_decided_on"][0]
        assert stored(notice["id"]).status == InterventionStatus.appealed
        # The page's box does the same as the API's key.
        client = page_client(world.officer)
        posted = client.post(
            f"/interventions/{notice['id']}/status",
            data={"status": "issued", "version": stored(notice["id"]).version, "appeal_in_error": "y"},
        )
        assert posted.status_code == 302, posted.get_data(as_text=True)
        intervention = stored(notice["id"])
        assert (intervention.status, intervention.appeal_lodged_on) == (InterventionStatus.issued, None)
        assert window_row(notice["id"]).status == DeadlineStatus.open


def test_the_time_to_appeal_runs_again_from_an_extension_or_a_variation(world, api_client):  # noqa: F811
    """s.84: a closure order is appealed within 21 days of its making, extension or variation; s.66: a
    PSPO is challenged within 6 weeks of its making or variation. Counted from the latest on or before
    the day the appeal was lodged."""
    api = api_client(world.officer)
    base = f"/api/v1/cases/{world.case.id}/interventions"
    with time_machine.travel("2026-12-01T12:00:00+00:00", tick=False):
        order = api.post(
            base, json={"kind": "closure_order", "issued_on": "2026-11-20", "ends_on": "2027-02-19", "location": "1 Rd"}
        ).get_json()
        pspo = api.post(
            base, json={"kind": "pspo", "issued_on": "2026-01-10", "ends_on": "2029-01-09", "location": "The park"}
        ).get_json()
        varied = patch(api, pspo["id"], status="varied", varied_on="2026-11-01")
        assert varied.status_code == 200, varied.get_json()
        assert varied.get_json()["varied_on"] == "2026-11-01"
        # Six weeks from the variation (13 December), not from the making (January).
        challenged = patch(api, pspo["id"], status="appealed", appeal_lodged_on="2026-12-01").get_json()
        assert challenged["appeal_late"] is False
        assert "warnings" not in challenged
    with time_machine.travel("2027-02-16T12:00:00+00:00", tick=False):
        api = api_client(world.officer)  # a token of the day
        extended = api.post(
            f"/api/v1/interventions/{order['id']}/extend",
            json={"ends_on": "2027-05-01", "extended_on": "2027-01-30", "version": order["version"]},
        )
        assert extended.status_code == 200, extended.get_json()
        assert extended.get_json()["extended_on"] == "2027-01-30"
        # 21 days from the extension (20 February), not from the making (11 December).
        appealed = patch(api, order["id"], status="appealed", appeal_lodged_on="2027-02-15").get_json()
        assert appealed["appeal_late"] is False
        # Lodged before the extension, an appeal still counts from the making.
        corrected = patch(api, order["id"], status="appealed", appeal_lodged_on="2026-12-15").get_json()
        assert corrected["appeal_late"] is True


def test_a_variation_day_goes_only_with_marking_it_varied(world, api_client):  # noqa: F811
    api = api_client(world.officer)
    with time_machine.travel("2026-12-01T12:00:00+00:00", tick=False):
        pspo = api.post(
            f"/api/v1/cases/{world.case.id}/interventions",
            json={"kind": "pspo", "issued_on": "2026-01-10", "ends_on": "2029-01-09", "location": "The park"},
        ).get_json()
        assert patch(api, pspo["id"], status="issued", varied_on="2026-11-01").status_code == 422
        assert patch(api, pspo["id"], status="varied", varied_on="2025-11-01").status_code == 422
        assert patch(api, pspo["id"], status="varied").get_json()["varied_on"] == "2026-12-01"
