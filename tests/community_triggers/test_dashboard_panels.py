"""The coordinator's and the chair's dashboard panels."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from markupsafe import escape

from casework.community_triggers import services
from casework.community_triggers.dashboard import chair_panel, coordinator_panel
from casework.extensions import db
from casework.reminders.models import Deadline


def test_the_coordinator_sees_applications_by_stage_with_the_next_deadline(ct, app):
    received = ct.register()
    met = ct.register()
    services.decide_threshold(
        ct.coordinator, met, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    withdrawn = ct.register()
    services.withdraw(ct.coordinator, withdrawn, withdrawn_on=date(2026, 3, 10), reason="r")
    db.session.commit()

    with app.test_request_context():
        data = coordinator_panel(ct.coordinator)
    references = [row["reference"] for row in data["applications"]]
    assert references == [received.reference, met.reference]  # by stage; withdrawn is not in hand
    first = data["applications"][0]
    assert first["next_due_on"] == date(2026, 3, 9)
    assert first["is_overdue"] is True  # acknowledge was due Monday 9 March; today is the 10th
    assert first["next_deadline"] == "Acknowledge the application"
    # The deadlines themselves are listed once, by the reminders panel, not again here.
    assert "deadlines" not in data


def test_the_coordinator_panel_excludes_other_areas(ct, app):
    ct.register()
    with app.test_request_context():
        assert coordinator_panel(ct.outsider)["applications"] == []


def test_the_chair_sees_the_reviews_they_chair(ct, app, page_client):
    application = ct.register()
    services.decide_threshold(
        ct.coordinator, application, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    services.arrange_meeting(ct.coordinator, application, scheduled_on=date(2026, 3, 20), chair=ct.chair)
    db.session.commit()
    with app.test_request_context():
        reviews = chair_panel(ct.chair)["reviews"]
        assert chair_panel(ct.other_chair)["reviews"] == []
    assert [r["reference"] for r in reviews] == [application.reference]
    assert reviews[0]["meeting_at"] == date(2026, 3, 20)
    page = page_client(ct.chair).get("/")
    assert page.status_code == 200
    assert application.reference in page.get_data(as_text=True)


def test_the_coordinators_dashboard_page_shows_the_panel(ct, page_client):
    application = ct.register()
    page = page_client(ct.coordinator).get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert application.reference in html
    assert "Next deadline" in html
    assert "Overdue" in html


def test_the_coordinator_sees_the_outcome_letters_waiting_for_completeness(ct, app):
    from casework.community_triggers import completeness

    waiting = ct.register()
    services.decide_threshold(
        ct.coordinator, waiting, met=True, basis="automatic", reasons=None, decided_on=date(2026, 3, 9)
    )
    meeting = services.arrange_meeting(ct.coordinator, waiting, scheduled_on=date(2026, 3, 10), chair=ct.chair)
    db.session.commit()
    with app.test_request_context():
        assert coordinator_panel(ct.coordinator)["awaiting_completeness"] == []  # not held yet
    services.record_outcome(ct.chair, meeting, held_on=date(2026, 3, 10), minutes="m", victim_invited=True)
    db.session.commit()
    with app.test_request_context():
        [item] = coordinator_panel(ct.coordinator)["awaiting_completeness"]
    assert item["reference"] == waiting.reference
    assert item["href"] == f"/case-reviews/{waiting.id}/meetings/{meeting.id}/complete"
    services.update_meeting(ct.coordinator, meeting, attendees=[{"name": "Charles Chair"}])
    completeness.confirm_complete(
        ct.coordinator,
        meeting,
        missing_information={ct.council: "Oral.", ct.police: "Oral."},
        victim_not_consulted_reason="Declined.",
    )
    db.session.commit()
    with app.test_request_context():
        assert coordinator_panel(ct.coordinator)["awaiting_completeness"] == []


def test_the_coordinators_home_lists_each_deadline_once(ct, page_client):
    """One source: the coordinator's own deadlines appear in Overdue or Due soon, once each."""
    application = ct.register()
    html = page_client(ct.coordinator).get("/").get_data(as_text=True)
    titles = list(
        db.session.scalars(
            sa.select(Deadline.title).where(
                Deadline.subject_type == "trigger_applications",
                Deadline.subject_id == application.id,
                Deadline.owner_id == ct.coordinator.id,
            )
        )
    )
    overdue_and_soon = [title for title in titles if escape(title) in html]
    assert overdue_and_soon, "the coordinator's deadlines are on the home page"
    for title in overdue_and_soon:
        assert html.count(escape(title)) == 1, title
    assert ">Deadlines<" not in html
