"""An intervention's statuses have an order (``services.status_refusal``).

A live intervention (issued, breached, appealed, varied) may take any status (appealed only a power
that can be appealed: tests/interventions/test_appeals.py). A finished one
(complied, expired, withdrawn) is final: it is not marked another finished status, and is made live
again only to correct a mistake, which makes its dates still to come due again (its reminders
resume). Nothing expires before its end date, and an order that ran out is not made live again. A
refused change answers 422 with ``_rule`` (a form error on the page) and writes nothing.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.audit.models import AuditEntry
from casework.extensions import db
from casework.interventions.models import Intervention
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.services import claim_due_reminders
from tests.interventions.world import world  # noqa: F401

TODAY = "2026-11-23T12:00:00+00:00"


def deadlines(intervention_id: int) -> dict[str, Deadline]:
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(Deadline).where(Deadline.subject_type == "interventions", Deadline.subject_id == intervention_id)
    )
    return {row.kind: row for row in rows}


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0


def record(api: Any, world: Any, **body: Any) -> dict[str, Any]:  # noqa: F811
    made = api.post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={"subject_person_id": world.adult.id, "issued_on": "2026-11-20", **body},
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def set_status(api: Any, intervention: dict[str, Any], status: str) -> Any:
    db.session.expire_all()
    version = db.session.get(Intervention, intervention["id"]).version
    return api.patch(f"/api/v1/interventions/{intervention['id']}", json={"status": status, "version": version})


def test_a_finished_intervention_is_not_marked_another_finished_status(world, api_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        warning = record(api, world, kind="cpw", comply_by="2026-12-20")
        assert set_status(api, warning, "withdrawn").status_code == 200
        before = (db.session.get(Intervention, warning["id"]).version, audit_count())
        for status in ("complied", "expired"):
            refused = set_status(api, warning, status)
            assert refused.status_code == 422, refused.get_json()
            assert "cannot be marked" in refused.get_json()["errors"]["_rule"][0]
        db.session.expire_all()
        intervention = db.session.get(Intervention, warning["id"])
        assert intervention.status.value == "withdrawn"
        assert (intervention.version, audit_count()) == before
        assert deadlines(warning["id"])["intervention.comply_by"].status == DeadlineStatus.cancelled


def test_nothing_expires_before_its_end_date(world, api_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        injunction = record(
            api, world, kind="civil_injunction", ends_on="2027-05-19", prohibitions="Not to enter Elm Road"
        )
        refused = set_status(api, injunction, "expired")
        assert refused.status_code == 422, refused.get_json()
        assert "has not expired" in refused.get_json()["errors"]["_rule"][0]
        assert deadlines(injunction["id"])["intervention.ends_on"].status == DeadlineStatus.open
        # A warning with no end date may be marked expired.
        letter = record(api, world, kind="warning_letter")
        assert set_status(api, letter, "expired").status_code == 200


def test_an_order_that_ran_out_is_not_made_live_again(world, api_client):  # noqa: F811
    from casework.interventions.services import expire_ended

    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        injunction = record(
            api, world, kind="civil_injunction", ends_on="2026-11-30", prohibitions="Not to enter Elm Road"
        )
    with time_machine.travel("2026-12-02T12:00:00+00:00", tick=False):
        assert expire_ended() == 1
        db.session.commit()
        api = api_client(world.officer)
        refused = set_status(api, injunction, "issued")
        assert refused.status_code == 422, refused.get_json()
        assert "cannot be in force again" in refused.get_json()["errors"]["_rule"][0]
        db.session.expire_all()
        assert db.session.get(Intervention, injunction["id"]).status.value == "expired"


def test_an_order_in_force_under_any_live_status_expires_at_its_end_date(world, api_client):  # noqa: F811
    # Varied or under appeal, an order still ends on its end date: left "varied" it would count as in
    # force for ever, and its end date's deadline would stay open.
    from casework.interventions.services import expire_ended

    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        orders = {}
        for status in ("issued", "breached", "appealed", "varied"):
            order = record(
                api, world, kind="civil_injunction", ends_on="2026-11-30", prohibitions="Not to enter Elm Road"
            )
            if status != "issued":
                assert set_status(api, order, status).status_code == 200
            orders[status] = order["id"]
    with time_machine.travel("2026-12-02T12:00:00+00:00", tick=False):
        assert expire_ended() == 4
        db.session.commit()
        db.session.expire_all()
        for status, intervention_id in orders.items():
            assert db.session.get(Intervention, intervention_id).status.value == "expired", status
            assert deadlines(intervention_id)["intervention.ends_on"].status != DeadlineStatus.open, status


def test_a_mistaken_withdrawal_undone_makes_the_dates_still_to_come_due_and_reminded_again(
    world,  # noqa: F811
    api_client,
):
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        warning = record(api, world, kind="cpw", comply_by="2026-12-20")
        row = deadlines(warning["id"])["intervention.comply_by"]
        remind_at = row.remind_at
        # The reminder went out before the slip.
        claimed = claim_due_reminders(remind_at)
        assert [r.id for r in claimed] == [row.id]
        db.session.commit()
        assert set_status(api, warning, "withdrawn").status_code == 200
        assert deadlines(warning["id"])["intervention.comply_by"].status == DeadlineStatus.cancelled
        live = set_status(api, warning, "issued")
        assert live.status_code == 200, live.get_json()
        assert live.get_json()["status"] == "issued"
        row = deadlines(warning["id"])["intervention.comply_by"]
        assert row.status == DeadlineStatus.open
        assert row.due_on.isoformat() == "2026-12-20"
        assert row.owner_id == world.officer.id
        assert (row.reminder_sent_at, row.escalation_sent_at) == (None, None)
        # The sweep reminds of it again.
        assert [r.id for r in claim_due_reminders(remind_at)] == [row.id]
        db.session.rollback()


def test_a_recorded_review_stays_done_and_a_passed_date_stays_closed_when_made_live_again(
    world,  # noqa: F811
    api_client,
):
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        contract = record(api, world, kind="abc", issued_on="2026-08-01", ends_on="2027-02-01")
        review = api.post(
            f"/api/v1/interventions/{contract['id']}/reviews",
            json={"reviewed_on": "2026-11-02", "outcome": "continues"},
        )
        assert review.status_code == 201, review.get_json()
        assert set_status(api, contract, "complied").status_code == 200
        rows = deadlines(contract["id"])
        assert {kind: row.status for kind, row in rows.items()} == {
            "intervention.review_on": DeadlineStatus.done,
            "intervention.ends_on": DeadlineStatus.done,
        }
        assert set_status(api, contract, "breached").status_code == 200
        rows = deadlines(contract["id"])
        assert rows["intervention.review_on"].status == DeadlineStatus.done
        assert rows["intervention.ends_on"].status == DeadlineStatus.open
    # A date that passed while it was finished is not owed again.
    with time_machine.travel(TODAY, tick=False):
        letter = record(api, world, kind="cpw", comply_by="2026-11-21")
        assert set_status(api, letter, "complied").status_code == 200
        assert set_status(api, letter, "issued").status_code == 200
        assert deadlines(letter["id"])["intervention.comply_by"].status == DeadlineStatus.done


def test_a_finished_order_is_not_extended(world, api_client):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        api = api_client(world.officer)
        pspo = record(api, world, kind="pspo", subject_person_id=None, ends_on="2029-11-19", location="Market Place")
        assert set_status(api, pspo, "withdrawn").status_code == 200
        refused = api.post(f"/api/v1/interventions/{pspo['id']}/extend", json={"ends_on": "2030-11-19"})
        assert refused.status_code == 422, refused.get_json()
        assert {row.status for row in deadlines(pspo["id"]).values()} == {DeadlineStatus.cancelled}


def test_the_page_offers_only_the_statuses_it_may_take_and_refuses_others_as_a_form_error(
    world,  # noqa: F811
    api_client,
    page_client,
):
    with time_machine.travel(TODAY, tick=False):
        warning = record(api_client(world.officer), world, kind="cpw", comply_by="2026-12-20")
        client = page_client(world.officer)
        assert client.post(f"/interventions/{warning['id']}/status", data={"status": "withdrawn"}).status_code == 302
        html = client.get(f"/interventions/{warning['id']}").get_data(as_text=True)
        offered = set(re.findall(r'name="status"[^>]*value="(\w+)"', html))
        assert offered == {"withdrawn", "issued", "breached", "varied"}  # no appeal against a warning
        before = audit_count()
        refused = client.post(f"/interventions/{warning['id']}/status", data={"status": "complied"})
        assert refused.status_code == 422
        page = refused.get_data(as_text=True)
        assert "govuk-error-summary" in page
        assert "cannot be marked complied" in page
        db.session.expire_all()
        assert db.session.get(Intervention, warning["id"]).status.value == "withdrawn"
        assert audit_count() == before
