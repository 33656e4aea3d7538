"""Administration of case categories: the national three are seeded; admins add local ones."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from casework.accounts.queries import all_areas
from casework.cases import queries, services
from casework.cases.forms import CategoryForm, options
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.forms import show_service_errors
from casework.core.permissions import Permission, requires
from casework.extensions import db

bp = Blueprint("cases", __name__)


@bp.route("/case-categories", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def categories():
    form = CategoryForm()
    areas = all_areas()
    form.area_code.choices = options([("", "All areas"), *((a.code, a.name) for a in areas)])
    if form.validate_on_submit():
        area = next((a for a in areas if a.code == form.area_code.data), None)
        try:
            category = services.create_category(current_user, form.code.data, form.name.data, area)
            commit()
            flash(f"Category {category.name} added", "success")
            return redirect(url_for("admin.cases.categories"))
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error, nested_by_last_part=True)
    rows = queries.all_categories()
    status = 422 if form.errors or form.form_errors else 200
    return render_template("cases/admin_categories.html", form=form, categories=rows), status
