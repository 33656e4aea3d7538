"""The administration pages for users, areas (with their dated settings) and agencies, at /admin.

Views are thin: a form checks what was typed, a service in ``casework.accounts.services`` validates
against the database, changes the session and writes the audit log, and the view commits. A service's
``InvalidInput`` is shown on the form (and nothing is written); a stale version answers 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from casework.accounts import queries, second_factor, services, sessions
from casework.accounts.forms import (
    AGENCY_KIND_LABELS,
    TIME_UNIT_LABELS,
    AgencyCreateForm,
    AgencyEditForm,
    AreaCreateForm,
    PasswordResetForm,
    SettingInput,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
    area_settings_form,
    options,
    setting_inputs,
)
from casework.accounts.models import Agency, Area, User
from casework.core import settings as settings_registry
from casework.core.db import commit
from casework.core.errors import InvalidInput, NotFound
from casework.core.forms import ConfirmForm, FlaskForm, digest_version, show_service_errors
from casework.core.pagination import page_number, paginate
from casework.core.permissions import ROLE_LABELS, Permission, Role, requires
from casework.core.time import today
from casework.extensions import db

bp = Blueprint("accounts", __name__)

PER_PAGE = 25


# --- helpers ----------------------------------------------------------------------------------------


def list_filters() -> dict[str, str]:
    """The list's query string without the page number: kept on the pagination links."""
    return {key: value for key, value in request.args.items() if key != "page" and value}


