"""Admin pages: the partnership's letterhead, for every area or for one area."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from casework.accounts.models import Area
from casework.accounts.queries import all_areas, area_with_code
from casework.core.db import commit
from casework.core.errors import InvalidInput, NotFound
from casework.core.forms import show_service_errors
from casework.core.permissions import Permission, requires
from casework.documents import layout, letterheads, queries
from casework.documents.forms import LetterheadForm
from casework.documents.layout import LetterView, letter_blocks
from casework.extensions import db

bp = Blueprint("documents", __name__, url_prefix="/letterheads")

#: The URL part for the letterhead of every area.
ALL_AREAS = "all"


@bp.get("/")
@requires(Permission.ADMINISTER)
def index():
    areas = all_areas()
    rows = queries.letterheads_by_area()
    return render_template("documents/admin/letterheads.html", areas=areas, rows=rows, all_areas=ALL_AREAS)


def _area(scope: str) -> Area | None:
    if scope == ALL_AREAS:
        return None
    area = area_with_code(scope)
    if area is None:
        raise NotFound("No such area.")
    return area


@bp.route("/<scope>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def edit(scope: str):
    area = _area(scope)
    row = letterheads.letterhead_of(area)
    form = LetterheadForm(obj=row)
    if form.validate_on_submit():
        upload = form.logo.data
        logo = None
        if upload is not None and getattr(upload, "filename", None):
            logo = (upload.filename, upload.read(letterheads.MAX_LOGO_BYTES + 1))
        try:
            letterheads.save_letterhead(
                current_user,
                area,
                {field: getattr(form, field).data for field in letterheads.FIELDS},
                logo=logo,
                remove_logo=bool(form.remove_logo.data),
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
        else:
            commit()
            flash("Letterhead saved.", "success")
            return redirect(url_for(".edit", scope=scope))
    preview = LetterView(
        letterhead=layout.letterhead_for(area),
        recipient_name="Sam Sample",
        recipient_address_lines=["1 Example Street", "Bolsover", "S44 6AA"],
        dated=None,
        reference="BOL-2026-0001",
        subject="How your letters and notices will look",
        blocks=letter_blocks("Dear Sam Sample,\n\nThe body of the letter goes here.\n\nYours sincerely,"),
    )
    status = 422 if form.errors else 200
    return render_template(
        "documents/admin/letterhead.html",
        form=form,
        area=area,
        row=row,
        scope=scope,
        preview=preview,
    ), status
