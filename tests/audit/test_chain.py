"""The hash chain (issue 8 item 6): each entry is sealed after the one before it by the
periodic ``audit.seal`` task, and ``flask audit verify`` names the first entry that was changed or
removed. Tampering is done as the owner role, the only one that can get past the database's guards."""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from casework.audit import chain
from casework.audit.models import AuditAction, AuditEntry, AuditSeal, audit_entries, audit_values
from casework.audit.services import record, record_change, record_view, seal_pending, verify_chain
from casework.core.db import commit, dispose_engines
from casework.extensions import db


def write_entries(app: Any, count: int, object_id: str = "1") -> list[int]:
    ids = []
    with app.app_context():
        for n in range(count):
            before, after = {"name": "Vera Victim"}, {"name": f"Vera Victim {n}"}
            entry = record_change(None, ("people", object_id), before, after, f"Changed person {n}")
            db.session.flush()
            ids.append(entry.id)  # before the commit: reading it after would begin a read transaction
            commit()
        db.session.remove()
    return ids


# --- the personal values sit apart --------------------------------------------------------------


def test_the_chained_part_names_nobody_and_carries_a_hash_of_the_values(db_session):
    before, after = {"name": "Vera Victim"}, {"name": "Vera Vickers"}
    entry = record_change(None, ("people", 7), before, after, "Renamed Vera Victim")
    db_session.commit()
    chained = db_session.execute(sa.select(audit_entries).where(audit_entries.c.id == entry.id)).mappings().one()
    assert set(chained) == {"id", "created_at", "actor_id", "action", "object_type", "object_id", "values_hash"}
    assert "Vera" not in repr(dict(chained))
    values = db_session.execute(sa.select(audit_values).where(audit_values.c.entry_id == entry.id)).mappings().one()
    assert values["summary"] == "Renamed Vera Victim"
    assert values["changes"] == {"name": ["Vera Victim", "Vera Vickers"]}
    assert (values["subject_type"], values["subject_id"]) == ("people", "7")
    assert chained["values_hash"] == chain.values_digest(values["nonce"], values["summary"], values["changes"], None)
    # Read back as one object, as before the split.
    db_session.expire_all()
    assert db_session.get(AuditEntry, entry.id).summary == "Renamed Vera Victim"


def test_a_random_nonce_stops_anyone_confirming_a_guessed_value(db_session):
    first = record_view(None, ("people", 1), "Viewed person 1")
    second = record_view(None, ("people", 1), "Viewed person 1")
    db_session.commit()
    assert first.values_hash != second.values_hash
    assert first.values_hash != chain.values_digest(None, "Viewed person 1", None, None)


def test_sealing_links_each_entry_to_the_one_before(db_session):
    entries = [record_view(None, ("cases", n), f"Viewed case {n}") for n in range(3)]
    db_session.flush()
    ids = [entry.id for entry in entries]
    assert seal_pending() >= 3
    db_session.commit()
    seals = db_session.scalars(sa.select(AuditSeal).order_by(AuditSeal.position)).all()
    assert [s.position for s in seals] == list(range(1, len(seals) + 1))
    assert seals[0].previous_hash == chain.GENESIS
    for before, after in itertools.pairwise(seals):
        assert after.previous_hash == before.hash
    assert {s.entry_id for s in seals} >= set(ids)
    assert seal_pending() == 0  # nothing left to seal
    report = verify_chain()
    assert report.ok, report.problems
    assert report.unsealed == 0


def test_the_seal_task_is_on_the_beat_schedule_and_seals(app, db_session):
    from casework.audit.tasks import seal
    from casework.core.registry import registry

    assert registry(app).beat_schedule["audit.seal"]["task"] == "audit.seal"
    assert app.extensions["celery"].conf.beat_schedule["audit.seal"]["schedule"] == 60.0
    record_view(None, ("cases", 1), "Viewed case 1")
    db_session.commit()
    assert seal.delay().get() >= 1
    assert verify_chain().unsealed == 0


# --- tampering as the owner is found ------------------------------------------------------------


def test_an_intact_log_verifies(committed):
    write_entries(committed.app, 3)
    committed.seal()
    result = committed.verify()
    assert result.exit_code == 0, result.output
    assert "The audit log is intact: 3 entries sealed" in result.output


def test_a_changed_entry_is_reported(committed):
    ids = write_entries(committed.app, 4)
    committed.seal()
    committed.tamper("UPDATE audit_entries SET actor_id = NULL, object_id = '99' WHERE id = :id", id=ids[2])
    result = committed.verify()
    assert result.exit_code == 1
    assert f"First problem: Entry {ids[2]} (sealed at position 3) was changed after it was sealed." in result.output


def test_a_removed_entry_is_reported(committed):
    ids = write_entries(committed.app, 4)
    committed.seal()
    committed.tamper(
        "DELETE FROM audit_values WHERE entry_id = :id", "DELETE FROM audit_entries WHERE id = :id", id=ids[1]
    )
    result = committed.verify()
    assert result.exit_code == 1
    assert f"First problem: Entry {ids[1]} (sealed at position 2) was removed." in result.output


