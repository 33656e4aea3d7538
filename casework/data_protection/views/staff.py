"""The data protection pages: subject access exports (redacted, or released in full by the data
protection officer), finding the person a request is about, and the retention reports."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.audit.reads import forget_shown
from casework.cases import forms as case_forms
from casework.cases import policies, queries
from casework.cases.models import Person
from casework.core.db import commit, records_view
from casework.core.errors import InvalidInput, NotFound, RuleViolation, not_found_as
from casework.core.forms import show_service_errors
from casework.core.pagination import page_number, paginate
from casework.core.permissions import Permission, requires
from casework.core.templating import format_datetime
from casework.core.urls import url_with_query
from casework.data_protection import forms, retention, subject_access
from casework.data_protection import merge as merging
from casework.extensions import db

bp = Blueprint("data_protection", __name__)

PER_PAGE = 25

_PDF_CSS = """
@page { size: A4; margin: 20mm 18mm; @bottom-right { content: counter(page) " of " counter(pages); font-size: 9pt; } }
body { font-family: Arial, sans-serif; font-size: 10.5pt; line-height: 1.4; color: #0b0c0c; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 18pt; } h3 { font-size: 11pt; }
dt { font-weight: bold; } dd { margin: 0 0 6pt 0; }
.notice { border-left: 5px solid #1d70b8; padding-left: 8pt; }
"""


def person_for_export(person_id: int) -> Person:
    """The data protection officer may export anyone; a manager, the people they can see. A record
    merged into another answers ``MergedRecord`` (its export is the kept record's), but only to whom
    both the kept record and the merged record itself are visible (``merge.may_see_merged_record``:
    ``visible_people_clause`` as it stood before the merge): to anyone else it is not found, as a
    missing person is."""
    everyone = current_user.can(Permission.RELEASE_SUBJECT_ACCESS)
    person = queries.person_with_id(person_id)
    if person is None:
        raise NotFound("Person not found.")
    kept = subject_access.kept_record_for_export(person)
    if kept is None or kept.id == person.id:
        return person if everyone else policies.get_person_for(current_user, person_id)
    if not everyone:
        merge = merging.merge_of(person)
        with not_found_as("Person not found."):
            policies.get_person_for(current_user, kept.id)
        if merge is None or not merging.may_see_merged_record(current_user, person, merge):
            raise NotFound("Person not found.")
    # The answer names the two records by number and shows neither.
    forget_shown("people", keep=[])
    raise MergedRecord(person, kept)


class MergedRecord(RuleViolation):
    """A subject access export asked for a record merged into another: the kept record's export holds
    the merged record's details (labelled) for as long as they are kept."""

    def __init__(self, person: Person, kept: Person) -> None:
        self.person, self.kept = person, kept
        super().__init__(
            f"Record {person.id} was merged into record {kept.id}: export record {kept.id}. Its export "
            f"includes the details held on record {person.id} for as long as they are kept."
        )


def _to_kept(error: MergedRecord, endpoint: str) -> Any:
    """To the kept record's export (a download keeps its format and says nothing)."""
    if request.args.get("format", "html") == "html":
        flash(
            f"Record {error.person.id} was merged into this one: this export includes the details still held on it.",
            "important",
        )
    return redirect(url_with_query(endpoint, request.args.to_dict(), person_id=error.kept.id))


def _answer(person: Person, document: dict[str, Any], fmt: str) -> Any:
    filename = f"person-{person.id}-subject-access-{document['version']}"
    if fmt == "json":
        return Response(
            json.dumps(document, indent=2),
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{filename}.json"'},
        )
    if fmt == "pdf":
        import weasyprint

        html = render_template("data_protection/export_print.html", person=person, export=document)
        content = weasyprint.HTML(string=html).write_pdf(stylesheets=[weasyprint.CSS(string=_PDF_CSS)])
        return Response(
            content,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
        )
    return render_template("data_protection/export.html", person=person, export=document)


@bp.get("/people/<int:person_id>/export")
@records_view
@requires(Permission.EXPORT_PEOPLE)
def export(person_id: int):
    """The subject access export: third parties redacted, restricted records withheld. A merged
    record's export is the kept record's: the page goes there."""
    try:
        person = person_for_export(person_id)
    except MergedRecord as merged:
        return _to_kept(merged, "staff.data_protection.export")
    fmt = request.args.get("format", "html")
    if fmt not in {"html", "json", "pdf"}:
        abort(404)
    document = subject_access.export(current_user, person)
    response = _answer(person, document, fmt)
    commit()
    return response


@bp.route("/people/<int:person_id>/export/full", methods=["GET", "POST"])
@records_view
@requires(Permission.RELEASE_SUBJECT_ACCESS)
def release(person_id: int):
    """The data protection officer releases the full export, with a recorded reason (a merged
    record's is the kept record's).

    A merged record's form goes to the kept record's. A release posted for a record merged since its
    form was opened releases nothing (what would go out is no longer that record's export alone): it
    answers the kept record's form, the reason and format filled in as sent, saying why, so one press
    releases the kept record's export (which holds the merged record's details)."""
    try:
        person = person_for_export(person_id)
    except MergedRecord as merged:
        if request.method != "POST":
            return _to_kept(merged, "staff.data_protection.release")
        kept_form = forms.ReleaseForm(formdata=None, reason=request.form.get("reason", ""))
        if request.form.get("format") in {value for value, _label in forms.FORMATS}:
            kept_form.format.data = request.form["format"]
        flash(
            f"Nothing was released. Record {merged.person.id} was merged into record {merged.kept.id} after you "
            f"opened the form: the full export is record {merged.kept.id}'s, and it includes the details still "
            f"held on record {merged.person.id}. Check the reason and release it here.",
            "important",
        )
        return render_template("data_protection/release.html", person=merged.kept, form=kept_form), 409
    form = forms.ReleaseForm()
    if form.validate_on_submit():
        try:
            document = subject_access.export(current_user, person, full=True, reason=form.reason.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error, nested_by_last_part=True)
        else:
            response = _answer(person, document, form.format.data)
            commit()
            return response
    status = 422 if form.errors else 200
    return render_template("data_protection/release.html", person=person, form=form), status


@bp.get("/subject-access")
@requires(Permission.EXPORT_PEOPLE)
def find_person():
    """Find the person a subject access request is about (the data protection officer: anyone)."""
    form = case_forms.PeopleSearchForm(request.args)
    form.validate()
    page = page_number(request.args.get("page"))
    searched = any((form.name.data, form.date_of_birth.data, form.postcode.data))
    items, total, withheld = [], 0, 0
    found_through: dict[int, list[int]] = {}
    if searched:
        search = {"name": form.name.data, "date_of_birth": form.date_of_birth.data, "postcode": form.postcode.data}
        everyone = current_user.can(Permission.RELEASE_SUBJECT_ACCESS)
        # A record merged into another still holds its own details (another name, an old postcode):
        # a search matching them finds the kept record, whose export holds them.
        found_through, merged_hidden = merging.merged_records_matching(current_user, everyone=everyone, **search)
        items, total = paginate(
            queries.people_search_query(current_user, **search, everyone=everyone, also_ids=found_through),
            page,
            PER_PAGE,
        )
        if not everyone:
            # People on restricted cases are hidden from a manager not named on them: the request is then
            # the data protection officer's to answer, and the page says so rather than "nobody matches".
            withheld = queries.people_withheld_count(current_user, **search)
            withheld += merged_hidden
        # The merged records searched were read to find the records they were merged into, not shown.
        forget_shown("people", keep=[p.id for p in items])
    return render_template(
        "data_protection/find_person.html",
        form=form,
        people=items,
        total=total,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        searched=searched,
        withheld=withheld,
        found_through=found_through,
    )


@bp.get("/retention")
@requires(Permission.VIEW_RETENTION)
def retention_report():
    """What each retention run anonymised (tables and counts, case references, person ids), and the
    closed cases past their retention period that the grace after closing still keeps, with the day
    each will be anonymised."""
    return render_template(
        "data_protection/retention.html",
        runs=retention.runs(),
        held_back=retention.held_back_cases(),
        grace_days=retention.closure_grace_days(),
    )


# --- merging duplicate people ------------------------------------------------------------------------------


@bp.route("/people/<int:person_id>/merge/<int:other_id>", methods=["GET", "POST"])
@requires(Permission.MERGE_PEOPLE)
def merge(person_id: int, other_id: int):
    """Merge ``other`` into ``person`` (both must be visible, and every case of both)."""
    kept = policies.get_person_for(current_user, person_id)
    other = policies.get_person_for(current_user, other_id)
    form = forms.MergeForm()
    problem = None
    try:
        merging.check_mergeable(current_user, kept, other)
    except (RuleViolation, InvalidInput) as error:
        problem = (
            str(error) if isinstance(error, RuleViolation) else " ".join(m for ms in error.errors.values() for m in ms)
        )
    if form.validate_on_submit() and problem is None:
        row = merging.merge_people(current_user, kept, other)
        commit()
        flash(
            f"{other.name} was merged into this record. You can undo it until {format_datetime(row.undo_until)}.",
            "success",
        )
        return redirect(url_for("staff.people.show", person_id=kept.id))
    cases = {p.id: queries_for_merge(p) for p in (kept, other)}
    return render_template(
        "data_protection/merge.html", kept=kept, other=other, form=form, problem=problem, cases=cases
    ), (422 if problem and request.method == "POST" else 200)


def queries_for_merge(person: Person) -> int:
    from casework.cases.services import person_cases

    return len(person_cases(current_user, person))


@bp.post("/people/merges/<int:merge_id>/undo")
@requires(Permission.MERGE_PEOPLE)
def undo_merge(merge_id: int):
    merge_row = merging.get_merge_for(current_user, merge_id)
    kept = policies.get_person_for(current_user, merge_row.kept_person_id)
    try:
        merging.undo_merge(current_user, merge_row)
    except RuleViolation as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("staff.people.show", person_id=kept.id))
    commit()
    flash("The merge was undone: the two records are separate again.", "success")
    return redirect(url_for("staff.people.show", person_id=kept.id))
