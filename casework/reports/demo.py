"""Demo data for the partnership report: when the victims of the demo cases were first contacted, so
the report's time to first contact has something to show."""

from __future__ import annotations

import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.accounts.models import User
from casework.cases.first_contact import record_first_contact
from casework.cases.models import Case
from casework.core.dates import add_working_days
from casework.core.db import commit
from casework.core.time import today
from casework.demo import DEMO_DOMAIN
from casework.extensions import db

#: Working days from each demo case's opening to the victim's first contact, by the case's position.
WAITS = (1, 3, 0, 6, 2)


def load_first_contacts(_password: str) -> None:
    """A first contact on each of the first cases the demo's users made, after its wait, unless one is
    recorded already. Not "the cases with no first contact yet": that list shrinks as they are given
    one, so each load (each start of scripts/start) gave the next case its neighbour's wait, and then
    went on to a partnership's own cases kept beside the demo in a trial."""
    officer = accounts.find_user_by_email(f"officer@{DEMO_DOMAIN}")
    if officer is None:
        return
    demo_users = sa.select(User.id).where(User.email.endswith(f"@{DEMO_DOMAIN}"))
    cases = db.session.scalars(
        sa.select(Case).where(Case.created_by_id.in_(demo_users)).order_by(Case.id).limit(len(WAITS))
    ).all()
    for case, wait in zip(cases, WAITS, strict=False):
        if case.victim_first_contacted_on is not None:
            continue
        contacted_on = add_working_days(case.opened_on, wait) if wait else case.opened_on
        if contacted_on <= today():
            record_first_contact(officer, case, case.version, contacted_on)
    commit()
