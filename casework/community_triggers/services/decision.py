"""The threshold: the evaluation of an application's complaints, the linked cases, the acknowledgement
and the threshold decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency, User
from casework.accounts.services import area_settings
from casework.audit.services import record_change, snapshot
from casework.cases.models import Case, Complaint, Incident, Person
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers import signals, threshold
from casework.community_triggers.models import (
    ApplicationStatus,
    DecisionBasis,
    ThresholdDecision,
    TriggerApplication,
)
from casework.community_triggers.services._common import (
    APPLICATION_AUDIT_FIELDS,
    FINAL_STATUSES,
    _audit_application,
    _check_event_date,
    _long,
    _require_status,
    _touch,
    sends_letters,
)
from casework.community_triggers.services.review import chair_conflicts
from casework.community_triggers.settings import threshold_rules
from casework.core.errors import InvalidInput, RuleViolation
from casework.core.permissions import Role
from casework.core.time import today
from casework.extensions import db

# --- threshold ---------------------------------------------------------------------------------------


def rules_for(application: TriggerApplication) -> threshold.ThresholdRules:
    return threshold_rules(area_settings(application.area, on=application.received_on))


def _ledger_complaints(case_ids: Sequence[int]) -> list[threshold.ComplaintInput]:
    """The complaints in the ledgers of the linked cases (one query)."""
    if not case_ids:
        return []
    rows = db.session.execute(
        sa.select(Complaint, Incident, Case.reference, Person.name, Agency.code)
        .join(Incident, Complaint.incident_id == Incident.id)
        .join(Case, Incident.case_id == Case.id)
        .join(Agency, Complaint.agency_id == Agency.id)
        .outerjoin(Person, Complaint.complainant_person_id == Person.id)
        .where(Incident.case_id.in_(case_ids))
        .order_by(Incident.occurred_on, Complaint.reported_on, Complaint.id)
    ).all()
    return [
        threshold.ComplaintInput(
            occurred_on=incident.occurred_on,
            reported_on=complaint.reported_on,
            complainant_name=person_name,
            causes_had=incident.causes_had,
            hate_motivated=incident.hate_motivated,
            agency_code=agency_code,
            reference=complaint.reference,
            source="case",
            case_reference=case_reference,
            incident_id=incident.id,
        )
        for complaint, incident, case_reference, person_name, agency_code in rows
    ]


def evaluate(application: TriggerApplication) -> threshold.Evaluation:
    """The threshold evaluation: the application's complaints and those in the ledgers of its linked
    cases, against the rule set in force on the day it was received."""
    complaints = [
        threshold.ComplaintInput(
            occurred_on=c.occurred_on,
            reported_on=c.reported_on,
            complainant_name=c.complainant_name,
            causes_had=c.causes_had,
            hate_motivated=c.hate_motivated,
            agency_code=c.agency.code if c.agency is not None else None,
            reference=c.reference,
        )
        for c in application.complaints
    ]
    complaints += _ledger_complaints([c.id for c in application.cases])
    return threshold.evaluate(rules_for(application), application.received_on, application.applicant_name, complaints)


def _evaluation_record(application: TriggerApplication, evaluation: threshold.Evaluation) -> dict[str, Any]:
    """What is stored: docs/api.md's ``threshold`` object plus the counts and the rule set used."""
    rules = rules_for(application)
    return {
        **evaluation.to_dict(),
        "bases_met": list(evaluation.bases_met),
        "distinct_complainants": evaluation.distinct_complainants,
        "hate_qualifying": evaluation.hate_qualifying,
        "rules": {name: getattr(rules, name) for name in rules.__dataclass_fields__},
        "evaluated_on": today().isoformat(),
    }


def reevaluate(application: TriggerApplication) -> None:
    """Recompute the stored evaluation while the threshold is undecided (after linking cases)."""
    if application.decision is None and application.status == ApplicationStatus.received:
        application.threshold_evaluation = _evaluation_record(application, evaluate(application))
        db.session.flush()


def link_cases(actor: User | None, application: TriggerApplication, cases: Sequence[Case]) -> None:
    """Link cases (already checked as visible to ``actor``); their ledger complaints count too. Neither
    side may be anonymised under the retention policy: the link would tie a living person's case to a
    record the retention run no longer looks at, or new information to an anonymised case."""
    from casework.cases.policies import refuse_anonymised_named
    from casework.community_triggers.policies import refuse_anonymised

    refuse_anonymised(application)
    if application.status in FINAL_STATUSES:
        raise RuleViolation("The application is closed: cases can no longer be linked.")
    added = [case for case in cases if case not in application.cases]
    if not added:
        return
    refuse_anonymised_named(added, "case_ids")
    application.cases.extend(added)
    meeting = deadline_engine.current_meeting(application)
    if meeting is not None and meeting.held_on is None and meeting.chair is not None:
        # The appointed chair must stay independent of every linked case.
        problems = chair_conflicts(meeting.chair, application, actor)
        if problems:
            raise RuleViolation(
                "Linking this case would make the appointed chair not independent: " + "; ".join(problems) + ".",
                field="case_ids",
            )
    _touch(application)
    db.session.flush()
    record_change(
        actor,
        application,
        {"cases": []},
        {"cases": [c.reference for c in added]},
        f"Linked {', '.join(c.reference for c in added)} to {application.reference}",
    )
    reevaluate(application)


