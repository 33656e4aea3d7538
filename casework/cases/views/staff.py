"""The casework pages: case list and page, the ledger forms, people. Thin: form, service, commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from casework.accounts.queries import all_agencies
from casework.cases import forms, listing, policies, queries, services
from casework.cases import saved_views as saved_views_module
from casework.cases.models import Case, Person
from casework.cases.sections import page_sections, person_page_sections
from casework.core.db import commit, records_view
from casework.core.errors import InvalidInput
from casework.core.forms import FlaskForm, show_service_errors
from casework.core.inputs import query_id
from casework.core.pagination import page_number, paginate
from casework.core.permissions import Permission, requires
from casework.core.templating import render_partials
from casework.core.time import now, today
from casework.core.urls import url_for as page_url
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
    show_service_errors(form, error, aliases, nested_by_last_part=True)


def _agency_choices(blank: str | None = None, exclude: set[int] | None = None) -> list[Any]:
    agencies = all_agencies()
    choices = [("", blank)] if blank else []
    choices += [(a.code, a.name) for a in agencies if a.id not in (exclude or set())]
    return forms.options(choices)


def _case_href(case: Case) -> str:
    return url_for("staff.cases.show", case_id=case.id)


# --- the case list ------------------------------------------------------------------------------------


@cases_bp.get("/")
@requires(Permission.VIEW_CASES)
def index():
    # The signed-in user itself, not Flask-Login's proxy: the list's parts ask it a dozen questions.
    user = current_user._get_current_object()
    wanted = listing.read(user, request.args)
    page = page_number(request.args.get("page"))
    cursor = (request.args.get("cursor") or "")[:200] or None
    try:
        result = queries.case_page(
            user, page=page, per_page=PER_PAGE, cursor=cursor, summaries=True, **wanted.page_args()
        )
    except InvalidInput:
        # A cursor from another order, or altered: start the list again rather than fail.
        cursor = None
        result = queries.case_page(user, page=page, per_page=PER_PAGE, summaries=True, **wanted.page_args())
    choices = queries.list_choices(user)
    sort_key = wanted.sort or "created"
    sort_order = wanted.order or queries.SORT_KEYS[sort_key]
    return render_template(
        "cases/index.html",
        error_items=[{"text": message, "href": f"#{name}"} for name, message in wanted.errors.items()],
        area_options=choices.areas,
        sort_links=_sort_links(wanted, sort_key, sort_order),
        cases=result.items,
        total=result.total,
        total_is_estimate=result.total_is_estimate,
        count_limit=queries.COUNT_LIMIT,
        page=page,
        has_more=result.has_more,
        next_cursor=result.next_cursor,
        cursor=cursor,
        wanted=wanted,
        filters=wanted.raw,
        list_args=wanted.query_args(),
        sort_key=sort_key,
        sort_order=sort_order,
        sort_labels=listing.SORT_LABELS,
        risk_labels=listing.RISK_LABELS,
        choices=choices,
        can_open=user.can(Permission.OPEN_CASES),
        can_reassign=user.can(Permission.EDIT_CASES),
        can_see_caseload=user.can(Permission.MANAGE_TEAM),
        queued_calls=choices.queued_calls,
        export_args=wanted.query_args(),
        saved_views=saved_views_module.view_links_for(user),
        filters_key=_blank_filters_key(wanted, choices),
    )


def _blank_filters_key(wanted: listing.CaseListRequest, choices: queries.ListChoices) -> tuple[Any, ...] | None:
    """The key of the case list's filter form for ``cached_fragment`` while the list is asked for
    nothing (no search, filter or order): what the form then shows is the agency's choices and the
    proxy's prefix (its action). None, rendered afresh, once anything was asked: what someone typed is
    never kept."""
    if wanted.query_args() or wanted.errors:
        return None
    return (
        request.root_path,
        *(tuple(map(tuple, options)) for options in (choices.owners, choices.managers, choices.categories)),
        *(tuple(map(tuple, options)) for options in (choices.agencies, choices.areas)),
    )


def _sort_links(wanted: listing.CaseListRequest, sort_key: str, sort_order: str) -> dict[str, dict[str, str]]:
    """Each sortable column's header link (the other order when the list is sorted by it) and its
    ``aria-sort``."""
    links = {}
    for key in queries.SORT_KEYS:
        current = key == sort_key
        order = ("desc" if sort_order == "asc" else "asc") if current else queries.SORT_KEYS[key]
        args: dict[str, Any] = {**wanted.query_args(), "sort": key, "order": order}
        links[key] = {
            # The list's URL kept, the arguments put in its query string (casework/core/urls.py).
            "href": page_url("staff.cases.index", **args),
            "aria_sort": ("ascending" if sort_order == "asc" else "descending") if current else "none",
            "action": f"sort {'descending' if order == 'desc' else 'ascending'}",
        }
    return links


# --- caseload per officer -----------------------------------------------------------------------------


@cases_bp.get("/caseload")
@requires(Permission.MANAGE_TEAM)
def caseload():
    rows = queries.caseload(current_user)
    return render_template("cases/caseload.html", rows=rows, agency=current_user.agency)


# --- reassigning cases -------------------------------------------------------------------------------


def _ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if (number := query_id(part)) is not None:
                ids.append(number)
    return list(dict.fromkeys(ids))[: services.REASSIGN_LIMIT + 1]


@cases_bp.route("/reassign", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def reassign():
    """The cases ticked on the list (``case_ids``), given to one owner: all or none."""
    form = forms.ReassignForm()
    if request.method == "GET":
        form.case_ids.data = ",".join(str(i) for i in _ids(request.args.getlist("case_ids")))
    ids = _ids([form.case_ids.data or ""])
    form.owner_email.choices = forms.options(
        [("", "Choose someone")] + [(u.email, u.name) for u in queries.lead_staff(current_user.agency_id)]
    )
    # The cases as the user may see them: one they cannot see is not named, only counted.
    shown = [case for case in (policies.CASES.find(current_user, i) for i in ids) if case is not None]
    if form.validate_on_submit():
        try:
            cases = services.reassign_cases(current_user, ids, form.owner_email.data)
            commit()
            flash(f"{len(cases)} {'case' if len(cases) == 1 else 'cases'} reassigned", "success")
            return redirect(url_for("staff.cases.index"))
        except InvalidInput as error:
            _failed(form, error)
            if "case_ids" in error.errors:
                form.owner_email.errors = list(form.owner_email.errors) + list(error.errors["case_ids"])
    if not ids:
        flash("Tick the cases to reassign on the case list first", "error")
        return redirect(url_for("staff.cases.index"))
    return _form_page(
        form,
        title=f"Reassign {len(shown)} {'case' if len(shown) == 1 else 'cases'}",
        submit="Reassign",
        back_href=url_for("staff.cases.index"),
        intro="; ".join(f"{case.reference}: {case.summary[:60]}" for case in shown) or None,
    )


# --- saved views of the list --------------------------------------------------------------------------


@cases_bp.get("/views")
@requires(Permission.VIEW_CASES)
def saved_views():
    views = saved_views_module.views_for(current_user)
    return render_template(
        "cases/saved_views.html",
        views=views,
        summaries={view.id: _view_summary(view.arguments) for view in views},
    )


def _view_summary(arguments: dict[str, str]) -> str:
    """What a saved view shows, in words (``Owner: me; Status: open``)."""
    labels = {
        "q": "Search",
        "area": "Area",
        "status": "Status",
        "owner": "Owner",
        "team": "Team",
        "risk": "Current risk",
        "overdue": "Overdue work",
        "category": "Category",
        "agency": "Lead agency",
        "opened_from": "Opened from",
        "opened_to": "Opened to",
        "sort": "Sorted by",
        "order": "Order",
    }
    words = {"me": "me", "none": "nobody", "mine": "my team", "yes": "only", "asc": "ascending", "desc": "descending"}
    parts = []
    for key, value in arguments.items():
        shown = listing.SORT_LABELS.get(value, value) if key == "sort" else words.get(value, value)
        parts.append(f"{labels.get(key, key)}: {shown}")
    return "; ".join(parts) or "All cases"


@cases_bp.route("/views/new", methods=["GET", "POST"])
@requires(Permission.VIEW_CASES)
def save_view():
    form = forms.SavedViewForm()
    if request.method == "GET":
        form.arguments.data = urlencode(listing.read(current_user, request.args).query_args())
    wanted = listing.read(current_user, MultiDict(parse_qsl(form.arguments.data or "")))
    if form.validate_on_submit():
        try:
            view = saved_views_module.save_view(
                current_user, form.name.data, wanted.query_args(), share_with_team=form.share_with_team.data
            )
            commit()
            flash(f"View '{view.name}' saved", "success")
            return redirect(url_for("staff.cases.index", **view.arguments))
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(
        form,
        title="Save this view of the case list",
        submit="Save view",
        back_href=url_for("staff.cases.index", **wanted.query_args()),
        intro=f"The view keeps the search, filters and order: {_view_summary(wanted.query_args())}.",
    )


@cases_bp.post("/views/<int:view_id>/delete")
@requires(Permission.VIEW_CASES)
def delete_view(view_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        saved_views_module.delete_view(current_user, view_id)
        commit()
        flash("View deleted", "success")
    except InvalidInput as error:
        db.session.rollback()
        flash(" ".join(message for messages in error.errors.values() for message in messages), "error")
    return redirect(url_for("staff.cases.saved_views"))


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
    # The signed-in user itself, not Flask-Login's proxy: the sections ask it dozens of questions.
    user = current_user._get_current_object()
    case = services.load_case_record(case_id, viewer=user, with_records=True)
    journal = services.case_journal(case, user)
    # Each registered section renders its own partial with its own context, plus the case and user.
    # Jinja autoescapes what the partial renders, so its output is already safe HTML.
    sections = render_partials(
        (section.template, {"case": case, "user": user, "print_view": print_view, **section.context(case, user)})
        for section in page_sections()
    )
    context = {
        "case": case,
        "parties": sorted(case.parties, key=lambda p: (p.role.value, p.person.name)),
        "linked": journal.linked,
        "explanations": case.explanations,
        "timeline": services.timeline(case, journal, user),
        "sections": sections,
        "contents": [
            *CONTENTS_BEFORE,
            *((s.anchor, s.title) for s in page_sections() if s.anchor and s.title),
            *CONTENTS_AFTER,
        ],
        "can_manage": policies.can_manage_case(user, case) and not print_view,
        # Nothing is added to a case anonymised under the retention policy (``policies.takes_writes``).
        "can_edit": user.can(Permission.EDIT_CASES) and policies.takes_writes(case) and not print_view,
        "print_view": print_view,
        "printed_at": now() if print_view else None,
        "retention_due_on": _anonymised_soon_on(case),
    }
    # Rendered before the commit: committing expires the loaded records, and reading them again
    # afterwards would cost a query for each.
    html = render_template("cases/show.html", **context)
    # Recorded last: on SQLite the write lock is then held for the audit entry only.
    services.view_case(user, case, how="Printed" if print_view else "Viewed")
    commit()
    return html


def _anonymised_soon_on(case: Case) -> Any:
    """For a closed case whose closing date is already past its area's retention period (kept only by
    the grace after closing, ``casework.data_protection.retention``): the day it will be anonymised,
    so whoever reads it can see a wrong closing date in time. None otherwise, at no query for a case
    closed within the last year (no area keeps cases for less)."""
    from casework.data_protection import retention

    closed_on = case.closed_on
    if case.anonymised_at is not None or closed_on is None or closed_on >= retention.years_before(today(), 1):
        return None
    if not retention.past_case_period(case.area, closed_on):
        return None
    return retention.anonymisation_date(case)


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


@cases_bp.route("/<int:case_id>/first-contact", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def first_contact(case_id: int):
    """Record when the victim was first contacted (the report's time to first contact)."""
    from casework.cases.first_contact import record_first_contact

    case = _managed(case_id)
    form = forms.FirstContactForm(obj=case if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(case.version)
    if form.validate_on_submit():
        try:
            record_first_contact(current_user, case, int(form.version.data or 0), form.victim_first_contacted_on.data)
            commit()
            flash("Victim's first contact recorded", "success")
            return redirect(_case_href(case))
        except InvalidInput as error:
            _failed(form, error)
    return _form_page(
        form,
        title="When the victim was first contacted",
        caption=case.reference,
        submit="Save",
        back_href=_case_href(case),
    )


@cases_bp.route("/<int:case_id>/close", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def close(case_id: int):
    """Close the case, choosing for each open action whether it is cancelled or handed over; statutory
    deadlines always continue with a named owner."""
    from casework.actions import sight as action_sight
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
    valid = form.validate_on_submit()
    retention = _closing_past_retention(case, form) if request.method == "POST" else None
    if valid and retention and not form.confirm_closed_on.data:
        form.confirm_closed_on.errors = [CONFIRM_CLOSED_ON]
    elif valid:
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
        statutory_actions=action_sight.seen(current_user, statutory_actions, on_page=True),
        statutory_deadlines=[d for d in deadlines if d.is_statutory],
        cancelled_deadlines=[d for d in deadlines if not d.is_statutory],
        retention=retention,
    )


CONFIRM_CLOSED_ON = "Confirm the closing date is right, or correct it"


def _closing_past_retention(case: Case, form: Any) -> dict[str, Any] | None:
    """When the closing date entered is already past the area's case retention period (a year mistyped,
    or an old case closed late): the years, and the day the retention run would anonymise the case
    (after the grace from today, ``casework.data_protection.retention``). The page then asks the
    officer to confirm the date. None otherwise. The API and imports are not asked: the grace
    protects them alike."""
    from casework.accounts.services import area_settings
    from casework.cases import settings as case_settings
    from casework.data_protection import retention

    closed_on = form.closed_on.data
    if closed_on is None or not retention.past_case_period(case.area, closed_on):
        return None
    return {
        "closed_on": closed_on,
        "years": area_settings(case.area)[case_settings.CASE_RETENTION_YEARS],
        "grace_days": retention.closure_grace_days(),
        "anonymised_on": today() + timedelta(days=retention.closure_grace_days()),
    }


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
        other_id = queries.case_id_with_reference(form.reference.data)
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
    people: list[Any] = []
    if name:
        people = queries.people_matching(current_user, name)
    return render_template("cases/add_party.html", case=case, name=name, people=people, form=form)


# --- the ledger ---------------------------------------------------------------------------------------


def _complainant_choices(case: Case) -> list[Any]:
    parties = queries.people_on_case(case)
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
    sections = render_partials(
        (section.template, {"person": person, "user": current_user, **section.context(person, current_user)})
        for section in person_page_sections()
    )
    html = render_template(
        "people/show.html", person=person, sections=sections, can_export=policies.can_export_person(current_user)
    )
    commit()
    return html


@people_bp.route("/<int:person_id>/edit", methods=["GET", "POST"], endpoint="edit")
@requires(Permission.EDIT_CASES)
def edit_person(person_id: int):
    # Refused before the form, shown or sent, once the person was anonymised.
    person = policies.get_person_for(current_user, person_id, edit=True)
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
