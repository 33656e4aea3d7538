"""Subject access: everything held about a person, in every domain, as one
JSON document and a printable PDF. Never commits.

The export is assembled by sending ``person_exported``: each domain holding data about people answers
with its sections, using the ``SubjectAccess`` passed along to decide what it may show:

- Third parties' personal data is redacted by default: other people's names, and their addresses,
  emails and phone numbers wherever they appear in free text, become "[third party]", and records
  that are another person's (a victim's risk assessment or views, an applicant's letters) are left
  out. A perpetrator's export never reveals the victims.
- Cases the exporter may not see are withheld: a manager's export holds the cases their agency leads or
  is shared, never another agency's unshared case (that agency answers for its own records), and no
  restricted case they are not named on. The export then counts what was withheld, names the agencies
  holding it and says that the data protection officer can release it. The data protection officer, who
  sees no cases but answers for the whole service, has only restricted cases withheld from the redacted
  version.
- What a section finds by the person's name or email address (Case Review applications made under
  them, the email sent to the address) is found by words anyone who records people may type into a
  record of their own: a manager's export holds it only as far as they may read it themselves
  (``SubjectAccess.answers_for_everyone``, ``readable_applications``, the domains'
  ``exported_email_check``), and leaves the rest out uncounted (a count would say that someone of
  that name applied, or was written to). The data protection officer's export holds it all.
- The data protection officer may release the full version, with a recorded reason (audited).
- A record merged into this one (``casework.data_protection.merge``) still holds its own details until
  it is anonymised (the undo window, then the next retention run): they are this person's data, so the
  export lists them under ``merged_records``, each labelled with when it was merged and until when the
  merge can be undone, and the email sent to its address and Case Review applications made under its
  name or address count as this person's. They are shown to whom the merged record itself was visible
  (``merge.may_see_merged_record``: ``visible_people_clause`` on the cases it was on): a manager not
  named on the restricted case it came from has them withheld and counted, as a restricted case is.
  The data protection officer's exports show them. A merged record is never exported on its own: the
  export is the kept record's (``kept_record_for_export``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from casework.audit.models import AuditAction
from casework.audit.reads import forget_shown
from casework.audit.services import record
from casework.cases.models import Case, CaseAccess, CaseParty, Complaint, Incident, Person, PersonKind
from casework.core import lifecycle
from casework.core.errors import Forbidden, InvalidInput
from casework.core.permissions import Permission
from casework.core.time import now
from casework.extensions import db

THIRD_PARTY = "[third party]"
MERGED_NOTICE = (
    "Held on record {id}, a record of this person merged into this one on {merged_on}. {kept} Its cases "
    "and other records are shown in this export with this person's."
)
MERGED_KEPT = "It is kept until {until}, so that the merge can be undone, and is then removed."
MERGED_DUE = "The merge could be undone until {until}; the record is removed at the next retention run."
WITHHELD_NOTICE = (
    "Some records about this person are on cases you may not see (restricted cases, or cases held by "
    "other agencies and not shared with yours) and are withheld from this export. "
    "The data protection officer can release them."
)
#: Shorter strings are not redacted from free text (a two-letter name would blank half the words).
MIN_REDACTED_LENGTH = 4


@dataclass
class SubjectAccess:
    """What one export may show: passed to every ``person_exported`` receiver."""

    person: Person
    actor: Any
    #: The data protection officer's release: nothing redacted, nothing withheld.
    full: bool
    reason: str | None
    #: case id -> the person's roles on it ("victim", "perpetrator", ..., "complainant").
    roles: dict[int, set[str]] = field(default_factory=dict)
    withheld_case_ids: set[int] = field(default_factory=set)
    #: Records of the same person merged into this one (their views and history are theirs too).
    merged_person_ids: list[int] = field(default_factory=list)
    #: (table, id) of other records withheld with those cases (the Case Reviews linked to them), so
    #: that copies of them elsewhere (email) are withheld too.
    withheld_records: set[tuple[str, int]] = field(default_factory=set)
    #: Records merged into this one that still hold their own details, shown in this export:
    #: ``(PersonMerge, Person)``, oldest merge first (``casework.data_protection.merge.held_records``).
    merged_records: list[tuple[Any, Person]] = field(default_factory=list)
    #: How many such records are withheld from this export (on cases the exporter may not see).
    merged_records_withheld: int = 0
    #: Other people's identifying strings (names, emails, phones, addresses), longest first.
    third_party_strings: list[str] = field(default_factory=list)
    _pattern: re.Pattern[str] | None = None

    @property
    def case_ids(self) -> set[int]:
        """Every case the person is on (party or complainant), shown or withheld."""
        return set(self.roles)

    @property
    def shown_case_ids(self) -> set[int]:
        return self.case_ids - self.withheld_case_ids

    def shows(self, case_id: int | None) -> bool:
        return case_id is not None and case_id in self.shown_case_ids

    @property
    def answers_for_everyone(self) -> bool:
        """The data protection officer's export (and their full release): every record of the service
        is theirs to answer for. Anyone else's holds only records they may read themselves: what a
        section finds by the person's name or email address (an application made under it, the email
        sent to it) is found by words anyone may type into a person's record, so it proves nothing of
        whose it is (``readable_applications``, the email section)."""
        return self.full or bool(self.actor is not None and self.actor.can(Permission.RELEASE_SUBJECT_ACCESS))

    def readable_applications(self, application_ids: Any) -> set[int]:
        """Which of these Case Review applications the export may hold: those the exporter may read
        with their applicant (``community_triggers.applicants.readable_ids``: of an area their agency
        covers, the applicant not withheld from them); every one for the data protection officer."""
        ids = set(application_ids)
        if self.answers_for_everyone:
            return ids
        from casework.community_triggers.applicants import readable_ids

        return readable_ids(self.actor, ids)

    @property
    def identities(self) -> list[Person]:
        """The person's record and the merged records shown with it: each is the person's own name,
        email and address (email sent to any of them, an application made under any of them)."""
        return [self.person, *(merged for _merge, merged in self.merged_records)]

    def has_role(self, case_id: int, *roles: str) -> bool:
        return bool(self.roles.get(case_id, set()) & set(roles))

    def redact(self, text: str | None) -> str | None:
        """``text`` with other people's names, addresses, emails and phone numbers replaced."""
        if text is None or self.full or self._pattern is None:
            return text
        return self._pattern.sub(THIRD_PARTY, text)

    def name_of(self, other: Person | None) -> str | None:
        """Another person's name, or "[third party]" (the person's own name is shown)."""
        if other is None:
            return None
        if self.full or other.id in {p.id for p in self.identities}:
            return other.name
        return THIRD_PARTY

    def own_or_third(self, name: str | None) -> str | None:
        """A free-text name (an attendee, a complainant): shown when it is the person's own."""
        if name is None:
            return None
        if self.full or " ".join(name.lower().split()) in {p.normalised_name for p in self.identities}:
            return name
        return THIRD_PARTY


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person_case_roles(person: Person) -> dict[int, set[str]]:
    roles: dict[int, set[str]] = {}
    for case_id, role in db.session.execute(
        sa.select(CaseParty.case_id, CaseParty.role).where(CaseParty.person_id == person.id)
    ):
        roles.setdefault(case_id, set()).add(role.value)
    for (case_id,) in db.session.execute(
        sa.select(Incident.case_id).join(Complaint).where(Complaint.complainant_person_id == person.id).distinct()
    ):
        # A complainant is a party of the case already (the ledger adds them); an older record may not be.
        roles.setdefault(case_id, {"complainant"})
    return roles


