"""The notification settings page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from casework.core.db import commit
from casework.core.permissions import signed_in
from casework.reminders import services
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
    return render_template("reminders/notification_settings.html", form=form), status


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
