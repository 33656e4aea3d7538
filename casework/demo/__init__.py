"""Demo data for the embedded default: ``flask --app casework demo load`` (idempotent) and
``flask --app casework demo logins``; ``flask --app casework demo welcome`` is what scripts/start prints
once the service answers.

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


def login_lines() -> list[str]:
    from casework.demo.data import AREAS  # here: casework.demo.data imports this module

    password = demo_password()
    lines = [
        f"{', '.join(roles):<12} {local + '@' + DEMO_DOMAIN:<30} password: {password}   ({name})"
        for local, name, _agency, roles, _manager in DEMO_USERS
    ]
    codes = ", ".join(code.lower() for code, _ in AREAS if code != "BOL")
    lines.append(f"The officer, coordinator and manager above work in Bolsover; each other area ({codes})")
    lines.append(f"has its own coordinator.<area>@{DEMO_DOMAIN} and manager.<area>@{DEMO_DOMAIN}, same password.")
    return lines


#: What a newcomer can open, as (label, endpoint): the staff service and every public page.
WELCOME_PAGES = [
    ("Staff service (sign in)", "staff.dashboard.index"),
    ("Apply for a Case Review (public)", "public.triggers.start"),
    ("Check an application's progress (public)", "public.triggers.progress"),
    ("Published Case Review figures (public)", "public.statistics.index"),
    ("API documentation for partner systems", "api.openapi.docs"),
]


def welcome_lines() -> list[str]:
    """The addresses (from CASEWORK_BASE_URL, so they follow the port) and the demo logins."""
    from flask import url_for

    base_url = str(current_app.config["CASEWORK"]["BASE_URL"]).rstrip("/")
    with current_app.test_request_context("/"):
        pages = [(label, base_url + url_for(endpoint)) for label, endpoint in WELCOME_PAGES]
    width = max(len(label) for label, _ in pages)
    return [
        f"Casework is running at {base_url}/",
        *(f"  {label + ':':<{width + 1}} {url}" for label, url in pages),
        "Demo logins, one per role:",
        *(f"  {line}" for line in login_lines()),
        "The README's 'Try it' section walks through a whole Case Review with them.",
    ]


@demo.command("logins")
def logins_command() -> None:
    """Print the demo sign-in for every role."""
    for line in login_lines():
        click.echo(f"  {line}")


@demo.command("welcome")
def welcome_command() -> None:
    """Print the service's addresses (staff, public pages, API docs) and the demo logins."""
    for line in welcome_lines():
        click.echo(line)
