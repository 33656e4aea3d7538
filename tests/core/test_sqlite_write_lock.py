"""Processes writing to one SQLite file wait for each other on a file lock (casework.core.write_lock),
which wakes a waiter when the lock is free, rather than in SQLite's busy handler, which sleeps.

Real processes: the lock is between processes. The waiting process's busy timeout is set to 0, so
without the file lock its ``BEGIN IMMEDIATE`` fails at once with "database is locked" while the other
process holds SQLite's write lock; with it, it waits on the file lock and then writes.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from casework.core.db import WRITE_LOCK_SUFFIX
from casework.core.write_lock import FileWriteLock
from tests.support.forking import in_a_forked_child

pytestmark = pytest.mark.sqlite_only

WRITER = """
import sys
import sqlalchemy as sa
from casework.core.db import configure_engine_events

path, name, busy_ms = sys.argv[1], sys.argv[2], sys.argv[3]
engine = sa.create_engine(f"sqlite:///{path}")
configure_engine_events(engine)
# After the service's own settings (its busy timeout of 30 s).
sa.event.listen(engine, "connect", lambda dbapi, _: dbapi.execute(f"PRAGMA busy_timeout={busy_ms}"))
with engine.connect() as connection:
    with connection.begin():  # outside a request: a writing transaction, BEGIN IMMEDIATE
        connection.exec_driver_sql("INSERT INTO writes (name) VALUES (?)", (name,))
        print("holding", flush=True)
        if name == "holder":
            sys.stdin.readline()  # until told to commit
print("committed", flush=True)
"""


def start_writer(path: Path, name: str, busy_ms: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), name, str(busy_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def waits_on_file_lock(pid: int, lock_path: Path) -> bool:
    """Whether process ``pid`` is queued for the file lock (Linux lists waiters in /proc/locks)."""
    inode = os.stat(lock_path).st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if (
            len(fields) > 6
            and fields[1:3] == ["->", "FLOCK"]
            and int(fields[5]) == pid
            and int(fields[6].rsplit(":", 1)[1]) == inode
        ):
            return True
    return False


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "casework.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE writes (name TEXT NOT NULL)")
    connection.close()
    return path


NEEDS_PROC_LOCKS = pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")


@NEEDS_PROC_LOCKS
@pytest.mark.parametrize("holder_ends", ["commits", "is killed"])
def test_a_writer_of_another_process_waits_for_the_lock_and_then_writes(database: Path, holder_ends: str) -> None:
    holder = start_writer(database, "holder", 30_000)
    waiter = None
    try:
        assert holder.stdout is not None
        assert holder.stdin is not None
        assert holder.stdout.readline().strip() == "holding", holder.stderr.read() if holder.stderr else ""
        waiter = start_writer(database, "waiter", 0)
        lock_path = Path(str(database) + WRITE_LOCK_SUFFIX)
        # Until the waiter is queued on the file lock, or has given up (as it does without one).
        give_up_at = time.monotonic() + 120
        while waiter.poll() is None and not waits_on_file_lock(waiter.pid, lock_path):
            assert time.monotonic() < give_up_at, "the waiter neither waited nor failed"
            time.sleep(0.01)
        if holder_ends == "commits":
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.wait(60) == 0
        else:
            # The kernel lets go of a dead process's file lock (and SQLite's).
            holder.send_signal(signal.SIGKILL)
            holder.wait(60)
        out, err = waiter.communicate(timeout=60)
        assert waiter.returncode == 0, err
        assert out.split() == ["holding", "committed"]
    finally:
        for process in (holder, waiter):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    names = {row[0] for row in sqlite3.connect(database).execute("SELECT name FROM writes")}
    assert names == ({"holder", "waiter"} if holder_ends == "commits" else {"waiter"})


def test_a_forked_child_does_not_share_its_parents_lock(tmp_path: Path) -> None:
    """``flock`` belongs to the open file: a child using the descriptor it inherited would take the
    lock its parent holds, at once."""
    lock = FileWriteLock(str(tmp_path / "db-writelock"))
    assert lock.acquire(timeout=0)
    try:
        # The parent's lock keeps the child out.
        assert in_a_forked_child(lambda: lock.acquire(timeout=0)) is False
    finally:
        lock.release()


TAKE_AND_HOLD = (
    "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT); "
    "fcntl.flock(fd, fcntl.LOCK_EX); print('holding', flush=True); sys.stdin.readline()"
)


@NEEDS_PROC_LOCKS
def test_a_wait_given_up_leaves_the_lock_to_the_others(tmp_path: Path) -> None:
    """A wait that ran out of time is still queued in the kernel: when it gets the lock after all, it
    lets go at once, or no other process could ever write."""
    path = tmp_path / "db-writelock"
    holder = subprocess.Popen(
        [sys.executable, "-c", TAKE_AND_HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdin is not None
        assert holder.stdout.readline().strip() == "holding"
        lock = FileWriteLock(str(path))
        # Until a wait given up is still queued in the kernel (a request given up before its thread
        # started waiting is cancelled instead, and leaves nothing to let go).
        give_up_at = time.monotonic() + 120
        while not waits_on_file_lock(os.getpid(), path):
            assert time.monotonic() < give_up_at, "the wait never reached the kernel"
            assert not lock.acquire(timeout=0.05)
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(60) == 0
        # Another process waits for the lock (the timeout only stops a hang when it is never let go).
        other = subprocess.run(
            [sys.executable, "-c", TAKE_AND_HOLD, str(path)], input="\n", capture_output=True, text=True, timeout=120
        )
        assert other.stdout.strip() == "holding"
        assert lock.acquire(timeout=60)
        lock.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
