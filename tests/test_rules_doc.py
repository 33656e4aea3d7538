"""docs/rules.md shows the settings the service really registers: its generated table must be what
``flask --app casework docs rules`` writes now, so a changed default or a new setting updates the doc."""

from __future__ import annotations

import click
import pytest
from flask import Flask

from casework import create_app
from casework.cli import RULES_DOC, TABLE_END, TABLE_START, rules_settings_table, with_settings_table
from casework.core.registry import registry


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    instance = tmp_path_factory.mktemp("instance")
    return create_app(
        {"ENV": "testing", "INSTANCE_PATH": str(instance), "DATABASE_URL": "sqlite://", "BROKER_URL": "memory://"}
    )


def test_the_committed_settings_table_is_what_the_generator_writes(app: Flask) -> None:
    committed = RULES_DOC.read_text()
    assert with_settings_table(committed, rules_settings_table(app)) == committed, (
        "docs/rules.md is out of date: run `flask --app casework docs rules` and commit it"
    )


def test_the_table_names_every_registered_setting_with_its_real_default(app: Flask) -> None:
    table = rules_settings_table(app)
    specs = registry(app).settings
    assert specs, "no settings registered: the table would be empty"
    for key, spec in specs.items():
        assert f"| `{key}` | " in table
        if spec.source:
            assert spec.source in table
    # A default is shown as set, not from the document's prose.
    assert "| `automatic_count` | Qualifying complaints that meet the threshold automatically | 3 |" in table
    assert "| 5 working days after the application is received |" in table
    assert "| 2 working days before the day the review meeting is scheduled for |" in table


def test_a_changed_default_makes_the_committed_document_stale(app: Flask) -> None:
    specs = registry(app).settings
    original = specs["automatic_count"]
    try:
        specs["automatic_count"] = type(original)(**{**original.__dict__, "default": 2})
        committed = RULES_DOC.read_text()
        assert with_settings_table(committed, rules_settings_table(app)) != committed
    finally:
        specs["automatic_count"] = original


def test_the_markers_must_be_there() -> None:
    document = RULES_DOC.read_text()
    assert TABLE_START in document
    assert TABLE_END in document
    with pytest.raises(click.ClickException):
        with_settings_table("# no markers\n", "| table |\n")


def test_the_cli_command_writes_and_checks_the_table(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["docs", "rules", "--check"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
