"""Command-line commands: ``flask --app casework create-admin``, ``create-storage-bucket`` and ``demo``."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from casework.core.errors import InvalidInput


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(create_storage_bucket)
    from casework.demo import demo

    app.cli.add_command(demo)


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


__all__ = ["AppGroup", "register_commands"]
