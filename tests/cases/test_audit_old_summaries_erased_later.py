"""An audit summary written before people were named by number ("Added <name> to case ...", "Second
report by <name> ...") names a person in an entry about a case or a task, which can outlive them.
Migration 0730 erased those naming someone already gone; one naming a person who lived on is erased when
the retention run anonymises that person, for their own period or as a record merged into another once
its undo window has passed. The chain still verifies, and every other entry is as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from casework.audit.models import AuditAction, AuditEntry, audit_values
from casework.audit.services import seal_pending, verify_chain
from casework.data_protection.tasks import apply_retention
from casework.extensions import db

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _old_entry(object_type: str, object_id: int, summary: str, changes: dict) -> None:
    db.session.add(
        AuditEntry(
            action=AuditAction.update if object_type == "cases" else AuditAction.create,
            object_type=object_type,
            object_id=str(object_id),
            summary=summary,
            changes=changes,
        )
    )


def _plant(case: dict, gone: int, stays: int) -> None:
    """Old summaries naming ``gone`` (to be anonymised) and ``stays`` (who lives on), and others. The task
    of ``stays`` is on record (the entries about a record deleted outright are erased by every run,
    ``erase_values_of_deleted_records``); that of ``gone`` was deleted with them (number 7)."""
    from datetime import date

    from casework.cases.models import CaseReviewExplanation

    reference = case["reference"]
    task = CaseReviewExplanation(
        id=8,
        case_id=case["id"],
        person_id=stays,
        first_report_on=date(2026, 1, 2),
        second_report_on=date(2026, 2, 2),
        due_on=date(2026, 2, 16),
    )
    db.session.add(task)
    db.session.flush()
    _old_entry(
        "cases", case["id"], f"Added Ann Oldname to case {reference} as witness", {"party": [None, [gone, "witness"]]}
    )
    _old_entry(
        "case_review_explanations",
        7,
        f"Second report by Ann Oldname on case {reference}: explain the Case Review",
        {"case_id": case["id"], "person_id": gone, "first_report_on": "2026-01-02"},
    )
    _old_entry(
        "cases", case["id"], f"Added Bo Staying to case {reference} as victim", {"party": [None, [stays, "victim"]]}
    )
    _old_entry(
        "case_review_explanations",
        8,
        f"Second report by Bo Staying on case {reference}: explain the Case Review",
        {"case_id": case["id"], "person_id": stays, "first_report_on": "2026-01-02"},
    )
    _old_entry(
        "cases", case["id"], f"Added person {gone} to case {reference} as witness", {"party": [None, [gone, "witness"]]}
    )
    db.session.commit()
    seal_pending()
    db.session.commit()


def _summaries() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(audit_values.c.summary).order_by(audit_values.c.entry_id)))


def _assert_erased_and_the_rest_untouched(before: list[str], case: dict, gone: int) -> None:
    after = _summaries()
    assert "Ann Oldname" not in "\n".join(after)
    # Every other summary is as it was: the entries naming Bo, the one by number, the rest of the log.
    # (The person's own entry, "Added person Ann Oldname", goes with the person, as it always did.)
    assert after[: len(before)] == [
        "Personal details erased" if "Ann Oldname" in summary else summary for summary in before
    ]
    assert f"Added person {gone} to case {case['reference']} as witness" in after
    # Each erasure is recorded against the entry's subject, as the service records one.
    erasures = db.session.execute(
        sa.select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.summary).where(
            AuditEntry.action == AuditAction.erase,
            sa.or_(
                sa.and_(AuditEntry.object_type == "cases", AuditEntry.object_id == str(case["id"])),
                AuditEntry.object_type == "case_review_explanations",
            ),
        )
    ).all()
    assert sorted(erasures) == [
        ("case_review_explanations", "7", "Erased the personal details of 1 audit entry"),
        ("cases", str(case["id"]), "Erased the personal details of 1 audit entry"),
    ]
    seal_pending()
    db.session.commit()
    report = verify_chain()
    assert report.ok, report.problems


def test_an_old_summary_naming_a_person_goes_when_the_person_is_anonymised(world, open_case, person):
    with time_machine.travel(START, tick=False):
        stays = person("Bo Staying")
        case = open_case(parties=[{"person_id": stays, "role": "victim"}])
        # On no case any more (taken off it since): anonymised for their own period, the case lives on.
        gone = person("Ann Oldname")
        _plant(case, gone, stays)
    before = _summaries()
    assert "Added Ann Oldname to case " + case["reference"] + " as witness" in before

    with time_machine.travel(START + timedelta(days=365 * 10), tick=False):
        assert apply_retention()["people"] == 1

    _assert_erased_and_the_rest_untouched(before, case, gone)


def test_an_old_summary_naming_a_merged_record_goes_when_its_undo_window_has_passed(world, open_case, person):
    from casework.accounts.models import User
    from casework.cases.models import Person
    from casework.core.db import commit
    from casework.data_protection.merge import merge_people

    with time_machine.travel(START, tick=False):
        stays = person("Bo Staying")
        case = open_case(parties=[{"person_id": stays, "role": "victim"}])
        gone = person("Ann Oldname")
        _plant(case, gone, stays)
        before = _summaries()
        merge_people(
            db.session.get(User, world.officer.id), db.session.get(Person, stays), db.session.get(Person, gone)
        )
        commit()
    # Within the undo window the merged record keeps its details, and the entries naming it stay.
    assert "Added Ann Oldname to case " + case["reference"] + " as witness" in _summaries()

    with time_machine.travel(START + timedelta(days=15), tick=False):
        assert apply_retention()["people"] == 1

    _assert_erased_and_the_rest_untouched(before, case, gone)


@pytest.mark.parametrize("name", ["Person Unknown", "person unknown"])
def test_an_old_summary_naming_someone_called_person_goes_too(world, open_case, person, name):
    """Only a summary giving a person's number ("Added person 12 to case ...") is left out of those
    read: a name that starts with the word "person" ("Person Unknown", typed for a perpetrator not yet
    identified; on SQLite LIKE ignores case, and on either database "person unknown") is a name."""
    with time_machine.travel(START, tick=False):
        stays = person("Bo Staying")
        case = open_case(parties=[{"person_id": stays, "role": "victim"}])
        gone = person(name)
        reference = case["reference"]
        _old_entry(
            "cases",
            case["id"],
            f"Added {name} to case {reference} as perpetrator",
            {"party": [None, [gone, "perpetrator"]]},
        )
        _old_entry(
            "case_review_explanations",
            9,
            f"Second report by {name} on case {reference}: explain the Case Review",
            {"case_id": case["id"], "person_id": gone, "first_report_on": "2026-01-02"},
        )
        db.session.commit()
    assert f"Added {name} to case {reference} as perpetrator" in _summaries()

    with time_machine.travel(START + timedelta(days=365 * 10), tick=False):
        assert apply_retention()["people"] == 1

    assert name not in "\n".join(_summaries())
    seal_pending()
    db.session.commit()
    report = verify_chain()
    assert report.ok, report.problems
