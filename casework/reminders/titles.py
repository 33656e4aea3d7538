"""What a deadline is called for the person reading it: the one place every list, page, export,
calendar and email that shows a deadline takes its title, link and case reference from.

A deadline's title quotes its case ("Action due on case BOL-2026-0006: check on ... at 12 Quiet Road"),
and a deadline reaches people through its owner and the owner's manager, not through its case: work
handed over, a case restricted or unshared afterwards, a manager not named on a restricted case. So a
case is named only to those who may see it (DEVELOPMENT.md): to a reader who may not see a
deadline's case, the deadline is "a deadline on a case you cannot see", with the agency holding the
case and its due date, and no title, link or reference. Which cases the reader may see is asked once
per list (``SeenCases``: one statement), never once per row. A deadline with no case (a Case Review's
own step) is shown as before. A Case Review recommendation's deadline quotes the recommendation: to a
reader its text is withheld from (``casework.actions.sight``), its title says only what it is.

A title names people ("Tell Jane Smith of their right to a Case Review", an action's "check on ... at
12 Quiet Road"). Where it would be read beyond its reader, it is not quoted: an email's subject shows
on a phone's lock screen and in every list of messages, and a calendar service keeps copies of what it
fetches. There a deadline is its ``summary``: what kind of work it is and the reference of the case
(or Case Review application) it is on, never its title.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from casework.cases.policies import SeenCases
from casework.core.links import absolute
from casework.reminders.models import Deadline


def hidden_title(holder: str | None) -> str:
    """The words standing for a deadline on a case the reader may not see."""
    return f"A deadline on a case you cannot see, held by {holder or 'another agency'}"


#: The first part of a deadline's kind (``action.due``) -> what kind of work it is, in a summary.
KIND_LABELS = {
    "action": "Action due",
    "risk": "Risk review",
    "intervention": "Intervention date",
    "trigger": "Case Review deadline",
    "case": "Case deadline",
    "pcc_review": "Case Review deadline",
    "info_request": "Information request due",
    "threshold_watch": "Tell a victim of their right to a Case Review",
}

#: A deadline's summary to a reader who may not see its case.
HIDDEN_SUMMARY = "Deadline on a case you cannot see"


def kind_label(kind: str) -> str:
    """What kind of work a deadline of this kind is ("Action due"), naming nothing."""
    return KIND_LABELS.get(kind.split(".")[0], "Deadline")


#: The title of a Case Review recommendation's deadline to a reader its text is withheld from.
WITHHELD_RECOMMENDATION = "Case Review recommendation due (its text is withheld)"


#: The table of Case Review applications (their own steps' deadlines are on it, with no case).
_APPLICATIONS = "trigger_applications"


class DeadlineTitles:
    """The titles of some deadlines for one ``reader``: one statement for all of them."""

    def __init__(self, reader: Any, rows: Iterable[Deadline]) -> None:
        from casework.actions import services as actions
        from casework.actions import sight

        rows = list(rows)
        self._seen = SeenCases(reader, ids=[row.case_id for row in rows if row.case_id is not None])
        # The actions' deadlines whose title quotes a Case Review recommendation withheld from the
        # reader (``casework.actions.sight``): asked once for the list.
        action_ids = [row.subject_id for row in rows if row.subject_type == actions.SUBJECT_TYPE and row.is_statutory]
        self._withheld = {(actions.SUBJECT_TYPE, action_id) for action_id in sight.withheld_ids(reader, action_ids)}
        # The references of the Case Review applications whose own steps are listed (no case): asked
        # once, and only when there are some.
        application_ids = sorted({row.subject_id for row in rows if row.subject_type == _APPLICATIONS})
        self._applications: dict[int, str] = {}
        if application_ids:
            import sqlalchemy as sa

            from casework.community_triggers.models import TriggerApplication
            from casework.extensions import db

            found = db.session.execute(
                sa.select(TriggerApplication.id, TriggerApplication.reference).where(
                    TriggerApplication.id.in_(application_ids)
                )
            )
            self._applications = {row.id: row.reference for row in found}

    def shows(self, row: Deadline) -> bool:
        """Whether the reader may read this deadline's title (its case is one they may see)."""
        return row.case_id is None or self._seen.can_see(row.case_id)

    def title(self, row: Deadline) -> str:
        if not self.shows(row):
            return hidden_title(self._seen.holder(row.case_id))
        if (row.subject_type, row.subject_id) in self._withheld:
            return WITHHELD_RECOMMENDATION
        return row.title

    def summary(self, row: Deadline) -> str:
        """What the deadline is, without its title (which names people): its kind, and the reference of
        its case when the reader may see it, or of its Case Review application. For text read beyond
        the reader: an email's subject (a lock screen), a calendar's event."""
        if not self.shows(row):
            return HIDDEN_SUMMARY
        label = kind_label(row.kind)
        reference = self._seen.reference(row.case_id)
        if reference is not None:
            return f"{label} on case {reference}"
        if row.subject_type == _APPLICATIONS and row.subject_id in self._applications:
            return f"{label}: {self._applications[row.subject_id]}"
        return label

    def link(self, row: Deadline) -> str | None:
        """The path of the work's page; none for a case the reader may not see (it would answer 404)."""
        return row.link if self.shows(row) else None

    def url(self, row: Deadline) -> str:
        """The link for an email: the work's page, or the home page when the reader may not see it."""
        return absolute(self.link(row) or "/")

    def case_reference(self, row: Deadline, reference: str | None) -> str | None:
        """The reference of the deadline's case (joined by the caller), only if the reader may see it."""
        return reference if self.shows(row) else None
