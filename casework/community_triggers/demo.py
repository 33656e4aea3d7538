"""Demo Case Review applications in Bolsover and North East Derbyshire at different stages: received
(from an applicant with an earlier application), met with a meeting arranged, held and waiting to be
confirmed complete, concluded with its papers and the outcome sent, not met, not met and taken to the
Police and Crime Commissioner for review (the Crime and Policing Act 2026 route, switched on for every
area), and withdrawn. The demo chair chairs the arranged and the held reviews. Idempotent: each is
looked up by its applicant first.

Dates are counted back from today in working days, so the demo always shows live deadlines and no
event is dated in the future.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.accounts.models import Area
from casework.community_triggers import completeness, info_requests, review_papers, services
from casework.community_triggers.models import InformationRequest, TriggerApplication
from casework.community_triggers.pcc_review import services as pcc_review
from casework.community_triggers.pcc_review.settings import IN_FORCE as PCC_REVIEW_IN_FORCE
from casework.community_triggers.settings import REPEAT_APPLICATIONS_COUNT, REPEAT_APPLICATIONS_HANDLING
from casework.core.dates import add_working_days
from casework.core.db import commit
from casework.core.time import today
from casework.demo import DEMO_DOMAIN
from casework.extensions import db
from casework.interventions.demo import switch_on_for_demo


def _ago(working_days: int) -> date:
    return add_working_days(today(), -working_days)


def _complaints(
    received_on: date, count: int, agency_codes: tuple[str, ...] = ("BDC", "DERPOL")
) -> list[dict[str, Any]]:
    """``count`` qualifying complaints on different days in the weeks before ``received_on``."""
    found = []
    for index in range(count):
        occurred_on = received_on - timedelta(days=7 * (count - index) + 3)
        found.append(
            {
                "complainant_name": None,
                "occurred_on": occurred_on,
                "reported_on": occurred_on + timedelta(days=1),
                "agency": accounts.get_agency(agency_codes[index % len(agency_codes)]),
                "reported_to": None,
                "reference": f"LOG-{occurred_on:%y%m%d}-{index + 1}",
                "causes_had": True,
                "hate_motivated": False,
            }
        )
    return found


def _register(area_code: str, applicant: str, received_on: date, complaints: int, actor: Any, **extra: Any):
    area = db.session.scalar(sa.select(Area).where(Area.code == area_code))
    existing = db.session.scalar(
        sa.select(TriggerApplication).where(
            TriggerApplication.area_id == area.id, TriggerApplication.applicant_name == applicant
        )
    )
    if existing is not None:
        return None
    return services.register_application(
        actor,
        {
            "area": area,
            "received_on": received_on,
            "channel": extra.pop("channel", "online" if actor is None else "phone"),
            "applicant": {"name": applicant, "email": extra.pop("email", None)},
            "applicant_role": extra.pop("applicant_role", "victim"),
            "consent_given": extra.pop("consent_given", False),
            "victim": extra.pop("victim", None),
            "description": extra.pop(
                "description", "Repeated shouting, banging and threats from a neighbouring property late at night."
            ),
            "cases": [],
            "complaints": _complaints(received_on, complaints),
        },
    )


def _concluded(application: Any, coordinator: Any, chair: Any, received: date, *, complete: bool) -> None:
    """Take ``application`` through the review: information requested (the council answers, the police
    do not), met, a meeting held with its attendees, an assessment and recommendations; with
    ``complete``, the victim's views on the action plan, the review confirmed complete (the outcome
    letters) and the forum's lessons-learnt review."""
    council, police = accounts.get_agency("BDC"), accounts.get_agency("DERPOL")
    services.acknowledge(coordinator, application, acknowledged_on=add_working_days(received, 3))
    due_on = add_working_days(received, 10)
    asked_on = add_working_days(received, 3)
    asked = info_requests.request_information(coordinator, application, council, due_on=due_on, requested_on=asked_on)
    info_requests.request_information(coordinator, application, police, due_on=due_on, requested_on=asked_on)
    info_requests.submit(
        coordinator, asked, text="Noise diary from the victim, two warning letters sent, one visit by the ASB officer."
    )
    for item in db.session.scalars(
        sa.select(InformationRequest).where(InformationRequest.application_id == application.id)
    ):
        item.requested_on = add_working_days(received, 1)  # demo history: asked back then
        if item.submitted_on is not None:
            item.submitted_on = add_working_days(received, 8)
    decided_on = add_working_days(received, 12)
    services.decide_threshold(
        coordinator,
        application,
        met=True,
        basis="automatic",
        reasons="Three qualifying complaints.",
        decided_on=decided_on,
    )
    held_on = add_working_days(decided_on, 15)
    meeting = services.arrange_meeting(
        coordinator,
        application,
        scheduled_on=held_on,
        chair=chair,
        arranged_on=add_working_days(decided_on, 1),
        location="Bolsover Civic Centre",
    )
    services.update_meeting(
        coordinator,
        meeting,
        attendees=[
            {"name": chair.name, "agency": chair.agency, "role": "Independent chair"},
            {"name": "Olive Officer", "agency": council, "role": "ASB officer"},
            {"name": "PC Dana Hart", "agency": police, "role": "Neighbourhood officer"},
        ],
    )
    recommendations = [
        {
            "text": "Issue a Community Protection Warning to the perpetrator.",
            "agency": council,
            "due_on": add_working_days(held_on, 10),
        },
        {
            "text": "Increase police patrols on Friday and Saturday nights for six weeks.",
            "agency": police,
            "due_on": add_working_days(held_on, 20),
        },
    ]
    services.record_outcome(
        chair,
        meeting,
        held_on=held_on,
        victim_invited=True,
        minutes="The panel reviewed each agency's response and heard from the victim's representative.",
        recommendations=recommendations if complete else recommendations[:1],
    )
    review_papers.save_proportionality_assessment(
        chair,
        meeting,
        subject_name="The tenant of 6 Mill Lane",
        age_note="An adult in his forties.",
        vulnerability_note="No known vulnerability; he understood the warning letters.",
        consequences_note="A housing association tenant: a closure order would put the tenancy at risk.",
        previous_interventions_note="Two warning letters; the noise stopped for three weeks after each.",
        victim_view_note="The victim wants the noise to stop and does not want him evicted.",
        conclusion="A Community Protection Warning is proportionate; a closure order is not.",
        assessed_on=held_on,
    )
    if not complete:
        return
    services.record_victim_consultation(
        coordinator,
        meeting,
        consulted_on=add_working_days(held_on, 2),
        notes="Spoke to the victim by phone with her advocate.",
        views={meeting.recommendations[0].id: "Agrees, and asks to be told when it is served."},
    )
    reasons = {
        police: "The neighbourhood officer presented the police information at the meeting.",
        **{accounts.get_agency(code): "Not involved with this household." for code in ("DDICB", "DFRS", "OPCC")},
    }
    completeness.confirm_complete(
        coordinator,
        meeting,
        confirmed_on=add_working_days(held_on, 3),
        missing_information=reasons,
        send_letter=True,
    )
    review_papers.record_lessons_review(
        coordinator,
        application,
        forum="Derbyshire and Derby City ASB Forum",
        reviewed_on=add_working_days(held_on, 5),
        lessons="Information requests should go to every agency the day the application arrives.",
        shared_with="All Community Safety Partnerships in Derbyshire",
    )


