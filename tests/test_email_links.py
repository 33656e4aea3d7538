"""Every link in every email and letter points into CASEWORK_BASE_URL, whatever Host the request had.

One scenario sends each kind of email the service has (found in the source, so a new kind fails this
test until it is added here) and each kind of letter, with ``Host: evil.example`` on every request and
around every task, then reads every link in every message: absolute, under the base URL, clickable.
It also reads every case reference in every message: each is a case its recipient may see, and a
message to someone outside the service (an applicant, a victim) names none.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
import time_machine

from casework.accounts import services as accounts
from casework.app import PROJECT_ROOT
from casework.community_triggers import completeness, letters
from casework.community_triggers import services as triggers
from casework.community_triggers.models import Letter, LetterKind, LetterTemplate, TriggerApplication
from casework.core.db import commit
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders import tasks as reminder_tasks
from casework.reminders.services import set_deadline
from tests.community_triggers import test_pages_staff as pages
from tests.community_triggers.test_letter_template_safety import QUOTES_THE_NAME
from tests.community_triggers.test_public_form import _answers
from tests.conftest import csrf_from
from tests.support.risk_answers import ALL_NO

world = pages.world

HOSTILE = "http://evil.example"
URL = re.compile(r"""https?://[^\s"'<>]+""")
#: A path written as a link with nothing in front ("/case-reviews/1"): not clickable in an email.
BARE_PATH = re.compile(r"(?<![\w/.:])/[a-z][\w/-]*[\w/]")
#: A case's reference (BOL-2026-0007), not a Case Review application's (BOL-CT-2026-0001).
CASE_REFERENCE = re.compile(r"(?<![\w-])[A-Z]{2,}-\d{4}-\d{4}\b")
HREF = re.compile(r"""href\s*=\s*["']([^"']*)["']""")

#: Each kind of email, by its idempotency key's first part, and what sends it in the scenario below.
SENT_BY_THE_SCENARIO = {
    "trigger-confirmation": "the public application form",
    "trigger": "the agencies told of an application (s.104(3))",
    "trigger-letter": "the Case Review letters",
    "risk-high": "the manager told of a new high risk",
    "reminder": "a deadline reminder",
    "escalation": "an overdue deadline's escalation",
    "digest": "the daily digest",
    "sign-in-locked": "the account holder told of a sign-in lock",
    "new-recovery-codes": "the account holder told that new recovery codes were made",
    "second-factor-off": "the account holder told that their second factor was turned off",
    "password-changed": "the account holder told that they changed their password",
    "password-reset": "the account holder told that an administrator reset their password",
    "letter-template-failed": "the admins told that a letter template failed at send time",
    "victim-welcome": "a victim told their victim page is switched on (email)",
    "victim-welcome-text": "a victim told their victim page is switched on (text message)",
    "victim-link": "a victim's sign-in link",
    "victim-code": "a victim's sign-in code (text message)",
    "victim-next-step": "a victim reminded of their next step the day before",
    "tasking-minutes": "the link to a tasking meeting's published minutes",
    "threshold_watch": "a victim told of their right to a Case Review (the threshold watch)",
    "stuck-deletions": "the administrators told of stored files the store would not delete",
}


def email_kinds_in_source() -> set[str]:
    """The first part of every idempotency key given to ``queue_email`` in the service's code: each key
    literal's, and the kinds a key is built from rather than spelled out (a deadline's reminder and
    escalation, ``reminders.services.DEADLINE_EMAILS``, read from the code's own list)."""
    from casework.reminders.services import DEADLINE_EMAILS

    kinds: set[str] = set(DEADLINE_EMAILS)
    for path in Path(PROJECT_ROOT, "casework").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "queue_email(" in text:
            kinds |= set(re.findall(r'f"([a-z][a-z_-]*):', text))
    return kinds


def test_the_scenario_covers_every_kind_of_email() -> None:
    assert email_kinds_in_source() == set(SENT_BY_THE_SCENARIO), "add the new kind of email to the scenario"


def _apply_online(client) -> TriggerApplication:
    page = client.get("/case-review/apply", base_url=HOSTILE)
    data = {**_answers(), "confirm": "y", "csrf_token": csrf_from(page.get_data(as_text=True))}
    response = client.post("/case-review/apply", data=data, base_url=HOSTILE)
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(sa.select(TriggerApplication).order_by(TriggerApplication.id.desc())).first()


