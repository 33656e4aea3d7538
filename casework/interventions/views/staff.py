"""Interventions pages: choose the kind, record it, see it with its dates and breach log."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from casework.cases.policies import can_edit_case, get_case_for
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.forms import show_service_errors
from casework.core.inputs import whole_number
from casework.core.permissions import Permission, requires
from casework.core.templating import format_date
from casework.core.time import now, today
from casework.documents import layout
from casework.extensions import db
from casework.interventions import notices, queries, services
from casework.interventions.forms import (
    KIND_FIELDS,
    BreachForm,
    ExtendForm,
    ExtensionNoticeForm,
    InterventionForm,
    KindForm,
    NoticeForm,
    ReviewForm,
    StatusForm,
    london_moment,
    parse_time,
)
from casework.interventions.models import (
    CONDUCT_LABELS,
    FINISHED_STATUSES,
    KIND_LABELS,
    REVIEW_OUTCOME_LABELS,
    SERVICE_METHOD_PHRASES,
    Intervention,
    InterventionKind,
    InterventionStatus,
    NoticeKind,
    ServiceMethod,
)
from casework.interventions.policies import can_change_intervention, get_intervention_for, get_intervention_to_serve
from casework.interventions.powers import appeal_of, breach_nature

bp = Blueprint("interventions", __name__)


@bp.get("/interventions")
@requires(Permission.VIEW_CASES)
def index():
    """Every intervention on the cases the user can see, newest first, filtered by kind, status and area."""
    from flask import request

    from casework.core.pagination import page_number, paginate
    from casework.interventions.spreadsheets import visible_interventions

    filters = {key: (request.args.get(key) or "")[:40] for key in ("kind", "status", "area")}
    page = page_number(request.args.get("page"))
    items, total = paginate(visible_interventions(current_user, filters), page, 50)
    return render_template(
        "interventions/index.html",
        items=items,
        total=total,
        page=page,
        pages=max((total + 49) // 50, 1),
        filters=filters,
        kinds=sorted(KIND_LABELS.items(), key=lambda pair: pair[1]),
        statuses=[s.value for s in InterventionStatus],
        areas=sorted(current_user.agency.areas, key=lambda a: a.name),
    )


#: Form field that shows an error the service names by its model field.
FORM_FIELD_FOR = {
    "issued_at": "issued_time",
    "extended_at": "extended_time",
    "reviewed_at": "reviewed_time",
    "kind": None,
    "_rule": None,
}


@bp.route("/cases/<int:case_id>/interventions/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def choose_kind(case_id: int):
    case = get_case_for(current_user, case_id, edit=True)
    form = KindForm()
    if form.validate_on_submit():
        return redirect(url_for(".new", case_id=case.id, kind=form.kind.data))
    return render_template("interventions/choose_kind.html", case=case, form=form), 422 if form.errors else 200


@bp.route("/cases/<int:case_id>/interventions/new/<kind>", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def new(case_id: int, kind: str):
    if kind not in InterventionKind.__members__:
        abort(404)
    case = get_case_for(current_user, case_id, edit=True)
    form = InterventionForm()
    parties = queries.parties_with_people(case)
    people = {p.person_id: p.person.name for p in parties}
    place_kind = InterventionKind(kind) in services.PLACE_KINDS
    form.subject_person_id.choices = [SelectChoice("", "No one in particular" if place_kind else "Choose a person")] + [
        SelectChoice(str(pid), name) for pid, name in sorted(people.items(), key=lambda item: item[1])
    ]
    related_kinds = {"fpn": ("cpn", "pspo"), "closure_order": ("closure_notice",)}.get(kind, ())
    related = [i for i in services.case_interventions(case.id) if i.kind.value in related_kinds]
    form.related_intervention_id.choices = [SelectChoice("", "Choose one")] + [
        SelectChoice(
            str(i.id),
            f"{i.label}, {i.issued_on.day} {i.issued_on:%B %Y}"
            + (f", {i.shown_subject_name}" if i.shown_subject_name else ""),
        )
        for i in related
    ]
    if form.validate_on_submit():
        try:
            data = form.to_data(kind)
        except ValueError as error:
            field, *problem = error.args
            getattr(form, field).errors = problem or ["Enter a number, like 75 or 75.50"]
        else:
            try:
                intervention, warnings = services.create_intervention(current_user, case, data)
            except InvalidInput as error:
                db.session.rollback()
                show_service_errors(form, error, FORM_FIELD_FOR)
            else:
                commit()
                flash(f"{intervention.label} recorded", "success")
                for warning in warnings:
                    flash(warning, "warning")
                return redirect(url_for(".show", intervention_id=intervention.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "interventions/form.html",
        case=case,
        form=form,
        kind=kind,
        kind_label=KIND_LABELS[InterventionKind(kind)],
        fields=KIND_FIELDS[kind],
        place_kind=place_kind,
    ), status


def _show(
    intervention: Intervention,
    status_form: StatusForm | None = None,
    status: int = 200,
    extend_form: ExtendForm | None = None,
    extension_form: ExtensionNoticeForm | None = None,
    review_form: ReviewForm | None = None,
):
    case = intervention.case
    status_form = status_form or StatusForm(data={"status": intervention.status.value, "version": intervention.version})
    statuses = services.status_choices(intervention)
    status_form.offer(statuses)
    notice_ends_at = dict(intervention.dates).get("notice_ends_at")
    can_extend_notice = (
        intervention.kind == InterventionKind.closure_notice
        and not intervention.has_senior_sign_off
        and intervention.status not in FINISHED_STATUSES
        and (notice_ends_at is None or now() < notice_ends_at)
    )
    return render_template(
        "interventions/show.html",
        intervention=intervention,
        case=case,
        can_edit=can_change_intervention(current_user, intervention),
        can_serve=can_edit_case(current_user, case),
        status_form=status_form,
        can_mark_varied=InterventionStatus.varied in statuses,
        extend_form=extend_form or ExtendForm(formdata=None),
        can_extend=intervention.kind in (InterventionKind.closure_order, InterventionKind.pspo),
        extension_form=extension_form or ExtensionNoticeForm(formdata=None),
        can_extend_notice=can_extend_notice,
        review_form=review_form or ReviewForm(formdata=None),
        reviews_due=services.open_review_keys(intervention),
        review_outcome_labels=REVIEW_OUTCOME_LABELS,
        conduct_labels=CONDUCT_LABELS,
        breach=breach_nature(intervention.kind.value),
        appeal=appeal_of(intervention.kind.value),
        paused=services.paused_keys(intervention),
        appeal_warning=services.appeal_warning(intervention),
        notice_kind=notices.notice_kind(intervention),
        service_phrases=SERVICE_METHOD_PHRASES,
        served_notice=notices.served_notice(intervention, current_user) if intervention.served_at else None,
    ), status


@bp.post("/interventions/<int:intervention_id>/extension-notice")
@requires(Permission.EDIT_CASES)
def extension_notice(intervention_id: int):
    """An extension notice for a closure notice (s.77(4))."""
    intervention = get_intervention_for(current_user, intervention_id, edit=True)
    form = ExtensionNoticeForm()
    if form.validate_on_submit():
        extended_at = None
        try:
            at = parse_time(form.extended_time.data)
            extended_at = london_moment(form.extended_on.data, at) if at is not None else None
        except ValueError as error:
            form.extended_time.errors = [str(error)]
            at = None
        hours = (form.hours.data or "").strip()
        if whole_number(hours) is None:
            form.hours.errors = ["Enter the hours as a whole number, like 12"]
        if extended_at is not None and whole_number(hours) is not None:
            try:
                _, warnings = services.extend_closure_notice(
                    current_user,
                    intervention,
                    extended_at=extended_at,
                    hours=int(hours),
                    has_senior_sign_off=bool(form.has_senior_sign_off.data),
                    authorised_by=form.authorised_by.data,
                )
            except InvalidInput as error:
                db.session.rollback()
                show_service_errors(form, error, FORM_FIELD_FOR)
            else:
                commit()
                flash("Extension notice recorded", "success")
                for warning in warnings:
                    flash(warning, "warning")
                return redirect(url_for(".show", intervention_id=intervention.id))
    return _show(get_intervention_for(current_user, intervention_id), status=422, extension_form=form)


@bp.post("/interventions/<int:intervention_id>/reviews")
@requires(Permission.EDIT_CASES)
def add_review(intervention_id: int):
    """Record a review of an order or direction; it closes the review that was due."""
    intervention = get_intervention_for(current_user, intervention_id, edit=True)
    form = ReviewForm()
    if form.validate_on_submit():
        reviewed_at = None
        try:
            at = parse_time(form.reviewed_time.data)
            reviewed_at = london_moment(form.reviewed_on.data, at) if at else None
        except ValueError as error:
            form.reviewed_time.errors = [str(error)]
        else:
            try:
                services.record_review(
                    current_user,
                    intervention,
                    reviewed_on=form.reviewed_on.data,
                    reviewed_at=reviewed_at,
                    reviewer_name=form.reviewer_name.data,
                    outcome=form.outcome.data,
                    notes=form.notes.data,
                )
            except InvalidInput as error:
                db.session.rollback()
                show_service_errors(form, error, FORM_FIELD_FOR)
            else:
                commit()
                flash("Review recorded", "success")
                return redirect(url_for(".show", intervention_id=intervention.id))
    return _show(get_intervention_for(current_user, intervention_id), status=422, review_form=form)


@bp.post("/interventions/<int:intervention_id>/extend")
@requires(Permission.EDIT_CASES)
def extend(intervention_id: int):
    intervention = get_intervention_for(current_user, intervention_id, edit=True)
    form = ExtendForm()
    if form.validate_on_submit():
        try:
            services.extend(current_user, intervention, form.ends_on.data, extended_on=form.extended_on.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error, FORM_FIELD_FOR)
        else:
            commit()
            flash(f"{intervention.label} extended", "success")
            return redirect(url_for(".show", intervention_id=intervention.id))
    return _show(get_intervention_for(current_user, intervention_id), status=422, extend_form=form)


@bp.get("/interventions/<int:intervention_id>")
@requires(Permission.VIEW_CASES)
def show(intervention_id: int):
    return _show(get_intervention_for(current_user, intervention_id))


@bp.post("/interventions/<int:intervention_id>/status")
@requires(Permission.EDIT_CASES)
def change_status(intervention_id: int):
    intervention = get_intervention_for(current_user, intervention_id, edit=True)
    form = StatusForm()
    if not form.validate_on_submit():
        return _show(intervention, form, 422)
    version = whole_number(form.version.data)
    try:
        services.update_status(
            current_user,
            intervention,
            form.status.data,
            version,
            (form.notes.data or "").strip() or None,
            appeal_lodged_on=form.appeal_lodged_on.data,
            appeal_decided_on=form.appeal_decided_on.data,
            appeal_in_error=bool(form.appeal_in_error.data),
            varied_on=form.varied_on.data,
        )
    except InvalidInput as error:
        db.session.rollback()
        show_service_errors(form, error, FORM_FIELD_FOR)
        return _show(get_intervention_for(current_user, intervention_id), form, 422)
    commit()
    # A late appeal's warning is on the page it goes back to, with the appeal (``appeal_warning``).
    flash("Status changed", "success")
    return redirect(url_for(".show", intervention_id=intervention.id))


@bp.route("/interventions/<int:intervention_id>/breaches/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def new_breach(intervention_id: int):
    intervention = get_intervention_for(current_user, intervention_id, edit=True)
    form = BreachForm()
    if form.validate_on_submit():
        try:
            services.record_breach(
                current_user,
                intervention,
                form.occurred_on.data,
                form.description.data,
                form.crime_reference.data if breach_nature(intervention.kind.value).is_criminal_offence else None,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error, FORM_FIELD_FOR)
        else:
            commit()
            flash("Breach recorded" if intervention.kind != InterventionKind.abc else "Recorded", "success")
            return redirect(url_for(".show", intervention_id=intervention.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "interventions/breach_form.html",
        intervention=intervention,
        form=form,
        breach=breach_nature(intervention.kind.value),
    ), status


# --- notices to serve ------------------------------------------------------------------------------------


def _notice_defaults(intervention: Intervention) -> dict[str, Any]:
    """What the notice form starts with: the subject's name and address, the conduct named on an
    earlier notice to the same person, the latest breach of the notice a fixed penalty is for."""
    kind = notices.notice_kind(intervention)
    subject = None if intervention.subject_withheld else intervention.subject
    address = "\n".join(
        part
        for part in ((subject.address or "") if subject else "", (subject.postcode or "") if subject else "")
        if part
    )
    defaults: dict[str, Any] = {
        "recipient_name": subject.name if subject else ("" if intervention.subject_withheld else "The occupiers"),
        "recipient_address": intervention.location if kind == NoticeKind.closure_notice else address,
        "served_on": today(),
        "method": (
            ServiceMethod.fixed_to_premises if kind == NoticeKind.closure_notice else ServiceMethod.by_hand
        ).value,
        "served_by_name": current_user.name,
    }
    earlier = next(
        (
            item
            for item in services.case_interventions(intervention.case_id)
            if item.id != intervention.id
            and item.subject_person_id == intervention.subject_person_id
            and (item.notice_details or {}).get("conduct")
        ),
        None,
    )
    if earlier is not None:
        defaults["conduct"] = earlier.notice_details["conduct"]
    related = intervention.related
    if kind == NoticeKind.fpn and related is not None and related.breaches:
        latest = related.breaches[-1]
        defaults["particulars"] = f"On {format_date(latest.occurred_on)}: {latest.description}"
    return defaults


def _notice_service(form: NoticeForm, intervention: Intervention) -> notices.Service | None:
    """The service the form describes, or None with the form's errors set."""
    kind = notices.notice_kind(intervention)
    details: dict[str, Any] = {}
    if kind in (NoticeKind.cpw, NoticeKind.cpn):
        details["conduct"] = (form.conduct.data or "").strip()
    if kind == NoticeKind.fpn:
        details["particulars"] = (form.particulars.data or "").strip()
    served_at = None
    if kind == NoticeKind.closure_notice and intervention.issued_at is not None:
        served_at = intervention.issued_at
        details["court"] = (form.court.data or "").strip()
        try:
            at = parse_time(form.hearing_time.data)
        except ValueError as error:
            form.hearing_time.errors = [str(error)]
            return None
        if form.hearing_on.data and at is None:
            form.hearing_time.errors = ["Enter the time of the hearing, like 9:30am"]
            return None
        if form.hearing_on.data and at is not None:
            try:
                hearing_at = london_moment(form.hearing_on.data, at)
            except ValueError as error:
                form.hearing_time.errors = [str(error)]
                return None
            details["hearing_at"] = hearing_at.isoformat()
            details["hearing_at_value"] = hearing_at
    else:
        if form.served_on.data is None:
            form.served_on.errors = ["Enter the date it was served"]
            return None
        try:
            at = parse_time(form.served_time.data)
            served_at = london_moment(form.served_on.data, at or time(12, 0))
        except ValueError as error:
            form.served_time.errors = [str(error)]
            return None
        if at is None:
            # No time given: the notice is dated, not timed; noon keeps the London day whatever the clocks.
            details["served_time_given"] = False
    return notices.Service(
        recipient_name=form.recipient_name.data or "",
        recipient_address=form.recipient_address.data or "",
        served_at=served_at,
        method=ServiceMethod(form.method.data),
        served_by_name=form.served_by_name.data or "",
        details=details,
    )


