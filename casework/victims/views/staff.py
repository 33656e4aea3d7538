"""The officer's side of the victim page: switch it on (after checking the contact details), change
what happens next, switch it off, and accept diary entries into the ledger."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.cases.policies import can_manage_case, get_case_for
from casework.community_triggers.policies import get_application_for
from casework.core.db import commit
from casework.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from casework.core.forms import ConfirmForm, digest_version, show_service_errors
from casework.core.permissions import Permission, requires
from casework.extensions import db
from casework.victims import services
from casework.victims.forms import ApplicantSwitchOnForm, NextStepForm, SwitchOnForm

bp = Blueprint("victims", __name__)


def _section(case_id: int):
    return redirect(url_for("staff.cases.show", case_id=case_id, _anchor="victim-page"))


@bp.route("/cases/<int:case_id>/victim-page/<int:person_id>", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def switch_on(case_id: int, person_id: int):
    case = get_case_for(current_user, case_id, edit=True)
    person = services.victim_on_case(case, person_id)
    access = services.live_access(person.id)
    if access is not None:
        if services.may_change(current_user, access, case):
            return _next_step(case, person, access)
        # Switched on by someone who may see cases this user may not: that it is on, nothing more.
        return (
            render_template(
                "victims/switched_on_elsewhere.html",
                case=case,
                person=person,
                covers_this_case=case.id in services.victim_case_ids(access),
                off_form=ConfirmForm() if services.may_switch_off(current_user, access, case) else None,
            ),
            403 if request.method == "POST" else 200,
        )
    if not can_manage_case(current_user, case):
        raise Forbidden("Only the staff of the case's lead agency can switch on the victim page.")
    form = SwitchOnForm()
    if not form.is_submitted():
        form.email.data = person.email
        form.mobile.data = person.phone
    if form.validate_on_submit():
        try:
            services.switch_on(
                current_user,
                case,
                person,
                email=form.email.data,
                mobile=form.mobile.data,
                contact_checked=bool(form.contact_checked.data),
                next_step=form.next_step.data,
                next_step_on=form.next_step_on.data,
                contact_by=form.contact_by.data,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error, nested_by_last_part=True)
        except Conflict:
            db.session.rollback()
            return _section(case.id)
        else:
            commit()
            flash(f"The victim page is switched on for {person.name}. We have told them how to sign in.", "success")
            return _section(case.id)
    return render_template("victims/switch_on.html", case=case, person=person, form=form), (422 if form.errors else 200)


def _shown_next_step(access) -> int:
    return digest_version([access.next_step, access.next_step_on])


def _next_step(case, person, access):
    form = NextStepForm()
    if not form.is_submitted():
        form.next_step.data = access.next_step
        form.next_step_on.data = access.next_step_on
        form.show_version(_shown_next_step(access))
    if form.validate_on_submit():
        form.refuse_if_changed(_shown_next_step(access))
        services.update_next_step(
            current_user, case, access, next_step=form.next_step.data, next_step_on=form.next_step_on.data
        )
        commit()
        flash("What happens next is changed on their victim page.", "success")
        return _section(case.id)
    return (
        render_template(
            "victims/next_step.html", case=case, person=person, access=access, form=form, off_form=ConfirmForm()
        ),
        422 if form.errors else 200,
    )


@bp.post("/cases/<int:case_id>/victim-page/<int:person_id>/off")
@requires(Permission.EDIT_CASES)
def switch_off(case_id: int, person_id: int):
    case = get_case_for(current_user, case_id, edit=True)
    person = services.victim_on_case(case, person_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _section(case.id)
    access = services.live_access(person.id)
    if access is None:
        raise NotFound("The victim page is not switched on for them.")
    if not services.may_switch_off(current_user, access, case):
        raise Forbidden("The victim page was switched on by someone who may see cases you may not see.")
    services.switch_off(current_user, case, access)
    commit()
    flash(f"The victim page is switched off for {person.name}.", "success")
    return _section(case.id)


@bp.post("/cases/<int:case_id>/diary/<int:entry_id>/accept")
@requires(Permission.EDIT_CASES)
def accept(case_id: int, entry_id: int):
    case = get_case_for(current_user, case_id, edit=True)
    entry = services.get_entry(case, entry_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _section(case.id)
    try:
        services.accept_entry(current_user, case, entry)
    except InvalidInput as error:
        db.session.rollback()
        for messages in error.errors.values():
            for message in messages:
                flash(message, "error")
        return _section(case.id)
    commit()
    flash("The diary entry is on the ledger: an incident with the victim's complaint.", "success")
    return _section(case.id)


# --- the applicant for a Case Review with no person record ----------------------------------------------


def _application_page(application_id: int):
    return redirect(url_for("staff.triggers.show", application_id=application_id))


@bp.route("/case-reviews/<int:application_id>/victim-page", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def applicant(application_id: int):
    """Switch the victim page on for the applicant (who follows that application only), or, when it is
    on, see how they sign in and switch it off."""
    application = get_application_for(current_user, application_id, manage=True)
    access = services.live_applicant_access(application.id)
    if access is not None:
        return render_template(
            "victims/applicant.html", application=application, access=access, form=None, off_form=ConfirmForm()
        )
    form = ApplicantSwitchOnForm()
    if not form.is_submitted():
        form.email.data = application.applicant_email
        form.mobile.data = application.applicant_phone
    if form.validate_on_submit():
        try:
            services.switch_on_for_applicant(
                current_user,
                application,
                email=form.email.data,
                mobile=form.mobile.data,
                contact_checked=bool(form.contact_checked.data),
                contact_by=form.contact_by.data,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error, nested_by_last_part=True)
        except Conflict:
            db.session.rollback()
            return _application_page(application.id)
        else:
            commit()
            flash(
                f"The victim page is switched on for {application.applicant_name}. We have told them how to sign in.",
                "success",
            )
            return _application_page(application.id)
    return (
        render_template("victims/applicant.html", application=application, access=None, form=form, off_form=None),
        422 if form.errors else 200,
    )


@bp.post("/case-reviews/<int:application_id>/victim-page/off")
@requires(Permission.MANAGE_TRIGGERS)
def applicant_off(application_id: int):
    application = get_application_for(current_user, application_id, manage=True)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _application_page(application.id)
    access = services.live_applicant_access(application.id)
    if access is None:
        raise NotFound("The victim page is not switched on for the applicant.")
    services.switch_off_for_applicant(current_user, application, access)
    commit()
    flash(f"The victim page is switched off for {application.applicant_name}.", "success")
    return _application_page(application.id)
