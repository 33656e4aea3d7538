"""The notification settings page."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.audit.models import AuditAction
from casework.audit.services import record
from casework.core import submissions
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.forms import ConfirmForm
from casework.core.inputs import iso_month
from casework.core.links import external_url
from casework.core.permissions import signed_in
from casework.core.time import today
from casework.reminders import calendar, services
from casework.reminders.forms import NotificationSettingsForm

bp = Blueprint("reminders", __name__)


@bp.route("/notifications", methods=["GET", "POST"])
@signed_in
def notification_settings():
    user = current_user._get_current_object()
    form = NotificationSettingsForm(data={"delivery": "digest_only" if user.is_digest_only else "each"})
    if form.validate_on_submit():
        services.set_digest_only(user, user, form.delivery.data == "digest_only")
        commit()
        flash("Your notification settings have been saved.", "success")
        return redirect(url_for("staff.reminders.notification_settings"))
    status = 422 if form.errors else 200
    return _settings_page(form, status)


def _settings_page(form: NotificationSettingsForm, status: int = 200, feed_url: str | None = None):
    user = current_user._get_current_object()
    return (
        render_template(
            "reminders/notification_settings.html",
            form=form,
            calendar_form=ConfirmForm(),
            # A form of its own, so its own submission key: one shared with the making of a link would
            # be answered as that making, once the link was made (the key is then kept).
            revoke_form=ConfirmForm(),
            has_calendar_link=calendar.has_link(user),
            feed_url=feed_url,
        ),
        status,
    )


@bp.get("/deadlines/calendar")
@signed_in
def deadline_calendar():
    """The user's deadlines a month at a time (``month=YYYY-MM``; this month by default)."""
    user = current_user._get_current_object()
    this_month = today().replace(day=1)
    month = _month(request.args.get("month")) or this_month
    shown = services.calendar_month(user, month)
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    return render_template(
        "reminders/calendar.html",
        calendar=shown,
        month=month,
        this_month=this_month,
        previous=previous if previous.year >= 1900 else None,
        following=following if following.year <= 2099 else None,
        today=today(),
    )


def _month(text: str | None) -> date | None:
    """``?month=YYYY-MM`` (``iso_month``) between 1900 and 2099, or None when not given (this month).
    Any other value is refused: a month in another form, or one the calendar does not show."""
    if not text:
        return None
    month = iso_month(text)
    if month is None or not 1900 <= month.year <= 2099:
        raise InvalidInput({"month": ["Enter the month as YYYY-MM, between 1900 and 2099."]})
    return month


@bp.post("/notifications/calendar")
@submissions.shows_once(
    "This form was sent more than once (the button pressed twice, or the page loaded again). Your new "
    "calendar link was made the first time: the link on the page that answered it is the one that works. "
    "No other link was made. If that page did not appear, or you did not copy the link, make a new one here.",
    then="staff.reminders.notification_settings",
)
@signed_in
def create_calendar_link():
    """A new private link to the user's deadline calendar (any earlier link stops working). The link
    is shown on this response only: only a hash of its secret is kept."""
    user = current_user._get_current_object()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = calendar.create_link(user)
    record(user, AuditAction.update, user, "Created a new private calendar link")
    commit()
    # Read outside the browser, by a calendar: under CASEWORK_BASE_URL, whatever Host the request named.
    feed_url = external_url("public.calendar.feed", token=token)
    form = NotificationSettingsForm(data={"delivery": "digest_only" if user.is_digest_only else "each"})
    return _settings_page(form, feed_url=feed_url)


@bp.post("/notifications/calendar/revoke")
@signed_in
def revoke_calendar_link():
    user = current_user._get_current_object()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if calendar.revoke_link(user):
        record(user, AuditAction.update, user, "Turned off their private calendar link")
    commit()
    flash("Your calendar link has been turned off. Calendars using it will stop updating.", "success")
    return redirect(url_for("staff.reminders.notification_settings"))


# --- dashboard panels: every role that owns deadlines sees its own overdue and coming work ---------
# (registered by ``casework.reminders.init_app`` for coordinators, chairs, partners and managers)


# Officers' "Due soon" comes from the cases domain (casework/cases/dashboard.py), which names the case.


def own_deadlines(user) -> dict:
    return {"my_deadlines": services.dashboard_items(user)}


def manager_deadlines(user) -> dict:
    return {
        "my_deadlines": services.dashboard_items(user),
        "team_deadlines": services.team_dashboard_items(user),
    }