@bp.route("/interventions/<int:intervention_id>/notice", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def notice(intervention_id: int):
    """Produce the notice to serve, preview it, and record its service (the PDF is kept on the case)."""
    intervention = get_intervention_to_serve(current_user, intervention_id)
    kind = notices.notice_kind(intervention)
    if kind is None:
        abort(404)
    served = notices.served_notice(intervention, current_user) if intervention.served_at else None
    form = NoticeForm(data=_notice_defaults(intervention) if request.method == "GET" else None)
    preview = None
    template_failed = False
    status = 200
    if intervention.served_at is None and form.validate_on_submit():
        service = _notice_service(form, intervention)
        if service is not None:
            try:
                notices.check_service(intervention, service)
                if request.form.get("serve"):
                    document = notices.serve(current_user, intervention, service)
                else:
                    preview, template_failed = notices.preview(intervention, service)
            except InvalidInput as error:
                db.session.rollback()
                show_service_errors(form, error, FORM_FIELD_FOR)
            else:
                if preview is None:
                    commit()
                    flash(
                        f"{intervention.label} served. The notice is kept on the case as {document.filename}.",
                        "success",
                    )
                    return redirect(url_for(".show", intervention_id=intervention.id))
        if form.errors or form.form_errors:
            status = 422
    elif form.is_submitted() and intervention.served_at is None:
        status = 422
    return render_template(
        "interventions/notice.html",
        intervention=intervention,
        case=intervention.case,
        kind=kind,
        form=form,
        preview=preview,
        template_failed=template_failed,
        served=served,
        hearing_by=dict(intervention.dates).get("hearing_by"),
        letterhead=layout.letterhead_for(intervention.case.area),
    ), status