def test_an_entry_removed_with_its_seal_is_reported(committed):
    ids = write_entries(committed.app, 4)
    committed.seal()
    committed.tamper(
        "DELETE FROM audit_seals WHERE entry_id = :id",
        "DELETE FROM audit_values WHERE entry_id = :id",
        "DELETE FROM audit_entries WHERE id = :id",
        id=ids[1],
    )
    result = committed.verify()
    assert result.exit_code == 1
    assert (
        f"First problem: The seal at position 2 is missing: the entry sealed there, after entry {ids[0]}, "
        "was removed with its seal." in result.output
    )


def test_the_newest_entries_removed_with_their_seals_are_found_against_a_recorded_head(committed):
    """A shorter chain is intact in itself; the head an earlier run printed shows what is missing."""
    ids = write_entries(committed.app, 4)
    committed.seal()
    earlier = committed.verify()
    assert earlier.exit_code == 0, earlier.output
    head = re.search(r"chain head ([0-9a-f]{64})", earlier.output).group(1)
    assert committed.verify("--head", head).exit_code == 0
    ids += write_entries(committed.app, 1)
    committed.seal()
    assert committed.verify("--head", head).exit_code == 0  # the chain grew past it: fine

    for removed in ids[3:]:
        committed.tamper(
            "DELETE FROM audit_seals WHERE entry_id = :id",
            "DELETE FROM audit_values WHERE entry_id = :id",
            "DELETE FROM audit_entries WHERE id = :id",
            id=removed,
        )
    assert committed.verify().exit_code == 0  # nothing inside the chain shows it
    result = committed.verify("--head", head)
    assert result.exit_code == 1
    assert (
        f"First problem: The chain head recorded earlier ({head}) is no longer in the chain: the entries "
        f"sealed after entry {ids[2]} were removed with their seals." in result.output
    )


def test_rewriting_the_chain_from_an_entry_onwards_is_reported(committed):
    """Changing an entry and recomputing its own seal still breaks the link to the next seal."""
    ids = write_entries(committed.app, 3)
    committed.seal()
    with committed.app.app_context():
        row = db.session.execute(sa.select(audit_entries).where(audit_entries.c.id == ids[1])).one()
        previous = db.session.scalar(sa.select(AuditSeal.hash).where(AuditSeal.position == 1))
        digest = chain.entry_digest(row.id, row.created_at, None, "view", "people", "1", row.values_hash)
        forged = chain.link(previous, digest)
        db.session.remove()
    committed.tamper(
        "UPDATE audit_entries SET action = 'view' WHERE id = :id",
        "UPDATE audit_seals SET hash = :forged WHERE entry_id = :id",
        id=ids[1],
        forged=forged,
    )
    result = committed.verify()
    assert result.exit_code == 1
    assert f"entry {ids[2]} (sealed at position 3) does not follow the seal before it" in result.output


def test_changed_personal_values_are_reported_even_before_the_seal(committed):
    ids = write_entries(committed.app, 3)
    committed.seal()
    more = write_entries(committed.app, 1)
    committed.tamper(
        "UPDATE audit_values SET summary = 'Nothing to see' WHERE entry_id = :sealed",
        "UPDATE audit_values SET summary = 'Nothing here either' WHERE entry_id = :unsealed",
        sealed=ids[0],
        unsealed=more[0],
    )
    result = committed.verify()
    assert result.exit_code == 1
    assert f"First problem: The personal values of entry {ids[0]} (sealed at position 1) were changed." in result.output
    assert f"The personal values of entry {more[0]} (not sealed yet) were changed." in result.output


def test_values_faked_as_erased_are_reported(committed):
    ids = write_entries(committed.app, 2)
    committed.seal()
    committed.tamper(
        "UPDATE audit_values SET erased_at = CURRENT_TIMESTAMP, nonce = NULL, ip_address = NULL WHERE entry_id = :id",
        id=ids[0],
    )
    result = committed.verify()
    assert result.exit_code == 1
    assert f"The personal values of entry {ids[0]} (sealed at position 1) were changed after they were erased." in (
        result.output
    )


# --- writers never wait for the chain -----------------------------------------------------------


