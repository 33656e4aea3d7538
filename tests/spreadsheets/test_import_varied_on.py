"""An intervention imported as varied (a PSPO, s.66) keeps the day it was varied (``varied_on``, from
which the time to appeal runs again), as the page and the API record it: not the day of the import,
which is what every imported varied order was given (a 2019 order "varied" on the day it was brought
in). The day is checked as they check it: nothing in the future, nothing before the order was made."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from casework.core.time import today
from casework.extensions import db
from casework.interventions.models import Intervention, InterventionStatus
from tests.spreadsheets.conftest import count, problems_of

HEADER = ["reference", "case_reference", "kind", "issued_on", "ends_on", "location", "status", "varied_on"]


def _case(importer) -> None:
    importer.run(
        "cases",
        [
            ["reference", "area_code", "category", "summary", "opened_on"],
            ["C-1", "BOL", "environmental", "Drinking in the park", "2019-01-03"],
        ],
    )


def test_an_imported_varied_order_keeps_the_day_it_was_varied(importer, world):
    _case(importer)
    job = importer.run(
        "interventions",
        [HEADER, ["O-1", "C-1", "pspo", "2019-02-01", "2022-01-31", "The park", "varied", "2019-09-16"]],
    )
    assert job.summary["created"] == {"interventions": 1}
    order = db.session.scalar(sa.select(Intervention))
    assert (order.status, order.varied_on) == (InterventionStatus.varied, date(2019, 9, 16))


def test_a_day_of_variation_before_the_order_or_in_the_future_is_refused(importer, world):
    _case(importer)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    for day, message in (
        ("2019-01-20", "Give the day of the variation when marking it varied, on or after its issue"),
        (tomorrow, None),
    ):
        job = importer.upload(
            "interventions",
            [HEADER, ["O-1", "C-1", "pspo", "2019-02-01", "2022-01-31", "The park", "varied", day]],
        )
        [(row, column, text)] = problems_of(job)
        assert (row, column) == (2, "varied_on")
        if message is not None:
            assert text == message
        assert count(Intervention) == 0


def test_a_day_given_for_a_status_the_row_does_not_have_is_refused(importer, world):
    """A day of variation, or of an appeal lodged, on a row left issued (the status empty or "issued")
    would be dropped without a word: it is refused on its column, as the page and the API refuse it."""
    _case(importer)
    header = [*HEADER, "appeal_lodged_on"]
    for status, varied_on, lodged_on, column, message in (
        ("", "2019-09-16", "", "varied_on", "Give the day of the variation when marking it varied, on or after"),
        ("issued", "2019-09-16", "", "varied_on", "Give the day of the variation when marking it varied"),
        ("", "", "2019-03-01", "appeal_lodged_on", "Give the date the appeal was lodged only when marking it appealed"),
        ("issued", "", "2019-03-01", "appeal_lodged_on", "Give the date the appeal was lodged only when marking"),
    ):
        job = importer.upload(
            "interventions",
            [header, ["O-1", "C-1", "pspo", "2019-02-01", "2022-01-31", "The park", status, varied_on, lodged_on]],
        )
        [(row, problem_column, text)] = problems_of(job)
        assert (row, problem_column) == (2, column), (status, column)
        assert text.startswith(message)
        assert count(Intervention) == 0
