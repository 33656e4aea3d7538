"""``scripts/keep-worker``, which ``scripts/start`` runs its Celery worker under: a worker that exits by
itself (as the solo worker does at a hung job's time limit, status 70) is started again, a bounded number
of times; stopped with SIGTERM, as ``scripts/start`` stops it on Ctrl-C, nothing is started again."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from casework.core import jobs

KEEP_WORKER = Path(__file__).resolve().parents[1] / "scripts" / "keep-worker"


def _runs(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _keep(worker: str, timeout: float, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``worker`` (a shell command) under the keeper until the keeper gives up or stops."""
    return subprocess.run(
        [str(KEEP_WORKER), "sh", "-c", worker],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
    )


def _sigterm_once_running(worker: str, runs: Path, *, to_its_group: bool) -> tuple[int, str]:
    """Start ``worker`` (a shell command that adds a line to ``runs`` first) under the keeper, and once it
    runs send SIGTERM: to the keeper's process group (as ``scripts/start`` stops its services) or to the
    keeper alone (as a service manager that signals only the process it started). Answers the keeper's
    exit status and output."""
    keeper = subprocess.Popen(
        [str(KEEP_WORKER), "sh", "-c", worker],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while _runs(runs) < 1:
            assert time.monotonic() < deadline, "the worker never started"
            time.sleep(0.05)
        if to_its_group:
            os.killpg(keeper.pid, signal.SIGTERM)
        else:
            keeper.send_signal(signal.SIGTERM)
        output, _ = keeper.communicate(timeout=30)
    finally:
        if keeper.poll() is None:
            os.killpg(keeper.pid, signal.SIGKILL)
            keeper.wait()
    return keeper.returncode, output


def test_a_worker_that_keeps_exiting_is_started_again_five_times_then_given_up(tmp_path) -> None:
    runs = tmp_path / "runs"
    result = _keep(f'echo run >> "{runs}"; exit {jobs.HUNG_EXIT_STATUS}', timeout=60)
    assert _runs(runs) == 6  # the first run and five more
    assert result.returncode == jobs.HUNG_EXIT_STATUS
    assert result.stdout.count("a background job ran past its time limit") == 6
    assert "starting it again (5 of 5 within 600 seconds)" in result.stdout
    assert "exited (status 70) 6 times within 600 seconds: not starting it again" in result.stderr


def test_a_worker_that_exits_with_another_status_is_started_again_too(tmp_path) -> None:
    runs = tmp_path / "runs"
    # Exits with status 1 the first time, then runs until stopped.
    worker = f'echo run >> "{runs}"; [ "$(wc -l < "{runs}")" -gt 1 ] || exit 1; exit 0'
    result = _keep(worker, timeout=60, WORKER_RESTARTS="1")
    assert _runs(runs) == 2
    assert "the worker exited (status 1): starting it again (1 of 1" in result.stdout
    assert "ran past its time limit" not in result.stdout
    assert result.returncode == 1  # its second exit is one too many: given up, never with status 0


def test_stopped_with_sigterm_the_worker_is_not_started_again(tmp_path) -> None:
    runs = tmp_path / "runs"
    worker = f'echo run >> "{runs}"; trap "exit 0" TERM; sleep 60 & wait'
    status, output = _sigterm_once_running(worker, runs, to_its_group=True)
    assert status == 143
    assert _runs(runs) == 1
    assert "starting it again" not in output


@pytest.mark.parametrize(
    ("setting", "value"),
    [("WORKER_RESTARTS", "five"), ("WORKER_RESTART_WINDOW", "ten minutes"), ("WORKER_RESTART_WINDOW", "0")],
)
def test_a_restart_setting_that_is_not_a_whole_number_is_refused_before_the_worker_runs(
    tmp_path, setting: str, value: str
) -> None:
    """Such a value used to make every restart look like the first: the worker was started again without
    end, as fast as it exited."""
    runs = tmp_path / "runs"
    result = _keep(f'echo run >> "{runs}"; exit 1', timeout=20, **{setting: value})
    assert result.returncode == 2
    assert _runs(runs) == 0
    assert f"{setting} must be a whole number" in result.stderr


def test_sigterm_to_the_keeper_alone_is_passed_on_to_the_worker(tmp_path) -> None:
    """As a service manager that signals only the process it started: the worker is stopped too, and the
    keeper does not wait for it to end by itself."""
    runs = tmp_path / "runs"
    status, output = _sigterm_once_running(f'echo run >> "{runs}"; exec sleep 60', runs, to_its_group=False)
    assert status == 143
    assert _runs(runs) == 1
    assert "starting it again" not in output
