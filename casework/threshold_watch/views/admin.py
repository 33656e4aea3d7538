"""Admin page: the wording of the letter or email telling a victim of their right to a Case Review, for
every area or for one. Edited by the people who edit the Case Review letter templates."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2 import TemplateError

from casework.accounts.queries import all_areas, area_with_code
from casework.community_triggers.forms import error_items
from casework.core.db import commit
from casework.core.errors import InvalidInput, NotFound
from casework.core.forms import digest_version, show_service_errors
from casework.core.permissions import Permission, requires
from casework.threshold_watch import message
from casework.threshold_watch.forms import TellTemplateForm
from casework.threshold_watch.models import TellVictimTemplate

bp = Blueprint("threshold_watch", __name__, url_prefix="/threshold-watch")


def _as_saved(row: TellVictimTemplate | None) -> int:
    """The version of the area's own template (the rows have no version column: ``digest_version``)."""
    return digest_version([row.subject, row.body] if row is not None else None)


@bp.route("/template", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def template():
    area_code = request.args.get("area") or ""
    area = None
    if area_code:
        area = area_with_code(area_code)
        if area is None:
            raise NotFound("No such area.")
    subject, body = message.template_for(area.id if area else None)
    own = message.own_template_row(area)
    form = TellTemplateForm(data={"subject": subject, "body": body, "version": str(_as_saved(own))})
    preview = None
    status = 200
    if form.validate_on_submit():
        try:
            if form.save.data:
                form.refuse_if_changed(_as_saved(own))
                message.save_template(current_user, area, form.subject.data, form.body.data)
            else:
                preview = message.check_template(form.subject.data, form.body.data)
        except InvalidInput as error:
            show_service_errors(form, error)
            status = 422
        else:
            if form.save.data:
                commit()
                flash("Template saved.", "success")
                return redirect(url_for(".template", area=area_code or None))
    elif form.is_submitted():
        status = 422
    else:
        try:
            preview = message.render(subject, body, message.sample_context())
        except TemplateError:
            preview = None  # saved before today's checks: the next save is checked
    areas = all_areas()
    row = message.template_row(area.id if area else None)
    return render_template(
        "threshold_watch/admin_template.html",
        title="Telling a victim of their right to a Case Review",
        form=form,
        errors=error_items(form),
        preview=preview,
        variables=message.VARIABLES,
        area=area,
        areas=areas,
        is_custom=row is not None and row.area_id == (area.id if area else None),
    ), status
