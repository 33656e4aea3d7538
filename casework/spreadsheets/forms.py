"""Forms of the import pages."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField

from casework.core.forms import FlaskForm, options
from casework.spreadsheets.columns import Layout


class UploadForm(FlaskForm):
    file = FileField("Upload a file", description="A CSV file (saved as CSV UTF-8) or an Excel workbook (.xlsx)")


def upload_form(option_choices: list[tuple[Any, list[tuple[str, str]]]], **kwargs: Any) -> UploadForm:
    """The upload form with a select for each of the kind's options (``(ImportOption, choices)``)."""

    class Form(UploadForm):
        pass

    for option, choices in option_choices:
        setattr(
            Form,
            f"option_{option.key}",
            # The service checks the choice (with the message the page shows).
            SelectField(
                option.label,
                description=option.hint,
                choices=options([("", "Select"), *choices]),
                validate_choice=False,
            ),
        )
    return Form(**kwargs)


class MappingForm(FlaskForm):
    version = HiddenField()


NOT_IN_FILE = "-"


def mapping_form(layout: Layout, header: list[str], **kwargs: Any) -> MappingForm:
    """A select for each layout column, offering the file's columns (or "not in my file")."""

    class Form(MappingForm):
        pass

    choices = [(NOT_IN_FILE, "Not in my file"), *((str(i), name or f"Column {i + 1}") for i, name in enumerate(header))]
    for column in layout.columns:
        setattr(
            Form,
            f"column_{column.key}",
            SelectField(
                column.label,
                description=column.description,
                choices=options(choices),
                validate_choice=False,
            ),
        )
    return Form(**kwargs)


class ConfirmForm(FlaskForm):
    version = HiddenField()
