"""Migration 0840: an old summary naming someone whose name starts with "person" ("Person Unknown",
"person unknown"), whose person was anonymised or merged before migration 0800, is erased as migration
0730 would have erased it had its predicate not left such a name out; one giving a number, or naming
someone who lives on, is left; each erasure is recorded per record and the chain still verifies."""

from __future__ import annotations

from flask import Flask
from flask_migrate import upgrade

from casework.extensions import db
from tests.test_migration_audit_named_people import _entry
from tests.test_migration_data_review import rows, run, two_bolsover_cases
from tests.test_migrations import empty_database_urls as empty_database_urls
from tests.test_migrations import fresh_app as fresh_app

GONE = "Added Person Unknown to case BOL-2026-0010 as perpetrator"
GONE_LOWER = "Second report by person unknown on case BOL-2026-0010: explain the Case Review"
LIVES_ON = "Added Person Kept to case BOL-2026-0011 as witness"
BY_NUMBER = "Added person 2 to case BOL-2026-0011 as victim"


def test_a_name_starting_with_person_left_by_0730_is_erased(fresh_app: Flask) -> None:
    from casework.audit.services import seal_pending, verify_chain

    upgrade(revision="0690")
    two_bolsover_cases()
    run("INSERT INTO people (id, kind, name, normalised_name) VALUES (1, 'individual', 'Person Kept', 'person kept')")
    # 2: merged into 1 and anonymised; 4: anonymised for its own period.
    run(
        "INSERT INTO people (id, kind, name, normalised_name, merged_into_id, anonymised_at) VALUES "
        "(2, 'individual', 'Person 2 (anonymised)', 'person 2 (anonymised)', 1, '2026-11-01 00:00:00+00'), "
        "(4, 'individual', 'Person 4 (anonymised)', 'person 4 (anonymised)', NULL, '2026-11-01 00:00:00+00')"
    )
    _entry("cases", 10, GONE, {"party": [None, [4, "perpetrator"]]})
    _entry("cases", 11, LIVES_ON, {"party": [None, [1, "witness"]]})
    _entry("cases", 11, BY_NUMBER, {"party": [None, [2, "victim"]]})
    _entry(
        "case_review_explanations",
        7,
        GONE_LOWER,
        {"case_id": 10, "person_id": 2, "first_report_on": "2026-01-02"},
    )
    db.session.commit()
    seal_pending()
    db.session.commit()

    upgrade(revision="0810")
    summaries = [summary for (summary,) in rows("SELECT summary FROM audit_values ORDER BY entry_id")]
    assert GONE_LOWER in summaries  # 0730 left it out on either database
    upgrade(revision="0840")

    summaries = [summary for (summary,) in rows("SELECT summary FROM audit_values ORDER BY entry_id")]
    text = "\n".join(summaries)
    assert "Person Unknown" not in text
    assert "person unknown" not in text
    assert LIVES_ON in summaries
    assert BY_NUMBER in summaries
    assert rows(
        "SELECT e.object_type, e.object_id, v.summary FROM audit_entries e JOIN audit_values v "
        "ON v.entry_id = e.id WHERE e.action = 'erase' ORDER BY e.object_type, e.object_id"
    ) == [
        ("case_review_explanations", "7", "Erased the personal details of 1 audit entry"),
        ("cases", "10", "Erased the personal details of 1 audit entry"),
    ]
    seal_pending()
    db.session.commit()
    report = verify_chain()
    db.session.remove()  # the scratch database is dropped after the test: no connection may stay open
    assert report.ok, report.problems
