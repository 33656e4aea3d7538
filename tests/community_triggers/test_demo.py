"""The demo Case Reviews load, at each stage, and loading again adds nothing."""

from __future__ import annotations

import sqlalchemy as sa

from casework.community_triggers.demo import load_case_reviews
from casework.community_triggers.models import Letter, LetterKind, LetterRecipient, TriggerApplication
from casework.demo.data import load_accounts
from casework.extensions import db


def test_demo_case_reviews_are_idempotent(db_session):
    load_accounts("demo-password-for-tests")
    load_case_reviews("demo-password-for-tests")
    load_case_reviews("demo-password-for-tests")
    applications = db.session.scalars(sa.select(TriggerApplication).order_by(TriggerApplication.id)).all()
    assert sorted(a.status.value for a in applications) == sorted(
        [
            "withdrawn",  # the repeat applicant's earlier application
            "received",
            "meeting_arranged",
            "review_concluded",  # confirmed complete, the outcome sent
            "review_concluded",  # held, waiting to be confirmed complete
            "threshold_not_met",
            "threshold_not_met",  # taken to the Police and Crime Commissioner
            "withdrawn",
        ]
    )
    by_name = {a.applicant_name: a for a in applications}
    # Something for every new page to show in the crawl.
    assert by_name["Demo: Alex Green"].repeat_handling is not None
    concluded = by_name["Demo: Tom Wright"]
    meeting = concluded.meetings[-1]
    assert meeting.completeness_confirmed_on is not None
    assert meeting.agenda_items
    assert meeting.proportionality_assessments
    assert concluded.lessons_reviews
    outcome = db.session.scalars(
        sa.select(Letter.recipient).where(Letter.application_id == concluded.id, Letter.kind == LetterKind.outcome)
    ).all()
    assert sorted(outcome) == [LetterRecipient.applicant, LetterRecipient.victim]
    waiting = by_name["Demo: Lena Ford"].meetings[-1]
    assert waiting.held_on is not None
    assert waiting.completeness_confirmed_on is None
