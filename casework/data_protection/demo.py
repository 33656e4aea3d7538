"""Demo data for data protection: a second record of Margaret Holmes (a duplicate to merge, shown on
her page) and one subject access export made by the manager (on the data protection officer's home
page, with the way to release it in full)."""

from __future__ import annotations

import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.cases import services as cases
from casework.cases.models import Person
from casework.core.db import commit
from casework.data_protection.models import SubjectAccessExport
from casework.demo import DEMO_DOMAIN
from casework.extensions import db


def load_data_protection(_password: str) -> None:
    officer = accounts.find_user_by_email(f"officer@{DEMO_DOMAIN}")
    manager = accounts.find_user_by_email(f"manager@{DEMO_DOMAIN}")
    if officer is None or manager is None:
        return
    margaret = db.session.scalars(
        sa.select(Person).where(Person.normalised_name == "margaret holmes").order_by(Person.id)
    ).all()
    if not margaret:
        return
    if len(margaret) == 1:
        from datetime import date

        # Entered again by someone who did not search first: the duplicate warning's case.
        cases.create_person(officer, name="Margaret Holmes", date_of_birth=date(1948, 6, 2), phone="01246 000111")
    exported = db.session.scalar(sa.select(SubjectAccessExport.id).limit(1))
    if exported is None:
        from casework.data_protection.subject_access import export

        export(manager, margaret[0])
    commit()
