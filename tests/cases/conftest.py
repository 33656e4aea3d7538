"""A small partnership for the casework tests: two areas, two councils and a police force."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class World:
    bol: Any
    ned: Any
    bdc: Any
    neddc: Any
    police: Any
    officer: Any
    manager: Any
    coordinator: Any
    other_officer: Any
    partner: Any
    police_officer: Any
    chair: Any
    admin: Any


@pytest.fixture
def world(make) -> World:
    bol = make.area("BOL", "Bolsover")
    ned = make.area("NED", "North East Derbyshire")
    bdc = make.agency("BDC", areas=[bol])
    neddc = make.agency("NEDDC", areas=[ned])
    police = make.agency("DERPOL", areas=[bol, ned], kind="police")
    manager = make.user("manager", agency=bdc, email="manager@bdc.example")
    return World(
        bol=bol,
        ned=ned,
        bdc=bdc,
        neddc=neddc,
        police=police,
        officer=make.user("officer", agency=bdc, email="officer@bdc.example", manager=manager, name="Olive Officer"),
        manager=manager,
        coordinator=make.user("coordinator", agency=bdc, email="coordinator@bdc.example"),
        other_officer=make.user("officer", agency=neddc, email="officer@neddc.example"),
        partner=make.user("partner", agency=police, email="partner@police.example"),
        police_officer=make.user("officer", agency=police, email="officer@police.example"),
        chair=make.user("chair", agency=neddc, email="chair@neddc.example"),
        admin=make.user("admin", agency=bdc, email="admin@bdc.example"),
    )


@pytest.fixture
def person(api_client, world):
    """``person(name, **fields)`` creates a person through the API as the BDC officer; answers its id."""

    def create(name: str = "Vera Victim", user: Any = None, **fields: Any) -> int:
        response = api_client(user or world.officer).post("/api/v1/people", json={"name": name, **fields})
        assert response.status_code == 201, response.json
        return response.json["id"]

    return create


@pytest.fixture
def open_case(api_client, world, person):
    """``open_case(**fields)`` opens a BOL case as the BDC officer; answers the JSON body."""

    def create(user: Any = None, **fields: Any) -> dict[str, Any]:
        body = {"area_code": "BOL", "category": "personal", "summary": "Noise and threats from number 12"}
        body.update(fields)
        response = api_client(user or world.officer).post("/api/v1/cases", json=body)
        assert response.status_code == 201, response.json
        return response.json

    return create
