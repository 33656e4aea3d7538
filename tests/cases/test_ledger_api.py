"""The incident and complaint ledger, and the second-report rule (statutory guidance, July 2025)."""

from __future__ import annotations

import time_machine

from casework.cases.models import CaseReviewExplanation, Complaint, Incident
from casework.extensions import db
from casework.reminders.models import Deadline


def _incident(client, case_id, occurred_on, complaints, **extra):
    return client.post(
        f"/api/v1/cases/{case_id}/incidents",
        json={"occurred_on": occurred_on, "description": "Shouting and banging", "complaints": complaints, **extra},
    )


def test_one_incident_reported_to_several_agencies(api_client, world, person, open_case):
    victim = person()
    case = open_case(parties=[{"person_id": victim, "role": "victim"}])
    response = _incident(
        api_client(world.officer),
        case["id"],
        "2026-01-10",
        [
            {"complainant_person_id": victim, "reported_on": "2026-01-10", "agency_code": "BDC", "reference": "BDC-1"},
            {
                "complainant_person_id": victim,
                "reported_on": "2026-01-11",
                "agency_code": "DERPOL",
                "reference": "LOG-123",
            },
        ],
    )
    assert response.status_code == 201
    body = response.json
    assert body["causes_had"] is True
    assert body["hate_motivated"] is False
    assert [c["agency_code"] for c in body["complaints"]] == ["BDC", "DERPOL"]
    # A further report of the same incident, to a third agency.
    more = api_client(world.officer).post(
        f"/api/v1/cases/{case['id']}/incidents/{body['id']}/complaints",
        json={"complainant_person_id": victim, "reported_on": "2026-01-12", "agency_code": "NEDDC"},
    )
    assert more.status_code == 201
    assert db.session.query(Incident).count() == 1
    assert db.session.query(Complaint).count() == 3


def test_complaint_dates_are_checked_and_nothing_is_written(api_client, world, person, open_case):
    victim = person()
    case = open_case()
    client = api_client(world.officer)
    with time_machine.travel("2026-03-02 12:00Z"):
        before_behaviour = _incident(
            client,
            case["id"],
            "2026-02-10",
            [{"complainant_person_id": victim, "reported_on": "2026-02-09", "agency_code": "BDC"}],
        )
        future = _incident(
            client,
            case["id"],
            "2026-03-03",
            [{"complainant_person_id": victim, "reported_on": "2026-03-03", "agency_code": "BDC"}],
        )
        unknown_agency = _incident(
            client, case["id"], "2026-02-10", [{"reported_on": "2026-02-10", "agency_code": "NOPE"}]
        )
        same_day = _incident(client, case["id"], "2026-03-02", [{"reported_on": "2026-03-02", "agency_code": "BDC"}])
    assert before_behaviour.status_code == 422
    assert "complaints.0.reported_on" in before_behaviour.json["errors"]
    assert future.status_code == 422
    assert "occurred_on" in future.json["errors"]
    assert "complaints.0.reported_on" in future.json["errors"]
    assert unknown_agency.status_code == 422
    assert "complaints.0.agency_code" in unknown_agency.json["errors"]
    assert same_day.status_code == 201
    assert db.session.query(Incident).count() == 1


def test_complainant_becomes_a_party(api_client, world, person, open_case):
    neighbour = person("Nina Neighbour")
    case = open_case()
    _incident(
        api_client(world.officer),
        case["id"],
        "2026-01-10",
        [{"complainant_person_id": neighbour, "reported_on": "2026-01-10", "agency_code": "BDC"}],
    )
    body = api_client(world.officer).get(f"/api/v1/cases/{case['id']}").json
    assert {(p["person"]["id"], p["role"]) for p in body["parties"]} == {(neighbour, "complainant")}


def test_a_closed_case_takes_only_its_history(api_client, world, open_case):
    """Behaviour after the day a case closed needs the case reopened; behaviour from before it closed
    is past work entered late (or imported) and goes on its ledger."""
    case = open_case(opened_on="2025-12-01")
    client = api_client(world.officer)
    closed = client.post(f"/api/v1/cases/{case['id']}/close", json={"reason": "Resolved", "closed_on": "2026-01-05"})
    assert closed.status_code == 200, closed.json
    response = _incident(client, case["id"], "2026-01-10", [])
    assert response.status_code == 422
    assert "_rule" in response.json["errors"]
    response = _incident(client, case["id"], "2026-01-02", [])
    assert response.status_code == 201, response.json


# --- the second-report rule ------------------------------------------------------------------------------


def _report(client, case_id, person_id, day, agency="BDC"):
    response = _incident(
        client, case_id, day, [{"complainant_person_id": person_id, "reported_on": day, "agency_code": agency}]
    )
    assert response.status_code == 201, response.json
    return response.json


