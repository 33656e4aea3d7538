"""The report's figures on the demo data match a count made by hand: here, a plain walk over every
record in Python (no SQL aggregation), for the 12 months to today, over the demo manager's areas."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import timedelta

import sqlalchemy as sa

from casework.accounts.services import find_user_by_email
from casework.cases.models import Action, ActionStatus, Case, PartyRole
from casework.community_triggers.models import TriggerApplication
from casework.core.dates import working_days_between
from casework.core.registry import registry
from casework.core.time import today
from casework.demo import DEMO_DOMAIN, demo_password
from casework.extensions import db
from casework.interventions.models import Intervention
from casework.reports.queries import compute_report, months_before
from casework.risk.models import RiskAssessment, RiskBand


def _value(enum_or_text):
    return getattr(enum_or_text, "value", enum_or_text)


def hand_count(area_ids, start, end):
    within = lambda day: day is not None and start <= day <= end  # noqa: E731
    cases = [c for c in db.session.scalars(sa.select(Case)) if c.area_id in area_ids]
    counted = Counter()
    by_category, by_agency, kinds, breaches = Counter(), Counter(), Counter(), Counter()
    victim_incidents = defaultdict(set)
    window_start = months_before(end, 12) + timedelta(days=1)
    for case in cases:
        counted["cases_opened"] += within(case.opened_on)
        counted["cases_closed"] += within(case.closed_on)
        counted["open_at_end"] += case.opened_on <= end and (case.closed_on is None or case.closed_on > end)
        victims = [p.person_id for p in case.parties if p.role == PartyRole.victim]
        for incident in case.incidents:
            if within(incident.occurred_on):
                counted["incidents"] += 1
                by_category[case.category] += 1
            if window_start <= incident.occurred_on <= end:
                for person_id in victims:
                    victim_incidents[person_id].add(incident.id)
            for complaint in incident.complaints:
                if within(complaint.reported_on):
                    counted["complaints"] += 1
                    by_agency[complaint.agency.code] += 1
    counted["repeat_victims"] = sum(1 for found in victim_incidents.values() if len(found) >= 3)
    case_ids = {c.id for c in cases}
    for intervention in db.session.scalars(sa.select(Intervention)):
        if intervention.case_id in case_ids:
            if within(intervention.issued_on):
                kinds[_value(intervention.kind)] += 1
            for breach in intervention.breaches:
                if within(breach.occurred_on):
                    breaches[_value(intervention.kind)] += 1
    for action in db.session.scalars(sa.select(Action)):
        if action.case_id in case_ids and within(action.due_on) and action.status != ActionStatus.cancelled:
            counted["actions_due"] += 1
            counted["actions_done_on_time"] += (
                action.status == ActionStatus.done and action.completed_on <= action.due_on
            )
    high = set()
    for assessment in db.session.scalars(sa.select(RiskAssessment)):
        if assessment.case_id in case_ids and assessment.band == RiskBand.high and within(assessment.assessed_on):
            high.add(assessment.victim_person_id or -assessment.case_id)
    counted["high_risk_victims"] = len(high)
    applications = [
        a
        for a in db.session.scalars(sa.select(TriggerApplication))
        if a.area_id in area_ids and within(a.received_on) and (a.screened_out_on is None or a.screened_out_on > end)
    ]
    return counted, dict(by_category), dict(by_agency), dict(kinds), dict(breaches), len(applications)


def test_the_report_matches_a_hand_count_of_the_demo_data(app, db_session):
    for _domain, load in registry().demo_loaders:
        load(demo_password())
    manager = find_user_by_email(f"manager@{DEMO_DOMAIN}")
    area_ids = sorted(manager.area_ids)
    end = today()
    start = months_before(end, 12) + timedelta(days=1)
    report = compute_report(area_ids, start, end)
    total = report["total"]
    counted, by_category, by_agency, kinds, breaches, applications = hand_count(set(area_ids), start, end)
    for key in (
        "cases_opened",
        "cases_closed",
        "open_at_end",
        "incidents",
        "complaints",
        "actions_due",
        "actions_done_on_time",
        "high_risk_victims",
    ):
        assert total[key] == counted[key], key
    assert total["incidents_by_category"] == by_category
    assert total["complaints_by_agency"] == by_agency
    assert total["interventions"] == kinds
    assert total["breaches"] == breaches
    assert total["case_review"]["applications"] == applications
    # Per area, repeat victims by hand (the group's count may join a person's two areas).
    for area_id in area_ids:
        assert report["areas"][area_id]["repeat_victims"] == hand_count({area_id}, start, end)[0]["repeat_victims"]
    # Time to first contact, by hand: working days from each case's opening to its first contact.
    waits = sorted(
        working_days_between(case.opened_on, case.victim_first_contacted_on)
        for case in db.session.scalars(sa.select(Case))
        if case.area_id in area_ids
        and case.victim_first_contacted_on
        and start <= case.victim_first_contacted_on <= end
    )
    assert waits  # the demo records some
    assert total["first_contacts"] == len(waits)
    assert total["first_contact_within_2"] == sum(wait <= 2 for wait in waits)
    assert total["median_working_days_to_first_contact"] == statistics.median(waits)
    # The demo's story: Margaret Holmes has three complaints in the last three months.
    assert total["repeat_victims"] >= 1
    assert total["incidents"] > 0
    assert total["cases_opened"] > 0
