"""Environments without the project's own variables.

A test that starts the service (a subprocess, or an app built from the environment) must not pick up the
``CASEWORK_*`` variables of the shell or the CI job that runs the suite: it sets the ones it is about.
"""

from __future__ import annotations

import os

import pytest

PREFIX = "CASEWORK_"


def environment_without_casework() -> dict[str, str]:
    """This process's environment without any ``CASEWORK_*`` variable: for a subprocess, which adds its own."""
    return {name: value for name, value in os.environ.items() if not name.startswith(PREFIX)}


def clear_casework_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every ``CASEWORK_*`` variable from this process's environment, until the test ends."""
    for name in [name for name in os.environ if name.startswith(PREFIX)]:
        monkeypatch.delenv(name)