def acknowledge(
    actor: User | None, application: TriggerApplication, *, acknowledged_on: date, send_letter: bool | None = None
) -> None:
    """Record the acknowledgement (it does not gate later steps). Its letter goes out
    when it is dated today, or when asked (``sends_letters``)."""
    if application.status in {ApplicationStatus.withdrawn, ApplicationStatus.screened_out}:
        raise RuleViolation("The application is closed: it cannot be acknowledged.")
    if application.acknowledged_on is not None:
        raise RuleViolation(f"The application was already acknowledged on {_long(application.acknowledged_on)}.")
    _check_event_date(
        acknowledged_on,
        "acknowledged_on",
        "it was acknowledged",
        not_before=[(application.received_on, "the day the application was received")],
    )
    before = snapshot(application, APPLICATION_AUDIT_FIELDS)
    application.acknowledged_on = acknowledged_on
    db.session.flush()
    _audit_application(actor, application, before, f"Acknowledged {application.reference}", acknowledged_on)
    deadline_engine.sync(application)
    signals.application_acknowledged.send(
        application, actor=actor, send_letter=sends_letters(acknowledged_on, send_letter)
    )


def decide_threshold(
    actor: User | None,
    application: TriggerApplication,
    *,
    met: bool,
    basis: str | None,
    reasons: str | None,
    decided_on: date,
    persistence: str | None = None,
    harm: str | None = None,
    adequacy: str | None = None,
    send_letter: bool | None = None,
) -> ThresholdDecision:
    """Record the threshold decision (s.104(4)-(6)). Its letter goes out when it is
    dated today, or when asked (``sends_letters``)."""
    _require_status(application, {ApplicationStatus.received}, "decide the threshold")
    _check_event_date(
        decided_on,
        "decided_on",
        "of the decision",
        not_before=[(application.received_on, "the day the application was received")],
    )
    evaluation = evaluate(application)
    reasons = (reasons or "").strip() or None
    settings = area_settings(application.area, on=application.received_on)
    if not met:
        if basis:
            raise InvalidInput({"basis": ["Leave the basis out when the threshold is not met."]})
        if evaluation.met_automatically:
            raise RuleViolation(
                f"The threshold is met ({evaluation.basis}: {evaluation.qualifying_count} qualifying "
                "complaints): s.104(4) requires it to be found met.",
                field="met",
            )
        if not reasons:
            raise InvalidInput({"reasons": ["Give the reasons the threshold is not met."]})
    else:
        if not basis:
            raise InvalidInput({"basis": ["Choose the basis on which the threshold is met."]})
        if basis not in set(DecisionBasis):
            raise InvalidInput({"basis": [f"Choose one of: {', '.join(DecisionBasis)}."]})
        if basis in threshold.BASIS_ORDER and basis not in evaluation.bases_met:
            raise RuleViolation(
                f"The evaluation does not meet the {basis} threshold; decide on another basis "
                "(discretionary or vulnerable_override, with reasons).",
                field="basis",
            )
        if basis in {DecisionBasis.discretionary, DecisionBasis.vulnerable_override} and not reasons:
            raise InvalidInput({"reasons": [f"Give the reasons for a {basis.replace('_', ' ')} decision."]})
        if basis == DecisionBasis.vulnerable_override:
            if not settings["vulnerable_override_enabled"]:
                raise RuleViolation("The vulnerable victim override is not in use in this area.", field="basis")
            if actor is None or not actor.has_role(Role.manager):
                raise RuleViolation(
                    "Only a manager may decide the threshold is met for a vulnerable victim.", field="basis"
                )
    decision = ThresholdDecision(
        application=application,
        met=met,
        basis=DecisionBasis(basis) if met and basis else None,
        reasons=reasons,
        persistence=(persistence or "").strip() or None,
        harm=(harm or "").strip() or None,
        adequacy=(adequacy or "").strip() or None,
        decided_on=decided_on,
        decided_by_id=getattr(actor, "id", None),
        evaluation=_evaluation_record(application, evaluation),
    )
    db.session.add(decision)
    before = snapshot(application, APPLICATION_AUDIT_FIELDS)
    application.status = ApplicationStatus.threshold_met if met else ApplicationStatus.threshold_not_met
    application.threshold_evaluation = decision.evaluation
    db.session.flush()
    record_change(
        actor,
        decision,
        None,
        snapshot(
            decision, ("application_id", "met", "basis", "reasons", "persistence", "harm", "adequacy", "decided_on")
        ),
        f"Threshold {'met' if met else 'not met'} for {application.reference}",
        event_on=decided_on,
    )
    _audit_application(actor, application, before, f"Threshold decided for {application.reference}", decided_on)
    deadline_engine.sync(application)
    signals.threshold_decided.send(
        application, actor=actor, decision=decision, send_letter=sends_letters(decided_on, send_letter)
    )
    return decision
