"""Demo data for the embedded default: ``flask --app casework demo load`` (idempotent) and
``flask --app casework demo logins``.

Demo users share one password, generated on the first load and kept in the instance folder (never in
the repository). Other domains add their demo records with ``@loader``; each loader must be
idempotent: it looks for what it would create before creating it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

demo = AppGroup("demo", help="Demo data for trying the service.")

#: Run in order by ``demo load``; each takes the demo password and returns nothing.
LOADERS: list[Callable[[str], None]] = []

DEMO_DOMAIN = "casework.example"

#: Loaded after the accounts (casework.demo.data), in this order.
DOMAIN_DEMO_MODULES = [
    "casework.cases.demo",
    "casework.interventions.demo",
    "casework.documents.demo",
    "casework.community_triggers.demo",
    "casework.statistics.demo",
    "casework.spreadsheets.demo",
]


def loader(fn: Callable[[str], None]) -> Callable[[str], None]:
    LOADERS.append(fn)
    return fn


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
]


@demo.command("load")
@click.option(
    "--force",
    is_flag=True,
    help="Load the demo users and records even with CASEWORK_ENV=production (they sign in with a known password).",
)
def load_command(force: bool) -> None:
    """Load the demo areas, agencies, users and records (a second run changes nothing)."""
    import importlib

    if current_app.config["CASEWORK"]["ENV"] == "production" and not force:
        # Demo users in a live service are accounts with a password printed on the console.
        raise click.ClickException(
            "CASEWORK_ENV is production: demo data (made-up people and users with a shared password) is not loaded "
            "into a live service. Use --force to load it anyway, for example on a training copy."
        )

    modules = ["casework.demo.data", *DOMAIN_DEMO_MODULES]
    for module in modules:
        importlib.import_module(module)  # registers its loaders

    # Run accounts first, then each domain in the listed order: not in import order, which depends on
    # whatever imported a demo module first.
    password = demo_password()
    for fn in sorted(
        LOADERS, key=lambda fn: modules.index(fn.__module__) if fn.__module__ in modules else len(modules)
    ):
        fn(password)
    click.echo("Demo data is loaded.")


@demo.command("logins")
def logins_command() -> None:
    """Print the demo sign-in for every role."""
    password = demo_password()
    for local, name, _agency, roles, _manager in DEMO_USERS:
        click.echo(f"  {', '.join(roles):<12} {local + '@' + DEMO_DOMAIN:<30} password: {password}   ({name})")
