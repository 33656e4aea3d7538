"""A record deleted outright (an import undone, a saved case list view deleted) is never anonymised: no
retention run can reach a record that is gone. Its audit entries were the last copy of what it held (the
imported person's name, address and number, the view's search for someone's name), so every retention
run erases the personal values of the entries about any record that no longer exists, in every table
(from the metadata); who, when and what kind stay, and the values about records still there wait for
their own retention date."""

from __future__ import annotations

import sqlalchemy as sa

from casework.extensions import db
from tests.lifecycle.planting import new_marker, scan_database

#: An id no row of any table has in these tests.
GONE = 987_654_321


def _tables_with_ids() -> list[sa.Table]:
    return [
        table
        for table in db.metadata.sorted_tables
        if [column.name for column in table.primary_key.columns] == ["id"]
        and table.name not in ("audit_entries", "audit_values")
    ]


def test_every_tables_deleted_records_lose_their_audit_values_at_the_next_run(world):
    from casework.audit.models import AuditAction, AuditEntry
    from casework.audit.services import record
    from casework.data_protection.tasks import apply_retention

    gone, kept = new_marker("gone"), new_marker("kept")
    tables = _tables_with_ids()
    assert {"people", "cases", "incidents", "saved_case_views", "import_jobs"} <= {t.name for t in tables}
    for table in tables:
        record(
            world.officer,
            AuditAction.create,
            (table.name, GONE),
            f"Added {gone} to {table.name}",
            {"name": [None, f"Wanda {gone}"], "address": [None, f"1 {gone} Road"]},
        )
    # A record still there keeps its entries' values until its own retention date.
    record(world.officer, AuditAction.update, world.case, f"Changed {kept}", {"summary": ["", kept]})
    db.session.commit()
    found = {f.split(":")[0] for f in scan_database([gone])}
    assert {"audit_values.summary", "audit_values.changes"} <= found

    apply_retention()
    db.session.commit()

    assert scan_database([gone]) == []
    assert {f.split(":")[0] for f in scan_database([kept])} == {"audit_values.summary", "audit_values.changes"}
    # Who, when and what kind stay, for every table.
    db.session.expire_all()
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_id == str(GONE))).all()
    assert {entry.object_type for entry in entries if entry.action is AuditAction.create} == {t.name for t in tables}
    # A second run finds nothing more to erase, and records no further erasure.
    count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    apply_retention()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == count


def test_a_deleted_saved_view_keeps_no_search_for_a_name(world):
    """As a user would: a view of the case list searching for someone's name, saved, then deleted. The
    person is not anonymised (they may never be on a case): the search goes because the view went."""
    from casework.accounts.models import User
    from casework.cases import saved_views
    from casework.data_protection.tasks import apply_retention

    marker = new_marker("view")
    officer = db.session.get(User, world.officer.id)
    view = saved_views.save_view(officer, f"Family {marker}", {"q": f"Wanda {marker}"}, share_with_team=False)
    db.session.commit()
    saved_views.delete_view(officer, view.id)
    db.session.commit()
    assert {f.split(":")[0] for f in scan_database([marker])} == {"audit_values.summary", "audit_values.changes"}

    apply_retention()
    db.session.commit()
    assert scan_database([marker]) == []
