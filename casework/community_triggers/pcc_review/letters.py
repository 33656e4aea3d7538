"""The default text of the PCC review's letters, and the paragraph the "not met" letter gains where the
route is in force. Plain data: ``casework.community_triggers.letters`` produces, stores and sends them
like every other letter (editable templates, sandboxed, logged on the application)."""

from __future__ import annotations

from datetime import date
from typing import Any

TITLES = {
    "pcc_review_request": "Request for a PCC review received",
    "pcc_review_outcome": "PCC review outcome",
}

#: Shown on the admin template page with the other variables.
VARIABLES: list[tuple[str, str]] = [
    (
        "pcc_review.available",
        "true when the applicant may ask the Police and Crime Commissioner to review a 'not met' decision",
    ),
    ("pcc_review.window_closes", "the last day to ask for the PCC's review (a date), where it is available"),
    ("pcc_review.requested_on, pcc_review.grounds", "the request to the PCC"),
    ("pcc_review.decision_due", "the day the PCC's review is due to be decided"),
    ("pcc_review.reconsider, pcc_review.reasons, pcc_review.decided_on", "the PCC's outcome"),
    ("pcc_review.reviewer_name", "who reviewed it at the PCC's office"),
]

#: Added to the default "not met" threshold decision letter, after the appeal paragraph: shown only
#: where the route is in force on the day of the decision.
NOT_MET_PARAGRAPH = """
{% if pcc_review.available %}
You can also ask the Police and Crime Commissioner to review our decision that the threshold is not met. Write to us or email us by {{ pcc_review.window_closes | date }}, quoting {{ application.reference }}, and tell us why you think the decision is wrong. We will pass your request to the Commissioner's office.
{% endif %}"""

TEMPLATES: dict[str, tuple[str, str]] = {
    "pcc_review_request": (
        "Your ASB Case Review {{ application.reference }}: your request for the Police and Crime Commissioner's review",
        """\
Dear {{ application.applicant_name }},

We received your request on {{ pcc_review.requested_on | date }} for the Police and Crime Commissioner to review our decision that the threshold for an ASB Case Review {{ application.reference }} is not met.

The Commissioner's office will look at how the decision was made and write to you with the outcome by {{ pcc_review.decision_due | date }}.

Yours sincerely,

The ASB Case Review coordinator, {{ area.name }}""",
    ),
    "pcc_review_outcome": (
        "Your ASB Case Review {{ application.reference }}: the Police and Crime Commissioner's review",
        """\
Dear {{ application.applicant_name }},

The Police and Crime Commissioner's office has reviewed our decision that the threshold for your ASB Case Review {{ application.reference }} is not met.
{% if pcc_review.reconsider %}
The Commissioner has asked us to take the threshold decision again. We will look at your application afresh and write to you with our new decision.
{% else %}
The Commissioner found that the decision was properly made, so it stands.
{% endif %}
Reasons: {{ pcc_review.reasons }}
{% if not pcc_review.reconsider %}
If you are still unhappy, you can complain to the Local Government and Social Care Ombudsman.
{% endif %}
Yours sincerely,

The ASB Case Review coordinator, {{ area.name }}""",
    ),
}


def sample() -> dict[str, Any]:
    """Invented data for the admin preview."""
    return {
        "available": True,
        "window_closes": date(2026, 4, 20),
        "requested_on": date(2026, 4, 7),
        "grounds": "Three of my reports were not counted.",
        "decision_due": date(2026, 5, 6),
        "reconsider": False,
        "reasons": "The complaints not counted were reported more than a month after the behaviour.",
        "decided_on": date(2026, 4, 28),
        "reviewer_name": "Office of the Police and Crime Commissioner",
    }
