"""Case Review (Community Trigger) operations: registration, screening, the threshold decision, the
review meeting and its outcome, the appeal and withdrawal.

One module a part of the process: ``application`` (registration, screening out, withdrawal, the
deadlines), ``decision`` (the threshold), ``review`` (the meeting and its outcome), ``appeal``,
``retention`` and ``people`` (subject access, the person page); the letters are in
``casework.community_triggers.letters``. Everything is re-exported here, so callers use
``from casework.community_triggers import services`` and ``services.decide_threshold(...)``.

Each function takes the acting user (None for the public web form or the system) and plain arguments,
checks the rules (docs/rules.md), changes the session, flushes, audits, keeps the Deadline
rows in line (``deadlines.sync``), sends the ``signals`` event, and never commits. Object-level access
(which user may act on which application) is checked by the caller with ``policies``; rules that hold
whoever acts (a "not met" decision on a met evaluation, a conflicted chair) are checked here.
"""

from __future__ import annotations

from casework.community_triggers.services._common import (
    APPLICATION_AUDIT_FIELDS,
    FINAL_STATUSES,
    MEETING_AUDIT_FIELDS,
    NOTIFIED_ROLES,
    check_version,
    event_date_errors,
    sends_letters,
)
from casework.community_triggers.services.appeal import (
    appeal_window,
    assign_appeal_handler,
    decide_appeal,
    lodge_appeal,
    took_part,
)
from casework.community_triggers.services.application import (
    deadlines,
    notify_agencies,
    refresh_deadlines,
    register_application,
    screen_out,
    settle_past_deadlines,
    withdraw,
)
from casework.community_triggers.services.decision import (
    acknowledge,
    decide_threshold,
    evaluate,
    link_cases,
    reevaluate,
    rules_for,
)
from casework.community_triggers.services.people import (
    export_section,
    person_section,
)
from casework.community_triggers.services.retention import (
    anonymise_application,
    applications_going_with,
    last_event_on,
    unlinked_applications_due,
)
from casework.community_triggers.services.review import (
    MEETING_EDITABLE,
    RECOMMENDATION_OWNER_REFUSED,
    WORK_ON_CASE_CHECKS,
    arrange_meeting,
    chair_conflicts,
    recommendation_owner,
    recommendation_owner_choices,
    record_outcome,
    record_outcome_letter_sent,
    record_victim_consultation,
    update_meeting,
    worked_on_linked_cases,
)

__all__ = [
    "APPLICATION_AUDIT_FIELDS",
    "FINAL_STATUSES",
    "MEETING_AUDIT_FIELDS",
    "MEETING_EDITABLE",
    "NOTIFIED_ROLES",
    "RECOMMENDATION_OWNER_REFUSED",
    "WORK_ON_CASE_CHECKS",
    "acknowledge",
    "anonymise_application",
    "appeal_window",
    "applications_going_with",
    "arrange_meeting",
    "assign_appeal_handler",
    "chair_conflicts",
    "check_version",
    "deadlines",
    "decide_appeal",
    "decide_threshold",
    "evaluate",
    "event_date_errors",
    "export_section",
    "last_event_on",
    "link_cases",
    "lodge_appeal",
    "notify_agencies",
    "person_section",
    "recommendation_owner",
    "recommendation_owner_choices",
    "record_outcome",
    "record_outcome_letter_sent",
    "record_victim_consultation",
    "reevaluate",
    "refresh_deadlines",
    "register_application",
    "rules_for",
    "screen_out",
    "sends_letters",
    "settle_past_deadlines",
    "took_part",
    "unlinked_applications_due",
    "update_meeting",
    "withdraw",
    "worked_on_linked_cases",
]
