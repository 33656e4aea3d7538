"""Whose values a reader of the audit log may see.

An entry's chained part (who, when, what kind of action, the record's kind and id) is shown to everyone
who may read the log. Its personal part (``audit_values``: the summary, the values recorded and the
client's address) is the record's content, and is shown only to a reader who may see the record
itself, by the same rules as everywhere else:

- a case through ``visible_cases_clause``, a person through ``visible_people_clause``, a Case Review
  application through ``visible_applications_clause`` unless its applicant and victim are withheld
  from the reader (``community_triggers.applicants.withheld_clause``: the values recorded about it
  are their name, address and email, "... emailed to jane@example.org"), a tasking meeting or series
  through its own;
- a record on a case (a table with a ``case_id``: incidents, complaints, notes, parties, actions,
  interventions, risk assessments, documents ...) with its case; a record under one of those (a
  breach under its intervention, a letter under its application, a recommendation under its review
  meeting) with its parent;
- the set-up (users, areas, agencies, settings, letter and notice templates, the risk questionnaire)
  to those who administer it (``Permission.ADMINISTER``), who see it on the administration pages;
- anything else to nobody: a kind of record nobody mapped here is withheld until someone decides who
  may see it.

An administrator has no ``VIEW_CASES``, so sees who did what to which case or person, and when, but
never what was recorded about them.

The data protection officer reads the log the same way (they have neither ``VIEW_CASES`` nor
``ADMINISTER``): who looked at or changed a person's records, and when, which is what a subject access
request asks of the log (and what the export's "views" section already gives). Their route to the
records' content is the subject access export, whose release in full asks for a reason and records
it; the log page records nothing about what its reader saw, so values shown there would be a release
of anyone's restricted records without a reason recorded.

Entries whose values a merge moved to another subject are shown only when the reader may see both the
record and the subject. A summary or value shown names another case only if the reader may see it too
("Linked case BOL-2026-0001 to BOL-2026-0007" about a case they see, the other restricted): one they
may not see reads "a case you cannot see, held by <agency>", as on the Case Review's own trail
(``cases.policies.SeenCases``). Everything is worked out for a page of entries in at most two
statements.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa

from casework.audit.models import AuditAction
from casework.core.inputs import DB_INT_MAX, is_digits
from casework.core.permissions import Permission
from casework.extensions import db

#: Tables an administrator looks after on the administration pages: their entries' values are the
#: set-up, not anyone's casework (a user's name, email and roles; an area's settings; a template).
SET_UP_TABLES = frozenset(
    {
        "users",
        "agencies",
        "areas",
        "area_settings",
        "case_categories",
        "risk_questionnaires",
        "notice_templates",
        "trigger_letter_templates",
        "letterheads",
        "threshold_watch_templates",
    }
)

#: Tables a record may hang from (one or two steps up) when it has no ``case_id`` of its own, in the
#: order they are tried: the nearest to a case first (a tasking meeting's action is seen with its
#: action's case, not with the meeting).
PARENT_TABLES = (
    "actions",
    "interventions",
    "incidents",
    "tasking_agenda_items",
    "trigger_applications",
    "trigger_meetings",
    "tasking_meetings",
)

#: How many steps up from a record to a table with a rule of its own.
MAX_STEPS = 2

Ref = tuple[str, str | None]

#: A case's reference (``<area code>-<year>-<number>``) inside a text; not the tail of a Case Review's
#: (``<area code>-CT-<year>-<number>``). As ``community_triggers.schemas.CASE_REFERENCE_IN_TEXT``.
_CASE_REFERENCE = re.compile(r"(?<![A-Za-z0-9-])[A-Z0-9]+-\d{4}-\d{4,}\b")


def _texts(*values: Any) -> Iterator[str]:
    """Every string in ``values`` (summaries, and the JSON of the values recorded), however nested."""
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from _texts(*value.keys(), *value.values())
        elif isinstance(value, list | tuple):
            yield from _texts(*value)


#: Entries the audit log writes about itself (casework.audit.services): their values name nobody.
NAMES_NOBODY = frozenset({AuditAction.erase, AuditAction.move})


def _own_rules() -> dict[str, Callable[[Any], sa.ColumnElement[bool]]]:
    """``table -> (user -> clause on it)``: the records with visibility rules of their own."""
    from casework.actions import sight
    from casework.cases.policies import visible_cases_clause, visible_people_clause
    from casework.community_triggers.applicants import withheld_clause
    from casework.community_triggers.policies import visible_applications_clause
    from casework.tasking.policies import visible_meetings_clause, visible_series_clause

    def applications(user: Any) -> sa.ColumnElement[bool]:
        # An application whose applicant is withheld from the reader is, for its entries' values, one
        # they may not see: what was recorded about it (and about its letters, meetings and decisions,
        # reached through it) is the applicant's details and the review's withheld texts.
        return sa.and_(visible_applications_clause(user), sa.not_(withheld_clause(user)))

    def actions(user: Any) -> sa.ColumnElement[bool]:
        # A Case Review recommendation's action reads "Withheld" to a reader the review's applicant is
        # withheld from (``actions.sight``): its entries recorded the text, so they are withheld too.
        from casework.cases.models import Action, Case

        on_visible_case = Action.case_id.in_(sa.select(Case.id).where(visible_cases_clause(user)))
        return sa.and_(on_visible_case, sa.not_(sight.withheld_clause(user)))

    return {
        "actions": actions,
        "cases": visible_cases_clause,
        "people": visible_people_clause,
        "trigger_applications": applications,
        "tasking_meetings": visible_meetings_clause,
        "tasking_series": visible_series_clause,
    }


def _visible_where(user: Any, table: sa.Table, rules: dict[str, Any], steps: int = 0) -> sa.ColumnElement[bool] | None:
    """A WHERE clause on ``table`` selecting the rows ``user`` may see, or None when no rule covers it."""
    rule = rules.get(table.name)
    if rule is not None:
        return rule(user)
    if "case_id" in table.c:
        cases = db.metadata.tables["cases"]
        return table.c.case_id.in_(sa.select(cases.c.id).where(rules["cases"](user)))
    if steps >= MAX_STEPS:
        return None
    for parent_name in PARENT_TABLES:
        parent = db.metadata.tables[parent_name]
        for column in table.c:
            if any(fk.column.table is parent and fk.column.name == "id" for fk in column.foreign_keys):
                clause = _visible_where(user, parent, rules, steps + 1)
                if clause is not None:
                    return column.in_(sa.select(parent.c.id).where(clause))
    return None


class ReadableValues:
    """Which entries of a page of the audit log ``user`` may see the values of (``shows(entry)``)."""

    def __init__(self, user: Any, entries: Iterable[Any]) -> None:
        entries = list(entries)
        self._administers = bool(user.can(Permission.ADMINISTER))
        refs: set[Ref] = set()
        for entry in entries:
            refs.add((entry.object_type, entry.object_id))
            refs.add((entry.subject_type, entry.subject_id))
        self._visible: set[Ref] = {ref for ref in refs if self._set_up(ref)}
        self._visible |= self._resolve(user, refs - self._visible)
        self._cases = self._seen_cases(user, [entry for entry in entries if self.shows(entry)])

    def shows(self, entry: Any) -> bool:
        """Whether the entry's summary, values and address may be shown to the reader.

        Always for an entry whose values retention erased (nothing is left but the erasure's marker)
        and for the log's own record of an erasure or a move, whose summary the audit service writes
        and names nobody (a count, and the kinds and ids of the records)."""
        if entry.is_erased or entry.action in NAMES_NOBODY:
            return True
        return (entry.object_type, entry.object_id) in self._visible and (
            entry.subject_type,
            entry.subject_id,
        ) in self._visible

    def words(self, value: Any) -> Any:
        """``value`` (a summary, or a value recorded, however nested) as the reader may read it: a case's
        reference they may not see replaced by the agency that holds it; anything but text as it is."""
        if isinstance(value, str):
            return _CASE_REFERENCE.sub(self._name, value)
        if isinstance(value, dict):
            return {self.words(key): self.words(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.words(item) for item in value]
        return value

    def _name(self, match: re.Match[str]) -> str:
        reference = match.group(0)
        holder = self._cases.holder(reference)
        if holder is None or self._cases.can_see_reference(reference):
            return reference  # not a case's reference, or one the reader may see
        return f"a case you cannot see, held by {holder}"

    @staticmethod
    def _seen_cases(user: Any, entries: list[Any]) -> Any:
        """Which of the cases named in the shown entries' texts the reader may see (one statement)."""
        from casework.cases.policies import SeenCases

        references: set[str] = set()
        for entry in entries:
            for text in _texts(entry.summary, entry.changes):
                references.update(_CASE_REFERENCE.findall(text))
        return SeenCases(user, references=references)

    def _set_up(self, ref: Ref) -> bool:
        return self._administers and ref[0] in SET_UP_TABLES

    @staticmethod
    def _resolve(user: Any, refs: set[Ref]) -> set[Ref]:
        """The records among ``refs`` that ``user`` may see: one statement for all of them."""
        ids_by_table: dict[str, set[int]] = {}
        for object_type, object_id in refs:
            if object_type not in db.metadata.tables or not is_digits(object_id):
                continue
            number = int(object_id)
            if 0 < number <= DB_INT_MAX:
                ids_by_table.setdefault(object_type, set()).add(number)
        if not ids_by_table:
            return set()
        rules = _own_rules()
        selects = []
        for name, ids in sorted(ids_by_table.items()):
            table = db.metadata.tables[name]
            if "id" not in table.c:
                continue
            visible = _visible_where(user, table, rules)
            if visible is None:
                continue
            selects.append(
                sa.select(sa.literal(name, sa.String).label("object_type"), table.c.id.label("object_id")).where(
                    table.c.id.in_(sorted(ids)), visible
                )
            )
        if not selects:
            return set()
        statement = selects[0] if len(selects) == 1 else sa.union_all(*selects)
        return {(row.object_type, str(row.object_id)) for row in db.session.execute(statement)}
