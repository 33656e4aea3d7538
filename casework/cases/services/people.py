"""People: recording, updating, finding likely duplicates, reading. Never commits."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.audit.services import record_change, record_view, snapshot
from casework.cases.models import (
    Case,
    CaseParty,
    Person,
    PersonKind,
)
from casework.cases.policies import (
    refuse_anonymised_person,
    visible_cases_clause,
    visible_people_clause,
)
from casework.cases.services.fields import (
    PERSON_FIELDS,
    check_past,
    normalise_address,
    normalise_name,
    normalise_postcode,
)
from casework.core.errors import Conflict, InvalidInput
from casework.extensions import db

# --- people ------------------------------------------------------------------------------------------


def find_likely_duplicates(
    actor: Any,
    *,
    name: str,
    date_of_birth: date | None,
    address: str | None,
    postcode: str | None,
    exclude_id: int | None = None,
) -> list[Person]:
    """People the actor can see with the same name and date of birth, or the same address.

    Only people visible to the actor are named: a warning must not reveal another agency's records.
    """
    normalised = normalise_name(name)
    address_key = normalise_address(address, postcode)
    matches = []
    if date_of_birth is not None:
        matches.append(sa.and_(Person.normalised_name == normalised, Person.date_of_birth == date_of_birth))
    if address_key:
        matches.append(Person.normalised_address == address_key)
    if not matches:
        return []
    query = (
        sa.select(Person)
        .where(
            sa.or_(*matches),
            Person.anonymised_at.is_(None),
            Person.merged_into_id.is_(None),
            visible_people_clause(actor),
        )
        .order_by(Person.id)
        .limit(10)
    )
    if exclude_id is not None:
        query = query.where(Person.id != exclude_id)
    return list(db.session.scalars(query))


def _validate_person(values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    check_past(errors, "date_of_birth", values.get("date_of_birth"), "Date of birth")
    check_past(errors, "consent_on", values.get("consent_on"), "The date consent was given or refused")
    if values.get("consent_given") is not None and values.get("consent_on") is None:
        errors.setdefault("consent_on", []).append("Enter the date consent was given or refused")
    if errors:
        raise InvalidInput(errors)


def create_person(actor: Any, **values: Any) -> tuple[Person, list[Person]]:
    """Create a person; answers the person and the likely duplicates found before creating it."""
    kind = PersonKind(values.pop("kind", None) or PersonKind.individual)
    name = (values.pop("name", None) or "").strip()
    if not name:
        if kind is not PersonKind.unknown:
            raise InvalidInput({"name": ["Enter the person's name"]})
        name = "Unknown"
    values["postcode"] = normalise_postcode(values.get("postcode"))
    _validate_person(values)
    duplicates = find_likely_duplicates(
        actor,
        name=name,
        date_of_birth=values.get("date_of_birth"),
        address=values.get("address"),
        postcode=values.get("postcode"),
    )
    person = Person(
        kind=kind,
        name=name,
        normalised_name=normalise_name(name),
        normalised_address=normalise_address(values.get("address"), values.get("postcode")),
        agency_id=actor.agency_id,
        created_by_id=actor.id,
        **{k: v for k, v in values.items() if k in PERSON_FIELDS},
    )
    db.session.add(person)
    db.session.flush()
    record_change(actor, person, None, snapshot(person, PERSON_FIELDS), f"Added person {person.name}")
    return person, duplicates


def update_person(actor: Any, person: Person, expected_version: int | None, **changes: Any) -> Person:
    refuse_anonymised_person(person)
    if expected_version is not None and expected_version != person.version:
        raise Conflict("The record changed since you read it.")
    if "name" in changes and not (changes["name"] or "").strip():
        raise InvalidInput({"name": ["Enter the person's name"]})
    before = snapshot(person, PERSON_FIELDS)
    if "postcode" in changes:
        changes["postcode"] = normalise_postcode(changes["postcode"])
    merged = {**before, **changes}
    merged["date_of_birth"] = changes.get("date_of_birth", person.date_of_birth)
    merged["consent_on"] = changes.get("consent_on", person.consent_on)
    _validate_person(merged)
    for key, value in changes.items():
        if key in PERSON_FIELDS:
            setattr(person, key, PersonKind(value) if key == "kind" else value)
    if "name" in changes:
        person.normalised_name = normalise_name(person.name)
    person.normalised_address = normalise_address(person.address, person.postcode)
    db.session.flush()
    record_change(actor, person, before, snapshot(person, PERSON_FIELDS), f"Changed person {person.name}")
    return person


def view_person(actor: Any, person: Person) -> None:
    record_view(actor, person, f"Viewed person {person.id}")


def person_cases(actor: Any, person: Person) -> list[Case]:
    """The cases the actor can see on which the person is a party."""
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(
                Case.id.in_(sa.select(CaseParty.case_id).where(CaseParty.person_id == person.id)),
                visible_cases_clause(actor),
            )
            .options(sa.orm.joinedload(Case.area), sa.orm.joinedload(Case.owner))
            .order_by(Case.created_at.desc())
        )
    )
