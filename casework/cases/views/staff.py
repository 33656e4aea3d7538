"""The casework pages: case list and page, the ledger forms, people. Thin: form, service, commit."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from casework.accounts.models import Agency
from casework.cases import forms, police_reports, policies, queries, services
from casework.cases.models import Case, CaseParty, CaseStatus, Person
from casework.cases.sections import page_sections, person_page_sections
from casework.core.db import commit, records_view
from casework.core.errors import InvalidInput
from casework.core.pagination import page_number, paginate
from casework.core.permissions import Permission, requires
from casework.core.time import now
from casework.extensions import db

cases_bp = Blueprint("cases", __name__, url_prefix="/cases")
people_bp = Blueprint("people", __name__, url_prefix="/people")
blueprints = [cases_bp, people_bp]

PER_PAGE = 25


def _form_page(
    form: Any,
    *,
    title: str,
    submit: str,
    back_href: str,
    caption: str | None = None,
    intro: str | None = None,
    template: str = "cases/form.html",
    **extra: Any,
):
    status = 422 if form.errors or getattr(form, "form_errors", None) else 200
    return render_template(
        template, form=form, title=title, submit=submit, back_href=back_href, caption=caption, intro=intro, **extra
    ), status


def _failed(form: Any, error: InvalidInput, aliases: dict[str, str] | None = None) -> None:
    db.session.rollback()
    forms.apply_domain_errors(form, error, aliases)


def _agency_choices(blank: str | None = None, exclude: set[int] | None = None) -> list[Any]:
    agencies = db.session.scalars(sa.select(Agency).order_by(Agency.name))
    choices = [("", blank)] if blank else []
    choices += [(a.code, a.name) for a in agencies if a.id not in (exclude or set())]
    return forms.options(choices)


def _case_href(case: Case) -> str:
    return url_for("staff.cases.show", case_id=case.id)


# --- the case list ------------------------------------------------------------------------------------


@cases_bp.get("/")
@requires(Permission.VIEW_CASES)
def index():
    area = request.args.get("area") or None
    status = request.args.get("status") if request.args.get("status") in {s.value for s in CaseStatus} else None
    q = (request.args.get("q") or "").strip()[:200] or None
    page = page_number(request.args.get("page"))
    result = queries.case_page(current_user, area=area, status=status, q=q, page=page, per_page=PER_PAGE)
    areas = sorted(current_user.agency.areas, key=lambda a: a.name)
    return render_template(
        "cases/index.html",
        cases=result.items,
        total=result.total,
        total_is_estimate=result.total_is_estimate,
        count_limit=queries.COUNT_LIMIT,
        page=page,
        has_more=result.has_more,
        filters={"area": area, "status": status, "q": q},
        areas=areas,
        can_open=current_user.can(Permission.OPEN_CASES),
        queued_calls=police_reports.queued_count(current_user),
        export_args={k: v for k, v in {"area": area, "status": status, "q": q}.items() if v},
    )


@cases_bp.route("/new", methods=["GET", "POST"])
@requires(Permission.OPEN_CASES)
def new():
    form = forms.CaseForm()
    areas = sorted(current_user.agency.areas, key=lambda a: a.name)
    form.area_code.choices = forms.options((a.code, a.name) for a in areas)
    area = next((a for a in areas if a.code == form.area_code.data), areas[0] if areas else None)
    form.category.choices = forms.options((c.code, c.name) for c in services.categories_for(area))
    form.lead_agency_code.choices = _agency_choices(f"{current_user.agency.name} (your agency)")
    if form.validate_on_submit():
        try:
            case = services.create_case(
                current_user,
                area_code=form.area_code.data,
                category=form.category.data,
                summary=form.summary.data.strip(),
                location=(form.location.data or "").strip() or None,
                lead_agency_code=form.lead_agency_code.data or None,
                owner_email=form.owner_email.data or None,
                is_restricted=form.is_restricted.data,
            )
            commit()
            flash(f"Case {case.reference} opened", "success")
            return redirect(_case_href(case))
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(
        form,
        title="Open a case",
        submit="Open case",
        back_href=url_for("staff.cases.index"),
        intro="You can add the people involved and the incidents once the case is open.",
    )


# --- the case page ------------------------------------------------------------------------------------


#: The parts of the case page before and after the domains' sections: (anchor, title).
CONTENTS_BEFORE = [("summary", "Summary"), ("people", "People"), ("ledger", "Incidents and reports")]
CONTENTS_AFTER = [("timeline", "Timeline")]


def _case_page(case_id: int, *, print_view: bool = False) -> str:
    case = services.load_case_record(case_id, viewer=current_user)
    journal = services.case_journal(case, current_user)
    # Each registered section renders its own partial with its own context, plus the case and user.
    # Jinja autoescapes what the partial renders, so its output is already safe HTML.
    sections = [
        Markup(  # noqa: S704
            render_template(
                section.template,
                **{"case": case, "user": current_user, "print_view": print_view, **section.context(case, current_user)},
            )
        )
        for section in page_sections()
    ]
    context = {
        "case": case,
        "parties": sorted(case.parties, key=lambda p: (p.role.value, p.person.name)),
        "linked": journal.linked,
        "explanations": case.explanations,
        "timeline": services.timeline(case, journal),
        "sections": sections,
        "contents": [
            *CONTENTS_BEFORE,
            *((s.anchor, s.title) for s in page_sections() if s.anchor and s.title),
            *CONTENTS_AFTER,
        ],
        "can_manage": policies.can_manage_case(current_user, case) and not print_view,
        "can_edit": current_user.can(Permission.EDIT_CASES) and not print_view,
        "print_view": print_view,
        "printed_at": now() if print_view else None,
    }
    # Rendered before the commit: committing expires the loaded records, and reading them again
    # afterwards would cost a query for each.
    html = render_template("cases/show.html", **context)
    # Recorded last: on SQLite the write lock is then held for the audit entry only.
    services.view_case(current_user, case, how="Printed" if print_view else "Viewed")
    commit()
    return html


@cases_bp.get("/<int:case_id>")
@records_view
@requires(Permission.VIEW_CASES)
def show(case_id: int):
    return _case_page(case_id)


@cases_bp.get("/<int:case_id>/print")
@records_view
@requires(Permission.VIEW_CASES)
def print_view(case_id: int):
    """The whole case laid out for paper: no navigation, contents or links to change it."""
    return _case_page(case_id, print_view=True)


def _managed(case_id: int) -> Case:
    return policies.get_case_to_manage(current_user, case_id)


@cases_bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def edit(case_id: int):
    case = _managed(case_id)
    form = forms.CaseEditForm(obj=case if request.method == "GET" else None)
    if request.method == "GET":
        form.owner_email.data = case.owner.email if case.owner else ""
        form.version.data = str(case.version)
    form.category.choices = forms.options((c.code, c.name) for c in services.categories_for(case.area))
    if form.validate_on_submit():
        try:
            services.update_case(
                current_user,
                case,
                int(form.version.data or 0),
                category=form.category.data,
                summary=form.summary.data.strip(),
                location=(form.location.data or "").strip() or None,
                owner_email=form.owner_email.data or None,
                is_restricted=form.is_restricted.data,
            )
            commit()
            flash("Case updated", "success")
            return redirect(_case_href(case))
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(
        form, title="Change the case", caption=case.reference, submit="Save changes", back_href=_case_href(case)
    )


@cases_bp.route("/<int:case_id>/close", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def close(case_id: int):
    """Close the case, choosing for each open action whether it is cancelled or handed over; statutory
    deadlines always continue with a named owner (SPEC section 10)."""
    from casework.reminders.services import case_deadlines

    case = _managed(case_id)
    actions = queries.open_actions(case.id)
    ordinary = [a for a in actions if a.recommendation_id is None]
    statutory_actions = [a for a in actions if a.recommendation_id is not None]
    # Deadlines other than actions' (those are listed with their action): hearings, reviews, risk reviews.
    deadlines = [d for d in case_deadlines(case.id) if d.subject_type != "actions"]
    staff = queries.staff_to_take_over(case)
    form = forms.close_form_for(ordinary, staff)
    if request.method == "GET":
        form.version.data = str(case.version)
        form.handover_to.data = str(case.owner_id) if case.owner_id in {u.id for u in staff} else ""
    if form.validate_on_submit():
        chosen = {str(u.id): u for u in staff}.get(form.handover_to.data or "")
        try:
            services.close_case(
                current_user,
                case,
                reason=form.reason.data,
                closed_on=form.closed_on.data,
                expected_version=int(form.version.data or 0),
                handover_to=chosen,
                hand_over_action_ids=forms.handed_over_action_ids(form, ordinary),
            )
            commit()
            flash(f"Case {case.reference} closed", "success")
            return redirect(_case_href(case))
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(
        form,
        title="Close the case",
        caption=case.reference,
        submit="Close case",
        back_href=_case_href(case),
        template="cases/close.html",
        case=case,
        ordinary_actions=ordinary,
        statutory_actions=statutory_actions,
        statutory_deadlines=[d for d in deadlines if d.is_statutory],
        cancelled_deadlines=[d for d in deadlines if not d.is_statutory],
    )


@cases_bp.route("/<int:case_id>/reopen", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def reopen(case_id: int):
    case = _managed(case_id)
    form = forms.ReopenForm()
    if request.method == "GET":
        form.version.data = str(case.version)
    if form.validate_on_submit():
        try:
            services.reopen_case(
                current_user, case, reason=form.reason.data, expected_version=int(form.version.data or 0)
            )
            commit()
            flash(f"Case {case.reference} reopened", "success")
            return redirect(_case_href(case))
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(
        form, title="Reopen the case", caption=case.reference, submit="Reopen case", back_href=_case_href(case)
    )


@cases_bp.route("/<int:case_id>/share", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def share(case_id: int):
    case = services.load_case_record(_managed(case_id).id)
    form = forms.ShareForm()
    form.agency_code.choices = _agency_choices(
        "Choose an agency", exclude={case.lead_agency_id, *(s.agency_id for s in case.shares)}
    )
    if form.validate_on_submit():
        try:
            agency = services.share_case(current_user, case, form.agency_code.data)
            commit()
            flash(f"Case shared with {agency.name}", "success")
            return redirect(_case_href(case))
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(
        form,
        title="Share the case with another agency",
        caption=case.reference,
        submit="Share",
        back_href=_case_href(case),
        template="cases/share.html",
        case=case,
        unshare_form=forms.PageIdForm(),
    )


@cases_bp.post("/<int:case_id>/unshare/<agency_code>")
@requires(Permission.EDIT_CASES)
def unshare(case_id: int, agency_code: str):
    case = _managed(case_id)
    form = forms.PageIdForm()
    if form.validate_on_submit():
        agency = services.unshare_case(current_user, case, agency_code)
        commit()
        flash(f"Case no longer shared with {agency.name}", "success")
    return redirect(url_for("staff.cases.share", case_id=case.id))


@cases_bp.route("/<int:case_id>/access", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def access(case_id: int):
    case = _managed(case_id)
    form = forms.AccessForm()
    if form.validate_on_submit():
        try:
            user = services.grant_access(current_user, case, form.email.data)
            commit()
            flash(f"{user.name} can now see this case", "success")
            return redirect(_case_href(case))
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(
        form,
        title="Name a user on this restricted case",
        caption=case.reference,
        submit="Name user",
        back_href=_case_href(case),
    )


@cases_bp.route("/<int:case_id>/links/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def link(case_id: int):
    case = _managed(case_id)
    form = forms.LinkForm()
    if form.validate_on_submit():
        other_id = db.session.scalar(sa.select(Case.id).where(Case.reference == form.reference.data.strip().upper()))
        try:
            other = services.link_cases(current_user, case, other_id or 0)
            commit()
            flash(f"Linked to {other.reference}", "success")
            return redirect(_case_href(case))
        except InvalidInput as error:
            _failed(form, error, {"case_id": "reference"})
    return _form_page(
        form, title="Link another case", caption=case.reference, submit="Link case", back_href=_case_href(case)
    )


@cases_bp.route("/<int:case_id>/notes/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def add_note(case_id: int):
    case = policies.get_case_for(current_user, case_id, edit=True)
    form = forms.NoteForm()
    if form.validate_on_submit():
        try:
            services.add_note(current_user, case, form.text.data)
            commit()
            flash("Note added", "success")
            return redirect(_case_href(case))
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(form, title="Add a note", caption=case.reference, submit="Add note", back_href=_case_href(case))


@cases_bp.route("/<int:case_id>/parties/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def add_party(case_id: int):
    case = policies.get_case_for(current_user, case_id, edit=True)
    form = forms.PartyForm()
    if form.validate_on_submit():
        try:
            party = services.add_party(current_user, case, int(form.person_id.data), form.role.data)
            commit()
            flash(f"{party.person.name} added as {party.role.value}", "success")
            return redirect(_case_href(case))
        except (InvalidInput, ValueError) as error:
            db.session.rollback()
            flash(getattr(error, "message", None) or "Choose a person from the results", "error")
    elif form.is_submitted():
        flash("Choose a person from the results", "error")
    name = (request.args.get("name") or "").strip()
    people = []
    if name:
        people = db.session.scalars(queries.people_search_query(current_user, name=name).limit(50)).all()
    return render_template("cases/add_party.html", case=case, name=name, people=people, form=form)


# --- the ledger ---------------------------------------------------------------------------------------


def _complainant_choices(case: Case) -> list[Any]:
    parties = db.session.scalars(
        sa.select(Person)
        .join(CaseParty, CaseParty.person_id == Person.id)
        .where(CaseParty.case_id == case.id)
        .distinct()
        .order_by(Person.name)
    )
    return forms.options([("", "Not named")] + [(str(p.id), p.name) for p in parties])


@cases_bp.route("/<int:case_id>/incidents/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def new_incident(case_id: int):
    case = policies.get_case_for(current_user, case_id, edit=True)
    form = forms.IncidentForm()
    form.complainant_person_id.choices = _complainant_choices(case)
    form.agency_code.choices = _agency_choices("Choose the agency")
    if form.validate_on_submit():
        complaints = []
        if form.reported_on.data or form.agency_code.data:
            if not (form.reported_on.data and form.agency_code.data):
                missing = form.reported_on if not form.reported_on.data else form.agency_code
                missing.errors = ["Enter when the report was made and which agency received it"]
                return _form_page(
                    form,
                    title="Record an incident",
                    caption=case.reference,
                    submit="Save incident",
                    back_href=_case_href(case),
                )
            complaints.append(
                {
                    "complainant_person_id": int(form.complainant_person_id.data)
                    if form.complainant_person_id.data
                    else None,
                    "reported_on": form.reported_on.data,
                    "agency_code": form.agency_code.data,
                    "reference": (form.reference.data or "").strip() or None,
                }
            )
        try:
            services.record_incident(
                current_user,
                case,
                occurred_on=form.occurred_on.data,
                description=form.description.data.strip(),
                causes_had=form.causes_had.data,
                hate_motivated=form.hate_motivated.data,
                complaints=complaints,
            )
            commit()
            flash("Incident recorded", "success")
            return redirect(_case_href(case) + "#ledger")
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(
        form,
        title="Record an incident",
        caption=case.reference,
        submit="Save incident",
        back_href=_case_href(case),
        intro="Record the behaviour once, with its first report. If other agencies received reports of "
        "the same behaviour, add them to this incident afterwards.",
    )


@cases_bp.route("/<int:case_id>/incidents/<int:incident_id>/complaints/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def new_complaint(case_id: int, incident_id: int):
    case = policies.get_case_for(current_user, case_id, edit=True)
    incident = services.get_incident(case, incident_id)
    form = forms.ComplaintForm()
    form.complainant_person_id.choices = _complainant_choices(case)
    form.agency_code.choices = _agency_choices("Choose the agency")
    if form.validate_on_submit():
        try:
            services.add_complaint(
                current_user,
                case,
                incident,
                complainant_person_id=int(form.complainant_person_id.data) if form.complainant_person_id.data else None,
                reported_on=form.reported_on.data,
                agency_code=form.agency_code.data,
                reference=(form.reference.data or "").strip() or None,
            )
            commit()
            flash("Report added to the incident", "success")
            return redirect(_case_href(case) + "#ledger")
        except InvalidInput as error:
            _failed(form, error)
    from casework.core.templating import format_date

    return _form_page(
        form,
        title="Add a report of this incident",
        caption=case.reference,
        submit="Add report",
        back_href=_case_href(case),
        intro=f"Incident of {format_date(incident.occurred_on)}: {incident.description[:200]}",
    )


@cases_bp.route("/<int:case_id>/explanations/<int:explanation_id>", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def record_explanation(case_id: int, explanation_id: int):
    case = policies.get_case_for(current_user, case_id, edit=True)
    task = services.get_explanation(case, explanation_id)
    form = forms.ExplanationForm()
    if form.validate_on_submit():
        try:
            services.record_explanation(
                current_user, task, explained_on=form.explained_on.data, method=form.method.data, notes=form.notes.data
            )
            commit()
            flash("Recorded that the Case Review was explained", "success")
            return redirect(_case_href(case))
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(
        form,
        title=f"Explain the Case Review to {task.person.name}",
        caption=case.reference,
        submit="Save",
        back_href=_case_href(case),
        intro="Tell them about their right to ask for an ASB Case Review (the Community Trigger), "
        "how to apply, and what happens next.",
    )


# --- people -------------------------------------------------------------------------------------------


@people_bp.get("/", endpoint="index")
@requires(Permission.VIEW_CASES)
def people_index():
    form = forms.PeopleSearchForm(request.args)
    form.validate()
    page = page_number(request.args.get("page"))
    searched = any((form.name.data, form.date_of_birth.data, form.postcode.data))
    items, total = [], 0
    if searched:
        query = queries.people_search_query(
            current_user, name=form.name.data, date_of_birth=form.date_of_birth.data, postcode=form.postcode.data
        )
        items, total = paginate(query, page, PER_PAGE)
    return render_template(
        "people/index.html",
        form=form,
        people=items,
        total=total,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        searched=searched,
    )


@people_bp.route("/new", methods=["GET", "POST"], endpoint="new")
@requires(Permission.EDIT_CASES)
def new_person():
    form = forms.PersonForm()
    duplicates: list[Person] = []
    if form.validate_on_submit():
        values = form.person_values()
        if form.confirm_not_duplicate.data != "yes":
            duplicates = services.find_likely_duplicates(
                current_user,
                name=values["name"] or "Unknown",
                date_of_birth=values["date_of_birth"],
                address=values["address"],
                postcode=services.normalise_postcode(values["postcode"]),
            )
        if not duplicates:
            try:
                person, _ = services.create_person(current_user, **values)
                commit()
                flash(f"{person.name} added", "success")
                return redirect(url_for("staff.people.show", person_id=person.id))
            except InvalidInput as error:
                _failed(form, error)
        else:
            form.confirm_not_duplicate.data = "yes"
    return render_template("people/new.html", form=form, duplicates=duplicates), (
        422 if form.errors or getattr(form, "form_errors", None) else 200
    )


@people_bp.get("/<int:person_id>", endpoint="show")
@records_view
@requires(Permission.VIEW_CASES)
def show_person(person_id: int):
    person = policies.get_person_for(current_user, person_id)
    if person.merged_into_id is not None:
        # A record merged into another is kept only so the merge can be undone: show the kept one.
        return redirect(url_for("staff.people.show", person_id=person.merged_into_id))
    services.view_person(current_user, person)
    # Each domain's part of the record, as far as the user may see it (registered person sections).
    sections = [
        Markup(  # noqa: S704  (the partial's output is autoescaped)
            render_template(
                section.template, **{"person": person, "user": current_user, **section.context(person, current_user)}
            )
        )
        for section in person_page_sections()
    ]
    html = render_template(
        "people/show.html", person=person, sections=sections, can_export=policies.can_export_person(current_user)
    )
    commit()
    return html


@people_bp.route("/<int:person_id>/edit", methods=["GET", "POST"], endpoint="edit")
@requires(Permission.EDIT_CASES)
def edit_person(person_id: int):
    person = policies.get_person_for(current_user, person_id)
    form = forms.PersonEditForm(obj=person if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = person.kind.value
        form.consent_given.data = {True: "yes", False: "no"}.get(person.consent_given, "unknown")
        form.version.data = str(person.version)
    if form.validate_on_submit():
        values = form.person_values()
        values["kind"] = values["kind"] or person.kind.value
        values.pop("version", None)
        try:
            services.update_person(current_user, person, int(form.version.data or 0), **values)
            commit()
            flash("Details saved", "success")
            return redirect(url_for("staff.people.show", person_id=person.id))
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(
        form,
        title=f"Change {person.name}'s details",
        submit="Save details",
        back_href=url_for("staff.people.show", person_id=person.id),
    )
