"""Running a piece of a test in a forked child of the test process (``os.fork``), and getting its result."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

CHILD_TIMEOUT = 60


def in_a_forked_child(work: Callable[[], Any]) -> Any:
    """What ``work()`` returns (a small result, as JSON carries it) when run in a forked child, which
    then exits at once, without the test's teardown. Fails the test if the child fails or takes more than
    ``CHILD_TIMEOUT`` seconds."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's exit status carries the outcome
        status = 1
        try:
            os.close(reader)
            os.write(writer, json.dumps(work()).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    deadline = time.monotonic() + CHILD_TIMEOUT
    while (waited := os.waitpid(child, os.WNOHANG)) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            pytest.fail(f"the forked child did not finish within {CHILD_TIMEOUT}s")
        time.sleep(0.05)
    with os.fdopen(reader, "rb") as pipe:
        output = pipe.read()
    assert os.waitstatus_to_exitcode(waited[1]) == 0, "the forked child failed"
    return json.loads(output)
