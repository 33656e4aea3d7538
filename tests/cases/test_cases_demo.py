"""The casework demo data loads, loads again without changing anything, and shows what it promises."""

from __future__ import annotations

from casework.cases.models import Case, CaseReviewExplanation, Complaint, Incident, Person
from casework.extensions import db


def test_demo_is_idempotent_and_meets_the_threshold(app, db_session):
    from casework.cases.demo import load_cases
    from casework.demo.data import load_accounts

    load_accounts("demo-password-for-tests")
    load_cases("demo-password-for-tests")
    counts = [db.session.query(model).count() for model in (Person, Case, Incident, Complaint)]
    load_cases("demo-password-for-tests")
    assert [db.session.query(model).count() for model in (Person, Case, Incident, Complaint)] == counts

    cases = {c.reference.split("-")[0] for c in db.session.query(Case)}
    assert cases == {"BOL", "NED"}
    assert db.session.query(Case).filter_by(is_restricted=True).count() == 1
    shared_with_police = [c for c in db.session.query(Case) if any(s.agency.code == "DERPOL" for s in c.shares)]
    assert shared_with_police
    # Margaret Holmes: three incidents in the last three months, each reported within a month.
    margaret = db.session.query(Person).filter_by(name="Margaret Holmes").one()
    incidents = (
        db.session.query(Incident)
        .join(Complaint)
        .filter(Complaint.complainant_person_id == margaret.id)
        .distinct()
        .all()
    )
    assert len(incidents) == 3
    assert db.session.query(CaseReviewExplanation).filter_by(person_id=margaret.id).count() == 1
