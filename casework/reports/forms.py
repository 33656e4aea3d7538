"""The report page's choice of area and period (a GET form: nothing changes, so no CSRF token)."""

from __future__ import annotations

from datetime import date

from wtforms import HiddenField, SelectField
from wtforms.validators import Length, Optional

from casework.core.forms import FlaskForm
from casework.statistics.forms import FIRST_YEAR, _iso_date


class ChooseReportForm(FlaskForm):
    class Meta:
        csrf = False

    area = SelectField("Area", validators=[Optional()])
    period = SelectField("Period", validators=[Optional()])


def period_options(on: date, period_start: date, period_end: date) -> list[tuple[str, str, tuple[date, date]]]:
    """``(value, label, (start, end))`` of financial and calendar years, newest first; the period shown
    comes first (with no value) when it is neither."""
    from casework.reports.services import short_period_name

    found: list[tuple[str, str, tuple[date, date]]] = []
    last_fy = on.year if on.month >= 4 else on.year - 1
    for year in range(last_fy, FIRST_YEAR - 1, -1):
        dates = (date(year, 4, 1), date(year + 1, 3, 31))
        found.append((f"fy-{year}", f"Financial year {short_period_name(*dates)}", dates))
    for year in range(on.year, FIRST_YEAR - 1, -1):
        dates = (date(year, 1, 1), date(year, 12, 31))
        found.append((f"cy-{year}", f"Calendar year {year}", dates))
    if (period_start, period_end) not in [dates for *_, dates in found]:
        found.insert(0, ("", short_period_name(period_start, period_end), (period_start, period_end)))
    return found


class CompileReportForm(FlaskForm):
    """Compile a large report by a task: the area (blank: all the agency's areas) and the period."""

    area = HiddenField(validators=[Optional(), Length(max=10)])
    period_start = HiddenField(validators=[_iso_date])
    period_end = HiddenField(validators=[_iso_date])
