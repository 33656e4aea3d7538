"""The instance env file scripts/start writes (instance/casework.env): a ``flask --app casework ...``
command run on its own reads the same settings as the service it started; the environment wins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from casework import create_app
from casework.app import PROJECT_ROOT
from casework.config import ConfigError
from tests.support.environment import clear_casework_variables, environment_without_casework

SECRET = "k" * 48


@pytest.fixture
def instance(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An instance folder and an environment with no CASEWORK_* variable but its path and a database."""
    clear_casework_variables(monkeypatch)
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(folder))
    monkeypatch.setenv("CASEWORK_DATABASE_URL", f"sqlite:///{tmp_path / 'casework.sqlite'}")
    return folder


def _write_env(folder: Path, text: str) -> None:
    (folder / "secret_key").write_text(SECRET + "\n")
    (folder / "casework.env").write_text(text)


START_ENV = (
    "# written by scripts/start\nCASEWORK_ENV=development\nCASEWORK_BASE_URL=http://127.0.0.1:5101\n"
    "CASEWORK_SECRET_KEY_FILE=secret_key\n"
)


def test_the_instance_env_file_is_read_when_the_variables_are_not_set(instance: Path) -> None:
    _write_env(instance, START_ENV)
    settings = create_app().config["CASEWORK"]
    assert settings["ENV"] == "development"
    assert settings["BASE_URL"] == "http://127.0.0.1:5101"
    assert settings["SECRET_KEY"] == SECRET  # the file's key, not one made up for this process
    assert "SECRET_KEY_FILE" not in settings


def test_without_the_file_production_still_needs_a_secret_key(instance: Path) -> None:
    with pytest.raises(ConfigError, match="CASEWORK_SECRET_KEY is not set"):
        create_app()


def test_a_variable_in_the_environment_wins_over_the_file(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_env(instance, START_ENV)
    monkeypatch.setenv("CASEWORK_BASE_URL", "https://casework.example.org")
    monkeypatch.setenv("CASEWORK_SECRET_KEY", "e" * 40)
    settings = create_app().config["CASEWORK"]
    assert settings["BASE_URL"] == "https://casework.example.org"
    assert settings["SECRET_KEY"] == "e" * 40


def test_the_file_values_are_validated_like_the_environment(instance: Path) -> None:
    _write_env(instance, "CASEWORK_SMTP_PORT=70000\nCASEWORK_SECRET_KEY_FILE=secret_key\n")
    with pytest.raises(ConfigError, match="CASEWORK_SMTP_PORT must be between 1 and 65535"):
        create_app()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SECRET_KEY=abc\n", "line 1 must read CASEWORK_NAME=value"),
        ("CASEWORK_ENV=development\nnonsense\n", "line 2 must read CASEWORK_NAME=value"),
        ("CASEWORK_SECRET_KEY_FILE=missing_key\n", "CASEWORK_SECRET_KEY_FILE: cannot read"),
    ],
)
def test_a_bad_file_stops_with_a_clear_message(instance: Path, text: str, message: str) -> None:
    _write_env(instance, text)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_demo_logins_run_on_its_own_reads_the_instance_settings(instance: Path, tmp_path: Path) -> None:
    """The issue's case: ``flask --app casework demo logins`` in a fresh shell, after scripts/start."""
    _write_env(instance, START_ENV)
    environment = environment_without_casework()
    environment["CASEWORK_INSTANCE_PATH"] = str(instance)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "casework", "demo", "logins"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "coordinator@casework.example" in result.stdout
    assert "Traceback" not in result.stderr