def _third_party_strings(person: Person, case_ids: set[int], identities: list[Person]) -> list[str]:
    if not case_ids:
        return []
    on_cases = sa.select(CaseParty.person_id).where(CaseParty.case_id.in_(case_ids))
    complainants = (
        sa.select(Complaint.complainant_person_id)
        .join(Incident)
        .where(Incident.case_id.in_(case_ids), Complaint.complainant_person_id.is_not(None))
    )
    # Read as values, not entities: a loaded person is logged as viewed (casework.audit.reads), and these
    # are only looked for in order to be redacted, never shown.
    others = db.session.execute(
        sa.select(Person.name, Person.email, Person.phone, Person.address, Person.kind).where(
            sa.or_(Person.id.in_(on_cases), Person.id.in_(complainants)),
            Person.id.not_in([p.id for p in identities]),
        )
    ).all()
    # Free text names people as it pleases ("Xyloprax shouted", "outside 14 Station Road"): each word of
    # an individual's name and the first line of an address are redacted too, but never a word of the
    # person's own name or address (a relative shares the surname).
    own: set[str] = set()
    for own_record in identities:
        own |= {w.lower() for w in _words(own_record.name)} | {_first_line(own_record.address).lower()}
    found: set[str] = set()
    for other in others:
        parts = [other.name, other.email, other.phone, other.address, _first_line(other.address)]
        if other.kind == PersonKind.individual:
            parts += _words(other.name)
        for value in parts:
            value = (value or "").strip()
            if len(value) >= MIN_REDACTED_LENGTH and value.lower() not in own:
                found.add(value)
    return sorted(found, key=len, reverse=True)


