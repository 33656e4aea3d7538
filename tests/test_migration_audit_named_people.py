"""Migration 0730: an audit summary written before people were named by number ("Added <name> to case
...", "Second report by <name> ...") stops naming a person who is anonymised, or merged into another
record; one naming a person who lives on unmerged is left, and the chain still verifies."""

from __future__ import annotations

from flask import Flask
from flask_migrate import upgrade

from casework.extensions import db
from tests.test_migration_data_review import rows, run, two_bolsover_cases
from tests.test_migrations import empty_database_urls as empty_database_urls
from tests.test_migrations import fresh_app as fresh_app


def _entry(object_type: str, object_id: int, summary: str, changes: dict) -> None:
    from casework.audit.models import AuditAction, AuditEntry

    db.session.add(
        AuditEntry(
            action=AuditAction.create if object_type != "cases" else AuditAction.update,
            object_type=object_type,
            object_id=str(object_id),
            summary=summary,
            changes=changes,
        )
    )


def test_summaries_naming_an_anonymised_or_merged_person_are_erased(fresh_app: Flask) -> None:
    from casework.audit.services import seal_pending, verify_chain

    upgrade(revision="0690")
    two_bolsover_cases()
    run(
        "INSERT INTO people (id, kind, name, normalised_name) VALUES "
        "(1, 'individual', 'Kept Smith', 'kept smith'), (3, 'individual', 'Ann Lee', 'ann lee')"
    )
    # 2: merged into 1, its undo window passed and anonymised; 4: anonymised for its own period.
    run(
        "INSERT INTO people (id, kind, name, normalised_name, merged_into_id, anonymised_at) VALUES "
        "(2, 'individual', 'Person 2 (anonymised)', 'person 2 (anonymised)', 1, '2026-11-01 00:00:00+00'), "
        "(4, 'individual', 'Person 4 (anonymised)', 'person 4 (anonymised)', NULL, '2026-11-01 00:00:00+00')"
    )
    _entry("cases", 10, "Added Bea Merged to case BOL-2026-0010 as victim", {"party": [None, [2, "victim"]]})
    _entry("cases", 10, "Added Ann Lee to case BOL-2026-0010 as witness", {"party": [None, [3, "witness"]]})
    _entry("cases", 11, "Added Cy Gone to case BOL-2026-0011 as victim", {"party": [None, [4, "victim"]]})
    _entry("cases", 11, "Added person 2 to case BOL-2026-0011 as victim", {"party": [None, [2, "victim"]]})
    _entry(
        "case_review_explanations",
        7,
        "Second report by Bea Merged on case BOL-2026-0010: explain the Case Review",
        {"case_id": 10, "person_id": 2, "first_report_on": "2026-01-02"},
    )
    _entry(
        "case_review_explanations",
        8,
        "Second report by Ann Lee on case BOL-2026-0010: explain the Case Review",
        {"case_id": 10, "person_id": 3, "first_report_on": "2026-01-02"},
    )
    db.session.commit()
    seal_pending()
    db.session.commit()

    upgrade(revision="0730")

    summaries = [summary for (summary,) in rows("SELECT summary FROM audit_values ORDER BY entry_id")]
    text = "\n".join(summaries)
    assert "Bea Merged" not in text
    assert "Cy Gone" not in text
    assert "Added Ann Lee to case BOL-2026-0010 as witness" in summaries
    assert "Second report by Ann Lee on case BOL-2026-0010: explain the Case Review" in summaries
    assert "Added person 2 to case BOL-2026-0011 as victim" in summaries
    assert summaries.count("Personal details erased") == 3
    # Each erasure is recorded against its record, as the service records one.
    assert rows(
        "SELECT e.object_type, e.object_id, v.summary FROM audit_entries e JOIN audit_values v "
        "ON v.entry_id = e.id WHERE e.action = 'erase' ORDER BY e.object_type, e.object_id"
    ) == [
        ("case_review_explanations", "7", "Erased the personal details of 1 audit entry"),
        ("cases", "10", "Erased the personal details of 1 audit entry"),
        ("cases", "11", "Erased the personal details of 1 audit entry"),
    ]
    seal_pending()
    db.session.commit()
    report = verify_chain()
    db.session.remove()  # the scratch database is dropped after the test: no connection may stay open
    assert report.ok, report.problems
