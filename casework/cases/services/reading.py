"""Reading a case: the case record, its journal (notes, events, links) and the timeline."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from casework.accounts.models import Agency, User
from casework.audit.reads import note_shown
from casework.cases.loaders import joined_person_name, joined_user_name
from casework.cases.models import (
    RELATED_CASE_TITLES,
    Case,
    CaseAccess,
    CaseEvent,
    CaseEventKind,
    CaseLink,
    CaseNote,
    CaseParty,
    CaseReviewExplanation,
    CaseShare,
    Complaint,
    Incident,
    Person,
)
from casework.cases.policies import (
    visibility_params,
    visibility_shape,
    visible_cases_template,
)
from casework.core.db import execute_values, prebuilt, shared_alias
from casework.core.errors import NotFound
from casework.core.templating import format_date
from casework.core.time import london_day, now
from casework.extensions import db

# --- reading a case ---------------------------------------------------------------------------------


def load_case_record(case_id: int, viewer: Any = None, *, with_records: bool = False) -> Case:
    """The case with its parties, sharing, named users, second-report tasks and ledger: two statements
    (one of its own with ``with_records``, where all but the case come as values: ``CASE_COLLECTIONS``).

    With ``viewer``, the case must be visible to them (NotFound otherwise): the same statement checks
    and loads, and the answer is remembered for the request (``policies.can_view_case``).

    With ``with_records`` (the case page and the case answer, which show every domain's records), the
    ledger comes with every domain's records of the case (``casework.cases.sections.case_records``), in
    the statement the page runs for them anyway: one statement fewer. Without it (a form, an export),
    the ledger is a statement of its own and no other domain's records are loaded, or logged as shown.
    """
    params: dict[str, Any] = {"case_id": case_id}
    if viewer is None:
        statement = _case_record_statement(None, with_records)
    else:
        shape = visibility_shape(viewer)
        if shape is None:
            raise NotFound("Case not found.")
        statement = _case_record_statement(shape, with_records)
        params.update(visibility_params(viewer))
    case = db.session.execute(prebuilt(statement), params).unique().scalar_one_or_none()
    if case is None:
        raise NotFound("Case not found.")
    if viewer is not None:
        from casework.cases.policies import remember_visible

        remember_visible(viewer, case)
    if with_records:
        from casework.cases.sections import case_records

        for relationship in CASE_COLLECTIONS:
            set_committed_value(case, relationship, case_records(case.id, case_collection_records(relationship)))
        incidents: Any = case_records(case.id, LEDGER_RECORDS)
    else:
        # The ledger by a statement built once: a ``selectinload`` would build and key its statement
        # again on every load, which cost as much as the rest of the case record.
        incidents = db.session.scalars(_ledger_statement(), {"case_id": case.id}).unique().all()
    set_committed_value(case, "incidents", list(incidents))
    return case


@functools.cache
def _case_record_statement(visibility: bool | None, with_records: bool = False) -> sa.Select[tuple[Case]]:
    """Built once per kind of viewer (``policies.visibility_shape``; None: no visibility check), with
    the case and the viewer as bind parameters: building a statement with this many loader options,
    and working out its cache key, costs more than running it.

    ``with_records``: the case with what it names (its area, lead agency and owner) only; its
    collections come as values with every domain's records (``CASE_COLLECTIONS``).

    The case's small collections (parties, agencies shared with, named users, second-report tasks; a
    handful of each) are joined to the case, so they come in one statement whose rows are their
    product; the ledger, which grows with the case, comes apart (``_ledger_statement``, or with every
    domain's records). The parties are loaded whole (the page shows what is held about them); the users
    it names (owner, named users, who explained the Case Review) and the person each second-report task
    is about only for their names (``casework.cases.loaders``): every column of every joined record is
    read on every row, and a user's row holds their password hash and second factor, which no case
    shows. A task's person is a party as a rule, already loaded whole by the same statement.
    """
    conditions = [Case.id == sa.bindparam("case_id")]
    if visibility is not None:
        conditions.append(visible_cases_template(visibility))
    named = (sa.orm.joinedload(Case.area), sa.orm.joinedload(Case.lead_agency), joined_user_name(Case.owner))
    if with_records:
        return sa.select(Case).where(*conditions).options(*named, sa.orm.noload(Case.incidents))
    return (
        sa.select(Case)
        .where(*conditions)
        .options(
            *named,
            sa.orm.joinedload(Case.parties).joinedload(CaseParty.person),
            sa.orm.joinedload(Case.shares).joinedload(CaseShare.agency),
            sa.orm.joinedload(Case.access).options(joined_user_name(CaseAccess.user)),
            sa.orm.joinedload(Case.explanations).options(
                joined_person_name(CaseReviewExplanation.person),
                joined_user_name(CaseReviewExplanation.explained_by),
            ),
            sa.orm.noload(Case.incidents),  # apart: ``_ledger_statement`` or with every domain's records
        )
    )


#: The name of the case's ledger among the records of a case (``casework.cases.sections.case_records``).
LEDGER_RECORDS = "incidents"

#: The case's collections that its page and its answer show (who is on it, which agencies it is shared
#: with, the users named on it, its second-report tasks), by the case's relationship: with
#: ``with_records`` each is read as values with every domain's records of the case
#: (``casework.cases.sections.case_records``; registered as ``case_collection_records(relationship)``)
#: and put on the case, instead of being joined to the case's row, where they multiplied each other's
#: rows and the ORM set up a dozen entities on every load. Each names what the case statement loads
#: without records: the parties' people whole (the page shows what is held about them), users and a
#: task's person by name. Their order: the tasks' as their relationship gives it (then the order they
#: were raised), the parties in the order they were added, the shares and named users by the agency's
#: and the user's id (joined to the case, they came in the query plan's order, which differed between
#: SQLite and PostgreSQL); the pages sort the parties and named users themselves. They come in the
#: ledger's statement (``CaseRecords.beside``), not the shared one, whose cost grows faster than its
#: parts (each is outer-joined to every row of the others').
CASE_COLLECTIONS: dict[str, dict[str, Any]] = {
    "parties": {
        "entity": CaseParty,
        "values": (CaseParty.person,),
        "order_by": (CaseParty.id,),
        "beside": LEDGER_RECORDS,
    },
    "shares": {
        "entity": CaseShare,
        "values": (CaseShare.agency,),
        "order_by": (CaseShare.agency_id,),
        "beside": LEDGER_RECORDS,
    },
    "access": {
        "entity": CaseAccess,
        "values": ((CaseAccess.user, User.name, User.email),),
        "order_by": (CaseAccess.user_id,),
        "beside": LEDGER_RECORDS,
    },
    "explanations": {
        "entity": CaseReviewExplanation,
        "values": (
            (CaseReviewExplanation.person, Person.name),
            (CaseReviewExplanation.explained_by, User.name, User.email),
        ),
        "order_by": (CaseReviewExplanation.second_report_on, CaseReviewExplanation.id),
        "beside": LEDGER_RECORDS,
    },
}


def case_collection_records(relationship: str) -> str:
    """The name among the records of a case of the case's collection ``relationship``."""
    return f"case_{relationship}"


#: What the ledger loads with each incident: its complaints (who reported it, to which agency) and who
#: recorded them. It grows with the case, so its rows are kept narrow: complainants and users by name
#: (``casework.cases.loaders``; a complainant who is a party is already loaded whole with the case).
LEDGER_OPTIONS: tuple[Any, ...] = (
    joined_user_name(Incident.created_by),
    sa.orm.joinedload(Incident.complaints).options(
        joined_person_name(Complaint.complainant),
        sa.orm.joinedload(Complaint.agency),
        joined_user_name(Complaint.created_by),
    ),
)


#: What the case page and the case answer read of the ledger with every domain's records of the case, as
#: values (``casework.cases.sections.case_records``): what ``LEDGER_OPTIONS`` loads, by name likewise.
LEDGER_VALUES: tuple[Any, ...] = (
    (Incident.created_by, User.name, User.email),
    (
        Incident.complaints,
        (Complaint.complainant, Person.name),
        Complaint.agency,
        (Complaint.created_by, User.name, User.email),
    ),
)


#: The ledger's order: by the day of the incident.
LEDGER_ORDER: tuple[Any, ...] = (Incident.occurred_on, Incident.id)


@functools.cache
def _ledger_statement() -> sa.Select[tuple[Incident]]:
    """The case's incidents in date order with what ``LEDGER_OPTIONS`` loads: the case's ``incidents``,
    with the case as a bind parameter, for the pages that show no other domain's records."""
    return (
        sa.select(Incident)
        .where(Incident.case_id == sa.bindparam("case_id"))
        .options(*LEDGER_OPTIONS)
        .order_by(*LEDGER_ORDER)
    )


def case_notes(case: Case) -> list[CaseNote]:
    return list(
        db.session.scalars(
            sa.select(CaseNote)
            .where(CaseNote.case_id == case.id)
            .options(sa.orm.joinedload(CaseNote.created_by))
            .order_by(CaseNote.created_at)
        )
    )


def case_explanations(case: Case) -> list[CaseReviewExplanation]:
    return list(
        db.session.scalars(
            sa.select(CaseReviewExplanation)
            .where(CaseReviewExplanation.case_id == case.id)
            .options(
                sa.orm.joinedload(CaseReviewExplanation.person), sa.orm.joinedload(CaseReviewExplanation.explained_by)
            )
            .order_by(CaseReviewExplanation.second_report_on)
        )
    )


@dataclass(frozen=True)
class Author:
    name: str
    email: str


@dataclass(frozen=True)
class NoteEntry:
    id: int
    text: str
    created_at: datetime
    created_by: Author | None


@dataclass(frozen=True)
class EventEntry:
    kind: str
    summary: str
    created_at: datetime
    actor_name: str | None


@dataclass(frozen=True)
class LinkedCase:
    id: int
    reference: str


@dataclass(frozen=True)
class CaseJournal:
    """What was written on the case over time: notes, recorded changes, links to other cases."""

    notes: list[NoteEntry]
    events: list[EventEntry]
    linked: list[LinkedCase]


def case_journal(case: Case, viewer: Any = None) -> CaseJournal:
    """The case's notes, its recorded changes (status, sharing, owner, ...) and the linked cases
    ``viewer`` can see (a link does not open a case to anyone), in one statement. A change about another
    case names it only if ``viewer`` can see it (``_event_title``)."""
    params: dict[str, Any] = {"case_id": case.id}
    shape = visibility_shape(viewer) if viewer is not None else None
    if viewer is not None:
        params.update(visibility_params(viewer))
    statement = prebuilt(_journal_statement(viewer is not None, shape))
    journal = CaseJournal(notes=[], events=[], linked=[])
    # Values only: on the session's connection, without the ORM's loading (``execute_values``).
    for row in execute_values(statement, params):
        if row.source == "note":
            author = Author(row.author_name, row.author_email) if row.author_name is not None else None
            journal.notes.append(NoteEntry(row.id, row.text, row.created_at, author))
        elif row.source == "event":
            journal.events.append(EventEntry(row.kind, _event_title(row), row.created_at, row.author_name))
        else:
            journal.linked.append(LinkedCase(row.id, row.text))
            note_shown("cases", row.id)  # shown by reference: the audit log's view entry still applies
    journal.linked.sort(key=lambda link: link.reference)
    return journal


def _event_title(row: Any) -> str:
    """An event's title: its summary, or for an event about another case (``RELATED_CASE_TITLES``) that
    case's reference if the viewer can see it, and otherwise only the agency that holds it (a reader
    who may not see a case reaches it through no side door, its name included)."""
    template = RELATED_CASE_TITLES.get(CaseEventKind(row.kind))
    if template is None or row.related_agency is None:
        return str(row.text)
    other = row.related_reference or f"a case you cannot see, held by {row.related_agency}"
    return template.format(case=other)


#: The other case an event is about (``CaseEvent.related_case_id``) and the agency that holds it.
_RELATED_CASE = shared_alias(Case, "related_case")
_RELATED_AGENCY = shared_alias(Agency, "related_agency")


@functools.cache
def _journal_statement(for_viewer: bool, visibility: bool | None) -> sa.CompoundSelect:
    """A UNION ALL of three selects of the same shape (source, kind, id, text, time, author's name and
    email, and for an event about another case its reference if the viewer can see it and the code of
    its lead agency), built once per kind of viewer with the case and the viewer as bind parameters.

    The other cases' visibility is worked out in the events' select, for all of them at once: the
    journal stays one statement however many links the case has."""

    def constant(value: str) -> sa.ColumnElement[str]:
        return sa.literal_column(f"'{value}'", sa.String)

    case_id: sa.BindParameter[int] = sa.bindparam("case_id")
    no_text = sa.cast(sa.null(), sa.String)
    notes = (
        sa.select(
            constant("note").label("source"),
            constant("").label("kind"),
            CaseNote.id.label("id"),
            CaseNote.text.label("text"),
            CaseNote.created_at.label("created_at"),
            User.name.label("author_name"),
            User.email.label("author_email"),
            no_text.label("related_reference"),
            no_text.label("related_agency"),
        )
        .outerjoin(User, User.id == CaseNote.created_by_id)
        .where(CaseNote.case_id == case_id)
    )
    related, related_agency = _RELATED_CASE, _RELATED_AGENCY
    related_reference: sa.ColumnElement[Any]
    if not for_viewer:
        seen: list[sa.ColumnElement[bool]] = []
        related_reference = related.reference
    elif visibility is None:
        seen = [sa.false()]
        related_reference = no_text
    else:
        seen = [visible_cases_template(visibility)]
        related_reference = sa.case((visible_cases_template(visibility, related), related.reference), else_=no_text)
    events = (
        sa.select(
            constant("event"),
            sa.cast(CaseEvent.kind, sa.String),
            CaseEvent.id,
            CaseEvent.summary,
            CaseEvent.created_at,
            User.name,
            no_text,
            related_reference,
            related_agency.code,
        )
        .outerjoin(User, User.id == CaseEvent.actor_id)
        .outerjoin(related, related.id == CaseEvent.related_case_id)
        .outerjoin(related_agency, related_agency.id == related.lead_agency_id)
        .where(CaseEvent.case_id == case_id)
    )
    links = (
        sa.select(
            constant("link"),
            constant(""),
            CaseLink.linked_case_id,
            Case.reference,
            CaseLink.linked_at,
            no_text,
            no_text,
            no_text,
            no_text,
        )
        .join(Case, Case.id == CaseLink.linked_case_id)
        .where(CaseLink.case_id == case_id, *seen)
    )
    return sa.union_all(notes, events, links).order_by("created_at", "id")


def _sort_key(when: date | datetime) -> tuple[date, datetime]:
    if isinstance(when, datetime):
        return london_day(when), when
    # A dated event sorts before the recorded ones of the same day.
    return when, datetime.min.replace(tzinfo=now().tzinfo)


def timeline(case: Case, journal: CaseJournal | None = None, viewer: Any = None) -> list[Any]:
    """The case's history in date order: incidents and complaints, notes, status and sharing changes,
    second-report tasks, and what other domains register as timeline sources, as ``viewer`` reads it
    (a document withheld from them is an entry without its description or link; None: withheld from
    anyone it may be withheld from)."""
    from casework.cases.sections import TimelineEntry, timeline_sources

    journal = journal if journal is not None else case_journal(case)
    entries: list[TimelineEntry] = []
    for incident in case.incidents:
        flags = ["caused harassment, alarm or distress" if incident.causes_had else "no harassment, alarm or distress"]
        if incident.hate_motivated:
            flags.append("hate-motivated")
        entries.append(
            TimelineEntry(
                when=incident.occurred_on,
                kind="incident",
                title=f"Incident ({', '.join(flags)})",
                detail=incident.description,
                actor_name=incident.created_by.name if incident.created_by else None,
            )
        )
        for complaint in incident.complaints:
            who = complaint.complainant.name if complaint.complainant else "Unnamed complainant"
            ref = f" (reference {complaint.reference})" if complaint.reference else ""
            entries.append(
                TimelineEntry(
                    when=complaint.reported_on,
                    kind="complaint",
                    title=f"{who} reported the incident of {format_date(incident.occurred_on)} "
                    f"to {complaint.agency.name}{ref}",
                    actor_name=complaint.created_by.name if complaint.created_by else None,
                )
            )
    for note in journal.notes:
        entries.append(
            TimelineEntry(
                when=note.created_at,
                kind="note",
                title="Note",
                detail=note.text,
                actor_name=note.created_by.name if note.created_by else None,
            )
        )
    for event in journal.events:
        entries.append(
            TimelineEntry(
                when=event.created_at, kind=f"case_{event.kind}", title=event.summary, actor_name=event.actor_name
            )
        )
    for task in case.explanations:
        entries.append(
            TimelineEntry(
                when=task.created_at,
                kind="second_report",
                title=f"Second report within six months by {task.person.name}: explain the Case Review",
            )
        )
        if task.explained_on:
            entries.append(
                TimelineEntry(
                    when=task.explained_on,
                    kind="case_review_explained",
                    title=f"Case Review explained to {task.person.name} ({task.method.value.replace('_', ' ')})",
                    detail=task.notes,
                    actor_name=task.explained_by.name if task.explained_by else None,
                )
            )
    for source in timeline_sources():
        entries.extend(source(case, viewer))
    return sorted(entries, key=lambda e: _sort_key(e.when))
