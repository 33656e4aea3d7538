"""Loaded at start-up by a worker process whose ``PYTHONPATH`` begins with this folder (the lease tests,
``tests/core/test_job_lease_workers.py``): an import holds after its ``IMPORT_HOLD_AT_ROW``-th row while
the file ``IMPORT_HOLD_FILE`` exists, having created ``IMPORT_HOLD_FILE + ".reached"``. So the test
kills the worker, or sweeps, while the import is surely half-way (claimed, its transaction open), without
depending on how fast the machine is. The import itself runs unchanged."""

from __future__ import annotations

import os
import time

_HOLD_FILE = os.environ.get("IMPORT_HOLD_FILE")

if _HOLD_FILE:
    from casework.spreadsheets import runner

    _row_done = runner.ImportContext.row_done
    _AT_ROW = int(os.environ.get("IMPORT_HOLD_AT_ROW", "100"))

    def _holding_row_done(self: runner.ImportContext) -> None:
        _row_done(self)
        if self.rows_done == _AT_ROW and not self.dry_run:
            with open(_HOLD_FILE + ".reached", "w"):
                pass
            while os.path.exists(_HOLD_FILE):
                time.sleep(0.05)

    runner.ImportContext.row_done = _holding_row_done  # type: ignore[method-assign]
