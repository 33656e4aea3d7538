"""Loaded at start-up by a worker process whose ``PYTHONPATH`` begins with this folder (the lease tests,
``tests/core/test_job_lease_workers.py``): while the file ``HOLD_FILE`` exists, an import holds after its
100th row, and a partnership report after its first step, having created ``HOLD_FILE + ".reached"``. So
the test kills the worker, or sweeps, while the job is surely half-way (claimed, working), without
depending on how fast the machine is. The jobs themselves run unchanged."""

from __future__ import annotations

import os
import time
from typing import Any

_HOLD_FILE = os.environ.get("HOLD_FILE")


def _hold() -> None:
    with open(f"{_HOLD_FILE}.reached", "w"):
        pass
    while _HOLD_FILE and os.path.exists(_HOLD_FILE):
        time.sleep(0.05)


def _install(**_kwargs: Any) -> None:
    """In each pool process, once the application (and so every model) is loaded."""
    from casework.reports import services as reports
    from casework.spreadsheets import runner

    row_done = runner.ImportContext.row_done

    def holding_row_done(self: runner.ImportContext) -> None:
        row_done(self)
        if self.rows_done == 100 and not self.dry_run:
            _hold()

    runner.ImportContext.row_done = holding_row_done  # type: ignore[method-assign]

    compute_both = reports.compute_both

    def holding_compute_both(areas: Any, start: Any, end: Any, progress: Any = None) -> Any:
        def holding_progress(done: int, total: int) -> None:
            progress(done, total)
            if done == 1:
                _hold()

        return compute_both(areas, start, end, holding_progress)

    reports.compute_both = holding_compute_both


if _HOLD_FILE:
    from celery.signals import worker_process_init

    worker_process_init.connect(_install, weak=False)