def test_concurrent_writers_and_sealers_keep_one_unbroken_chain(committed):
    """Eight threads write entries, each in its own transactions, while two sealers run over and over:
    every entry ends up sealed exactly once, in one chain with no gap, and the chain verifies."""
    app = committed.app
    writers, per_writer = 8, 25
    errors: list[BaseException] = []
    done = threading.Event()

    def writer(n: int) -> None:
        try:
            write_entries(app, per_writer, object_id=str(n))
        except BaseException as error:  # reported below
            errors.append(error)

    def sealer() -> None:
        try:
            with app.app_context():
                while not done.is_set():
                    try:
                        seal_pending(batch=7)
                        commit()
                    except sa.exc.DBAPIError:
                        # SQLite: another sealer wrote first (the next run carries on); PostgreSQL's
                        # advisory lock makes the loser skip its turn instead.
                        db.session.rollback()
                        if committed.backend == "postgresql":
                            raise
                db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    sealers = [threading.Thread(target=sealer) for _ in range(2)]
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in sealers + threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    done.set()
    for thread in sealers:
        thread.join(60)
    assert not errors, errors
    committed.seal()

    with app.app_context():
        entries = db.session.scalar(sa.select(sa.func.count()).select_from(audit_entries))
        positions = db.session.scalars(sa.select(AuditSeal.position).order_by(AuditSeal.position)).all()
        sealed_entries = db.session.scalar(sa.select(sa.func.count(sa.distinct(AuditSeal.entry_id))))
        db.session.remove()
    assert entries == writers * per_writer
    assert positions == list(range(1, entries + 1))
    assert sealed_entries == entries
    result = committed.verify()
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("committed", ["postgresql"], indirect=True)
def test_an_entry_committed_after_newer_ones_were_sealed_is_still_sealed(committed):
    """A transaction holding an older id commits after later entries were sealed: the next seal picks it
    up (the chain's order is the order of sealing, not of ids). PostgreSQL only: SQLite hands out ids
    under its one write lock, so entries there always commit in the order of their ids."""
    app = committed.app

    def in_a_thread(fn: Any) -> None:
        thread = threading.Thread(target=fn)
        thread.start()
        thread.join(60)

    with app.app_context():
        late = record(None, AuditAction.view, ("cases", 1), "Viewed case 1")
        db.session.flush()  # it has its id; not committed yet
        late_id = late.id
        in_a_thread(lambda: write_entries(app, 3))
        in_a_thread(committed.seal)
        commit()
        db.session.remove()
    committed.seal()
    with app.app_context():
        order = db.session.scalars(sa.select(AuditSeal.entry_id).order_by(AuditSeal.position)).all()
        db.session.remove()
    assert len(order) == 4
    assert order[-1] == late_id
    assert committed.verify().exit_code == 0


@pytest.mark.parametrize("statement", ["UPDATE audit_seals SET hash = 'x'", "DELETE FROM audit_seals"])
def test_the_seals_are_append_only_in_the_database(db_session, statement):
    record_view(None, ("cases", 1), "Viewed case 1")
    seal_pending()
    db_session.commit()
    with pytest.raises(sa.exc.DBAPIError), db_session.begin_nested():
        db_session.execute(sa.text(statement))


@pytest.mark.celery_worker
def test_a_real_worker_seals_the_chain_as_the_service_role(
    tmp_path, postgresql_database, redis_url, smtp_server, monkeypatch
):
    """`flask db upgrade` (a process, as docker compose runs it) migrates as the owner; a Celery worker
    connected as the restricted service role then runs audit.seal as beat would."""
    from casework import create_app
    from casework.audit.tasks import seal
    from tests.support.databases import scratch_database_with_roles
    from tests.support.services import unavailable
    from tests.test_celery import Worker, _use_environment, migrate, worker_environment

    if postgresql_database.service_url is None:
        unavailable("postgresql", "no service role: set CASEWORK_TEST_POSTGRESQL_SERVICE_URL (see .ci/run)")
    with scratch_database_with_roles(postgresql_database, "casework_seal") as database:
        env = worker_environment(tmp_path / "instance", database.service_url, redis_url, smtp_server)
        migrate({**env, "CASEWORK_MIGRATION_DATABASE_URL": database.owner_url})
        _use_environment(monkeypatch, env)
        worker = Worker(env, tmp_path / "worker.log")
        web = None
        try:
            worker.wait_until_ready()
            web = create_app({"INSTANCE_PATH": env["CASEWORK_INSTANCE_PATH"]})
            with web.app_context():
                owners = db.session.scalars(
                    sa.text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema()")
                ).all()
                assert owners == [sa.make_url(database.owner_url).username]
                ids = write_entries(web, 3)
                seal.delay()
                sealed: list[int] = []
                for _ in range(150):
                    db.session.rollback()
                    sealed = db.session.scalars(sa.select(AuditSeal.entry_id).order_by(AuditSeal.position)).all()
                    if len(sealed) == 3:
                        break
                    time.sleep(0.2)
                assert sealed == ids, worker.log()
                assert verify_chain().ok
                db.session.remove()
        finally:
            worker.stop()
            if web is not None:
                with web.app_context():
                    dispose_engines()


@pytest.mark.parametrize("ip_address", [None, "203.0.113.7", "2001:db8::1"])
def test_the_view_entries_values_hashes_are_the_canonical_ones(ip_address):
    # record_many's shortcut to values_digest, for entries without changes: the same hashes, or the
    # chain would not verify. Summaries that JSON escapes, one of them twice (it is encoded once).
    nonces = [secrets.token_hex(16) for _ in range(5)]
    summaries = [
        'Shown by GET /cases/?q="O\'Neil" \\ caf\u00e9',
        "Viewed case BOL-2026-0001 \U0001f600 </script>\n\t\u2028\x01",
        'Shown by GET /cases/?q="O\'Neil" \\ caf\u00e9',
        "",
        "\u00a0\ufeff",
    ]
    assert chain.view_values_digests(nonces, summaries, ip_address) == [
        chain.values_digest(nonce, summary, None, ip_address) for nonce, summary in zip(nonces, summaries, strict=True)
    ]
