"""Loading the people and users a page only names: the case page and its answer name who recorded,
assessed, issued or was given each record, and show nothing else about them.

A wide row costs more to read than to fetch: every column of every joined record is converted for
each row. A record already loaded whole in the session (the signed-in user, the case's parties) stays
whole; reading another column of one loaded here costs a statement, so use these only where the name
is all that is shown.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.accounts.models import User
from casework.cases.models import Person


def joined_user_name(relationship: Any) -> Any:
    """``joinedload`` of a user relationship for the user's name and email only: not their agency
    (joined by default), roles, password hash or second factor."""
    return sa.orm.joinedload(relationship).options(
        sa.orm.load_only(User.name, User.email), sa.orm.lazyload(User.agency), sa.orm.lazyload(User.role_rows)
    )


def joined_person_name(relationship: Any) -> Any:
    """``joinedload`` of a person relationship for the person's name only (still a load of the person,
    so the audit log's view entry for them is written as before)."""
    return sa.orm.joinedload(relationship).load_only(Person.name)
