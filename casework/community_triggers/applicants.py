"""Whose eyes an application's applicant (and the victim it names) is withheld from.

An application is seen by every officer, coordinator and manager of the agencies covering its area
(``policies.visible_applications_clause``). Its applicant is a person, often the victim, and a victim
on a restricted case (moved to a refuge, say) is hidden from everyone not named on it: the
restricted-people rule (``casework.cases.policies.visible_people_clause``). The application must not
be a side door to them. So the applicant's and the victim's details (name, email, phone, address, and
the letters written to them) are withheld from a reader when

- a case linked to the application is restricted and the reader may not see it, or
- the applicant or the victim is a person the restricted-people rule hides from the reader: a person
  recorded with the same name (both normalised by the one function that writes ``Person.normalised_name``,
  ``casework.cases.services.fields.normalise_name``; the application keeps its names so normalised) or
  the same email address who is a party on a restricted case the reader may not see, and on no case
  the reader may see (whoever meets them on a case they see knows them already),

unless the reader runs the statutory review and so needs them to write to the applicant:

- a coordinator or manager of an agency covering the area (``Permission.MANAGE_TRIGGERS``: they take
  every step after registration, ``policies.can_manage``, and send the letters);
- the chair appointed to one of its review meetings;
- the data protection officer (who answers every request about the person);

and unless the reader registered the application: they wrote the details down themselves (and
withholding them there would tell whoever registers an application whether a name they typed is a
hidden person's).

Anyone who may see every restricted case linked to it, and who meets the person on a case they see,
is not withheld from either.

What is withheld with the details is every free text of the application and its review that says
something of the applicant's situation (``WITHHELD_TEXT``): what the applicant wrote (the description
of the ASB, why the victim's consent is not needed, whom they reported to, the grounds of an appeal or
a request to the Commissioner), what the victim said (their view of the action plan), and what staff
wrote about the situation, which quotes or paraphrases the applicant (the threshold decision's reasons,
the meeting's agenda, minutes and outcome, the recommendations, the proportionality assessments, the
letters, the forum's lessons). Every output takes an application, and each record of its review it
reaches, through ``seen`` (the pages and papers, their PDFs, the API). A recommendation also becomes
an action on a linked case, read by that case's rules: its text is withheld there by the same rule, from
all but those who act on it (``casework.actions.sight``). What an agency submits, and its files, are
shown back only to that agency and those who run the review (``info_requests.can_read``).

The rule is one SQL expression on ``trigger_applications`` (``withheld_clause``, or
``withheld_template`` with the reader as the bind parameter ``viewer_id`` for statements built once),
so a list asks it in the statement that lists, and everything that shows an applicant (the application
page and its letters, the API, the case search, a person's page) takes its answer from here.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import User, UserRole, agency_areas
from casework.cases.models import Case, CaseParty, Person
from casework.cases.policies import sees_case_clause, visibility_params
from casework.community_triggers.models import (
    AgendaItem,
    Appeal,
    ApplicationComplaint,
    LessonsReview,
    Letter,
    MeetingAttendee,
    ProportionalityAssessment,
    Recommendation,
    ReviewMeeting,
    ThresholdDecision,
    TriggerApplication,
    application_cases,
)
from casework.community_triggers.pcc_review.models import PccReview
from casework.core.db import prebuilt, shared_alias
from casework.core.permissions import ROLE_PERMISSIONS, Permission, Role
from casework.core.request_cache import request_cached
from casework.extensions import db

#: What the pages say (each detail itself reads "Withheld"): why, and whom to ask (the coordinator
#: runs the review and writes to the applicant).
WITHHELD_NOTICE = (
    "The applicant's details are withheld: the application is linked to a restricted case you are not "
    "named on, or the applicant is on one. Ask the Case Review coordinator, who runs the review."
)

_viewer = shared_alias(User, "applicant_viewer")
_linked_case = shared_alias(Case, "applicant_linked_case")
_restricted_case = shared_alias(Case, "applicant_restricted_case")
_restricted_party = shared_alias(CaseParty, "applicant_restricted_party")
_met_case = shared_alias(Case, "applicant_met_case")
_met_party = shared_alias(CaseParty, "applicant_met_party")
_person = shared_alias(Person, "applicant_person")


def _has_role(viewer_id: Any, roles: list[Any]) -> sa.Exists:
    return sa.exists().where(UserRole.user_id == viewer_id, UserRole.role.in_(roles))


def _hidden_people(viewer_id: Any, column: Any) -> sa.Select[Any]:
    """``column`` (a name or an email, lower-cased) of the people the restricted-people rule hides from
    the reader: on a restricted case they may not see, on no case they may see. Not correlated with
    the application, so the database works it out once for a statement however many applications it
    reads (read from the restricted cases, few: ``ix_cases_restricted``). Who sees a case is
    ``cases.policies.sees_case_clause``, with the reader's row in the same FROM as the case (so that
    its subqueries correlate with the case)."""
    met = sa.exists(
        sa.select(_met_party.id)
        .join(_met_case, _met_case.id == _met_party.case_id)
        .where(_met_party.person_id == _person.id, sees_case_clause(_viewer, _met_case))
    )
    return (
        sa.select(column)
        .select_from(_restricted_party)
        .join(_restricted_case, _restricted_case.id == _restricted_party.case_id)
        .join(_person, _person.id == _restricted_party.person_id)
        .join(_viewer, _viewer.id == viewer_id)
        .where(_restricted_case.is_restricted, ~sees_case_clause(_viewer, _restricted_case), column.is_not(None), ~met)
    )


def _names_a_hidden_person(viewer_id: Any, normalised_name: Any, email: Any) -> sa.ColumnElement[bool]:
    """The name or the email (any case) is a hidden person's. The application keeps its names
    normalised by the function that writes ``Person.normalised_name``
    (``casework.cases.services.fields.normalise_name``: lower case in every alphabet, runs of spaces
    made one), so they compare exactly as the people rule compares people. False, not NULL, for a
    name or an email not given: the rule is negated (``readable_ids``), and NOT NULL selects nothing."""
    return sa.or_(
        sa.and_(normalised_name.is_not(None), normalised_name.in_(_hidden_people(viewer_id, _person.normalised_name))),
        sa.and_(
            email.is_not(None),
            sa.func.lower(sa.func.trim(email)).in_(_hidden_people(viewer_id, sa.func.lower(_person.email))),
        ),
    )


def _withheld(viewer_id: Any) -> sa.ColumnElement[bool]:
    managing = sorted(r for r, granted in ROLE_PERMISSIONS.items() if Permission.MANAGE_TRIGGERS in granted)
    runs_the_review = sa.or_(
        sa.and_(
            _has_role(viewer_id, managing),
            TriggerApplication.area_id.in_(
                sa.select(agency_areas.c.area_id)
                .join(User, User.agency_id == agency_areas.c.agency_id)
                .where(User.id == viewer_id)
            ),
        ),
        sa.exists().where(ReviewMeeting.application_id == TriggerApplication.id, ReviewMeeting.chair_id == viewer_id),
        _has_role(viewer_id, [Role.dpo]),
        # Not NULL for an application made on the public form (no one registered it): see the return.
        sa.and_(TriggerApplication.registered_by_id.is_not(None), TriggerApplication.registered_by_id == viewer_id),
    )
    unseen_restricted_link = sa.exists(
        sa.select(application_cases.c.case_id)
        .join(_linked_case, _linked_case.id == application_cases.c.case_id)
        .join(_viewer, _viewer.id == viewer_id)
        .where(
            application_cases.c.application_id == TriggerApplication.id,
            _linked_case.is_restricted,
            ~sees_case_clause(_viewer, _linked_case),
        )
    )
    # True or false for every application, never NULL: the rule is used negated too (NOT withheld:
    # ``readable_ids``, the case search, the audit log), and NOT NULL would hide an application whose
    # victim is not named (NULL IN (a hidden person's name) is NULL) from a reader it is not withheld from.
    return sa.and_(
        ~runs_the_review,
        sa.or_(
            unseen_restricted_link,
            _names_a_hidden_person(
                viewer_id, TriggerApplication.applicant_normalised_name, TriggerApplication.applicant_email
            ),
            _names_a_hidden_person(
                viewer_id, TriggerApplication.victim_normalised_name, TriggerApplication.victim_email
            ),
        ),
    )


#: The fields of the application and its review withheld with the applicant, by model: the details
#: (name, email, phone, address, of the applicant, the victim and the complainants the applicant
#: lists) and every free text that says something of the applicant's situation. Staff's own words about
#: the process are not here: who handles an appeal or reviews for the Commissioner, the forum's name
#: and whom it shared its lessons with, an agenda item's title and lead, where the meeting is, why an
#: agency's information is missing, whom a proportionality assessment is of (a perpetrator, named to
#: the readers of a linked case). A new free-text column of the review goes here unless it is of
#: that kind (``tests/community_triggers/test_applicant_sight.py`` checks every column is one or the other).
WITHHELD_TEXT: dict[type[Any], tuple[str, ...]] = {
    TriggerApplication: (
        "applicant_name",
        "applicant_email",
        "applicant_phone",
        "applicant_address",
        "applicant_normalised_name",
        "victim_name",
        "victim_email",
        "victim_address",
        "victim_normalised_name",
        "description",
        "consent_not_needed_reason",
        "screened_out_reason",
        "withdrawal_reason",
    ),
    ApplicationComplaint: ("complainant_name", "reported_to", "reference"),
    ThresholdDecision: ("reasons", "persistence", "harm", "adequacy"),
    ReviewMeeting: (
        "agenda",
        "victim_not_invited_reason",
        "minutes",
        "proportionality_assessment",
        "outcome",
        "victim_consultation_notes",
        "victim_not_consulted_reason",
        "held_early_reason",
    ),
    AgendaItem: ("notes",),
    ProportionalityAssessment: (
        "age_note",
        "vulnerability_note",
        "consequences_note",
        "previous_interventions_note",
        "victim_view_note",
        "conclusion",
    ),
    Recommendation: ("text", "victim_view"),
    Appeal: ("grounds", "decision_reasons"),
    PccReview: ("grounds", "outcome_reasons"),
    LessonsReview: ("lessons",),
    #: An attendee of no agency is the victim, or someone with them.
    MeetingAttendee: ("name",),
    Letter: ("subject", "body", "emailed_to"),
}

#: What a page (or a paper) shows for a withheld value; the API shows null.
ON_PAGES = "Withheld"


def _withholds(record: Any, field: str) -> bool:
    if field not in WITHHELD_TEXT.get(type(record), ()):
        return False
    return not (isinstance(record, MeetingAttendee) and record.agency_id is not None)


class Seen:
    """A record of an application's review as a reader the applicant is withheld from sees it: each
    field ``WITHHELD_TEXT`` names reads ``shown_as`` when it holds anything, and every record of the
    review reached from it (its meetings, their recommendations, ...) is seen the same way. Read-only;
    anything else reads through (ids, dates, statuses, agencies, users)."""

    __slots__ = ("_record", "_shown_as")

    def __init__(self, record: Any, shown_as: str | None) -> None:
        object.__setattr__(self, "_record", record)
        object.__setattr__(self, "_shown_as", shown_as)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._record, name)
        if value not in (None, "") and _withholds(self._record, name):
            return self._shown_as
        return _seen(value, self._shown_as)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self._record).__name__} is read-only as a withheld reader sees it")

    def __eq__(self, other: object) -> bool:
        return self._record == (other._record if isinstance(other, Seen) else other)

    def __hash__(self) -> int:
        return hash(self._record)

    def __repr__(self) -> str:
        return f"Seen({self._record!r})"


#: The kinds of record ``WITHHELD_TEXT`` names, for ``isinstance``.
_WITHHELD_KINDS = tuple(WITHHELD_TEXT)


def _seen(value: Any, shown_as: str | None) -> Any:
    if isinstance(value, _WITHHELD_KINDS):
        return Seen(value, shown_as)
    if isinstance(value, list | tuple) and any(isinstance(item, _WITHHELD_KINDS) for item in value):
        return [_seen(item, shown_as) for item in value]
    return value


def seen(record: Any, withheld: bool, *, on_page: bool = False) -> Any:
    """``record`` (an application or a record of its review, or a list of them) as a reader sees it:
    itself, or when the applicant is ``withheld`` from them, a read-only view whose applicant's fields
    read "Withheld" (``on_page``: pages, papers, PDFs) or None (the API). Every output of an application
    and its review passes through here."""
    return _seen(record, ON_PAGES if on_page else None) if withheld else record


def seen_by(user: Any, application: TriggerApplication, *records: Any, on_page: bool = False) -> Any:
    """``application`` (or, given, ``records`` of its review: one, or a tuple of them) as ``user`` sees it."""
    withheld = is_withheld(user, application)
    if not records:
        return seen(application, withheld, on_page=on_page)
    shown = tuple(seen(record, withheld, on_page=on_page) for record in records)
    return shown[0] if len(shown) == 1 else shown


def withheld_clause(user: Any) -> sa.ColumnElement[bool]:
    """True for the applications whose applicant and victim are withheld from ``user`` (a clause on
    ``TriggerApplication``). Someone not signed in is withheld from every one."""
    if not getattr(user, "is_authenticated", False):
        return sa.true()
    return _withheld(sa.literal(user.id))


@functools.cache
def withheld_template() -> sa.ColumnElement[bool]:
    """``withheld_clause`` with the reader as the bind parameter ``viewer_id``
    (``casework.cases.policies.visibility_params``): for statements built once (the case search)."""
    return _withheld(sa.bindparam("viewer_id"))


def withheld_ids(user: Any, application_ids: Any) -> set[int]:
    """Which of these applications ``user`` is withheld the applicant of: one statement for a list, built
    once (``_withheld_ids``), since every Case Review page and answer asks."""
    ids = sorted(set(application_ids))
    if not ids:
        return set()
    if not getattr(user, "is_authenticated", False):
        return set(db.session.scalars(sa.select(TriggerApplication.id).where(TriggerApplication.id.in_(ids))))
    return set(db.session.scalars(_withheld_ids(), {"ids": ids, "viewer_id": user.id}))


@functools.cache
def _withheld_ids() -> sa.StatementLambdaElement:
    # Built per call, the rule's clause (some forty joins and subqueries) took most of an application's
    # answer to construct and to work out its cache key: 60 of its 170 ms, profiled.
    return prebuilt(
        sa.select(TriggerApplication.id).where(
            TriggerApplication.id.in_(sa.bindparam("ids", expanding=True)), withheld_template()
        )
    )


def readable_ids(user: Any, application_ids: Any) -> set[int]:
    """Which of these applications ``user`` may read with their applicant: those they may see
    (``policies.visible_applications_clause``) whose applicant is not withheld from them. One statement."""
    ids = sorted(set(application_ids))
    if not ids or not getattr(user, "is_authenticated", False):
        return set()  # someone not signed in sees no application (``visible_applications_clause``)
    return set(db.session.scalars(_readable_ids(), {"ids": ids, **visibility_params(user)}))


@functools.cache
def _readable_ids() -> sa.StatementLambdaElement:
    from casework.community_triggers.policies import visible_applications_template

    return prebuilt(
        sa.select(TriggerApplication.id).where(
            TriggerApplication.id.in_(sa.bindparam("ids", expanding=True)),
            visible_applications_template(),
            sa.not_(withheld_template()),
        )
    )


def is_withheld(user: Any, application: TriggerApplication) -> bool:
    """Whether ``application``'s applicant and victim are withheld from ``user`` (once per request)."""
    return _is_withheld(getattr(user, "id", None), application.id)


