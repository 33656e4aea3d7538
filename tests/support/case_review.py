"""Case Reviews built for tests on ``tests.interventions.world`` (its usual rolled-back ``db_session``):
an application with one record of every kind under it, for the walks that open or write to every route
naming such a record (tests/test_anonymised_case_writes.py, tests/test_anonymised_pages_offer_no_form.py),
and a review's recommendation filed on the world's case, for the tests of what closing, reopening and
narrowing sight do with it (tests/lifecycle)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


def apply_for_a_case_review(world: Any, api_client: Any, **extra: Any) -> Any:
    """The coordinator's application for Vera Victim in ``world``'s area, received by phone on 1 March
    2019, through the API (``extra`` added to its body): the API's answer."""
    return api_client(world.coordinator).post(
        "/api/v1/triggers",
        json={
            "area_code": world.area.code,
            "received_on": "2019-03-01",
            "channel": "phone",
            "applicant": {"name": "Vera Victim"},
            "applicant_role": "victim",
            "description": "Noise every night",
            **extra,
        },
    )


@dataclass(frozen=True)
class CaseReview:
    """An application and one record of every kind under it."""

    application: Any
    #: the council's information request (an agency's submission)
    request: Any
    meeting: Any
    recommendation: Any
    #: the recommendation's action, on no case
    action: Any
    assessment: Any
    appeal: Any
    pcc_review: Any
    letter: Any
    #: a file uploaded for the information request
    document: Any


def case_review_with_every_record(world: Any, api_client: Any) -> CaseReview:
    """``apply_for_a_case_review``, then under it: an information request to the council, a meeting
    chaired by ``world.chair`` with a recommendation to the council, that recommendation's action (on no
    case: the review's own) and a proportionality assessment, an appeal, a review by the Police and
    Crime Commissioner, an acknowledgement letter and a document sent with the request. Flushed, not
    committed."""
    from casework.cases.models import Action
    from casework.community_triggers import info_requests
    from casework.community_triggers.models import (
        Appeal,
        Letter,
        LetterKind,
        ProportionalityAssessment,
        Recommendation,
        ReviewMeeting,
        TriggerApplication,
        TriggerDocument,
    )
    from casework.community_triggers.pcc_review.models import PccReview
    from casework.core import storage
    from casework.extensions import db

    made = apply_for_a_case_review(world, api_client)
    assert made.status_code == 201, made.json
    application = db.session.get(TriggerApplication, made.json["id"])
    request = info_requests.request_information(
        world.coordinator, application, world.council, due_on=date(2019, 3, 20), requested_on=date(2019, 3, 2)
    )
    meeting = ReviewMeeting(application_id=application.id, scheduled_on=date(2019, 3, 10), chair_id=world.chair.id)
    db.session.add(meeting)
    db.session.flush()
    recommendation = Recommendation(
        meeting_id=meeting.id, text="Fit a noise monitor", agency_id=world.council.id, due_on=date(2019, 4, 1)
    )
    assessment = ProportionalityAssessment(
        meeting_id=meeting.id, subject_name="A", conclusion="proportionate", assessed_on=date(2019, 3, 10)
    )
    appeal = Appeal(application_id=application.id, received_on=date(2019, 3, 20), grounds="Unfair")
    pcc_review = PccReview(application_id=application.id, requested_on=date(2019, 3, 21), grounds="Unfair")
    letter = Letter(
        application_id=application.id, kind=LetterKind.acknowledgement, subject="Your application", body="Received"
    )
    document = TriggerDocument(
        application_id=application.id,
        information_request_id=request.id,
        filename="notes.pdf",
        content_type="application/pdf",
        size=15,
        stored_file=storage.save(b"%PDF-1.7\n%%EOF\n", "application/pdf", folder="case-reviews"),
        uploaded_by_id=world.coordinator.id,
    )
    db.session.add_all([recommendation, assessment, appeal, pcc_review, letter, document])
    db.session.flush()
    action = Action(recommendation_id=recommendation.id, description="Fit a noise monitor", agency_id=world.council.id)
    db.session.add(action)
    db.session.flush()
    return CaseReview(
        application=application,
        request=request,
        meeting=meeting,
        recommendation=recommendation,
        action=action,
        assessment=assessment,
        appeal=appeal,
        pcc_review=pcc_review,
        letter=letter,
        document=document,
    )


def anonymise_application(application: Any, status: Any) -> None:
    """Leave ``application`` at ``status`` and anonymised under the retention policy (``anonymised_at``
    set, its description removed), as the walks find it; not committed."""
    from casework.core.time import now

    application.status = status
    application.anonymised_at = now()
    application.description = "[removed]"


def recommendation_on_the_case(
    world: Any, *, agency: Any, assignee: Any | None, text: str = "Fit a noise monitor"
) -> Any:
    """A Case Review's recommendation filed on ``world.case``, addressed to ``agency`` (through the
    actions service, as a review does): the action, committed; without an assignee its deadline is the
    coordinator's."""
    from casework.actions.services import create_recommendation_action
    from casework.community_triggers.models import (
        ApplicantRole,
        Channel,
        Recommendation,
        ReviewMeeting,
        TriggerApplication,
    )
    from casework.extensions import db

    application = TriggerApplication(
        reference="BOL-CT-2026-0001",
        area_id=world.area.id,
        year=2026,
        sequence=1,
        received_on=date(2027, 1, 4),
        channel=Channel.phone,
        applicant_name="Vera Victim",
        applicant_role=ApplicantRole.victim,
        description="Repeated noise",
    )
    db.session.add(application)
    db.session.flush()
    meeting = ReviewMeeting(application_id=application.id, scheduled_on=date(2027, 2, 1), chair_id=world.chair.id)
    db.session.add(meeting)
    db.session.flush()
    found = Recommendation(meeting_id=meeting.id, text=text, agency_id=agency.id, due_on=date(2027, 3, 5))
    db.session.add(found)
    db.session.flush()
    created = create_recommendation_action(
        None,
        world.case,
        recommendation_id=found.id,
        description=text,
        agency_id=agency.id,
        assignee_id=assignee.id if assignee is not None else None,
        due_on=found.due_on,
        default_owner_id=world.coordinator.id,
        title=f"Case review recommendation (BOL-CT-2026-0001): {text}",
    )
    db.session.commit()
    return created
