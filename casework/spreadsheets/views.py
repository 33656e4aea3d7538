"""The import pages (upload, match the columns, the check and its problems, import, undo) and the
export downloads of every list.

Exports: ``/exports/<list>.csv`` or ``.xlsx`` with the list page's own filters in the query string.
The rows are the list's, for the signed-in user (its visibility rules); the file is written first,
the export audited with the ids it holds, and then sent.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from casework.audit.models import AuditAction
from casework.audit.services import record
from casework.core.db import commit, records_view
from casework.core.errors import Forbidden, InvalidInput, RuleViolation
from casework.core.forms import show_service_errors
from casework.core.inputs import whole_number
from casework.core.pagination import page_number, paginate
from casework.core.permissions import Permission, requires, signed_in
from casework.core.time import today
from casework.extensions import db
from casework.spreadsheets import kinds as kinds_module
from casework.spreadsheets import queries, services
from casework.spreadsheets.forms import NOT_IN_FILE, ConfirmForm, mapping_form, upload_form
from casework.spreadsheets.models import ImportStatus
from casework.spreadsheets.writing import MIMETYPES, write_sheet

bp = Blueprint("spreadsheets", __name__)

REFRESH_SECONDS = 3
PROBLEMS_PER_PAGE = 100
FORMATS = ("csv", "xlsx")


def _version(form: Any) -> int | None:
    return whole_number(form.version.data)


def _status(form: Any) -> int:
    return 422 if form.errors else 200


# --- the imports ---------------------------------------------------------------------------------------


@bp.get("/imports")
@requires(Permission.IMPORT_RECORDS)
def index():
    page = page_number(request.args.get("page"))
    jobs, total = paginate(queries.visible_import_jobs(current_user), page, 25)
    return render_template(
        "spreadsheets/index.html",
        jobs=jobs,
        total=total,
        page=page,
        pages=max((total + 24) // 25, 1),
        kinds=services.kinds_for(current_user),
        all_kinds=kinds_module.import_kinds(),
    )


@bp.route("/imports/new/<kind>", methods=["GET", "POST"])
@requires(Permission.IMPORT_RECORDS)
def new(kind: str):
    import_kind = services.get_kind(kind)
    if not import_kind.allows(current_user):
        raise Forbidden("You cannot import this kind of record.")
    choices = [(option, option.choices(current_user)) for option in import_kind.options]
    form = upload_form(choices)
    if form.validate_on_submit():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            form.file.errors = ["Select a CSV or Excel file"]
        else:
            try:
                job = services.upload(
                    current_user,
                    import_kind.key,
                    upload.stream,
                    upload.filename,
                    {option.key: request.form.get(f"option_{option.key}") for option in import_kind.options},
                )
            except InvalidInput as error:
                db.session.rollback()
                for name, messages in error.errors.items():
                    field = form._fields.get("file" if name == "file" else f"option_{name}")
                    (field.errors if field is not None else form.file.errors).extend(messages)
            else:
                commit()
                return redirect(url_for(".columns", job_id=job.id))
    return render_template(
        "spreadsheets/new.html",
        form=form,
        kind=import_kind,
        option_fields=[getattr(form, f"option_{option.key}") for option in import_kind.options],
        max_mb=services.max_upload_bytes() // (1024 * 1024),
    ), _status(form)


@bp.get("/imports/layouts/<kind>")
@requires(Permission.IMPORT_RECORDS)
def layout(kind: str):
    import_kind = services.get_kind(kind)
    return render_template("spreadsheets/layout.html", kind=import_kind)


@bp.get("/imports/layouts/<kind>/template.<file_format>")
@requires(Permission.IMPORT_RECORDS)
def template(kind: str, file_format: str):
    import_kind = services.get_kind(kind)
    if file_format not in FORMATS:
        abort(404)
    file = services.template(import_kind, file_format)
    return send_file(
        file,
        mimetype=MIMETYPES[file_format],
        as_attachment=True,
        download_name=f"casework-{import_kind.key}-template.{file_format}",
    )


@bp.route("/imports/<int:job_id>/columns", methods=["GET", "POST"])
@requires(Permission.IMPORT_RECORDS)
def columns(job_id: int):
    job = services.get_job_for(current_user, job_id)
    kind = services.get_kind(job.kind)
    layout_ = kind.layout
    initial = {
        f"column_{key}": (NOT_IN_FILE if index is None else str(index)) for key, index in (job.mapping or {}).items()
    }
    data = {**initial, "version": job.version} if request.method == "GET" else None
    form = mapping_form(layout_, job.header, data=data)
    if job.contents_deleted_at is not None or job.status not in (
        ImportStatus.uploaded,
        ImportStatus.checked,
        ImportStatus.failed,
    ):
        return redirect(url_for(".show", job_id=job.id))
    if form.validate_on_submit():
        mapping: dict[str, int | None] = {}
        for column in layout_.columns:
            value = getattr(form, f"column_{column.key}").data
            mapping[column.key] = None if value in (None, "", NOT_IN_FILE) else int(value)
        try:
            services.set_mapping(current_user, job, mapping, _version(form))
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error, {key: f"column_{key}" for key in error.errors})
        else:
            commit()
            return redirect(url_for(".show", job_id=job.id))
    fields = [(column, getattr(form, f"column_{column.key}")) for column in layout_.columns]
    return render_template("spreadsheets/columns.html", form=form, job=job, kind=kind, fields=fields), _status(form)


@bp.get("/imports/<int:job_id>")
@requires(Permission.IMPORT_RECORDS)
def show(job_id: int):
    job = services.get_job_for(current_user, job_id)
    kind = services.get_kind(job.kind)
    page = page_number(request.args.get("page"))
    problems, total = paginate(
        queries.problems_of(job),
        page,
        PROBLEMS_PER_PAGE,
    )
    running = job.status in (ImportStatus.checking, ImportStatus.importing)
    refresh = REFRESH_SECONDS if running and request.args.get("refresh") != "off" else None
    reasons = services.changes_since(job) if job.status == ImportStatus.imported else []
    return render_template(
        "spreadsheets/show.html",
        job=job,
        kind=kind,
        problems=problems,
        problem_total=total,
        page=page,
        pages=max((total + PROBLEMS_PER_PAGE - 1) // PROBLEMS_PER_PAGE, 1),
        running=running,
        refresh_seconds=refresh,
        summary=services.describe(job),
        undo_blocked=reasons,
        form=ConfirmForm(data={"version": job.version}),
        file_days=services.file_days(),
    )


@bp.post("/imports/<int:job_id>/start")
@requires(Permission.IMPORT_RECORDS)
def start(job_id: int):
    job = services.get_job_for(current_user, job_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.start_import(current_user, job, _version(form))
        except RuleViolation as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            commit()
    return redirect(url_for(".show", job_id=job_id))


@bp.route("/imports/<int:job_id>/undo", methods=["GET", "POST"])
@requires(Permission.IMPORT_RECORDS)
def undo(job_id: int):
    job = services.get_job_for(current_user, job_id)
    form = ConfirmForm(data={"version": job.version} if request.method == "GET" else None)
    if job.status != ImportStatus.imported:
        return redirect(url_for(".show", job_id=job.id))
    if form.validate_on_submit():
        try:
            deleted = services.undo(current_user, job, _version(form))
        except RuleViolation as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            commit()
            flash(f"The import was undone: {deleted:,} records deleted", "success")
            return redirect(url_for(".show", job_id=job_id))
    reasons = services.changes_since(job)
    return render_template(
        "spreadsheets/undo.html", job=job, form=form, reasons=reasons, summary=services.describe(job)
    ), (422 if form.form_errors else 200)


# --- exports -------------------------------------------------------------------------------------------


@bp.get("/exports/<key>.<file_format>")
@records_view  # the export's audit entry
@signed_in
def export(key: str, file_format: str):
    """Download the list ``key`` as the user sees it (the list page's filters in the query string)."""
    found = kinds_module.export_lists().get(key)
    if found is None or file_format not in FORMATS:
        abort(404)
    if not found.allows(current_user):
        raise Forbidden("You cannot see this list.")
    args = {k: v[:200] for k, v in request.args.items() if k != "page"}
    built = found.build(current_user, args)
    file = write_sheet(file_format, built.header, built.rows, title=found.title)
    filters = {name: value for name, value in built.filters.items() if value}  # those applied
    record(
        current_user,
        AuditAction.export,
        (built.object_type, None),
        f"Exported {len(built.ids):,} {built.description} as {file_format.upper()}",
        {"list": key, "filters": filters, "format": file_format, "count": len(built.ids), "ids": built.ids},
    )
    commit()
    current_app.logger.info("export %s by user %s: %s rows", key, current_user.id, len(built.ids))
    return send_file(
        file,
        mimetype=MIMETYPES[file_format],
        as_attachment=True,
        download_name=f"{key.replace('_', '-')}-{today().isoformat()}.{file_format}",
    )
