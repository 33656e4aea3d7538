"""Administration of case categories: the national three are seeded; admins add local ones."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from casework.accounts.models import Area
from casework.cases import services
from casework.cases.forms import CategoryForm, apply_domain_errors, options
from casework.cases.models import CaseCategory
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.permissions import Permission, requires
from casework.extensions import db

bp = Blueprint("cases", __name__)


@bp.route("/case-categories", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def categories():
    form = CategoryForm()
    areas = list(db.session.scalars(sa.select(Area).order_by(Area.name)))
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
            apply_domain_errors(form, error)
    rows = db.session.scalars(
        sa.select(CaseCategory).options(sa.orm.joinedload(CaseCategory.area)).order_by(CaseCategory.name)
    ).all()
    status = 422 if form.errors or form.form_errors else 200
    return render_template("cases/admin_categories.html", form=form, categories=rows), status
