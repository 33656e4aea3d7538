"""The core of the casework domain: people, cases, their parties, and the incident ledger.

The ledger is what the Case Review threshold counts: one incident (the behaviour on a day) may have
several complaints (each report of it, to whichever agency received it).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, UTCDateTime, VersionedMixin, enum_column
from casework.extensions import Model


def _today() -> date:
    from casework.core.time import today

    return today()


def trigram_index(name: str, column: str) -> sa.Index:
    """An index for matching ``column`` anywhere in its text (``ILIKE '%...%'``): a trigram GIN index
    on PostgreSQL (pg_trgm), a plain one on SQLite."""
    return sa.Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


class PersonKind(enum.StrEnum):
    individual = "individual"
    business = "business"
    group = "group"
    unknown = "unknown"


class Person(TimestampMixin, VersionedMixin, Model):
    __tablename__ = "people"
    __table_args__ = (
        sa.Index("ix_people_name_dob", "normalised_name", "date_of_birth"),
        # Postcode search matches from the start ("S44" finds "S44 6BH"): a pattern index on PostgreSQL.
        sa.Index("ix_people_postcode_pattern", "postcode", postgresql_ops={"postcode": "varchar_pattern_ops"}),
        sa.Index("ix_people_normalised_address", "normalised_address"),
        sa.Index("ix_people_date_of_birth", "date_of_birth"),
        # Name search matches from the start of the name or of any word: a pattern index on PostgreSQL
        # (plain text indexes do not serve LIKE outside the C collation).
        sa.Index(
            "ix_people_normalised_name_pattern",
            "normalised_name",
            postgresql_ops={"normalised_name": "varchar_pattern_ops"},
        ),
        # Case search matches party names anywhere in the name.
        trigram_index("ix_people_normalised_name_trgm", "normalised_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PersonKind] = mapped_column(enum_column(PersonKind), default=PersonKind.individual)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Lower-cased with runs of spaces collapsed: for duplicate warnings and complainant matching.
    normalised_name: Mapped[str] = mapped_column(sa.String(200))
    #: Where known; ages decide which powers are allowed.
    date_of_birth: Mapped[date | None] = mapped_column(sa.Date)
    address: Mapped[str | None] = mapped_column(sa.String(500))
    postcode: Mapped[str | None] = mapped_column(sa.String(10))
    #: Address and postcode lower-cased, punctuation and repeated spaces removed: for duplicate warnings.
    normalised_address: Mapped[str | None] = mapped_column(sa.String(520))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    #: Vulnerability: personal (who they are), situational (their circumstances),
    #: incidental (brought on by the behaviour itself). Each a flag with notes.
    is_personally_vulnerable: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    personal_vulnerability_notes: Mapped[str | None] = mapped_column(sa.Text)
    is_situationally_vulnerable: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    situational_vulnerability_notes: Mapped[str | None] = mapped_column(sa.Text)
    is_incidentally_vulnerable: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    incidental_vulnerability_notes: Mapped[str | None] = mapped_column(sa.Text)
    #: Consent to share their information with partner agencies: None when not yet asked.
    consent_given: Mapped[bool | None] = mapped_column(sa.Boolean)
    consent_on: Mapped[date | None] = mapped_column(sa.Date)
    #: What they agreed may be shared, with whom.
    consent_scope: Mapped[str | None] = mapped_column(sa.String(500))
    #: The agency whose officer created the record.
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Set when the retention task has removed the personal details.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set when this record was merged into another record of the same person: it is then hidden, and
    #: kept only so the merge can be undone (``casework.data_protection``).
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))


class CaseCategory(TimestampMixin, Model):
    """A case category: the national three, seeded, plus local ones an admin adds (optionally for one
    area only)."""

    __tablename__ = "case_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: A local category offered only in this area; None offers it everywhere.
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())

    area = relationship("Area")


class CaseStatus(enum.StrEnum):
    open = "open"
    closed = "closed"


class Case(TimestampMixin, VersionedMixin, Model):
    __tablename__ = "cases"
    #: Kept when the rest is anonymised (casework.core.retention): the reference and category (counts and the audit
    #: trail use them).
    __retained__ = ("reference", "category")
    __table_args__ = (
        sa.UniqueConstraint("area_id", "year", "sequence"),
        sa.Index("ix_cases_area_status_created", "area_id", "status", "created_at"),
        # The case list's default order (newest first) for the lead agency's cases, read in index order
        # a page at a time (keyset pagination), however many cases the agency leads.
        sa.Index("ix_cases_lead_agency_created", "lead_agency_id", "created_at", "id"),
        sa.Index("ix_cases_status_closed_on", "status", "closed_on"),
        # The few restricted cases, which a search leaves out of an agency's cases unless the user is
        # named on them (``casework.cases.queries._visible_to_search``).
        sa.Index(
            "ix_cases_restricted",
            "id",
            postgresql_where=sa.text("is_restricted"),
            sqlite_where=sa.text("is_restricted"),
        ),
        # Case search (``q``) matches anywhere in these columns: trigram indexes on PostgreSQL serve
        # ``ILIKE '%...%'``; SQLite gets plain indexes (it scans, which is fine at its scale).
        trigram_index("ix_cases_reference_trgm", "reference"),
        trigram_index("ix_cases_summary_trgm", "summary"),
        trigram_index("ix_cases_location_trgm", "location"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``BOL-2026-0042``: area code, year of registration, sequence within the area and year.
    reference: Mapped[str] = mapped_column(sa.String(30), unique=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"))
    year: Mapped[int] = mapped_column(sa.Integer)
    sequence: Mapped[int] = mapped_column(sa.Integer)
    #: A category code: personal, nuisance, environmental, or a local one.
    category: Mapped[str] = mapped_column(sa.String(40))
    summary: Mapped[str] = mapped_column(sa.Text)
    location: Mapped[str | None] = mapped_column(sa.String(300))
    lead_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), default=CaseStatus.open)
    closure_reason: Mapped[str | None] = mapped_column(sa.String(500))
    #: The day the case was opened: today for a new case, earlier for one entered late or imported
    #: (its reference takes this year). ``created_at`` is when the row was written.
    opened_on: Mapped[date] = mapped_column(sa.Date, default=_today, server_default=sa.text("CURRENT_DATE"))
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    #: A closed case with no ``closed`` event on its timeline (written closed by a path that wrote none):
    #: when its row was last written as the first retention run to see it closed found it. Its closure
    #: grace counts from this, so an edit made since does not restart it
    #: (``data_protection.retention.note_closures_without_event``).
    closure_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The day the victim was first contacted about the case (casework.cases.first_contact): not before
    #: the case opened, not in the future; the partnership report's "time to first contact".
    victim_first_contacted_on: Mapped[date | None] = mapped_column(sa.Date)
    #: Sensitive cases: visible only to the users named on the case.
    is_restricted: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Set when the retention task has removed the case's free text.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    area = relationship("Area")
    lead_agency = relationship("Agency")
    owner = relationship("User", foreign_keys=[owner_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    parties: Mapped[list[CaseParty]] = relationship(back_populates="case", cascade="all, delete-orphan")
    incidents: Mapped[list[Incident]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Incident.occurred_on"
    )
    shares: Mapped[list[CaseShare]] = relationship(cascade="all, delete-orphan")
    access: Mapped[list[CaseAccess]] = relationship(cascade="all, delete-orphan")
    #: Second-report tasks, read with the case for its page (they are written through their own rows).
    explanations: Mapped[list[CaseReviewExplanation]] = relationship(
        viewonly=True, order_by="CaseReviewExplanation.second_report_on"
    )


class PartyRole(enum.StrEnum):
    victim = "victim"
    perpetrator = "perpetrator"
    witness = "witness"
    complainant = "complainant"


class CaseParty(Model):
    __tablename__ = "case_parties"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "person_id", "role"),
        # The case search matches a party's name anywhere in it: a trigram index on PostgreSQL.
        trigram_index("ix_case_parties_person_name_trgm", "person_name"),
    )
    # (case_id leads the unique constraint's index, so the case's parties are found by it.)
    # ``person_name`` is expired after a write and read again when asked for, not taken from the
    # INSERT's RETURNING: on SQLite the trigger writes it after the row, so RETURNING would say NULL.
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    role: Mapped[PartyRole] = mapped_column(enum_column(PartyRole))
    #: The person's ``normalised_name``, copied here by the database (triggers of migration 0510) on
    #: every insert, every change of ``person_id`` (a merge) and every change of the person's name (an
    #: edit, anonymisation): the case search matches names among a user's visible cases through it
    #: without reading the people. Never written by the application.
    person_name: Mapped[str | None] = mapped_column(
        sa.String(200), server_default=sa.FetchedValue(), server_onupdate=sa.FetchedValue()
    )

    case: Mapped[Case] = relationship(back_populates="parties")
    person: Mapped[Person] = relationship()


class Incident(TimestampMixin, Model):
    """The behaviour on one day. Reports of it to any agency are its complaints."""

    __tablename__ = "incidents"
    __table_args__ = (sa.Index("ix_incidents_case_occurred", "case_id", "occurred_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text)
    #: Caused harassment, alarm or distress: only such behaviour counts for a Case Review (s.105(4)).
    causes_had: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    hate_motivated: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    case: Mapped[Case] = relationship(back_populates="incidents")
    created_by = relationship("User", foreign_keys=[created_by_id])
    #: By the day reported, and the order they were recorded in on the same day (without it, which of
    #: two complaints of one day came first was the query plan's choice, and differed between backends).
    complaints: Mapped[list[Complaint]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="[Complaint.reported_on, Complaint.id]"
    )


def _incident_case_id(context: Any) -> Any:
    """The case of the complaint's incident, for a complaint inserted without it."""
    incident_id = context.get_current_parameters()["incident_id"]
    return context.connection.scalar(sa.select(Incident.case_id).where(Incident.id == incident_id))