def test_second_report_on_the_last_day_of_six_months_raises_the_task(api_client, world, person, open_case):
    victim = person("Vera Victim")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}])
    client = api_client(world.officer)
    with time_machine.travel("2026-08-01 12:00Z"):
        _report(client, case["id"], victim, "2026-01-15")
        # Six months beginning with 15 January end on 14 July.
        _report(client, case["id"], victim, "2026-07-14")
    body = client.get(f"/api/v1/cases/{case['id']}").json
    [task] = body["case_review_explanations"]
    assert task["task"] == "Explain the Case Review (Community Trigger) to Vera Victim"
    assert (task["first_report_on"], task["second_report_on"]) == ("2026-01-15", "2026-07-14")
    # Five working days after Saturday 1 August 2026.
    assert task["due_on"] == "2026-08-07"
    deadline = db.session.query(Deadline).filter_by(kind="case.explain_case_review").one()
    assert deadline.owner_id == world.officer.id
    assert deadline.due_on.isoformat() == "2026-08-07"


def test_second_report_the_day_after_six_months_does_not(api_client, world, person, open_case):
    victim = person()
    case = open_case()
    client = api_client(world.officer)
    with time_machine.travel("2026-08-01 12:00Z"):
        _report(client, case["id"], victim, "2026-01-15")
        _report(client, case["id"], victim, "2026-07-15")
    assert db.session.query(CaseReviewExplanation).count() == 0


def test_two_complaints_about_one_incident_are_one_report(api_client, world, person, open_case):
    victim = person()
    case = open_case()
    client = api_client(world.officer)
    incident = _report(client, case["id"], victim, "2026-01-15")
    client.post(
        f"/api/v1/cases/{case['id']}/incidents/{incident['id']}/complaints",
        json={"complainant_person_id": victim, "reported_on": "2026-01-16", "agency_code": "DERPOL"},
    )
    assert db.session.query(CaseReviewExplanation).count() == 0


def test_raised_once_per_window_and_recorded_when_explained(api_client, world, person, open_case):
    victim = person()
    case = open_case()
    client = api_client(world.officer)
    with time_machine.travel("2026-09-01 12:00Z"):
        _report(client, case["id"], victim, "2026-02-01")
        _report(client, case["id"], victim, "2026-03-01")
        _report(client, case["id"], victim, "2026-04-01")
        assert db.session.query(CaseReviewExplanation).count() == 1
        task = db.session.query(CaseReviewExplanation).one()
        bad = client.post(
            f"/api/v1/cases/{case['id']}/case-review-explanations/{task.id}",
            json={"explained_on": "2026-02-15", "method": "phone"},
        )
        assert bad.status_code == 422
        assert "explained_on" in bad.json["errors"]
        done = client.post(
            f"/api/v1/cases/{case['id']}/case-review-explanations/{task.id}",
            json={"explained_on": "2026-03-02", "method": "phone", "notes": "Explained and sent the leaflet"},
        )
    assert done.status_code == 200
    assert done.json["explained_by_email"] == "officer@bdc.example"
    assert done.json["method"] == "phone"
    deadline = db.session.query(Deadline).filter_by(kind="case.explain_case_review").one()
    assert deadline.status.value == "done"


def test_a_new_window_after_the_first_ends_raises_again(api_client, world, person, open_case):
    victim = person()
    case = open_case()
    with time_machine.travel("2027-01-01 12:00Z"):
        client = api_client(world.officer)
        for day in ("2026-01-10", "2026-02-10", "2026-08-01", "2026-09-01"):
            _report(client, case["id"], victim, day)
    windows = sorted(t.first_report_on.isoformat() for t in db.session.query(CaseReviewExplanation))
    assert windows == ["2026-01-10", "2026-08-01"]


def test_open_task_follows_a_new_case_owner(api_client, world, person, open_case, make):
    victim = person()
    case = open_case()
    client = api_client(world.officer)
    _report(client, case["id"], victim, "2026-01-10")
    _report(client, case["id"], victim, "2026-02-10")
    version = client.get(f"/api/v1/cases/{case['id']}").json["version"]
    response = client.patch(
        f"/api/v1/cases/{case['id']}", json={"version": version, "owner_email": "manager@bdc.example"}
    )
    assert response.status_code == 200
    db.session.expire_all()
    deadline = db.session.query(Deadline).filter_by(kind="case.explain_case_review").one()
    assert deadline.owner_id == world.manager.id


