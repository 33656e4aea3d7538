"""The actions domain's part in the lifecycle of a case (``casework.core.lifecycle``)."""

from __future__ import annotations

from typing import Any

from casework.actions import services
from casework.core.lifecycle import CaseHandover


def on_case_closed(_app: Any, *, case: Any, handover: CaseHandover, **_: Any) -> None:
    """Hand over a Case Review's recommendations and the actions the officer chose; cancel the rest
    with the closure reason recorded as their outcome. A recommendation goes where the reminders'
    receiver sends its deadline (``CaseHandover.owner_for`` its current owner): one rule."""
    for action in services.open_case_actions(case.id):
        if services.is_statutory(action):
            owner = handover.owner_for(services.current_owner(action))
            services.hand_over_action(handover.actor, action, owner, handover.reason)
        elif action.id in handover.action_ids and handover.owner is not None:
            services.hand_over_action(handover.actor, action, handover.owner, handover.reason)
        else:
            services.cancel_action(handover.actor, action, f"Cancelled when the case was closed: {handover.reason}")


def on_case_reopened(_app: Any, *, case: Any, actor: Any = None, **_: Any) -> None:
    """A recommendation handed to a stand-in when the case closed goes back with its deadline."""
    for action in services.open_case_actions(case.id):
        services.give_back_action(actor, action)


def on_sight_narrowed(_app: Any, *, case_ids: Any = None, user_ids: Any = None, actor: Any = None, **_: Any) -> None:
    """Actions whose assignee may no longer see their case are assigned to nobody."""
    services.unassign_unseen(actor, case_ids, user_ids)


def on_case_anonymised(_app: Any, *, case: Any, report: Any, **_: Any) -> None:
    services.anonymise_actions(services.case_actions_for_retention(case.id), report)


def on_person_exported(_app: Any, *, export: Any, **_: Any) -> dict[str, Any]:
    return {"actions": services.export_section(export)}
