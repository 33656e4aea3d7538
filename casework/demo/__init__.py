"""Demo data for the embedded default: ``flask --app casework demo load`` (idempotent) and
``flask --app casework demo logins``.

Demo users share one password, generated on the first load and kept in the instance folder (never in
the repository). Each domain registers its demo records in its ``init_app`` (``domain.demo(load)``);
``demo load`` runs them in the order of ``casework.app.DOMAINS`` (accounts first), and each loader must
be idempotent: it looks for what it would create before creating it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

demo = AppGroup("demo", help="Demo data for trying the service.")

DEMO_DOMAIN = "casework.example"


def demo_password() -> str:
    path = Path(current_app.instance_path) / "demo_password"
    if path.exists():
        return path.read_text().strip()
    password = "demo-" + secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


DEMO_USERS = [
    # email local part, name, agency, roles, manager local part
    ("manager", "Morgan Manager", "BDC", ["manager"], None),
    ("officer", "Olive Officer", "BDC", ["officer"], "manager"),
    ("coordinator", "Cora Coordinator", "BDC", ["coordinator"], "manager"),
    ("chair", "Charles Chair", "NEDDC", ["chair"], None),
    ("partner", "Pat Partner", "DERPOL", ["partner"], None),
    ("admin", "Ada Admin", "BDC", ["admin"], None),
    ("dpo", "Dana Protection", "BDC", ["dpo"], None),
]


@demo.command("load")
@click.option(
    "--force",
    is_flag=True,
    help="Load the demo users and records even with CASEWORK_ENV=production (they sign in with a known password).",
)
def load_command(force: bool) -> None:
    """Load the demo areas, agencies, users and records (a second run changes nothing)."""
    from casework.core.registry import registry

    # In the order of the domains (casework.app.DOMAINS): accounts first, then what builds on them.
    password = demo_password()
    for _domain, load in registry().demo_loaders:
        load(password)
    click.echo("Demo data is loaded.")


@demo.command("logins")
def logins_command() -> None:
    """Print the demo sign-in for every role."""
    password = demo_password()
    for local, name, _agency, roles, _manager in DEMO_USERS:
        click.echo(f"  {', '.join(roles):<12} {local + '@' + DEMO_DOMAIN:<30} password: {password}   ({name})")
