"""Admin pages: the notice templates (CPW, CPN, fixed penalty, closure notice), one for every area or
one area's own. A template is checked before it is saved, on made-up notices of its kind (never
real ones), and the admin sees only the made-up example."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2 import TemplateError

from casework.accounts.queries import all_areas, area_with_code
from casework.core.db import commit
from casework.core.errors import InvalidInput, NotFound
from casework.core.forms import show_service_errors, version_of
from casework.core.permissions import Permission, requires
from casework.documents import layout
from casework.extensions import db
from casework.interventions import notices, queries
from casework.interventions.forms import NoticeTemplateForm
from casework.interventions.models import NoticeKind
from casework.interventions.notice_templates import TITLES

bp = Blueprint("notices", __name__, url_prefix="/notice-templates")


@bp.get("/")
@requires(Permission.ADMINISTER)
def templates():
    areas = all_areas()
    customised = {(row.kind, row.area_id) for row in queries.all_notice_templates()}
    return render_template(
        "interventions/admin/notice_templates.html",
        kinds=list(NoticeKind),
        titles=TITLES,
        areas=areas,
        customised=customised,
    )


@bp.route("/<kind>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def edit(kind: str):
    try:
        notice_kind = NoticeKind(kind)
    except ValueError:
        raise NotFound("No such notice.") from None
    area_code = request.args.get("area") or ""
    area = None
    if area_code:
        area = area_with_code(area_code)
        if area is None:
            raise NotFound("No such area.")
    area_id = area.id if area else None
    row = queries.notice_template(notice_kind, area)
    title, body = notices.template_for(notice_kind, area_id)
    form = NoticeTemplateForm(data={"title": title, "body": body, "version": str(version_of(row))})
    rendered = None
    status = 200
    if form.validate_on_submit():
        try:
            rendered = notices.check_template(notice_kind, form.title.data, form.body.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            if request.form.get("save"):
                form.refuse_if_changed(version_of(row))
                notices.save_template(current_user, notice_kind, area, row, form.title.data, form.body.data)
                commit()
                flash("Template saved.", "success")
                return redirect(url_for(".edit", kind=notice_kind.value, area=area_code or None))
    elif form.is_submitted():
        status = 422
    else:
        try:
            rendered = notices.render(title, body, notices.sample_context(notice_kind))
        except TemplateError:
            rendered = None
    preview = None
    if rendered is not None:
        sample = notices.sample_context(notice_kind)
        preview = layout.LetterView(
            letterhead=layout.letterhead_for(area),
            recipient_name=sample["recipient"]["name"],
            recipient_address_lines=layout.lines(sample["recipient"]["address"]),
            dated=sample["notice"]["served_on"],
            reference=sample["notice"]["reference"],
            subject=rendered.title,
            blocks=layout.letter_blocks(rendered.body),
        )
    return render_template(
        "interventions/admin/notice_template.html",
        title=f"{TITLES[notice_kind.value]} template",
        form=form,
        preview=preview,
        variables=notices.VARIABLES,
        area=area,
        kind=notice_kind,
        is_custom=row is not None,
    ), status
