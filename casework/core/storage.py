"""Where uploaded and produced files live: one interface, two stores.

Every file the service keeps (documents on a case, agencies' submissions to a Case Review, served
notices, the partnership's logo) is a ``StoredFile`` row: what it is (content type, size, SHA-256), and
where its bytes are (``backend`` and ``key``). Domains keep a foreign key to it and call ``save``,
``read`` and ``discard`` here; none of them talks to a store directly.

Two stores implement ``FileStore``:

- ``database`` (the embedded default, ``CASEWORK_STORAGE_BACKEND=database``): the bytes are a row of
  ``file_blobs`` in the same database, so they commit and roll back with the record they belong to and
  backups cover them.
- ``s3``: any S3-compatible object store (MinIO in ``docker-compose.yml``, AWS S3), through boto3
  (``CASEWORK_STORAGE_S3_*``). An object store is not part of the database transaction, so ``save``
  puts the object first and deletes it again if the transaction ends without committing (rolled back,
  or closed with the session after an error), and ``discard`` deletes it only after the commit: a
  committed row never points at a missing object. A deletion the store refuses, either way, is tried
  again by the ``storage.delete_object`` task until it goes (then held as a ``StuckDeletion``). (A
  process killed between the put and the commit leaves an object no row refers to; it holds nothing
  anyone can reach.)

Each row records its backend, so files saved before a deployment switches store stay readable.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from celery import shared_task
from celery.schedules import crontab
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.db import UTCDateTime, on_rollback, outside_the_write_lock
from casework.extensions import Model, db

log = logging.getLogger(__name__)

BACKENDS = ("database", "s3")


class StoredFileMissing(LookupError):
    """The store has no object under that key."""


class StorageUnavailable(RuntimeError):
    """The store could not be reached or refused the request."""


class StoredFile(Model):
    """One file the service keeps, wherever its bytes are."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``database`` or ``s3``: where the bytes are.
    backend: Mapped[str] = mapped_column(sa.String(20))
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: The type found from the content, never the one the browser declared.
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())


class FileBlob(Model):
    """The bytes of a file kept by the database store."""

    __tablename__ = "file_blobs"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)


