"""The case page and the case API answer run a handful of statements, whatever the case holds.

Every section (parties, the incident and complaint ledger, notes, second-report tasks, links, risk,
actions, interventions with their breaches, the timeline) is loaded once, the visibility and
permissions of the user are worked out once per request, and a user's roles load with the user.
"""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from tests.interventions.world import world  # noqa: F401
from tests.support.orm_loading import statements_through_the_orm
from tests.support.risk_answers import ALL_NO

#: The most statements a case view may run (issue 15: 8 or fewer): the signed-in user (or the token and
#: its user); the case with its visibility; the journal (notes, changes, links); every domain's records
#: of the case in three statements: the ledger (incidents and complaints) and the interventions (with
#: their breaches and reviews) each in one of their own, so that their rows, which multiply with the
#: case, carry only their own columns, and the rest together (risk, actions, documents, the threshold
#: watch's entries of its victims, their victim-page accesses and diary); and the view entries for the
#: case and everything else the page shows, written together after the answer by casework.audit.reads
#: (2 inserts however many records were shown, without reloading the user).
CASE_VIEW_STATEMENTS = 8


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


@pytest.fixture
def fill(world: Any, api_client: Any):  # noqa: F811
    """``fill(n)`` adds ``n`` of everything a case page shows, by several users of several agencies."""
    officer = api_client(world.officer)
    partner = api_client(world.partner)
    linked = world.new_case(reference="BOL-2026-0002")
    officer.post(f"/api/v1/cases/{world.case.id}/links", json={"case_id": linked.id})

    def add(n: int) -> None:
        case_path = f"/api/v1/cases/{world.case.id}"
        for day in range(1, n + 1):
            occurred = f"2026-10-{day:02d}"
            for client, agency in ((officer, "BDC"), (partner, "POL")):
                response = client.post(
                    f"{case_path}/incidents",
                    json={
                        "occurred_on": occurred,
                        "description": "Shouting",
                        "complaints": [
                            {"complainant_person_id": world.victim.id, "reported_on": occurred, "agency_code": agency},
                            {"complainant_person_id": world.adult.id, "reported_on": occurred, "agency_code": "BDC"},
                        ],
                    },
                )
                assert response.status_code == 201, response.get_json()
                assert client.post(f"{case_path}/notes", json={"text": "Visited"}).status_code == 201
            assert officer.post(f"{case_path}/risk-assessments", json={"answers": ALL_NO}).status_code == 201
            assert (
                officer.post(f"{case_path}/actions", json={"description": "Fit locks", "due_on": "2026-11-01"})
            ).status_code == 201
            abc = partner.post(
                f"{case_path}/interventions",
                json={"kind": "abc", "subject_person_id": world.adult.id, "issued_on": "2026-10-01"},
            )
            assert abc.status_code == 201, abc.get_json()
            breach = officer.post(
                f"/api/v1/interventions/{abc.get_json()['id']}/breaches",
                json={"occurred_on": "2026-11-01", "description": "Shouted"},
            )
            assert breach.status_code == 201

    return add


def _statements(count_queries: Any, call: Any) -> list[str]:
    with count_queries() as counter:
        response = call()
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return counter.statements


#: The roles that see the world's case (a council officer's case shared with the police).
CASE_VIEWERS = ["officer", "coordinator", "manager", "partner"]


def test_every_role_that_sees_the_case_is_counted(world, page_client):  # noqa: F811
    """The statement tests below run for each role that can see a case, none left out."""
    seeing = []
    for name in ("officer", "manager", "coordinator", "partner", "unshared_partner", "chair", "admin", "stranger"):
        user = getattr(world, name, None)
        if user is not None and page_client(user).get(f"/cases/{world.case.id}").status_code == 200:
            seeing.append(name)
    assert sorted(seeing) == sorted(CASE_VIEWERS)


