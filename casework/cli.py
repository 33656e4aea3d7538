"""Command-line commands: ``flask --app casework create-admin`` and ``flask --app casework demo``."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from casework.core.errors import InvalidInput


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
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


__all__ = ["AppGroup", "register_commands"]
