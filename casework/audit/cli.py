"""``flask --app casework audit verify`` and ``flask --app casework audit seal``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

audit = AppGroup("audit", help="Check and seal the audit log's hash chain.")


@audit.command("verify")
@click.option(
    "--head",
    "known_head",
    metavar="HASH",
    help="A chain head reported by an earlier run (keep them outside the database): also fail if it is gone, "
    "which is how the newest entries removed with their seals are found.",
)
def verify(known_head: str | None) -> None:
    """Check the hash chain; report the first entry changed or removed (exit status 1)."""
    from casework.audit.services import verify_chain
    from casework.extensions import db

    report = verify_chain(known_head=known_head.strip().lower() if known_head else None)
    db.session.rollback()
    if not report.ok:
        click.echo(f"The audit log has been tampered with. First problem: {report.problems[0]}", err=True)
        for problem in report.problems[1:]:
            click.echo(f"  then: {problem}", err=True)
        sys.exit(1)
    click.echo(
        f"The audit log is intact: {report.sealed} entries sealed (chain head {report.head}), "
        f"{report.unsealed} waiting for the next seal."
    )


@audit.command("seal")
@click.option("--all", "everything", is_flag=True, help="Look through the whole log, not only the recent entries.")
def seal(everything: bool) -> None:
    """Seal every entry not sealed yet (the audit.seal task does this every minute)."""
    from casework.audit.services import SEAL_LOOKBACK, seal_pending
    from casework.core.db import commit

    total = 0
    while True:
        sealed = seal_pending(lookback=None if everything else SEAL_LOOKBACK)
        commit()
        if not sealed:
            break
        total += sealed
    click.echo(f"Sealed {total} entries.")