class Complaint(TimestampMixin, Model):
    """One report of an incident: when, by whom, to which agency, under which of its references."""

    __tablename__ = "complaints"
    __table_args__ = (
        sa.Index("ix_complaints_complainant_reported", "complainant_person_id", "reported_on"),
        # The threshold watch's nightly pass reads every complaint recent enough to count.
        sa.Index("ix_complaints_reported_on", "reported_on"),
        # A police log import looks each call up by the force's own reference (police_reports.take_call):
        # without it PostgreSQL answers "=" from the trigram index below, about 100 ms a call on the
        # national dataset (docs/performance.md, "Imports: the ledger at scale").
        sa.Index("ix_complaints_agency_reference", "agency_id", "reference"),
        # Case search finds a case by any agency's reference (a police log number such as DP-2231)
        # anywhere in the reference: a trigram index on PostgreSQL.
        trigram_index("ix_complaints_reference_trgm", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    #: The incident's case, copied here when the complaint is written (migration 0520; the services
    #: pass it, and a complaint inserted without it takes its incident's). An incident never moves to
    #: another case, and a complaint never to another incident, so the copy stays right. The case
    #: search finds the cases of the complaints whose reference matches through it: a part of a
    #: number ("ASB-22") matches thousands of complaints, and looking up each one's incident was about
    #: half of the search. No foreign key of its own: the incident's is the complaint's tie to its case
    #: (and deletes it with the case); one here would be one more lookup per complaint written.
    case_id: Mapped[int] = mapped_column(default=_incident_case_id)
    complainant_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    reported_on: Mapped[date] = mapped_column(sa.Date)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    #: The receiving agency's own reference (police log number, landlord reference).
    reference: Mapped[str | None] = mapped_column(sa.String(100))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    incident: Mapped[Incident] = relationship(back_populates="complaints")
    complainant: Mapped[Person | None] = relationship()
    agency = relationship("Agency")
    created_by = relationship("User", foreign_keys=[created_by_id])


def _case_created_at(context: Any) -> Any:
    """The shared case's own ``created_at``, for a share inserted without it."""
    case_id = context.get_current_parameters()["case_id"]
    return context.connection.scalar(sa.select(Case.created_at).where(Case.id == case_id))


class CaseShare(Model):
    """A case shared with another agency: its officers and partners then see and contribute."""

    __tablename__ = "case_shares"
    __table_args__ = (
        # The case list's default order for the cases shared with an agency (a police force sees
        # thousands), read in index order a page at a time, as for the cases an agency leads.
        sa.Index("ix_case_shares_agency_created", "agency_id", "case_created_at", "case_id"),
        # The case search matches words of the cases shared with an agency in their copy: a trigram
        # index on PostgreSQL.
        trigram_index("ix_case_shares_case_text_trgm", "case_text"),
    )
    # ``case_text`` is expired after a write and read again when asked for (see ``CaseParty``).
    __mapper_args__ = {"eager_defaults": False}

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), primary_key=True)
    #: A copy of the case's ``created_at`` (which never changes), so that the cases shared with an
    #: agency can be listed newest first from this table's index alone.
    case_created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_case_created_at)
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    shared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The case's reference, summary and location joined by line breaks, copied here by the database
    #: (triggers of migration 0511) when the share is made and whenever one of them changes (an edit,
    #: anonymisation): the case search matches words among an agency's shared cases through it, where
    #: matching the cases' own columns finds every matching case in the country first. Never written
    #: by the application.
    case_text: Mapped[str | None] = mapped_column(
        sa.Text, server_default=sa.FetchedValue(), server_onupdate=sa.FetchedValue()
    )

    agency = relationship("Agency")


