"""Demo victim page: Margaret Holmes, the victim of the harassment case, uses it (switched on by the
officer after checking her details), with a diary entry waiting for the officer to accept.
Idempotent: nothing is added once she has had a victim page."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.cases.models import Case
from casework.core.db import commit
from casework.core.time import today
from casework.demo import DEMO_DOMAIN
from casework.extensions import db
from casework.victims import services
from casework.victims.models import VictimAccess

#: Her address on the victim page (the demo's own domain: nothing is ever delivered).
VICTIM_EMAIL = f"margaret.holmes@{DEMO_DOMAIN}"


def load(_password: str) -> None:
    officer = accounts.find_user_by_email(f"officer@{DEMO_DOMAIN}")
    case = db.session.scalar(sa.select(Case).where(Case.summary.startswith("Margaret Holmes is harassed")))
    if officer is None or case is None:
        return
    # The victim on the case, not whoever is called Margaret Holmes: the data protection demo adds a
    # second record of her (a duplicate to merge), and a query by name alone returns the two in
    # whatever order the database stores them.
    margaret = next((person for person in services.victims_of(case) if person.name == "Margaret Holmes"), None)
    if margaret is None:
        return
    if db.session.scalar(sa.select(VictimAccess.id).where(VictimAccess.person_id == margaret.id).limit(1)):
        return
    access = services.switch_on(
        officer,
        case,
        margaret,
        email=VICTIM_EMAIL,
        mobile="07700 900123",
        contact_checked=True,
        next_step="Your officer will visit you with the police to talk about what happens next.",
        next_step_on=today() + timedelta(days=7),
    )
    services.add_diary_entry(
        access,
        case,
        happened_on=today() - timedelta(days=2),
        happened_at_time="about 11pm",
        location="Outside my front door",
        what_happened="Shouting and banging on the door for about ten minutes.",
        who_was_involved="The same group of lads as before.",
        how_it_affected="I could not sleep and was too frightened to go out the next day.",
    )
    commit()