def queue_every_kind(app, world, make, client, api_client, page_client) -> list[OutboxEmail]:
    """The scenario: every kind of email and letter the service has, queued with a hostile Host.
    Answers the messages queued, in order."""
    base = app.config["CASEWORK"]["BASE_URL"]
    assert "evil.example" not in base
    world.officer.manager = world.manager
    db.session.commit()

    with time_machine.travel("2026-03-20 10:00:00+00:00", tick=False) as clock:
        # The public form: the applicant's confirmation, and every agency in the area told (s.104(3)).
        application = _apply_online(client)

        # Every letter of a Case Review, produced in requests that came in with a hostile Host. The
        # area's acknowledgement template fails on this application: the admins are told.
        db.session.add(
            LetterTemplate(
                kind=LetterKind.acknowledgement, area_id=world.area.id, subject="Hello", body=QUOTES_THE_NAME
            )
        )
        commit()
        with app.test_request_context("/", base_url=HOSTILE):
            triggers.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 3, 20))
            triggers.decide_threshold(
                world.coordinator,
                application,
                met=True,
                basis="automatic",
                reasons="Three.",
                decided_on=date(2026, 3, 20),
            )
            meeting = triggers.arrange_meeting(
                world.coordinator, application, scheduled_on=date(2026, 3, 27), chair=world.chair
            )
            triggers.update_meeting(world.coordinator, meeting, victim_invited=True)
            letters.invite_victim(world.coordinator, meeting)
            commit()
        # A "not met" decision reviewed by the Police and Crime Commissioner (a dated area setting), all
        # through the API with a hostile Host: the request and outcome letters.
        accounts.update_area_settings(None, world.area, {"cpa2026_pcc_review": True}, date(2026, 3, 2))
        commit()
        api = api_client(world.coordinator)
        body = {
            "area_code": "BOL",
            "received_on": "2026-03-20",
            "channel": "phone",
            "applicant": {"name": "Nina Neighbour", "email": "nina@example.org", "phone": None, "address": None},
            "applicant_role": "victim",
            "consent_given": True,
            "description": "Shouting in the street.",
            "case_ids": [],
            "complaints": [{"occurred_on": "2026-03-01", "reported_on": "2026-03-02", "agency_code": "BDC"}],
        }
        registered = api.post("/api/v1/triggers", json=body, base_url=HOSTILE)
        assert registered.status_code == 201, registered.get_json()
        not_met = registered.get_json()["id"]
        decision = {"met": False, "reasons": "One complaint.", "decided_on": "2026-03-20"}
        assert (
            api.post(f"/api/v1/triggers/{not_met}/threshold-decision", json=decision, base_url=HOSTILE).status_code
            == 200
        )
        request = {"requested_on": "2026-03-20", "grounds": "Reports to the police were not counted."}
        review = api.post(f"/api/v1/triggers/{not_met}/pcc-reviews", json=request, base_url=HOSTILE)
        assert review.status_code == 201, review.get_json()
        outcome = {"outcome": "decision_stands", "reasons": "Looked at the records.", "decided_on": "2026-03-20"}
        decided = api.post(
            f"/api/v1/triggers/{not_met}/pcc-reviews/{review.get_json()['id']}/outcome", json=outcome, base_url=HOSTILE
        )
        assert decided.status_code == 200, decided.get_json()

        clock.move_to("2026-03-27 15:00:00+00:00")
        with app.test_request_context("/", base_url=HOSTILE):
            triggers.record_outcome(
                world.chair,
                meeting,
                held_on=date(2026, 3, 27),
                minutes="Held.",
                recommendations=[{"text": "Patrols.", "agency": world.council, "due_on": date(2026, 5, 1)}],
            )
            # The outcome letter goes out once the review is confirmed complete.
            triggers.update_meeting(world.coordinator, meeting, attendees=[{"name": "The chair"}])
            completeness.confirm_complete(
                world.coordinator,
                meeting,
                missing_information={item.agency: "Given orally." for item in completeness.agency_information(meeting)},
                victim_not_consulted_reason="Declined.",
            )
            commit()
        clock.move_to("2026-03-31 10:00:00+00:00")
        with app.test_request_context("/", base_url=HOSTILE):
            appeal = triggers.lodge_appeal(
                world.coordinator, application, received_on=date(2026, 3, 30), grounds="Not heard."
            )
            triggers.assign_appeal_handler(world.coordinator, appeal, handler_name="The PCC's office")
            triggers.decide_appeal(
                world.coordinator, appeal, decision="not_upheld", reasons="It was heard.", decided_on=date(2026, 3, 31)
            )
            commit()

        # A new high risk on a case: the owner's manager is told.
        case = _case(world)
        answers = {**ALL_NO, "threats_of_violence": "yes"}
        response = api_client(world.officer).post(
            f"/api/v1/cases/{case.id}/risk-assessments", json={"answers": answers}, base_url=HOSTILE
        )
        assert response.status_code == 201, response.get_json()

        # Reminders, escalations and the digest, swept by tasks run inside a hostile request.
        set_deadline(
            subject_type="cases",
            subject_id=case.id,
            kind="test.due",
            title="Visit the victim",
            due=date(2026, 4, 2),
            owner_id=world.officer.id,
            area_id=world.area.id,
            case_id=case.id,
            link=f"/cases/{case.id}",
        )
        # And one on a restricted case named to the officer only: their manager is told of it without
        # its case (the check of what each message names, below).
        from casework.cases.models import Case, CaseAccess

        restricted = Case(
            reference="BOL-2026-0008",
            area_id=world.area.id,
            year=2026,
            sequence=8,
            category="personal",
            summary="Hate crime",
            lead_agency_id=world.council.id,
            owner_id=world.officer.id,
            is_restricted=True,
        )
        db.session.add(restricted)
        db.session.flush()
        db.session.add(CaseAccess(case_id=restricted.id, user_id=world.officer.id))
        set_deadline(
            subject_type="cases",
            subject_id=restricted.id,
            kind="test.due",
            title="Visit the victim of the hate crime",
            due=date(2026, 4, 2),
            owner_id=world.officer.id,
            area_id=world.area.id,
            case_id=restricted.id,
            link=f"/cases/{restricted.id}",
        )
        commit()
        for moment in ("2026-03-31 10:00:00+00:00", "2026-04-03 10:00:00+00:00"):
            clock.move_to(moment)
            with app.test_request_context("/", base_url=HOSTILE):
                reminder_tasks.sweep.run()
                reminder_tasks.digest.run()

        # The victim page switched on for the case's victim, who asks for a link and a code.
        from casework.cases.models import CaseParty, PartyRole, Person
        from casework.victims import services as victim_page

        victim = Person(name="Vera Victim", normalised_name="vera victim")
        db.session.add(victim)
        db.session.flush()
        db.session.add(CaseParty(case_id=case.id, person_id=victim.id, role=PartyRole.victim))
        commit()
        from casework.core.time import today
        from casework.victims import reminders as victim_reminders

        with app.test_request_context("/", base_url=HOSTILE):
            victim_page.switch_on(
                world.officer,
                case,
                victim,
                email="vera@example.net",
                mobile="07700900123",
                contact_checked=True,
                next_step="Your officer visits you",
                next_step_on=today() + timedelta(days=1),
            )
            victim_page.send_link("vera@example.net")
            victim_page.send_code("07700900123")
            victim_reminders.queue_next_step_reminders(today())
            commit()

        # The victim, who has reported three times, is told of their right to a Case Review by email.
        from casework.cases import services as case_services
        from casework.threshold_watch.models import WatchEntry

        victim.email = "vera@example.net"
        for day in (date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)):
            case_services.record_incident(
                world.officer,
                case,
                occurred_on=day,
                description="Shouting",
                complaints=[{"reported_on": day, "agency_code": "BDC", "complainant_person_id": victim.id}],
            )
        commit()
        entry = db.session.scalars(sa.select(WatchEntry).where(WatchEntry.person_id == victim.id)).one()
        officer = page_client(world.officer)
        # The signed-in session, as the browser would send it to the host it signed in at.
        cookie = app.config["SESSION_COOKIE_NAME"]
        officer.set_cookie(cookie, officer.get_cookie(cookie, domain="localhost").value, domain="evil.example")
        told = officer.post(
            f"/threshold-watch/{entry.id}/tell",
            data={
                "told_on-day": "3",
                "told_on-month": "4",
                "told_on-year": "2026",
                "method": "email",
                "send_email": "y",
            },
            base_url=HOSTILE,
        )
        assert told.status_code == 302, told.get_data(as_text=True)

        # A tasking meeting's minutes published: the chair is sent a link to them.
        from casework.tasking import services as tasking

        with app.test_request_context("/", base_url=HOSTILE):
            series = tasking.create_series(
                world.coordinator, area=world.area, name="ASB tasking", interval_days=7, agencies=[world.council]
            )
            meeting = tasking.schedule_meeting(world.coordinator, series, date(2026, 4, 3))
            tasking.publish_minutes(world.coordinator, meeting)
            commit()

        # The account holder told that sign-in is locked.
        with app.test_request_context("/sign-in", base_url=HOSTILE):
            accounts.tell_account_locked(world.officer.email, 60)
            commit()

        # The account holder told of new recovery codes, and of their second factor turned off.
        from casework.accounts import second_factor

        with app.test_request_context("/account/second-factor/turn-off", base_url=HOSTILE):
            second_factor.store_secret(world.officer, second_factor.new_secret())
            second_factor.make_new_recovery_codes(world.officer)
            second_factor.disable(world.officer, world.officer)
            commit()

        # The account holder told that they changed their own password.
        with app.test_request_context("/account/password", base_url=HOSTILE):
            accounts.change_own_password(world.officer, "violet harbour lantern quietly")
            commit()

        # The account holder told that an administrator reset their password.
        with app.test_request_context("/admin/users", base_url=HOSTILE):
            accounts.reset_password(world.admin, world.officer, "amber meadow whistle slowly")
            commit()

        # The administrators told of a stored file the store refused to delete every time.
        from casework.core import storage

        with app.test_request_context("/", base_url=HOSTILE):
            storage.hold_stuck_deletion("s3", "documents/1/evidence.pdf", OSError("no route to host"), 50)
            assert accounts.alert_stuck_deletions() == 1  # the scenario's one administrator
            commit()

    db.session.expire_all()
    emails = list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))
    sent_kinds = {email.idempotency_key.split(":")[0] for email in emails}
    assert sent_kinds == set(SENT_BY_THE_SCENARIO)
    letter_kinds = set(db.session.scalars(sa.select(Letter.kind)))
    assert letter_kinds == set(LetterKind)
    return emails


