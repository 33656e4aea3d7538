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


#: The title of a Case Review recommendation's deadline to a reader its text is withheld from.
WITHHELD_RECOMMENDATION = "Case Review recommendation due (its text is withheld)"


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

    def shows(self, row: Deadline) -> bool:
        """Whether the reader may read this deadline's title (its case is one they may see)."""
        return row.case_id is None or self._seen.can_see(row.case_id)

    def title(self, row: Deadline) -> str:
        if not self.shows(row):
            return hidden_title(self._seen.holder(row.case_id))
        if (row.subject_type, row.subject_id) in self._withheld:
            return WITHHELD_RECOMMENDATION
        return row.title

    def link(self, row: Deadline) -> str | None:
        """The path of the work's page; none for a case the reader may not see (it would answer 404)."""
        return row.link if self.shows(row) else None

    def url(self, row: Deadline) -> str:
        """The link for an email: the work's page, or the home page when the reader may not see it."""
        return absolute(self.link(row) or "/")

    def case_reference(self, row: Deadline, reference: str | None) -> str | None:
        """The reference of the deadline's case (joined by the caller), only if the reader may see it."""
        return reference if self.shows(row) else None
