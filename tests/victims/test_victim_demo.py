"""The demo victim page is Margaret Holmes's on the harassment case, whoever else the database holds
under her name (the data protection demo adds a duplicate record of her, and the first row of a query by
name alone is whichever the database stores first)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.cases.models import Case, CaseParty, PartyRole, Person, PersonKind
from casework.core.errors import NotFound
from casework.extensions import db
from casework.victims.models import DiaryEntry, VictimAccess

PASSWORD = "demo-password-for-tests"


def test_the_demo_victim_page_is_the_victims_whoever_else_shares_her_name(app, db_session):
    from casework.accounts.models import Agency
    from casework.cases.demo import load_cases
    from casework.demo.data import load_accounts
    from casework.victims.demo import load as load_victim_page

    load_accounts(PASSWORD)
    # A namesake stored before her: a query by name alone finds this record first.
    namesake = Person(
        kind=PersonKind.individual,
        name="Margaret Holmes",
        normalised_name="margaret holmes",
        agency_id=db.session.scalar(sa.select(Agency.id).where(Agency.code == "NEDDC")),
    )
    db.session.add(namesake)
    db.session.commit()
    load_cases(PASSWORD)
    harassment = db.session.scalar(sa.select(Case).where(Case.summary.startswith("Margaret Holmes is harassed")))
    victim = db.session.scalar(
        sa.select(CaseParty.person_id).where(CaseParty.case_id == harassment.id, CaseParty.role == PartyRole.victim)
    )
    assert victim != namesake.id

    load_victim_page(PASSWORD)

    accesses = db.session.scalars(sa.select(VictimAccess)).all()
    assert [access.person_id for access in accesses] == [victim]
    assert db.session.scalars(sa.select(DiaryEntry.case_id)).all() == [harassment.id]


def test_a_victim_page_is_switched_on_only_for_a_victim_or_complainant_on_the_case(world, db_session):
    from casework.victims import services

    bystander = world.person("Bea Bystander", None, on_case=False)
    perpetrator = world.person("Perry Perpetrator", None)
    for person in (bystander, perpetrator):
        with pytest.raises(NotFound, match="Person not found"):
            services.switch_on(
                world.officer, world.case, person, email="bea@example.net", mobile=None, contact_checked=True
            )
    assert db.session.scalars(sa.select(VictimAccess)).all() == []
    assert (
        services.switch_on(
            world.officer, world.case, world.victim, email="vera@example.net", mobile=None, contact_checked=True
        ).person_id
        == world.victim.id
    )
