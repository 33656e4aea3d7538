"""The check every "refused before it builds" test of the admin templates' sandbox makes."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest

from casework.core.safe_templates import TemplateLimitExceeded

#: Peak memory a refused render may reach: each hostile case would build 10 MB or more first.
PEAK_BYTES = 5_000_000


def refused_before_it_builds(render: Callable[[], object]) -> None:
    """``render`` is refused at the output's limit, and before it built what it asked for: its peak
    memory stays under ``PEAK_BYTES``."""
    tracemalloc.start()
    try:
        with pytest.raises(TemplateLimitExceeded, match="more than 200,000 characters"):
            render()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES
