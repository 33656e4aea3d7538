"""An id the user may not see is refused wherever it is sent: in the path or in the body, API or page.

In the world of tests/support/walk.py, ``me`` cannot GET the second agency's person, case,
intervention, user or application. Then:

- every write endpoint (walked from the URL map, so a new one is covered) is called with the hidden
  records' ids in its path: the answer is 403, 404 or 422, nothing is written, and no hidden name is in
  the answer;
- every write endpoint whose body or form names another record has an example in ``BODY_EXAMPLES``
  (the walk fails for one that has none and is not in ``NAMES_NO_RECORD``): each example is sent
  first with records ``me`` can see (it must succeed, so the example is a valid one) and then with
  each hidden one in turn (404 or 422, nothing written, no hidden name in the answer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from casework.core.openapi import INPUTS_ATTR
from tests.support.walk import PATH_RECORDS, WRITE_METHODS, Refs, World, call, changed_tables, leaks, table_digest
from tests.test_permissions import endpoints


def test_every_write_endpoint_refuses_hidden_records_in_its_path(app: Flask, world: World) -> None:
    problems, checked = [], 0
    for endpoint in endpoints(app):
        methods = endpoint.rule.methods & WRITE_METHODS
        hidden_args = [a for a in endpoint.rule.arguments if a in PATH_RECORDS]
        if not methods or not hidden_args or endpoint.access.public:
            continue
        values = {a: PATH_RECORDS[a](world) for a in hidden_args}
        url = endpoint.url
        for name, value in values.items():
            url = url.replace("/999999", f"/{value}", 1) if f"<int:{name}>" in endpoint.rule.rule else url
        for method in sorted(methods):
            before = table_digest()
            response = call(app, world, url, method, None, endpoint.is_api)
            checked += 1
            label = f"{method} {url} ({endpoint.rule.endpoint}): {response.status_code}"
            if response.status_code not in (403, 404, 422):
                problems.append(f"{label}: expected 403, 404 or 422")
            if changed := changed_tables(before, table_digest()):
                problems.append(f"{label}: wrote to {changed}")
            if leaked := leaks(response):
                problems.append(f"{label}: the answer names {leaked}")
    assert checked > 20
    assert not problems, "\n".join(problems)


# --- body ids ------------------------------------------------------------------------------------------

Example = Callable[[World, Refs], tuple[str, dict[str, Any]]]


def _intervention_body(w: World, r: Refs) -> tuple[str, dict[str, Any]]:
    # A subject must be a party to the case: the valid example names the case's own party.
    person = w.my_person if r.person == w.visible.person else r.person
    return f"/api/v1/cases/{w.my_case}/interventions", {
        "kind": "warning_letter",
        "subject_person_id": person,
        "issued_on": "2025-01-10",
    }


#: Each write endpoint whose body or form names another record: (url, body) for the given records.
#: The first call, with records ``me`` may see, must succeed; each hidden record must then be refused.
BODY_EXAMPLES: dict[str, tuple[tuple[str, ...], Example]] = {
    "api.interventions.create": (("person",), _intervention_body),
    "api.cases.create_case": (
        ("person", "user_email"),
        lambda w, r: (
            "/api/v1/cases",
            {
                "area_code": "MIN",
                "category": "personal",
                "summary": "New",
                "parties": [{"person_id": r.person, "role": "victim"}],
                "is_restricted": True,
                "named_user_emails": [r.user_email],
            },
        ),
    ),
    "api.cases.link_case": (("case",), lambda w, r: (f"/api/v1/cases/{w.my_case}/links", {"case_id": r.case})),
    "api.cases.reassign_cases": (
        ("case", "user_email"),
        lambda w, r: ("/api/v1/cases/reassign", {"case_ids": [w.my_case, r.case], "owner_email": r.user_email}),
    ),
    "staff.cases.reassign": (
        ("case", "user_email"),
        lambda w, r: ("/cases/reassign", {"case_ids": f"{w.my_case},{r.case}", "owner_email": r.user_email}),
    ),
    "api.cases.grant_access": (
        ("user_email",),
        lambda w, r: (f"/api/v1/cases/{w.restricted_case}/access", {"email": r.user_email}),
    ),
    "api.cases.record_incident": (
        ("person",),
        lambda w, r: (
            f"/api/v1/cases/{w.my_case}/incidents",
            {
                "occurred_on": "2025-01-10",
                "description": "Shouting",
                "complaints": [{"complainant_person_id": r.person, "reported_on": "2025-01-11", "agency_code": "MYAG"}],
            },
        ),
    ),
    "api.actions.create": (
        ("user_id",),
        lambda w, r: (f"/api/v1/cases/{w.my_case}/actions", {"description": "Visit", "assignee_id": r.user_id}),
    ),
    "api.triggers.create_application": (
        ("case",),
        lambda w, r: (
            "/api/v1/triggers",
            {
                "area_code": "MIN",
                "received_on": "2025-03-04",
                "channel": "phone",
                "applicant": {"name": "Ann Applicant"},
                "applicant_role": "victim",
                "description": "Noise",
                "case_ids": [r.case],
                "complaints": [],
            },
        ),
    ),
    "api.triggers.link_cases": (
        ("case",),
        lambda w, r: (f"/api/v1/triggers/{w.visible.application}/cases", {"case_ids": [r.case]}),
    ),
    "api.cases.add_complaint": (
        ("person",),
        lambda w, r: (
            f"/api/v1/cases/{w.my_case}/incidents/{w.incident}/complaints",
            {"complainant_person_id": r.person, "reported_on": "2025-01-03", "agency_code": "MYAG"},
        ),
    ),
    "api.actions.update": (
        ("user_id",),
        lambda w, r: (f"/api/v1/actions/{w.action}", {"assignee_id": r.user_id}),
    ),
    "staff.cases.add_party": (
        ("person",),
        lambda w, r: (f"/cases/{w.my_case}/parties/new", {"person_id": str(r.person), "role": "witness"}),
    ),
    "api.cases.close_case": (
        ("user_email",),
        lambda w, r: (
            f"/api/v1/cases/{w.my_case}/close",
            {"reason": "Resolved", "handover_to_email": r.user_email, "hand_over_action_ids": [w.action]},
        ),
    ),
    "api.data_protection.merge_person": (
        ("person",),
        lambda w, r: (f"/api/v1/people/{w.my_person}/merge", {"merged_person_id": r.person}),
    ),
    "staff.cases.access": (
        ("user_email",),
        lambda w, r: (f"/cases/{w.restricted_case}/access", {"email": r.user_email}),
    ),
}

#: Write endpoints whose body names no record a user could be refused (or only public ones: areas and
#: agencies by code), or that only admins use (admins see every user). Reviewed; a new endpoint must be
#: added to one list or the other.
NAMES_NO_RECORD = {
    # accounts: admin-only or the user's own account
    "api.accounts.create_agency", "api.accounts.create_area", "api.accounts.create_token", "api.accounts.create_user",
    "api.accounts.revoke_current_token", "api.accounts.update_area", "api.accounts.update_user",
    "api.reminders.update_notification_settings", "api.risk.create_questionnaire",
    "admin.accounts.agency_edit", "admin.accounts.agency_new", "admin.accounts.area_defaults",
    "admin.accounts.area_new", "admin.accounts.area_settings", "admin.accounts.user_edit", "admin.accounts.user_new",
    "admin.accounts.user_password", "admin.cases.categories", "admin.risk.questionnaire", "admin.statistics.historic",
    "admin.triggers.edit", "staff.accounts.sign_in", "staff.accounts.sign_out", "staff.reminders.notification_settings",
    "public.triggers.apply", "public.triggers.progress",
    # an admin's wording of the tell-the-victim letter (the area is a public code in the query string)
    "admin.threshold_watch.template",
    # the record is in the path: the case's first contact date, the application's victim page (contact
    # details, a confirmation)
    "staff.cases.first_contact", "staff.victims.applicant", "staff.victims.applicant_off",
    # the user's own saved views of the case list (a name and the list's filters; the view in the path)
    "staff.cases.save_view", "staff.cases.delete_view",
    # the user's own session and calendar link
    "staff.session.keep_alive", "staff.reminders.create_calendar_link", "staff.reminders.revoke_calendar_link",
    "staff.accounts.sign_out_everywhere",
    # the second factor: the user's own (a code, a confirmation), or an admin's for the user in the path
    "admin.accounts.user_second_factor_remove", "staff.accounts.recovery_codes", "staff.accounts.second_factor_set_up",
    "staff.accounts.second_factor_turn_off", "staff.accounts.sign_in_code",
    # the user's own password (their current one and a new one)
    "staff.accounts.password_change",
    # the record is in the path (tested above); the body holds text, dates, statuses and agency codes
    "api.cases.add_complaint", "api.cases.add_note", "api.cases.reopen_case",
    "api.cases.record_explanation", "api.cases.share_case", "api.cases.unshare_case", "api.cases.update_case",
    "api.cases.create_person", "api.cases.update_person", "api.interventions.add_breach", "api.interventions.extend",
    "api.interventions.update",
    "api.interventions.add_review",
    "api.interventions.extension_notice",
    "api.trigger_pcc_reviews.record_outcome",
    "api.trigger_pcc_reviews.request_review",
    # the review's papers and its completeness: the meeting is in the path; the body holds text, dates,
    # agency codes and recommendations by their number in that meeting's action plan
    "api.trigger_reviews.confirm_complete", "api.trigger_reviews.add_proportionality_assessment",
    "api.trigger_reviews.add_lessons_review",
    "staff.trigger_papers.complete", "staff.trigger_papers.consultation", "staff.trigger_papers.agenda",
    "staff.trigger_papers.lessons",
    # the page offers only the perpetrators of the application's linked cases (any other value is not
    # a valid choice, answered as a form error that names nobody)
    "staff.trigger_papers.new_assessment", "staff.trigger_papers.edit_assessment",
    "staff.interventions.add_review",
    "staff.interventions.extension_notice",
    "staff.trigger_pcc_reviews.record_outcome",
    "staff.trigger_pcc_reviews.request_review",
    "api.accounts.update_agency",  # admin only; areas by code
    "api.statistics.withdraw",  # a note; the version is in the path
    # a reason; the person (and the other person of a merge, the merge to undo) are in the path
    "api.data_protection.release_person", "api.data_protection.undo_merge", "staff.data_protection.merge",
    "staff.data_protection.release", "staff.data_protection.undo_merge",
    # a letter's kind and date; the application is in the path
    "api.trigger_reviews.record_letter_sent",
    # imports: the file names records by reference, each found through the same visibility rules as a
    # GET (tests/spreadsheets/test_ledger_import.py::test_a_case_the_importer_cannot_see_is_not_found);
    # the other forms hold the layout's options, the column mapping and the import in the path
    "staff.spreadsheets.new", "staff.spreadsheets.columns", "staff.spreadsheets.start", "staff.spreadsheets.undo",
    # a queued police call goes on a case named by reference, found among the cases the officer can see
    # (tests/spreadsheets/test_police_log_and_others.py::test_a_queued_call_cannot_go_on_a_case_the_officer_cannot_see)
    "staff.police_reports.show",
    # documents: the incident must be one of the path's case (the service checks, and refuses any
    # other as "Select an incident on this case"); letterheads and notice templates are admin-only
    "staff.documents.upload", "staff.documents.remove", "staff.interventions.notice",
    "admin.documents.edit", "admin.notices.edit",
    # the victim page: the person and diary entry are in the path, checked against the path's case
    # (a victim or complainant of it; an entry on it); the victim's own pages name no record in a body,
    # and their case in the path must be one the page covers (tests/victims/test_victim_page.py,
    # tests/victims/test_victim_page_scope.py)
    "staff.victims.switch_on", "staff.victims.switch_off", "staff.victims.accept",
    "public.victims.sign_in", "public.victims.use_link", "public.victims.sign_in_text", "public.victims.enter_code",
    "public.victims.sign_out", "public.victims.stop", "public.victims.add_diary_entry",
    "staff.statistics.withdraw",
    # the partnership report names an area by its code, not found (404) unless the manager's agency
    # covers it (tests/reports/test_report_job.py::test_an_area_out_of_reach_is_not_compiled)
    "staff.reports.compile_report",
    # the victim must be a victim party of the case in the path (the service checks), and RecordId(PEOPLE)
    # refuses anyone else; the answers depend on the area's questionnaire, so no example yet
    "api.risk.create",
    "api.statistics.compile_figures", "api.statistics.enter_historic", "api.statistics.publish",
    "api.trigger_reviews.create_meeting", "api.trigger_reviews.decide_appeal", "api.trigger_reviews.lodge_appeal",
    "api.trigger_reviews.record_outcome", "api.trigger_reviews.update_meeting",
    "api.trigger_reviews.victim_consultation", "api.triggers.acknowledge", "api.triggers.decide_threshold",
    "api.triggers.screen_out", "api.triggers.withdraw",
    # tasking meetings: the meeting or item is in the path; a case added by reference is found among the
    # cases the chair can see, people through USERS, agencies among the case's own (tests/tasking:
    # test_bad_input_is_refused_and_writes_nothing)
    "staff.tasking.add_case", "staff.tasking.allocate", "staff.tasking.attendance", "staff.tasking.move_item",
    "staff.tasking.new_meeting", "staff.tasking.new_series", "staff.tasking.nominate", "staff.tasking.publish",
    "staff.tasking.record_item", "staff.tasking.refresh_agenda", "staff.tasking.schedule_next",
    "staff.actions.new", "staff.actions.update", "staff.cases.add_note", "staff.cases.close", "staff.cases.edit",
    "staff.cases.link", "staff.cases.new", "staff.cases.new_complaint", "staff.cases.new_incident",
    "staff.cases.record_explanation", "staff.cases.reopen", "staff.cases.share", "staff.cases.unshare",
    "staff.interventions.change_status", "staff.interventions.choose_kind", "staff.interventions.extend",
    "staff.interventions.new", "staff.interventions.new_breach", "staff.people.edit", "staff.people.new",
    "staff.reviews.add_attendee", "staff.reviews.consultation", "staff.reviews.outcome", "staff.risk.new",
    "staff.statistics.compile_figures", "staff.statistics.publish", "staff.triggers.acknowledge",
    "staff.triggers.add_attendee", "staff.triggers.appeal", "staff.triggers.appeal_decision",
    "staff.triggers.appeal_handler", "staff.triggers.arrange", "staff.triggers.decide", "staff.triggers.link_case",
    "staff.triggers.meeting", "staff.triggers.register", "staff.triggers.request_information",
    "staff.triggers.screen_out", "staff.triggers.submit_information", "staff.triggers.withdraw",
    # threshold watch: the record is in the path (through its policy); the body is a date and a method
    "api.threshold_watch.told", "staff.threshold_watch.tell",
}  # fmt: skip


def _reference_fields(schema: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Fields of an API input schema that name another record (``RecordId``s, or ids by their name)."""
    from marshmallow import fields

    from casework.core.fields import RecordId

    schema = schema() if isinstance(schema, type) else schema
    found = []
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            found += _reference_fields(inner.schema, f"{prefix}{name}.")
        elif isinstance(inner, RecordId) or (name.endswith(("_id", "_ids")) and isinstance(inner, fields.Integer)):
            found.append((prefix + name, inner))
    return found


def test_every_write_endpoint_is_classified(app: Flask) -> None:
    """A new write endpoint must say whether its body names records (and then carry an example)."""
    unclassified = []
    for endpoint in endpoints(app):
        if not endpoint.rule.methods & WRITE_METHODS or endpoint.rule.endpoint.startswith("static"):
            continue
        name = endpoint.rule.endpoint
        if name not in BODY_EXAMPLES and name not in NAMES_NO_RECORD:
            unclassified.append(name)
    assert not unclassified, (
        "Add these write endpoints to BODY_EXAMPLES (their body names a record) or NAMES_NO_RECORD: "
        + ", ".join(sorted(unclassified))
    )


def test_api_schemas_name_records_only_through_the_lookup(app: Flask) -> None:
    """Every id field of an API body is a ``RecordId`` (loaded through casework.core.lookup), and an
    endpoint with one has a body example here."""
    from casework.core.fields import RecordId

    problems = []
    for endpoint in endpoints(app):
        if not endpoint.rule.methods & WRITE_METHODS:
            continue  # a list's filter by id shows nothing hidden: it only narrows the visible list
        view = app.view_functions[endpoint.rule.endpoint]
        for schema, _location in getattr(view, INPUTS_ATTR, ()):
            for path, field in _reference_fields(schema):
                if not isinstance(field, RecordId):
                    problems.append(f"{endpoint.rule.endpoint}: {path} is not a RecordId")
                elif endpoint.rule.endpoint not in {*BODY_EXAMPLES, "api.risk.create"}:
                    problems.append(f"{endpoint.rule.endpoint}: {path} names a record but has no BODY_EXAMPLES entry")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("endpoint_name", sorted(BODY_EXAMPLES))
