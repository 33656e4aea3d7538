"""The demo records: Derbyshire's districts and partners, where the seed papers come from."""

from __future__ import annotations

import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.accounts.models import Agency, Area
from casework.core.db import commit
from casework.demo import DEMO_DOMAIN, DEMO_USERS
from casework.extensions import db

AREAS = [
    ("AMB", "Amber Valley"),
    ("BOL", "Bolsover"),
    ("CHE", "Chesterfield"),
    ("DDA", "Derbyshire Dales"),
    ("ERE", "Erewash"),
    ("HPK", "High Peak"),
    ("NED", "North East Derbyshire"),
    ("SDE", "South Derbyshire"),
]
ALL = [code for code, _ in AREAS]
#: The council of each area.
AREA_COUNCIL = {
    "AMB": "AVBC",
    "BOL": "BDC",
    "CHE": "CBC",
    "DDA": "DDDC",
    "ERE": "EBC",
    "HPK": "HPBC",
    "NED": "NEDDC",
    "SDE": "SDDC",
}

AGENCIES = [
    ("BDC", "Bolsover District Council", "council", ["BOL"]),
    ("NEDDC", "North East Derbyshire District Council", "council", ["NED"]),
    ("DERPOL", "Derbyshire Constabulary", "police", ALL),
    ("RYKNELD", "Rykneld Homes", "housing", ["NED"]),
    ("DDICB", "Derby and Derbyshire Integrated Care Board", "health", ALL),
    ("DFRS", "Derbyshire Fire and Rescue Service", "fire", ALL),
    ("OPCC", "Office of the Derbyshire Police and Crime Commissioner", "other", ALL),
    # Every other district's council, so that an application in any demo area reaches a coordinator.
    ("AVBC", "Amber Valley Borough Council", "council", ["AMB"]),
    ("CBC", "Chesterfield Borough Council", "council", ["CHE"]),
    ("DDDC", "Derbyshire Dales District Council", "council", ["DDA"]),
    ("EBC", "Erewash Borough Council", "council", ["ERE"]),
    ("HPBC", "High Peak Borough Council", "council", ["HPK"]),
    ("SDDC", "South Derbyshire District Council", "council", ["SDE"]),
]


#: Each area's council holds its coordinator and manager (Bolsover's are the main demo logins); each
#: area's chair comes from another council, so that they are independent of the area's own work.
DEMO_AREA_USERS = [
    user
    for code, area_name in AREAS
    if code != "BOL"
    for user in (
        (f"manager.{code.lower()}", f"{area_name} Manager", AREA_COUNCIL[code], ["manager"], None),
        (
            f"coordinator.{code.lower()}",
            f"{area_name} Coordinator",
            AREA_COUNCIL[code],
            ["coordinator"],
            f"manager.{code.lower()}",
        ),
    )
] + [
    # The main demo chair is from North East Derbyshire's council: North East Derbyshire's reviews
    # need a chair from elsewhere.
    ("chair.ned", "Nadia Chair", "BDC", ["chair"], None),
]


def load_accounts(password: str) -> None:
    existing_areas = set(db.session.scalars(sa.select(Area.code)))
    for code, name in AREAS:
        if code not in existing_areas:
            accounts.create_area(None, code, name)
    existing_agencies = set(db.session.scalars(sa.select(Agency.code)))
    for code, name, kind, area_codes in AGENCIES:
        if code not in existing_agencies:
            accounts.create_agency(None, code, name, kind, area_codes)
    for local, name, agency_code, roles, manager in [*DEMO_USERS, *DEMO_AREA_USERS]:
        email = f"{local}@{DEMO_DOMAIN}"
        if accounts.find_user_by_email(email) is None:
            accounts.create_user(
                None,
                email=email,
                name=name,
                password=password,
                agency=accounts.get_agency(agency_code),
                roles=roles,
                manager_email=f"{manager}@{DEMO_DOMAIN}" if manager else None,
            )
    commit()
