"""The audit log: append-only in the database, and searchable by user, record and date."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from casework.audit.models import AuditAction, AuditEntry
from casework.audit.services import search_entries

OTHER_ROLES = ["officer", "coordinator", "chair", "manager", "partner"]


@pytest.fixture
def people(make):
    area = make.area("BOL", "Bolsover")
    agency = make.agency("BDC", areas=[area])
    return {
        "admin": make.user("admin", agency=agency, email="admin@example.org", name="Ada Admin"),
        "olive": make.user("officer", agency=agency, email="olive@example.org", name="Olive Officer"),
        "carl": make.user("coordinator", agency=agency, email="carl@example.org", name="Carl Coordinator"),
    }


def add_entry(db_session, actor, at: datetime, object_type="agencies", object_id="1", action=AuditAction.view, **kw):
    """An entry about set-up records by default, whose values an administrator reads (entries about
    cases and people they read without values: test_values_withheld.py)."""
    entry = AuditEntry(
        created_at=at,
        actor_id=actor.id if actor else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=kw.pop("summary", f"{action.value} {object_type} {object_id}"),
        **kw,
    )
    db_session.add(entry)
    db_session.commit()
    return entry


def summaries(client, query: str = "") -> list[str]:
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return re.findall(r'<h3 class="govuk-summary-card__title">([^<]+)</h3>', response.get_data(as_text=True))


def test_search_by_user_record_action_and_london_dates(page_client, people, db_session):
    olive, carl = people["olive"], people["carl"]
    add_entry(db_session, olive, datetime(2026, 6, 29, 12, 0, tzinfo=UTC), object_id="1", summary="olive 29 June")
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): a 1 July entry.
    add_entry(db_session, olive, datetime(2026, 6, 30, 23, 30, tzinfo=UTC), object_id="2", summary="olive 1 July")
    add_entry(
        db_session,
        carl,
        datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
        object_id="2",
        summary="carl 1 July",
        action=AuditAction.update,
        changes={"status": ["open", "closed"]},
    )
    add_entry(
        db_session,
        carl,
        datetime(2026, 7, 2, 9, 0, tzinfo=UTC),
        object_type="users",
        object_id="2",
        summary="carl 2 July person",
    )
    client = page_client(people["admin"])

    everything = summaries(client)
    # Newest first; the admin's own sign-in style entries are not in this test's data.
    assert everything[:4] == ["carl 2 July person", "carl 1 July", "olive 1 July", "olive 29 June"]
    assert summaries(client, "user=Olive@Example.org") == ["olive 1 July", "olive 29 June"]
    assert summaries(client, "object_type=agencies&object_id=2") == ["carl 1 July", "olive 1 July"]
    assert summaries(client, "action=update") == ["carl 1 July"]
    july_first = "date_from-day=1&date_from-month=7&date_from-year=2026&date_to-day=1&date_to-month=7&date_to-year=2026"
    assert summaries(client, july_first) == ["carl 1 July", "olive 1 July"]
    june_30 = "date_to-day=30&date_to-month=6&date_to-year=2026"
    assert summaries(client, june_30) == ["olive 29 June"]
    assert summaries(client, f"user=carl@example.org&{july_first}") == ["carl 1 July"]
    assert summaries(client, "user=nobody@example.org") == []


def test_entries_show_who_when_what_and_a_before_after_table(page_client, people, db_session):
    add_entry(
        db_session,
        people["carl"],
        datetime(2026, 7, 1, 13, 15, tzinfo=UTC),
        object_type="users",
        object_id="7",
        action=AuditAction.update,
        changes={"is_active": [True, False], "roles": [["officer"], []]},
    )
    add_entry(
        db_session,
        None,
        datetime(2026, 7, 1, 8, 0, tzinfo=UTC),
        object_type="users",
        object_id="9",
        action=AuditAction.sign_in_failed,
        summary="Failed sign-in attempt",
    )
    html = page_client(people["admin"]).get("/admin/audit?object_type=users&action=update").get_data(as_text=True)
    assert "Carl Coordinator (carl@example.org)" in html
    assert "1 July 2026 at 2:15pm" in html  # Europe/London
    assert "Changed" in html
    assert re.search(r"Is active</th>\s*<td[^>]*>Yes</td>\s*<td[^>]*>No</td>", html)
    assert re.search(r"Roles</th>\s*<td[^>]*>officer</td>\s*<td[^>]*>\(none\)</td>", html)
    assert 'href="/admin/audit?object_type=users&amp;object_id=7"' in html
    html = page_client(people["admin"]).get("/admin/audit?action=sign_in_failed").get_data(as_text=True)
    assert "No signed-in user" in html


def test_invalid_filters_show_the_error_summary(page_client, people):
    client = page_client(people["admin"])
    response = client.get(
        "/admin/audit?user=not-an-email&date_from-day=31&date_from-month=2&date_from-year=2026"
        "&date_to-day=1&date_to-month=&date_to-year=2026&object_id=3"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html
    assert "Enter an email address in the correct format" in html
    assert "Date from must be a real date" in html
    assert "Date to must include a month" in html
    assert "Select the kind of record the ID belongs to" in html
    assert 'href="#date_from-day"' in html

    response = client.get(
        "/admin/audit?date_from-day=2&date_from-month=7&date_from-year=2026"
        "&date_to-day=1&date_to-month=7&date_to-year=2026"
    )
    assert "Date to must be the same as or after date from" in response.get_data(as_text=True)


def test_the_log_pages_and_keeps_its_filters(page_client, people, db_session):
    for n in range(30):
        add_entry(db_session, people["olive"], datetime(2026, 7, 1, 9, n, tzinfo=UTC), object_id=str(n))
    client = page_client(people["admin"])
    html = client.get("/admin/audit?user=olive@example.org").get_data(as_text=True)
    assert "Showing 1 to 25 of 30 entries" in html
    assert "user=olive@example.org&amp;page=2" in html
    assert len(summaries(client, "user=olive@example.org&page=2")) == 5


def test_the_log_runs_a_fixed_number_of_queries(page_client, people, db_session, count_queries):
    client = page_client(people["admin"])
    counts = []
    for size in (3, 30):
        for n in range(size - len(counts) * 3):
            actor = people["olive"] if n % 2 else people["carl"]
            add_entry(
                db_session,
                actor,
                datetime(2026, 7, 1, 9, n % 60, tzinfo=UTC),
                # Set-up records, and records whose visibility is worked out (in one statement).
                object_type=("agencies", "cases", "people", "incidents")[n % 4],
                object_id=str(n),
                action=AuditAction.update,
                changes={"name": ["a", "b"]},
            )
        client.get("/admin/audit")
        with count_queries() as counter:
            assert client.get("/admin/audit").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_search_uses_one_query_for_the_entries_with_their_actors(people, db_session, count_queries):
    add_entry(db_session, people["olive"], datetime(2026, 7, 1, 9, 0, tzinfo=UTC))
    add_entry(db_session, people["carl"], datetime(2026, 7, 1, 10, 0, tzinfo=UTC))
    db_session.expire_all()
    with count_queries() as counter:
        entries = db_session.scalars(search_entries(actor_email="olive@example.org")).all()
        names = [entry.actor.name for entry in entries]
    assert names == ["Olive Officer"]
    assert counter.count == 1


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_cannot_read_the_log(page_client, people, make, role):
    user = make.user(role, agency=people["olive"].agency)
    assert page_client(user).get("/admin/audit").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, people):
    response = client.get("/admin/audit")
    assert response.status_code == 302
    assert "/sign-in?next=/admin/audit" in response.headers["Location"]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entries SET summary = 'rewritten'", "DELETE FROM audit_entries"],
)
def test_the_table_is_append_only_in_the_database(people, db_session, statement):
    entry = add_entry(db_session, people["olive"], datetime(2026, 7, 1, 9, 0, tzinfo=UTC), summary="original")
    with pytest.raises(sa.exc.DBAPIError), db_session.begin_nested():
        db_session.execute(sa.text(statement))
    db_session.expire_all()
    assert db_session.get(AuditEntry, entry.id).summary == "original"
