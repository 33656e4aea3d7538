"""Demo data: the watch's first pass over the demo ledger, so the board has victims to show."""

from __future__ import annotations

from casework.core.db import commit


def run_pass(_password: str) -> None:
    from casework.threshold_watch import services

    services.nightly_pass()
    commit()