def render_form(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    """The page, with 422 when the form has errors (so a failed POST is not mistaken for success)."""
    status = 422 if form.errors or form.form_errors else 200
    return render_template(template, form=form, **context), status


def _agencies() -> list[Agency]:
    return queries.all_agencies()


def _areas() -> list[Area]:
    return queries.all_areas()


def _agency_choices(agencies: list[Agency]) -> list[SelectChoice]:
    return options([("", "Select an agency")] + [(a.code, a.name) for a in agencies])


def _user_or_404(user_id: int) -> User:
    return queries.user_or_404(user_id)


def admin_panel(_user: User) -> dict[str, Any]:
    """Counts for the administrator's home page, in one query, and the stored files the store would
    not delete (``casework.core.storage.StuckDeletion``), which need them to look at the store."""
    return {"counts": queries.counts(), "stuck_deletions": queries.stuck_deletions()}


# --- users ------------------------------------------------------------------------------------------


@bp.get("/users")
@requires(Permission.ADMINISTER)
def users():
    agencies = _agencies()
    form = UserFilterForm(formdata=request.args)
    form.agency.choices = options([("", "Any agency")] + [(a.code, a.name) for a in agencies])
    agency = next((a for a in agencies if a.code == form.agency.data), None)
    role = form.role.data if form.role.data in {r.value for r in Role} else None
    page = page_number(request.args.get("page"))
    query = services.search_users(text=form.q.data, agency_id=agency.id if agency else None, role=role)
    items, total = paginate(query, page, PER_PAGE)
    filtered = bool((form.q.data or "").strip() or agency or role)
    return render_template(
        "accounts/admin/users.html",
        form=form,
        users=items,
        total=total,
        page=page,
        per_page=PER_PAGE,
        filtered=filtered,
        filters=list_filters(),
        role_labels=ROLE_LABELS,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def user_new():
    form = UserCreateForm()
    form.agency.choices = _agency_choices(_agencies())
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                agency=services.get_agency(form.agency.data, field="agency"),
                roles=form.roles.data,
                manager_email=form.manager_email.data or None,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error.errors)
        else:
            commit()
            flash(f"{user.name} can now sign in as {user.email}", "success")
            return redirect(url_for(".users"))
    return render_form("accounts/admin/user_new.html", form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def user_edit(user_id: int):
    user = _user_or_404(user_id)
    if request.method == "POST":
        form = UserEditForm()
    else:
        form = UserEditForm(
            data={
                "name": user.name,
                "agency": user.agency.code,
                "roles": user.roles,
                "manager_email": user.manager.email if user.manager else "",
                "is_active": "yes" if user.is_active else "no",
                "version": user.version,
            }
        )
    form.agency.choices = _agency_choices(_agencies())
    if form.validate_on_submit():
        try:
            # An administrator cannot lock themselves out (services.update_user says so on "roles").
            services.update_user(
                current_user,
                user,
                expected_version=_version(form.version.data),
                name=form.name.data,
                agency=services.get_agency(form.agency.data, field="agency"),
                roles=form.roles.data,
                manager_email=form.manager_email.data or None,
                is_active=form.is_active.data == "yes",
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error.errors)
        else:
            commit()
            sessions.stay_signed_in(user)
            flash(f"Changes to {user.name} saved", "success")
            return redirect(url_for(".users"))
    return render_form("accounts/admin/user_edit.html", form, user=user, remove_form=ConfirmForm(prefix="remove"))


@bp.post("/users/<int:user_id>/second-factor/remove")
@requires(Permission.ADMINISTER)
def user_second_factor_remove(user_id: int):
    """Remove a user's second factor (a lost or replaced phone): they set it up again when they next
    sign in, where their area requires one."""
    user = _user_or_404(user_id)
    form = ConfirmForm(prefix="remove")
    if form.validate_on_submit() and user.has_second_factor:
        second_factor.disable(current_user, user)
        commit()
        sessions.stay_signed_in(user)
        flash(f"The second factor of {user.name} has been removed.", "success")
    return redirect(url_for(".user_edit", user_id=user.id))


def _version(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        # A page that lost its version cannot prove it saw the latest one.
        return -1


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def user_password(user_id: int):
    user = _user_or_404(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(current_user, user, form.password.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error.errors)
        else:
            commit()
            sessions.stay_signed_in(user)
            flash(f"Password for {user.name} changed. They have been signed out everywhere.", "success")
            return redirect(url_for(".user_edit", user_id=user.id))
    return render_form("accounts/admin/user_password.html", form, user=user)


# --- areas ------------------------------------------------------------------------------------------


@bp.get("/areas")
@requires(Permission.ADMINISTER)
def areas():
    items = queries.all_areas(with_agencies=True)
    return render_template("accounts/admin/areas.html", areas=items)


@bp.route("/areas/new", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def area_new():
    form = AreaCreateForm()
    if form.validate_on_submit():
        try:
            area = services.create_area(current_user, form.code.data, form.name.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error.errors)
        else:
            commit()
            flash(
                f"Area {area.name} ({area.code}) added. It uses the settings for all areas until you change them.",
                "success",
            )
            return redirect(url_for(".area_settings", code=area.code))
    return render_form("accounts/admin/area_new.html", form)


@bp.route("/areas/<code>/settings", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def area_settings(code: str):
    area = services.get_area(code)
    return _settings_page(area, url_for(".area_settings", code=area.code))


@bp.route("/area-defaults", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def area_defaults():
    return _settings_page(None, url_for(".area_defaults"))


def _settings_page(area: Area | None, here: str):
    inputs = setting_inputs(list(settings_registry.specs().values()))
    in_force = services.area_settings(area)
    if request.method == "POST":
        form = area_settings_form(inputs)
    else:
        initial: dict[str, Any] = {"effective_from": today()}
        for item in inputs:
            initial.update(item.initial(in_force.get(item.spec.key)))
        form = area_settings_form(inputs, data=initial)
        form.show_version(services.area_settings_version(area))

    if form.is_submitted():
        form.validate()
        changes = _changed_settings(form, inputs, in_force)
        if not form.errors and not form.form_errors and not changes:
            form.form_errors.append("Change at least one setting before saving")
        if not form.errors and not form.form_errors:
            # The inputs left alone hold the values read, which would be saved back over a change
            # made since as if they were this person's changes.
            form.refuse_if_changed(services.area_settings_version(area))
            try:
                warnings = services.update_area_settings(current_user, area, changes, form.effective_from.data)
            except InvalidInput as error:
                db.session.rollback()
                show_service_errors(
                    form,
                    {k.removeprefix("settings."): v for k, v in error.errors.items()},
                    {item.spec.key: item.names[0] for item in inputs},
                )
            else:
                commit()
                when = form.effective_from.data
                flash(
                    f"{len(changes)} setting{'s' if len(changes) != 1 else ''} changed, "
                    + ("from today" if when == today() else f"from {when.day} {when:%B %Y}"),
                    "success",
                )
                for warning in warnings:
                    flash(warning, "warning")
                return redirect(here)

    scheduled: dict[str, list[dict[str, Any]]] = {}
    for row in services.scheduled_settings(area):
        scheduled.setdefault(row["key"], []).append(
            {"value": row["value"], "effective_from": date.fromisoformat(row["effective_from"])}
        )
    groups: dict[str, list[SettingInput]] = {}
    for item in inputs:
        groups.setdefault(item.spec.group, []).append(item)
    return render_form(
        "accounts/admin/area_settings.html",
        form,
        area=area,
        groups=groups,
        in_force=in_force,
        sources=services.area_setting_sources(area),
        scheduled=scheduled,
        time_unit_labels=TIME_UNIT_LABELS,
    )


def _changed_settings(form: FlaskForm, inputs: list[SettingInput], in_force: Mapping[str, Any]) -> dict[str, Any]:
    """The settings whose submitted value differs from the one in force today; parse errors go on the
    fields. Unchanged inputs are not stored again, so a change already scheduled for a later day is not
    overwritten by the value shown today."""
    changes: dict[str, Any] = {}
    for item in inputs:
        raw = item.submitted(form)
        try:
            if item.kind == "boolean" and not isinstance(raw, bool):
                raise ValueError("select yes or no")
            value = item.spec.parse(raw)
        except ValueError as error:
            field = form[item.names[0]]
            field.errors = [*field.errors, f"{item.spec.title}: {error}"]
            continue
        if value != in_force.get(item.spec.key):
            changes[item.spec.key] = value
    return changes


@bp.app_template_filter("setting_value")
def setting_value(value: Any) -> str:
    """A setting's value as people read it: "Yes", "20 working days", "3"."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict) and set(value) == {"amount", "unit"}:
        unit = TIME_UNIT_LABELS.get(value["unit"], str(value["unit"]))
        if value["amount"] == 1:
            unit = unit.replace("days", "day").replace("hours", "hour")
        return f"{value['amount']} {unit}"
    if value is None:
        return "Not set"
    if isinstance(value, list):
        return ", ".join(setting_value(v) for v in value) or "None"
    return str(value)


# --- agencies ---------------------------------------------------------------------------------------


@bp.get("/agencies")
@requires(Permission.ADMINISTER)
def agencies():
    items = queries.all_agencies(with_areas=True)
    return render_template("accounts/admin/agencies.html", agencies=items, kind_labels=AGENCY_KIND_LABELS)


def _area_choices(form: FlaskForm) -> None:
    form.area_codes.choices = options((a.code, f"{a.name} ({a.code})") for a in _areas())


@bp.route("/agencies/new", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def agency_new():
    form = AgencyCreateForm()
    _area_choices(form)
    if form.validate_on_submit():
        try:
            agency = services.create_agency(
                current_user,
                form.code.data,
                form.name.data,
                form.kind.data,
                form.area_codes.data,
                is_csas_accredited=form.is_csas_accredited.data,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error.errors)
        else:
            commit()
            flash(f"Agency {agency.name} added", "success")
            return redirect(url_for(".agencies"))
    return render_form("accounts/admin/agency_new.html", form)


def _agency_as_shown(agency: Agency) -> int:
    """The version of an agency its page shows (agencies have no version column: ``digest_version``)."""
    return digest_version(
        [agency.name, agency.kind.value, sorted(a.code for a in agency.areas), bool(agency.is_csas_accredited)]
    )


@bp.route("/agencies/<code>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def agency_edit(code: str):
    agency = queries.agency_with_code(code)
    if agency is None:
        raise NotFound("No such agency.")
    if request.method == "POST":
        form = AgencyEditForm()
    else:
        form = AgencyEditForm(
            data={
                "name": agency.name,
                "kind": agency.kind.value,
                "area_codes": [a.code for a in agency.areas],
                "is_csas_accredited": agency.is_csas_accredited,
                "version": str(_agency_as_shown(agency)),
            }
        )
    _area_choices(form)
    if form.validate_on_submit():
        form.refuse_if_changed(_agency_as_shown(agency))
        try:
            services.update_agency(
                current_user,
                agency,
                name=form.name.data,
                kind=form.kind.data,
                area_codes=form.area_codes.data,
                is_csas_accredited=form.is_csas_accredited.data,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error.errors)
        else:
            commit()
            flash(f"Changes to {agency.name} saved", "success")
            return redirect(url_for(".agencies"))
    return render_form("accounts/admin/agency_edit.html", form, agency=agency)