@pytest.mark.parametrize("viewer", CASE_VIEWERS)
def test_case_api_answer_runs_a_handful_of_statements(world, fill, api_client, count_queries, viewer):  # noqa: F811
    client = api_client(getattr(world, viewer))
    fill(1)
    small = _statements(count_queries, lambda: client.get(f"/api/v1/cases/{world.case.id}"))
    fill(4)
    large = _statements(count_queries, lambda: client.get(f"/api/v1/cases/{world.case.id}"))
    assert len(large) == len(small), "\n".join(large)
    assert len(large) <= CASE_VIEW_STATEMENTS, "\n".join(" ".join(s.split())[:150] for s in large)


@pytest.mark.parametrize("viewer", CASE_VIEWERS)
def test_case_page_runs_a_handful_of_statements(world, fill, page_client, count_queries, viewer):  # noqa: F811
    client = page_client(getattr(world, viewer))
    fill(1)
    small = _statements(count_queries, lambda: client.get(f"/cases/{world.case.id}"))
    fill(4)
    large = _statements(count_queries, lambda: client.get(f"/cases/{world.case.id}"))
    assert len(large) == len(small), "\n".join(large)
    assert len(large) <= CASE_VIEW_STATEMENTS, "\n".join(" ".join(s.split())[:150] for s in large)


def test_the_watch_flag_and_the_victim_page_come_with_every_domains_records(
    world,  # noqa: F811
    fill,
    page_client,
    count_queries,
):
    """The threshold watch's "one more qualifying report" flag, the victim page's access and its diary
    are read with the other domains' records of the case: no statement of their own."""
    from datetime import date

    from casework.extensions import db
    from casework.threshold_watch.models import WatchEntry
    from casework.victims.models import DiaryEntry, VictimAccess

    fill(1)
    client = page_client(world.officer)
    path = f"/cases/{world.case.id}"  # read before the commit below expires the case
    before = _statements(count_queries, lambda: client.get(path))
    db.session.add_all(
        [
            WatchEntry(
                area_id=world.case.area_id,
                person_id=world.victim.id,
                case_ids=[world.case.id],
                qualifying_count=2,
                threshold=3,
                short_by=1,
                working={},
                evaluated_on=date(2026, 11, 23),
            ),
            VictimAccess(person_id=world.victim.id, email="vera@example.org", contact_checked_on=date(2026, 11, 1)),
            DiaryEntry(
                person_id=world.victim.id,
                case_id=world.case.id,
                happened_on=date(2026, 11, 20),
                what_happened="Music at 3am again",
            ),
        ]
    )
    db.session.commit()
    with count_queries() as counter:
        response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vera Victim:</strong> one more qualifying report would meet the threshold" in page
    assert "Music at 3am again" in page
    assert 'Change<span class="govuk-visually-hidden"> the victim page for Vera Victim' in page
    assert counter.count == len(before) <= CASE_VIEW_STATEMENTS, "\n".join(
        " ".join(s.split())[:300] for s in counter.statements
    )


def test_the_records_that_multiply_come_in_statements_of_their_own(world, fill, page_client, count_queries):  # noqa: F811
    """A row of the statement shared by every domain's records carries every part's columns: the ledger
    (a row per complaint) and the interventions (a row per breach and review) are read apart, each
    statement carrying only its part's tables."""
    fill(2)
    statements = _statements(count_queries, lambda: page_client(world.officer).get(f"/cases/{world.case.id}"))
    ledger = [s for s in statements if "complaints" in s]
    breaches = [s for s in statements if "intervention_breaches" in s]
    assert len(ledger) == 1, "\n".join(statements)
    assert len(breaches) == 1, "\n".join(statements)
    for statement in (*ledger, *breaches):
        assert ("intervention_breaches" in statement) != ("complaints" in statement)
        assert "risk_assessments" not in statement
        assert "victim_diary_entries" not in statement


