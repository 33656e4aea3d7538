"""The file store contract, run against both stores: the database store and an S3-compatible server
spoken to over HTTP by the production boto3 client (moto's server, started by the suite)."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from casework.core import storage
from casework.core.db import commit
from casework.core.tasks_outbox import PendingTask
from casework.extensions import db


@pytest.fixture
def store(file_store):
    return storage.store_named(file_store)


EVERY_BYTE = bytes(range(256)) * 4


def test_put_then_get_gives_back_the_same_bytes(store):
    store.put("contract/every-byte", EVERY_BYTE, "application/octet-stream")
    assert store.get("contract/every-byte") == EVERY_BYTE
    assert store.exists("contract/every-byte")


def test_put_replaces_what_the_key_held(store):
    store.put("contract/replaced", b"first", "text/plain")
    store.put("contract/replaced", b"second", "text/plain")
    assert store.get("contract/replaced") == b"second"


def test_a_missing_key_is_missing(store):
    with pytest.raises(storage.StoredFileMissing):
        store.get("contract/never-written")
    assert not store.exists("contract/never-written")


def test_delete_removes_and_deleting_again_does_nothing(store):
    store.put("contract/deleted", b"x", "text/plain")
    store.delete("contract/deleted")
    assert not store.exists("contract/deleted")
    store.delete("contract/deleted")  # no error
    with pytest.raises(storage.StoredFileMissing):
        store.get("contract/deleted")


def test_a_large_file_survives_the_round_trip(store):
    content = hashlib.sha256(b"seed").digest() * (6 * 1024 * 1024 // 32)  # 6 MB
    store.put("contract/large", content, "application/octet-stream")
    assert store.get("contract/large") == content


def test_keys_do_not_collide(store):
    store.put("contract/a/b", b"one", "text/plain")
    store.put("contract/a-b", b"two", "text/plain")
    assert (store.get("contract/a/b"), store.get("contract/a-b")) == (b"one", b"two")


# --- what domains call: save, read, discard ---------------------------------------------------------------


def test_save_records_what_the_file_is_and_where(file_store):
    stored = storage.save(b"%PDF-1.7 body", "application/pdf", folder="tests")
    commit()
    row = db.session.get(storage.StoredFile, stored.id)
    assert (row.backend, row.content_type, row.size) == (file_store, "application/pdf", 13)
    assert row.sha256 == hashlib.sha256(b"%PDF-1.7 body").hexdigest()
    assert row.key.startswith("tests/")
    assert storage.read(row) == b"%PDF-1.7 body"


def test_a_rolled_back_save_leaves_no_file(file_store):
    stored = storage.save(b"never committed", "text/plain", folder="tests")
    key = stored.key
    db.session.rollback()
    assert db.session.scalar(sa.select(storage.StoredFile).where(storage.StoredFile.key == key)) is None
    assert not storage.store_named(file_store).exists(key)


def test_discard_deletes_the_file_once_committed(file_store):
    stored = storage.save(b"to be discarded", "text/plain", folder="tests")
    commit()
    key = stored.key
    storage.discard(db.session.get(storage.StoredFile, stored.id))
    if file_store == "s3":
        # Not before the commit: a rollback must find the file still there.
        assert storage.store_named(file_store).exists(key)
        assert db.session.scalar(sa.select(PendingTask.task_name)) == "storage.delete_object"
    commit()
    assert not storage.store_named(file_store).exists(key)
    assert db.session.scalar(sa.select(storage.StoredFile).where(storage.StoredFile.key == key)) is None


def test_a_rolled_back_discard_keeps_the_file(file_store):
    stored = storage.save(b"kept", "text/plain", folder="tests")
    commit()
    storage.discard(db.session.get(storage.StoredFile, stored.id))
    db.session.rollback()
    row = db.session.get(storage.StoredFile, stored.id)
    assert storage.read(row) == b"kept"


def test_files_stay_readable_from_the_store_they_were_saved_in(app, db_session, s3_storage):
    """A deployment that moves to S3 still reads the files it kept in the database."""
    config = app.config["CASEWORK"]
    config["STORAGE_BACKEND"] = "database"
    in_database = storage.save(b"old file", "text/plain", folder="tests")
    config["STORAGE_BACKEND"] = "s3"
    in_s3 = storage.save(b"new file", "text/plain", folder="tests")
    commit()
    assert (in_database.backend, in_s3.backend) == ("database", "s3")
    assert storage.read(db.session.get(storage.StoredFile, in_database.id)) == b"old file"
    assert storage.read(db.session.get(storage.StoredFile, in_s3.id)) == b"new file"


def test_an_unreachable_object_store_is_reported_not_hidden(app, db_session, s3_storage):
    from tests.support.services import free_port

    config = app.config["CASEWORK"]
    config["STORAGE_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"
    app.extensions.pop(storage._EXTENSION_KEY, None)
    with pytest.raises(storage.StorageUnavailable):
        storage.save(b"x", "text/plain", folder="tests")
    assert db.session.scalar(sa.select(sa.func.count(storage.StoredFile.id))) == 0


def test_the_bucket_is_created_by_a_command_that_can_run_on_every_start(app, db_session, s3_storage):
    from casework.core.storage import S3Store

    store = storage.store_named("s3")
    assert isinstance(store, S3Store)
    app.config["CASEWORK"]["STORAGE_S3_BUCKET"] = store.settings.bucket + "-new"
    app.extensions.pop(storage._EXTENSION_KEY, None)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["create-storage-bucket"])
    assert first.exit_code == 0, first.output
    assert "Created the bucket" in first.output
    again = runner.invoke(args=["create-storage-bucket"])
    assert again.exit_code == 0, again.output
    assert "is there already" in again.output
    stored = storage.save(b"in the new bucket", "text/plain", folder="tests")
    commit()
    assert storage.read(db.session.get(storage.StoredFile, stored.id)) == b"in the new bucket"


def test_the_configuration_is_checked(tmp_path):
    from casework.config import ConfigError, load

    base = {"ENV": "testing", "DATABASE_URL": "sqlite:///x.sqlite"}
    with pytest.raises(ConfigError, match="CASEWORK_STORAGE_BACKEND"):
        load(str(tmp_path), {**base, "STORAGE_BACKEND": "ftp"})
    with pytest.raises(ConfigError, match="CASEWORK_STORAGE_S3_BUCKET"):
        load(str(tmp_path), {**base, "STORAGE_BACKEND": "s3"})
    with pytest.raises(ConfigError, match="ENDPOINT_URL"):
        load(
            str(tmp_path),
            {**base, "STORAGE_BACKEND": "s3", "STORAGE_S3_BUCKET": "b", "STORAGE_S3_ENDPOINT_URL": "minio"},
        )
    with pytest.raises(ConfigError, match="both"):
        load(str(tmp_path), {**base, "STORAGE_S3_ACCESS_KEY_ID": "key"})
    config = load(str(tmp_path), {**base, "STORAGE_BACKEND": " S3 ", "STORAGE_S3_BUCKET": "files"})
    assert (config["STORAGE_BACKEND"], config["STORAGE_S3_BUCKET"]) == ("s3", "files")
