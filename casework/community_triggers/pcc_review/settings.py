"""The PCC review's per-area settings: the dated switch and its timescales (off by default)."""

from __future__ import annotations

from casework.core.settings import SettingSpec, boolean, timescale

GROUP = "Case Review: Police and Crime Commissioner review"
SOURCE = "Crime and Policing Act 2026 (reviews by local policing bodies of ASB case review decisions)"

IN_FORCE = "cpa2026_pcc_review"
REQUEST_WINDOW = "pcc_review_request_window"
DECISION = "pcc_review_decision"

#: Registered by ``casework.community_triggers.init_app``.
SPECS = [
    SettingSpec(
        key=IN_FORCE,
        default=False,
        description=(
            "From this date an applicant told that the threshold is not met may ask the Police and Crime "
            "Commissioner to review that decision. The request and the PCC's outcome are recorded on the "
            "application, each with its deadline and letter, and counted in the published working figures; "
            "an outcome asking for the decision to be taken again sends the application back for a new "
            "threshold decision."
        ),
        group=GROUP,
        parse=boolean,
        label="Police and Crime Commissioner review of threshold decisions in force",
        source=SOURCE,
    ),
    SettingSpec(
        key=REQUEST_WINDOW,
        default={"amount": 20, "unit": "working_days"},
        description=(
            'How long after the "not met" decision (or after a local appeal against it is decided, when '
            "that is later) the applicant may ask for the PCC's review, the last day included."
        ),
        group=GROUP,
        parse=timescale,
        label="Time to ask for a PCC review",
        source=f"{SOURCE}; the period is the area's procedure",
    ),
    SettingSpec(
        key=DECISION,
        default={"amount": 20, "unit": "working_days"},
        description="How long after the request is received the PCC's review is due to be decided.",
        group=GROUP,
        parse=timescale,
        label="Time for the PCC to decide a review",
        source=f"{SOURCE}; the period is the area's procedure",
    ),
]
