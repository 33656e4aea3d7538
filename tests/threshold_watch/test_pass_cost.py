"""What keeps the threshold watch's nightly pass cheap, without changing what the board shows: an entry
whose finding has not changed is not rewritten (its working names the day of the evaluation when shown),
and the pass's SQL prefilter only leaves out people who cannot be within one of the threshold."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
import time_machine

from casework.cases.models import CaseParty, PartyRole
from casework.community_triggers import threshold
from casework.extensions import db
from casework.threshold_watch import services
from casework.threshold_watch.models import WatchEntry, WatchPass
from tests.threshold_watch.test_watch import _frozen_day, entry_of, report  # noqa: F401 (the frozen day, autouse)


def three_reports(world, person, days=(date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15))):
    for day in days:
        report(world, world.case, person, day, world.council)


def test_an_unchanged_entry_is_not_rewritten_but_the_board_names_the_day_of_the_pass(world, page_client):
    three_reports(world, world.victim)
    written = entry_of(world.victim)
    assert written.evaluated_on == date(2026, 11, 23)
    assert services.EVALUATION_DAY in written.working["complaints"][0]["reason"]
    stamp = (written.updated_at, written.working_digest)
    with time_machine.travel("2026-11-24T03:00:00+00:00", tick=False):
        found = services.nightly_pass()
        db.session.commit()
        assert (found.entries, found.written) == (1, 0)
        kept = entry_of(world.victim)
        assert (kept.updated_at, kept.working_digest, kept.evaluated_on) == (*stamp, date(2026, 11, 23))
        assert db.session.get(WatchPass, world.case.area_id).evaluated_on == date(2026, 11, 24)
        html = page_client(world.coordinator).get("/threshold-watch/?area=BOL").get_data(as_text=True)
        # What the engine says today, not the day the entry was written.
        assert "before the application was received on 24 November 2026" in html
        assert "23 November 2026" not in html
        assert services.EVALUATION_DAY not in html


def test_the_shown_working_is_the_engines_working_for_that_day(world):
    three_reports(world, world.victim)
    entry = entry_of(world.victim)
    rules = threshold.ThresholdRules()
    complaints = [
        threshold.ComplaintInput(
            occurred_on=date.fromisoformat(item["occurred_on"]),
            reported_on=date.fromisoformat(item["reported_on"]),
            complainant_name=None,
            agency_code=item["agency_code"],
            reference=item["reference"],
            source="case",
            case_reference=item["case_reference"],
        )
        for item in entry.working["complaints"]
    ]
    day = date(2026, 12, 1)
    expected = [c["reason"] for c in threshold.evaluate(rules, day, None, complaints).to_dict()["complaints"]]
    shown = [c["reason"] for c in services.shown_working(entry.working, day)["complaints"]]
    assert shown == expected


def test_a_changed_finding_is_rewritten_and_names_its_day(world):
    three_reports(world, world.victim, (date(2026, 10, 1), date(2026, 10, 8)))
    before = entry_of(world.victim)
    assert before.short_by == 1
    digest_before = before.working_digest
    with time_machine.travel("2026-11-25T12:00:00+00:00", tick=False):
        report(world, world.case, world.victim, date(2026, 11, 20), world.council)
        after = entry_of(world.victim)
        assert (after.short_by, after.evaluated_on) == (0, date(2026, 11, 25))
        assert after.working_digest != digest_before
        found = services.nightly_pass()
        assert (found.entries, found.written) == (1, 0)


def test_an_entry_written_before_the_digest_is_rewritten_once(world):
    three_reports(world, world.victim)
    db.session.execute(sa.update(WatchEntry).values(working_digest=None))
    db.session.commit()
    assert services.nightly_pass().written == 1
    db.session.commit()
    assert services.nightly_pass().written == 0


def test_the_prefilter_keeps_a_victim_one_short_and_leaves_out_one_two_short(world):
    """At the boundary: two qualifying days (one short of three) are evaluated and listed; two complaints
    about one day, or a second that caused no harassment, alarm or distress, are one qualifying
    complaint (two short): left out by the prefilter, as the engine would leave them off the board."""
    one_short = world.person("Olive Oneshort", date(1971, 1, 1), on_case=False)
    same_day = world.person("Sam Sameday", date(1972, 2, 2), on_case=False)
    no_distress = world.person("Nora Nodistress", date(1973, 3, 3), on_case=False)
    for person in (one_short, same_day, no_distress):
        db.session.add(CaseParty(case_id=world.case.id, person_id=person.id, role=PartyRole.victim))
    db.session.commit()
    three_reports(world, one_short, (date(2026, 10, 1), date(2026, 10, 8)))
    three_reports(world, same_day, (date(2026, 10, 1), date(2026, 10, 1)))
    report(world, world.case, no_distress, date(2026, 10, 1), world.council)
    from casework.cases import services as case_services

    case_services.record_incident(
        world.officer,
        world.case,
        occurred_on=date(2026, 10, 9),
        description="Litter left in the street",
        causes_had=False,
        complaints=[{"reported_on": date(2026, 10, 9), "agency_code": "BDC", "complainant_person_id": no_distress.id}],
    )
    db.session.commit()
    db.session.execute(sa.delete(WatchEntry))
    db.session.commit()

    since, today = date(2026, 4, 23), date(2026, 11, 23)
    candidates = set(db.session.scalars(services._could_be_within_one(since, today, 2)))
    assert candidates == {one_short.id}
    found = services.nightly_pass()
    db.session.commit()
    assert found.evaluated == 1
    assert entry_of(one_short).short_by == 1
    assert entry_of(same_day) is None
    assert entry_of(no_distress) is None
    # Without the prefilter, the engine leaves the same people off the board.
    assert services.evaluate_people([same_day.id, no_distress.id]).entries == 0
