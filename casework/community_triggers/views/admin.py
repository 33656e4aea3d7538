"""Admin pages: the letter templates (one per kind for every area, or overriding it for one area).

A template is checked before it is saved: it must parse, stay inside the sandbox and its limits, and
fill in every made-up letter of its kind (the first is the preview), shaped as real letters are
(values left out, long names and text), so a template that would fail on real data cannot be saved.
It is never tried on real records: the admin does not read casework, and what the check says must
not depend on what real records hold.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2 import TemplateError

from casework.accounts.queries import all_areas, area_with_code
from casework.community_triggers import letters, queries
from casework.community_triggers.forms import LetterTemplateForm, error_items
from casework.community_triggers.models import LetterKind
from casework.core.db import commit
from casework.core.errors import InvalidInput, NotFound
from casework.core.forms import show_service_errors, version_of
from casework.core.permissions import Permission, requires
from casework.extensions import db

bp = Blueprint("triggers", __name__, url_prefix="/letter-templates")


@bp.get("/")
@requires(Permission.ADMINISTER)
def templates():
    rows = queries.all_letter_templates()
    areas = all_areas()
    customised = {(row.kind, row.area_id) for row in rows}
    return render_template(
        "community_triggers/admin/templates.html",
        title="Letters and notices",
        kinds=list(LetterKind),
        titles=letters.LETTER_TITLES,
        areas=areas,
        customised=customised,
    )


def _kind(value: str) -> LetterKind:
    try:
        return LetterKind(value)
    except ValueError:
        raise NotFound("No such letter.") from None


@bp.route("/<kind>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def edit(kind: str):
    letter_kind = _kind(kind)
    area_code = request.args.get("area") or ""
    area = None
    if area_code:
        area = area_with_code(area_code)
        if area is None:
            raise NotFound("No such area.")
    row = queries.letter_template(letter_kind, area)
    subject, body = letters.template_for(letter_kind, area.id if area else None)
    form = LetterTemplateForm(data={"subject": subject, "body": body, "version": str(version_of(row))})
    preview = None
    status = 200
    if form.validate_on_submit():
        try:
            preview = letters.check_template(letter_kind, form.subject.data, form.body.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            if form.save.data:
                form.refuse_if_changed(version_of(row))
                letters.save_template(current_user, letter_kind, area, row, form.subject.data, form.body.data)
                commit()
                flash("Template saved.", "success")
                return redirect(url_for(".edit", kind=letter_kind.value, area=area_code or None))
    elif form.is_submitted():
        status = 422
    else:
        try:
            preview = letters.render(subject, body, letters.sample_context(letter_kind))
        except TemplateError:
            preview = None  # saved before today's checks: the next save is checked
    return render_template(
        "community_triggers/admin/edit.html",
        title=f"{letters.LETTER_TITLES[letter_kind]} letter",
        form=form,
        errors=error_items(form),
        preview=preview,
        variables=letters.VARIABLES,
        area=area,
        kind=letter_kind,
        is_custom=row is not None,
    ), status