def test_the_new_case_owner_is_reminded_of_an_open_task_the_old_one_was_reminded_of(
    api_client, world, person, open_case
):
    from datetime import UTC, datetime

    victim = person()
    case = open_case()
    client = api_client(world.officer)
    _report(client, case["id"], victim, "2026-01-10")
    _report(client, case["id"], victim, "2026-02-10")
    deadline = db.session.query(Deadline).filter_by(kind="case.explain_case_review").one()
    deadline.reminder_sent_at = deadline.escalation_sent_at = datetime(2026, 2, 11, tzinfo=UTC)
    db.session.commit()
    version = client.get(f"/api/v1/cases/{case['id']}").json["version"]
    response = client.patch(
        f"/api/v1/cases/{case['id']}", json={"version": version, "owner_email": "manager@bdc.example"}
    )
    assert response.status_code == 200
    db.session.expire_all()
    moved = db.session.get(Deadline, deadline.id)
    # The officer's reminder was not the manager's: the sweep reminds (and escalates) them afresh.
    assert (moved.owner_id, moved.reminder_sent_at, moved.escalation_sent_at) == (world.manager.id, None, None)


def test_explanation_due_date_is_an_area_setting(api_client, world, person, open_case):
    from datetime import date

    from casework.accounts.services import update_area_settings

    update_area_settings(None, world.bol, {"cases.explain_case_review_working_days": 10}, date(2026, 1, 1))
    db.session.commit()
    victim = person()
    case = open_case()
    client = api_client(world.officer)
    with time_machine.travel("2026-08-03 12:00Z"):
        _report(client, case["id"], victim, "2026-07-01")
        _report(client, case["id"], victim, "2026-07-02")
    # Ten working days after Monday 3 August 2026 (no bank holiday until the 31st).
    assert db.session.query(CaseReviewExplanation).one().due_on.isoformat() == "2026-08-17"


# --- per victim, across all their cases (July 2025 guidance) ---------


def test_a_second_report_on_another_case_raises_the_task_on_that_case(api_client, world, person, open_case):
    victim = person("Vera Victim")
    first_case = open_case()
    second_case = open_case(summary="Graffiti on the garages")
    client = api_client(world.officer)
    with time_machine.travel("2026-08-01 12:00Z"):
        _report(client, first_case["id"], victim, "2026-01-15")
        assert db.session.query(CaseReviewExplanation).count() == 0
        # The last day of the six months beginning with 15 January, on a different case.
        _report(client, second_case["id"], victim, "2026-07-14")
    task = db.session.query(CaseReviewExplanation).one()
    assert task.case_id == second_case["id"]
    assert (task.first_report_on.isoformat(), task.second_report_on.isoformat()) == ("2026-01-15", "2026-07-14")
    assert client.get(f"/api/v1/cases/{first_case['id']}").json["case_review_explanations"] == []
    [shown] = client.get(f"/api/v1/cases/{second_case['id']}").json["case_review_explanations"]
    assert shown["second_report_on"] == "2026-07-14"
    deadline = db.session.query(Deadline).filter_by(kind="case.explain_case_review").one()
    assert deadline.link == f"/cases/{second_case['id']}"


def test_across_cases_the_day_after_six_months_is_a_new_window(api_client, world, person, open_case):
    victim = person()
    first_case, second_case = open_case(), open_case(summary="Another problem")
    client = api_client(world.officer)
    with time_machine.travel("2026-08-01 12:00Z"):
        _report(client, first_case["id"], victim, "2026-01-15")
        _report(client, second_case["id"], victim, "2026-07-15")
    assert db.session.query(CaseReviewExplanation).count() == 0


def test_a_window_across_cases_raises_once(api_client, world, person, open_case):
    victim = person()
    cases = [open_case(summary=f"Problem {n}") for n in range(3)]
    client = api_client(world.officer)
    with time_machine.travel("2026-09-01 12:00Z"):
        _report(client, cases[0]["id"], victim, "2026-02-01")
        _report(client, cases[1]["id"], victim, "2026-03-01")
        _report(client, cases[2]["id"], victim, "2026-04-01")
        _report(client, cases[0]["id"], victim, "2026-05-01")
    task = db.session.query(CaseReviewExplanation).one()
    assert task.case_id == cases[1]["id"]


def test_a_late_entry_makes_the_earlier_report_on_another_case_the_second(api_client, world, person, open_case):
    """An older report entered late becomes the first: the task goes where the second report is."""
    victim = person()
    first_case, second_case = open_case(), open_case(summary="Another problem")
    client = api_client(world.officer)
    with time_machine.travel("2026-08-01 12:00Z"):
        _report(client, second_case["id"], victim, "2026-03-10")
        _report(client, first_case["id"], victim, "2026-03-01")
    task = db.session.query(CaseReviewExplanation).one()
    assert (task.first_report_on.isoformat(), task.second_report_on.isoformat()) == ("2026-03-01", "2026-03-10")
    assert task.case_id == second_case["id"]


def test_other_peoples_reports_do_not_count(api_client, world, person, open_case):
    victim, neighbour = person("Vera Victim"), person("Nina Neighbour")
    first_case, second_case = open_case(), open_case(summary="Another problem")
    client = api_client(world.officer)
    _report(client, first_case["id"], victim, "2026-01-15")
    _report(client, second_case["id"], neighbour, "2026-01-20")
    assert db.session.query(CaseReviewExplanation).count() == 0
