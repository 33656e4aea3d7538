"""A small casework world for the risk, actions and interventions tests: one area, a council that
leads a case, a police force it is shared with, an unrelated council, and a user for every role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from casework.extensions import db


@dataclass
class World:
    area: Any
    council: Any
    police: Any
    other: Any
    manager: Any
    officer: Any
    colleague: Any
    stranger: Any
    partner: Any
    unshared_partner: Any
    coordinator: Any
    chair: Any
    admin: Any
    case: Any
    adult: Any
    victim: Any

    def person(self, name: str, date_of_birth: date | None, kind: str = "individual", on_case: bool = True) -> Any:
        from casework.cases.models import CaseParty, PartyRole, Person, PersonKind

        person = Person(kind=PersonKind(kind), name=name, normalised_name=name.lower(), date_of_birth=date_of_birth)
        db.session.add(person)
        db.session.flush()
        if on_case:
            db.session.add(CaseParty(case_id=self.case.id, person_id=person.id, role=PartyRole.perpetrator))
        db.session.commit()
        return person

    def new_case(
        self, *, lead: Any = None, restricted: bool = False, owner: Any = None, reference: str = "BOL-2026-0099"
    ) -> Any:
        from casework.cases.models import Case

        case = Case(
            reference=reference,
            area_id=self.area.id,
            year=2026,
            sequence=int(reference.rsplit("-", 1)[1]),
            category="personal",
            summary="Noise and threats",
            lead_agency_id=(lead or self.council).id,
            owner_id=(owner or self.officer).id,
            is_restricted=restricted,
        )
        db.session.add(case)
        db.session.commit()
        return case


@pytest.fixture
def world(make: Any, db_session: Any) -> World:
    from casework.cases.models import CaseParty, CaseShare, PartyRole

    area = make.area("BOL", "Bolsover")
    council = make.agency("BDC", areas=[area])
    police = make.agency("POL", areas=[area], kind="police")
    other = make.agency("NED", areas=[area])
    manager = make.user("manager", agency=council, name="Morgan Manager", email="manager@example.org")
    officer = make.user("officer", agency=council, manager=manager, name="Olive Officer", email="officer@example.org")
    colleague = make.user("officer", agency=council, manager=manager, name="Colin Colleague")
    stranger = make.user("officer", agency=other, name="Stan Stranger")
    partner = make.user("partner", agency=police, name="Pat Partner")
    unshared_partner = make.user("partner", agency=other, name="Una Unshared")
    coordinator = make.user("coordinator", agency=council, name="Cora Coordinator")
    chair = make.user("chair", agency=council, name="Charles Chair")
    admin = make.user("admin", agency=council, name="Ada Admin")
    w = World(
        area,
        council,
        police,
        other,
        manager,
        officer,
        colleague,
        stranger,
        partner,
        unshared_partner,
        coordinator,
        chair,
        admin,
        None,
        None,
        None,
    )
    w.case = w.new_case(reference="BOL-2026-0001")
    db.session.add(CaseShare(case_id=w.case.id, agency_id=police.id))
    db.session.commit()
    w.adult = w.person("Adam Adult", date(1990, 5, 10))
    w.victim = w.person("Vera Victim", date(1950, 1, 1), on_case=False)
    db.session.add(CaseParty(case_id=w.case.id, person_id=w.victim.id, role=PartyRole.victim))
    db.session.commit()
    return w


def hidden_person(world: World, name: str) -> Any:
    """A person who is a party only on a restricted case the officer is named on: the partner (who sees
    the shared case) and the officer's colleagues not named on it may not see them."""
    from casework.cases.models import CaseAccess, CaseParty, PartyRole, Person

    restricted = world.new_case(restricted=True, reference="BOL-2026-0088")
    db.session.add(CaseAccess(case_id=restricted.id, user_id=world.officer.id))
    person = Person(name=name, normalised_name=name.lower(), agency_id=world.council.id)
    db.session.add(person)
    db.session.flush()
    db.session.add(CaseParty(case_id=restricted.id, person_id=person.id, role=PartyRole.perpetrator))
    db.session.commit()
    return person