def _repeat_applicant(coordinator: Any) -> None:
    """Bolsover's procedure flags an applicant's second application within a year for the coordinator
    to read with the first; it never stops anyone applying."""
    area = db.session.scalar(sa.select(Area).where(Area.code == "BOL"))
    settings = accounts.area_settings(area, on=_ago(30))
    if settings[REPEAT_APPLICATIONS_COUNT] == 0:
        accounts.update_area_settings(
            None,
            area,
            {REPEAT_APPLICATIONS_COUNT: 2, REPEAT_APPLICATIONS_HANDLING: "read_together"},
            effective_from=_ago(250),
        )
    earlier = _register("BOL", "Demo: Alex Green (earlier)", _ago(150), 1, None, email=f"alex.green@{DEMO_DOMAIN}")
    if earlier is not None:
        services.withdraw(None, earlier, withdrawn_on=_ago(140), reason="The applicant moved the problem to mediation.")


def load_case_reviews(_password: str) -> None:
    coordinator = accounts.find_user_by_email(f"coordinator@{DEMO_DOMAIN}")
    chair = accounts.find_user_by_email(f"chair@{DEMO_DOMAIN}")
    if coordinator is None or chair is None:
        return

    # Received: the threshold still to decide; the applicant's second application this year.
    _repeat_applicant(coordinator)
    _register("BOL", "Demo: Alex Green", _ago(3), 3, None, email=f"alex.green@{DEMO_DOMAIN}")

    # Met, meeting arranged, chaired by the demo chair.
    received = _ago(20)
    application = _register("BOL", "Demo: Priya Shah", received, 4, coordinator)
    if application is not None:
        services.acknowledge(coordinator, application, acknowledged_on=add_working_days(received, 2))
        services.decide_threshold(
            coordinator,
            application,
            met=True,
            basis="automatic",
            reasons="Four qualifying complaints within six months.",
            decided_on=add_working_days(received, 10),
        )
        meeting = services.arrange_meeting(
            coordinator, application, scheduled_on=today() + timedelta(days=14), chair=chair
        )
        services.update_meeting(
            coordinator,
            meeting,
            location="Bolsover Civic Centre",
            agenda="1. Introductions\n2. Agency information\n3. The victim's views\n4. Recommendations",
            victim_invited=True,
        )

    # Concluded with recommendations, chaired by the demo chair, applied for by an advocate: the papers
    # (agenda, proportionality assessment, action plan with the victim's views), the review confirmed
    # complete, the outcome sent to the advocate and the victim, and the county forum's lessons.
    received = _ago(60)
    application = _register(
        "BOL",
        "Demo: Tom Wright",
        received,
        3,
        coordinator,
        applicant_role="on_behalf",
        consent_given=True,
        victim={"name": "Demo: Joan Wright", "email": f"joan.wright@{DEMO_DOMAIN}", "address": "4 Mill Lane, Bolsover"},
    )
    if application is not None:
        _concluded(application, coordinator, chair, received, complete=True)

    # Held, the outcome recorded, waiting for the coordinator to confirm the review complete.
    received = _ago(40)
    application = _register("BOL", "Demo: Lena Ford", received, 3, coordinator, email=f"lena.ford@{DEMO_DOMAIN}")
    if application is not None:
        _concluded(application, coordinator, chair, received, complete=False)

    # Not met (North East Derbyshire: applied online).
    received = _ago(30)
    application = _register("NED", "Demo: Jo Baker", received, 2, None)
    if application is not None:
        services.decide_threshold(
            None,
            application,
            met=False,
            basis=None,
            decided_on=add_working_days(received, 10),
            reasons="Two qualifying complaints; the agencies' responses were timely and proportionate.",
            persistence="Two incidents a month apart.",
            harm="Low.",
            adequacy="Both reports were followed up.",
        )

    # Not met in Bolsover, and the applicant has asked the Police and Crime Commissioner to review it.
    switch_on_for_demo((PCC_REVIEW_IN_FORCE,))
    received = _ago(25)
    application = _register("BOL", "Demo: Chris Evans", received, 2, coordinator, email=f"chris.evans@{DEMO_DOMAIN}")
    if application is not None:
        services.acknowledge(coordinator, application, acknowledged_on=add_working_days(received, 2))
        services.decide_threshold(
            coordinator,
            application,
            met=False,
            basis=None,
            decided_on=add_working_days(received, 12),
            reasons="Two qualifying complaints; both were followed up the next day.",
            persistence="Two incidents three weeks apart.",
            harm="Distress reported, no injury.",
            adequacy="The council and the police each visited.",
        )
        pcc_review.request_review(
            coordinator,
            application,
            requested_on=add_working_days(received, 18),
            grounds="Three more reports to the housing office were not counted.",
            reviewer_name="Office of the Derbyshire Police and Crime Commissioner",
        )

    # Withdrawn.
    received = _ago(10)
    application = _register("NED", "Demo: Sam Patel", received, 1, None)
    if application is not None:
        services.withdraw(
            None,
            application,
            withdrawn_on=add_working_days(received, 4),
            reason="The applicant moved away and asked to withdraw.",
        )
    commit()
