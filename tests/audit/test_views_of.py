"""Who viewed a person's records (the part of a subject access export that says who looked): their view
entries only, oldest first, with the viewer's name and agency; read from the entries alone."""

from __future__ import annotations

import re

from casework.audit.models import AuditAction
from casework.audit.services import record, views_of
from casework.extensions import db


def test_views_of_lists_each_view_of_the_records_with_who_looked(make, db_session, count_queries):
    area = make.area("BOL", "Bolsover")
    council = make.agency("BDC", areas=[area])
    officer = make.user("officer", agency=council, name="Olive Officer")
    record(officer, AuditAction.view, ("people", 7), "Shown by GET /people/7")
    record(None, AuditAction.view, ("cases", 3), "Shown by GET /api/v1/cases/3")
    record(officer, AuditAction.update, ("people", 7), "Changed person 7")
    record(officer, AuditAction.view, ("people", 8), "Shown by GET /people/8")
    record(officer, AuditAction.view, ("cases", 7), "Shown by GET /cases/7")
    db.session.flush()

    with count_queries() as counter:
        views = views_of([("people", [7]), ("cases", [3]), ("interventions", [])])

    assert [(v["what"], v["by"], v["agency"]) for v in views] == [
        ("the person's record", "Olive Officer", council.name),
        ("a case they are on", None, None),
    ]
    assert all(v["viewed_at"] for v in views)
    # Nothing shown is in audit_values: joining it let a planner whose statistics said the log was
    # empty probe every values row for each entry found (minutes per export once the log had grown).
    [statement] = counter.statements
    assert re.search(r"\baudit_entries\b", statement)
    assert not re.search(r"\baudit_values\b", statement)
    assert views_of([("people", [])]) == []
