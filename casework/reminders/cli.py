"""``flask --app casework deadlines return-unseen``: work left from before with people who cannot see
its case."""

from __future__ import annotations

import click
from flask.cli import AppGroup

deadlines = AppGroup("deadlines", help="Deadlines held by people who cannot see their case.")


@deadlines.command("return-unseen")
def return_unseen() -> None:
    """Give every open deadline held by someone who may not see its case back to the case's owner,
    and assign to nobody the actions of such people, as restricting a case, no longer sharing it, or
    deactivating, moving or changing the roles of a user now does (``lifecycle.sight_narrowed``): for
    work handed over, or left, before that. Lists what stays because the case's owner may not see the
    case either: a manager of its lead agency gives the case a new owner, who then takes the work."""
    from casework.core import lifecycle
    from casework.core.db import commit
    from casework.reminders.services import unseen_work

    answers = lifecycle.send(lifecycle.sight_narrowed, case_ids=None, user_ids=None, actor=None)
    returned = sum(value.get("returned", 0) for _receiver, value in answers if isinstance(value, dict))
    left = unseen_work()
    lines = [
        f"  {reference}: {row.title} (due {row.due_at:%Y-%m-%d}), held by {row.owner.name}"
        for row, reference, _owner_id, _owner_sees in left
    ]
    commit()
    click.echo(f"Gave {returned} deadlines back to their cases' owners.")
    if lines:
        click.echo(f"{len(lines)} stay with someone who cannot see the case, whose owner cannot either:")
        click.echo("\n".join(lines))