@pytest.mark.parametrize("path", ["/cases/{}", "/api/v1/cases/{}"])
def test_the_cases_own_collections_come_with_the_ledger(world, fill, page_client, api_client, count_queries, path):  # noqa: F811
    """The case's parties, shares, named users and second-report tasks are read as values in the
    ledger's statement, not joined to the case's row (where they multiplied each other's rows and the
    ORM set up a dozen entities on every load), nor in the statement every other domain's records
    share (whose cost grows faster than its parts)."""
    fill(1)
    client = page_client(world.officer) if path.startswith("/cases") else api_client(world.officer)
    statements = _statements(count_queries, lambda: client.get(path.format(world.case.id)))
    for part in ("case_parties", "case_shares", "case_access", "case_explanations"):
        reading = [s for s in statements if f" AS {part}__" in s]  # its columns, labelled by the part
        assert len(reading) == 1, (part, statements)
        assert "complaints" in reading[0], part
        assert "risk_assessments" not in reading[0], part
    case_statement = next(s for s in statements if s.lstrip().startswith("SELECT cases.id"))
    assert "case_parties" not in case_statement
    assert "case_review_explanations" not in case_statement


def test_every_domains_records_are_read_without_the_orms_loading(app, world, fill):  # noqa: F811
    """Records read as values are run by the session's connection: the ORM's loading, which would set
    up a row processor for each of the statements' hundreds of labelled columns on every execution,
    never sees them."""
    from casework.cases import sections
    from casework.extensions import db

    fill(1)
    with statements_through_the_orm() as through_the_orm, app.test_request_context(f"/cases/{world.case.id}"):
        read = sections._every_domains_records(world.case.id)
    assert read["incidents"]
    assert read["case_parties"]
    assert through_the_orm == []
    db.session.rollback()


def test_the_case_journal_is_read_without_the_orms_loading(app, world, fill):  # noqa: F811
    """The notes, changes and linked cases come as values, run by the session's connection
    (``casework.core.db.execute_values``), not through the ORM's loading."""
    from casework.cases.services.reading import case_journal
    from casework.extensions import db

    fill(1)
    with statements_through_the_orm() as through_the_orm, app.test_request_context(f"/cases/{world.case.id}"):
        journal = case_journal(world.case)
    assert journal.notes or journal.events
    assert through_the_orm == []
    db.session.rollback()


def _add_every_kind_of_record(case_world: Any) -> None:
    """What ``fill`` cannot add through the API: a removed document about an incident, a review (two
    of them, so an intervention's rows are its breaches times its reviews), a live victim-page access,
    a diary entry, if the complaints did not make one, a watch entry, and a second agency shared with
    and two named users (rows whose primary key is the case and one more column: each must come apart)."""
    from datetime import UTC, date, datetime

    import sqlalchemy as sa

    from casework.cases.models import CaseAccess, CaseShare, Incident
    from casework.documents.models import Document, DocumentKind
    from casework.extensions import db
    from casework.interventions.models import Intervention, InterventionReview, ReviewOutcome
    from casework.threshold_watch.models import WatchEntry
    from casework.victims.models import DiaryEntry, VictimAccess

    incident = db.session.scalars(sa.select(Incident).where(Incident.case_id == case_world.case.id)).first()
    intervention = db.session.scalars(sa.select(Intervention).where(Intervention.case_id == case_world.case.id)).first()
    db.session.add_all(
        [
            Document(
                case_id=case_world.case.id,
                incident_id=incident.id,
                kind=DocumentKind.photo,
                filename="door.jpg",
                content_type="image/jpeg",
                size=2048,
                uploaded_by_id=case_world.officer.id,
                removed_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
                removed_by_id=case_world.manager.id,
                removal_reason="Uploaded to the wrong case",
            ),
            *(
                InterventionReview(
                    intervention_id=intervention.id,
                    reviewed_on=date(2026, 11, day),
                    outcome=next(iter(ReviewOutcome)),
                    notes=f"Review {day}",
                    recorded_by_id=case_world.officer.id,
                )
                for day in (12, 5)
            ),
            VictimAccess(
                person_id=case_world.victim.id, email="vera@example.org", contact_checked_on=date(2026, 11, 1)
            ),
            DiaryEntry(
                person_id=case_world.victim.id,
                case_id=case_world.case.id,
                happened_on=date(2026, 11, 20),
                what_happened="Music at 3am again",
            ),
            CaseShare(case_id=case_world.case.id, agency_id=case_world.other.id),
            CaseAccess(case_id=case_world.case.id, user_id=case_world.officer.id),
            CaseAccess(case_id=case_world.case.id, user_id=case_world.colleague.id),
        ]
    )
    watched = sa.select(WatchEntry).where(
        WatchEntry.area_id == case_world.case.area_id, WatchEntry.person_id == case_world.victim.id
    )
    if db.session.scalars(watched).first() is None:  # the complaints recorded may have made it already
        db.session.add(
            WatchEntry(
                area_id=case_world.case.area_id,
                person_id=case_world.victim.id,
                case_ids=[case_world.case.id],
                qualifying_count=2,
                threshold=3,
                short_by=1,
                working={"complaints": []},
                evaluated_on=date(2026, 11, 23),
            )
        )
    db.session.commit()


