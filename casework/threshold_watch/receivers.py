"""The threshold watch's lifecycle receivers: new complaints are checked at once; a closing case's
tell-the-victim task moves to the victim's other open case; anonymised or merged people leave the board
(they flush, never commit)."""

from __future__ import annotations

from typing import Any

from casework.threshold_watch import services


def on_complaint_recorded(app: Any, *, person_ids: Any, **kwargs: Any) -> None:
    services.on_complaint_recorded(app, person_ids=person_ids, **kwargs)


def on_person_anonymised(_app: Any, *, person: Any, report: Any, **_: Any) -> None:
    report.add("threshold_watch_entries", services.forget_person(person.id))


def on_case_reopened(_app: Any, *, case: Any, **_: Any) -> None:
    # The nightly pass raises the tell-the-victim task only when a victim first meets the threshold:
    # a task the case's closure cancelled is raised again here, or never.
    services.rearm_tasks(case)


def on_records_anonymised(_app: Any, *, report: Any, **_: Any) -> None:
    # Once the run has anonymised every due case and severed their links to the people who live on
    # (receivers of ``case_anonymised`` run in no fixed order, so not before): the victims whose
    # entries count one of those cases are evaluated again without it.
    services.evaluate_after_retention(report.items.get("cases", ()))


def on_person_merged(_app: Any, *, merge: Any, **_: Any) -> None:
    # The kept record is evaluated again by the next complaint or the nightly pass: the rows moved by
    # other domains' receivers (which run in no fixed order) may not have moved yet.
    services.forget_person(merge.merged_id)


def on_person_unmerged(_app: Any, *, merge: Any, **_: Any) -> None:
    services.forget_person(merge.kept_id)


def on_case_closed(_app: Any, *, case: Any, **_: Any) -> None:
    # A victim still owed the telling is owed it on whichever of their cases is open: the task moves
    # there rather than being cancelled with the case's other work.
    services.move_tasks_off(case)
