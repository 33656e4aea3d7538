"""The Community Trigger (ASB Case Review) threshold engine: pure, so every rule is tested on its own.

The service layer passes plain data (an area's rule set, the day the application was received, the
applicant's name and every complaint considered: those listed in the application and those in the
ledgers of linked cases) and gets back an :class:`Evaluation` that shows its working, complaint by
complaint, in plain English.

Sources:

* ASB, Crime and Policing Act 2014 s.104(4): the threshold must be found met when at least three (or
  the local number of) qualifying complaints have been made; the Explanatory Notes say the number should
  be no higher than three.
* s.104(10)-(11): a complaint qualifies when it was made within one month beginning with the day the
  behaviour occurred and the application is made within six months beginning with the day the complaint
  was made; both periods may be set locally.
* s.104(12) leaves several complaints by one person to local procedures; this service counts complaints
  by the same complainant about behaviour on the same day once, whichever agencies they went to.
* Local variants (each on or off per area): the community threshold (enough different complainants)
  and the hate threshold (one qualifying hate-motivated complaint).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from operator import attrgetter
from typing import Any, Literal

from casework.core.dates import end_of_months_beginning_with

Basis = Literal["automatic", "community", "hate"]
ComplaintSource = Literal["application", "case"]

#: The variants in the order docs/rules.md names them: ``basis`` is the first one met.
BASIS_ORDER: tuple[Basis, ...] = ("automatic", "community", "hate")

# Spelled out here because strftime("%B") follows the process locale.
# fmt: off
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve")
# fmt: on


@dataclass(frozen=True)
class ThresholdRules:
    """One area's threshold settings (one version of its rule set).

    ``vulnerable_override_enabled`` is carried for completeness: the override is a manager's decision,
    not something the evaluation can find met.
    """

    complaint_months: int = 1
    lookback_months: int = 6
    automatic_count: int = 3
    community_enabled: bool = False
    community_count: int = 5
    hate_enabled: bool = False
    vulnerable_override_enabled: bool = True


@dataclass(frozen=True)
class ComplaintInput:
    """One complaint considered: listed in the application (``source="application"``) or taken from a
    linked case's ledger (``source="case"``, with ``case_reference`` and ``incident_id``).

    A missing or blank ``complainant_name`` means the applicant made the complaint.
    """

    occurred_on: date
    reported_on: date
    complainant_name: str | None
    causes_had: bool = True
    hate_motivated: bool = False
    agency_code: str | None = None
    reference: str | None = None
    source: ComplaintSource = "application"
    case_reference: str | None = None
    incident_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ComplaintResult(ComplaintInput):
    """A complaint with the engine's finding.

    ``input_index`` is the complaint's position in the sequence given to :func:`evaluate`, so the caller
    can map results back to its records; ``duplicate_of`` is, for an "Already counted" complaint, the
    position in ``Evaluation.complaints`` of the complaint that was counted instead.
    """

    qualifies: bool
    reason: str
    input_index: int
    duplicate_of: int | None = None


@dataclass(frozen=True)
class Evaluation:
    """The outcome of evaluating an application against a rule set.

    ``met_automatically`` is true when any enabled variant is met and ``basis`` names the first met, in
    the order automatic, community, hate; ``bases_met`` lists every one met, for
    checking a decision's basis. ``distinct_complainants`` and ``hate_qualifying`` are measured over the
    counted qualifying complaints, whatever the variants' settings.
    """

    met_automatically: bool
    basis: Basis | None
    bases_met: tuple[Basis, ...]
    qualifying_count: int
    distinct_complainants: int
    hate_qualifying: int
    complaints: list[ComplaintResult]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data in the shape of docs/api.md's ``threshold`` object (dates as ISO strings)."""
        return {
            "met_automatically": self.met_automatically,
            "basis": self.basis,
            "qualifying_count": self.qualifying_count,
            "complaints": [
                {
                    "occurred_on": result.occurred_on.isoformat(),
                    "reported_on": result.reported_on.isoformat(),
                    "complainant_name": result.complainant_name,
                    "agency_code": result.agency_code,
                    "reference": result.reference,
                    "source": result.source,
                    "case_reference": result.case_reference,
                    "causes_had": result.causes_had,
                    "hate_motivated": result.hate_motivated,
                    "qualifies": result.qualifies,
                    "reason": result.reason,
                }
                for result in self.complaints
            ],
        }


