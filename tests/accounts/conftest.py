from __future__ import annotations

from typing import Any

import pytest

from tests.support.data_keys import OLD_KEY


@pytest.fixture
def keys(app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set CASEWORK_DATA_KEY of the running app: ``keys(NEW_KEY, OLD_KEY)``; OLD_KEY to begin with."""

    def use(*chosen: str) -> None:
        monkeypatch.setitem(app.config["CASEWORK"], "DATA_KEY", tuple(chosen))
        monkeypatch.setitem(app.config["CASEWORK"], "DATA_KEY_IS_TEMPORARY", False)

    use(OLD_KEY)
    return use