@request_cached
def _is_withheld(user_id: int | None, application_id: int) -> bool:
    user = db.session.get(User, user_id) if user_id is not None else None
    return application_id in withheld_ids(user, [application_id])


def applicant_details(application: TriggerApplication, withheld: bool) -> dict[str, Any]:
    """The applicant's details as the API shows them: each one None when withheld."""
    if withheld:
        return {"name": None, "email": None, "phone": None, "address": None}
    return {
        "name": application.applicant_name,
        "email": application.applicant_email,
        "phone": application.applicant_phone,
        "address": application.applicant_address,
    }


def threshold_seen(working: dict[str, Any] | None, withheld: bool) -> dict[str, Any] | None:
    """A threshold working (the API's, the page's) with what the application's complaints say of the
    applicant withheld when the applicant is: the names of the complainants the application lists
    (the applicant's household, the victim, whom the applicant named) and the references the applicant
    gave null, as in the application's own ``complaints``, and those references not quoted in any
    complaint's reason ("Already counted ... as the complaint to BDC (reference LOG-1) ..."). Those
    from a linked case's ledger are the case's readers' to see (``schemas.working_seen_by`` has left out
    the cases the reader may not see)."""
    if working is None or not withheld:
        return working
    complaints = working.get("complaints") or []
    references = sorted(
        {
            c["reference"]
            for c in complaints
            if c.get("source", "application") == "application" and (c.get("reference") or "").strip()
        },
        key=len,
        reverse=True,
    )
    quoted = re.compile("|".join(f"\\(reference {re.escape(r)}\\)" for r in references)) if references else None

    def shown(complaint: dict[str, Any]) -> dict[str, Any]:
        if complaint.get("source", "application") == "application":
            complaint = {**complaint, "complainant_name": None, "reference": None}
        if quoted is not None and complaint.get("reason"):
            complaint = {**complaint, "reason": quoted.sub("(reference withheld)", complaint["reason"])}
        return complaint

    return {**working, "complaints": [shown(c) for c in complaints]}


def victim_details(application: TriggerApplication, withheld: bool) -> dict[str, Any] | None:
    """The victim named by someone applying for them, as the API shows them (None when none is named)."""
    if not (application.victim_name or application.victim_email or application.victim_address):
        return None
    if withheld:
        return {"name": None, "email": None, "address": None}
    return {"name": application.victim_name, "email": application.victim_email, "address": application.victim_address}


def details_in_text(application: TriggerApplication) -> re.Pattern[str] | None:
    """A pattern finding the applicant's and the victim's details in a text written about the
    application (an audit entry's summary: "... emailed to jane@example.org"), any case; None when
    there are none."""
    values = {
        value.strip()
        for value in (
            application.applicant_name,
            application.applicant_email,
            application.applicant_phone,
            application.applicant_address,
            application.victim_name,
            application.victim_email,
            application.victim_address,
        )
        if value and value.strip()
    }
    if not values:
        return None
    # The longest first, so that a name inside an address is not replaced before the address.
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)), re.IGNORECASE)