def check_rules(rules: ThresholdRules) -> list[str]:
    """Warnings about a rule set that is lawful but unusual; ``ValueError`` for an impossible one.

    Raised: a count or a period below 1 (a period of no months, or a threshold of no complaints, cannot
    be applied). Warned: a number above three (the Explanatory Notes to s.104 say the threshold should be
    set no higher than three), a look-back shorter than the Act's six months (which makes the threshold
    harder to meet), and a variant that can never be the reason an application meets the threshold
    because the automatic threshold is always met first. The settings pages show these when a rule set
    is saved.
    """
    problems = [
        f"{name} must be at least 1"
        for name in ("complaint_months", "lookback_months", "automatic_count", "community_count")
        if getattr(rules, name) < 1
    ]
    if problems:
        raise ValueError("; ".join(problems))

    warnings: list[str] = []
    if rules.automatic_count > 3:
        warnings.append(
            f"The automatic threshold is {rules.automatic_count} qualifying complaints: the Explanatory Notes "
            "to s.104 say it should be set no higher than three."
        )
    if rules.lookback_months < 6:
        warnings.append(
            f"The look-back period is {_months(rules.lookback_months)}, shorter than the Act's six months, "
            "which makes the threshold harder to meet."
        )
    if rules.community_enabled and rules.community_count >= rules.automatic_count:
        # Each counted complainant has at least one counted complaint, so enough complainants always
        # means enough complaints: the variant could never be the reason the threshold is met.
        warnings.append(
            f"The community threshold ({rules.community_count} different complainants) can never decide an "
            f"application while the automatic threshold is {rules.automatic_count}: every complainant counted "
            "has made at least one qualifying complaint, so the automatic threshold is always met first. Set "
            f"the community number below {rules.automatic_count}, or switch the community threshold off."
        )
    if rules.hate_enabled and rules.automatic_count <= 1:
        warnings.append(
            "The hate threshold (one qualifying hate-motivated complaint) can never decide an application "
            "while the automatic threshold is 1: any qualifying complaint meets the automatic threshold first."
        )
    return warnings


def evaluate(
    rules: ThresholdRules,
    received_on: date,
    applicant_name: str | None,
    complaints: Sequence[ComplaintInput],
    *,
    received_on_words: str | None = None,
) -> Evaluation:
    """Evaluate an application received on ``received_on`` against ``rules``.

    Every complaint is listed, in a stable order (by the day of the behaviour, then the day it was
    reported, then input order), with whether it counts and why. A complaint qualifies when (a) it was
    reported within ``complaint_months`` beginning with the day of the behaviour, (b) the application
    was received within ``lookback_months`` beginning with the day it was reported, and (c) it concerns
    behaviour causing harassment, alarm or distress. Of several otherwise qualifying complaints by the
    same complainant about the same day, the first in that order counts and the rest are "Already
    counted". The hate variant looks at the whole group: a counted complaint whose duplicate was flagged
    hate-motivated is a hate-motivated qualifying complaint (one agency may have recorded the motive
    where another did not).

    ``received_on_words`` is how the reasons name the day received (default: the date in words, "2
    December 2026"). The threshold watch passes a placeholder and names the day when it shows the
    working, so a finding that has not changed since it was stored reads the same on a later day.
    """
    check_rules(rules)
    received_words = _long_date(received_on) if received_on_words is None else received_on_words
    applicant_key = _complainant_key(applicant_name, applicant_key="")
    ordered = sorted(enumerate(complaints), key=lambda item: (item[1].occurred_on, item[1].reported_on, item[0]))

    results: list[ComplaintResult] = []
    counted_at: dict[tuple[str, date], int] = {}
    complainant_of_counted: dict[int, str] = {}
    hate_counted: set[int] = set()
    for input_index, complaint in ordered:
        position = len(results)
        failures = _failures(rules, received_on, received_words, complaint)
        duplicate_of: int | None = None
        if failures:
            qualifies, reason = False, "Not counted: " + "; ".join(failures) + "."
        else:
            key = (_complainant_key(complaint.complainant_name, applicant_key), complaint.occurred_on)
            duplicate_of = counted_at.get(key)
            if duplicate_of is None:
                counted_at[key] = position
                complainant_of_counted[position] = key[0]
                qualifies, reason = True, _counts_reason(rules, received_words, complaint)
            else:
                qualifies, reason = False, _already_counted_reason(results[duplicate_of])
            if complaint.hate_motivated:
                hate_counted.add(position if duplicate_of is None else duplicate_of)
        values = dict(zip(_INPUT_FIELDS, _input_values(complaint), strict=True))
        results.append(
            ComplaintResult(
                **values,
                qualifies=qualifies,
                reason=reason,
                input_index=input_index,
                duplicate_of=duplicate_of,
            )
        )

    qualifying_count = len(counted_at)
    distinct_complainants = len(set(complainant_of_counted.values()))
    hate_qualifying = len(hate_counted)
    met = {
        "automatic": qualifying_count >= rules.automatic_count,
        "community": rules.community_enabled and distinct_complainants >= rules.community_count,
        "hate": rules.hate_enabled and hate_qualifying >= 1,
    }
    bases_met = tuple(basis for basis in BASIS_ORDER if met[basis])
    return Evaluation(
        met_automatically=bool(bases_met),
        basis=bases_met[0] if bases_met else None,
        bases_met=bases_met,
        qualifying_count=qualifying_count,
        distinct_complainants=distinct_complainants,
        hate_qualifying=hate_qualifying,
        complaints=results,
    )


