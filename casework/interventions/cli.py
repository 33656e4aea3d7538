"""``flask --app casework interventions withhold-subjects``: deadline titles written before an
intervention's subject had to be a party to its case, naming a subject now withheld."""

from __future__ import annotations

import click
from flask.cli import AppGroup

interventions = AppGroup("interventions", help="Warnings, notices and orders.")


@interventions.command("withhold-subjects")
def withhold_subjects() -> None:
    """Write again, without the name, the titles of the deadlines of interventions whose subject is not
    a party to their case (withheld from its readers), and the emails quoting them not yet sent. Titles
    written since leave such a subject out; running it again changes nothing."""
    from casework.core.db import commit
    from casework.interventions.services import withhold_subjects_in_titles

    changed = withhold_subjects_in_titles()
    commit()
    click.echo(f"{changed} deadline titles no longer name a withheld subject.")
