"""Command-line commands: ``flask --app casework create-admin``, ``create-storage-bucket``, ``reseal-secrets``
and ``check-data-keys`` (casework.core.data_keys), ``demo`` and
``docs rules`` (writes the settings table of docs/rules.md from the registered settings) and ``docs screenshots``
(the images of the per-role guides, docs/guides/, from browser journeys: casework/guides.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from casework.core.errors import InvalidInput


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(create_storage_bucket)
    app.cli.add_command(reseal_secrets)
    app.cli.add_command(check_data_keys)
    from casework.demo import demo

    app.cli.add_command(demo)
    app.cli.add_command(docs)


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True, help="The admin's display name.")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
def create_admin(email: str, name: str, password_stdin: bool) -> None:
    """Create the first admin user (and an agency for it if there is none)."""
    from casework.accounts import services
    from casework.accounts.models import Agency, AgencyKind
    from casework.core.db import commit
    from casework.extensions import db

    password = sys.stdin.readline().rstrip("\r\n")
    agency = db.session.scalar(sa.select(Agency).order_by(Agency.id))
    try:
        if agency is None:
            agency = Agency(code="ADMIN", name="Administration", kind=AgencyKind.other)
            db.session.add(agency)
            db.session.flush()
        user = services.create_user(None, email=email, name=name, password=password, agency=agency, roles=["admin"])
        commit()
    except InvalidInput as error:
        db.session.rollback()
        for field, messages in error.errors.items():
            for message in messages:
                click.echo(f"Error ({field}): {message}", err=True)
        sys.exit(1)
    click.echo(f"Created admin {user.email} in agency {agency.code}.")


@click.command("reseal-secrets")
def reseal_secrets() -> None:
    """Seal every authenticator secret with the first key of CASEWORK_DATA_KEY: run after putting a new
    key first, before removing the old one (docs/operations.md)."""
    from casework.accounts import second_factor
    from casework.core import data_keys
    from casework.core.db import commit

    if data_keys.temporary_key_in_use():
        raise click.ClickException("CASEWORK_DATA_KEY is not set: there is no key to seal with.")
    try:
        resealed = second_factor.reseal_all()
    except data_keys.DataKeyError as error:
        raise click.ClickException(str(error)) from None
    commit()
    click.echo(f"Sealed {resealed} authenticator secrets with the newest key.")


@click.command("check-data-keys")
def check_data_keys() -> None:
    """Check that CASEWORK_DATA_KEY opens every sealed value in the database: run before the web server,
    the worker and beat start (scripts/start, docker-compose.yml, the systemd units). Exits 1 with one
    line naming the setting when a value would fail at its first use (docs/operations.md)."""
    from casework.accounts import second_factor
    from casework.core import data_keys

    found = second_factor.check_secrets()
    made_up = data_keys.temporary_key_in_use()
    if found.unopened and made_up:
        raise click.ClickException(
            f"CASEWORK_DATA_KEY is not set, and {found.unopened} stored authenticator secrets are sealed: set it "
            "to the key they were sealed with (docs/operations.md)."
        )
    if found.unopened:
        raise click.ClickException(
            f"CASEWORK_DATA_KEY does not open {found.unopened} of the {found.total} stored authenticator secrets: "
            'put back the key they were sealed with, after the newest (docs/operations.md, "Rotating secrets").'
        )
    if found.plain and made_up:
        raise click.ClickException(
            f"CASEWORK_DATA_KEY is not set, and {found.plain} authenticator secrets are stored in plain text: "
            "sealed with a key made up for one process, they would be lost when it stops; set it "
            "(docs/operations.md)."
        )
    if not found.total:
        click.echo("CASEWORK_DATA_KEY: no authenticator secrets are stored yet, so none to open.")
        return
    report = f"CASEWORK_DATA_KEY opens all {found.total - found.plain} sealed authenticator secrets"
    if found.older:
        report += f" ({found.older} with an older key: run reseal-secrets before removing it)"
    if found.plain:
        report += f"; {found.plain} stored in plain text are sealed as they are used, or by reseal-secrets"
    click.echo(report + ".")


@click.command("create-storage-bucket")
def create_storage_bucket() -> None:
    """Create the S3 bucket files are kept in, when CASEWORK_STORAGE_BACKEND is s3 and it does not exist.

    Safe to run on every start (docker-compose.yml does, for its MinIO); with the database store it
    does nothing.
    """
    from flask import current_app

    from casework.core import storage

    if current_app.config["CASEWORK"]["STORAGE_BACKEND"] != "s3":
        click.echo("Files are kept in the database: there is no bucket to create.")
        return
    store = storage.store_named("s3")
    assert isinstance(store, storage.S3Store)
    try:
        created = store.create_bucket()
    except storage.StorageUnavailable as error:
        click.echo(f"Error: the file store cannot be reached: {error}", err=True)
        sys.exit(1)
    bucket = store.settings.bucket
    click.echo(f"Created the bucket {bucket}." if created else f"The bucket {bucket} is there already.")


# --- docs/rules.md: the settings table, generated from the registered settings ----------------------

RULES_DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
TABLE_START = "<!-- settings table: generated by `flask --app casework docs rules`; do not edit by hand -->"
TABLE_END = "<!-- end of generated settings table -->"


def _plain_default(value: Any) -> str:
    """A default as a council's lawyer reads it: on/off, "5 working days after ...", a number."""
    from casework.community_triggers.settings import START_EVENTS

    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dict) and {"amount", "unit"} <= set(value):
        amount, unit = int(value["amount"]), str(value["unit"]).replace("_", " ")
        if amount in (1, -1):
            unit = unit.removesuffix("s")
        text = f"{abs(amount)} {unit}"
        if "start" in value:
            event = START_EVENTS.get(value["start"], value["start"])
            text += f" {'before' if amount < 0 else 'after'} {event}"
        return text
    return str(value)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def rules_settings_table(app: Flask) -> str:
    """The Markdown table of every setting the app's domains registered, by group, in registration order:
    key, label, default and source (the part of docs/rules.md the code is the truth for)."""
    from casework.core.registry import registry

    by_group: dict[str, list[Any]] = {}
    for spec in registry(app).settings.values():
        by_group.setdefault(spec.group, []).append(spec)
    lines: list[str] = []
    for group, group_specs in by_group.items():
        lines += [f"### {group}", "", "| Key | Setting | Default | Source |", "| --- | --- | --- | --- |"]
        for spec in group_specs:
            source = spec.source or "See the rules above"
            lines.append(
                f"| `{spec.key}` | {_cell(spec.title)} | {_cell(_plain_default(spec.default))} | {_cell(source)} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def with_settings_table(document: str, table: str) -> str:
    """``document`` with the text between the table markers replaced by ``table``."""
    before, start, rest = document.partition(TABLE_START)
    _old, end, after = rest.partition(TABLE_END)
    if not start or not end:
        raise click.ClickException(f"docs/rules.md has lost its table markers ({TABLE_START!r} ... {TABLE_END!r})")
    return f"{before}{TABLE_START}\n\n{table}\n{TABLE_END}{after}"


docs = AppGroup("docs", help="Keep the documents generated from the code up to date.")


@docs.command("rules")
@click.option("--check", is_flag=True, help="Fail, changing nothing, if docs/rules.md is out of date.")
def docs_rules(check: bool) -> None:
    """Write the settings table of docs/rules.md from the settings the domains register."""
    from flask import current_app

    current = RULES_DOC.read_text()
    updated = with_settings_table(current, rules_settings_table(current_app))
    if check:
        if updated != current:
            raise click.ClickException("docs/rules.md is out of date: run `flask --app casework docs rules`.")
        click.echo("docs/rules.md is up to date.")
        return
    RULES_DOC.write_text(updated)
    click.echo("Wrote the settings table of docs/rules.md." if updated != current else "docs/rules.md was up to date.")


@docs.command("screenshots")
@click.option("--chromium", default=None, help="The Chromium to drive (default: /usr/bin/chromium).")
def docs_screenshots(chromium: str | None) -> None:
    """Write the guides' screenshots (docs/guides/images/) by following their journeys in Chromium on a
    fresh copy of the demo data (needs the dev extras: Playwright)."""
    from importlib.util import find_spec

    from casework import guides

    if find_spec("playwright") is None:
        raise click.ClickException("Playwright is missing: pip install -e '.[dev]'")
    chromium = chromium or guides.CHROMIUM
    if not Path(chromium).exists():
        raise click.ClickException(f"Chromium is not at {chromium}: apt-get install chromium, or give --chromium.")
    try:
        written = guides.take_screenshots(chromium=chromium, echo=click.echo)
    except guides.JourneyFailed as error:
        raise click.ClickException(f"{error} (see JOURNEYS in casework/guides.py)") from error
    click.echo(f"Wrote {len(written)} screenshots to docs/guides/images/.")


__all__ = ["AppGroup", "register_commands"]
