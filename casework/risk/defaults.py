"""The questionnaire shipped with the service, for partners to replace with their agreed local form.

No national question list or cut-offs are published (the Home Office risk matrix's questions, scoring
and bands are not public), so these are a sensible start built on the factors the guidance names:
threats of violence, hate motivation and vulnerability raise a case to high risk on their own, and
repetition, harm and isolation add weight. Migration 0016 seeds a copy of this as version 1 for all
areas; admins edit it (each edit is a new version).
"""

from __future__ import annotations

from typing import Any


def _yes_no(key: str, text: str, weight: int, *, forces_high: bool = False, hint: str | None = None) -> dict[str, Any]:
    return {
        "key": key,
        "text": text,
        "hint": hint,
        "options": [
            {"value": "yes", "label": "Yes", "weight": weight, "forces_high": forces_high},
            {"value": "no", "label": "No", "weight": 0, "forces_high": False},
        ],
    }


DEFAULT_TITLE = "Victim risk assessment"
DEFAULT_MEDIUM_FROM = 8
DEFAULT_HIGH_FROM = 16

DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    _yes_no("threats_of_violence", "Has the victim been threatened with violence or assaulted?", 5, forces_high=True),
    _yes_no(
        "hate_motivated",
        "Does the victim believe they are targeted because of who they are?",
        5,
        forces_high=True,
        hint="For example their race, religion, sexual orientation, disability or gender identity.",
    ),
    _yes_no(
        "vulnerable_victim",
        "Is the victim vulnerable?",
        4,
        forces_high=True,
        hint="For example through disability, long-term illness, age or mental health.",
    ),
    _yes_no("repeat_victim", "Has the victim reported anti-social behaviour 3 or more times in the last 3 months?", 3),
    _yes_no("health_affected", "Is the behaviour affecting the victim's physical or mental health?", 3),
    _yes_no("afraid", "Is the victim afraid to leave their home, or to stay in it?", 3),
    _yes_no("children_affected", "Are children in the household affected?", 2),
    _yes_no("isolated", "Does the victim live alone or have little support from family or friends?", 2),
    _yes_no("personally_targeted", "Is the victim personally targeted, rather than the area in general?", 2),
    {
        "key": "frequency",
        "text": "How often does the behaviour happen?",
        "hint": None,
        "options": [
            {"value": "daily", "label": "Every day or most days", "weight": 3, "forces_high": False},
            {"value": "weekly", "label": "Every week", "weight": 2, "forces_high": False},
            {"value": "monthly", "label": "Every month or less often", "weight": 1, "forces_high": False},
            {"value": "once", "label": "It has happened once", "weight": 0, "forces_high": False},
        ],
    },
    _yes_no("considering_moving", "Has the victim moved home, or is considering it, because of the behaviour?", 2),
]
