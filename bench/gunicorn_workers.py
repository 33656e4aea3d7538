"""gunicorn's worker processes, and how the clients' keep-alive connections are spread over them.

A bench's clients open their connections at once, and gunicorn's workers race to accept them: now and
then one worker takes every connection and the other idles for the whole run, so one core serves the
app and the rate halves. The benches count the connections each worker holds midway through a run.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (gunicorn's workers, for its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def connections_per_worker(port: int, workers: list[int]) -> list[int]:
    """How many established connections to ``port`` each worker process holds, busiest first: the
    sockets of /proc/net/tcp in state ESTABLISHED, matched to the workers' file descriptors."""
    established = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == "01":
            established.add(fields[9])
    counts = []
    for pid in workers:
        held = 0
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:[") and target[8:-1] in established:
                        held += 1
        counts.append(held)
    return sorted(counts, reverse=True)