def _words(name: str | None) -> list[str]:
    return re.findall(r"[^\W\d_][\w'-]*", name or "")


def _first_line(address: str | None) -> str:
    return (address or "").split(",")[0].split("\n")[0].strip()


def prepare(actor: Any, person: Person, *, full: bool = False, reason: str | None = None) -> SubjectAccess:
    """Who is asking and what they may see. ``full`` needs the data protection officer and a reason."""
    if full:
        if not actor.can(Permission.RELEASE_SUBJECT_ACCESS):
            raise Forbidden("Only the data protection officer can release the full export.")
        if not (reason or "").strip():
            raise InvalidInput({"reason": ["Give the reason for releasing the full export"]})
    roles = _person_case_roles(person)
    withheld: set[int] = set()
    if not full and roles:
        if actor.can(Permission.RELEASE_SUBJECT_ACCESS):
            named = sa.select(CaseAccess.case_id).where(CaseAccess.user_id == getattr(actor, "id", None))
            hidden = sa.and_(Case.is_restricted.is_(True), Case.id.not_in(named))
        else:
            from casework.cases.policies import visible_cases_clause

            hidden = ~visible_cases_clause(actor)
        withheld = set(db.session.scalars(sa.select(Case.id).where(Case.id.in_(roles), hidden)))
    access = SubjectAccess(
        person=person,
        actor=actor,
        full=full,
        reason=(reason or "").strip() or None,
        roles=roles,
        withheld_case_ids=withheld,
        merged_person_ids=list(db.session.scalars(sa.select(Person.id).where(Person.merged_into_id == person.id))),
    )
    from casework.data_protection import merge as merging

    withheld_records: set[int] = set()
    for merge, merged in merging.held_records(person):
        # The data protection officer answers for every record; anyone else sees a merged record's
        # details as they would have seen the record itself (the full version is the officer's only).
        if full or actor.can(Permission.RELEASE_SUBJECT_ACCESS) or merging.may_see_merged_record(actor, merged, merge):
            access.merged_records.append((merge, merged))
        else:
            withheld_records.add(merged.id)
    access.merged_records_withheld = len(withheld_records)
    # Who viewed them is theirs too, as far as the records themselves are shown.
    access.merged_person_ids = sorted(
        {*access.merged_person_ids, *(merged.id for _merge, merged in access.merged_records)} - withheld_records
    )
    if withheld:
        from casework.community_triggers.models import Letter, application_cases

        applications = set(
            db.session.scalars(
                sa.select(application_cases.c.application_id).where(application_cases.c.case_id.in_(withheld))
            )
        )
        letters = (
            set(db.session.scalars(sa.select(Letter.id).where(Letter.application_id.in_(applications))))
            if applications
            else set()
        )
        access.withheld_records = (
            {("cases", i) for i in withheld}
            | {("trigger_applications", i) for i in applications}
            | {("trigger_letters", i) for i in letters}
        )
    if not full:
        access.third_party_strings = _third_party_strings(person, set(roles), access.identities)
        if access.third_party_strings:
            # Whole words only: "Mary" is redacted, "Summary" is not.
            alternatives = "|".join(re.escape(s) for s in access.third_party_strings)
            access._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return access