def test_a_hidden_record_in_a_body_is_refused_and_not_revealed(app: Flask, world: World, endpoint_name: str) -> None:
    kinds, example = BODY_EXAMPLES[endpoint_name]
    api = endpoint_name.startswith("api.")
    method = next(iter(sorted(app.url_map._rules_by_endpoint[endpoint_name][0].methods & WRITE_METHODS)))
    url, body = example(world, world.visible)
    # The example is valid with records the user can see, so a refusal below is the hidden record's.
    allowed = call(app, world, url, method, body, api)
    assert allowed.status_code in (200, 201, 302), (url, allowed.status_code, allowed.get_data(as_text=True)[:500])
    for kind in kinds:
        refs = Refs(**{**world.visible.__dict__, kind: getattr(world.hidden, kind)})
        url, body = example(world, refs)
        before = table_digest()
        response = call(app, world, url, method, body, api)
        label = f"{endpoint_name} with a hidden {kind}: {response.status_code}"
        if api:
            assert response.status_code in (404, 422), label
        else:
            # A page shows the problem on the form (422) or as a message on the page it returns to.
            assert response.status_code in (200, 302, 404, 422), label
        assert changed_tables(before, table_digest()) == [], label
        assert leaks(response) == [], label


@pytest.mark.parametrize("endpoint_name", sorted(n for n, (kinds, _e) in BODY_EXAMPLES.items() if "person" in kinds))
def test_a_merged_record_in_a_body_is_refused_as_an_unknown_person(
    app: Flask, world: World, api_client: Any, endpoint_name: str
) -> None:
    """A record merged into another is kept for the undo window, and its user may still see it; but it
    is on its way out, so no body may name it as a new link: it is refused as an id that names nobody."""
    from casework.cases.models import Person
    from casework.extensions import db

    _kinds, example = BODY_EXAMPLES[endpoint_name]
    api = endpoint_name.startswith("api.")
    method = next(iter(sorted(app.url_map._rules_by_endpoint[endpoint_name][0].methods & WRITE_METHODS)))
    client = api_client(world.me)
    duplicate = client.post("/api/v1/people", json={"name": "Val Visible"}).json["id"]
    merged = client.post(f"/api/v1/people/{world.visible.person}/merge", json={"merged_person_id": duplicate})
    assert merged.status_code == 200, merged.json
    assert db.session.get(Person, duplicate).merged_into_id == world.visible.person
    # The merged record is still the user's to see during the undo window (so not refused as hidden).
    assert client.get(f"/api/v1/people/{duplicate}").status_code == 200

    answers = []
    for person in (duplicate, 999999):
        url, body = example(world, Refs(**{**world.visible.__dict__, "person": person}))
        before = table_digest()
        answers.append(call(app, world, url, method, body, api))
        assert changed_tables(before, table_digest()) == [], (endpoint_name, person)
    refused, unknown = answers
    if api:
        assert refused.status_code == 422, refused.get_json()
        assert refused.get_json() == unknown.get_json()
    else:
        assert refused.status_code == unknown.status_code
        assert "Unknown person" in refused.get_data(as_text=True)
