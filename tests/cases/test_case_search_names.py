"""The case search finds a party's name through its copy beside the party (``CaseParty.person_name``,
written by the database's triggers, migration 0510): the copy follows every write that changes a
party's name (a party added through the API, the staff page or the ledger, a person's name edited, a
merge and its undo, retention's anonymisation, a party removed), on both backends, and a name search
answers every role what it answered when it read the people. Likewise a shared case's words through
their copy beside the share (``CaseShare.case_text``, migration 0511): a share made, the case's texts
edited or anonymised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.cases.models import Case, CaseParty, CaseShare, Person
from casework.cases.policies import visible_cases_clause
from casework.cases.services import add_party
from casework.data_protection.tasks import apply_retention
from casework.extensions import db
from tests.cases.test_case_search import found


def copies_out_of_step() -> list[tuple[int, str | None, str]]:
    """Every party whose copy of the name is not its person's name (none, when the triggers work)."""
    db.session.expire_all()
    return [
        tuple(row)  # type: ignore[misc]
        for row in db.session.execute(
            sa.select(CaseParty.id, CaseParty.person_name, Person.normalised_name)
            .join(Person, Person.id == CaseParty.person_id)
            .where(sa.or_(CaseParty.person_name.is_(None), CaseParty.person_name != Person.normalised_name))
        )
    ]


#: Every role of the test partnership, whether or not it may search cases.
ROLES = ("officer", "manager", "coordinator", "other_officer", "partner", "police_officer", "chair", "admin")


def searched_as_every_role(api_client: Any, world: Any, term: str) -> list[tuple[str, Any, Any]]:
    """(role, user, answer) of the API case search for ``term``, for each role allowed to search."""
    searched = []
    for name in ROLES:
        user = getattr(world, name)
        response = api_client(user).get("/api/v1/cases", query_string={"q": term})
        if response.status_code in (403, 404):
            continue
        assert response.status_code == 200, (name, response.json)
        searched.append((name, user, response))
    return searched


def name_searched_as_the_people_say(user: Any, term: str) -> set[int]:
    """The visible cases with a party whose name (read from the people) contains ``term``: what the
    search answered before the copy."""
    from casework.cases.policies import visible_cases_clause
    from casework.cases.services import normalise_name

    needle = normalise_name(term)
    return set(
        db.session.scalars(
            sa.select(Case.id)
            .where(visible_cases_clause(user))
            .where(
                sa.exists().where(
                    CaseParty.case_id == Case.id,
                    CaseParty.person_id == Person.id,
                    sa.func.instr(Person.normalised_name, needle) > 0
                    if db.engine.dialect.name == "sqlite"
                    else sa.func.strpos(Person.normalised_name, needle) > 0,
                )
            )
        )
    )


def test_a_party_added_is_found_by_name_and_its_copy_is_the_persons_name(api_client, world, open_case, person):
    victim = person("Margaret  HOLMES")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}])
    other = open_case(summary="Graffiti")
    witness = person("Ada Lovelace")
    add_party(world.officer, db.session.get(Case, other["id"]), witness, "witness")
    db.session.commit()
    client = api_client(world.officer)
    assert found(client, q="holmes") == [case["reference"]]
    assert found(client, q="margaret holmes") == [case["reference"]], "runs of spaces collapsed, as normalised"
    assert found(client, q="LOVELACE") == [other["reference"]]
    assert copies_out_of_step() == []
    db.session.expire_all()
    assert db.session.get(CaseParty, db.session.get(Case, case["id"]).parties[0].id).person_name == "margaret holmes"


def test_a_persons_new_name_is_found_and_the_old_one_is_not(api_client, world, open_case, person):
    victim = person("Vera Victim")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}])
    client = api_client(world.officer)
    version = client.get(f"/api/v1/people/{victim}").json["version"]
    renamed = client.patch(f"/api/v1/people/{victim}", json={"name": "Vera Marchbanks", "version": version})
    assert renamed.status_code == 200, renamed.json
    assert found(client, q="marchbanks") == [case["reference"]]
    assert found(client, q="victim") == []
    assert copies_out_of_step() == []