#: The sections of the document, in the order the printable version shows them.
SECTION_ORDER = (
    "person",
    "cases",
    "actions",
    "risk_assessments",
    "interventions",
    "case_review_applications",
    "emails",
    "subject_access_requests",
    "views",
)


def _merged_record(merge: Any, merged: Person) -> dict[str, Any]:
    """A merged record's own details, labelled: they are the person's own, never redacted."""
    from casework.audit.services import snapshot
    from casework.cases.services.fields import PERSON_FIELDS
    from casework.core.templating import format_date, format_datetime

    return {
        "id": merged.id,
        "merged_at": iso(merge.merged_at),
        "undo_until": iso(merge.undo_until),
        "notice": MERGED_NOTICE.format(
            id=merged.id,
            merged_on=format_date(merge.merged_at),
            kept=(MERGED_KEPT if now() <= merge.undo_until else MERGED_DUE).format(
                until=format_datetime(merge.undo_until)
            ),
        ),
        "details": {"id": merged.id, **snapshot(merged, PERSON_FIELDS)},
    }


def kept_record_for_export(person: Person) -> Person | None:
    """For a record merged into another: the record kept (its export is this person's export)."""
    if person.merged_into_id is None:
        return None
    from casework.data_protection import merge as merging

    return merging.kept_record_of(person)


def export(actor: Any, person: Person, *, full: bool = False, reason: str | None = None) -> dict[str, Any]:
    """Everything held about ``person`` that ``actor`` may export, as one JSON-ready document."""
    access = prepare(actor, person, full=full, reason=reason)
    document: dict[str, Any] = {
        "exported_at": now().isoformat(),
        "version": "full" if full else "redacted",
        "withheld": None,
    }
    if access.withheld_case_ids or access.merged_records_withheld:
        from casework.accounts.models import Agency

        rows = db.session.execute(
            sa.select(Case.is_restricted, Agency.name)
            .join(Agency, Agency.id == Case.lead_agency_id)
            .where(Case.id.in_(access.withheld_case_ids))
        ).all()
        restricted = sum(1 for row in rows if row.is_restricted)
        document["withheld"] = {
            "restricted_cases": restricted,
            # Another agency's cases that are not shared with the exporter's (never restricted ones).
            "other_agencies_cases": len(rows) - restricted,
            "held_by": sorted({row.name for row in rows}),
            "notice": WITHHELD_NOTICE,
        }
        if access.merged_records_withheld:
            # Added later: records merged into this one whose details are withheld with their cases.
            document["withheld"]["merged_records"] = access.merged_records_withheld
    sections: dict[str, Any] = {}
    for _receiver, answer in lifecycle.send(lifecycle.person_exported, person=person, export=access):
        if answer:
            sections.update(answer)
    if not full:
        # Other people were read to be redacted ("[third party]"), not shown: their own subject access
        # must not say that this exporter viewed them.
        forget_shown("people", keep=[person.id, *access.merged_person_ids])
    for key in SECTION_ORDER:
        document[key] = sections.pop(key, [] if key != "person" else None)
    document["merged_records"] = [_merged_record(merge, merged) for merge, merged in access.merged_records]
    document.update(sections)
    from casework.data_protection.models import SubjectAccessExport

    db.session.add(
        SubjectAccessExport(
            person_id=person.id,
            made_by_id=getattr(actor, "id", None),
            made_at=now(),
            version=document["version"],
            reason=access.reason,
            withheld_cases=len(access.withheld_case_ids),
        )
    )
    record(
        actor,
        AuditAction.export,
        person,
        f"Subject access export ({document['version']}) for person {person.id}",
        {"version": document["version"], "reason": access.reason, "withheld_cases": len(access.withheld_case_ids)},
    )
    return document