def test_every_link_in_every_email_and_letter_uses_the_base_url(
    app, world, make, client, api_client, page_client
) -> None:
    base = app.config["CASEWORK"]["BASE_URL"]
    emails = queue_every_kind(app, world, make, client, api_client, page_client)

    links_seen = 0
    for email in emails:
        for body in (email.body_text, email.body_html or ""):
            assert "evil.example" not in body, email.idempotency_key
            for url in URL.findall(body):
                assert url.startswith(base + "/"), (email.idempotency_key, url)
                links_seen += 1
        assert BARE_PATH.findall(email.body_text) == [], (email.idempotency_key, email.body_text)
        for href in HREF.findall(email.body_html or ""):
            assert href.startswith(base + "/"), (email.idempotency_key, href)
    assert links_seen >= len(emails)

    # Every case a message names is one its recipient may see (``SeenCases``, as they may see it now);
    # a message to someone outside the service (an applicant, a victim) names none.
    from casework.accounts.models import User
    from casework.cases.policies import SeenCases

    staff = {user.email.lower(): user for user in db.session.scalars(sa.select(User))}
    named_to_staff = 0
    for email in emails:
        named = set(CASE_REFERENCE.findall(f"{email.subject}\n{email.body_text}\n{email.body_html or ''}"))
        reader = staff.get(email.to_address.lower())
        if reader is None:
            assert named == set(), (email.idempotency_key, named)
            continue
        seen = SeenCases(reader, references=named)
        assert {ref for ref in named if not seen.can_see_reference(ref)} == set(), (email.idempotency_key, named)
        named_to_staff += len(named)
    assert named_to_staff
    assert any(
        "a case you cannot see" in email.body_text for email in emails if email.to_address == world.manager.email
    )

    # The links lead somewhere: each is a page of this service.
    adapter = app.url_map.bind("casework.invalid")
    for email in emails:
        for url in URL.findall(email.body_text):
            path = url.removeprefix(base).rstrip(".,)")
            adapter.match(path.split("?")[0], method="GET")


def _case(world):
    from casework.cases.models import Case

    case = Case(
        reference="BOL-2026-0007",
        area_id=world.area.id,
        year=2026,
        sequence=7,
        category="personal",
        summary="Noise and threats",
        lead_agency_id=world.council.id,
        owner_id=world.officer.id,
    )
    db.session.add(case)
    db.session.commit()
    return case
