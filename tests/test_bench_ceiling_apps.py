"""The apps ``bench/stack_ceiling.py`` measures do the work its table says they do, and no more or less.

The ceiling's rows are read as "the least a page with this shape can cost": an endpoint that ran a
statement fewer (or one more, as a user loaded again after the read's rollback) would make the row say
something else. So the statements are counted here, and the token check is shown to refuse, on a SQLite
file as the bench serves it. Nothing is timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from bench import one_row_app, signed_in_app
from bench.stack_ceiling import create_tables


@pytest.fixture
def bench_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'ceiling.sqlite'}"
    create_tables(url)
    signed_in_app.create_user(url)
    monkeypatch.setenv("ONE_ROW_DATABASE_URL", url)
    one_row_app.engine.cache_clear()
    yield url
    one_row_app.engine().dispose()
    one_row_app.engine.cache_clear()


def statements_of(engine: sa.Engine) -> list[str]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement.split()[0].upper())

    sa.event.listen(engine, "before_cursor_execute", note)
    return seen


def rows_in(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608 (a fixed name)
    engine.dispose()
    return count


def test_the_bare_page_reads_a_user_and_a_page_and_writes_a_row_a_shown_row_in_three_statements(bench_database):
    client = one_row_app.app.test_client()
    seen = statements_of(one_row_app.engine())

    answer = client.get("/page-and-writes")

    assert answer.status_code == 200
    assert len(answer.json["items"]) == one_row_app.PAGE
    assert seen == ["SELECT", "SELECT", "INSERT"]
    assert rows_in(bench_database, "bench_writes") == one_row_app.PAGE


def test_the_extensions_answer_only_a_live_bearer_token(bench_database):
    app = signed_in_app.create_app()
    client = app.test_client()

    assert client.get("/me").status_code == 401
    assert client.get("/me", headers={"Authorization": "Bearer not-the-token"}).status_code == 401
    answer = client.get("/me", headers={"Authorization": f"Bearer {signed_in_app.TOKEN}"})
    assert answer.status_code == 200
    assert answer.json["roles"] == ["manager", "officer"]


@pytest.fixture
def signed_in(bench_database: str) -> tuple[FlaskClient, dict[str, str], list[str]]:
    """The extensions' app: its client, the token's header and the statements it runs."""
    app = signed_in_app.create_app()
    with app.app_context():
        seen = statements_of(signed_in_app.db.engine)
    return app.test_client(), {"Authorization": f"Bearer {signed_in_app.TOKEN}"}, seen


def test_the_extensions_signed_in_user_is_one_statement_and_their_page_three(bench_database, signed_in):
    client, headers, seen = signed_in

    assert client.get("/me", headers=headers).status_code == 200
    assert seen == ["SELECT"]  # the token's user with their roles

    seen.clear()
    answer = client.get("/page-and-views", headers=headers)
    assert answer.status_code == 200
    assert len(answer.json["items"]) == one_row_app.PAGE
    # The user, the page, the views: not the user again after the read's rollback expired them.
    assert seen == ["SELECT", "SELECT", "INSERT"]
    assert rows_in(bench_database, "bench_views") == one_row_app.PAGE


def test_the_bare_record_reads_a_user_a_record_and_its_parts_and_writes_a_row_a_shown_record(bench_database):
    client = one_row_app.app.test_client()
    seen = statements_of(one_row_app.engine())

    answer = client.get("/record-and-writes")

    assert answer.status_code == 200
    record = answer.json["record"]
    for kind in one_row_app.PART_KINDS:
        assert len(record[kind]) == one_row_app.PARTS_PER_KIND
    # The user, the record, one read a kind of part; then the shown rows in one insert.
    assert seen == ["SELECT", "SELECT", *["SELECT"] * len(one_row_app.PART_KINDS), "INSERT"]
    assert rows_in(bench_database, "bench_writes") == 1 + len(one_row_app.PART_KINDS) * one_row_app.PARTS_PER_KIND


def test_the_extensions_record_has_the_api_case_pages_shape(bench_database, signed_in):
    client, headers, seen = signed_in

    answer = client.get("/record-and-views", headers=headers)

    assert answer.status_code == 200
    assert [len(answer.json["record"][kind]) for kind in one_row_app.PART_KINDS] == [3, 3, 3, 3]
    # The token's user, the record, its four kinds of part, the views: six reads and a write, as the
    # demo case's API page (its user, the case, three sections' reads and the timeline; its entries).
    assert seen == ["SELECT", "SELECT", "SELECT", "SELECT", "SELECT", "SELECT", "INSERT"]
    assert rows_in(bench_database, "bench_views") == 13
    # About the size of the demo case's API page (12 KB for its thirteen records).
    assert 10_000 < len(answer.data) < 15_000