def _same(record: Any, entity: Any, shape: Any, path: str) -> None:
    """``record`` (read as values) holds what ``entity`` (loaded by the ORM) holds, as far as ``shape``
    selects: its columns, the records it names and its collections, in their order."""
    assert type(record).entity is type(entity), path
    for name, _label in shape.columns:
        assert getattr(record, name) == getattr(entity, name), f"{path}.{name}"
    for name, value in vars(type(record)).items():
        if isinstance(value, property):  # the entity's own (``Document.kind_label``)
            assert getattr(record, name) == getattr(entity, name), f"{path}.{name}"
    for name, _relationship, named in shape.named:
        if getattr(entity, name) is None:
            assert getattr(record, name) is None, f"{path}.{name}"
        else:
            _same(getattr(record, name), getattr(entity, name), named, f"{path}.{name}")
    for name, _relationship, items in shape.collections:
        assert len(getattr(record, name)) == len(getattr(entity, name)), f"{path}.{name}"
        for i, (item, loaded) in enumerate(zip(getattr(record, name), getattr(entity, name), strict=True)):
            _same(item, loaded, items, f"{path}.{name}[{i}]")


def test_every_domains_records_read_as_values_hold_what_their_entities_hold(app, world, fill):  # noqa: F811
    """Every part of the case record is read as values (``casework.cases.sections.RecordValues``), not
    as entities: each holds the columns, named records and collections, in the same order, that the ORM
    loads for it, and its reading notes the same records as shown (the audit log's view entries) as
    loading the entities does."""
    import sqlalchemy as sa
    from flask import g

    from casework.cases import sections
    from casework.core.registry import registry
    from casework.extensions import db

    fill(2)
    _add_every_kind_of_record(world)
    case_id = world.case.id
    parts = list(registry().case_records.values())
    assert all(part.values is not None for part in parts), [part.name for part in parts if part.values is None]

    db.session.expunge_all()  # every record loaded afresh below, so each load is noted as it would be
    with app.test_request_context(f"/cases/{case_id}"):
        read = sections._every_domains_records(case_id)
        assert not list(db.session.identity_map.values()), "values only: no entity loaded"
        shown_by_values = set(g.pop("audit_shown", {}))

    db.session.expunge_all()
    with app.test_request_context(f"/cases/{case_id}"):
        for part in parts:
            statement = sa.select(part.entity).where(part.belongs(case_id)).order_by(*part.order_by)
            entities = db.session.scalars(statement).all()
            assert len(read[part.name]) == len(entities), part.name
            for i, (record, entity) in enumerate(zip(read[part.name], entities, strict=True)):
                _same(record, entity, sections._values_shape(part), f"{part.name}[{i}]")
        shown_by_entities = set(g.pop("audit_shown", {}))

    assert shown_by_values == shown_by_entities
    assert {table for table, _ident in shown_by_values} == {
        "cases",
        "people",
        "actions",
        "risk_assessments",
        "interventions",
    }
    assert all(read[part.name] for part in parts), [part.name for part in parts if not read[part.name]]
    interventions = read["interventions"]
    # An intervention's rows are its breaches times its reviews: each comes once, in its order.
    assert [review.notes for item in interventions for review in item.reviews] == ["Review 5", "Review 12"]
    assert [len(item.breaches) for item in interventions] == [1, 1]