class CaseAccess(Model):
    """A user named on a restricted case: only these users see it."""

    __tablename__ = "case_access"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)

    user = relationship("User")


class SavedCaseView(Model):
    """A case list's search, filters and order kept under a name: the user's own, or shared with their
    team (the team a manager leads: the manager and the people they manage)."""

    __tablename__ = "saved_case_views"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: The list's query string arguments (``casework.cases.listing.LIST_ARGS``), never a page or cursor.
    arguments: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    #: Set when shared: the manager whose team sees the view (the user, if a manager, or their manager).
    team_manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())

    user = relationship("User", foreign_keys=[user_id])


class CaseLink(Model):
    """Two related cases (the same perpetrator, the same street). Stored once in each direction."""

    __tablename__ = "case_links"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    linked_case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    linked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    linked_case = relationship("Case", foreign_keys=[linked_case_id])


class CaseNote(TimestampMixin, Model):
    __tablename__ = "case_notes"
    __table_args__ = (sa.Index("ix_case_notes_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    created_by = relationship("User")


class CaseEventKind(enum.StrEnum):
    opened = "opened"
    closed = "closed"
    reopened = "reopened"
    shared = "shared"
    unshared = "unshared"
    owner_changed = "owner_changed"
    linked = "linked"
    access_granted = "access_granted"
    restricted = "restricted"
    unrestricted = "unrestricted"


#: The timeline's title of an event about another case (``CaseEvent.related_case_id``), by kind: ``{case}``
#: is the other case's reference to a reader who can see it, and otherwise "a case you cannot see, held
#: by <its lead agency's code>" (``casework.cases.services.reading.case_journal``).
RELATED_CASE_TITLES: dict[CaseEventKind, str] = {CaseEventKind.linked: "Linked to {case}"}

#: The summary stored with a link: what the timeline shows if the other case is no longer held.
LINKED_SUMMARY = "Linked to another case"


class CaseEvent(Model):
    """A change to the case record shown on its timeline (status, sharing, owner, links, access).

    The audit log holds the same facts for investigators; this table is what the case page reads, so
    the timeline is one indexed query rather than a search of the whole log.
    """

    __tablename__ = "case_events"
    __table_args__ = (
        sa.Index("ix_case_events_case_created", "case_id", "created_at"),
        sa.Index("ix_case_events_related_case", "related_case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[CaseEventKind] = mapped_column(enum_column(CaseEventKind))
    #: What happened, never naming another case: a reader of this case may not see that one.
    summary: Mapped[str] = mapped_column(sa.String(500))
    #: The other case the event is about (a link), named on the timeline only to a reader who can see
    #: it (``RELATED_CASE_TITLES``); to others it is "a case you cannot see" and the agency holding it.
    related_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())

    actor = relationship("User")


class ExplanationMethod(enum.StrEnum):
    in_person = "in_person"
    phone = "phone"
    letter = "letter"
    email = "email"
    other = "other"


class CaseReviewExplanation(TimestampMixin, Model):
    """The second-report task (statutory guidance, July 2025): explain the Case Review to a complainant
    who has reported twice within six months, across all their cases, and record when, by whom and how
    that was done. The task sits on the case the second report landed on; a six-month window is raised
    once per person, whichever cases its reports are on."""

    __tablename__ = "case_review_explanations"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "first_report_on"),
        sa.Index("ix_case_review_explanations_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    #: The first report of the six-month window, and the second one that raised the task.
    first_report_on: Mapped[date] = mapped_column(sa.Date)
    second_report_on: Mapped[date] = mapped_column(sa.Date)
    due_on: Mapped[date] = mapped_column(sa.Date)
    explained_on: Mapped[date | None] = mapped_column(sa.Date)
    explained_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    method: Mapped[ExplanationMethod | None] = mapped_column(enum_column(ExplanationMethod))
    notes: Mapped[str | None] = mapped_column(sa.Text)

    person: Mapped[Person] = relationship()
    explained_by = relationship("User")


class ActionStatus(enum.StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


class Action(TimestampMixin, VersionedMixin, Model):
    """A multi-agency action: what, which agency, which person, by when, and how it ended.

    Case Review recommendations become actions too (``recommendation_id``); such an action may have no
    case when the application was not linked to one.
    """

    __tablename__ = "actions"
    __table_args__ = (
        sa.Index("ix_actions_case_status", "case_id", "status"),
        sa.Index("ix_actions_assignee_open", "assignee_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    recommendation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("trigger_recommendations.id", ondelete="CASCADE"), unique=True
    )
    description: Mapped[str] = mapped_column(sa.Text)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus), default=ActionStatus.open)
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    completed_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    case = relationship("Case")
    agency = relationship("Agency")
    assignee = relationship("User", foreign_keys=[assignee_id])


class PoliceReportStatus(enum.StrEnum):
    #: Waiting for an officer to match it to a case.
    queued = "queued"
    #: On a case's ledger as a complaint to the police.
    added = "added"
    #: Not about a case of ours (the officer says why).
    dismissed = "dismissed"


class QueuedPoliceReport(TimestampMixin, VersionedMixin, Model):
    """A call from a police incident log that could not be matched to a case with certainty: it waits
    here for an officer of the importing agency, who adds it to a case's ledger or dismisses it."""

    __tablename__ = "queued_police_reports"
    #: Erased with the rest though it is not text (casework.core.retention): it identifies the caller.
    __personal__ = ("caller_date_of_birth",)
    __table_args__ = (sa.Index("ix_queued_police_reports_agency_status", "agency_id", "status", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The agency whose officers match it (the agency that imported the log).
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    police_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    police_reference: Mapped[str] = mapped_column(sa.String(100))
    location: Mapped[str | None] = mapped_column(sa.String(300))
    category: Mapped[str | None] = mapped_column(sa.String(100))
    caller_name: Mapped[str | None] = mapped_column(sa.String(200))
    is_repeat_caller: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    caller_date_of_birth: Mapped[date | None] = mapped_column(sa.Date)
    caller_phone: Mapped[str | None] = mapped_column(sa.String(40))
    caller_email: Mapped[str | None] = mapped_column(sa.String(254))
    #: Why it was not matched automatically, for the officer.
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[PoliceReportStatus] = mapped_column(
        enum_column(PoliceReportStatus), default=PoliceReportStatus.queued
    )
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"))
    complaint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("complaints.id", ondelete="SET NULL"))
    dismissed_reason: Mapped[str | None] = mapped_column(sa.String(500))
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    police_agency = relationship("Agency", foreign_keys=[police_agency_id])
    case = relationship("Case")
    resolved_by = relationship("User")
