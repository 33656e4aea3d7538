"""The actions domain's part in the lifecycle of a case (``casework.core.lifecycle``)."""

from __future__ import annotations

from typing import Any

from casework.actions import services
from casework.core.lifecycle import CaseHandover


def on_case_closed(_app: Any, *, case: Any, handover: CaseHandover, **_: Any) -> None:
    """Hand over a Case Review's recommendations and the actions the officer chose; cancel the rest
    with the closure reason recorded as their outcome."""
    for action in services.open_case_actions(case.id):
        if services.is_statutory(action):
            services.hand_over_action(handover.actor, action, handover.owner_for(action.assignee), handover.reason)
        elif action.id in handover.action_ids and handover.owner is not None:
            services.hand_over_action(handover.actor, action, handover.owner, handover.reason)
        else:
            services.cancel_action(handover.actor, action, f"Cancelled when the case was closed: {handover.reason}")


def on_case_anonymised(_app: Any, *, case: Any, report: Any, **_: Any) -> None:
    services.anonymise_actions(services.case_actions_for_retention(case.id), report)


def on_person_exported(_app: Any, *, export: Any, **_: Any) -> dict[str, Any]:
    return {"actions": services.export_section(export)}