def test_a_records_statement_joins_everything_it_selects_and_orders_by(app, monkeypatch):
    """Two threads building the first records statement at once can each get a part's shape of their
    own (aliases of their own) from ``_values_shape``'s cache. A statement that asked for the shape
    twice ordered by the other thread's aliases, which its joins never brought in, and was cached so for
    the worker's life (found under 8 clients on the national dataset: failed case pages, SQLAlchemy's
    cartesian product warning, a worker killed for its memory). Here every call gives a new shape, as
    such a race would, and every alias the statement names must be one its joins bring in."""
    import re

    from casework.cases import sections
    from casework.core.registry import registry
    from casework.extensions import db

    monkeypatch.setattr(sections, "_values_shape", sections._values_shape.__wrapped__)
    with app.app_context():
        dialect = db.engine.dialect
        groups = sections._statement_groups(tuple(registry().case_records.values()))
        built = [sections._records_statement.__wrapped__(group) for group in groups if len(group) > 1]
    assert built
    for statement in built:
        sql = str(statement.compile(dialect=dialect))
        # Every alias the statement names (in its columns, joins and ORDER BY) is one its joins bring in.
        named = set(re.findall(r"\b(\w+_\d+)\.", sql))
        joined = set(re.findall(r"\bJOIN\s+\w+\s+AS\s+(\w+_\d+)\b", sql))
        assert named, sql[:200]
        assert named <= joined, sorted(named - joined)


def test_threads_building_records_statements_from_the_same_new_aliases_build_them_whole(app, monkeypatch):
    """Each worker thread that first needs a records statement builds it, from the parts' shapes, which
    every thread shares once made (``_values_shape``). SQLAlchemy looks a column up in an index of the
    alias's columns to adapt it, and fills that index on the first look-up, without a lock: a thread
    that found it part filled left a column unadapted, naming the table itself beside its alias, and
    the statement read a cartesian product (seen on the national dataset under 8 clients after the fix
    above). ``casework.core.db.shared_alias`` fills the index before an alias is shared. Here 8 threads
    at a time build every records statement from shapes just made, as a worker's first requests do, and
    every statement must join all it names (SQLAlchemy's check of the FROM clause, made an error)."""
    import threading

    from sqlalchemy.sql.compiler import COLLECT_CARTESIAN_PRODUCTS, WARN_LINTING

    from casework.cases import sections
    from casework.core.registry import registry
    from casework.extensions import db

    with app.app_context():
        dialect = db.engine.dialect
        groups = [
            group
            for group in sections._statement_groups(tuple(registry().case_records.values()))
            if any(part.values is not None for part in group)
        ]
        make_shape = sections._values_shape.__wrapped__
        for _attempt in range(40):
            shapes = {part: make_shape(part) for group in groups for part in group if part.values is not None}
            monkeypatch.setattr(sections, "_values_shape", shapes.__getitem__)
            start = threading.Barrier(8)
            built: list[Any] = []

            threads = [
                threading.Thread(target=_build_records_statements, args=(start, groups, built)) for _ in range(8)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(built) == 8 * len(groups)
            for statement in built:
                # A cartesian product is a warning, which the suite makes an error.
                statement.compile(dialect=dialect, linting=COLLECT_CARTESIAN_PRODUCTS | WARN_LINTING)


def _build_records_statements(start: Any, groups: list[Any], built: list[Any]) -> None:
    from casework.cases import sections

    start.wait()
    built.extend(sections._records_statement.__wrapped__(group) for group in groups)