def test_a_merge_and_its_undo_move_the_name_with_the_parties(api_client, world, open_case, person):
    with time_machine.travel(datetime(2027, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        kept = person("Vera Victim", date_of_birth="1950-01-01")
        duplicate = person("Vera Victimm", date_of_birth="1950-01-01")
        first = open_case(parties=[{"person_id": kept, "role": "victim"}, {"person_id": duplicate, "role": "victim"}])
        second = open_case(parties=[{"person_id": duplicate, "role": "witness"}], summary="Graffiti")
        client = api_client(world.officer)
        assert found(client, q="victimm") == [second["reference"], first["reference"]]
        merged = client.post(f"/api/v1/people/{kept}/merge", json={"merged_person_id": duplicate})
        assert merged.status_code == 200, merged.json
        # The duplicate's party on the first case is removed (the kept person is its victim already);
        # on the second case it is the kept person's now, under the kept name.
        assert found(client, q="victimm") == []
        assert set(found(client, q="vera victim")) == {first["reference"], second["reference"]}
        assert copies_out_of_step() == []
        undone = client.post(f"/api/v1/person-merges/{merged.json['id']}/undo")
        assert undone.status_code == 200, undone.json
        assert set(found(client, q="victimm")) == {first["reference"], second["reference"]}
        assert copies_out_of_step() == []


def test_an_anonymised_persons_name_is_gone_from_the_copy_and_the_search(api_client, world, open_case, person):
    victim = person("Zebedee Quartermaine", date_of_birth="1950-01-01")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}])
    client = api_client(world.officer)
    closed = client.post(f"/api/v1/cases/{case['id']}/close", json={"reason": "Resolved", "closed_on": None})
    assert closed.status_code == 200, closed.json
    assert found(client, q="quartermaine") == [case["reference"]]
    closed_on = db.session.get(Case, case["id"]).closed_on
    day_after = closed_on.replace(year=closed_on.year + 6) + timedelta(days=1)
    with time_machine.travel(day_after.isoformat() + " 12:00Z"):
        assert apply_retention() == {"cases": 1, "people": 1}
    assert found(client, q="quartermaine") == []
    assert copies_out_of_step() == []
    names = db.session.scalars(sa.select(CaseParty.person_name).where(CaseParty.person_id == victim)).all()
    assert names == [f"person {victim} (anonymised)"]


def test_a_removed_party_is_not_found(api_client, world, open_case, person):
    victim = person("Zebedee Quartermaine")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}])
    client = api_client(world.officer)
    assert found(client, q="quartermaine") == [case["reference"]]
    db.session.execute(sa.delete(CaseParty).where(CaseParty.case_id == case["id"]))
    db.session.commit()
    assert found(client, q="quartermaine") == []


def test_the_copy_cannot_be_written_apart_from_the_persons_name(api_client, world, open_case, person):
    """Whatever writes the copy, the database puts the person's name back (a party moved to another
    person by a bulk UPDATE, as a merge does, or the copy itself overwritten)."""
    first = person("Ada Lovelace")
    second = person("Grace Hopper")
    case = open_case(parties=[{"person_id": first, "role": "victim"}])
    db.session.execute(sa.update(CaseParty).where(CaseParty.case_id == case["id"]).values(person_name="someone else"))
    db.session.commit()
    assert copies_out_of_step() == []
    db.session.execute(sa.update(CaseParty).where(CaseParty.case_id == case["id"]).values(person_id=second))
    db.session.commit()
    assert copies_out_of_step() == []
    assert found(api_client(world.officer), q="hopper") == [case["reference"]]
    assert found(api_client(world.officer), q="lovelace") == []


def test_a_name_search_answers_every_role_what_the_people_answer(api_client, world, open_case, person):
    """Visibility: the lead agency's cases, the shared ones, the restricted ones for their named users
    only, and nothing of another council's; compared for every user of the partnership."""
    holmes = person("Sherlock Holmes")
    theirs_holmes = person("Mycroft Holmes", user=world.other_officer)
    own = open_case(parties=[{"person_id": holmes, "role": "victim"}])
    restricted = open_case(parties=[{"person_id": holmes, "role": "witness"}], is_restricted=True)
    theirs = open_case(
        user=world.other_officer, area_code="NED", parties=[{"person_id": theirs_holmes, "role": "perpetrator"}]
    )
    shared = open_case(
        user=world.other_officer,
        area_code="NED",
        parties=[{"person_id": theirs_holmes, "role": "victim"}],
        shared_with=["DERPOL"],
    )
    open_case(parties=[{"person_id": person("John Watson"), "role": "victim"}])
    api_client(world.officer).post(f"/api/v1/cases/{own['id']}/share", json={"agency_code": "DERPOL"})
    expected = {
        "officer": {own["id"], restricted["id"]},
        "manager": {own["id"]},
        "other_officer": {theirs["id"], shared["id"]},
        "partner": {own["id"], shared["id"]},
        "police_officer": {own["id"], shared["id"]},
    }
    for name, user, response in searched_as_every_role(api_client, world, "holmes"):
        answered = {item["id"] for item in response.json["items"]}
        assert answered == name_searched_as_the_people_say(user, "holmes"), name
        assert response.json["total"] == len(answered), name
        if name in expected:
            assert answered == expected[name], name


# --- the texts of a shared case beside its share (``CaseShare.case_text``, migration 0511) ---------------


