"""The demo Case Reviews load, at each stage, and loading again adds nothing."""

from __future__ import annotations

import sqlalchemy as sa

from casework.community_triggers.demo import load_case_reviews
from casework.community_triggers.models import TriggerApplication
from casework.demo.data import load_accounts
from casework.extensions import db


def test_demo_case_reviews_are_idempotent(db_session):
    load_accounts("demo-password-for-tests")
    load_case_reviews("demo-password-for-tests")
    load_case_reviews("demo-password-for-tests")
    statuses = db.session.scalars(sa.select(TriggerApplication.status).order_by(TriggerApplication.id)).all()
    assert sorted(s.value for s in statuses) == sorted(
        ["received", "meeting_arranged", "review_concluded", "threshold_not_met", "threshold_not_met", "withdrawn"]
    )
