"""The independent chair's pages ("My reviews"): only the meetings they are appointed to chair.

The chair reads the application, the agencies' information and the meeting's arrangements, records
the outcome (held on, minutes, proportionality assessment, recommendations) and the victim's views on
the action plan. A meeting chaired by someone else answers 404, so its existence is not revealed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from casework.accounts.queries import all_agencies
from casework.audit.services import record_view
from casework.community_triggers import letters, policies, queries, services
from casework.community_triggers.forms import (
    AttendeeForm,
    OutcomeForm,
    error_items,
)
from casework.community_triggers.models import (
    ReviewMeeting,
)
from casework.community_triggers.views.staff import agency_choices, attendees_with
from casework.core.dates import add_working_days
from casework.core.db import commit, records_view
from casework.core.errors import InvalidInput, NotFound
from casework.core.forms import show_service_errors
from casework.core.permissions import Permission, requires
from casework.extensions import db

bp = Blueprint("reviews", __name__, url_prefix="/my-reviews")


def _chaired_meeting(meeting_id: int, *, write: bool = False) -> ReviewMeeting:
    """The meeting the user chairs; ``write``: for a step on it, refused when its application was
    anonymised under the retention policy (``policies.refuse_anonymised``)."""
    meeting = queries.meeting_with_id(meeting_id)
    if meeting is None or not policies.can_chair(current_user, meeting):
        raise NotFound("Review not found.")
    if write:
        policies.refuse_anonymised(meeting.application)
    return meeting


@bp.get("/")
@requires(Permission.CHAIR_REVIEWS)
def index():
    meetings = queries.meetings_chaired_by(current_user)
    return render_template("community_triggers/reviews/index.html", title="My reviews", meetings=meetings)


@bp.get("/<int:meeting_id>")
@records_view
@requires(Permission.CHAIR_REVIEWS)
def show(meeting_id: int):
    meeting = _chaired_meeting(meeting_id)
    application = meeting.application
    record_view(current_user, application, f"Chair viewed application {application.reference}")
    information = queries.information_requests_of(application)
    attendees = queries.attendees_of(meeting)
    letter_rows = queries.letters_of(application)
    page = render_template(
        "community_triggers/reviews/show.html",
        title=f"Review of {application.reference}",
        meeting=meeting,
        application=application,
        information=information,
        attendees=attendees,
        letters=letter_rows,
        letter_titles=letters.LETTER_TITLES,
        papers_due=add_working_days(meeting.scheduled_on, -2),
        attendee_form=_attendee_form(formdata=None),
        attendee_errors=[],
        can_manage=False,
        # The chair's steps are offered while the review takes them (``policies.takes_steps``).
        takes_steps=policies.takes_steps(application),
    )
    commit()
    return page


def _attendee_form(**kwargs: Any) -> AttendeeForm:
    form = AttendeeForm(**kwargs)
    form.agency.choices = agency_choices()
    return form


@bp.post("/<int:meeting_id>/attendees")
@requires(Permission.CHAIR_REVIEWS)
def add_attendee(meeting_id: int):
    """The chair records who attends (before the outcome is recorded)."""
    meeting = _chaired_meeting(meeting_id, write=True)
    form = _attendee_form()
    if form.validate_on_submit():
        try:
            services.update_meeting(current_user, meeting, attendees=attendees_with(meeting, form))
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
        else:
            commit()
            flash(f"{form.name.data} added to the attendees.", "success")
            return redirect(url_for(".show", meeting_id=meeting.id))
    return render_template(
        "community_triggers/reviews/attendee.html",
        title="Add an attendee",
        meeting=meeting,
        application=meeting.application,
        form=form,
        errors=error_items(form),
    ), 422


@bp.route("/<int:meeting_id>/outcome", methods=["GET", "POST"])
@requires(Permission.CHAIR_REVIEWS)
def outcome(meeting_id: int):
    meeting = _chaired_meeting(meeting_id, write=True)
    application = meeting.application
    form = OutcomeForm()
    if not form.is_submitted() and meeting.victim_invited is not None:
        form.victim_invited.data = "yes" if meeting.victim_invited else "no"
        form.victim_not_invited_reason.data = meeting.victim_not_invited_reason
    # Any agency; as owner, only the people who may own a recommendation (the service's own rule).
    agencies = all_agencies()
    owners = services.recommendation_owner_choices(application)
    form.set_choices(agencies, owners)
    status = 200
    if form.is_submitted() and form.add_recommendation.data:
        form.recommendations.append_entry()
        form.set_choices(agencies, owners)
    elif form.validate_on_submit():
        by_code = {a.code: a for a in agencies}
        try:
            services.record_outcome(
                current_user,
                meeting,
                held_on=form.held_on.data,
                minutes=form.minutes.data,
                outcome=form.outcome.data or None,
                proportionality_assessment=form.proportionality_assessment.data or None,
                victim_invited=form.victim_invited.data == "yes",
                victim_not_invited_reason=form.victim_not_invited_reason.data or "",
                recommendations=[
                    {
                        "text": r.text.data,
                        "agency": by_code.get(r.agency.data),
                        "due_on": r.due_on.data,
                        # Found by the service (``recommendation_owner``), as the API's ``owner_email``.
                        "owner_email": r.owner.data or None,
                    }
                    for r in form.filled()
                ],
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
        else:
            commit()
            flash(
                "Outcome recorded. The coordinator sends the outcome letter once the review is confirmed "
                "complete (each agency's information, the attendees and the victim's views).",
                "success",
            )
            return redirect(url_for(".show", meeting_id=meeting.id))
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template(
        "community_triggers/reviews/outcome.html",
        title="Record the outcome of the review",
        meeting=meeting,
        application=application,
        form=form,
        errors=error_items(form),
    ), status


@bp.route("/<int:meeting_id>/consultation", methods=["GET", "POST"])
@requires(Permission.CHAIR_REVIEWS)
def consultation(meeting_id: int):
    """The chair records the victim's views on the action plan (the coordinator's page is the same)."""
    from casework.community_triggers.views.staff_papers import consultation_page

    meeting = _chaired_meeting(meeting_id, write=True)
    return consultation_page(meeting.application, meeting, done=url_for(".show", meeting_id=meeting.id))
