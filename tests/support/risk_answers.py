"""Answers to the default risk questionnaire (casework/risk/defaults.py), for the tests that assess a
case's risk: ``ALL_NO`` answers every question "no" and the frequency "once" (the lowest score); a test
changes the answers it is about (``{**ALL_NO, "threats_of_violence": "yes"}``)."""

from __future__ import annotations

ALL_NO = {
    "threats_of_violence": "no",
    "hate_motivated": "no",
    "vulnerable_victim": "no",
    "repeat_victim": "no",
    "health_affected": "no",
    "afraid": "no",
    "children_affected": "no",
    "isolated": "no",
    "personally_targeted": "no",
    "frequency": "once",
    "considering_moving": "no",
}
