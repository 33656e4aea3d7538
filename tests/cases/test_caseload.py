"""The managers' caseload page: open cases per owner, high risk, overdue work and deadlines, in a
fixed number of statements; restricted cases counted, never opened; managers only."""

from __future__ import annotations

from datetime import date

from casework.cases import queries
from casework.cases.models import Case
from casework.extensions import db
from tests.cases.test_case_list_sort_filter import _assess


def by_name(rows):
    return {row.name: row for row in rows}


def test_counts_per_owner(api_client, world, open_case, make):
    from casework.risk.models import RiskBand

    first = open_case()
    open_case()
    open_case(owner_email="coordinator@bdc.example")
    unowned = open_case()
    db.session.get(Case, unowned["id"]).owner_id = None
    db.session.commit()
    restricted = open_case(is_restricted=True)
    closed = open_case()
    client = api_client(world.officer)
    assert client.post(f"/api/v1/cases/{closed['id']}/close", json={"reason": "Done"}).status_code == 200
    _assess(first["id"], RiskBand.high, date(2026, 1, 2))
    late = client.post(f"/api/v1/cases/{first['id']}/actions", json={"description": "Visit", "due_on": "2026-01-10"})
    assert late.status_code == 201, late.json
    rows = by_name(queries.caseload(world.manager))
    officer = rows["Olive Officer"]
    # Three open cases (one restricted, which the manager is not named on), one closed left out.
    assert (officer.open_cases, officer.restricted) == (2, 1)
    assert officer.high_risk == 1
    assert officer.with_overdue_work == 1
    assert officer.in_team
    assert rows[world.coordinator.name].open_cases == 1
    assert not rows[world.coordinator.name].in_team
    assert rows["Not assigned"].open_cases == 1
    # Staff of other agencies are not listed.
    assert world.other_officer.name not in rows or rows[world.other_officer.name].user_id != world.other_officer.id
    assert restricted


def test_the_page_is_for_managers_and_links_to_the_list(page_client, world, open_case, count_queries):
    open_case()
    manager = page_client(world.manager)
    page = manager.get("/cases/caseload")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Olive Officer" in html
    assert f"owner={world.officer.id}" in html
    assert "Caseload by officer" in manager.get("/cases/").get_data(as_text=True)
    for user in (world.officer, world.coordinator, world.partner, world.chair):
        assert page_client(user).get("/cases/caseload").status_code == 403
    assert "Caseload by officer" not in page_client(world.officer).get("/cases/").get_data(as_text=True)


def test_caseload_runs_a_fixed_number_of_statements(page_client, world, open_case, count_queries, make):
    manager = page_client(world.manager)

    def counted() -> int:
        with count_queries() as counter:
            assert manager.get("/cases/caseload").status_code == 200
        return counter.count

    open_case()
    small = counted()
    for index in range(4):
        make.user("officer", agency=world.bdc, email=f"extra{index}@bdc.example", manager=world.manager)
        open_case(owner_email=f"extra{index}@bdc.example")
    assert counted() == small