def normalise_complainant_name(name: str | None) -> str:
    """A name as compared for "the same complainant": trimmed, runs of whitespace collapsed, casefolded.

    Blank or missing gives ``""``. Exposed so the service can match a ledger person to a name the same
    way.
    """
    return " ".join((name or "").split()).casefold()


#: The fields a result copies from its input (read once: ``fields()`` is slow in the watch's nightly pass).
_INPUT_FIELDS = tuple(field.name for field in fields(ComplaintInput))
_input_values = attrgetter(*_INPUT_FIELDS)

#: The periods are worked out again and again for the same days in the watch's nightly pass. Cached on
#: (day, months): a ``datetime`` never equals a ``date``, so it still reaches the check that refuses it.
_end_of_months = lru_cache(maxsize=8192)(end_of_months_beginning_with)


def _complainant_key(name: str | None, applicant_key: str) -> str:
    if name is None:  # the applicant, or a ledger complaint (the watch's many): nothing to normalise
        return applicant_key
    return normalise_complainant_name(name) or applicant_key


def _failures(rules: ThresholdRules, received_on: date, received_words: str, complaint: ComplaintInput) -> list[str]:
    """Why a complaint does not qualify, as clauses of one sentence (empty when it qualifies).

    Each clause names the dates involved so a coordinator can check the working without a calendar.
    """
    failures: list[str] = []
    reported = _long_date(complaint.reported_on)
    occurred = _long_date(complaint.occurred_on)
    if complaint.reported_on < complaint.occurred_on:
        failures.append(f"reported on {reported}, before the behaviour it describes ({occurred})")
    else:
        complaint_ends = _end_of_months(complaint.occurred_on, rules.complaint_months)
        if complaint.reported_on > complaint_ends:
            failures.append(
                f"reported on {reported}, after the {_months(rules.complaint_months)} beginning with "
                f"{occurred} (which ended on {_long_date(complaint_ends)})"
            )
    if complaint.reported_on > received_on:
        failures.append(f"reported on {reported}, after the application was received on {received_words}")
    else:
        lookback_ends = _end_of_months(complaint.reported_on, rules.lookback_months)
        if received_on > lookback_ends:
            failures.append(
                f"the application was received on {received_words}, after the "
                f"{_months(rules.lookback_months)} beginning with the day the complaint was made, "
                f"{reported} (which ended on {_long_date(lookback_ends)})"
            )
    if not complaint.causes_had:
        failures.append("the behaviour complained of did not cause harassment, alarm or distress")
    return failures


def _counts_reason(rules: ThresholdRules, received_words: str, complaint: ComplaintInput) -> str:
    return (
        f"Counts: reported on {_long_date(complaint.reported_on)}, within "
        f"{_months(rules.complaint_months)} of the behaviour on "
        f"{_long_date(complaint.occurred_on)} and within {_months(rules.lookback_months)} "
        f"before the application was received on {received_words}."
    )


def _already_counted_reason(counted: ComplaintResult) -> str:
    return (
        f"Already counted: the same complainant's complaint about behaviour on "
        f"{_long_date(counted.occurred_on)} is counted once, as {_describe(counted)}."
    )


def _describe(complaint: ComplaintInput) -> str:
    """Name a complaint by where it went and when, e.g. "the complaint to BDC (reference LOG-123)
    reported on 12 January 2026"."""
    parts = ["the complaint"]
    if complaint.agency_code:
        parts.append(f"to {complaint.agency_code}")
    if complaint.reference:
        parts.append(f"(reference {complaint.reference})")
    if complaint.source == "case" and complaint.case_reference:
        parts.append(f"on case {complaint.case_reference}")
    parts.append(f"reported on {_long_date(complaint.reported_on)}")
    return " ".join(parts)


def _months(count: int) -> str:
    """ "one month", "six months", "18 months"."""
    number = _NUMBER_WORDS[count] if count < len(_NUMBER_WORDS) else str(count)
    return f"{number} month" if count == 1 else f"{number} months"


def day_in_words(day: date) -> str:
    """A day as the reasons name it ("10 January 2026")."""
    return _long_date(day)


@lru_cache(maxsize=4096)
def _long_date(day: date) -> str:
    """ "10 January 2026", whatever the process locale."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"
