"""Demo people and cases in Bolsover and North East Derbyshire (idempotent: a case is looked up by its
summary before it is created).

Dates are relative to today, so the demo always shows a victim, Margaret Holmes, with three qualifying
complaints in the last three months on a case shared with the police: enough for a Case Review
(Community Trigger) application linked to that case to meet the threshold, and a second-report task
("Explain the Case Review to Margaret Holmes") on the case page. One case is restricted.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.cases import services
from casework.cases.models import Case, Person
from casework.core.db import commit
from casework.core.time import today
from casework.demo import DEMO_DOMAIN
from casework.extensions import db

#: A North East Derbyshire officer, so the NED cases have an owner (the shared demo users are at BDC).
NED_OFFICER = ("ned.officer", "Nadia Officer", "NEDDC", ["officer"])


def _person(actor: Any, name: str, **values: Any) -> Person:
    existing = db.session.scalar(
        sa.select(Person).where(
            Person.normalised_name == services.normalise_name(name), Person.agency_id == actor.agency_id
        )
    )
    if existing is not None:
        return existing
    person, _ = services.create_person(actor, name=name, **values)
    return person


def _case(actor: Any, summary: str, **values: Any) -> tuple[Case, bool]:
    existing = db.session.scalar(sa.select(Case).where(Case.summary == summary))
    if existing is not None:
        return existing, False
    return services.create_case(actor, summary=summary, **values), True


def _incident(
    actor: Any,
    case: Case,
    occurred_on: date,
    description: str,
    reports: list[tuple[Any, int, str, str | None]],
    **flags: Any,
) -> None:
    services.record_incident(
        actor,
        case,
        occurred_on=occurred_on,
        description=description,
        complaints=[
            {
                "complainant_person_id": person.id if person else None,
                "reported_on": occurred_on + timedelta(days=delay),
                "agency_code": agency,
                "reference": reference,
            }
            for person, delay, agency, reference in reports
        ],
        **flags,
    )


def load_cases(password: str) -> None:
    officer = accounts.find_user_by_email(f"officer@{DEMO_DOMAIN}")
    manager = accounts.find_user_by_email(f"manager@{DEMO_DOMAIN}")
    if officer is None or manager is None:
        return
    local, name, agency_code, roles = NED_OFFICER
    ned_officer = accounts.find_user_by_email(f"{local}@{DEMO_DOMAIN}")
    if ned_officer is None:
        ned_officer = accounts.create_user(
            None,
            email=f"{local}@{DEMO_DOMAIN}",
            name=name,
            password=password,
            agency=accounts.get_agency(agency_code),
            roles=roles,
            manager_email=None,
        )
    on = today()

    # --- Bolsover ---------------------------------------------------------------------------------
    margaret = _person(
        officer,
        "Margaret Holmes",
        date_of_birth=date(1948, 6, 2),
        address="14 Station Road, Bolsover",
        postcode="S44 6BH",
        phone="01246 000111",
        is_personally_vulnerable=True,
        personal_vulnerability_notes="Lives alone; limited mobility",
        is_incidentally_vulnerable=True,
        incidental_vulnerability_notes="Not sleeping; afraid to go out",
        consent_given=True,
        consent_on=on - timedelta(days=80),
        consent_scope="Police, housing and the council",
    )
    dean = _person(
        officer,
        "Dean Carter",
        date_of_birth=date(on.year - 16, 3, 14),
        address="9 Station Road, Bolsover",
        postcode="S44 6BH",
    )
    youths = _person(officer, "Unknown youths", kind="unknown")
    shop = _person(
        officer, "Station Road Stores", kind="business", address="2 Station Road, Bolsover", postcode="S44 6BH"
    )

    harassment, created = _case(
        officer,
        "Margaret Holmes is harassed by a group of youths outside her home: stones thrown at windows, "
        "abuse through the letterbox.",
        area_code="BOL",
        category="personal",
        location="Station Road, Bolsover",
        parties=[
            {"person_id": margaret.id, "role": "victim"},
            {"person_id": youths.id, "role": "perpetrator"},
            {"person_id": dean.id, "role": "perpetrator"},
        ],
        shared_with=["DERPOL"],
    )
    if created:
        _incident(
            officer,
            harassment,
            on - timedelta(days=75),
            "Stones thrown at the front windows at night.",
            [(margaret, 0, "DERPOL", "DP-1123"), (margaret, 1, "BDC", "ASB-4410")],
        )
        _incident(
            officer,
            harassment,
            on - timedelta(days=44),
            "Abuse shouted through the letterbox.",
            [(margaret, 2, "BDC", "ASB-4482")],
        )
        _incident(
            officer,
            harassment,
            on - timedelta(days=12),
            "Bin set alight by the front door.",
            [(margaret, 0, "DERPOL", "DP-1201"), (margaret, 0, "DFRS", None)],
        )
        services.add_note(officer, harassment, "Visited Margaret with the PCSO. Door camera offered.")

    noise, created = _case(
        officer,
        "Loud music and parties at 9 Station Road most weekends.",
        area_code="BOL",
        category="nuisance",
        location="9 Station Road, Bolsover",
        parties=[{"person_id": dean.id, "role": "perpetrator"}, {"person_id": shop.id, "role": "complainant"}],
    )
    if created:
        _incident(officer, noise, on - timedelta(days=20), "Music until 3am.", [(shop, 1, "BDC", None)])
        services.link_cases(officer, noise, harassment.id)

    restricted, created = _case(
        manager,
        "Hate-motivated abuse towards a family on the Carr Vale estate.",
        area_code="BOL",
        category="personal",
        location="Carr Vale",
        is_restricted=True,
        owner_email=f"officer@{DEMO_DOMAIN}",
    )
    if created:
        family = _person(
            manager,
            "Amira Haddad",
            address="3 Carr Vale Road, Bolsover",
            postcode="S44 6JA",
            is_situationally_vulnerable=True,
            situational_vulnerability_notes="Recently arrived; little English",
        )
        services.add_party(manager, restricted, family.id, "victim")
        _incident(
            manager,
            restricted,
            on - timedelta(days=6),
            "Racist graffiti painted on the garden wall.",
            [(family, 0, "DERPOL", "DP-1300")],
            hate_motivated=True,
        )

    closed, created = _case(
        officer,
        "Fly-tipping behind Station Road Stores.",
        area_code="BOL",
        category="environmental",
        location="Rear of 2 Station Road",
    )
    if created:
        _incident(officer, closed, on - timedelta(days=120), "Mattresses and bags dumped.", [(shop, 0, "BDC", None)])
        services.close_case(officer, closed, reason="Waste cleared; CCTV installed; no repeat in eight weeks.")

    # --- North East Derbyshire --------------------------------------------------------------------
    tenant = _person(
        ned_officer,
        "Graham Lowe",
        date_of_birth=date(1972, 11, 20),
        address="21 Rykneld Way, Clay Cross",
        postcode="S45 9AA",
        consent_given=False,
        consent_on=on - timedelta(days=30),
    )
    neighbour = _person(ned_officer, "Kelly Price", address="23 Rykneld Way, Clay Cross", postcode="S45 9AA")
    ned_case, created = _case(
        ned_officer,
        "Neighbour dispute on Rykneld Way: noise, threats and a dog off the lead.",
        area_code="NED",
        category="nuisance",
        location="Rykneld Way, Clay Cross",
        parties=[{"person_id": tenant.id, "role": "victim"}, {"person_id": neighbour.id, "role": "perpetrator"}],
        shared_with=["RYKNELD", "DERPOL"],
    )
    if created:
        _incident(
            ned_officer,
            ned_case,
            on - timedelta(days=30),
            "Threats shouted over the fence.",
            [(tenant, 0, "RYKNELD", "RH-778"), (tenant, 1, "DERPOL", "DP-2044")],
        )
        _incident(
            ned_officer,
            ned_case,
            on - timedelta(days=9),
            "Dog loose in the shared garden.",
            [(tenant, 0, "NEDDC", None)],
        )
    commit()