class FileStore(Protocol):
    """What a store does. ``put`` replaces an object with the same key; ``delete`` of a missing key
    does nothing; ``get`` of a missing key raises ``StoredFileMissing``."""

    name: str
    #: True when put and delete are part of the database transaction.
    transactional: bool

    def put(self, key: str, content: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class DatabaseStore:
    name = "database"
    transactional = True

    def put(self, key: str, content: bytes, content_type: str) -> None:
        blob = db.session.get(FileBlob, key)
        if blob is None:
            db.session.add(FileBlob(key=key, content=content))
        else:
            blob.content = content
        db.session.flush()

    def get(self, key: str) -> bytes:
        content = db.session.scalar(sa.select(FileBlob.content).where(FileBlob.key == key))
        if content is None:
            raise StoredFileMissing(key)
        return bytes(content)

    def delete(self, key: str) -> None:
        db.session.execute(sa.delete(FileBlob).where(FileBlob.key == key))

    def exists(self, key: str) -> bool:
        return db.session.scalar(sa.select(sa.literal(True)).where(FileBlob.key == key)) is not None


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    endpoint_url: str | None = None
    region: str = "eu-west-2"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    prefix: str = ""


class S3Store:
    """An S3-compatible object store. Keys are prefixed with ``settings.prefix``."""

    name = "s3"
    transactional = False

    def __init__(self, settings: S3Settings) -> None:
        import boto3
        from botocore.config import Config

        self.settings = settings
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.endpoint_url or None,
            region_name=settings.region,
            aws_access_key_id=settings.access_key_id or None,
            aws_secret_access_key=settings.secret_access_key or None,
            config=Config(
                # Path-style addressing: MinIO and other self-hosted stores have no per-bucket hostnames.
                s3={"addressing_style": "path"},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def _key(self, key: str) -> str:
        return f"{self.settings.prefix}{key}"

    def _call(self, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.settings.bucket, **kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in {"NoSuchKey", "404", "NotFound"}:
                raise StoredFileMissing(kwargs.get("Key", "")) from error
            raise StorageUnavailable(f"the object store refused {method}: {code or error}") from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"the object store could not be reached: {error}") from error

    def put(self, key: str, content: bytes, content_type: str) -> None:
        self._call("put_object", Key=self._key(key), Body=content, ContentType=content_type)

    def get(self, key: str) -> bytes:
        data: bytes = self._call("get_object", Key=self._key(key))["Body"].read()
        return data

    def delete(self, key: str) -> None:
        self._call("delete_object", Key=self._key(key))

    def exists(self, key: str) -> bool:
        try:
            self._call("head_object", Key=self._key(key))
        except StoredFileMissing:
            return False
        return True

    def create_bucket(self) -> bool:
        """Create the bucket when it does not exist; True when it was created."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            try:
                self.client.head_bucket(Bucket=self.settings.bucket)
                return False
            except ClientError:
                pass  # missing (404) or not ours to see (403): creating it says which
            arguments: dict[str, Any] = {"Bucket": self.settings.bucket}
            if self.settings.region != "us-east-1":
                arguments["CreateBucketConfiguration"] = {"LocationConstraint": self.settings.region}
            self.client.create_bucket(**arguments)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise StorageUnavailable(f"the object store refused create_bucket: {code or error}") from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"the object store could not be reached: {error}") from error
        return True


def s3_settings(config: dict[str, Any]) -> S3Settings:
    return S3Settings(
        bucket=config["STORAGE_S3_BUCKET"],
        endpoint_url=config["STORAGE_S3_ENDPOINT_URL"],
        region=config["STORAGE_S3_REGION"],
        access_key_id=config["STORAGE_S3_ACCESS_KEY_ID"],
        secret_access_key=config["STORAGE_S3_SECRET_ACCESS_KEY"],
        prefix=config["STORAGE_S3_PREFIX"],
    )


_EXTENSION_KEY = "casework_file_stores"


def store_named(name: str) -> FileStore:
    """The store called ``name``, made on first use once per app (a boto3 client is costly to build,
    and safe to share between threads)."""
    stores: dict[str, FileStore] = current_app.extensions.setdefault(_EXTENSION_KEY, {})
    if name not in stores:
        if name == "database":
            stores[name] = DatabaseStore()
        elif name == "s3":
            config = current_app.config["CASEWORK"]
            if not config.get("STORAGE_S3_BUCKET"):
                raise StorageUnavailable("files are kept in S3 but CASEWORK_STORAGE_S3_BUCKET is not set")
            stores[name] = S3Store(s3_settings(config))
        else:
            raise StorageUnavailable(f"unknown file store {name!r}")
    return stores[name]


def configured_store() -> FileStore:
    """The store new files go to (``CASEWORK_STORAGE_BACKEND``)."""
    return store_named(current_app.config["CASEWORK"]["STORAGE_BACKEND"])


# --- what domains call ---------------------------------------------------------------------------------


def save(content: bytes, content_type: str, *, folder: str, backend: str | None = None) -> StoredFile:
    """Keep ``content`` in the configured store (or the one named ``backend``) and return its (flushed)
    row.

    An object store's PUT is made ``outside_the_write_lock``: on SQLite, when the transaction has
    written nothing yet, no writer waits for a slow store. What the caller loaded before is kept as it
    was read, so a versioned row it changes afterwards is still checked at that version; a service that
    wants this puts the file first and writes after (``documents.upload``, ``notices.serve``,
    ``letterheads.save_letterhead``). If the transaction then ends without committing, the object is
    deleted (``_delete_put_object``)."""
    store = store_named(backend) if backend is not None else configured_store()
    key = f"{folder}/{uuid.uuid4().hex}"
    if store.transactional:
        store.put(key, content, content_type)
    else:
        with outside_the_write_lock():
            store.put(key, content, content_type)
        on_rollback(_delete_put_object, store.name, key)
    stored = StoredFile(
        backend=store.name,
        key=key,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def _delete_put_object(backend: str, key: str) -> None:
    """``save``'s undo, when its transaction ends without committing: delete the object put for a row
    that is never written. A store that refuses or cannot be reached now is not the end of it: the
    deletion is handed to ``storage.delete_object`` through the task outbox, in a transaction of its
    own, and tried again as ``discard``'s deletions are (then held as a stuck deletion)."""
    try:
        store_named(backend).delete(key)
    except StorageUnavailable as error:
        from casework.core.tasks_outbox import enqueue_on_its_own

        log.warning(
            "Deleting stored file %s from the %s store, put for a transaction that did not commit, failed (%s): "
            "it is tried again by storage.delete_object",
            key,
            backend,
            error,
        )
        enqueue_on_its_own("storage.delete_object", backend, key)


def read(stored: StoredFile) -> bytes:
    """The file's bytes, from the store it was saved in (an object store's GET is made
    ``outside_the_write_lock``, as ``save``'s PUT is)."""
    store, key = store_named(stored.backend), stored.key
    if store.transactional:
        return store.get(key)
    with outside_the_write_lock():
        return store.get(key)


def discard(stored: StoredFile) -> None:
    """Delete the file with the transaction: its row now, its bytes now (database) or, for an object
    store, by a task enqueued in this transaction (``storage.delete_object``): it runs only once the
    commit has happened, and is retried while the store is down, so a file removed under the retention
    policy does not stay in a bucket because the store was unreachable for a moment."""
    store = store_named(stored.backend)
    if store.transactional:
        store.delete(stored.key)
    else:
        from casework.core.tasks_outbox import enqueue

        enqueue("storage.delete_object", store.name, stored.key)
    db.session.delete(stored)
    db.session.flush()


#: Attempts at deleting an object (a few seconds apart at first, then up to 10 minutes) before it is
#: held as a stuck deletion: logged at error level, shown to the administrators and emailed to them.
DELETE_ATTEMPTS = 50
#: A stuck deletion is tried again this often (``storage.retry_stuck_deletions``), until it goes.
STUCK_RETRY_EVERY = timedelta(hours=6)
#: The longest wait between two of the first attempts (seconds).
_LONGEST_WAIT = 600


class StuckDeletion(Model):
    """A stored file's bytes that the store refused to delete ``DELETE_ATTEMPTS`` times (its row is
    gone): never forgotten, tried again every ``STUCK_RETRY_EVERY``, on the administrators' home page
    until it goes (docs/operations.md)."""

    __tablename__ = "stuck_file_deletions"
    __table_args__ = (sa.UniqueConstraint("backend", "key", name="uq_stuck_file_deletions_backend_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    backend: Mapped[str] = mapped_column(sa.String(20))
    key: Mapped[str] = mapped_column(sa.String(200))
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_tried_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    #: When the administrators were emailed about it (``accounts.alert_stuck_deletions``).
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


@shared_task(bind=True, name="storage.delete_object", max_retries=None)
def delete_object(self: Any, backend: str, key: str) -> None:
    """Delete one object from a store (idempotent: deleting a missing object does nothing). While the
    store is unavailable it is tried again, waiting longer each time; after ``DELETE_ATTEMPTS`` it is
    held as a ``StuckDeletion`` rather than dropped."""
    try:
        store_named(backend).delete(key)
    except StorageUnavailable as error:
        attempts = self.request.retries + 1
        if attempts >= DELETE_ATTEMPTS:
            hold_stuck_deletion(backend, key, error, attempts)
            return
        raise self.retry(exc=error, countdown=min(_LONGEST_WAIT, 5 * 2**self.request.retries)) from error


def hold_stuck_deletion(backend: str, key: str, error: Exception, attempts: int) -> StuckDeletion:
    """Keep a deletion the store refused ``attempts`` times, log it at error level, and commit."""
    from casework.core.db import commit
    from casework.core.time import now

    moment = now()
    row = db.session.scalar(sa.select(StuckDeletion).where(StuckDeletion.backend == backend, StuckDeletion.key == key))
    if row is None:
        row = StuckDeletion(backend=backend, key=key, first_failed_at=moment, attempts=0)
        db.session.add(row)
    row.attempts += attempts
    row.last_tried_at = moment
    row.last_error = str(error)[:500]
    commit()
    log.error(
        "Deleting stored file %s from the %s store failed %d times (%s): kept as a stuck deletion, tried "
        "again every %s and shown to the administrators",
        key,
        backend,
        row.attempts,
        row.last_error,
        STUCK_RETRY_EVERY,
    )
    return row


@shared_task(name="storage.retry_stuck_deletions")
def retry_stuck_deletions() -> int:
    """Try each stuck deletion not tried for ``STUCK_RETRY_EVERY`` once more; those that go are
    forgotten (logged), the others wait for the next turn. Returns how many went."""
    from casework.core.db import commit
    from casework.core.time import now

    moment = now()
    rows = list(
        db.session.scalars(
            sa.select(StuckDeletion)
            .where(StuckDeletion.last_tried_at <= moment - STUCK_RETRY_EVERY)
            .order_by(StuckDeletion.id)
        )
    )
    gone = 0
    for row in rows:
        try:
            store_named(row.backend).delete(row.key)
        except StorageUnavailable as error:
            row.attempts += 1
            row.last_tried_at = moment
            row.last_error = str(error)[:500]
            log.error("Deleting stored file %s from the %s store still fails (%s)", row.key, row.backend, error)
            continue
        log.info("Stuck deletion of stored file %s from the %s store done at last", row.key, row.backend)
        db.session.delete(row)
        gone += 1
    commit()
    return gone


def stuck_deletions() -> list[StuckDeletion]:
    """Every stuck deletion, oldest first (the administrators' home page)."""
    return list(db.session.scalars(sa.select(StuckDeletion).order_by(StuckDeletion.first_failed_at, StuckDeletion.id)))


#: Joins the beat schedule (``casework.core.init_app``).
BEAT = {"storage.retry_stuck_deletions": crontab(minute=23)}