def share_copies_out_of_step() -> list[tuple[int, int]]:
    """Every share whose copy is not its case's reference, summary and location (none, when the
    triggers work)."""
    db.session.expire_all()
    wrong = []
    for share, case in db.session.execute(sa.select(CaseShare, Case).join(Case, Case.id == CaseShare.case_id)):
        if share.case_text != "\n".join([case.reference or "", case.summary or "", case.location or ""]):
            wrong.append((share.case_id, share.agency_id))
    return wrong


def test_a_shared_case_is_found_by_its_words_as_they_change(api_client, world, open_case):
    shared = open_case(summary="Loud music from the flat", location="Station Road", shared_with=["DERPOL"])
    later = open_case(summary="Graffiti on the bridge")
    open_case(summary="Music in the park")  # not shared
    partner = api_client(world.partner)
    assert found(partner, q="music") == [shared["reference"]]
    assert found(partner, q="station road") == [shared["reference"]]
    assert found(partner, q="graffiti") == []
    assert api_client(world.officer).post(
        f"/api/v1/cases/{later['id']}/share", json={"agency_code": "DERPOL"}
    ).status_code in (200, 201)
    assert found(partner, q="graffiti") == [later["reference"]]
    officer = api_client(world.officer)
    version = officer.get(f"/api/v1/cases/{shared['id']}").json["version"]
    edited = officer.patch(
        f"/api/v1/cases/{shared['id']}", json={"version": version, "summary": "Shouting at night", "location": None}
    )
    assert edited.status_code == 200, edited.json
    assert found(partner, q="music") == []
    assert found(partner, q="station") == []
    assert found(partner, q="shouting at") == [shared["reference"]]
    assert share_copies_out_of_step() == []


def test_a_term_across_two_texts_is_not_found_unless_a_text_has_it(api_client, world, open_case):
    """The copy joins the texts with line breaks: a term with one in it is matched in the cases' own
    texts, so it finds a summary of two lines and never the end of one text with the start of the next."""
    two_lines = open_case(summary="Loud music\nat night", location="Elm Street", shared_with=["DERPOL"])
    partner = api_client(world.partner)
    assert found(partner, q="night\nElm") == []
    assert found(partner, q="music\nat") == [two_lines["reference"]]
    assert found(partner, q=f"{two_lines['reference']}\nLoud") == []


def test_a_shared_case_is_ranked_by_its_reference_and_filtered_by_area_and_status(api_client, world, open_case):
    bol = open_case(summary="Noise", shared_with=["DERPOL"])
    ned = open_case(
        user=world.other_officer, area_code="NED", summary=f"See {bol['reference']}", shared_with=["DERPOL"]
    )
    partner = api_client(world.partner)
    assert found(partner, q=bol["reference"]) == [bol["reference"], ned["reference"]], "the exact reference first"
    assert found(partner, q=bol["reference"], area="NED") == [ned["reference"]]
    assert found(partner, q=bol["reference"], status="closed") == []


def test_an_anonymised_shared_case_leaves_nothing_in_the_copy(api_client, world, open_case):
    case = open_case(summary="Zebedee Quartermaine shouting", location="Quartermaine Court", shared_with=["DERPOL"])
    closed = api_client(world.officer).post(
        f"/api/v1/cases/{case['id']}/close", json={"reason": "Resolved", "closed_on": None}
    )
    assert closed.status_code == 200, closed.json
    assert found(api_client(world.partner), q="quartermaine") == [case["reference"]]
    closed_on = db.session.get(Case, case["id"]).closed_on
    with time_machine.travel((closed_on.replace(year=closed_on.year + 6) + timedelta(days=1)).isoformat() + " 12:00Z"):
        assert apply_retention()["cases"] == 1
    assert found(api_client(world.partner), q="quartermaine") == []
    assert share_copies_out_of_step() == []
    assert "uartermaine" not in (db.session.scalar(sa.select(CaseShare.case_text)) or "")


def test_a_word_search_answers_every_role_what_the_cases_texts_answer(api_client, world, open_case):
    own = open_case(summary="Music at number 4", shared_with=["DERPOL"])
    restricted = open_case(summary="Music and threats", is_restricted=True, shared_with=["DERPOL"])
    theirs = open_case(user=world.other_officer, area_code="NED", summary="Music upstairs")
    shared = open_case(user=world.other_officer, area_code="NED", location="Music Hall", shared_with=["DERPOL"])
    open_case(summary="Dogs barking", shared_with=["DERPOL"])
    expected = {
        "officer": {own["id"], restricted["id"]},
        "other_officer": {theirs["id"], shared["id"]},
        "partner": {own["id"], shared["id"]},
    }
    for name, user, response in searched_as_every_role(api_client, world, "music"):
        answered = {item["id"] for item in response.json["items"]}
        in_texts = sa.or_(Case.summary.ilike("%music%"), Case.location.ilike("%music%"))
        assert answered == set(db.session.scalars(sa.select(Case.id).where(visible_cases_clause(user), in_texts))), name
        if name in expected:
            assert answered == expected[name], name
