"""Documents pages: upload to a case or an incident, see one (with a preview for images and PDFs),
download, remove. Files are served by ``file`` and ``download`` only, each use recorded."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.cases.policies import get_case_for
from casework.core import uploads as content
from casework.core.db import commit, records_view
from casework.core.downloads import file_response
from casework.core.errors import InvalidInput
from casework.core.forms import options, show_service_errors
from casework.core.inputs import query_id
from casework.core.permissions import Permission, requires
from casework.core.storage import StorageUnavailable
from casework.core.templating import format_date
from casework.documents import policies, services
from casework.documents.forms import RemoveForm, UploadForm
from casework.documents.models import Document
from casework.extensions import db

bp = Blueprint("documents", __name__)

#: The policy of a file shown in the browser: it may draw itself and nothing else, runs no script,
#: and is a unique origin (``sandbox``), so a crafted file cannot act as the service.
FILE_CSP = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def _case_href(case_id: int) -> str:
    return url_for("staff.cases.show", case_id=case_id, _anchor="documents")


@bp.route("/cases/<int:case_id>/documents/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def upload(case_id: int):
    case = get_case_for(current_user, case_id, edit=True)
    form = UploadForm()
    incidents = services.incidents_of(case)
    form.incident_id.choices = options(
        [("", "The whole case")]
        + [(str(i.id), f"The incident of {format_date(i.occurred_on)}: {i.description[:80]}") for i in incidents]
    )
    if request.method == "GET" and (incident_id := query_id(request.args.get("incident"))):
        form.incident_id.data = str(incident_id)
    if form.validate_on_submit():
        upload_file = form.file.data
        if upload_file is None or not getattr(upload_file, "filename", ""):
            form.file.errors = ["Select a file"]
        else:
            data = upload_file.read(content.max_upload_bytes() + 1)
            incident = form.incident_id.data or ""
            try:
                document = services.upload(
                    current_user,
                    case,
                    kind=form.kind.data,
                    filename=upload_file.filename,
                    content=data,
                    description=form.description.data,
                    incident_id=query_id(incident),
                )
            except InvalidInput as error:
                db.session.rollback()
                show_service_errors(form, error)
            else:
                commit()
                flash(f"{document.filename} added to the case", "success")
                if document.location_removed:
                    flash(f"The {document.media_noun}'s location was removed before it was kept.", "success")
                return redirect(_case_href(case.id))
    status = 422 if form.errors or getattr(form, "form_errors", None) else 200
    return render_template(
        "documents/upload.html",
        case=case,
        form=form,
        accepted=content.ACCEPTED_DESCRIPTION,
        max_mb=content.max_upload_bytes() // (1024 * 1024),
    ), status


@bp.get("/documents/<int:document_id>")
@requires(Permission.VIEW_CASES)
def show(document_id: int):
    document = policies.get_document_for(current_user, document_id)
    file_type = content.ACCEPTED.get(document.content_type)
    return render_template(
        "documents/show.html",
        document=document,
        case=document.case,
        file_type=file_type,
        previewable=bool(file_type and file_type.previewable) and not document.is_removed,
        can_remove=policies.can_remove(current_user, document),
    )


@bp.get("/documents/<int:document_id>/file")
@records_view
@requires(Permission.VIEW_CASES)
def file(document_id: int):
    """The file itself: shown in the browser when it is an image or a PDF, downloaded otherwise."""
    document = policies.get_document_for(current_user, document_id)
    file_type = content.ACCEPTED.get(document.content_type)
    inline = bool(file_type and file_type.previewable)
    return _send(document, inline=inline, how="Viewed" if inline else "Downloaded")


@bp.get("/documents/<int:document_id>/download")
@records_view
@requires(Permission.VIEW_CASES)
def download(document_id: int):
    document = policies.get_document_for(current_user, document_id)
    return _send(document, inline=False, how="Downloaded")


def _send(document: Document, *, inline: bool, how: str) -> Response:
    if document.is_removed:
        return Response("This document was removed.", status=410, mimetype="text/plain")
    # Read before the commit, which expires the loaded document.
    mimetype, filename = document.content_type, document.filename
    try:
        data = services.read(current_user, document, how=how)
    except StorageUnavailable:
        db.session.rollback()
        return Response(
            "The file store cannot be reached. Try again in a few minutes.", status=503, mimetype="text/plain"
        )
    commit()
    response = file_response(data, filename, mimetype, inline=inline, content_security_policy=FILE_CSP)
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/documents/<int:document_id>/remove", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def remove(document_id: int):
    document = policies.get_document_to_remove(current_user, document_id)
    form = RemoveForm()
    if document.is_removed:
        flash("This document has already been removed.", "important")
        return redirect(url_for(".show", document_id=document.id))
    if form.validate_on_submit():
        try:
            services.remove(current_user, document, reason=form.reason.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
        else:
            commit()
            flash(f"{document.filename} removed from the case", "success")
            return redirect(_case_href(document.case_id))
    status = 422 if form.errors or getattr(form, "form_errors", None) else 200
    return render_template("documents/remove.html", document=document, case=document.case, form=form), status
